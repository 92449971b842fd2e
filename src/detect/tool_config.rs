//! Package tools' configuration files in the repository (issue 9 §3):
//! `pip.conf`, `pip.ini`, `uv.toml`, `poetry.toml`, `.pypirc` and `.netrc`
//! at any depth. One holding index credentials (a URL's `user:password@`,
//! a `password =` / token key, an `[http-basic.NAME]` password, a netrc
//! `password`) is reported with its file and line, never its value. Every
//! read is bounded and follows no link (`safe_fs`).

use crate::facts::{CredentialConfig, ToolConfigs};
use std::path::Path;

/// The file names read, wherever they are.
pub const NAMES: &[&str] = &[
    "pip.conf",
    "pip.ini",
    "uv.toml",
    "poetry.toml",
    ".pypirc",
    ".netrc",
];

/// At most this many bytes of one file are read.
const CAP: u64 = 256 * 1024;
/// At most this many files are read.
const FILES_MAX: usize = 64;

/// The configuration files among `files` (the repository's list) and at the
/// top level (`top`: names a listing found, which a git file list may lack
/// when the file is ignored).
pub fn scan(dir: &Path, files: &[String], top: &[&str]) -> ToolConfigs {
    let mut out = ToolConfigs::default();
    let mut paths: Vec<String> = files
        .iter()
        .filter(|f| NAMES.contains(&f.rsplit('/').next().unwrap_or(f)))
        .cloned()
        .collect();
    for n in top {
        if NAMES.contains(n) && !paths.iter().any(|p| p == n) {
            paths.push(n.to_string());
        }
    }
    paths.sort();
    paths.truncate(FILES_MAX);
    for rel in paths {
        let Ok(text) = crate::safe_fs::read_text_bounded(&dir.join(&rel), CAP) else {
            continue;
        };
        if rel == "uv.toml" {
            out.root_uv_toml = true;
        }
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        if let Some((line, what)) = credential_in(name, &text) {
            out.credentials.push(CredentialConfig {
                path: rel.clone(),
                line,
                what,
            });
        }
    }
    out
}

/// The first line (1-based) of a configuration file that holds a
/// credential, and what kind (worded for a warning; no value).
pub fn credential_in(name: &str, text: &str) -> Option<(usize, String)> {
    if name == ".netrc" {
        return netrc_password(text).map(|l| (l, "a netrc password".to_string()));
    }
    // INI files (pip's, .pypirc) also separate keys with `:`.
    let ini = matches!(name, "pip.conf" | "pip.ini" | ".pypirc");
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if crate::redact::has_credentials(line) {
            return Some((i + 1, "a URL with user:password@".into()));
        }
        if line.starts_with('[') && !line.contains('=') {
            section = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            continue;
        }
        // `key = value`, and the pieces of an inline table.
        for piece in line.split([',', '{', '}']) {
            if let Some(kind) = secret_key(piece, ini) {
                let place = if section.is_empty() {
                    String::new()
                } else {
                    format!(" in [{section}]")
                };
                return Some((i + 1, format!("{kind}{place}")));
            }
        }
    }
    None
}

/// `password = …` / `token = …` / `pypi-token.NAME = …` with a literal value.
fn secret_key(piece: &str, ini: bool) -> Option<&'static str> {
    let sep = piece.find(|c| c == '=' || (ini && c == ':'))?;
    let quotes = |c: char| c == '"' || c == '\'';
    let key = piece[..sep]
        .trim()
        .trim_matches(quotes)
        .to_ascii_lowercase();
    let value = piece[sep + 1..].trim().trim_matches(quotes).trim();
    // Empty, or taken from the environment (`${PASSWORD}`): no literal secret.
    if value.is_empty() || value.starts_with('$') {
        return None;
    }
    let last = key.rsplit('.').next().unwrap_or(&key);
    let first = key.split('.').next().unwrap_or(&key);
    if last == "password" || last == "passwd" {
        Some("a password")
    } else if last == "token" || first == "pypi-token" {
        Some("a token")
    } else {
        None
    }
}

