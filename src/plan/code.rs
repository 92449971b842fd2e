//! What the planner takes from the code scan (issue 10): the framework the
//! code uses, the stages a repository has entry points for, the commands
//! that run them, the health check, where models go, run-time
//! configuration, builder tools and the build context. Pure.

use super::origin::Explanation;
use crate::catalog::{Catalog, Framework};
use crate::choices::Stage;
use crate::facts::code::{ContextFile, FrameworkEvidence, Role};
use crate::facts::ProjectScan;
use serde::Serialize;

/// How the inference container is checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// GET this path on the port answers 2xx/3xx.
    Http(String),
    /// Something accepts TCP connections on the port (the app has no health route).
    Tcp,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CodePlan {
    pub health: Health,
    /// Where the `models` volume is mounted (`/app/models`, or where training writes).
    pub model_dir: String,
    /// Where the `data` volume is mounted (`/app/data`, or elsewhere when
    /// the project's `data/` folder is a Python package).
    pub data_dir: String,
    /// The inference service mounts the models volume (only when training writes it).
    pub inference_mounts_models: bool,
    /// The services get `.env` at run time (`env_file`, optional), never baked in.
    pub env_file: bool,
    /// Distribution packages the builder needs (`git`, `openssh-client`).
    pub builder_apt: Vec<String>,
    /// A VCS requirement uses ssh: BuildKit's ssh mount on the install step.
    pub ssh_mount: bool,
    /// A fresh manifest's dependencies, from what the code imports (distribution names).
    pub fresh_requirements: Vec<String>,
    /// Third-party imports the table could not map to a distribution.
    pub unmapped_imports: Vec<String>,
    /// The compose file to write: the user's own `docker-compose.yml` / `compose.yml` when there is one.
    pub compose_file: String,
    /// The inference service is mlcontain's placeholder (`serve.py` scaffold).
    pub inference_scaffold: bool,
    /// The training service is mlcontain's placeholder (`train.py` scaffold).
    pub training_scaffold: bool,
    /// The project's own Dockerfile is kept (`--keep-dockerfile`): its stage
    /// names (`FROM ... AS name`, lowercase, in order; empty when unnamed).
    pub kept_dockerfile: Option<Vec<String>>,
    /// The scanned files the training / inference services run (None: a
    /// scaffold, or no such stage).
    #[serde(skip)]
    pub training_entry: Option<String>,
    #[serde(skip)]
    pub inference_entry: Option<String>,
    /// Repository files (for the build context), and the ones the code names.
    #[serde(skip)]
    pub files: Vec<String>,
    #[serde(skip)]
    pub referenced: Vec<ContextFile>,
}

/// The two frameworks the code uses about equally (the second scores at
/// least 80% of the first; scikit-learn beside another is not a contest).
pub fn close_frameworks(scan: &ProjectScan) -> Option<(&FrameworkEvidence, &FrameworkEvidence)> {
    let ev = &scan.code.frameworks;
    let (best, second) = (ev.first()?, ev.get(1)?);
    (second.score * 10 >= best.score * 8 && second.id != "sklearn").then_some((best, second))
}

/// The framework the code and manifests point to, best first, with the reason.
pub fn framework_from_code<'c>(
    cat: &'c Catalog,
    scan: &ProjectScan,
    ex: &mut Vec<Explanation>,
) -> Option<&'c Framework> {
    let ev = &scan.code.frameworks;
    let best = ev.first()?;
    let fw = cat.framework(&best.id)?;
    let mut text = format!("{} — {}.", fw.name, best.reason);
    if let Some((_, second)) = close_frameworks(scan) {
        let other = cat
            .framework(&second.id)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| second.id.clone());
        text.push_str(&format!(
            " {other} is used too ({}); choose with --framework if it is the main one.",
            second.reason
        ));
    }
    ex.push(Explanation {
        topic: "framework",
        text,
    });
    Some(fw)
}

/// The stages an existing repository has entry points for: no placeholder
/// service by default where the code has none. A repository without code
/// (fresh) gets every stage and the scaffolds.
pub fn default_stages(scan: &ProjectScan, ex: &mut Vec<Explanation>) -> Vec<Stage> {
    let code = &scan.code;
    if code.python_files == 0 {
        return vec![Stage::Training, Stage::Inference, Stage::Dev];
    }
    let mut stages = vec![];
    match code.best(Role::Training) {
        Some(_) => stages.push(Stage::Training),
        None => ex.push(Explanation {
            topic: "stages",
            text: "no training stage: no file in the code trains (an optimizer step, .fit(), a Trainer) and runs as a script; add it with --stages (mlcontain then scaffolds train.py).".into(),
        }),
    }
    match code.best(Role::Inference) {
        Some(_) => stages.push(Stage::Inference),
        None => ex.push(Explanation {
            topic: "stages",
            text: "no inference stage: the code defines no server (FastAPI, Flask, Starlette, Litestar, Gradio, Streamlit, http.server); add it with --stages and mlcontain scaffolds a placeholder serve.py, named as such.".into(),
        }),
    }
    stages.push(Stage::Dev);
    stages
}

