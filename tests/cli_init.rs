//! `mlcontain init` through the real binary: writing, never clobbering,
//! byte-identical regeneration, --check, --dry-run, and bad input.

mod support;

use std::fs;
use std::path::Path;
use support::mlcontain;

const GENERATED: [&str; 5] = [
    "Dockerfile",
    "compose.yaml",
    ".dockerignore",
    "README.Docker.md",
    "mlcontain.yaml",
];

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read(dir: &Path, f: &str) -> String {
    fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

#[test]
fn fresh_repo_gets_files_and_a_scaffold_then_regenerates_identically() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = mlcontain(
        d,
        &[
            "init",
            "--yes",
            "--framework",
            "pytorch",
            "--python",
            "3.11",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    for f in GENERATED {
        assert!(d.join(f).is_file(), "{f} written");
    }
    for f in ["requirements.txt", "train.py", "serve.py"] {
        assert!(d.join(f).is_file(), "{f} scaffolded");
    }
    let out = text(&o);
    assert!(out.contains("scaffolded requirements.txt"), "{out}");
    let newest = mlcontain::catalog::Catalog::embedded()
        .framework("pytorch")
        .unwrap()
        .releases
        .iter()
        .rev()
        .find(|r| r.supports_python(&"3.11".parse().unwrap()))
        .unwrap()
        .version
        .clone();
    let reqs = read(d, "requirements.txt");
    assert!(reqs.contains(&format!("torch=={newest}+cpu")), "{reqs}");
    assert!(read(d, "mlcontain.yaml").contains("framework: pytorch"));

    // A second run changes nothing; --check agrees.
    let o = mlcontain(d, &["init", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    for f in GENERATED {
        assert!(
            text(&o).contains(&format!("unchanged  {f}")),
            "{}",
            text(&o)
        );
    }
    let o = mlcontain(d, &["init", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A teammate's checkout: same repo and mlcontain.yaml, files regenerated.
    let mate = tempfile::tempdir().unwrap();
    support::copy_dir(d, mate.path());
    for f in [
        "Dockerfile",
        "compose.yaml",
        ".dockerignore",
        "README.Docker.md",
    ] {
        fs::remove_file(mate.path().join(f)).unwrap();
    }
    let o = mlcontain(mate.path(), &["init", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    for f in GENERATED {
        assert_eq!(
            read(d, f),
            read(mate.path(), f),
            "{f} differs for a teammate"
        );
    }
}

#[test]
fn existing_files_are_never_clobbered_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mine = "from sklearn.linear_model import LogisticRegression\nimport joblib\njoblib.dump(LogisticRegression().fit([[0], [1]], [0, 1]), 'm.joblib')\n";
    fs::write(d.join("train.py"), mine).unwrap();
    fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
    let o = mlcontain(d, &["init", "--yes", "--framework", "sklearn"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Dockerfile"), "{out}");
    assert!(out.contains("--force"), "{out}");
    assert!(out.contains("-FROM scratch"), "shows the diff: {out}");
    // Nothing was written, not even the files that did not exist.
    assert_eq!(read(d, "Dockerfile"), "FROM scratch\n");
    assert!(!d.join("compose.yaml").exists());

    let o = mlcontain(d, &["init", "--yes", "--framework", "sklearn", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(read(d, "Dockerfile").contains("FROM base AS runtime"));
    assert_eq!(read(d, "Dockerfile.bak"), "FROM scratch\n");
    // The user's own entry point is kept, even with --force.
    assert_eq!(read(d, "train.py"), mine);
    assert!(read(d, "Dockerfile").contains("CMD [\"python\", \"train.py\"]"));

    // --check notices drift.
    fs::write(d.join("compose.yaml"), "services: {}\n").unwrap();
    let o = mlcontain(d, &["init", "--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("differs: compose.yaml"));
}

#[test]
fn dry_run_prints_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = mlcontain(
        d,
        &["init", "--dry-run", "--framework", "jax", "--cuda", "12.1"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("==> Dockerfile (new) <=="), "{out}");
    assert!(out.contains("jax[cuda12]=="), "{out}");
    assert!(out.contains("driver: nvidia"), "{out}");
    assert_eq!(fs::read_dir(d).unwrap().count(), 0, "dry run wrote files");
}

#[test]
fn bad_input_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("mlcontain.yaml"),
        "framework: pytorch\ncuda: [12.4\n",
    )
    .unwrap();
    let o = mlcontain(d, &["init", "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("mlcontain.yaml: line"), "{out}");
    assert!(!d.join("Dockerfile").exists());

    let empty = tempfile::tempdir().unwrap();
    let o = mlcontain(empty.path(), &["init", "--yes", "--framework", "caffe"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("valid: pytorch, tensorflow, jax"),
        "{}",
        text(&o)
    );
    let o = mlcontain(empty.path(), &["init", "--yes", "--cuda", "twelve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("neither `cpu` nor a CUDA version"),
        "{}",
        text(&o)
    );
    assert_eq!(fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn no_terminal_and_no_yes_says_how_to_run_non_interactively() {
    let dir = tempfile::tempdir().unwrap();
    let o = mlcontain(dir.path(), &["init"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("mlcontain init --yes"), "{}", text(&o));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn incompatible_choice_for_the_saved_config_of_another_host_still_regenerates() {
    // mlcontain.yaml written for a CUDA 13 machine; this host has no GPU:
    // regenerating works (the files describe the repository, not this host).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = mlcontain(
        d,
        &["init", "--yes", "--framework", "pytorch", "--cuda", "13.0"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(read(d, "mlcontain.yaml").contains("cuda: '13.0'"));
    let df = read(d, "Dockerfile");
    assert!(df.contains("NVIDIA_REQUIRE_CUDA=\"cuda>=13.0\""), "{df}");
    let o = mlcontain(d, &["init", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn malformed_manifests_are_named_and_nothing_is_written() {
    let dir = support::copy_fixture("malformed");
    let d = dir.path();
    let o = mlcontain(d, &["init", "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("requirements.txt:2: cannot parse requirement"),
        "{out}"
    );
    assert!(out.contains("pyproject.toml:5: invalid TOML"), "{out}");
    assert!(out.contains("environment.yml:4: invalid YAML"), "{out}");
    assert!(!d.join("Dockerfile").exists());
    assert!(!d.join("mlcontain.yaml").exists());
    // --dry-run still shows what would be written, with the problems as warnings.
    let o = mlcontain(d, &["init", "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("warning: requirements.txt:2"),
        "{}",
        text(&o)
    );
}

#[test]
fn bytecode_is_off_by_default_and_a_choice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = mlcontain(d, &["init", "--dry-run", "--framework", "sklearn"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        out.contains("pip install --no-compile -r requirements.txt"),
        "{out}"
    );
    assert!(!out.contains("PIP_NO_COMPILE"), "{out}");
    let o = mlcontain(
        d,
        &["init", "--dry-run", "--framework", "sklearn", "--bytecode"],
    );
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("pip install -r requirements.txt"), "{out}");
    assert!(
        out.contains("bytecode: true"),
        "saved in mlcontain.yaml: {out}"
    );
    let o = mlcontain(
        d,
        &[
            "init",
            "--dry-run",
            "--package-manager",
            "uv",
            "--framework",
            "none",
            "--bytecode",
        ],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("UV_COMPILE_BYTECODE=1"));
}

/// `--training FILE|none`: a candidate the scan found runs, is saved in
/// mlcontain.yaml and regenerates identically; an unknown file is refused
/// with the candidates, nothing written.
#[test]
fn the_training_entry_point_can_be_chosen() {
    let tmp = support::copy_fixture("torch-jax-close");
    let d = tmp.path();
    let o = mlcontain(d, &["init", "--dry-run", "--training", "nope.py"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("nope.py") && t.contains("train.py") && t.contains("jax_fit.py"),
        "{t}"
    );
    let o = mlcontain(
        d,
        &[
            "init",
            "--yes",
            "--framework",
            "jax",
            "--cuda",
            "cpu",
            "--training",
            "jax_fit.py",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(read(d, "mlcontain.yaml").contains("training: jax_fit.py"));
    assert!(
        read(d, "Dockerfile").contains("jax_fit.py"),
        "{}",
        read(d, "Dockerfile")
    );
    let o = mlcontain(d, &["init", "--check"]);
    assert!(o.status.success(), "{}", text(&o));
}
