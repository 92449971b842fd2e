//! Project scan over the fixture repositories in tests/fixtures.

use mlcontain::detect::project::{scan, ScanError};
use mlcontain::facts::{PackageManager, ProjectScan, WebApp};
use mlcontain::version::PinVersion;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn scan_fixture(name: &str) -> ProjectScan {
    scan(&fixture(name)).unwrap_or_else(|e| panic!("scan {name}: {e}"))
}

fn v(s: &str) -> PinVersion {
    s.parse().unwrap()
}

#[test]
fn empty_repository() {
    let s = scan_fixture("empty");
    assert!(s.has_no_manifest());
    assert_eq!(s.package_manager_hint(), None);
    assert!(s.pins.is_empty());
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.entry_points.training, None);
    assert_eq!(s.entry_points.inference, None);
    assert_eq!(s.python_hint, None);
    assert!(s.existing.files.is_empty());
    assert!(!s.existing.dockerfile);
    assert!(s.model_files.is_empty());
    assert!(s.large_dirs.is_empty());
}

#[test]
fn pip_torch() {
    let s = scan_fixture("pip-torch");
    assert_eq!(s.requirements, vec!["requirements.txt"]);
    assert_eq!(s.package_manager_hint(), Some(PackageManager::Pip));
    assert_eq!(s.index_urls, vec!["https://download.pytorch.org/whl/cu124"]);
    assert_eq!(s.pins.len(), 1, "{:?}", s.pins);
    let torch = s.pin("torch").unwrap();
    assert_eq!(torch.version, Some(v("2.5.1")));
    assert_eq!(torch.version.as_ref().unwrap().to_string(), "2.5.1");
    assert_eq!(torch.local.as_deref(), Some("cu124"));
    assert_eq!(torch.source, "requirements.txt:3");
    assert_eq!(torch.spec, "torch==2.5.1+cu124");
    assert_eq!(s.entry_points.training.as_deref(), Some("train.py"));
    assert_eq!(s.entry_points.inference.as_deref(), Some("serve.py"));
    assert_eq!(s.entry_points.inference_app, Some(WebApp::Fastapi));
    assert_eq!(s.entry_points.imports, vec!["torch"]);
    assert_eq!(
        s.existing.files,
        vec!["requirements.txt", "serve.py", "train.py"]
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.python_hint, None);
}

