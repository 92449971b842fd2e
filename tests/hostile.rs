//! Hostile input (issue 9): each finding of the adversarial pass, reproduced
//! against the real binary (and, where it is about images, the real Docker
//! engine with `--network none`). The property tests live in
//! tests/hostile_fuzz.rs.

mod common;
mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use support::mlcontain;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write(dir: &Path, rel: &str, contents: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, contents).unwrap();
}

const GENERATED: [&str; 5] = [
    "Dockerfile",
    "compose.yaml",
    ".dockerignore",
    "README.Docker.md",
    "mlcontain.yaml",
];

fn assert_nothing_written(dir: &Path) {
    for f in GENERATED {
        assert!(!dir.join(f).exists(), "{f} was written");
    }
}

/// The file `--dry-run` prints under `==> NAME (...) <==`.
fn dry_run_file(out: &str, name: &str) -> String {
    let start = out
        .find(&format!("==> {name} ("))
        .unwrap_or_else(|| panic!("{name} not in the dry run:\n{out}"));
    let body = &out[start..];
    let body = &body[body.find("<==\n").unwrap() + 4..];
    let end = body.find("\n==> ").unwrap_or(body.len());
    body[..end].trim_end_matches('\n').to_string() + "\n"
}

const INJECTED: &str = "requirements-x\nFROM base AS builder\nRUN touch pwned\n#.txt";

// ---------------------------------------------------------------------------
// 1. Dockerfile injection through a file name

#[test]
fn a_file_name_with_a_newline_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "");
    write(d, INJECTED, "");
    write(d, "train.py", "print('hi')\n");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("requirements-x\\nFROM base AS builder\\nRUN touch pwned\\n#.txt"),
        "the file is named, escaped: {out}"
    );
    assert!(out.contains("newline"), "{out}");
    assert!(out.contains("nothing was written"), "{out}");
    assert_nothing_written(d);
}

#[test]
fn names_a_copy_would_read_as_syntax_are_refused() {
    for name in [
        "requirements-$HOME.txt",
        "requirements-*.txt",
        "requirements-a\\b.txt",
        "requirements-'q.txt",
        "requirements-\u{1b}]0;owned\u{7}.txt",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, name, "");
        let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name:?}: {out}");
        assert!(
            !out.contains('\u{1b}'),
            "a raw escape reached the terminal: {out:?}"
        );
        assert_nothing_written(d);
    }
}

#[test]
fn dry_run_previews_and_lists_the_unsafe_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, INJECTED, "");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none", "--dry-run"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("Problems (init refuses to write"), "{out}");
    assert!(out.contains("requirements-x\\nFROM"), "{out}");
    let df = dry_run_file(&String::from_utf8_lossy(&o.stdout), "Dockerfile");
    // The name is JSON-encoded: no line of the Dockerfile starts with the
    // injected instruction.
    assert!(!df.lines().any(|l| l.starts_with("RUN touch")), "{df}");
    assert_nothing_written(d);
}

fn image_gone(tag: &str) {
    let _ = Command::new("docker")
        .args(["image", "rm", "--force", tag])
        .output();
}

struct Image(String);
impl Drop for Image {
    fn drop(&mut self) {
        image_gone(&self.0);
    }
}

fn docker_build(dir: &Path, dockerfile: &Path, target: &str, tag: &str) -> Output {
    Command::new("docker")
        .args(["build", "--network", "none", "--progress", "plain"])
        .args(["--target", target, "-t", tag, "-f"])
        .arg(dockerfile)
        .arg(dir)
        .env("DOCKER_BUILDKIT", "1")
        .output()
        .expect("docker build")
}

fn docker_run(tag: &str, script: &str) -> String {
    let o = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "sh",
            tag,
            "-c",
        ])
        .arg(script)
        .output()
        .expect("docker run");
    assert!(o.status.success(), "docker run: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A project whose manifests are named to break out of a COPY or RUN: the
/// dry run's Dockerfile builds with no network and runs none of them.
#[test]
fn hostile_names_build_without_network_and_run_nothing() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = [
        "requirements-a;touch pwned1;#.txt",
        "requirements-&& touch pwned2 .txt",
        "requirements-|touch pwned3|.txt",
        "requirements-(x){y}~!%=,é.txt",
        "requirements- --from=builder.txt",
        INJECTED,
    ];
    for n in names {
        write(d, n, "");
    }
    write(d, "train.py", "print('hi')\n");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none", "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    let df = dry_run_file(&String::from_utf8_lossy(&o.stdout), "Dockerfile");
    let df_path = d.join("Dockerfile.hostile");
    fs::write(&df_path, &df).unwrap();
    let tag = format!("i9-hostile-names-{}", std::process::id());
    let _img = Image(tag.clone());
    let b = docker_build(d, &df_path, "runtime", &tag);
    assert!(b.status.success(), "build failed:\n{}\n{df}", text(&b));
    let found = docker_run(
        &tag,
        "find / -xdev -name 'pwned*' -type f 2>/dev/null; ls -1 /app",
    );
    assert!(
        !found.contains("/pwned"),
        "an injected command ran: {found}"
    );
    for n in names.iter().filter(|n| !n.contains('\n')) {
        assert!(found.lines().any(|l| l == *n), "{n} not in /app: {found}");
    }
}

