//! Private index credentials reach the build as BuildKit secrets only
//! (issues 9 and 11): a password-protected index (tests/support/
//! private_index.py, on this host's loopback) serves a package that the
//! image must install, once through a requirements file's
//! `--extra-index-url https://user:pass@…` and once through pyproject.toml's
//! `[[tool.uv.index]]`. The build succeeds only with the credentials (the
//! index answers 401 without them), the package imports in the image, and
//! the password is in no layer of the saved image (`docker save | grep`), in
//! no history line and in no generated file.
//!
//! They skip (saying why) when no engine answers, and fail instead under
//! MLCONTAIN_REQUIRE_DOCKER=1 (CI). The builds use `--network host` to reach
//! the index on 127.0.0.1, and PyPI for pip/uv themselves.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "i9user";
const PASSWORD: &str = "pw-i9-Zq7xK2mVb9";

/// The private index, stopped (by its pid) when dropped.
struct Index {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Index {
    fn start() -> Index {
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let log = dir.path().join("log");
        let child = Command::new("python3")
            .arg(support::repo_root().join("tests/support/private_index.py"))
            .args([USER, PASSWORD])
            .arg(&port_file)
            .arg(&log)
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 for the private index");
        let t0 = Instant::now();
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                break p.trim().parse().unwrap();
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "the index did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        Index {
            child,
            port,
            log,
            _dir: dir,
        }
    }
    fn url(&self) -> String {
        format!("http://{USER}:{PASSWORD}@127.0.0.1:{}/simple", self.port)
    }
    fn requests(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct RemoveImage(String);
impl Drop for RemoveImage {
    fn drop(&mut self) {
        let _ = docker(&["image", "rm", "--force", &self.0]);
    }
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("run docker")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output, what: &str) -> Output {
    assert!(o.status.success(), "{what} failed:\n{}", text(&o));
    o
}

/// How many times the password occurs in the saved image (every layer
/// tar, the config and the history), counted by grep over `docker save`.
fn password_in_saved_image(image: &str) -> usize {
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "docker save {image} | grep -a -c -F {PASSWORD}; exit 0"
        ))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("docker save | grep: {}", text(&o)))
}

fn build_and_check(dir: &Path, image: &str, index: &Index) {
    let o = ok(
        support::mlcontain(
            dir,
            &[
                "init",
                "--yes",
                "--framework",
                "none",
                "--stages",
                "training",
            ],
        ),
        "mlcontain init",
    );
    assert!(!text(&o).contains(PASSWORD), "init printed the password");
    for f in [
        "Dockerfile",
        "compose.yaml",
        ".dockerignore",
        "README.Docker.md",
        "mlcontain.yaml",
    ] {
        let t = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(!t.contains(PASSWORD), "{f} holds the password");
    }
    let readme = std::fs::read_to_string(dir.join("README.Docker.md")).unwrap();
    assert!(readme.contains("docker build --secret id="), "{readme}");
    // `--dir` before the subcommand: what follows `--` goes to docker.
    let b = ok(
        Command::new(env!("CARGO_BIN_EXE_mlcontain"))
            .arg("--dir")
            .arg(dir)
            .args([
                "build",
                "--target",
                "training",
                "--tag",
                image,
                "--progress",
                "plain",
                "--",
                "--network",
                "host",
                // BuildKit's cache key ignores a secret's content: without
                // this a cached install step would skip the index.
                "--no-cache",
            ])
            .env("MLCONTAIN_NVML_LIB", "/nonexistent/libnvidia-ml.so.1")
            .stdin(Stdio::null())
            .output()
            .unwrap(),
        "mlcontain build",
    );
    assert!(
        !text(&b).contains(PASSWORD),
        "the build log holds the password"
    );
    // The credentials were needed and used: 401 without, the wheel with.
    let log = index.requests();
    assert!(
        log.lines()
            .any(|l| l.starts_with("AUTH /files/i9_private_pkg-0.1.0")),
        "the wheel was not fetched with the credentials:\n{log}"
    );
    let run = ok(
        docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            image,
            "python",
            "-c",
            "import i9_private_pkg as m; print(m.VALUE)",
        ]),
        "import the private package",
    );
    assert!(
        text(&run).contains("from the private index"),
        "{}",
        text(&run)
    );
    assert_eq!(
        password_in_saved_image(image),
        0,
        "the password is in a layer of {image}"
    );
    let h = ok(docker(&["history", "--no-trunc", image]), "docker history");
    assert!(!text(&h).contains(PASSWORD), "{}", text(&h));
}

#[test]
fn requirements_index_credentials_stay_out_of_every_layer() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let index = Index::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("requirements.txt"),
        format!("--extra-index-url {}\ni9-private-pkg==0.1.0\n", index.url()),
    )
    .unwrap();
    std::fs::write(dir.join("train.py"), "import i9_private_pkg\n").unwrap();
    let image = format!("i9-secret-pip-{}", std::process::id());
    let _rm = RemoveImage(image.clone());
    build_and_check(dir, &image, &index);
    eprintln!("pip secret: {:.0} s", t0.elapsed().as_secs_f64());
}

#[test]
fn uv_index_credentials_stay_out_of_every_layer() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let index = Index::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("pyproject.toml"),
        format!(
            "[project]\nname = \"secret-uv\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\n\
             dependencies = [\"i9-private-pkg==0.1.0\"]\n\n\
             [tool.uv]\npackage = false\n\n\
             [[tool.uv.index]]\nname = \"private\"\nurl = \"{}\"\nexplicit = true\n\n\
             [tool.uv.sources]\ni9-private-pkg = {{ index = \"private\" }}\n",
            index.url()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("train.py"), "import i9_private_pkg\n").unwrap();
    let image = format!("i9-secret-uv-{}", std::process::id());
    let _rm = RemoveImage(image.clone());
    build_and_check(dir, &image, &index);
    eprintln!("uv secret: {:.0} s", t0.elapsed().as_secs_f64());
}

/// The index and its credentials in the project's uv.toml (pyproject.toml
/// names no index): uv reads uv.toml, mounted as a BuildKit secret for the
/// install, and neither the file nor the password is in the image.
#[test]
fn uv_toml_index_credentials_stay_out_of_every_layer() {
    let Some(()) = support::docker_engine() else {
        return;
    };
    let _lock = support::EngineLock::acquire();
    let t0 = Instant::now();
    let index = Index::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("pyproject.toml"),
        "[project]\nname = \"secret-uv-toml\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\n\
         dependencies = [\"i9-private-pkg==0.1.0\"]\n\n[tool.uv]\npackage = false\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("uv.toml"),
        format!("[[index]]\nname = \"private\"\nurl = \"{}\"\n", index.url()),
    )
    .unwrap();
    std::fs::write(dir.join("train.py"), "import i9_private_pkg\n").unwrap();
    let image = format!("i9-secret-uvtoml-{}", std::process::id());
    let _rm = RemoveImage(image.clone());
    build_and_check(dir, &image, &index);
    let df = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(
        df.contains("--mount=type=secret,id=uv.toml,target=/app/uv.toml,required=true"),
        "{df}"
    );
    let listing = ok(
        docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            &image,
            "ls",
            "-A",
            "/app",
        ]),
        "ls /app",
    );
    assert!(
        !text(&listing).lines().any(|l| l.trim() == "uv.toml"),
        "uv.toml is in the image: {}",
        text(&listing)
    );
    eprintln!("uv.toml secret: {:.0} s", t0.elapsed().as_secs_f64());
}
