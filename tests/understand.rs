//! Understanding the repository (issue 10): for each fixture of a real-world
//! shape, what the planner takes from the code — framework and why, the
//! training and inference commands, the stages, the health check, where
//! models go, and what the build context keeps and excludes.

use mlcontain::choices::{Choices, Stage};
use mlcontain::detect::project::scan;
use mlcontain::facts::code::Role;
use mlcontain::facts::Facts;
use mlcontain::plan::{plan, Health, Plan};
use mlcontain::render::{context_report, render};
use mlcontain::scenarios;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn facts(name: &str) -> Facts {
    Facts {
        project: scan(&fixture(name)).expect("scan fixture"),
        ..scenarios::no_gpu()
    }
}

fn planned(name: &str) -> Plan {
    plan(&facts(name), &Choices::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn file(p: &Plan, path: &str) -> String {
    render(p)
        .into_iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .contents
}

fn why(p: &Plan, topic: &str) -> String {
    p.explain(topic).join(" | ")
}

#[test]
fn torch_repo_without_manifest() {
    let p = planned("torch-no-manifest");
    assert_eq!(p.framework, "pytorch");
    assert_eq!(p.training_cmd, vec!["python", "train.py"]);
    assert_eq!(
        p.stages,
        vec![Stage::Training, Stage::Dev],
        "no placeholder server"
    );
    assert!(why(&p, "stages").contains("no inference stage"));
    // The fresh requirements list what the code imports, mapped.
    let reqs = file(&p, "requirements.txt");
    for d in ["numpy", "tiktoken", "tqdm", "wandb", "requests"] {
        assert!(reqs.lines().any(|l| l == d), "{d} missing:\n{reqs}");
    }
    assert!(reqs.contains("torch=="), "{reqs}");
    // Training writes out/: the models volume goes there, created for the app user.
    assert_eq!(p.code.model_dir, "/app/out");
    let compose = file(&p, "compose.yaml");
    assert!(compose.contains("- models:/app/out"), "{compose}");
    assert!(file(&p, "Dockerfile").contains("install -d -o 10001 -g 10001 /app /app/out"));
    // data/ stays out, but the code in it stays in.
    let ignore = file(&p, ".dockerignore");
    assert!(ignore.lines().any(|l| l == "data"), "{ignore}");
    assert!(ignore.lines().any(|l| l == "!data/**/*.py"), "{ignore}");
    let r = context_report(&p);
    assert!(
        r.kept
            .iter()
            .any(|(f, _)| f == "data/shakespeare/prepare.py"),
        "{r:?}"
    );
    assert!(!r.excluded.iter().any(|(f, _)| f.ends_with(".py")), "{r:?}");
}

#[test]
fn examples_folder_ranks_the_training_scripts() {
    let f = facts("examples-folder");
    let trains: Vec<&str> = f
        .project
        .code
        .candidates
        .iter()
        .filter(|c| c.role == Role::Training)
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(trains, vec!["mnist/main.py", "word_language_model/main.py"]);
    let generate = f
        .project
        .code
        .candidates
        .iter()
        .find(|c| c.path.ends_with("generate.py"))
        .unwrap();
    assert_eq!(generate.role, Role::Other, "{}", generate.reason);
    let p = planned("examples-folder");
    assert_eq!(p.training_cmd, vec!["python", "mnist/main.py"]);
    assert!(why(&p, "training").contains("also training: word_language_model/main.py"));
    // The script is tracked and must stay in the context.
    let r = context_report(&p);
    assert!(!r
        .excluded
        .iter()
        .any(|(f, _)| f == "run_python_examples.sh"));
}

#[test]
fn poetry_fastapi_service_in_a_package_with_a_committed_model() {
    let p = planned("poetry-fastapi");
    assert_eq!(p.framework, "sklearn");
    assert_eq!(p.stages, vec![Stage::Inference, Stage::Dev]);
    assert_eq!(
        p.inference_cmd,
        vec![
            "python",
            "-m",
            "uvicorn",
            "svc.main:app",
            "--host",
            "0.0.0.0",
            "--port",
            "8000"
        ]
    );
    assert_eq!(p.code.health, Health::Http("/health".into()));
    assert!(p.scaffold.is_empty(), "no placeholder: {:?}", p.scaffold);
    // The committed model stays in the build context, named by the code.
    let ignore = file(&p, ".dockerignore");
    assert!(ignore.lines().any(|l| l == "**/*.joblib"));
    assert!(
        ignore.lines().any(|l| l == "!svc/artifacts/model.joblib"),
        "{ignore}"
    );
    let r = context_report(&p);
    assert!(r
        .kept
        .iter()
        .any(|(f, w)| f == "svc/artifacts/model.joblib" && w.contains("svc/main.py")));
    // Without training the inference service does not hide the image's model behind a volume.
    let compose = file(&p, "compose.yaml");
    assert!(!compose.contains("models:/app/models:ro"), "{compose}");
}

#[test]
fn hf_lora_with_its_own_docker_files() {
    let f = facts("hf-lora");
    let p = plan(&f, &Choices::default()).unwrap();
    assert_eq!(p.framework, "pytorch", "transformers/peft imply PyTorch");
    assert!(
        why(&p, "framework").contains("peft"),
        "{}",
        why(&p, "framework")
    );
    assert_eq!(p.training_cmd, vec!["python", "finetune.py"]);
    // The user's docker-compose.yml is the file updated, not shadowed.
    assert_eq!(p.code.compose_file, "docker-compose.yml");
    let paths: Vec<String> = render(&p).into_iter().map(|f| f.path).collect();
    assert!(
        paths.contains(&"docker-compose.yml".to_string()),
        "{paths:?}"
    );
    assert!(!paths.contains(&"compose.yaml".to_string()), "{paths:?}");
    // The kept Dockerfile lacks the targets: said before writing.
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("Dockerfile has no named stages")),
        "{:?}",
        p.warnings
    );
    // git in the builder for the git+https requirement; .env at run time.
    assert_eq!(p.code.builder_apt, vec!["git".to_string()]);
    let df = file(&p, "Dockerfile");
    let builder = df
        .split("AS builder")
        .nth(1)
        .unwrap()
        .split("AS runtime")
        .next()
        .unwrap();
    assert!(
        builder.contains("apt-get install -y --no-install-recommends git"),
        "{df}"
    );
    assert!(
        !df.split("AS builder").next().unwrap().contains("git"),
        "no git in base: {df}"
    );
    assert!(p.code.env_file);
    let compose = file(&p, "docker-compose.yml");
    assert!(
        compose.contains("env_file:\n    - path: .env\n      required: false"),
        "{compose}"
    );
    // Scripts and configs stay in the context.
    let r = context_report(&p);
    assert!(!r
        .excluded
        .iter()
        .any(|(f, _)| f.starts_with("scripts/") || f.starts_with("configs/")));
}

