//! Command-line conventions (issue 13): a closed pipe ends the process
//! quietly, TERM=dumb and non-terminal output carry no escape sequences,
//! NO_COLOR is honoured.

#![cfg(unix)]

mod common;

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

/// `mlcontain completions SHELL` prints a script that names the subcommands.
#[test]
fn shell_completions() {
    for shell in ["bash", "zsh", "fish"] {
        let o = bin().args(["completions", shell]).output().unwrap();
        assert!(o.status.success(), "{shell}");
        let s = String::from_utf8_lossy(&o.stdout);
        for sub in ["init", "detect", "doctor", "build", "verify"] {
            assert!(s.contains(sub), "{shell}: no {sub}");
        }
        assert!(s.contains("framework-version"), "{shell}: no init flags");
    }
    // bash parses what it printed.
    let o = bin().args(["completions", "bash"]).output().unwrap();
    let check = Command::new("bash")
        .args(["-n", "-c", &String::from_utf8_lossy(&o.stdout)])
        .output();
    if let Ok(c) = check {
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    }
}

/// `--plain` belongs to the wizard: `init --plain` and bare `mlcontain
/// --plain`, not `doctor --plain`.
#[test]
fn plain_only_where_it_means_something() {
    let o = bin().args(["doctor", "--plain"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--plain"));
    let o = bin().args(["init", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("--plain"));
    let o = bin().args(["detect", "--help"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("--plain"));
}

/// doctor colours its verdicts on a terminal; TERM=dumb and NO_COLOR get
/// not one escape byte, on the same terminal.
#[test]
fn doctor_colour_follows_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let repo = repo();
    let dir = repo.path().display().to_string();
    let run = |extra: &[(&'static str, &str)]| {
        let mut env = common::pty::env(home.path());
        for (k, v) in extra {
            env.retain(|(ek, _)| ek != k);
            env.push((k, v.to_string()));
        }
        let mut p = common::pty::Pty::spawn(&["doctor", "--dir", &dir], repo.path(), &env);
        let code = p.wait(std::time::Duration::from_secs(30));
        (code, p.raw.clone())
    };
    let (_, tty) = run(&[]);
    let text = String::from_utf8_lossy(&tty).to_string();
    assert!(text.contains("\x1b[33mWARN\x1b[0m"), "{text}");
    for env in [[("TERM", "dumb")], [("NO_COLOR", "1")]] {
        let (_, out) = run(&env);
        assert!(
            !out.contains(&0x1b),
            "{env:?}: {}",
            String::from_utf8_lossy(&out)
        );
        assert!(String::from_utf8_lossy(&out).contains("WARN"));
    }
    let (_, out) = run(&[("TERM", "dumb")]);
    assert!(
        String::from_utf8_lossy(&out).contains("No blocking problems")
            || String::from_utf8_lossy(&out).contains("failed:")
    );
}

/// The summary line counts in words ("1 check failed", "2 warnings").
#[test]
fn doctor_counts_in_words() {
    use mlcontain::commands::doctor::{render, Check, Status};
    let c = |status, title: &str| Check {
        status,
        title: title.into(),
        detail: vec![],
        fix: None,
    };
    let one = render(&[c(Status::Fail, "a"), c(Status::Warn, "b")]);
    assert!(
        one.contains("1 check failed") && one.contains("1 warning."),
        "{one}"
    );
    let two = render(&[c(Status::Warn, "a"), c(Status::Warn, "b")]);
    assert!(two.contains("2 warnings."), "{two}");
}

/// Every subcommand of the CLI's definition, nested ones as "catalog show".
fn subcommands(cmd: &clap::Command, prefix: &str, out: &mut Vec<(String, clap::Command)>) {
    for s in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{prefix} {}", s.get_name());
        out.push((name.clone(), s.clone()));
        subcommands(s, &name, out);
    }
}

/// `mlcontain man` prints mlcontain(1) as roff: a `.TH` title, every
/// subcommand (nested ones too) in the list and with a section of its own
/// naming its options; `man`'s formatter reads it without a warning.
#[test]
fn man_page_names_every_subcommand() {
    let o = bin().arg("man").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.starts_with(".TH "), "{}", &page[..page.len().min(200)]);
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    let cmd = <mlcontain::cli::Cli as clap::CommandFactory>::command();
    let mut subs = vec![];
    subcommands(&cmd, "mlcontain", &mut subs);
    assert!(
        subs.len() >= 8,
        "{:?}",
        subs.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    for (name, sub) in &subs {
        let heading = format!(".SH \"{}\"", name.to_uppercase());
        let at = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no section {heading}"));
        let section = &page[at..];
        let section = &section[..section[1..]
            .find(".SH \"")
            .map(|e| e + 1)
            .unwrap_or(section.len())];
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                let roff = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(section.contains(&roff), "{name}: no --{long}");
            }
        }
    }
    // The man formatter reads it (when this system has one).
    let formatted = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    match formatted {
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(page.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && err.trim().is_empty(),
                "groff: {err}"
            );
        }
        Err(_) => eprintln!("SKIP (groff check only): groff is not installed"),
    }
}
