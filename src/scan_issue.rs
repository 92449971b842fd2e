//! A problem the project scan found: where it is and what kind it is. The
//! kind, not the wording, decides whether `init` may write files
//! ([`IssueKind::blocks_generation`]); the text is what the user reads.

use crate::location::Location;
use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// A manifest or lock that could not be read (too large, a link, a
    /// FIFO, no permission).
    Unreadable,
    /// A manifest that is not valid TOML or YAML, or an empty environment file.
    InvalidManifest,
    /// A requirement line that cannot be parsed, or an option of it that
    /// lacks its value or URL.
    BadRequirement,
    /// A `-r`/`-c` include that is missing, outside the project or nested
    /// too deep.
    BadInclude,
    /// An entry of a manifest that was skipped (not a string, not a list, not
    /// a package spec); the build installs the file as written.
    SkippedEntry,
    /// Worth knowing, nothing the generated files depend on: a source file
    /// not scanned for imports, a `.python-version` not understood, a
    /// credential kept out of the image, a search cut short.
    Note,
}

impl IssueKind {
    /// Whether files generated with this problem in the project would not
    /// build (a manifest the Dockerfile installs from cannot be read or
    /// parsed): `init` then refuses to write.
    pub fn blocks_generation(self) -> bool {
        match self {
            IssueKind::Unreadable
            | IssueKind::InvalidManifest
            | IssueKind::BadRequirement
            | IssueKind::BadInclude => true,
            IssueKind::SkippedEntry | IssueKind::Note => false,
        }
    }
}

/// One problem: `location: message` when it has a place, else `message`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanIssue {
    pub location: Option<Location>,
    pub kind: IssueKind,
    pub message: String,
}

impl ScanIssue {
    pub fn new(location: Location, kind: IssueKind, message: impl Into<String>) -> Self {
        ScanIssue {
            location: Some(location),
            kind,
            message: message.into(),
        }
    }

    /// A problem of the whole scan, at no file.
    pub fn general(kind: IssueKind, message: impl Into<String>) -> Self {
        ScanIssue {
            location: None,
            kind,
            message: message.into(),
        }
    }

    pub fn blocks_generation(&self) -> bool {
        self.kind.blocks_generation()
    }

    /// A TOML file that does not parse: its first message line, at the
    /// line of the error's span where it has one.
    pub fn invalid_toml(file: &str, text: &str, e: &toml::de::Error) -> Self {
        let msg = e.message().lines().next().unwrap_or("").trim();
        let at = match e.span() {
            Some(span) => {
                let end = span.start.min(text.len());
                let line = text.as_bytes()[..end]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1;
                Location::new(file, line)
            }
            None => Location::file(file),
        };
        ScanIssue::new(
            at,
            IssueKind::InvalidManifest,
            format!("invalid TOML: {msg}"),
        )
    }
}

impl fmt::Display for ScanIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Written as its text (the `warnings` of `detect --json`).
impl Serialize for ScanIssue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_decides_whether_init_may_write_not_the_words() {
        let at = Location::new("requirements.txt", 3);
        let bad = ScanIssue::new(at.clone(), IssueKind::BadRequirement, "anything at all");
        assert!(bad.blocks_generation());
        // A note whose words look like a parse error still does not block.
        let note = ScanIssue::new(at, IssueKind::Note, "cannot parse requirement `x`");
        assert!(!note.blocks_generation());
        for k in [
            IssueKind::Unreadable,
            IssueKind::InvalidManifest,
            IssueKind::BadInclude,
        ] {
            assert!(k.blocks_generation(), "{k:?}");
        }
        assert!(!IssueKind::SkippedEntry.blocks_generation());
    }

    #[test]
    fn written_as_location_then_message() {
        let i = ScanIssue::new(
            Location::new("pyproject.toml", 5),
            IssueKind::InvalidManifest,
            "invalid TOML: expected `=`",
        );
        assert_eq!(
            i.to_string(),
            "pyproject.toml:5: invalid TOML: expected `=`"
        );
        assert_eq!(
            serde_json::to_string(&i).unwrap(),
            "\"pyproject.toml:5: invalid TOML: expected `=`\""
        );
        let whole = ScanIssue::new(
            Location::file("uv.lock"),
            IssueKind::Unreadable,
            "cannot read: too large",
        );
        assert_eq!(whole.to_string(), "uv.lock: cannot read: too large");
        let g = ScanIssue::general(IssueKind::Note, "the project scan did not finish in time");
        assert_eq!(g.to_string(), "the project scan did not finish in time");
    }
}
