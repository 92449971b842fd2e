//! Planner scenarios: defaults, explanations and refusals for real-world hosts.

use mlcontain::choices::{Accel, Choices, Stage};
use mlcontain::facts::{Facts, PackageManager, Pin, ProjectScan};
use mlcontain::plan::{plan, CudaStrategy, Plan, PlanError, PythonSource};
use mlcontain::scenarios;
use mlcontain::version::Version;

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

/// The newest PyTorch release in the catalog whose builds satisfy `keep`
/// (computed here independently of the planner).
fn newest_torch(keep: impl Fn(&mlcontain::catalog::Build) -> bool) -> Version {
    let cat = mlcontain::catalog::Catalog::embedded();
    let fw = cat.framework("pytorch").unwrap();
    fw.releases
        .iter()
        .rev()
        .find(|r| r.builds.iter().any(&keep))
        .map(|r| r.version.clone())
        .expect("a release")
}

fn choices() -> Choices {
    Choices::default()
}

fn pytorch() -> Choices {
    Choices {
        framework: Some("pytorch".into()),
        ..Default::default()
    }
}

fn ok(facts: &Facts, c: &Choices) -> Plan {
    plan(facts, c).unwrap_or_else(|e| panic!("plan failed: {e}"))
}

fn refused(facts: &Facts, c: &Choices) -> String {
    match plan(facts, c) {
        Err(PlanError::Incompatible(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn explained(p: &Plan, topic: &str) -> String {
    p.explain(topic).join(" | ")
}

#[test]
fn no_gpu_defaults_to_cpu_and_says_why() {
    let p = ok(&scenarios::no_gpu(), &choices());
    assert_eq!(p.framework, "pytorch");
    assert!(p.cuda.is_none());
    assert!(p.gpus.is_none(), "no GPU reservation on CPU");
    let why = explained(&p, "cuda");
    assert!(why.contains("no NVIDIA GPU detected"), "{why}");
    assert!(why.contains("CUDA stays selectable"), "{why}");
    let newest = newest_torch(|_| true);
    assert_eq!(p.framework_version.as_ref(), Some(&newest));
    assert_eq!(
        p.framework_requirement.as_ref().unwrap().requirement,
        format!("torch=={newest}+cpu")
    );
    // CUDA stays selectable without a GPU (deploying elsewhere).
    let c = Choices {
        cuda: Some(Accel::Cuda(v("12.8"))),
        ..pytorch()
    };
    let p = ok(&scenarios::no_gpu(), &c);
    let cuda = p.cuda.unwrap();
    assert_eq!(cuda.tag.as_deref(), Some("cu128"));
    assert_eq!(cuda.strategy, CudaStrategy::Wheels);
    assert_eq!(
        p.framework_version,
        Some(newest_torch(|b| b.tag == "cu128")),
        "the newest release with a cu128 build"
    );
}

#[test]
fn h100_on_535_uses_a_cuda12_build_through_minor_version_compatibility() {
    let p = ok(&scenarios::h100_535(), &pytorch());
    let cuda = p.cuda.clone().unwrap();
    assert_eq!(cuda.version.major(), 12, "CUDA 13 needs driver ≥ 580");
    let sm90 = "9.0".parse().unwrap();
    assert_eq!(
        p.framework_version,
        Some(newest_torch(
            |b| b.cuda.major() == 12 && b.sass.contains(&sm90)
        ))
    );
    // No such build is ≤ 12.2, so the closest newer minor is taken and said.
    assert_eq!(cuda.tag.as_deref(), Some("cu126"));
    let why = explained(&p, "cuda");
    assert!(why.contains("H100 80GB HBM3 (sm_90)"), "{why}");
    assert!(why.contains("minor-version compatibility"), "{why}");
    assert!(why.contains("535.104.05"), "{why}");
    // Runtime base is not an nvidia/cuda image newer than the driver.
    assert!(
        p.images.runtime.starts_with("python:"),
        "{}",
        p.images.runtime
    );
    assert_eq!(cuda.require_cuda, "cuda>=12.0");

    // Asking for CUDA 13.0 is refused with the driver named.
    let c = Choices {
        cuda: Some(Accel::Cuda(v("13.0"))),
        ..pytorch()
    };
    let m = refused(&scenarios::h100_535(), &c);
    assert!(m.contains("CUDA 13.0 needs driver ≥ 580"), "{m}");
    assert!(m.contains("this host has 535.104.05"), "{m}");

    // --allow-incompatible turns the refusal into a warning.
    let c = Choices {
        allow_incompatible: true,
        ..c
    };
    let p = ok(&scenarios::h100_535(), &c);
    assert!(p.warnings.iter().any(|w| w.contains("needs driver ≥ 580")));
}

#[test]
fn h100_on_535_refuses_an_nvidia_cuda_runtime_image_newer_than_the_driver() {
    let c = Choices {
        framework: Some("none".into()),
        cuda: Some(Accel::Cuda(v("12.4"))),
        ..Default::default()
    };
    let m = refused(&scenarios::h100_535(), &c);
    assert!(m.contains("NVIDIA_REQUIRE_CUDA"), "{m}");
    assert!(m.contains("choose CUDA ≤ 12.2"), "{m}");
    assert!(m.contains("≥ 550.54.15"), "{m}");
    // 12.2 itself is fine: runtime image in the final stage, devel only in the builder.
    let c = Choices {
        cuda: Some(Accel::Cuda(v("12.2"))),
        ..c
    };
    let p = ok(&scenarios::h100_535(), &c);
    assert_eq!(p.cuda.as_ref().unwrap().strategy, CudaStrategy::System);
    assert_eq!(p.images.runtime, "nvidia/cuda:12.2.2-runtime-ubuntu22.04");
    assert_eq!(p.images.builder, "nvidia/cuda:12.2.2-devel-ubuntu22.04");
    assert_eq!(p.python, v("3.10"));
    assert_eq!(p.python_source, PythonSource::Apt);
}

#[test]
fn rtx5090_gets_a_blackwell_build_and_old_ones_are_refused_with_the_fix() {
    let p = ok(&scenarios::rtx5090_570(), &pytorch());
    let cuda = p.cuda.clone().unwrap();
    assert_eq!(cuda.tag.as_deref(), Some("cu128"));
    let sm120 = "12.0".parse().unwrap();
    // Driver 570 runs CUDA 12.x only; the newest 12.x build with sm_120.
    assert_eq!(
        p.framework_version,
        Some(newest_torch(
            |b| b.cuda.major() == 12 && b.sass.contains(&sm120)
        ))
    );
    assert!(p.framework_version.as_ref().unwrap() >= &v("2.7"));
    assert!(!explained(&p, "cuda").contains("minor-version"));

    let c = Choices {
        framework_version: Some(v("2.6.0")),
        ..pytorch()
    };
    let m = refused(&scenarios::rtx5090_570(), &c);
    assert!(
        m.contains("RTX 5090 (sm_120) needs PyTorch ≥ 2.7 built for CUDA ≥ 12.8"),
        "{m}"
    );
    // CUDA 12.6 of a new release also lacks sm_120.
    let c = Choices {
        cuda: Some(Accel::Cuda(v("12.6"))),
        ..pytorch()
    };
    let m = refused(&scenarios::rtx5090_570(), &c);
    assert!(m.contains("has no kernels in PyTorch"), "{m}");
    assert!(m.contains("cu126"), "{m}");
}

#[test]
fn gtx1080_on_470_gets_cuda_11_8_and_a_build_that_kept_pascal() {
    let p = ok(&scenarios::gtx1080_470(), &pytorch());
    let cuda = p.cuda.clone().unwrap();
    assert_eq!(cuda.version, v("11.8"));
    assert_eq!(cuda.tag.as_deref(), Some("cu118"));
    assert_eq!(p.framework_version, Some(v("2.7.1")));
    let why = explained(&p, "cuda");
    assert!(why.contains("minor-version compatibility"), "{why}");
    assert!(why.contains("GTX 1080 (sm_61)"), "{why}");

    // cu128 builds of 2.8+ dropped Pascal; 12.x needs a newer driver anyway.
    let c = Choices {
        cuda: Some(Accel::Cuda(v("12.8"))),
        ..pytorch()
    };
    let m = refused(&scenarios::gtx1080_470(), &c);
    assert!(m.contains("needs driver ≥ 525.60.13"), "{m}");
    assert!(m.contains("sm_61"), "{m}");
}

#[test]
fn a100_with_rtx4090_on_550_needs_kernels_for_both() {
    let p = ok(&scenarios::a100_4090_550(), &pytorch());
    let cuda = p.cuda.clone().unwrap();
    assert_eq!(cuda.version.major(), 12);
    let why = explained(&p, "cuda");
    assert!(why.contains("A100-SXM4-80GB (sm_80)"), "{why}");
    assert!(why.contains("RTX 4090 (sm_89)"), "{why}");
    // Explicit 12.4 runs natively: no compatibility note.
    let c = Choices {
        cuda: Some(Accel::Cuda(v("12.4"))),
        ..pytorch()
    };
    let p = ok(&scenarios::a100_4090_550(), &c);
    assert_eq!(p.framework_version, Some(v("2.6.0")));
    assert!(!explained(&p, "cuda").contains("minor-version"));
    // JAX's CUDA 13 build needs driver 580.
    let c = Choices {
        framework: Some("jax".into()),
        cuda: Some(Accel::Cuda(v("13.0"))),
        ..Default::default()
    };
    let m = refused(&scenarios::a100_4090_550(), &c);
    assert!(m.contains("needs driver ≥ 580"), "{m}");
}

fn torch_pin(spec: &str, version: &str, local: Option<&str>) -> Facts {
    Facts {
        project: ProjectScan {
            requirements: vec!["requirements.txt".into()],
            pins: vec![Pin {
                package: "torch".into(),
                version: Some(version.parse().unwrap()),
                local: local.map(String::from),
                extras: vec![],
                spec: spec.into(),
                source: "requirements.txt:2".into(),
            }],
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn a_pinned_torch_is_honoured() {
    let mut facts = torch_pin("torch==2.5.1+cu124", "2.5.1", Some("cu124"));
    let h = scenarios::a100_4090_550();
    facts.gpus = h.gpus;
    facts.driver = h.driver;
    facts.nvml = h.nvml;
    let p = ok(&facts, &choices());
    assert_eq!(p.framework, "pytorch");
    assert_eq!(p.framework_version, Some(v("2.5.1")));
    assert_eq!(p.cuda.as_ref().unwrap().tag.as_deref(), Some("cu124"));
    assert_eq!(p.package_manager, PackageManager::Pip);
    // The manifest carries torch: no second install layer.
    assert!(p.framework_install.is_none());
    assert_eq!(p.manifests.copy, vec!["requirements.txt".to_string()]);
    assert!(explained(&p, "framework-version").contains("pinned by the project"));
}

#[test]
fn a_pinned_torch_the_host_cannot_run_is_reported() {
    let mut facts = torch_pin("torch==2.5.1+cu124", "2.5.1", Some("cu124"));
    let h = scenarios::rtx5090_570();
    facts.gpus = h.gpus;
    facts.driver = h.driver;
    let m = refused(&facts, &choices());
    assert!(m.contains("the project's pin torch==2.5.1+cu124"), "{m}");
    assert!(m.contains("RTX 5090 (sm_120)"), "{m}");
    assert!(
        m.contains("needs PyTorch ≥ 2.7 built for CUDA ≥ 12.8"),
        "{m}"
    );
}

#[test]
fn cpu_stacks_refuse_cuda_and_plain_python_gets_system_cuda() {
    let c = Choices {
        framework: Some("sklearn".into()),
        cuda: Some(Accel::Cuda(v("12.4"))),
        ..Default::default()
    };
    let err = plan(&scenarios::no_gpu(), &c).unwrap_err().to_string();
    assert!(err.contains("scikit-learn has no CUDA builds"), "{err}");

    let c = Choices {
        framework: Some("none".into()),
        cuda: Some(Accel::Cuda(v("12.6"))),
        python: Some(v("3.12")),
        ..Default::default()
    };
    let p = ok(&scenarios::no_gpu(), &c);
    assert_eq!(p.images.runtime, "nvidia/cuda:12.6.3-runtime-ubuntu24.04");
    assert_eq!(p.python, v("3.12"));
    // A Python that no Ubuntu of that CUDA ships is refused with the valid ones.
    let c = Choices {
        python: Some(v("3.11")),
        ..c
    };
    let err = plan(&scenarios::no_gpu(), &c).unwrap_err().to_string();
    assert!(err.contains("Ubuntu 22.04 (Python 3.10)"), "{err}");
}

#[test]
fn unknown_values_list_the_valid_ones() {
    let c = Choices {
        framework: Some("caffe".into()),
        ..Default::default()
    };
    let err = plan(&scenarios::no_gpu(), &c).unwrap_err().to_string();
    assert!(err.contains("valid: pytorch, tensorflow, jax"), "{err}");
    let c = Choices {
        framework_version: Some(v("1.0")),
        ..pytorch()
    };
    let err = plan(&scenarios::no_gpu(), &c).unwrap_err().to_string();
    assert!(err.contains("2.9.1"), "{err}");
    let c = Choices {
        cuda: Some(Accel::Cuda(v("10.2"))),
        ..pytorch()
    };
    let err = plan(&scenarios::no_gpu(), &c).unwrap_err().to_string();
    assert!(err.contains("no build for CUDA 10.2"), "{err}");
    let c = Choices {
        python: Some(v("2.7")),
        ..pytorch()
    };
    assert!(plan(&scenarios::no_gpu(), &c).is_err());
    let c = Choices {
        base_image: Some("evil; rm -rf /".into()),
        ..pytorch()
    };
    assert!(plan(&scenarios::no_gpu(), &c).is_err());
}

#[test]
fn tensorflow_and_jax_on_an_h100() {
    let c = Choices {
        framework: Some("tensorflow".into()),
        ..Default::default()
    };
    let p = ok(&scenarios::h100_535(), &c);
    let cuda = p.cuda.clone().unwrap();
    assert_eq!(cuda.tag.as_deref(), Some("and-cuda"));
    assert_eq!(
        p.framework_requirement.as_ref().unwrap().requirement,
        format!(
            "tensorflow[and-cuda]=={}",
            p.framework_version.as_ref().unwrap()
        )
    );
    let c = Choices {
        framework: Some("jax".into()),
        ..Default::default()
    };
    let p = ok(&scenarios::h100_535(), &c);
    assert_eq!(p.cuda.as_ref().unwrap().tag.as_deref(), Some("cuda12"));
    assert!(p
        .framework_requirement
        .as_ref()
        .unwrap()
        .requirement
        .starts_with("jax[cuda12]=="));
}

#[test]
fn stages_and_defaults() {
    let c = Choices {
        stages: Some(vec![Stage::Inference]),
        ..pytorch()
    };
    let p = ok(&scenarios::no_gpu(), &c);
    assert_eq!(p.stages, vec![Stage::Inference]);
    assert!(p.scaffold.iter().all(|s| s.path != "train.py"));
    assert!(p.scaffold.iter().any(|s| s.path == "serve.py"));
    let c = Choices {
        stages: Some(vec![]),
        ..pytorch()
    };
    assert!(plan(&scenarios::no_gpu(), &c).is_err());
}

#[test]
fn every_scenario_plans_for_every_framework() {
    let cat = mlcontain::catalog::Catalog::embedded();
    for (name, facts) in scenarios::all() {
        for fw in cat.framework_ids() {
            let c = Choices {
                framework: Some(fw.into()),
                ..Default::default()
            };
            let p = plan(&facts, &c).unwrap_or_else(|e| panic!("{name}/{fw}: {e}"));
            assert!(!p.explanations.is_empty(), "{name}/{fw}");
            // A default never relies on something the host cannot run.
            assert!(
                p.warnings.iter().all(|w| !w.contains("incompatible")),
                "{name}/{fw}: {:?}",
                p.warnings
            );
        }
    }
}

#[test]
fn a_cuda_extra_in_a_pin_means_cuda_even_without_a_gpu() {
    let facts = Facts {
        project: ProjectScan {
            requirements: vec!["requirements.txt".into()],
            pins: vec![Pin {
                package: "tensorflow".into(),
                version: Some("2.17.1".parse().unwrap()),
                local: None,
                extras: vec!["and-cuda".into()],
                spec: "tensorflow[and-cuda]==2.17.1".into(),
                source: "requirements.txt:1".into(),
            }],
            ..Default::default()
        },
        ..scenarios::no_gpu()
    };
    let p = ok(&facts, &choices());
    assert_eq!(p.framework, "tensorflow");
    assert_eq!(p.cuda.as_ref().map(|c| c.version.clone()), Some(v("12.3")));
    // The pin carries the exact build: no second TensorFlow in the image.
    assert!(p.framework_install.is_none(), "{:?}", p.framework_install);
}

#[test]
fn requirements_includes_are_copied_but_only_requirements_txt_is_installed() {
    let facts = Facts {
        project: ProjectScan {
            requirements: vec![
                "requirements.txt".into(),
                "requirements-dev.txt".into(),
                "requirements-gpu.txt".into(),
                "requirements/base.txt".into(),
            ],
            ..Default::default()
        },
        ..scenarios::no_gpu()
    };
    let p = ok(
        &facts,
        &Choices {
            framework: Some("sklearn".into()),
            ..Default::default()
        },
    );
    assert_eq!(p.manifests.install, vec!["requirements.txt".to_string()]);
    assert_eq!(p.manifests.dev, vec!["requirements-dev.txt".to_string()]);
    assert_eq!(p.manifests.copy.len(), 3, "{:?}", p.manifests.copy);
    let df = mlcontain::render::render_dockerfile(&p);
    assert!(
        df.contains("COPY requirements.txt requirements-gpu.txt ./"),
        "{df}"
    );
    assert!(
        df.contains("COPY requirements/base.txt requirements/"),
        "{df}"
    );
    assert!(
        df.contains("pip install --no-compile -r requirements.txt\n"),
        "{df}"
    );
    assert!(
        df.contains("-r requirements-dev.txt"),
        "dev target installs dev deps: {df}"
    );
}

/// The scan of a project whose only manifest is this requirements.txt.
fn scan_requirements(text: &str) -> ProjectScan {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("requirements.txt"), text).unwrap();
    mlcontain::detect::project::scan(t.path()).unwrap()
}

#[test]
fn post_and_pre_release_pins_are_pins_and_are_never_claimed_satisfied() {
    for (spec, kind) in [
        ("torch==2.5.1.post1", "post-release"),
        ("torch==2.6.0rc1", "pre-release"),
    ] {
        let project = scan_requirements(&format!("{spec}\nnumpy\n"));
        let pin = project
            .pin("torch")
            .unwrap_or_else(|| panic!("{spec} is a pin"));
        assert_eq!(
            pin.version.as_ref().map(|v| v.to_string()),
            spec.strip_prefix("torch==").map(String::from),
            "{spec}"
        );
        for host in [scenarios::h100_535(), scenarios::no_gpu()] {
            let facts = Facts {
                project: project.clone(),
                ..host
            };
            match plan(&facts, &choices()) {
                Err(PlanError::Unsupported(msg)) => {
                    assert!(msg.contains(spec), "{msg}");
                    assert!(msg.contains(kind), "{msg}");
                    assert!(msg.contains("requirements.txt:1"), "{msg}");
                }
                Err(e) => panic!("{spec}: unexpected error {e}"),
                Ok(p) => {
                    // Kept: the plan installs the project's pin, never another version over it.
                    let all = p.explanations.iter().map(|e| e.text.as_str());
                    assert!(
                        all.clone().all(|t| !t.contains("already satisfied")),
                        "{spec}: {:?}",
                        p.explanations
                    );
                    assert!(p.framework_install.is_none(), "{spec}: {p:?}");
                }
            }
        }
    }
}

#[test]
fn an_or_marker_false_on_linux_excludes_the_pin() {
    let project =
        scan_requirements("torch==2.5.1; sys_platform != 'linux' or python_version < '3'\n");
    assert!(project.pin("torch").is_none(), "{:?}", project.pins);
    let project =
        scan_requirements("torch==2.5.1; sys_platform == 'darwin' or python_version >= '3.8'\n");
    assert!(project.pin("torch").is_some(), "{:?}", project.pins);
}
