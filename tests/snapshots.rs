//! insta snapshots of the rendered files for each fixture project, the way
//! nixpacks snapshots a plan per example: the project scan of
//! tests/fixtures/NAME plus a named host, planned and rendered.

use mlcontain::choices::Choices;
use mlcontain::detect::project::scan;
use mlcontain::facts::Facts;
use mlcontain::plan::plan;
use mlcontain::render::render;
use mlcontain::scenarios;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// All files of the plan in one text, each under a header.
fn rendered(name: &str, host: Facts, choices: Choices) -> String {
    let project = scan(&fixture(name)).expect("scan fixture");
    let facts = Facts { project, ..host };
    let p = plan(&facts, &choices).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut out = String::new();
    out.push_str("==> explanations <==\n");
    for e in &p.explanations {
        out.push_str(&format!("{}: {}\n", e.topic, e.text));
    }
    for w in &p.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    for f in render(&p) {
        out.push_str(&format!(
            "\n==> {} ({:?}) <==\n{}",
            f.path, f.kind, f.contents
        ));
    }
    out
}

macro_rules! snap {
    ($test:ident, $fixture:expr, $host:expr) => {
        snap!($test, $fixture, $host, Choices::default());
    };
    ($test:ident, $fixture:expr, $host:expr, $choices:expr) => {
        #[test]
        fn $test() {
            insta::assert_snapshot!(rendered($fixture, $host, $choices));
        }
    };
}

snap!(empty_repo_no_gpu, "empty", scenarios::no_gpu());
snap!(empty_repo_rtx5090, "empty", scenarios::rtx5090_570());
snap!(pip_torch_a100_4090, "pip-torch", scenarios::a100_4090_550());
snap!(uv_project_h100, "uv-project", scenarios::h100_535());
snap!(poetry_project_no_gpu, "poetry-project", scenarios::no_gpu());
snap!(conda_env_gtx1080, "conda-env", scenarios::gtx1080_470());
snap!(tensorflow_h100, "tensorflow", scenarios::h100_535());
snap!(jax_h100, "jax", scenarios::h100_535());
snap!(sklearn_cpu, "sklearn-cpu", scenarios::no_gpu());
snap!(
    plain_python_cuda_system_image,
    "empty",
    scenarios::no_gpu(),
    Choices {
        framework: Some("none".into()),
        cuda: Some("12.4".parse().unwrap()),
        ..Default::default()
    }
);

// Repositories of real-world shapes (issue 10): the entry points, framework,
// build context and compose file come from the code.
snap!(torch_no_manifest, "torch-no-manifest", scenarios::no_gpu());
snap!(examples_folder, "examples-folder", scenarios::no_gpu());
snap!(poetry_fastapi, "poetry-fastapi", scenarios::no_gpu());
snap!(hf_lora_own_docker_files, "hf-lora", scenarios::h100_535());
snap!(flask_xgboost, "flask-xgboost", scenarios::no_gpu());
snap!(keras_flask, "keras-flask", scenarios::no_gpu());
snap!(flax_example, "flax-example", scenarios::h100_535());
snap!(package_main_and_scripts, "pkg-main", scenarios::no_gpu());
// data/ is a Python package train.py imports (issue 9 §8): the data volume
// moves to /app/datasets in compose, Kubernetes and Slurm alike (the fleet
// files too), and the CSV the code names stays in the image under /app/data.
#[test]
fn data_package_every_deploy_target() {
    let choices = Choices {
        deploy: Some(mlcontain::choices::DeployTarget::ALL.to_vec()),
        project: Some("data-package".into()),
        ..Default::default()
    };
    let mut out = rendered("data-package", scenarios::no_gpu(), choices.clone());
    let project = scan(&fixture("data-package")).expect("scan fixture");
    let p = plan(
        &Facts {
            project,
            ..scenarios::no_gpu()
        },
        &choices,
    )
    .unwrap();
    let spec = mlcontain::render::fleet::spec_for(&p, "data-package", "linux/amd64");
    for f in mlcontain::render::fleet::render_fleet(&p, &spec) {
        out.push_str(&format!(
            "\n==> {} ({:?}) <==\n{}",
            f.path, f.kind, f.contents
        ));
    }
    insta::assert_snapshot!(out);
}
// Kubernetes manifests (deploy/k8s): training across nodes, GPU and CPU builds.
fn k8s(nodes: u32, gpus: Option<u32>) -> Choices {
    Choices {
        deploy: Some(vec![mlcontain::choices::DeployTarget::Kubernetes]),
        nodes: Some(nodes),
        gpus: gpus
            .map(|n| mlcontain::choices::GpuSelection::Count(mlcontain::choices::GpuCount::N(n))),
        ..Default::default()
    }
}
snap!(
    k8s_pip_torch_a100_4090_two_nodes,
    "pip-torch",
    scenarios::a100_4090_550(),
    k8s(2, Some(4))
);
snap!(
    k8s_uv_project_h100_gpu_product,
    "uv-project",
    scenarios::h100_535(),
    Choices {
        gpu_product: Some("NVIDIA-H100-80GB-HBM3".into()),
        mig_profile: Some("3g.40gb".into()),
        ..k8s(1, None)
    }
);
snap!(
    k8s_tensorflow_h100_two_nodes,
    "tensorflow",
    scenarios::h100_535(),
    k8s(2, Some(1))
);
snap!(
    k8s_sklearn_cpu,
    "sklearn-cpu",
    scenarios::no_gpu(),
    k8s(1, None)
);
