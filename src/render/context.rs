//! The build context: which of the repository's files a list of
//! `.dockerignore` patterns excludes (Docker's rules: patterns are anchored
//! at the context root, `*` and `?` stay within one path segment, `**`
//! spans any number of segments, a pattern that matches a folder excludes
//! everything below it, `!` re-includes, the last matching line wins), and
//! the re-includes for files the code needs.

use crate::facts::code::ContextFile;

/// Whether one `.dockerignore` pattern (without `!`) matches `path` or one
/// of its parent folders.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if pat.is_empty() {
        return false;
    }
    (1..=parts.len()).any(|n| segments_match(&pat, &parts[..n]))
}

fn segments_match(pat: &[&str], parts: &[&str]) -> bool {
    match pat.first() {
        None => parts.is_empty(),
        Some(&"**") => (0..=parts.len()).any(|skip| segments_match(&pat[1..], &parts[skip..])),
        Some(p) => match parts.first() {
            Some(s) if glob(p.as_bytes(), s.as_bytes()) => segments_match(&pat[1..], &parts[1..]),
            _ => false,
        },
    }
}

/// `*`, `?` and `[...]` within one segment.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| glob(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && glob(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(close) = p.iter().position(|c| *c == b']') else {
                return !s.is_empty() && s[0] == b'[' && glob(&p[1..], &s[1..]);
            };
            let Some(&c) = s.first() else { return false };
            let class = &p[1..close];
            let (neg, class) = match class.first() {
                Some(b'^') | Some(b'!') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != neg && glob(&p[close + 1..], &s[1..])
        }
        Some(&c) => s.first() == Some(&c) && glob(&p[1..], &s[1..]),
    }
}

/// Whether a list of lines (patterns and `!` exceptions, comments allowed)
/// excludes `path`, and by which line.
pub fn excluded_by<'a>(lines: &'a [String], path: &str) -> Option<&'a str> {
    let mut by = None;
    for l in lines {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match l.strip_prefix('!') {
            Some(p) => {
                if pattern_matches(p.trim(), path) {
                    by = None;
                }
            }
            None => {
                if pattern_matches(l, path) {
                    by = Some(l);
                }
            }
        }
    }
    by
}

/// Why the build needs `path`, if it does: code, scripts, configuration,
/// or a file the code names.
pub fn needed(path: &str, referenced: &[ContextFile]) -> Option<String> {
    if let Some(r) = referenced.iter().find(|r| r.path == path) {
        return r.needed.clone();
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "py" => return Some("Python code".into()),
        "sh" => return Some("a script".into()),
        _ => {}
    }
    let in_config_dir = path
        .split('/')
        .rev()
        .skip(1)
        .any(|d| ["config", "configs", "conf", "cfg"].contains(&d));
    if in_config_dir && ["yaml", "yml", "json", "toml", "cfg", "ini"].contains(&ext) {
        return Some("configuration".into());
    }
    None
}

/// The re-include lines for one excluding pattern: `!dir/**/*.py` for code
/// under an excluded folder, `!path` for single files.
pub fn exceptions_for(pattern: &str, files: &[(&str, String)]) -> Vec<String> {
    let plain_dir = !pattern.contains(['*', '?', '[']);
    let mut out: Vec<String> = vec![];
    for (path, why) in files {
        let line = if plain_dir && (why == "Python code" || why == "a script") {
            let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
            format!("!{}/**/*.{ext}", pattern.trim_end_matches('/'))
        } else {
            format!("!{path}")
        };
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_pattern_rules() {
        assert!(pattern_matches("data", "data/x/prepare.py"));
        assert!(pattern_matches("data", "data"));
        assert!(!pattern_matches("data", "src/data/x.py"));
        assert!(pattern_matches("**/*.joblib", "svc/models/clf.joblib"));
        assert!(pattern_matches("**/*.joblib", "clf.joblib"));
        assert!(pattern_matches("**/__pycache__", "a/b/__pycache__/x.pyc"));
        assert!(pattern_matches("**/*.py[cod]", "a/x.pyc"));
        assert!(!pattern_matches("**/*.py[cod]", "a/x.py"));
        assert!(pattern_matches("docker-compose*.yml", "docker-compose.yml"));
        assert!(pattern_matches(".env.*", ".env.local"));
        assert!(!pattern_matches(".env.*", "x/.env.local"));
        assert!(pattern_matches("*.egg-info", "pkg.egg-info/PKG-INFO"));
    }

    #[test]
    fn exceptions_win_when_last() {
        let lines: Vec<String> = ["data", "!data/**/*.py", "**/*.pkl", "!models/clf.pkl"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(excluded_by(&lines, "data/a/prepare.py"), None);
        assert_eq!(excluded_by(&lines, "data/a/input.txt"), Some("data"));
        assert_eq!(excluded_by(&lines, "models/clf.pkl"), None);
        assert_eq!(excluded_by(&lines, "models/other.pkl"), Some("**/*.pkl"));
        assert_eq!(excluded_by(&lines, "train.py"), None);
    }

    #[test]
    fn what_the_code_needs() {
        let r = vec![ContextFile {
            path: "svc/model.joblib".into(),
            pattern: String::new(),
            needed: Some("svc/main.py names it".into()),
        }];
        assert_eq!(
            needed("svc/model.joblib", &r).as_deref(),
            Some("svc/main.py names it")
        );
        assert_eq!(
            needed("data/x/prepare.py", &r).as_deref(),
            Some("Python code")
        );
        assert_eq!(needed("runs/train.sh", &r).as_deref(), Some("a script"));
        assert_eq!(
            needed("configs/base.yaml", &r).as_deref(),
            Some("configuration")
        );
        assert_eq!(needed("data/x/input.txt", &r), None);
        let files = vec![
            ("data/x/prepare.py", "Python code".to_string()),
            ("data/y/prep.py", "Python code".to_string()),
        ];
        assert_eq!(exceptions_for("data", &files), vec!["!data/**/*.py"]);
        let files = vec![("m/clf.joblib", "x names it".to_string())];
        assert_eq!(exceptions_for("**/*.joblib", &files), vec!["!m/clf.joblib"]);
    }
}
