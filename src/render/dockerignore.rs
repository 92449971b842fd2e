//! .dockerignore tuned for ML repositories: keep the build context small and
//! secrets, datasets, checkpoints and experiment logs out of images.

use super::context;
use crate::facts::PackageManager;
use crate::plan::Plan;

const SECTIONS: &[(&str, &[&str])] = &[
    (
        "Version control",
        &[".git", ".gitignore", ".gitattributes", ".hg", ".svn"],
    ),
    (
        "Python caches, builds and virtual environments",
        &[
            "**/__pycache__",
            "**/*.py[cod]",
            "*.egg-info",
            ".eggs",
            "build",
            "dist",
            ".venv",
            "venv",
            "env",
            ".tox",
            ".nox",
            ".mypy_cache",
            ".pytest_cache",
            ".ruff_cache",
            ".coverage",
            "htmlcov",
        ],
    ),
    ("Notebooks", &["**/.ipynb_checkpoints"]),
    (
        "Editors and OS files",
        &[".idea", ".vscode", "**/*.swp", "**/.DS_Store", "Thumbs.db"],
    ),
    (
        "Datasets (mounted as the `data` volume, not baked in)",
        &["data", "datasets"],
    ),
    (
        "Checkpoints and weights (written to the `models` volume at run time)",
        &[
            "models",
            "checkpoints",
            "**/*.ckpt",
            "**/*.pt",
            "**/*.pth",
            "**/*.safetensors",
            "**/*.onnx",
            "**/*.h5",
            "**/*.pkl",
            "**/*.joblib",
        ],
    ),
    (
        "Experiment logs",
        &[
            "wandb",
            "mlruns",
            "lightning_logs",
            "runs",
            "outputs",
            "logs",
            "tensorboard",
        ],
    ),
    (
        "Secrets: never in an image",
        &[
            ".env",
            ".env.*",
            "**/*.pem",
            "**/*.key",
            "**/id_rsa*",
            ".aws",
            ".netrc",
            ".pypirc",
            "secrets",
        ],
    ),
    (
        "Secrets at any depth (keys, tokens, cloud and registry credentials)",
        &[
            "**/.env",
            "**/.env.*",
            "**/.envrc",
            "**/.ssh",
            "**/id_rsa*",
            "**/id_dsa*",
            "**/id_ecdsa*",
            "**/id_ed25519*",
            "**/*.p12",
            "**/*.pfx",
            "**/*.jks",
            "**/*.keystore",
            "**/.aws",
            "**/.azure",
            "**/.config/gcloud",
            "**/.docker",
            "**/.kube",
            "**/.netrc",
            "**/.pypirc",
            "**/.npmrc",
            "**/.yarnrc.yml",
            "**/.git-credentials",
            "**/.huggingface",
            "**/.cache/huggingface",
            "**/.kaggle",
            "**/kaggle.json",
            "**/credentials.json",
            "**/client_secret*.json",
            "**/service-account*.json",
            "**/.vault-token",
            "**/*.tfstate",
            "**/*.tfstate.*",
            "**/.terraform",
            "**/secrets",
            "**/.secrets",
            "**/pip.conf",
            "**/pip.ini",
            "**/poetry.toml",
            "**/uv.toml",
        ],
    ),
    (
        "At any depth: nested repositories, experiment logs, node packages, weights",
        &[
            "**/.git",
            "**/wandb",
            "**/mlruns",
            "**/node_modules",
            "**/*.gguf",
            "**/*.keras",
        ],
    ),
    (
        "Left by mlcontain itself: interrupted writes and numbered backups",
        &["**/.*.mlcontain-*.tmp", "*.bak.*"],
    ),
    (
        "Container files themselves (a change to them must not bust the code layer)",
        &[
            "Dockerfile",
            "Dockerfile.*",
            "compose.yaml",
            "compose.yml",
            "docker-compose*.yml",
            "docker-compose*.yaml",
            ".dockerignore",
            "README.Docker.md",
            "mlcontain.yaml",
            "*.bak",
        ],
    ),
];

/// Sections whose exclusions give way to files the code needs.
const YIELDING: &[&str] = &[
    "Datasets",
    "Checkpoints",
    "Experiment logs",
    "Large folders",
];

/// What the `.dockerignore` does to the repository's own files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextReport {
    /// Re-included: (file, why the build needs it).
    pub kept: Vec<(String, String)>,
    /// Repository files still excluded: (file, `pattern` (section)).
    pub excluded: Vec<(String, String)>,
}

