//! A rendered file: its path, its text and whether mlcontain owns it. A
//! leaf, so every renderer can return files without importing the others.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A file mlcontain owns and regenerates.
    Generated,
    /// A starting point written only when missing (manifest, entry points).
    Scaffold,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
    pub kind: FileKind,
}