// ---------------------------------------------------------------------------
// 2. Secrets copied into the image

/// Every secret family of the finding, at the top and nested.
const SECRETS: &[&str] = &[
    ".env",
    "src/pkg/.env",
    "src/pkg/.env.production",
    "credentials.json",
    "src/credentials.json",
    ".ssh/id_ed25519",
    "deploy/.ssh/id_rsa",
    "src/id_ecdsa",
    ".docker/config.json",
    "ops/.docker/config.json",
    ".kube/config",
    "ops/.kube/config",
    ".git-credentials",
    "src/.git-credentials",
    ".npmrc",
    "web/.npmrc",
    ".huggingface/token",
    "src/.huggingface/token",
    ".cache/huggingface/token",
    "kaggle.json",
    "src/kaggle.json",
    ".kaggle/kaggle.json",
    "service-account.json",
    "ops/service-account-prod.json",
    "client_secret.json",
    "ops/client_secret_123.apps.json",
    ".vault-token",
    "ops/.vault-token",
    ".envrc",
    "src/.envrc",
    "terraform.tfstate",
    "infra/terraform.tfstate",
    "infra/terraform.tfstate.backup",
    "certs/client.p12",
    "src/cert.pfx",
    "tls/server.pem",
    "tls/server.key",
    ".aws/credentials",
    "ops/.aws/credentials",
    ".netrc",
    ".pypirc",
    "ops/.netrc",
    "ops/.pypirc",
    "pip.conf",
    "conf/pip.conf",
    "pip.ini",
    "ops/pip.ini",
    "poetry.toml",
    "sub/poetry.toml",
    "uv.toml",
    "sub/uv.toml",
    "secrets/token.txt",
    "src/secrets/token.txt",
    "src/wandb/run-1/files/config.yaml",
    "experiments/mlruns/0/meta.yaml",
    "web/node_modules/left-pad/index.js",
    "models-local/llama.gguf",
    "src/model.keras",
    ".Dockerfile.mlcontain-123-0.tmp",
    "src/.x.mlcontain-9-1.tmp",
    "vendor/lib/.git/config",
];

/// The code that must still be in /app.
const CODE: &[&str] = &[
    "train.py",
    "src/pkg/__init__.py",
    "src/pkg/model.py",
    "requirements.txt",
];

#[test]
fn no_secret_family_reaches_the_image() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for s in SECRETS {
        write(d, s, "SECRET-VALUE\n");
    }
    write(d, "requirements.txt", "");
    write(d, "train.py", "print('hi')\n");
    write(d, "src/pkg/__init__.py", "");
    write(d, "src/pkg/model.py", "X = 1\n");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
    assert!(o.status.success(), "{}", text(&o));
    let tag = format!("i9-secrets-{}", std::process::id());
    let _img = Image(tag.clone());
    let b = docker_build(d, &d.join("Dockerfile"), "runtime", &tag);
    assert!(b.status.success(), "build failed:\n{}", text(&b));
    let listing = docker_run(&tag, "cd /app && find . -type f | sed 's|^./||' | sort; grep -rl SECRET-VALUE /app /opt /home /root /tmp 2>/dev/null || true");
    let files: Vec<&str> = listing.lines().collect();
    let leaked: Vec<&&str> = SECRETS
        .iter()
        .filter(|s| {
            let in_app = format!("/app/{s}");
            files.iter().any(|f| f == *s || *f == in_app)
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "secrets in the image: {leaked:?}\n{listing}"
    );
    assert!(
        !listing.contains("/app/"),
        "a file holding the secret: {listing}"
    );
    for c in CODE {
        assert!(files.contains(c), "{c} missing from /app: {listing}");
    }
}

// ---------------------------------------------------------------------------
// 3. Index credentials

const PASSWORD: &str = "s3cretpass";

fn credential_project(d: &Path) {
    write(
        d,
        "requirements.txt",
        &format!("--extra-index-url https://user:{PASSWORD}@127.0.0.1:9/simple\n"),
    );
    write(d, "requirements-dev.txt", "-r requirements.txt\n");
    write(d, "train.py", "print('hi')\n");
}