pub fn render_dockerignore(plan: &Plan) -> String {
    build(plan).0
}

/// The files of this repository the `.dockerignore` excludes, and the
/// ones it keeps because the code needs them (for `--dry-run`).
pub fn context_report(plan: &Plan) -> ContextReport {
    build(plan).1
}

/// At most this many re-include lines (beyond: a warning in the file).
const EXCEPTIONS_MAX: usize = 200;

fn build(plan: &Plan) -> (String, ContextReport) {
    let mut out = String::from(
        "# Generated by mlcontain from mlcontain.yaml; regenerate with `mlcontain init --yes`.\n",
    );
    let mut report = ContextReport::default();
    let mut listed: Vec<&str> = vec![];
    let extra: Vec<String> = plan
        .ignore_dirs
        .iter()
        .map(|d| d.trim_end_matches('/').to_string())
        .filter(|d| !SECTIONS.iter().any(|(_, e)| e.contains(&d.as_str())))
        .collect();
    let extra_refs: Vec<&str> = extra.iter().map(|s| s.as_str()).collect();
    let mut sections: Vec<(&str, &[&str])> = SECTIONS.to_vec();
    let large = "Large folders found in this project";
    if !extra.is_empty() {
        // Before the secrets, so that secrets stay out whatever comes earlier.
        let at = sections
            .iter()
            .position(|(t, _)| t.starts_with("Secrets"))
            .unwrap_or(sections.len());
        sections.insert(at, (large, &extra_refs));
    }
    let files = &plan.code.files;
    let mut lines: Vec<String> = vec![];
    let mut n_exceptions = 0;
    let mut dropped = 0;
    for (title, entries) in &sections {
        out.push_str(&format!("\n# {title}\n"));
        for e in entries.iter() {
            out.push_str(e);
            out.push('\n');
            listed.push(e);
            lines.push(e.to_string());
        }
        if !YIELDING.iter().any(|y| title.starts_with(y)) {
            continue;
        }
        // Files of this repository this section excludes that the code needs.
        let mut exceptions: Vec<String> = vec![];
        for e in entries.iter() {
            let hit: Vec<(&str, String)> = files
                .iter()
                .filter(|f| context::pattern_matches(e, f))
                .filter_map(|f| context::needed(f, &plan.code.referenced).map(|w| (f.as_str(), w)))
                .collect();
            for (f, why) in &hit {
                report.kept.push((f.to_string(), why.clone()));
            }
            for x in context::exceptions_for(e, &hit) {
                if !exceptions.contains(&x) {
                    exceptions.push(x);
                }
            }
        }
        if !exceptions.is_empty() {
            out.push_str("# ...but the code needs these (kept in the build context):\n");
            for x in exceptions {
                if n_exceptions >= EXCEPTIONS_MAX {
                    dropped += 1;
                    continue;
                }
                n_exceptions += 1;
                out.push_str(&x);
                out.push('\n');
                lines.push(x);
            }
        }
    }
    if dropped > 0 {
        out.push_str(&format!(
            "# {dropped} more re-include line(s) left out (over {EXCEPTIONS_MAX}).\n"
        ));
    }
    // uv's project settings without credentials: the builder copies them.
    let m = &plan.manifests;
    if m.copy.iter().any(|f| f == "uv.toml") && !m.secret.iter().any(|f| f == "uv.toml") {
        out.push_str(
            "\n# uv's project settings (no credentials): the builder copies them\n!uv.toml\n",
        );
        lines.push("!uv.toml".into());
    }
    if !plan.manifests.secret.is_empty() {
        out.push_str("\n# Manifests holding index credentials: never in the context or the image\n# (the build mounts them as BuildKit secrets; see README.Docker.md)\n");
        for f in &plan.manifests.secret {
            out.push('/');
            out.push_str(f);
            out.push('\n');
        }
    }
    // Lock files and manifests stay in the context (the builder copies them).
    if plan.package_manager == PackageManager::Pip && !plan.manifests.dev.is_empty() {
        out.push_str("\n# Dev requirements stay in the context for the dev target.\n");
    }
    for f in files {
        if let Some(by) = context::excluded_by(&lines, f) {
            let title = sections
                .iter()
                .find(|(_, e)| e.contains(&by))
                .map(|(t, _)| *t)
                .unwrap_or("");
            let title = title.split(" (").next().unwrap_or(title);
            report
                .excluded
                .push((f.clone(), format!("`{by}` ({title})")));
        }
    }
    report.kept.sort();
    report.kept.dedup();
    (out, report)
}
