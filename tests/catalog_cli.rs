//! `mlcontain catalog show|check` and catalog overlays, end to end through
//! the binary. `check` talks to a stand-in package index this test starts on
//! 127.0.0.1 (no outside network): PEP 691 JSON for some packages, PEP 503
//! HTML for others, and it doubles as an HTTP proxy to prove proxy settings
//! are honoured.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

struct StandIn {
    base: String,
    /// Request lines seen (`GET /simple/torch/ HTTP/1.1`, or absolute-form through a proxy).
    seen: Arc<Mutex<Vec<String>>>,
}

fn respond(mut s: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    if line.starts_with("CONNECT ") {
        // A proxy tunnel: answer, then serve the request that comes through it.
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
        }
        seen.lock().unwrap().push(line.trim().to_string());
        let _ = write!(s, "HTTP/1.1 200 Connection established\r\n\r\n");
        line.clear();
        if reader.read_line(&mut line).is_err() {
            return;
        }
    }
    let mut accept = String::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("accept:") {
            accept = v.trim().to_string();
        }
    }
    seen.lock().unwrap().push(line.trim().to_string());
    let path = line.split_whitespace().nth(1).unwrap_or("");
    // Absolute form (through a proxy): keep only the path.
    let path = match path.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/').unwrap_or(rest.len())..],
        None => path,
    };
    let (status, ctype, body) = match path {
        "/simple/torch/" if accept.contains("vnd.pypi.simple.v1+json") => (
            "200 OK",
            "application/vnd.pypi.simple.v1+json",
            r#"{"meta":{"api-version":"1.1"},"name":"torch","versions":["2.14.1","2.15.0","2.16.0","2.16.1rc1"],"files":[]}"#.to_string(),
        ),
        "/simple/jax/" => (
            "200 OK",
            "text/html",
            "<html><body><a href=\"/f/jax-0.12.0.1.tar.gz\">jax-0.12.0.1.tar.gz</a>\n<a href=\"/f/jax-0.13.0-py3-none-any.whl\">jax-0.13.0-py3-none-any.whl</a></body></html>".to_string(),
        ),
        "/simple/tensorflow/" => (
            "200 OK",
            "application/vnd.pypi.simple.v1+json",
            r#"{"meta":{"api-version":"1.0"},"files":[{"filename":"tensorflow-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl"}]}"#.to_string(),
        ),
        _ => ("404 Not Found", "text/plain", "not here".to_string()),
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn stand_in() -> StandIn {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(vec![]));
    let s2 = seen.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            respond(s, &s2);
        }
    });
    StandIn { base, seen }
}

/// The binary with a clean environment: no user pip/uv settings, no proxy.
fn mlcontain(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlcontain"));
    c.args(args).env_clear();
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("PIP_CONFIG_FILE", home.join("no-pip.conf"))
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn line<'a>(out: &'a str, framework: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(framework))
        .unwrap_or_else(|| panic!("no {framework} line in\n{out}"))
}

