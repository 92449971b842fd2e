//! Encoders: one per context a value can reach.
//!
//! - [`json_args`]: a Dockerfile JSON-form argument list (exec-form
//!   `CMD`/`RUN`/`HEALTHCHECK`, JSON-form `COPY`). JSON escapes every
//!   control character, so a value can never end the instruction's line.
//! - [`shell_word`]: one word of a POSIX `sh -c` line (shell-form `RUN`):
//!   bare when it holds only safe characters, else single-quoted.
//! - [`env_value`]: the value of a Dockerfile `ENV` (double-quoted, with the
//!   Dockerfile's own escapes).
//! - [`run_args`]: a `RUN` with its BuildKit flags, in shell form when every
//!   word can be written on one line, else in exec form.
//!
//! YAML (compose.yaml, mlcontain.yaml) is never assembled from strings: it is
//! serialised from typed structs with serde.
//!
//! [`unsafe_path`] says why a project path cannot be named in a Dockerfile
//! at all; such paths are refused before anything is written.

/// Characters a bare shell word or a plain-form `COPY` source may hold.
fn is_plain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/:=+@,%".contains(c)
}

/// True when `s` can be written as one bare word (shell and plain `COPY`).
pub fn is_plain_word(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('-') && s.chars().all(is_plain_char)
}

/// A JSON array of strings (Dockerfile exec form / JSON form).
pub fn json_args<S: AsRef<str>>(args: &[S]) -> String {
    let items: Vec<String> = args
        .iter()
        .map(|a| serde_json::to_string(a.as_ref()).unwrap_or_else(|_| "\"\"".into()))
        .collect();
    format!("[{}]", items.join(", "))
}

/// One word for `/bin/sh`: bare when safe, else in single quotes (a quote
/// inside becomes `'\''`). Newlines and other control characters cannot be
/// written in a shell-form `RUN` line; [`run_args`] uses the exec form then.
pub fn shell_word(s: &str) -> String {
    if is_plain_word(s) || (s.starts_with('-') && s.len() > 1 && s.chars().all(is_plain_char)) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Whether a word can stand in a shell-form `RUN` line: no control
/// character (a newline would end the instruction) and no `<` (BuildKit
/// reads `<<WORD` as the start of a here-document).
fn shell_form_ok(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() || c == '<')
}

/// A `RUN` instruction. `flags` are BuildKit flags (`--mount=...`), each on
/// its own continued line; `args` the command. Shell form when every word
/// fits on a shell line, exec form (JSON) otherwise: the exec form runs the
/// program directly, with no shell and no variable expansion, so each
/// argument arrives byte for byte.
pub fn run_args<S: AsRef<str>>(flags: &[&str], args: &[S]) -> String {
    let mut out = String::from("RUN ");
    for f in flags {
        out.push_str(f);
        out.push_str(" \\\n    ");
    }
    if args.iter().all(|a| shell_form_ok(a.as_ref())) {
        let words: Vec<String> = args.iter().map(|a| shell_word(a.as_ref())).collect();
        out.push_str(&words.join(" "));
    } else {
        out.push_str(&json_args(args));
    }
    out
}

/// A Dockerfile `ENV` value: bare when safe, else double-quoted with `"`,
/// `\`, `$` and `` ` `` escaped. Control characters are dropped (an `ENV`
/// value cannot span lines); plan values never hold them.
pub fn env_value(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:=+@,".contains(c));
    if safe {
        return value.to_string();
    }
    let mut out = String::from("\"");
    for c in value.chars().filter(|c| !c.is_control()) {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Why a project-relative path cannot be named in a generated Dockerfile,
/// or None when it can. BuildKit expands `$VAR`, reads quotes and
/// backslashes, and treats `*?[` as globs even in the JSON form of `COPY`,
/// and no form of `RUN`/`COPY` line can hold a newline, so such names are
/// refused rather than guessed at.
pub fn unsafe_path(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("the name is empty".into());
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        let what = match c {
            '\n' => "a newline".to_string(),
            '\r' => "a carriage return".to_string(),
            '\t' => "a tab".to_string(),
            c => format!("the control character U+{:04X}", c as u32),
        };
        return Some(format!(
            "the name holds {what}, which would split a Dockerfile instruction"
        ));
    }
    if let Some(c) = path.chars().find(|c| {
        matches!(
            c,
            '$' | '\\' | '\'' | '"' | '`' | '*' | '?' | '[' | ']' | '<'
        )
    }) {
        return Some(format!(
            "the name holds `{c}`, which a Dockerfile COPY would read as syntax (variable, quote, escape or glob)"
        ));
    }
    if path.starts_with('/') || path.split('/').any(|p| p == "..") {
        return Some("the path leaves the project".into());
    }
    None
}

/// A file name as it may be printed: control characters escaped, so a name
/// can never move the cursor or retitle the terminal.
pub fn printable(s: &str) -> String {
    if !s.chars().any(|c| c.is_control()) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
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
    fn shell_words() {
        assert_eq!(shell_word("requirements.txt"), "requirements.txt");
        assert_eq!(shell_word("--no-compile"), "--no-compile");
        assert_eq!(shell_word("my reqs.txt"), "'my reqs.txt'");
        assert_eq!(shell_word("a'b"), "'a'\\''b'");
        assert_eq!(shell_word("$(id)"), "'$(id)'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("-"), "'-'");
    }

    #[test]
    fn run_switches_to_exec_form_for_control_characters() {
        assert_eq!(
            run_args(
                &["--mount=type=cache,target=/c"],
                &["pip", "install", "-r", "a b"]
            ),
            "RUN --mount=type=cache,target=/c \\\n    pip install -r 'a b'"
        );
        assert_eq!(
            run_args(&[], &["pip", "-r", "x\nFROM y"]),
            "RUN [\"pip\", \"-r\", \"x\\nFROM y\"]"
        );
        assert_eq!(
            run_args(&[], &["pip", "-r", "x<<EOF"]),
            "RUN [\"pip\", \"-r\", \"x<<EOF\"]"
        );
    }

    #[test]
    fn env_values() {
        assert_eq!(env_value("1"), "1");
        assert_eq!(env_value("cuda>=12.4"), "\"cuda>=12.4\"");
        assert_eq!(env_value("a\"$b\\"), "\"a\\\"\\$b\\\\\"");
        assert_eq!(env_value("a\nb"), "\"ab\"");
    }

    #[test]
    fn unsafe_paths() {
        assert!(unsafe_path("requirements.txt").is_none());
        assert!(unsafe_path("requirements/my reqs.txt").is_none());
        assert!(unsafe_path("réqs.txt").is_none());
        assert!(unsafe_path("requirements-x\nFROM base AS builder\n#.txt")
            .unwrap()
            .contains("newline"));
        assert!(unsafe_path("a\u{1b}]0;x\u{7}.txt")
            .unwrap()
            .contains("U+001B"));
        for bad in ["a$HOME.txt", "a*.txt", "a\\b.txt", "a'b.txt", "a[1].txt"] {
            assert!(unsafe_path(bad).is_some(), "{bad}");
        }
        assert!(unsafe_path("../x.txt").is_some());
    }

    #[test]
    fn printable_escapes_controls() {
        assert_eq!(printable("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
        assert_eq!(printable("plain"), "plain");
    }
}