#[test]
fn uv_project() {
    let s = scan_fixture("uv-project");
    assert!(s.uv_lock);
    assert!(!s.poetry_lock);
    assert_eq!(s.package_manager_hint(), Some(PackageManager::Uv));
    let py = s.pyproject.as_ref().unwrap();
    assert_eq!(py.path, "pyproject.toml");
    assert_eq!(py.name.as_deref(), Some("uv-project"));
    assert_eq!(py.requires_python.as_deref(), Some(">=3.11"));
    assert!(py.uv);
    assert!(!py.poetry);
    assert_eq!(py.dependencies, vec!["torch>=2.5", "numpy>=2.0"]);
    assert_eq!(s.python_hint.as_deref(), Some("3.11"));
    // The lock's version wins over the manifest's range.
    let torch = s.pin("torch").unwrap();
    assert_eq!(torch.version, Some(v("2.5.1")));
    assert_eq!(torch.spec, "torch==2.5.1");
    assert_eq!(torch.source.file, "uv.lock", "{}", torch.source);
    let ranged = s
        .pins
        .iter()
        .find(|p| p.source == "pyproject.toml:7")
        .unwrap();
    assert_eq!(ranged.spec, "torch>=2.5");
    assert!(s.requirements.is_empty());
    assert_eq!(s.entry_points.imports, vec!["torch"]);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn poetry_project() {
    let s = scan_fixture("poetry-project");
    assert!(s.poetry_lock);
    assert!(!s.uv_lock);
    assert_eq!(s.package_manager_hint(), Some(PackageManager::Poetry));
    let py = s.pyproject.as_ref().unwrap();
    assert!(py.poetry);
    assert_eq!(py.name.as_deref(), Some("poetry-project"));
    assert_eq!(py.requires_python.as_deref(), Some("^3.11"));
    assert_eq!(py.dependencies, vec!["numpy^2.0", "torch==2.5.1"]);
    assert_eq!(s.python_hint.as_deref(), Some("3.11"));
    let torch = s.pin("torch").unwrap();
    assert_eq!(torch.version, Some(v("2.5.1")));
    assert_eq!(torch.local, None);
    // The lock's entry comes first (its line), the manifest's pin after it.
    assert_eq!(torch.source, "poetry.lock:5");
    assert!(s.pins.iter().any(|p| p.source == "pyproject.toml:9"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn conda_env() {
    let s = scan_fixture("conda-env");
    assert_eq!(s.environment_yml.as_deref(), Some("environment.yml"));
    assert_eq!(s.package_manager_hint(), Some(PackageManager::Conda));
    assert_eq!(s.python_hint.as_deref(), Some("3.11"));
    let torch = s.pin("torch").unwrap();
    assert_eq!(torch.version, Some(v("2.4.1")));
    assert_eq!(torch.source, "environment.yml:9");
    assert_eq!(s.pins.len(), 1);
    assert_eq!(s.existing.files, vec!["environment.yml", "train.py"]);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn tensorflow() {
    let s = scan_fixture("tensorflow");
    let tf = s.pin("tensorflow").unwrap();
    assert_eq!(tf.version, Some(v("2.17.1")));
    assert_eq!(tf.extras, vec!["and-cuda"]);
    assert_eq!(tf.local, None);
    assert_eq!(tf.source, "requirements.txt:1");
    assert_eq!(s.entry_points.training.as_deref(), Some("train.py"));
    assert_eq!(s.entry_points.inference, None);
    assert_eq!(s.entry_points.imports, vec!["tensorflow"]);
}

#[test]
fn jax() {
    let s = scan_fixture("jax");
    let jax = s.pin("jax").unwrap();
    assert_eq!(jax.version, Some(v("0.4.38")));
    assert_eq!(jax.extras, vec!["cuda12"]);
    assert_eq!(jax.spec, "jax[cuda12]==0.4.38");
    assert_eq!(s.entry_points.imports, vec!["jax"]);
}

#[test]
fn sklearn_cpu() {
    let s = scan_fixture("sklearn-cpu");
    assert_eq!(s.pins.len(), 1, "{:?}", s.pins);
    let sk = s.pin("scikit-learn").unwrap();
    assert_eq!(sk.version, Some(v("1.5.2")));
    assert_eq!(s.entry_points.training.as_deref(), Some("train.py"));
    assert_eq!(s.entry_points.inference.as_deref(), Some("serve.py"));
    assert_eq!(s.entry_points.inference_app, Some(WebApp::Flask));
    assert_eq!(s.entry_points.imports, vec!["sklearn"]);
}

#[test]
fn malformed_files_become_warnings() {
    let s = scan_fixture("malformed");
    // The files still count as present.
    assert_eq!(s.requirements, vec!["requirements.txt"]);
    assert!(s.pyproject.is_some());
    assert_eq!(s.environment_yml.as_deref(), Some("environment.yml"));
    // Good lines of a partly broken file still count.
    let torch = s.pin("torch").unwrap();
    assert_eq!(torch.source, "requirements.txt:3");
    assert_eq!(s.warnings.len(), 3, "{:#?}", s.warnings);
    let has = |prefix: &str| s.warnings.iter().any(|w| w.to_string().starts_with(prefix));
    assert!(has("requirements.txt:2: "), "{:#?}", s.warnings);
    assert!(has("pyproject.toml:5: invalid TOML"), "{:#?}", s.warnings);
    assert!(has("environment.yml:4: invalid YAML"), "{:#?}", s.warnings);
}

#[test]
fn scan_is_deterministic_and_serializable() {
    for name in [
        "empty",
        "pip-torch",
        "uv-project",
        "poetry-project",
        "conda-env",
        "tensorflow",
        "jax",
        "sklearn-cpu",
        "malformed",
    ] {
        let a = scan_fixture(name);
        let b = scan_fixture(name);
        assert_eq!(a, b);
        let json = serde_json::to_string(&a).unwrap();
        let back: ProjectScan = serde_json::from_str(&json).unwrap();
        // The repository's file list is for the build context, not for output.
        let mut a = a;
        a.code.files.clear();
        // Scan problems are a report: written as their text, not read back.
        let texts: Vec<String> = a.warnings.iter().map(ToString::to_string).collect();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["warnings"], serde_json::json!(texts), "{name}");
        assert!(back.warnings.is_empty() && back.malformed.is_empty());
        a.warnings.clear();
        a.malformed.clear();
        assert_eq!(a, back, "{name} round-trips through JSON");
    }
}

#[test]
fn missing_directory_is_an_error() {
    let err = scan(&fixture("does-not-exist")).unwrap_err();
    assert!(matches!(err, ScanError::NotFound(_)), "{err}");
    let err = scan(&fixture("pip-torch/requirements.txt")).unwrap_err();
    assert!(matches!(err, ScanError::NotADirectory(_)), "{err}");
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn requirement_files_order_and_includes() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(
        r,
        "requirements.txt",
        "-r requirements/base.txt\nxgboost==2.1.4\n",
    );
    write(
        r,
        "requirements-dev.txt",
        "-r requirements.txt\nlightgbm==4.5.0\n",
    );
    write(r, "requirements-a.txt", "-r missing.txt\n");
    write(r, "requirements/base.txt", "torch==2.5.1\n");
    write(
        r,
        "requirements/gpu.txt",
        "--index-url https://example.com/simple\n",
    );
    write(r, "requirements/notes.md", "not a requirements file");
    let s = scan(r).unwrap();
    assert_eq!(
        s.requirements,
        vec![
            "requirements.txt",
            "requirements-a.txt",
            "requirements-dev.txt",
            "requirements/base.txt",
            "requirements/gpu.txt"
        ]
    );
    let pins: Vec<_> = s
        .pins
        .iter()
        .map(|p| (p.package.as_str(), p.source.to_string()))
        .collect();
    // Each file is read once; includes are read where they are included.
    assert_eq!(
        pins,
        vec![
            ("torch", "requirements/base.txt:1".to_string()),
            ("xgboost", "requirements.txt:2".to_string()),
            ("lightgbm", "requirements-dev.txt:2".to_string()),
        ]
    );
    assert_eq!(s.index_urls, vec!["https://example.com/simple"]);
    let warnings: Vec<String> = s.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        vec!["requirements-a.txt:1: included file `missing.txt` not found in the project"]
    );
    assert!(s.warnings[0].blocks_generation());
}

#[test]
fn existing_files_large_dirs_and_models() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(r, "Dockerfile", "FROM python:3.12-slim\n");
    write(r, "docker-compose.yml", "services: {}\n");
    write(r, "compose.yaml", "services: {}\n");
    write(r, ".dockerignore", ".git\n");
    write(r, "mlcontain.yaml", "framework: pytorch\n");
    write(r, ".python-version", "3.12.4\n");
    write(
        r,
        "pyproject.toml",
        "[project]\nname='x'\nrequires-python='>=3.10'\n",
    );
    write(r, "model.pt", "0123456789");
    write(r, "models/clf.joblib", "abc");
    write(r, "models/hf/sub/model.safetensors", "abcd");
    write(r, "models/a/b/c/too_deep.pt", "x");
    write(r, ".venv/lib/model.pt", "x");
    write(r, "node_modules/x.onnx", "x");
    write(r, "data/raw.csv", "1,2\n");
    write(r, "wandb/run/x", "");
    write(r, "checkpoints/epoch1.ckpt", "xx");
    write(
        r,
        "src/app.py",
        "from flask import Flask\napp = Flask(__name__)\n",
    );
    // It trains (issue 10: entry points come from what the code does).
    write(
        r,
        "training/train.py",
        "import lightgbm\nbooster = lightgbm.train({}, data)\nbooster.save_model('m.txt')\n",
    );
    std::fs::create_dir_all(r.join(".cache")).unwrap();
    let s = scan(r).unwrap();
    assert!(s.existing.dockerfile);
    assert_eq!(s.existing.compose.as_deref(), Some("compose.yaml"));
    assert!(s.existing.dockerignore);
    assert!(s.existing.mlcontain_yaml);
    assert_eq!(s.existing.files, vec!["pyproject.toml"]);
    assert_eq!(
        s.python_hint.as_deref(),
        Some("3.12"),
        ".python-version wins"
    );
    assert_eq!(
        s.large_dirs,
        vec![".cache/", "checkpoints/", "data/", "wandb/"]
    );
    let models: Vec<_> = s
        .model_files
        .iter()
        .map(|m| (m.path.as_str(), m.bytes))
        .collect();
    assert_eq!(
        models,
        vec![
            ("checkpoints/epoch1.ckpt", 2),
            ("model.pt", 10),
            ("models/clf.joblib", 3),
            ("models/hf/sub/model.safetensors", 4),
        ]
    );
    assert_eq!(
        s.entry_points.training.as_deref(),
        Some("training/train.py")
    );
    assert_eq!(s.entry_points.inference.as_deref(), Some("src/app.py"));
    assert_eq!(s.entry_points.inference_app, Some(WebApp::Flask));
    assert_eq!(s.entry_points.imports, vec!["lightgbm"]);
}

#[test]
fn scan_is_fast_and_bounded_on_a_wide_tree() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(r, "requirements.txt", "torch==2.5.1\n");
    // A wide data folder the walk must not enter, and a wide source tree.
    for i in 0..300 {
        write(r, &format!("data/shard{i}/x.pt"), "x");
        write(r, &format!("pkg/mod{i}.py"), "import torch\n");
    }
    let start = Instant::now();
    let s = scan(r).unwrap();
    let took = start.elapsed();
    assert!(s.model_files.is_empty());
    assert!(took < Duration::from_millis(500), "scan took {took:?}");
}

/// Each scan problem carries its kind where it is found; only a manifest
/// that cannot be read or parsed blocks generation (the words of a message
/// decide nothing).
#[test]
fn scan_problems_are_typed_where_they_are_found() {
    use mlcontain::scan_issue::IssueKind;
    let s = scan_fixture("malformed");
    let kinds: Vec<(String, IssueKind)> = s
        .warnings
        .iter()
        .map(|w| (w.location.as_ref().unwrap().to_string(), w.kind))
        .collect();
    assert!(
        kinds.contains(&("requirements.txt:2".into(), IssueKind::BadRequirement)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("pyproject.toml:5".into(), IssueKind::InvalidManifest)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("environment.yml:4".into(), IssueKind::InvalidManifest)),
        "{kinds:?}"
    );
    assert_eq!(s.malformed, s.warnings, "all three block writing");

    let t = tempfile::tempdir().unwrap();
    // Problems that do not block: a `.python-version` not understood (even
    // when its text reads like a parse error), a skipped manifest entry.
    write(t.path(), ".python-version", "x: cannot parse requirement\n");
    write(
        t.path(),
        "pyproject.toml",
        "[project]\nname = \"x\"\ndependencies = [1]\n",
    );
    write(
        t.path(),
        "requirements.txt",
        "-r missing.txt\n--index-url\n",
    );
    let s = scan(t.path()).unwrap();
    let kind_of = |prefix: &str| {
        s.warnings
            .iter()
            .find(|w| w.to_string().starts_with(prefix))
            .map(|w| w.kind)
    };
    assert_eq!(
        kind_of(".python-version:1: "),
        Some(IssueKind::Note),
        "{:?}",
        s.warnings
    );
    assert_eq!(
        kind_of("pyproject.toml:3: "),
        Some(IssueKind::SkippedEntry),
        "{:?}",
        s.warnings
    );
    assert_eq!(
        kind_of("requirements.txt:1: included file `missing.txt`"),
        Some(IssueKind::BadInclude)
    );
    assert_eq!(
        kind_of("requirements.txt:2: `--index-url` is missing its value"),
        Some(IssueKind::BadRequirement)
    );
    let blocking: Vec<String> = s.malformed.iter().map(ToString::to_string).collect();
    assert_eq!(blocking.len(), 2, "{blocking:?}");
    assert!(
        blocking.iter().all(|b| b.starts_with("requirements.txt:")),
        "{blocking:?}"
    );
}

/// pyproject.toml and Pipfile pins are located by the parser's spans: the
/// same text earlier in the file (a comment, an extra, dev packages) does
/// not move them.
#[test]
fn toml_pins_are_located_by_their_entries() {
    use mlcontain::detect::project::{parse_pipfile, parse_pyproject};
    let text = "# we pin \"torch==2.5.1\" below\n\
                [project]\n\
                name = \"x\"\n\
                optional-dependencies = { gpu = [\"torch==2.5.1\"] }\n\
                dependencies = [\n    \"numpy\",\n    \"torch==2.5.1\",\n]\n";
    let p = parse_pyproject(text, "pyproject.toml");
    let torch = p.pins.iter().find(|p| p.package == "torch").unwrap();
    assert_eq!(torch.source.to_string(), "pyproject.toml:7");
    let poetry = "[tool.poetry.group.dev.dependencies]\ntorch = \"2.4.0\"\n\n\
                  [tool.poetry.dependencies]\npython = \"^3.11\"\ntorch = \"2.5.1\"\n";
    let p = parse_pyproject(poetry, "pyproject.toml");
    let torch = p.pins.iter().find(|p| p.package == "torch").unwrap();
    assert_eq!(torch.source.to_string(), "pyproject.toml:6");
    let pipfile = "[dev-packages]\ntorch = \"==2.4.0\"\n\n[packages]\ntorch = \"==2.5.1\"\n";
    let p = parse_pipfile(pipfile, "Pipfile");
    assert_eq!(p.pins[0].source.to_string(), "Pipfile:5");
    // A problem entry is named at its list.
    let bad = parse_pyproject(
        "[project]\nname = \"dependencies\"\ndependencies = [1]\n",
        "pyproject.toml",
    );
    assert_eq!(
        bad.warnings[0].to_string(),
        "pyproject.toml:3: project.dependencies entries must be strings"
    );
}