/// The line of a netrc `password` token that has a value.
fn netrc_password(text: &str) -> Option<usize> {
    let mut pending: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        for tok in line.split_whitespace() {
            if pending.is_some() {
                return pending;
            }
            if tok == "password" {
                pending = Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_of_each_tool_are_found_with_their_line() {
        let pip = "[global]\ntimeout = 60\nextra-index-url = https://u:p4ss@pkgs.example/simple\n";
        assert_eq!(
            credential_in("pip.conf", pip),
            Some((3, "a URL with user:password@".into()))
        );
        let poetry = "[virtualenvs]\nin-project = true\n[http-basic.corp]\nusername = \"me\"\npassword = \"p4ss\"\n";
        assert_eq!(
            credential_in("poetry.toml", poetry),
            Some((5, "a password in [http-basic.corp]".into()))
        );
        let inline = "[http-basic]\ncorp = { username = \"me\", password = \"p4ss\" }\n";
        assert_eq!(
            credential_in("poetry.toml", inline),
            Some((2, "a password in [http-basic]".into()))
        );
        let pypirc =
            "[distutils]\nindex-servers = pypi\n[pypi]\nusername: __token__\npassword: pypi-AgEN\n";
        assert_eq!(
            credential_in(".pypirc", pypirc),
            Some((5, "a password in [pypi]".into()))
        );
        let uv = "[[index]]\nname = \"corp\"\nurl = \"https://tok:p4ss@pkgs.example/simple\"\n";
        assert_eq!(
            credential_in("uv.toml", uv),
            Some((3, "a URL with user:password@".into()))
        );
        let netrc = "machine pkgs.example\n  login me\n  password p4ss\n";
        assert_eq!(
            credential_in(".netrc", netrc),
            Some((3, "a netrc password".into()))
        );
        assert_eq!(
            credential_in("poetry.toml", "pypi-token.pypi = \"pypi-AgEN\"\n"),
            Some((1, "a token".into()))
        );
    }

    #[test]
    fn settings_without_a_literal_secret_are_not_credentials() {
        for (name, text) in [
            ("uv.toml", "[[index]]\nname = \"corp\"\nurl = \"https://pkgs.example/simple\"\nexplicit = true\n"),
            ("pip.conf", "[global]\nindex-url = https://pkgs.example/simple\n# password = old\n"),
            ("poetry.toml", "[virtualenvs]\ncreate = false\n[http-basic.corp]\nusername = \"me\"\n"),
            (".pypirc", "[pypi]\nusername = __token__\npassword =\n"),
            ("pip.ini", "[global]\npassword = ${PIP_PASSWORD}\n"),
            (".netrc", "machine pkgs.example login me\n"),
        ] {
            assert_eq!(credential_in(name, text), None, "{name}: {text}");
        }
    }

    #[test]
    fn the_scan_reads_nested_files_and_the_top_level_ones_a_list_lacks() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("ops/conf")).unwrap();
        std::fs::write(
            d.path().join("ops/conf/pip.conf"),
            "[global]\nindex-url = https://u:p@h/simple\n",
        )
        .unwrap();
        std::fs::write(d.path().join("uv.toml"), "native-tls = true\n").unwrap();
        std::fs::write(d.path().join(".netrc"), "machine h login u password p\n").unwrap();
        let files = vec!["ops/conf/pip.conf".to_string(), "train.py".to_string()];
        let t = scan(d.path(), &files, &["uv.toml", ".netrc", "train.py"]);
        assert!(t.root_uv_toml);
        let found: Vec<(&str, usize)> = t
            .credentials
            .iter()
            .map(|c| (c.path.as_str(), c.line))
            .collect();
        assert_eq!(found, vec![(".netrc", 1), ("ops/conf/pip.conf", 2)]);
    }
}