#[test]
fn index_credentials_are_redacted_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    credential_project(d);
    write(
        d,
        "sub/pyproject.toml",
        &format!("[project]\nname = \"x\"\n[[tool.uv.index]]\nurl = \"https://tok:{PASSWORD}@pkgs.example/simple\"\n"),
    );
    for args in [
        &["detect"][..],
        &["detect", "--json"],
        &["init", "--yes", "--framework", "none", "--dry-run"],
        &["init", "--yes", "--framework", "none", "--json"],
        &["init", "--yes", "--framework", "none"],
        &["init", "--check"],
    ] {
        let o = mlcontain(d, args);
        let out = text(&o);
        assert!(
            !out.contains(PASSWORD),
            "{args:?} printed the password:\n{out}"
        );
        if args[0] == "detect" {
            assert!(
                out.contains("https://***@127.0.0.1:9/simple"),
                "{args:?}: {out}"
            );
        }
    }
    let o = mlcontain(d, &["init", "--yes", "--framework", "none", "--dry-run"]);
    assert!(
        text(&o).contains("requirements.txt:1: a URL holds credentials"),
        "a warning names the file and line: {}",
        text(&o)
    );
    // The pyproject of a uv project says so too.
    let o = mlcontain(&d.join("sub"), &["detect", "--json"]);
    let out = text(&o);
    assert!(
        !out.contains(PASSWORD) && out.contains("https://***@pkgs.example/simple"),
        "{out}"
    );
    // No generated file holds it; the manifest is kept out of the context,
    // and mounted as a secret where pip reads it.
    for f in GENERATED {
        let t = fs::read_to_string(d.join(f)).unwrap();
        assert!(!t.contains(PASSWORD), "{f} holds the password");
    }
    let ignore = fs::read_to_string(d.join(".dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "/requirements.txt"), "{ignore}");
    let df = fs::read_to_string(d.join("Dockerfile")).unwrap();
    assert!(
        df.contains(
            "--mount=type=secret,id=requirements.txt,target=/app/requirements.txt,required=true"
        ),
        "{df}"
    );
    assert!(!df.contains("COPY requirements.txt"), "{df}");
    let readme = fs::read_to_string(d.join("README.Docker.md")).unwrap();
    assert!(readme.contains("RUN --mount=type=secret"), "{readme}");
    assert!(
        readme.contains("--secret id=requirements.txt,src=requirements.txt"),
        "{readme}"
    );
    // The compose lines to use, as compose.yaml has them.
    assert!(
        readme.contains("secrets:\n  requirements.txt:\n    file: ./requirements.txt\n"),
        "{readme}"
    );
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    assert!(
        compose.contains("secrets:\n  requirements.txt:\n    file: ./requirements.txt"),
        "{compose}"
    );
}

#[test]
fn a_credential_manifest_never_enters_an_image() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    credential_project(d);
    // train.py does not train (issue 10: stages follow the code), so the
    // training target is asked for.
    let o = mlcontain(
        d,
        &[
            "init",
            "--yes",
            "--framework",
            "none",
            "--stages",
            "training,dev",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    if support::docker_compose().is_some() {
        let c = Command::new("docker")
            .args(["compose", "config", "--quiet"])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(c.status.success(), "compose config: {}", text(&c));
    }
    let tag = format!("i9-cred-{}", std::process::id());
    for target in ["training", "dev"] {
        let image = format!("{tag}-{target}");
        let _img = Image(image.clone());
        // mlcontain build passes the secret itself (--secret id=...,src=...).
        let b = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
            .args(["--dir"])
            .arg(d)
            .args([
                "build",
                "--target",
                target,
                "--tag",
                &image,
                "--",
                "--network",
                "none",
            ])
            .output()
            .unwrap();
        assert!(b.status.success(), "{target}: {}", text(&b));
        assert!(
            text(&b).contains("--secret id=requirements.txt,src="),
            "{}",
            text(&b)
        );
        let found = docker_run(
            &image,
            "ls -1 /app; grep -rl s3cretpass /app /opt /home /tmp 2>/dev/null || true",
        );
        assert!(
            !found.lines().any(|l| l == "requirements.txt"),
            "{target}: {found}"
        );
        assert!(
            !found.contains(PASSWORD) && !found.contains('/'),
            "{target}: {found}"
        );
        assert!(found.lines().any(|l| l == "train.py"), "{target}: {found}");
    }
}

// ---------------------------------------------------------------------------
// 4. Backups

fn backups(dir: &Path, name: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(&format!("{name}.bak")))
        .collect();
    v.sort();
    v
}

#[test]
fn a_backup_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "");
    write(d, "Dockerfile", "FROM user-original\n");
    write(d, "Dockerfile.bak", "the user's own backup\n");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("old copy: Dockerfile.bak.1"),
        "{}",
        text(&o)
    );
    assert_eq!(
        fs::read_to_string(d.join("Dockerfile.bak")).unwrap(),
        "the user's own backup\n"
    );
    assert_eq!(
        fs::read_to_string(d.join("Dockerfile.bak.1")).unwrap(),
        "FROM user-original\n"
    );
    // A second --force with other answers backs up mlcontain's first output
    // under a new name; the original stays.
    let o = mlcontain(
        d,
        &[
            "init",
            "--yes",
            "--framework",
            "none",
            "--python",
            "3.11",
            "--force",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        backups(d, "Dockerfile"),
        ["Dockerfile.bak", "Dockerfile.bak.1", "Dockerfile.bak.2"]
    );
    assert_eq!(
        fs::read_to_string(d.join("Dockerfile.bak.1")).unwrap(),
        "FROM user-original\n"
    );
    assert!(fs::read_to_string(d.join("Dockerfile.bak.2"))
        .unwrap()
        .contains("Generated by mlcontain"));
}

