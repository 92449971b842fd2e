//! Command-line conventions (issue 13): a closed pipe ends the process
//! quietly, TERM=dumb and non-terminal output carry no escape sequences,
//! NO_COLOR is honoured.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlcontain"));
    c.env("MLCONTAIN_NVML_LIB", "/nonexistent/libnvidia-ml.so.1")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    c
}

fn repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("requirements.txt"),
        "torch==2.5.1\nnumpy\n",
    )
    .unwrap();
    std::fs::write(repo.path().join("train.py"), "print('train')\n").unwrap();
    repo
}

/// `mlcontain init --dry-run | head -1`: the reader goes away after one
/// line; the writer must end without a panic (exit 101) or an error message.
#[test]
fn a_closed_pipe_is_no_panic() {
    let repo = repo();
    for run in 0..100 {
        let mut child = bin()
            .args(["init", "--dry-run"])
            .arg("--dir")
            .arg(repo.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert!(first.starts_with("==> "), "run {run}: {first:?}");
        drop(out);
        let res = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "run {run}: {err}"
        );
        // Finished before the pipe closed (0), or ended by SIGPIPE (quietly).
        use std::os::unix::process::ExitStatusExt;
        assert!(
            res.status.code() == Some(0) || res.status.signal() == Some(libc::SIGPIPE),
            "run {run}: {:?} {err}",
            res.status
        );
    }
}

fn has_escape(b: &[u8]) -> bool {
    b.contains(&0x1b)
}

fn output(args: &[&str], dir: &Path, envs: &[(&str, &str)]) -> (Vec<u8>, Vec<u8>) {
    let mut c = bin();
    c.args(args).arg("--dir").arg(dir);
    for (k, v) in envs {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (o.stdout, o.stderr)
}

/// Output to a pipe (not a terminal) has no escape sequences, whatever TERM says.
#[test]
fn output_to_a_pipe_has_no_escapes() {
    let repo = repo();
    for term in ["dumb", "xterm-256color"] {
        for args in [
            &["init", "--dry-run"][..],
            &["detect"],
            &["doctor"],
            &["init", "--check"],
        ] {
            let (out, err) = output(args, repo.path(), &[("TERM", term)]);
            assert!(
                !has_escape(&out) && !has_escape(&err),
                "TERM={term} {args:?}:\n{}{}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            );
        }
    }
}
