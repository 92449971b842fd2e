//! Every fix mlcontain suggests is one the same host can run (issue 13):
//! on each played host (the fake NVML scenarios) and each fixture project,
//! each `mlcontain init …` that `doctor` prints or that a refusal of
//! `init --yes` prints is run with `--yes --dry-run` and must succeed, and
//! each suggested edit ("edit FILE:LINE: OLD → NEW") is applied to a copy
//! of the project, after which `init --yes --dry-run` must succeed.
//!
//! Skipped host: `hang` (a driver that never answers; doctor's deadline
//! makes it slow, and it suggests nothing to plan).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

fn run(dir: &Path, nvml: &Path, args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        .env("MLCONTAIN_NVML_LIB", nvml)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The `mlcontain init …` commands in backticks.
fn commands(text: &str) -> Vec<Vec<String>> {
    mlcontain::fixes::quoted_commands(text)
        .into_iter()
        .map(|c| {
            let mut words: Vec<String> = c
                .split_whitespace()
                .skip(1) // mlcontain
                .map(str::to_string)
                .collect();
            for w in ["--yes", "--dry-run"] {
                if !words.iter().any(|x| x == w) {
                    words.push(w.into());
                }
            }
            words
        })
        .collect()
}

/// "edit requirements.txt:3: OLD → NEW" edits.
fn edits(text: &str) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for part in text.split("edit ").skip(1) {
        let Some((loc, rest)) = part.split_once(": ") else {
            continue;
        };
        let Some((old, rest)) = rest.split_once(" → ") else {
            continue;
        };
        let new = rest.split_whitespace().next().unwrap_or("").to_string();
        let file = loc
            .rsplit_once(':')
            .map(|(f, _)| f)
            .unwrap_or(loc)
            .to_string();
        out.push((file, old.trim().to_string(), new));
    }
    out
}

#[test]
fn every_suggestion_plans_on_its_host() {
    let projects = [
        "pip-torch",
        "tensorflow",
        "jax",
        "sklearn-cpu",
        "conda-env",
        "uv-project",
        "poetry-project",
        "empty",
    ];
    let mut tried = 0;
    let mut failures = vec![];
    for host in common::fake_nvml::SCENARIOS
        .iter()
        .filter(|h| **h != "hang")
    {
        let nvml = common::fake_nvml::fake_nvml_lib(host);
        for project in projects {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join(project);
            copy_dir(&fixture(project), &dir);
            let (_, doctor) = run(&dir, &nvml, &["doctor".into()]);
            let (code, refusal) = run(
                &dir,
                &nvml,
                &["init".into(), "--yes".into(), "--dry-run".into()],
            );
            let mut texts = vec![("doctor", doctor)];
            if code != 0 {
                texts.push(("init --yes", refusal));
            }
            for (who, text) in &texts {
                for args in commands(text) {
                    tried += 1;
                    let (code, out) = run(&dir, &nvml, &args);
                    if code != 0 {
                        failures.push(format!(
                            "{host}/{project}: {who} suggested `mlcontain {}`, which fails:\n{}",
                            args.join(" "),
                            out.lines().rev().take(4).collect::<Vec<_>>().join("\n")
                        ));
                    }
                }
                for (file, old, new) in edits(text) {
                    tried += 1;
                    let edited = tmp.path().join(format!("{project}-edited"));
                    let _ = std::fs::remove_dir_all(&edited);
                    copy_dir(&dir, &edited);
                    let path = edited.join(&file);
                    let body = std::fs::read_to_string(&path).unwrap();
                    assert!(
                        body.contains(&old),
                        "{host}/{project}: {file} has no {old:?}"
                    );
                    std::fs::write(&path, body.replacen(&old, &new, 1)).unwrap();
                    let (code, out) = run(
                        &edited,
                        &nvml,
                        &["init".into(), "--yes".into(), "--dry-run".into()],
                    );
                    if code != 0 {
                        failures.push(format!(
                            "{host}/{project}: {who} suggested editing {file} to {new}, then init fails:\n{out}"
                        ));
                    }
                }
            }
        }
    }
    eprintln!("suggestions tried: {tried}");
    assert!(tried > 0, "no suggestion was found at all");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