#[test]
fn ten_parallel_forced_runs_keep_every_original() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "");
    let originals: Vec<(&str, String)> = GENERATED
        .iter()
        .filter(|f| **f != "mlcontain.yaml")
        .map(|f| (*f, format!("# the user's own {f}\n")))
        .collect();
    for (f, t) in &originals {
        write(d, f, t);
    }
    let bin = env!("CARGO_BIN_EXE_mlcontain");
    let children: Vec<std::process::Child> = (0..10)
        .map(|i| {
            let py = ["3.11", "3.12"][i % 2];
            Command::new(bin)
                .args([
                    "init",
                    "--yes",
                    "--framework",
                    "none",
                    "--force",
                    "--python",
                    py,
                    "--dir",
                ])
                .arg(d)
                .env("MLCONTAIN_NVML_LIB", "/nonexistent/libnvidia-ml.so.1")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    for (f, original) in &originals {
        let kept = backups(d, f)
            .iter()
            .filter(|b| fs::read_to_string(d.join(b)).unwrap() == *original)
            .count();
        assert_eq!(
            kept,
            1,
            "{f}: the original is in exactly one backup: {:?}",
            backups(d, f)
        );
        // Every backup is a whole file: the original or a complete mlcontain output.
        for b in backups(d, f) {
            let t = fs::read_to_string(d.join(&b)).unwrap();
            assert!(t == *original || t.contains("mlcontain"), "{b}: {t}");
        }
    }
    let names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn temp_files_of_an_interrupted_run_are_removed_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "");
    // PID 999999999 cannot exist.
    write(d, ".Dockerfile.mlcontain-999999999-0.tmp", "half");
    write(d, ".compose.yaml.bak.mlcontain-999999999-3.tmp", "half");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("removed    .Dockerfile.mlcontain-999999999-0.tmp"),
        "{}",
        text(&o)
    );
    assert!(!d.join(".Dockerfile.mlcontain-999999999-0.tmp").exists());
    assert!(!d
        .join(".compose.yaml.bak.mlcontain-999999999-3.tmp")
        .exists());
    let ignore = fs::read_to_string(d.join(".dockerignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l == "**/.*.mlcontain-*.tmp"),
        "{ignore}"
    );
}

/// A write failing part-way (here: a file-size limit, EFBIG) names what was
/// written and what was not.
#[cfg(unix)]
#[test]
fn a_failed_write_names_what_was_and_was_not_written() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
    assert!(o.status.success(), "{}", text(&o));
    // Dockerfile stays as it is; the others are written again.
    for f in [
        "compose.yaml",
        ".dockerignore",
        "README.Docker.md",
        "mlcontain.yaml",
    ] {
        fs::remove_file(d.join(f)).unwrap();
    }
    let small = fs::metadata(d.join("Dockerfile")).unwrap().len(); // > compose.yaml
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlcontain"));
    cmd.args(["init", "--yes", "--framework", "none", "--dir"])
        .arg(d)
        .env("MLCONTAIN_NVML_LIB", "/nonexistent/libnvidia-ml.so.1")
        .stdin(std::process::Stdio::null());
    let cap = 1600u64;
    assert!(
        small > cap,
        "the Dockerfile ({small} bytes) is over the limit"
    );
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let l = libc::rlimit {
                rlim_cur: cap,
                rlim_max: cap,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &l);
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains(".dockerignore"), "{out}");
    assert!(out.contains("written: compose.yaml\n"), "{out}");
    assert!(
        out.contains("not written: .dockerignore, README.Docker.md, mlcontain.yaml"),
        "{out}"
    );
    assert!(d.join("compose.yaml").is_file() && !d.join(".dockerignore").exists());
}

// ---------------------------------------------------------------------------
// 5/6. Links, FIFOs, devices, sizes