#[test]
fn check_reports_releases_newer_than_the_catalog() {
    let idx = stand_in();
    let home = tempfile::tempdir().unwrap();
    let url = format!("{}/simple", idx.base);
    let o = mlcontain(home.path(), &["catalog", "check", "--index", &url], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(&format!("index {url} (--index)")), "{out}");
    // JSON (PEP 700 `versions`): 2.16.0 is newer; the release candidate is not a release.
    let torch = line(&out, "PyTorch");
    assert!(torch.contains("catalog 2.15.0"), "{torch}");
    assert!(torch.contains("newer on the index: 2.16.0"), "{torch}");
    assert!(!torch.contains("rc1"), "{torch}");
    // HTML (PEP 503) file names.
    assert!(
        line(&out, "JAX").contains("newer on the index: 0.13.0"),
        "{out}"
    );
    // JSON files only (PEP 691 without `versions`).
    assert!(
        line(&out, "TensorFlow").contains("up to date (index: 2.21.0)"),
        "{out}"
    );
    assert!(
        line(&out, "LightGBM").contains("no releases on this index"),
        "{out}"
    );
    assert!(
        out.contains("2 framework(s) have releases the catalog does not know"),
        "{out}"
    );
    // One request per framework package, normalised names.
    let seen = idx.seen.lock().unwrap().clone();
    assert!(
        seen.contains(&"GET /simple/scikit-learn/ HTTP/1.1".to_string()),
        "{seen:?}"
    );

    // --json carries the same facts.
    let o = mlcontain(
        home.path(),
        &["catalog", "check", "--index", &url, "--json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let torch = v["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"] == "torch")
        .unwrap();
    assert_eq!(torch["newer"], serde_json::json!(["2.16.0"]));
    assert_eq!(v["offline"], serde_json::Value::Null);
}

#[test]
fn check_follows_pip_and_uv_settings_and_the_proxy() {
    let idx = stand_in();
    let home = tempfile::tempdir().unwrap();
    let url = format!("{}/simple", idx.base);
    // PIP_INDEX_URL.
    let o = mlcontain(
        home.path(),
        &["catalog", "check"],
        &[("PIP_INDEX_URL", &url)],
    );
    let out = text(&o);
    assert!(out.contains("(PIP_INDEX_URL)"), "{out}");
    assert!(line(&out, "PyTorch").contains("2.16.0"), "{out}");
    // pip.conf named by PIP_CONFIG_FILE, with credentials that never print.
    let conf = home.path().join("pip.conf");
    let with_user = url.replace("http://", "http://ci:t0ken@");
    std::fs::write(&conf, format!("[global]\nindex-url = {with_user}\n")).unwrap();
    let o = mlcontain(
        home.path(),
        &["catalog", "check"],
        &[("PIP_CONFIG_FILE", conf.to_str().unwrap())],
    );
    let out = text(&o);
    assert!(out.contains("http://***@127.0.0.1"), "{out}");
    assert!(!out.contains("t0ken"), "{out}");
    assert!(line(&out, "PyTorch").contains("2.16.0"), "{out}");
    // uv's setting wins over pip's.
    let o = mlcontain(
        home.path(),
        &["catalog", "check"],
        &[
            ("UV_DEFAULT_INDEX", &url),
            ("PIP_INDEX_URL", "http://127.0.0.1:9/simple"),
        ],
    );
    assert!(text(&o).contains("(UV_DEFAULT_INDEX)"), "{}", text(&o));
    // A proxy from the environment: requests tunnel through it (CONNECT).
    let proxy = stand_in();
    let o = mlcontain(
        home.path(),
        &["catalog", "check", "--index", "http://index.invalid/simple"],
        &[("HTTP_PROXY", &proxy.base)],
    );
    let out = text(&o);
    assert!(line(&out, "PyTorch").contains("2.16.0"), "{out}");
    let seen = proxy.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|l| l.starts_with("CONNECT index.invalid:80 ")),
        "{seen:?}"
    );
}

#[test]
fn check_offline_says_so_and_exits_0() {
    let home = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/simple");
    let o = mlcontain(
        home.path(),
        &["catalog", "check", "--index", &url, "--timeout", "5"],
        &[],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("Offline: cannot reach"), "{out}");
    assert!(out.contains("Nothing checked"), "{out}");
}