/// The training command from the code, with the reason.
pub fn training_command(scan: &ProjectScan, ex: &mut Vec<Explanation>) -> Option<Vec<String>> {
    let c = scan.code.best(Role::Training)?;
    let others: Vec<&str> = scan
        .code
        .candidates
        .iter()
        .filter(|o| o.role == Role::Training && o.path != c.path)
        .take(3)
        .map(|o| o.path.as_str())
        .collect();
    ex.push(Explanation {
        topic: "training",
        text: format!(
            "`{}` — {} {}{}.",
            c.run.join(" "),
            c.path,
            c.reason,
            if others.is_empty() {
                String::new()
            } else {
                format!(" (also training: {})", others.join(", "))
            }
        ),
    });
    Some(c.run.clone())
}

/// The inference command and health check from the code, with the reason
/// and the warnings (a server framework the manifests lack).
pub fn inference_command(
    scan: &ProjectScan,
    port: u16,
    ex: &mut Vec<Explanation>,
    warnings: &mut Vec<String>,
) -> Option<(Vec<String>, Health)> {
    let c = scan.code.best(Role::Inference)?;
    let declared = &scan.code.declared;
    let (cmd, health) = match &c.server {
        Some(s) => {
            let health = match (&s.health, s.framework.as_str()) {
                (Some(h), _) => Health::Http(h.clone()),
                (None, "streamlit") => Health::Http("/_stcore/health".into()),
                (None, _) => Health::Tcp,
            };
            let missing: Vec<&str> = s
                .needs(declared)
                .into_iter()
                .filter(|d| !declared.iter().any(|x| x == d))
                .collect();
            if !missing.is_empty() && !scan.has_no_manifest() {
                warnings.push(format!(
                    "{} serves with {} but no manifest lists {}: the inference container would fail with \"No module named {}\"; add {} to the project's dependencies",
                    c.path,
                    missing.join(" and "),
                    missing.join(", "),
                    missing[0],
                    missing.join(", ")
                ));
            }
            let reads_port = scan
                .code
                .env_reads
                .iter()
                .any(|e| e.name == "PORT" && e.source.starts_with(&format!("{}:", c.path)));
            if !s.port_from_command() && !reads_port {
                warnings.push(format!(
                    "{} picks its own port; make it listen on 0.0.0.0 and $PORT ({port}) so the published port and the health check reach it",
                    c.path
                ));
            }
            (s.command(&c.path, port, declared), health)
        }
        None => (c.run.clone(), Health::Tcp),
    };
    let health_text = match &health {
        Health::Http(p) => format!("the health check GETs {p}"),
        Health::Tcp => "so the health check only connects to the port".into(),
    };
    ex.push(Explanation {
        topic: "inference",
        text: format!(
            "`{}` — {} {}; {health_text}.",
            cmd.join(" "),
            c.path,
            c.reason
        ),
    });
    Some((cmd, health))
}

/// Where the models volume goes, and whether inference mounts it.
pub fn model_dir(
    scan: &ProjectScan,
    stages: &[Stage],
    default_dir: &str,
    app_dir: &str,
    ex: &mut Vec<Explanation>,
    warnings: &mut Vec<String>,
) -> (String, bool) {
    let code = &scan.code;
    let training = stages.contains(&Stage::Training);
    let inference_mounts = training;
    // A volume over a folder of the project's Python code would hide it
    // (`import models` fails, or runs a stale copy): another folder then.
    let holds_code = |rel: &str| {
        code.files
            .iter()
            .any(|f| f.starts_with(&format!("{rel}/")) && f.ends_with(".py"))
    };
    let default_owned;
    let default_dir = match default_dir.strip_prefix(&format!("{app_dir}/")) {
        Some(rel) if holds_code(rel) => {
            let alt = ["checkpoints", "artifacts", "model_store"]
                .into_iter()
                .find(|a| !holds_code(a))
                .unwrap_or("model_store");
            default_owned = format!("{app_dir}/{alt}");
            ex.push(Explanation {
                topic: "models",
                text: format!(
                    "the models volume at {default_owned}, not {default_dir}: {rel}/ holds the project's Python code, which a volume there would hide."
                ),
            });
            default_owned.as_str()
        }
        _ => default_dir,
    };
    if code.python_files == 0 || !training || code.best(Role::Training).is_none() {
        return (default_dir.to_string(), inference_mounts);
    }
    let reads = |n: &str| code.env_reads.iter().find(|e| e.name == n);
    if let Some(e) = reads("MODEL_DIR") {
        ex.push(Explanation {
            topic: "models",
            text: format!(
                "the models volume at {default_dir}: the code reads MODEL_DIR ({}), which the services set.",
                e.source
            ),
        });
        return (default_dir.to_string(), inference_mounts);
    }
    if let Some(w) = &code.model_write {
        let v = w.value.trim_matches('/');
        let last = v.rsplit('/').next().unwrap_or(v);
        let is_file = last.contains('.');
        let dir = if is_file {
            v.rsplit_once('/').map(|(d, _)| d.to_string())
        } else {
            Some(v.to_string())
        };
        match dir {
            Some(d) if !d.is_empty() && safe_rel(&d) => {
                let path = format!("{app_dir}/{d}");
                ex.push(Explanation {
                    topic: "models",
                    text: format!(
                        "the models volume at {path}: training writes {v} ({}), and the image creates that folder owned by the app user.",
                        w.source
                    ),
                });
                return (path, inference_mounts);
            }
            _ => warnings.push(format!(
                "training writes {v} ({}) in the code folder, not in a volume, so inference will not see a newly trained model; write it under $MODEL_DIR ({default_dir})",
                w.source
            )),
        }
    } else {
        warnings.push(format!(
            "could not tell where training writes its model; write it under $MODEL_DIR ({default_dir}), the models volume inference reads"
        ));
    }
    (default_dir.to_string(), inference_mounts)
}