#[cfg(unix)]
#[test]
fn a_generated_path_that_is_a_link_is_never_read_or_copied() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "");
    let secret = dir.path().join("outside-key");
    fs::write(&secret, "-----BEGIN OPENSSH PRIVATE KEY----- SECRET\n").unwrap();
    std::os::unix::fs::symlink(&secret, d.join("compose.yaml")).unwrap();
    for args in [
        &["init", "--check"][..],
        &["init", "--yes", "--framework", "none", "--force"],
        &["init", "--yes", "--framework", "none", "--dry-run"],
    ] {
        let o = mlcontain(d, args);
        let out = text(&o);
        assert!(
            !out.contains("SECRET"),
            "{args:?} printed the link's target:\n{out}"
        );
        if args.contains(&"--force") {
            assert_eq!(o.status.code(), Some(2), "{out}");
            assert!(out.contains("compose.yaml is a symbolic link"), "{out}");
        }
    }
    assert!(!d.join("compose.yaml.bak").exists());
    assert!(fs::symlink_metadata(d.join("compose.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
    // A manifest that is a link to /etc/shadow-like content is not read either.
    let dir2 = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&secret, dir2.path().join("requirements.txt")).unwrap();
    let o = mlcontain(dir2.path(), &["init", "--yes", "--framework", "none"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("requirements.txt: cannot read: it is a symbolic link"),
        "{out}"
    );
    assert!(!out.contains("SECRET"), "{out}");
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// The binary, killed after `secs`: a hang fails the test instead of
/// hanging it.
fn mlcontain_within(dir: &Path, args: &[&str], secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        .env("MLCONTAIN_NVML_LIB", "/nonexistent/libnvidia-ml.so.1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("mlcontain {args:?} still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_never_hang_a_run() {
    for name in [
        "Dockerfile",
        "mlcontain.yaml",
        "train.py",
        "requirements.txt",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        if name != "requirements.txt" {
            write(d, "requirements.txt", "");
        }
        mkfifo(&d.join(name));
        let o = mlcontain_within(d, &["init", "--yes", "--framework", "none"], 20);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {out}");
        assert!(
            out.contains(&format!("{name} is a FIFO"))
                || out.contains(&format!("{name}: cannot read: it is a FIFO")),
            "{name}: {out}"
        );
        for f in GENERATED.iter().filter(|f| **f != name) {
            assert!(!d.join(f).exists(), "{name}: {f} was written");
        }
    }
    // A link to /dev/zero is a link (not followed); /dev/zero itself is a device.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("requirements.txt")).unwrap();
    let o = mlcontain_within(dir.path(), &["init", "--yes", "--framework", "none"], 20);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn an_oversized_manifest_is_an_error_not_a_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut big = String::from("numpy==1.26.4\n");
    while big.len() <= 4 * 1024 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    write(d, "requirements.txt", &big);
    let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("requirements.txt: cannot read: it is larger than 4194304 bytes"),
        "{out}"
    );
    assert_nothing_written(d);
}

#[test]
fn a_deeply_nested_environment_file_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 400 KB of nested flow collections.
    let n = 100_000;
    write(
        d,
        "environment.yml",
        &format!(
            "dependencies: {}{}\n",
            "[{a: ".repeat(n / 5),
            "}]".repeat(n / 5)
        ),
    );
    let start = std::time::Instant::now();
    let o = mlcontain_within(d, &["init", "--yes", "--dry-run"], 30);
    let out = text(&o);
    assert!(
        out.contains("environment.yml:1: invalid YAML: nested deeper than 64 levels"),
        "{out}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}

// ---------------------------------------------------------------------------
// 9. The smaller items

#[test]
fn python_and_uid_flags_are_strict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "");
    for bad in ["3.011", "+3.+11", "3", "3.11.2", "3.x", "03.11"] {
        let o = mlcontain(
            d,
            &[
                "init",
                "--yes",
                "--framework",
                "none",
                "--dry-run",
                "--python",
                bad,
            ],
        );
        assert_eq!(o.status.code(), Some(2), "--python {bad}: {}", text(&o));
        assert!(text(&o).contains("3.Y"), "--python {bad}: {}", text(&o));
    }
    let o = mlcontain(
        d,
        &[
            "init",
            "--yes",
            "--framework",
            "none",
            "--dry-run",
            "--python",
            "3.11",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = mlcontain(d, &["init", "--yes", "--framework", "none", "--uid", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--allow-low-uid"), "{}", text(&o));
    assert_nothing_written(d);
    let o = mlcontain(
        d,
        &[
            "init",
            "--yes",
            "--framework",
            "none",
            "--dry-run",
            "--uid",
            "999",
            "--allow-low-uid",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn versions_in_mlcontain_yaml_are_read_as_written() {
    use mlcontain::choices::{quote_version_scalars, Accel};
    let q = quote_version_scalars("framework: none\ncuda: 12.10   # comment\npython: 3.10\r\n");
    assert_eq!(
        q,
        "framework: none\ncuda: '12.10' # comment\npython: '3.10'\r\n"
    );
    let a: Accel = serde_yaml::from_str("'12.10'").unwrap();
    assert_eq!(a.to_string(), "12.10");
    let e = serde_yaml::from_str::<Accel>("12.1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("ambiguous") && e.contains("quotes"), "{e}");
    // Through the binary: an unquoted python: 3.10 is Python 3.10, not 3.1.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "");
    let o = mlcontain(
        d,
        &["init", "--yes", "--framework", "none", "--python", "3.10"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let cfg = fs::read_to_string(d.join("mlcontain.yaml")).unwrap();
    fs::write(
        d.join("mlcontain.yaml"),
        cfg.replace("python: '3.10'", "python: 3.10"),
    )
    .unwrap();
    let o = mlcontain(d, &["init", "--yes", "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("FROM python:3.10-slim"), "{}", text(&o));
}

#[test]
fn bom_and_cr_line_ends_are_read_like_pip() {
    use mlcontain::detect::project::parse_requirements;
    let p = parse_requirements(
        "\u{feff}torch==2.5.1\rnumpy\r-r base.txt\r",
        "requirements.txt",
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.pins.len(), 1);
    assert_eq!(p.includes.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "\u{feff}numpy==1.26.4\r\nscipy\r");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn terminal_escapes_from_manifests_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "requirements.txt",
        "torch==\u{1b}]0;owned\u{7}\u{1b}[2J\n",
    );
    for args in [
        &["detect"][..],
        &["init", "--yes", "--dry-run"],
        &["init", "--yes"],
    ] {
        let o = mlcontain(d, args);
        let out = text(&o);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{args:?}: {out:?}"
        );
    }
    let o = mlcontain(d, &["init", "--yes"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a malformed pin blocks writing: {}",
        text(&o)
    );
}

// ---------------------------------------------------------------------------
// 7. Broken manifests block writing

#[test]
fn every_malformed_requirement_blocks_writing_naming_file_and_line() {
    for (line, expect) in [
        (
            "torch==",
            "requirements.txt:2: cannot parse requirement `torch==`: Unexpected end of version specifier",
        ),
        (
            "torch=2.5",
            "requirements.txt:2: cannot parse requirement `torch=2.5`: no such comparison operator \"=\"",
        ),
        (
            "torch[cuda==1",
            "requirements.txt:2: cannot parse requirement `torch[cuda==1`: Invalid character in extras name",
        ),
        (
            "torch @",
            "requirements.txt:2: cannot parse requirement `torch @`: Expected URL",
        ),
        (
            "-r missing.txt",
            "requirements.txt:2: included file `missing.txt` not found",
        ),
        (
            "--extra-index-url",
            "requirements.txt:2: `--extra-index-url` is missing its value",
        ),
        ("-c", "requirements.txt:2: `-c` is missing its value"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "requirements.txt", &format!("numpy==1.26.4\n{line}\n"));
        let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{line}: {out}");
        assert!(out.contains(expect), "{line}: {out}");
        assert_nothing_written(d);
        let o = mlcontain(d, &["init", "--yes", "--framework", "none", "--dry-run"]);
        let out = text(&o);
        assert!(o.status.success(), "{line}: {out}");
        assert!(
            out.contains("Problems (init refuses to write") && out.contains(expect),
            "{line}: {out}"
        );
        assert_nothing_written(d);
    }
}

/// A crashing or hanging NVML library costs "NVML unavailable", not the
/// run: the probe runs in a child process.
#[test]
fn a_crashing_nvml_library_is_nvml_unavailable() {
    let project = tempfile::tempdir().unwrap();
    write(project.path(), "requirements.txt", "");
    let lib_dir = common::fake_nvml::fake_nvml_dir(None);
    for (scenario, expect) in [
        ("crash", "the NVML library crashed (signal 6 (SIGABRT))"),
        ("segv", "the NVML library crashed (signal 11 (SIGSEGV))"),
        ("hang", "NVML did not answer"),
    ] {
        for args in [
            &["detect", "--json"][..],
            &["init", "--yes", "--framework", "none", "--dry-run"],
        ] {
            let start = std::time::Instant::now();
            let o = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
                .arg("--dir")
                .arg(project.path())
                .args(args)
                .env("LD_LIBRARY_PATH", &lib_dir)
                .env("FAKE_NVML_SCENARIO", scenario)
                .env_remove("MLCONTAIN_NVML_LIB")
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            let out = text(&o);
            assert!(o.status.success(), "{scenario} {args:?}: {out}");
            assert!(out.contains(expect), "{scenario} {args:?}: {out}");
            assert!(
                start.elapsed() < std::time::Duration::from_secs(25),
                "{scenario}: {:?}",
                start.elapsed()
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 8. Dockerfiles that fail to build (the real builds: tests/e2e_layouts.rs)

#[test]
fn includes_are_copied_wherever_they_live_and_outside_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "requirements.txt",
        "-r deps/base.txt\n-c constraints/pins.txt\n",
    );
    write(d, "deps/base.txt", "-r ../shared/common.txt\nsix\n");
    write(d, "shared/common.txt", "idna\n");
    write(d, "constraints/pins.txt", "six==1.16.0\n");
    write(
        d,
        "requirements-dev.txt",
        "-r requirements.txt\n-r tools/lint.txt\n",
    );
    write(d, "tools/lint.txt", "iniconfig\n");
    let o = mlcontain(
        d,
        &[
            "init",
            "--yes",
            "--framework",
            "none",
            "--stages",
            "training,dev",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let df = fs::read_to_string(d.join("Dockerfile")).unwrap();
    let builder = &df[df.find("AS builder").unwrap()..df.find("AS runtime").unwrap()];
    for f in ["deps/base.txt", "shared/common.txt", "constraints/pins.txt"] {
        let (dir, name) = f.split_once('/').unwrap();
        assert!(
            builder.lines().any(|l| l.starts_with("COPY ")
                && l.contains(f)
                && l.ends_with(&format!(" {dir}/"))),
            "{f} ({name}) is not copied into the builder:\n{builder}"
        );
    }
    // The dev file's own include goes in the dev stage, not the builder.
    assert!(!builder.contains("tools/lint.txt"), "{builder}");
    let dev = &df[df.find("AS dev").unwrap()..];
    assert!(dev.contains("tools/lint.txt tools/"), "{dev}");
    assert!(dev.contains("requirements-dev.txt"), "{dev}");

    // An include outside the repository: refused, naming file and line.
    for (inc, why) in [
        ("../outside.txt", "is outside the project"),
        ("/etc/passwd", "is outside the project"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("repo");
        write(&d, "requirements.txt", &format!("six\n-c {inc}\n"));
        write(dir.path(), "outside.txt", "six==1.16.0\n");
        let o = mlcontain(&d, &["init", "--yes", "--framework", "none"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{inc}: {out}");
        assert!(
            out.contains(&format!("requirements.txt:2: included file `{inc}` {why}")),
            "{inc}: {out}"
        );
        assert_nothing_written(&d);
    }

    // A chain deeper than the bound: refused, not silently cut.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "-r r1.txt\n");
    for i in 1..=10 {
        write(d, &format!("r{i}.txt"), &format!("-r r{}.txt\n", i + 1));
    }
    write(d, "r11.txt", "six\n");
    let o = mlcontain(d, &["init", "--yes", "--framework", "none"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("is more than 8 includes deep"), "{out}");
    assert_nothing_written(d);
}

#[test]
fn an_editable_install_gets_the_code_before_it_and_code_folders_keep_no_volume() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "six\n-e .\n");
    write(
        d,
        "pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"0.1\"\n",
    );
    write(d, "models/__init__.py", "");
    write(
        d,
        "train.py",
        "import models\nimport torch\nloss.backward()\noptimizer.step()\n",
    );
    let o = mlcontain(
        d,
        &[
            "init",
            "--yes",
            "--framework",
            "none",
            "--stages",
            "training",
        ],
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("requirements.txt:2 `-e .` installs the project's own code"),
        "the warning names the line: {out}"
    );
    let df = fs::read_to_string(d.join("Dockerfile")).unwrap();
    let builder = &df[df.find("AS builder").unwrap()..df.find("AS runtime").unwrap()];
    let code = builder
        .find("COPY . /app")
        .expect("the code in the builder");
    let install = builder.find("pip install").unwrap();
    assert!(code < install, "{builder}");
    // models/ is the project's code: the models volume goes elsewhere.
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    assert!(!compose.contains("models:/app/models"), "{compose}");
    assert!(df.contains("MODEL_DIR=/app/checkpoints"), "{df}");
}

#[test]
fn a_lock_whose_sources_hold_credentials_is_a_secret_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\ndependencies = [\"six==1.16.0\"]\n",
    );
    write(
        d,
        "uv.lock",
        &format!(
            "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"six\"\nversion = \"1.16.0\"\nsource = {{ registry = \"https://user:{PASSWORD}@pkgs.example/simple\" }}\n"
        ),
    );
    write(d, "train.py", "print('hi')\n");
    let args = [
        "init",
        "--yes",
        "--framework",
        "none",
        "--package-manager",
        "uv",
    ];
    let o = mlcontain(d, &[&args[..], &["--dry-run"]].concat());
    let out = text(&o);
    assert!(!out.contains(PASSWORD), "printed the password:\n{out}");
    assert!(
        out.contains("uv.lock:7: a URL holds credentials"),
        "a warning names the lock and its line:\n{out}"
    );
    let o = mlcontain(d, &args);
    assert!(o.status.success(), "{}", text(&o));
    for f in GENERATED {
        let t = fs::read_to_string(d.join(f)).unwrap();
        assert!(!t.contains(PASSWORD), "{f} holds the password");
    }
    let ignore = fs::read_to_string(d.join(".dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "/uv.lock"), "{ignore}");
    let df = fs::read_to_string(d.join("Dockerfile")).unwrap();
    assert!(
        df.contains("--mount=type=secret,id=uv.lock,target=/app/uv.lock,required=true"),
        "{df}"
    );
    assert!(
        !df.lines()
            .any(|l| l.starts_with("COPY") && l.contains("uv.lock")),
        "the lock is never copied:\n{df}"
    );
    let o = mlcontain(d, &["detect", "--json"]);
    assert!(!text(&o).contains(PASSWORD), "{}", text(&o));
}

// ---------------------------------------------------------------------------
// 3b. Package tools' configuration files holding credentials

/// (path, contents, the line a warning names) for each tool's file, at the
/// top and nested.
fn tool_configs() -> Vec<(&'static str, String, usize)> {
    vec![
        (
            "pip.conf",
            format!("[global]\ntimeout = 30\nextra-index-url = https://me:{PASSWORD}@pkgs.example/simple\n"),
            3,
        ),
        (
            "conf/pip.ini",
            format!("[global]\nindex-url = https://me:{PASSWORD}@pkgs.example/simple\n"),
            2,
        ),
        (
            "ops/poetry.toml",
            format!("[virtualenvs]\ncreate = false\n\n[http-basic.corp]\nusername = \"me\"\npassword = \"{PASSWORD}\"\n"),
            6,
        ),
        (
            ".pypirc",
            format!("[distutils]\nindex-servers = corp\n\n[corp]\nrepository = https://pkgs.example/\nusername = me\npassword = {PASSWORD}\n"),
            7,
        ),
        (
            "deploy/.netrc",
            format!("machine pkgs.example\n  login me\n  password {PASSWORD}\n"),
            3,
        ),
        (
            "sub/uv.toml",
            format!("[[index]]\nname = \"corp\"\nurl = \"https://me:{PASSWORD}@pkgs.example/simple\"\n"),
            3,
        ),
    ]
}

#[test]
fn tool_configs_with_credentials_are_named_redacted_and_kept_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "requirements.txt", "six==1.16.0\n");
    write(d, "train.py", "print('hi')\n");
    for (path, contents, _) in tool_configs() {
        write(d, path, &contents);
    }
    let init = ["init", "--yes", "--framework", "none"];
    for args in [
        &["detect"][..],
        &["detect", "--json"],
        &[&init[..], &["--dry-run"]].concat(),
        &init,
    ] {
        let o = mlcontain(d, args);
        let out = text(&o);
        assert!(o.status.success(), "{args:?}: {out}");
        assert!(
            !out.contains(PASSWORD),
            "{args:?} printed the password:\n{out}"
        );
        if args.contains(&"--json") {
            continue;
        }
        for (path, _, line) in tool_configs() {
            assert!(
                out.contains(&format!("{path}:{line}: holds index credentials (")),
                "{args:?}: no warning naming {path}:{line}:\n{out}"
            );
        }
    }
    for f in GENERATED {
        let t = fs::read_to_string(d.join(f)).unwrap();
        assert!(!t.contains(PASSWORD), "{f} holds the password");
    }
    // Docker's rules applied to the .dockerignore written: each file is out
    // of the build context (so out of every image); the code is in.
    let ignore: Vec<String> = fs::read_to_string(d.join(".dockerignore"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    for (path, _, _) in tool_configs() {
        assert!(
            mlcontain::render::context::excluded_by(&ignore, path).is_some(),
            "{path} is in the build context:\n{}",
            ignore.join("\n")
        );
    }
    assert_eq!(
        mlcontain::render::context::excluded_by(&ignore, "train.py"),
        None
    );
    let df = fs::read_to_string(d.join("Dockerfile")).unwrap();
    for name in [
        "pip.conf",
        "pip.ini",
        "poetry.toml",
        ".pypirc",
        ".netrc",
        "uv.toml",
    ] {
        assert!(!df.contains(name), "the Dockerfile names {name}:\n{df}");
    }
}

/// A uv project's own uv.toml: without credentials the builder copies it
/// with the manifests (uv reads its settings); with credentials it is kept
/// out of the context and mounted as a BuildKit secret for the install.
#[test]
fn a_uv_toml_is_copied_or_mounted_as_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\ndependencies = [\"six==1.16.0\"]\n",
    );
    write(d, "train.py", "print('hi')\n");
    let args = [
        "init",
        "--yes",
        "--framework",
        "none",
        "--package-manager",
        "uv",
        "--force",
    ];
    write(
        d,
        "uv.toml",
        "[[index]]\nname = \"corp\"\nurl = \"https://pkgs.example/simple\"\n",
    );
    let o = mlcontain(d, &args);
    assert!(o.status.success(), "{}", text(&o));
    let df = fs::read_to_string(d.join("Dockerfile")).unwrap();
    assert!(df.contains("COPY pyproject.toml uv.toml ./"), "{df}");
    assert!(!df.contains("type=secret"), "{df}");
    let ignore: Vec<String> = fs::read_to_string(d.join(".dockerignore"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        mlcontain::render::context::excluded_by(&ignore, "uv.toml"),
        None
    );
    assert!(mlcontain::render::context::excluded_by(&ignore, "sub/uv.toml").is_some());

    write(
        d,
        "uv.toml",
        &format!(
            "[[index]]\nname = \"corp\"\nurl = \"https://me:{PASSWORD}@pkgs.example/simple\"\n"
        ),
    );
    let o = mlcontain(d, &args);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains(PASSWORD), "{out}");
    assert!(
        out.contains("uv.toml:3: holds index credentials (a URL with user:password@; not shown)"),
        "{out}"
    );
    let df = fs::read_to_string(d.join("Dockerfile")).unwrap();
    assert!(
        df.contains("--mount=type=secret,id=uv.toml,target=/app/uv.toml,required=true"),
        "{df}"
    );
    assert!(
        !df.lines()
            .any(|l| l.starts_with("COPY") && l.contains("uv.toml")),
        "uv.toml is never copied:\n{df}"
    );
    let ignore: Vec<String> = fs::read_to_string(d.join(".dockerignore"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert!(mlcontain::render::context::excluded_by(&ignore, "uv.toml").is_some());
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    assert!(
        compose.contains("uv.toml:\n    file: ./uv.toml"),
        "{compose}"
    );
    for f in GENERATED {
        let t = fs::read_to_string(d.join(f)).unwrap();
        assert!(!t.contains(PASSWORD), "{f} holds the password");
    }
}
