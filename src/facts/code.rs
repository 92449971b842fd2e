//! Facts about the project's code (read by `crate::detect::entrypoints`):
//! entry point candidates with their role and the reason, the modules the
//! code imports, the framework evidence, the files the build context must
//! keep, where models are written and read.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CodeScan {
    /// Python files read.
    pub python_files: usize,
    /// The walk stopped at one of its bounds (files, bytes, entries).
    #[serde(default)]
    pub truncated: bool,
    /// Runnable entry points and servers, ranked within each role (best first).
    #[serde(default)]
    pub candidates: Vec<EntryCandidate>,
    /// Third-party modules the code imports (not stdlib, not the project's own).
    #[serde(default)]
    pub third_party: Vec<ImportedModule>,
    /// The project's own top-level modules the code imports (`data` for
    /// `from data.loader import load`), from files outside that module.
    #[serde(default)]
    pub local_imports: Vec<String>,
    /// Framework evidence from imports and manifests, best first.
    #[serde(default)]
    pub frameworks: Vec<FrameworkEvidence>,
    /// Normalised distribution names the manifests declare (any package).
    #[serde(default)]
    pub declared: Vec<String>,
    /// `git+…` requirements: the builder needs git (and ssh for `git+ssh`).
    #[serde(default)]
    pub vcs_requirements: Vec<VcsRequirement>,
    /// Where the training entry point writes its model, when it says.
    #[serde(default)]
    pub model_write: Option<PathFact>,
    /// Environment variables the entry points read (`MODEL_DIR`, `MODEL_PATH`).
    #[serde(default)]
    pub env_reads: Vec<EnvFact>,
    /// Files that load a `.env` themselves at run time.
    #[serde(default)]
    pub dotenv: Vec<String>,
    /// Git-tracked (or, without git, present) files the default
    /// `.dockerignore` patterns would exclude, and whether the code needs them.
    #[serde(default)]
    pub context: Vec<ContextFile>,
    /// The repository's files (`git ls-files`, or the walk without git),
    /// bounded; used for the build context, not printed.
    #[serde(skip)]
    pub files: Vec<String>,
    /// Whether the file list came from `git ls-files`.
    #[serde(default)]
    pub git_tracked: bool,
    /// Stage names of an existing Dockerfile (`FROM … AS name`), in order.
    #[serde(default)]
    pub dockerfile_stages: Option<Vec<String>>,
}