fn safe_rel(d: &str) -> bool {
    d.split('/').all(|p| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    })
}

/// A fresh manifest's dependencies from the imports (the framework's own
/// distributions come from the plan's framework requirement).
pub fn fresh_requirements(
    scan: &ProjectScan,
    framework_packages: &[String],
    ex: &mut Vec<Explanation>,
) -> (Vec<String>, Vec<String>) {
    if !scan.has_no_manifest() {
        return (vec![], vec![]);
    }
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', '.'], "-");
    let mut mapped = vec![];
    let mut unmapped = vec![];
    for m in &scan.code.third_party {
        match &m.distribution {
            Some(d) if framework_packages.iter().any(|p| norm(p) == norm(d)) => {}
            Some(d) => mapped.push(d.clone()),
            None => unmapped.push(m.module.clone()),
        }
    }
    mapped.sort_by_key(|d| norm(d));
    mapped.dedup();
    if !mapped.is_empty() || !unmapped.is_empty() {
        ex.push(Explanation {
            topic: "scaffold",
            text: format!(
                "requirements from the imports: {}{}.",
                if mapped.is_empty() {
                    "none mapped".to_string()
                } else {
                    mapped.join(", ")
                },
                if unmapped.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; not mapped to a distribution (add them yourself): {}",
                        unmapped.join(", ")
                    )
                }
            ),
        });
    }
    (mapped, unmapped)
}

/// Builder tools for VCS requirements.
pub fn builder_tools(scan: &ProjectScan, ex: &mut Vec<Explanation>) -> (Vec<String>, bool) {
    let vcs = &scan.code.vcs_requirements;
    if vcs.is_empty() {
        return (vec![], false);
    }
    let ssh = vcs.iter().any(|v| v.ssh);
    let mut apt = vec!["git".to_string()];
    if ssh {
        apt.push("openssh-client".into());
    }
    ex.push(Explanation {
        topic: "builder",
        text: format!(
            "{} in the builder only: {} install from git ({}){}.",
            apt.join(" and "),
            if vcs.len() == 1 {
                "a requirement"
            } else {
                "requirements"
            },
            vcs.iter()
                .map(|v| v.source.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if ssh {
                "; build with `--ssh default` so the install can reach the repository"
            } else {
                ""
            }
        ),
    });
    (apt, ssh)
}

/// The compose file to write: the user's existing one, never shadowed.
pub fn compose_file(scan: &ProjectScan, ex: &mut Vec<Explanation>) -> String {
    match scan.existing.compose.as_deref() {
        Some(name) if name != "compose.yaml" => {
            ex.push(Explanation {
                topic: "compose",
                text: format!(
                    "{name} is the project's compose file: mlcontain updates it (diffed, replaced only with --force) instead of adding a compose.yaml that Compose would read first."
                ),
            });
            name.to_string()
        }
        _ => "compose.yaml".into(),
    }
}

/// A warning when the repository's own Dockerfile lacks the targets the
/// compose file builds (when the user keeps it).
pub fn dockerfile_warning(scan: &ProjectScan, stages: &[Stage]) -> Option<String> {
    let have = scan.code.dockerfile_stages.as_ref()?;
    let missing: Vec<&str> = stages
        .iter()
        .map(|s| s.as_str())
        .filter(|s| !have.iter().any(|h| h == s))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(format!(
        "the project's Dockerfile has {}; the generated compose file builds the target(s) {}: replace the Dockerfile too (--force), or keep it with --keep-dockerfile (compose then builds the stages it has)",
        if have.is_empty() {
            "no named stages".to_string()
        } else {
            format!("the stages {}", have.join(", "))
        },
        missing.join(", ")
    ))
}

/// The build target of a stage in a kept Dockerfile: the stage of that
/// name, else none (the Dockerfile's last stage, what `docker build` builds).
pub fn kept_target(have: &[String], stage: &str) -> Option<String> {
    have.iter().any(|h| h == stage).then(|| stage.to_string())
}
