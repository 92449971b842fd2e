//! The layout of a project's requirements files (issue 9 §8): which files a
//! requirements file reads through `-r`/`-c` (so the builder copies them
//! wherever they live), and which lines install a local path (`-e .`,
//! `./libs/x`), which need the code in the builder before the install.

use crate::facts::{LocalRequirement, ProjectScan};

/// Records that `file` includes `target` (both project-relative).
pub fn record_include(s: &mut ProjectScan, file: &str, target: &str) {
    let v = s.requirement_includes.entry(file.to_string()).or_default();
    if !v.iter().any(|t| t == target) {
        v.push(target.to_string());
    }
}

/// `file` and every file it reaches through `-r`/`-c`, transitively
/// (bounded by the scan, which follows at most 8 levels and visits a file once).
pub fn closure(s: &ProjectScan, files: &[String]) -> Vec<String> {
    fn visit(s: &ProjectScan, f: &str, out: &mut Vec<String>) {
        if out.iter().any(|o| o == f) {
            return;
        }
        out.push(f.to_string());
        for inc in s.requirement_includes.get(f).into_iter().flatten() {
            visit(s, inc, out);
        }
    }
    let mut out: Vec<String> = vec![];
    for f in files {
        visit(s, f, &mut out);
    }
    out
}

/// The local-path installs of a requirements file: `-e .`, `--editable ./x`,
/// `.`, `./pkg`, `file:…` and `name @ file:…` lines.
pub fn local_requirements(text: &str, file: &str) -> Vec<LocalRequirement> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = vec![];
    for (i, raw) in text.split(['\n', '\r']).enumerate() {
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        let line = match line.find(" #") {
            Some(i) => line[..i].trim(),
            None => line,
        };
        let value = match line
            .strip_prefix("--editable")
            .or_else(|| line.strip_prefix("-e"))
        {
            Some(r) => r.trim_start_matches('=').trim(),
            None => line,
        };
        let first = value.split_whitespace().next().unwrap_or("");
        let target = match value.split_once(" @ ") {
            Some((_, url)) => url.trim(),
            None => first,
        };
        let local = target == "."
            || target.starts_with("./")
            || target.starts_with("../")
            || target.starts_with('/')
            || target.starts_with("file:");
        if local && !first.is_empty() {
            out.push(LocalRequirement {
                file: file.to_string(),
                // CR-only files count lines like the parser (CRLF gives an
                // empty piece between, so count only "\n" and lone "\r").
                source: format!("{file}:{}", line_number(text, i)),
                text: line.to_string(),
            });
        }
    }
    out
}

/// The 1-based line of the `i`-th piece of `text.split(['\n', '\r'])`, with
/// CRLF counted as one line end.
fn line_number(text: &str, piece: usize) -> usize {
    let mut line = 1;
    let mut k = 0;
    let b = text.as_bytes();
    let mut j = 0;
    while j < b.len() && k < piece {
        if b[j] == b'\n' || b[j] == b'\r' {
            k += 1;
            let crlf = b[j] == b'\r' && b.get(j + 1) == Some(&b'\n');
            if !crlf {
                line += 1;
            }
        }
        j += 1;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_found_with_their_line() {
        let t = "numpy==1.26.4\n-e .\n# -e ./no\n--editable ./libs/core  # mine\n./wheels/x.whl\nfoo @ file:///tmp/foo\n-e git+https://example.com/x.git#egg=x\nhttps://example.com/x.whl\n";
        let l = local_requirements(t, "requirements.txt");
        let got: Vec<(&str, &str)> = l
            .iter()
            .map(|r| (r.source.as_str(), r.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("requirements.txt:2", "-e ."),
                ("requirements.txt:4", "--editable ./libs/core"),
                ("requirements.txt:5", "./wheels/x.whl"),
                ("requirements.txt:6", "foo @ file:///tmp/foo"),
            ]
        );
        let crlf = local_requirements("a\r\n-e .\r\n", "r.txt");
        assert_eq!(crlf[0].source, "r.txt:2");
    }

    #[test]
    fn the_closure_follows_chains_once() {
        let mut s = ProjectScan::default();
        record_include(&mut s, "requirements-dev.txt", "requirements.txt");
        record_include(&mut s, "requirements.txt", "reqs/base.txt");
        record_include(&mut s, "requirements.txt", "constraints.txt");
        record_include(&mut s, "reqs/base.txt", "requirements.txt");
        assert_eq!(
            closure(&s, &["requirements-dev.txt".into()]),
            [
                "requirements-dev.txt",
                "requirements.txt",
                "reqs/base.txt",
                "constraints.txt"
            ]
        );
    }
}
