//! `mlcontain verify`'s Python check: the image runs the Python (major.minor)
//! the plan is for. An image built from an older mlcontain.yaml, from another
//! Dockerfile, or from a base image whose `python3` is not the one its tag
//! names, fails here with both versions named, before its packages are
//! blamed.

use crate::docker::{run_quiet, CommandLine, Engine};
use crate::version::Version;
use std::time::Duration;

/// Prints `major.minor` of the interpreter that runs it.
pub fn script() -> &'static str {
    crate::scripts::oneliner::PYTHON_VERSION.trim_end_matches('\n')
}

/// The version the script printed (its last line), if it printed one.
pub fn parse(stdout: &str) -> Option<Version> {
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty())?.trim();
    let mut parts = last.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let (a, b) = (parts.next(), parts.next());
    if !ok(a) || !ok(b) || parts.next().is_some() {
        return None;
    }
    last.parse().ok()
}

/// Compares what the image runs with the plan's Python: Ok names the
/// version, Err says what differs and what to do.
pub fn compare(image: &str, found: &Version, planned: &Version) -> Result<String, String> {
    let (f, p) = (found.major_minor(), planned.major_minor());
    if f == p {
        Ok(format!("{image}: Python {f}, as planned"))
    } else {
        Err(format!(
            "{image} runs Python {f}, but the plan (mlcontain.yaml) is for Python {p}: the image was built from other files or its base image's python3 is not {p}; rebuild with `mlcontain build`, or set the Python with `mlcontain init --python {f}`"
        ))
    }
}

/// Runs the image's `python` (no network) and compares its version.
pub fn check(engine: Engine, image: &str, planned: &Version) -> Result<String, String> {
    let c = CommandLine::new(engine.program()).args([
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "python",
        image,
        "-c",
        script(),
    ]);
    let r = run_quiet(&c, Duration::from_secs(120));
    if !r.success() {
        return Err(format!(
            "{image}: cannot run its python to read the version: {}",
            crate::redact::terminal_safe(r.stderr.trim())
        ));
    }
    let found = parse(&r.stdout).ok_or_else(|| {
        format!(
            "{image}: its python printed no version ({:?})",
            crate::redact::terminal_safe(r.stdout.trim())
        )
    })?;
    compare(image, &found, planned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_and_compared_by_major_minor() {
        assert_eq!(parse("3.11\n").unwrap().to_string(), "3.11");
        assert_eq!(parse("warning\n3.12\n\n").unwrap().to_string(), "3.12");
        for bad in ["", "3", "3.x", "3.11.2", "Python 3.11", "-3.11"] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert!(compare("img", &v("3.12"), &v("3.12")).is_ok());
        let e = compare("img", &v("3.11"), &v("3.12")).unwrap_err();
        assert!(
            e.contains("runs Python 3.11") && e.contains("for Python 3.12"),
            "{e}"
        );
        assert!(e.contains("--python 3.11"), "{e}");
    }
}