#[test]
fn show_prints_date_sources_and_coverage() {
    let home = tempfile::tempdir().unwrap();
    let o = mlcontain(home.path(), &["catalog", "show"], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let cat = mlcontain::catalog::Catalog::embedded_raw();
    assert!(
        out.starts_with(&format!("Catalog {} ", cat.updated)),
        "{out}"
    );
    for s in &cat.sources {
        assert!(out.contains(s.as_str()), "{s}");
    }
    assert!(out.contains("Platforms: linux/amd64, linux/arm64"), "{out}");
    assert!(out.contains("R615 → CUDA 13.4"), "{out}");
    let torch = line(&out, "PyTorch:");
    let newest = cat
        .framework("pytorch")
        .unwrap()
        .newest()
        .unwrap()
        .version
        .to_string();
    assert!(torch.contains(&newest), "{torch}");
    assert!(
        torch.contains("not confirmed, never a default: 2.15.0 cu130"),
        "{torch}"
    );
    assert!(
        line(&out, "TensorFlow:").contains("arm64 8 (0 with CUDA)"),
        "{out}"
    );
}

const OVERLAY: &str = r#"
updated: "2026-12-20"
sources: ["team audit of torch 2.16.0 wheels"]
frameworks:
  - id: pytorch
    releases:
      - version: "2.16.0"
        pypi: cu132
        python: ["3.11", "3.12", "3.13", "3.14", "3.15"]
        builds:
          - {cuda: "13.2", tag: cu132, amd64: {sass: ["7.5", "8.0", "9.0", "10.0", "12.0"]}}
"#;

#[test]
fn overlays_from_flag_env_and_config_are_merged_and_checked() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("team-catalog.yaml");
    std::fs::write(&file, OVERLAY).unwrap();
    let f = file.to_str().unwrap();
    let shows_overlay = |o: &Output, from: &str| {
        let out = text(o);
        assert_eq!(o.status.code(), Some(0), "{out}");
        assert!(
            out.contains(&format!("Overlay 2026-12-20 from {from}")),
            "{out}"
        );
        assert!(line(&out, "PyTorch:").contains("2.1.2–2.16.0"), "{out}");
        assert!(out.contains("team audit of torch 2.16.0 wheels"), "{out}");
    };
    shows_overlay(
        &mlcontain(home.path(), &["--catalog", f, "catalog", "show"], &[]),
        f,
    );
    shows_overlay(
        &mlcontain(
            home.path(),
            &["catalog", "show"],
            &[("MLCONTAIN_CATALOG", f)],
        ),
        f,
    );
    let cfg = home.path().join(".config/mlcontain/catalog.yaml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, OVERLAY).unwrap();
    shows_overlay(
        &mlcontain(home.path(), &["catalog", "show"], &[]),
        cfg.to_str().unwrap(),
    );
    // The overlay's releases count for `check` too: 2.16.0 is known now.
    let idx = stand_in();
    let url = format!("{}/simple", idx.base);
    let o = mlcontain(home.path(), &["catalog", "check", "--index", &url], &[]);
    assert!(
        line(&text(&o), "PyTorch").contains("up to date"),
        "{}",
        text(&o)
    );
    std::fs::remove_file(&cfg).unwrap();

    // Held to the same rules as the embedded catalog: a CUDA 13 build with
    // Volta kernels is refused, naming the file; exit 2, nothing printed as valid.
    let bad = OVERLAY.replace(r#"sass: ["7.5","#, r#"sass: ["7.0", "7.5","#);
    std::fs::write(&file, bad).unwrap();
    let o = mlcontain(home.path(), &["--catalog", f, "catalog", "show"], &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains(&format!("{f}: ")), "{out}");
    assert!(out.contains("sm_70 below CUDA 13's floor sm_75"), "{out}");
    assert!(!out.contains("Covers:"), "{out}");
    // A symlink is not followed; a missing explicit file is an error.
    let link = home.path().join("link.yaml");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let o = mlcontain(
        home.path(),
        &["--catalog", link.to_str().unwrap(), "catalog", "show"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("must be a regular file"), "{}", text(&o));
    let o = mlcontain(
        home.path(),
        &["--catalog", "/nonexistent/c.yaml", "catalog", "show"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("/nonexistent/c.yaml: cannot read"),
        "{}",
        text(&o)
    );
}

#[test]
fn init_records_the_platform_and_the_overlay_for_a_teammate() {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let overlay = home.path().join("team.yaml");
    std::fs::write(&overlay, OVERLAY).unwrap();
    let dir = repo.path().to_str().unwrap();
    let o = mlcontain(
        home.path(),
        &[
            "--catalog",
            overlay.to_str().unwrap(),
            "init",
            "--yes",
            "--dir",
            dir,
            "--framework",
            "pytorch",
            "--cuda",
            "13.2",
            "--platform",
            "linux/amd64",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let reqs = std::fs::read_to_string(repo.path().join("requirements.txt")).unwrap();
    // The overlay says PyPI's torch 2.16.0 is the cu132 build: from PyPI.
    assert!(reqs.lines().any(|l| l == "torch==2.16.0"), "{reqs}");
    assert!(!reqs.contains("download.pytorch.org"), "{reqs}");
    let saved = std::fs::read_to_string(repo.path().join("mlcontain.yaml")).unwrap();
    assert!(saved.contains("platform: linux/amd64"), "{saved}");
    assert!(saved.contains("catalog_overlay:"), "{saved}");
    assert!(
        saved.contains("updated: 2026-12-20") || saved.contains("updated: '2026-12-20'"),
        "{saved}"
    );
    // The teammate has no overlay file: the recorded one gives the same files.
    std::fs::remove_file(&overlay).unwrap();
    let o = mlcontain(home.path(), &["init", "--check", "--dir", dir], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // mlcontain build passes the recorded platform.
    let o = mlcontain(home.path(), &["build", "--dry-run", "--dir", dir], &[]);
    let out = text(&o);
    assert!(out.contains("--platform linux/amd64"), "{out}");
    let o = mlcontain(
        home.path(),
        &[
            "build",
            "--dry-run",
            "--dir",
            dir,
            "--platform",
            "linux/amd64,linux/arm64",
        ],
        &[],
    );
    let out = text(&o);
    assert!(out.contains("docker buildx build --load"), "{out}");
    assert!(out.contains("--platform linux/amd64,linux/arm64"), "{out}");
}

#[test]
fn init_for_arm64_installs_tensorflows_cpu_wheel() {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path().to_str().unwrap();
    let o = mlcontain(
        home.path(),
        &[
            "init",
            "--yes",
            "--dir",
            dir,
            "--framework",
            "tensorflow",
            "--platform",
            "linux/arm64",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let reqs = std::fs::read_to_string(repo.path().join("requirements.txt")).unwrap();
    let newest = mlcontain::catalog::Catalog::embedded_for(&[mlcontain::platform::Platform::Arm64])
        .framework("tensorflow")
        .unwrap()
        .newest()
        .unwrap()
        .version
        .to_string();
    assert!(reqs.contains(&format!("tensorflow=={newest}")), "{reqs}");
    assert!(
        !reqs.contains("tensorflow-cpu") && !reqs.contains("and-cuda"),
        "{reqs}"
    );
    // A CUDA choice for TensorFlow on arm64 is refused with the reason.
    let o = mlcontain(
        home.path(),
        &[
            "init",
            "--dry-run",
            "--dir",
            dir,
            "--framework",
            "tensorflow",
            "--cuda",
            "12.5",
            "--platform",
            "linux/arm64",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no CUDA build for linux/arm64"),
        "{}",
        text(&o)
    );
}

/// A broken custom catalog stops `init` with the file and the YAML path of
/// the bad value (exit 2), before anything is planned or written; never a panic.
#[test]
fn a_broken_custom_catalog_is_an_error_naming_the_path() {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("requirements.txt"), "torch==2.5.1\n").unwrap();
    let file = home.path().join("broken.yaml");
    let f = file.to_str().unwrap();
    let dir = repo.path().to_str().unwrap();
    for (overlay, want) in [
        (
            "updated: \"2026-12-20\"\ncuda_majors:\n  - {major: 12, min_driver: \"not a version\"}\n",
            "cuda_majors[1].min_driver: ",
        ),
        (
            "updated: \"2026-12-20\"\ndefault_python: \"3.99\"\n",
            "default_python: Python 3.99 is not in python_versions",
        ),
    ] {
        std::fs::write(&file, overlay).unwrap();
        for args in [
            &["init", "--yes", "--dry-run", "--dir", dir][..],
            &["init", "--yes", "--dir", dir][..],
            &["catalog", "show"][..],
        ] {
            let o = mlcontain(home.path(), args, &[("MLCONTAIN_CATALOG", f)]);
            let out = text(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
            assert!(out.contains(&format!("{f}: ")), "{args:?}: {out}");
            assert!(out.contains(want), "{args:?}: want {want} in {out}");
            assert!(!out.contains("panicked"), "{args:?}: {out}");
        }
        assert!(!repo.path().join("Dockerfile").exists());
    }
}