impl CodeScan {
    pub fn best(&self, role: Role) -> Option<&EntryCandidate> {
        self.candidates.iter().find(|c| c.role == role)
    }
    pub fn declares(&self, dist: &str) -> bool {
        self.declared.iter().any(|d| d == dist)
    }
    /// Problems with the server the code defines: its framework missing from
    /// the manifests, no health route. Empty when there is no server.
    pub fn server_problems(&self) -> Vec<String> {
        let Some(c) = self.best(Role::Inference) else {
            return vec![];
        };
        let Some(s) = &c.server else { return vec![] };
        let mut out = vec![];
        let missing: Vec<&str> = s
            .needs(&self.declared)
            .into_iter()
            .filter(|d| !self.declares(d))
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "{} serves with {}, which no manifest lists: the container would fail with \"No module named {}\"",
                c.path,
                missing.join(" and "),
                missing[0]
            ));
        }
        if s.health.is_none() && s.framework != "streamlit" {
            out.push(format!(
                "{} has no health route (/health, /healthz, /ping, ...): the health check only connects to the port",
                c.path
            ));
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Training,
    Inference,
    Other,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Training => "training",
            Role::Inference => "inference",
            Role::Other => "other",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EntryCandidate {
    /// The file (`train.py`, `svc/main.py`), or the script name for `[project.scripts]`.
    pub path: String,
    pub role: Role,
    /// Why it has this role, in words (`runs a training loop: loss.backward() …`).
    pub reason: String,
    pub score: i32,
    /// How to run it (`python train.py`, `python -m pkg`); servers: see `server`.
    pub run: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerApp>,
    /// mlcontain's scaffold (`train.py` / `serve.py` it wrote), not the project's code.
    #[serde(default)]
    pub scaffold: bool,
}

/// A web application found in the code.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServerApp {
    /// `fastapi`, `starlette`, `litestar`, `flask`, `gradio`, `streamlit`, `stdlib`.
    pub framework: String,
    /// Dotted module (`svc.main`).
    pub module: String,
    /// The app object (`app`) or factory call (`create_app()`); empty when none.
    pub object: String,
    /// The folder the module path starts from (`src` for src layouts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_dir: Option<String>,
    /// A GET route that answers health checks (`/health`, `/healthz`, `/ping`).
    pub health: Option<String>,
    /// GET routes declared (bounded).
    #[serde(default)]
    pub routes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ImportedModule {
    pub module: String,
    /// The distribution it maps to, when the table knows it.
    pub distribution: Option<String>,
    /// Files importing it (count).
    pub files: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FrameworkEvidence {
    /// Catalog framework id (`pytorch`, `xgboost`, `jax`, …).
    pub id: String,
    pub score: i32,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VcsRequirement {
    /// `requirements.txt:4`
    pub source: String,
    pub ssh: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PathFact {
    /// Relative to the project root (`model/xgb.json`, `out`).
    pub value: String,
    /// `train.py:12`
    pub source: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EnvFact {
    pub name: String,
    pub default: Option<String>,
    pub source: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ContextFile {
    pub path: String,
    /// The default pattern that would exclude it (`data`, `**/*.joblib`).
    pub pattern: String,
    /// Why the build needs it (`svc/model.py references it`), or None.
    pub needed: Option<String>,
}

impl ServerApp {
    /// The command that serves the app on `port`, given the distributions
    /// the manifests declare (`gunicorn` for Flask, `uvicorn` or
    /// `hypercorn` for ASGI apps). `path` is the module's file.
    pub fn command(&self, path: &str, port: u16, declared: &[String]) -> Vec<String> {
        let has = |d: &str| declared.iter().any(|x| x == d);
        let target = format!("{}:{}", self.module, self.object);
        let port_s = port.to_string();
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match self.framework.as_str() {
            "fastapi" | "starlette" | "litestar" if !self.object.is_empty() => {
                if has("hypercorn") && !has("uvicorn") {
                    v(&[
                        "python",
                        "-m",
                        "hypercorn",
                        &target,
                        "--bind",
                        &format!("0.0.0.0:{port}"),
                    ])
                } else {
                    let mut c = v(&["python", "-m", "uvicorn", &target]);
                    if let Some(d) = &self.app_dir {
                        c.extend(v(&["--app-dir", d]));
                    }
                    c.extend(v(&["--host", "0.0.0.0", "--port", &port_s]));
                    c
                }
            }
            "flask" if !self.object.is_empty() => {
                if has("gunicorn") {
                    let mut c = v(&["gunicorn", "--bind", &format!("0.0.0.0:{port}")]);
                    if let Some(d) = &self.app_dir {
                        c.extend(v(&["--chdir", d]));
                    }
                    c.push(target);
                    c
                } else {
                    // `flask --app` exists since Flask 2.2.
                    v(&[
                        "python", "-m", "flask", "--app", &target, "run", "--host", "0.0.0.0",
                        "--port", &port_s,
                    ])
                }
            }
            "streamlit" => v(&[
                "python",
                "-m",
                "streamlit",
                "run",
                path,
                "--server.address",
                "0.0.0.0",
                "--server.port",
                &port_s,
                "--server.headless",
                "true",
            ]),
            _ => v(&["python", path]),
        }
    }

    /// The distributions serving needs (`fastapi` + `uvicorn`, `flask`).
    pub fn needs(&self, declared: &[String]) -> Vec<&'static str> {
        let has = |d: &str| declared.iter().any(|x| x == d);
        match self.framework.as_str() {
            "fastapi" => {
                if has("hypercorn") {
                    vec!["fastapi", "hypercorn"]
                } else {
                    vec!["fastapi", "uvicorn"]
                }
            }
            "starlette" => vec!["starlette", "uvicorn"],
            "litestar" => vec!["litestar", "uvicorn"],
            "flask" => {
                if has("gunicorn") {
                    vec!["flask", "gunicorn"]
                } else {
                    vec!["flask"]
                }
            }
            "gradio" => vec!["gradio"],
            "streamlit" => vec!["streamlit"],
            _ => vec![],
        }
    }

    /// Whether the app binds where the container needs it by itself: our
    /// command sets host and port for these frameworks.
    pub fn port_from_command(&self) -> bool {
        matches!(
            self.framework.as_str(),
            "fastapi" | "starlette" | "litestar" | "flask" | "streamlit"
        ) && (!self.object.is_empty() || self.framework == "streamlit")
    }
}
