//! Text that leaves mlcontain: credentials redacted, terminal escapes made
//! harmless.
//!
//! - [`redact`] replaces the `user:password@` (or `token@`) part of every
//!   URL with `***@`. Detection applies it to everything it records from a
//!   manifest, so `detect`, `detect --json`, warnings and errors never print
//!   an index password.
//! - [`terminal_safe`] escapes control characters (ESC, BEL, CR, ...) in a
//!   string from outside (a manifest, a GPU name, a tool's version), keeping
//!   newlines and tabs, so printing it cannot retitle or repaint the terminal.

/// The userinfo of each URL in `s`: (start, end) byte ranges of `user:pass`
/// in `scheme://user:pass@host`.
fn userinfo_spans(s: &str) -> Vec<(usize, usize)> {
    let mut spans = vec![];
    let mut from = 0;
    while let Some(i) = s[from..].find("://") {
        let start = from + i + 3;
        let rest = &s[start..];
        // The authority ends at the first `/`, `?`, `#`, whitespace or quote.
        let end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '`') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some(at) = authority.rfind('@') {
            if at > 0 {
                spans.push((start, start + at));
            }
        }
        let advance = if end == 0 {
            rest.chars().next().map_or(0, char::len_utf8)
        } else {
            end
        };
        if advance == 0 {
            break;
        }
        from = start + advance;
    }
    spans
}

/// Userinfo made only of environment references (`${USER}:${TOKEN}`), which
/// pip expands at install time: no secret in the file.
fn only_env_refs(userinfo: &str) -> bool {
    // `***` is what redaction leaves.
    userinfo == "***"
        || userinfo.split(':').all(|part| {
            part.strip_prefix("${")
                .and_then(|p| p.strip_suffix('}'))
                .is_some_and(|v| {
                    !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
        })
}

/// Whether `s` holds a URL with literal credentials.
pub fn has_credentials(s: &str) -> bool {
    userinfo_spans(s)
        .into_iter()
        .any(|(a, b)| !only_env_refs(&s[a..b]))
}

/// `s` with the credentials of every URL replaced by `***`.
pub fn redact(s: &str) -> String {
    let spans: Vec<(usize, usize)> = userinfo_spans(s)
        .into_iter()
        .filter(|(a, b)| !only_env_refs(&s[*a..*b]))
        .collect();
    if spans.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (a, b) in spans {
        out.push_str(&s[last..a]);
        out.push_str("***");
        last = b;
    }
    out.push_str(&s[last..]);
    out
}

/// The first line (1-based) of `text` holding a URL with credentials.
pub fn credential_line(text: &str) -> Option<usize> {
    text.lines().position(has_credentials).map(|i| i + 1)
}

/// `s` with every control character but newline and tab escaped (`\u{1b}`).
pub fn terminal_safe(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo() {
        assert_eq!(
            redact("--extra-index-url https://user:pass@host/simple"),
            "--extra-index-url https://***@host/simple"
        );
        assert_eq!(
            redact("-i https://tok3n@pkgs.example/simple and git+https://a:b@g/x.git"),
            "-i https://***@pkgs.example/simple and git+https://***@g/x.git"
        );
        assert_eq!(redact("https://host/simple"), "https://host/simple");
        assert_eq!(redact("torch @ https://h/x.whl"), "torch @ https://h/x.whl");
        assert_eq!(
            redact("https://${PIP_USER}:${PIP_TOKEN}@host/simple"),
            "https://${PIP_USER}:${PIP_TOKEN}@host/simple"
        );
        assert!(has_credentials("url = \"https://u:p@h/simple\""));
        assert!(!has_credentials("email = a@b.c"));
        assert!(!has_credentials("https://h/p@v"));
        assert_eq!(credential_line("a\nb https://u:p@h\n"), Some(2));
    }

    #[test]
    fn terminal_escapes_are_escaped() {
        assert_eq!(
            terminal_safe("a\u{1b}]0;pwn\u{7}b\nc"),
            "a\\u{1b}]0;pwn\\u{7}b\nc"
        );
        assert_eq!(terminal_safe("plain\ttext"), "plain\ttext");
    }
}