#[test]
fn flask_xgboost_api() {
    let p = planned("flask-xgboost");
    assert_eq!(p.framework, "xgboost", "XGBoost over scikit-learn");
    assert_eq!(p.training_cmd, vec!["python", "train.py"]);
    assert_eq!(
        p.inference_cmd,
        vec![
            "python", "-m", "flask", "--app", "app:app", "run", "--host", "0.0.0.0", "--port",
            "8000"
        ]
    );
    // No health route: the check connects to the port instead of a failing /health.
    assert_eq!(p.code.health, Health::Tcp);
    assert!(file(&p, "Dockerfile").contains("socket.create_connection"));
    // Training writes model/xgb.json: the volume is mounted at /app/model for both.
    assert_eq!(p.code.model_dir, "/app/model");
    let compose = file(&p, "compose.yaml");
    assert!(compose.contains("- models:/app/model\n"), "{compose}");
    assert!(compose.contains("- models:/app/model:ro"), "{compose}");
    assert!(
        p.warnings.iter().all(|w| !w.contains("No module named")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn keras_flask_app() {
    let p = planned("keras-flask");
    assert_eq!(p.framework, "tensorflow");
    assert_eq!(
        p.inference_cmd[..5],
        ["python", "-m", "flask", "--app", "app:app"]
    );
    assert_eq!(p.code.model_dir, "/app/models");
    assert!(p.code.env_file, ".env is read by app.py");
    // .env is never baked: excluded from the context.
    assert!(file(&p, ".dockerignore").lines().any(|l| l == ".env"));
}

#[test]
fn flax_example_is_jax_with_tensorflow_for_datasets() {
    let p = planned("flax-example");
    assert_eq!(p.framework, "jax");
    assert!(
        why(&p, "framework").contains("flax"),
        "{}",
        why(&p, "framework")
    );
    assert_eq!(p.training_cmd, vec!["python", "main.py"]);
    assert!(
        why(&p, "training").contains("train.py"),
        "{}",
        why(&p, "training")
    );
    let f = facts("flax-example");
    let tf = f
        .project
        .code
        .frameworks
        .iter()
        .find(|e| e.id == "tensorflow")
        .unwrap();
    assert!(tf.reason.contains("JAX outranks it"), "{}", tf.reason);
}

#[test]
fn package_main_and_project_scripts() {
    let f = facts("pkg-main");
    let c = &f.project.code.candidates;
    let script = c
        .iter()
        .find(|c| c.path == "[project.scripts] tool-train")
        .unwrap();
    assert_eq!(script.role, Role::Training);
    let main = c.iter().find(|c| c.path == "tool/__main__.py").unwrap();
    assert_eq!(main.run, vec!["python", "-m", "tool"]);
}

#[test]
fn a_server_missing_from_the_manifests_is_a_warning() {
    // sklearn-cpu's serve.py is a Flask app; its requirements lack flask.
    let p = planned("sklearn-cpu");
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("no manifest lists flask")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn explicit_inference_in_a_repo_without_a_server_is_a_named_scaffold() {
    let f = facts("flax-example");
    let c = Choices {
        stages: Some(vec![Stage::Training, Stage::Inference]),
        ..Default::default()
    };
    let p = plan(&f, &c).unwrap();
    assert!(p.code.inference_scaffold);
    assert!(p
        .warnings
        .iter()
        .any(|w| w.contains("placeholder serve.py (a scaffold")));
}

#[test]
fn poetry_caret_constraints_still_declare_the_server() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("pyproject.toml"),
        "[tool.poetry]\nname = \"x\"\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nfastapi = \"^0.110.0\"\nuvicorn = { version = \"^0.28.0\", extras = [\"standard\"] }\n",
    )
    .unwrap();
    std::fs::write(
        t.path().join("main.py"),
        "from fastapi import FastAPI\napp = FastAPI()\n",
    )
    .unwrap();
    let s = scan(t.path()).unwrap();
    assert!(
        s.code.declares("fastapi") && s.code.declares("uvicorn"),
        "{:?}",
        s.code.declared
    );
    assert!(s
        .code
        .server_problems()
        .iter()
        .all(|w| !w.contains("which no manifest lists")));
}

#[test]
fn a_fresh_repository_plans_the_same_after_its_scaffolds_are_written() {
    let t = tempfile::tempdir().unwrap();
    let first = plan(
        &Facts {
            project: scan(t.path()).unwrap(),
            ..scenarios::no_gpu()
        },
        &Choices::default(),
    )
    .unwrap();
    for f in render(&first) {
        std::fs::write(t.path().join(&f.path), &f.contents).unwrap();
    }
    let again = plan(
        &Facts {
            project: scan(t.path()).unwrap(),
            ..scenarios::no_gpu()
        },
        &Choices::default(),
    )
    .unwrap();
    assert_eq!(again.stages, first.stages);
    assert_eq!(again.training_cmd, first.training_cmd);
    assert_eq!(again.inference_cmd, first.inference_cmd);
    assert!(again.code.inference_scaffold && again.code.training_scaffold);
    for name in ["Dockerfile", "compose.yaml"] {
        assert_eq!(
            file(&again, name),
            file(&first, name),
            "{name} differs on a re-run"
        );
    }
}
