//! The project's resolution wins (issue 11): locks and exact pins decide the
//! framework version and build, the Python is one every pin installs on,
//! uv extras select the accelerator, and the saved answers are accepted by
//! the next run on every fixture.

mod support;

use mlcontain::choices::{Accel, Choices, SavedConfig};
use mlcontain::detect::project::scan;
use mlcontain::facts::{Facts, PackageManager};
use mlcontain::plan::{plan, Plan, PlanError};
use mlcontain::render::render;
use mlcontain::scenarios;
use mlcontain::usecase::session::merge_layers;
use mlcontain::version::Version;
use std::path::Path;

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn facts_for(fixture: &str, host: Facts) -> Facts {
    let dir = support::repo_root().join("tests/fixtures").join(fixture);
    Facts {
        project: scan(&dir).unwrap(),
        ..host
    }
}

fn ok(f: &Facts, c: &Choices) -> Plan {
    plan(f, c).unwrap_or_else(|e| panic!("plan failed: {e}"))
}

fn unsupported(f: &Facts, c: &Choices) -> String {
    match plan(f, c) {
        Err(PlanError::Unsupported(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn dockerfile(p: &Plan) -> String {
    render(p)
        .into_iter()
        .find(|f| f.path == "Dockerfile")
        .unwrap()
        .contents
}

fn header(p: &Plan) -> String {
    dockerfile(p).lines().nth(1).unwrap().to_string()
}

#[test]
fn a_poetry_lock_decides_the_version_and_nothing_installs_over_it() {
    let f = facts_for("poetry-sklearn-lock", scenarios::no_gpu());
    let p = ok(&f, &Choices::default());
    assert_eq!(p.package_manager, PackageManager::Poetry);
    assert_eq!(p.framework, "sklearn");
    assert_eq!(p.framework_version, Some(v("1.3.2")));
    assert!(p.framework_install.is_none(), "{:?}", p.framework_install);
    let df = dockerfile(&p);
    assert!(df.contains("poetry install --no-root --only main"), "{df}");
    assert!(
        !df.contains("scikit-learn=="),
        "nothing installs over the lock:\n{df}"
    );
    assert!(header(&p).contains("scikit-learn 1.3.2"), "{}", header(&p));
    let why = p.explain("framework-version").join(" | ");
    assert!(why.contains("locked by the project (poetry.lock:"), "{why}");
    // Not recorded: the next run reads it from the lock again.
    assert_eq!(p.saved.framework_version, None);

    // Choosing another version is refused, naming the lock's line.
    let e = unsupported(
        &f,
        &Choices {
            framework_version: Some(v("1.9.1")),
            ..Default::default()
        },
    );
    assert!(e.contains("poetry.lock:") && e.contains("1.9.1"), "{e}");
}

#[test]
fn an_exact_pin_the_catalog_lacks_installs_as_pinned() {
    // scikit-learn==1.5.0: the catalog knows 1.5.2 only.
    let f = facts_for("sklearn-patch-pin", scenarios::no_gpu());
    let p = ok(&f, &Choices::default());
    assert_eq!(p.framework_version, Some(v("1.5.0")));
    assert!(p.framework_install.is_none(), "{:?}", p.framework_install);
    assert!(header(&p).contains("scikit-learn 1.5.0"), "{}", header(&p));
    assert_eq!(p.saved.framework_version, None);
    // The saved answers plan again without contradicting the pin.
    let again = ok(&f, &p.saved.to_choices());
    assert_eq!(again.framework_version, Some(v("1.5.0")));
}

#[test]
fn a_cu124_pin_with_cpu_chosen_is_refused_with_the_fix() {
    let f = facts_for("torch-cu124-pin", scenarios::no_gpu());
    let e = unsupported(
        &f,
        &Choices {
            cuda: Some(Accel::Cpu),
            ..Default::default()
        },
    );
    assert!(e.contains("requirements.txt:2"), "{e}");
    assert!(e.contains("torch==2.5.1+cu124"), "{e}");
    assert!(e.contains("--cuda 12.4"), "{e}");
    assert!(
        e.contains("torch==2.5.1+cpu") && e.contains("https://download.pytorch.org/whl/cpu"),
        "{e}"
    );
    // Left to the pin, the plan is the pinned CUDA build, and nothing else installs.
    let p = ok(&f, &Choices::default());
    assert_eq!(p.cuda.as_ref().unwrap().tag.as_deref(), Some("cu124"));
    assert!(p.framework_install.is_none(), "{:?}", p.framework_install);
}

#[test]
fn numpy_1_22_narrows_the_python_to_one_with_wheels() {
    let f = facts_for("numpy-122", scenarios::no_gpu());
    let p = ok(&f, &Choices::default());
    // numpy 1.22.0 has cp38-cp310 wheels; the images offer 3.9+.
    assert_eq!(p.python, v("3.10"), "{:?}", p.explanations);
    assert!(header(&p).contains("Python 3.10"), "{}", header(&p));
    // Asking for 3.12 names the pin that blocks it.
    let e = unsupported(
        &f,
        &Choices {
            python: Some(v("3.12")),
            ..Default::default()
        },
    );
    assert!(
        e.contains("requirements.txt:1 numpy==1.22.0") && e.contains("3.8–3.10"),
        "{e}"
    );
}

#[test]
fn tensorflow_2_0_1_says_which_pin_blocks_which_python() {
    let f = facts_for("tf-201", scenarios::no_gpu());
    let e = unsupported(&f, &Choices::default());
    assert!(e.contains("requirements.txt:1 tensorflow==2.0.1"), "{e}");
    // Every Python the images offer is blocked (the offer comes from the catalog).
    let offered = &mlcontain::catalog::Catalog::embedded().python_versions;
    let all = format!(
        "blocks Python {}–{}",
        offered.first().unwrap(),
        offered.last().unwrap()
    );
    assert!(e.contains(&all), "{e}");
    assert!(e.contains("3.6–3.7"), "{e}");
}

#[test]
fn a_conda_env_with_python_3_8_torch_1_11_and_cudatoolkit_11_3() {
    let f = facts_for("conda-py38-torch111", scenarios::no_gpu());
    let p = ok(&f, &Choices::default());
    assert_eq!(p.package_manager, PackageManager::Conda);
    assert_eq!(p.framework, "pytorch");
    assert_eq!(p.python, v("3.8"));
    assert_eq!(p.framework_version, Some(v("1.11.0")));
    let c = p.cuda.as_ref().expect("the environment's CUDA");
    assert_eq!(c.version, v("11.3"));
    assert!(p.framework_install.is_none(), "{:?}", p.framework_install);
    let h = header(&p);
    assert!(
        h.contains("PyTorch 1.11.0") && h.contains("CUDA 11.3") && h.contains("Python 3.8"),
        "{h}"
    );
    let why = p.explain("cuda").join(" | ");
    assert!(
        why.contains("cudatoolkit=11.3 (environment.yml:9)"),
        "{why}"
    );
}

#[test]
fn uv_extras_select_the_accelerator() {
    let f = facts_for("uv-torch-extras", scenarios::no_gpu());
    let p = ok(&f, &Choices::default());
    assert!(p.cuda.is_none());
    assert_eq!(p.manifests.extras, vec!["cpu"]);
    assert_eq!(p.framework_version, Some(v("2.5.1")));
    assert!(p.framework_install.is_none());
    let df = dockerfile(&p);
    assert!(
        df.contains("uv sync --frozen --no-install-project --no-dev --extra cpu"),
        "{df}"
    );
    assert!(!df.contains("uv pip install"), "{df}");

    let f = facts_for("uv-torch-extras", scenarios::h100_535());
    let p = ok(&f, &Choices::default());
    assert_eq!(p.manifests.extras, vec!["gpu"]);
    assert_eq!(p.cuda.as_ref().unwrap().version, v("12.4"));
    // CPU chosen on the GPU host: the cpu extra again.
    let p = ok(
        &f,
        &Choices {
            cuda: Some(Accel::Cpu),
            ..Default::default()
        },
    );
    assert_eq!(p.manifests.extras, vec!["cpu"]);
}

#[test]
fn the_extra_agrees_with_the_accelerator_a_pin_names() {
    // `torch[cu128]` in the main dependencies: CUDA 12.8, so the cu128 extra
    // (not cpu), and the saved answers give the same files.
    let f = facts_for("uv-extras-nolock", scenarios::no_gpu());
    let p = ok(&f, &Choices::default());
    assert_eq!(p.cuda.as_ref().map(|c| c.version.clone()), Some(v("12.8")));
    assert_eq!(p.manifests.extras, vec!["cu128"]);
    assert!(p.framework_install.is_none(), "{:?}", p.framework_install);
    let again = ok(&f, &p.saved.to_choices());
    assert_eq!(render(&p), render(&again));
    // CPU chosen over the pinned CUDA build: refused, naming the pin.
    let e = unsupported(
        &f,
        &Choices {
            cuda: Some(Accel::Cpu),
            ..Default::default()
        },
    );
    assert!(
        e.contains("pyproject.toml:6") && e.contains("--cuda 12.8"),
        "{e}"
    );
}

#[test]
fn uv_on_a_poetry_only_pyproject_is_refused() {
    let f = facts_for("poetry-sklearn-lock", scenarios::no_gpu());
    let e = unsupported(
        &f,
        &Choices {
            package_manager: Some(PackageManager::Uv),
            ..Default::default()
        },
    );
    assert!(
        e.contains("Poetry project") && e.contains("--package-manager poetry"),
        "{e}"
    );
}

#[test]
fn a_mirror_replaces_every_index() {
    // A bare torch pin on CPU: the +cpu build is installed first, from the
    // PyTorch index unless a mirror replaces it.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("requirements.txt"), "torch==2.5.1\n").unwrap();
    let f = Facts {
        project: scan(tmp.path()).unwrap(),
        ..scenarios::no_gpu()
    };
    let plain = ok(&f, &Choices::default());
    assert!(dockerfile(&plain).contains("--index-url https://download.pytorch.org/whl/cpu"));
    let c = Choices {
        index_url: Some("https://mirror.example.com/simple".into()),
        extra_index_urls: Some(vec!["https://extra.example.com/simple".into()]),
        cuda: Some(Accel::Cpu),
        ..Default::default()
    };
    let p = ok(&f, &c);
    let df = dockerfile(&p);
    assert!(
        df.contains("PIP_INDEX_URL=https://mirror.example.com/simple"),
        "{df}"
    );
    assert!(
        df.contains("UV_DEFAULT_INDEX=https://mirror.example.com/simple"),
        "{df}"
    );
    assert!(
        df.contains("PIP_EXTRA_INDEX_URL=https://extra.example.com/simple"),
        "{df}"
    );
    assert!(!df.contains("download.pytorch.org"), "{df}");
    assert_eq!(
        p.saved.index_url.as_deref(),
        Some("https://mirror.example.com/simple")
    );
    // Credentials and shell characters are refused.
    for bad in [
        "https://user:secret@mirror.example.com/simple",
        "https://mirror.example.com/simple; rm -rf /",
        "ftp://mirror.example.com",
    ] {
        let e = plan(
            &f,
            &Choices {
                index_url: Some(bad.into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, PlanError::Invalid { .. }), "{bad}: {e}");
    }
}

/// Every fixture that plans at all: the saved answers plan again to the same
/// files (what `init --yes` twice, `init --check` and `verify` rely on).
#[test]
fn saved_answers_are_accepted_by_the_next_run_on_every_fixture() {
    let root = support::repo_root().join("tests/fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        for (host, facts) in [
            ("no-gpu", scenarios::no_gpu()),
            ("h100", scenarios::h100_535()),
        ] {
            let f = Facts {
                project: scan(&dir).unwrap(),
                ..facts
            };
            if !f.project.malformed.is_empty() {
                continue;
            }
            let first = match plan(&f, &Choices::default()) {
                Ok(p) => p,
                // Refusals (tf-201) are tested above; they save nothing.
                Err(_) => continue,
            };
            let yaml = first.saved.to_yaml();
            let saved = SavedConfig::parse(&yaml, "mlcontain.yaml").unwrap();
            let choices = merge_layers(Choices::default(), Some(&saved));
            let second = plan(&f, &choices)
                .unwrap_or_else(|e| panic!("{name} ({host}): the saved answers are refused: {e}"));
            assert_eq!(
                render(&first),
                render(&second),
                "{name} ({host}): a second run differs"
            );
            checked += 1;
        }
    }
    assert!(checked >= 24, "only {checked} fixture/host pairs planned");
}

/// The same through the real binary on a copy of each fixture.
#[test]
fn init_twice_then_check_succeeds_on_every_fixture() {
    let root = support::repo_root().join("tests/fixtures");
    for entry in std::fs::read_dir(&root).unwrap() {
        let src = entry.unwrap().path();
        let name = src.file_name().unwrap().to_string_lossy().to_string();
        if matches!(name.as_str(), "malformed" | "tf-201") {
            continue; // refused by design (tested elsewhere)
        }
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join(&name);
        std::fs::create_dir_all(&d).unwrap();
        support::copy_dir(&src, &d);
        // A fixture with the user's own Docker files (hf-lora) needs --force
        // the first time (its files are backed up); every later run is plain.
        let own = ["Dockerfile", "docker-compose.yml", "compose.yaml"]
            .iter()
            .any(|f| d.join(f).exists());
        let first: &[&str] = if own {
            &["init", "--yes", "--force"]
        } else {
            &["init", "--yes"]
        };
        run_ok(&d, first, &name);
        let before = std::fs::read_to_string(d.join("Dockerfile")).unwrap();
        run_ok(&d, &["init", "--yes"], &name);
        assert_eq!(
            before,
            std::fs::read_to_string(d.join("Dockerfile")).unwrap(),
            "{name}"
        );
        run_ok(&d, &["init", "--check"], &name);
    }
}

fn run_ok(d: &Path, args: &[&str], name: &str) {
    let o = support::mlcontain(d, args);
    assert!(
        o.status.success(),
        "{name}: mlcontain {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn python_version_file_is_a_hard_constraint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join(".python-version"), "3.11.9\n").unwrap();
    std::fs::write(d.join("requirements.txt"), "six\n").unwrap();
    let f = Facts {
        project: scan(d).unwrap(),
        ..scenarios::no_gpu()
    };
    let p = ok(&f, &Choices::default());
    assert_eq!(p.python, v("3.11"));
    let chosen = Choices {
        python: Some(v("3.12")),
        ..Default::default()
    };
    let e = unsupported(&f, &chosen);
    assert!(e.contains(".python-version:1 `3.11`"), "{e}");
    assert!(e.contains("Choose Python 3.11"), "{e}");
    let p = ok(
        &f,
        &Choices {
            allow_incompatible: true,
            ..chosen
        },
    );
    assert_eq!(p.python, v("3.12"));
    assert!(
        p.warnings.iter().any(|w| w.contains(".python-version:1")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn pypi_serves_the_build_it_carries_per_platform() {
    use mlcontain::platform::Platform;
    // An unpinned torch: the plan's framework line installs the build.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("requirements.txt"), "torch\n").unwrap();
    let f = Facts {
        project: scan(tmp.path()).unwrap(),
        ..scenarios::no_gpu()
    };
    let line = |version: &str, cuda: &str, platform: Platform| {
        let p = ok(
            &f,
            &Choices {
                framework_version: Some(v(version)),
                cuda: Some(Accel::Cuda(v(cuda))),
                platform: Some(vec![platform]),
                ..Default::default()
            },
        );
        let fi = p.framework_install.clone().expect("a framework line");
        (fi.requirement, fi.index)
    };
    // assets/catalog.yaml: PyPI's Linux x86_64 torch 2.5.1 is the cu124
    // build, its aarch64 torch 2.11.0 the CPU build, 2.14.1 cu130 on both.
    assert_eq!(
        line("2.5.1", "12.4", Platform::Amd64),
        ("torch==2.5.1".into(), None)
    );
    assert_eq!(
        line("2.5.1", "12.1", Platform::Amd64),
        (
            "torch==2.5.1+cu121".into(),
            Some("https://download.pytorch.org/whl/cu121".into())
        )
    );
    assert_eq!(
        line("2.11.0", "13.0", Platform::Amd64),
        ("torch==2.11.0".into(), None)
    );
    assert_eq!(
        line("2.11.0", "13.0", Platform::Arm64),
        (
            "torch==2.11.0+cu130".into(),
            Some("https://download.pytorch.org/whl/cu130".into())
        )
    );
    assert_eq!(
        line("2.14.1", "13.0", Platform::Arm64),
        ("torch==2.14.1".into(), None)
    );
    // The Dockerfile says where it comes from, and names no PyTorch index.
    let p = ok(
        &f,
        &Choices {
            framework_version: Some(v("2.5.1")),
            cuda: Some(Accel::Cuda(v("12.4"))),
            ..Default::default()
        },
    );
    assert!(
        !dockerfile(&p).contains("download.pytorch.org"),
        "{}",
        dockerfile(&p)
    );
    let why = p.explain("index").join(" | ");
    assert!(why.contains("torch==2.5.1 comes from PyPI"), "{why}");
    // CPU is never PyPI's Linux build: the +cpu wheel from the PyTorch index.
    let p = ok(
        &f,
        &Choices {
            framework_version: Some(v("2.5.1")),
            cuda: Some(Accel::Cpu),
            ..Default::default()
        },
    );
    let fi = p.framework_install.unwrap();
    assert_eq!(fi.requirement, "torch==2.5.1+cpu");
}

#[test]
fn poetry_groups_and_extras_select_the_accelerator() {
    // Optional groups: `--only main,cpu` on CPU, `main,gpu` with CUDA.
    let f = facts_for("poetry-groups-tiny", scenarios::no_gpu());
    let p = ok(&f, &Choices::default());
    assert_eq!(p.manifests.poetry_groups, vec!["cpu"]);
    let df = dockerfile(&p);
    assert!(
        df.contains("poetry install --no-root --only main,cpu\n"),
        "{df}"
    );
    let why = p.explain("package-manager").join(" | ");
    assert!(
        why.contains("the project's `cpu` group (pyproject.toml:12) selects the CPU build"),
        "{why}"
    );
    let cuda = Choices {
        cuda: Some(Accel::Cuda(v("12.4"))),
        ..Default::default()
    };
    let p = ok(&f, &cuda);
    assert!(
        dockerfile(&p).contains("--only main,gpu\n"),
        "{}",
        dockerfile(&p)
    );
    let again = ok(&f, &p.saved.to_choices());
    assert_eq!(render(&p), render(&again));
    // [tool.poetry.extras]: `--extras cpu` / `--extras gpu`.
    let f = facts_for("poetry-extras-tiny", scenarios::no_gpu());
    let p = ok(&f, &Choices::default());
    assert!(
        dockerfile(&p).contains("poetry install --no-root --only main --extras cpu\n"),
        "{}",
        dockerfile(&p)
    );
    let p = ok(&f, &cuda);
    assert!(dockerfile(&p).contains("--only main --extras gpu\n"));
    // poetry.lock's markers name the extra of each optional package.
    let gpu = f
        .project
        .locked
        .iter()
        .find(|l| l.name == "nvidia-cuda-runtime-cu12")
        .expect("locked");
    assert_eq!(gpu.extras, vec!["gpu"]);

    // A torch project: the CPU group's +cpu build from its source, the GPU
    // group's PyPI build; the group follows the accelerator chosen.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("pyproject.toml"),
        r#"[tool.poetry]
name = "t"
version = "0.1.0"
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
numpy = "^2.1"

[tool.poetry.group.torch-cpu]
optional = true

[tool.poetry.group.torch-cpu.dependencies]
torch = { version = "2.5.1+cpu", source = "pytorch-cpu" }

[tool.poetry.group.torch-cuda]
optional = true

[tool.poetry.group.torch-cuda.dependencies]
torch = { version = "2.5.1+cu124", source = "pytorch-cu124" }

[[tool.poetry.source]]
name = "pytorch-cpu"
url = "https://download.pytorch.org/whl/cpu"
priority = "explicit"

[[tool.poetry.source]]
name = "pytorch-cu124"
url = "https://download.pytorch.org/whl/cu124"
priority = "explicit"
"#,
    )
    .unwrap();
    let f = Facts {
        project: scan(tmp.path()).unwrap(),
        ..scenarios::no_gpu()
    };
    let tags: Vec<(&str, &str, bool)> = f
        .project
        .accel_extras
        .iter()
        .map(|e| (e.name.as_str(), e.tag.as_str(), e.poetry_group))
        .collect();
    assert_eq!(
        tags,
        [("torch-cpu", "cpu", true), ("torch-cuda", "cu124", true)]
    );
    let p = ok(
        &f,
        &Choices {
            framework: Some("pytorch".into()),
            cuda: Some(Accel::Cpu),
            ..Default::default()
        },
    );
    assert!(
        dockerfile(&p).contains("--only main,torch-cpu\n"),
        "{}",
        dockerfile(&p)
    );
}
