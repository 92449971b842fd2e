//! The code scan: a bounded walk of the repository's Python files (skipping
//! virtual environments, vendored and hidden trees, tests and docs), read
//! with [`super::pysource`], turned into ranked entry point candidates with
//! their role and reason, the third-party imports, the framework evidence,
//! the files the code references, and the paths models are written to.

use super::imports::ImportTable;
use super::pysource::{analyze, AppObject, Server, SourceFacts};
use crate::facts::code::{
    CodeScan, EntryCandidate, EnvFact, FrameworkEvidence, ImportedModule, PathFact, Role,
    ServerApp, VcsRequirement,
};
use crate::facts::ProjectScan;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

/// The walk looks at no more than this many directory entries.
const WALK_ENTRIES: usize = 50_000;
/// It goes at most this deep below the root.
const WALK_DEPTH: usize = 8;
/// Python files read, at most.
const PY_FILES_MAX: usize = 2_000;
/// Bytes read per Python file.
const PY_FILE_CAP: u64 = 256 * 1024;
/// Bytes read from all Python files together.
const PY_TOTAL_CAP: u64 = 32 * 1024 * 1024;
/// Repository files listed for the build context, at most.
pub const FILES_MAX: usize = 20_000;
/// Folders never entered: environments, caches, vendored code, VCS.
const SKIP_DIRS: &[&str] = &[
    "__pycache__",
    "env",
    "venv",
    "site-packages",
    "node_modules",
    "third_party",
    "third-party",
    "vendor",
    "vendored",
    "external",
    "extern",
    "wandb",
    "mlruns",
    "lightning_logs",
];
/// Folders whose Python files are not entry points nor dependencies of the app.
const NOT_APP_DIRS: &[&str] = &["tests", "test", "docs", "doc", "benchmarks", "node_modules"];
/// Files that are never entry points.
const NOT_ENTRY_FILES: &[&str] = &["setup.py", "conftest.py", "noxfile.py", "__init__.py"];
/// GET routes that answer a health check, best first.
const HEALTH_ROUTES: &[&str] = &[
    "/health", "/healthz", "/ready", "/readyz", "/livez", "/ping", "/status",
];

struct PyFile {
    path: String,
    facts: SourceFacts,
}

/// Scans the code under `dir`; `project` is the manifest scan so far
/// (pins, pyproject) and gives the declared dependencies.
pub fn scan_code(dir: &Path, project: &ProjectScan) -> CodeScan {
    let mut cs = CodeScan::default();
    let (walked, pyfiles, truncated) = walk(dir);
    cs.truncated = truncated;
    let py_set: BTreeSet<&str> = pyfiles.iter().map(|p| p.path.as_str()).collect();
    cs.python_files = pyfiles.len();

    // ---- the files in the repository (git's view when it answers) ----
    let (files, git) = match git_files(dir) {
        Some(f) => (f, true),
        None => (walked, false),
    };
    cs.git_tracked = git;
    cs.files = files;

    // ---- declared dependencies, VCS requirements ----
    let (declared, vcs) = declared_dependencies(dir, project);
    cs.declared = declared;
    cs.vcs_requirements = vcs;

    // ---- imports ----
    let table = ImportTable::embedded();
    let local = local_modules(&py_set);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in pyfiles.iter().filter(|f| is_app_file(&f.path)) {
        for m in &f.facts.imports {
            if !table.is_stdlib(m) && !local.contains(m.as_str()) {
                *counts.entry(m.clone()).or_default() += 1;
            }
        }
    }
    cs.local_imports = pyfiles
        .iter()
        .flat_map(|f| {
            f.facts
                .imports
                .iter()
                .filter(|m| local.contains(m.as_str()) && !f.path.starts_with(&format!("{m}/")))
        })
        .cloned()
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    cs.third_party = counts
        .iter()
        .map(|(m, n)| ImportedModule {
            module: m.clone(),
            distribution: table.distribution(m).map(str::to_string),
            files: *n,
        })
        .collect();
    cs.frameworks = framework_evidence(&counts, project, &cs.declared, table);

    cs.candidates = entry_candidates(dir, project, &pyfiles, &py_set);

    // ---- where models go, what the entry points read ----
    let by_path = |p: &str| pyfiles.iter().find(|f| f.path == p);
    let train = cs
        .best(Role::Training)
        .and_then(|c| by_path(&c.path).or_else(|| by_path(&script_file(&c.run))));
    let serve = cs.best(Role::Inference).and_then(|c| by_path(&c.path));
    for f in [train, serve].into_iter().flatten() {
        for e in &f.facts.env_reads {
            if !cs.env_reads.iter().any(|x| x.name == e.name) {
                cs.env_reads.push(EnvFact {
                    name: e.name.clone(),
                    default: e.default.clone(),
                    source: format!("{}:{}", f.path, e.line),
                });
            }
        }
    }
    if let Some(t) = train {
        cs.model_write = t
            .facts
            .model_paths
            .iter()
            .find(|h| !h.value.is_empty())
            .map(|h| PathFact {
                value: h.value.clone(),
                source: format!("{}:{}", t.path, h.line),
            });
    }
    cs.dotenv = pyfiles
        .iter()
        .filter(|f| f.facts.loads_dotenv && is_app_file(&f.path))
        .map(|f| f.path.clone())
        .collect();

    // ---- files the code references by path ----
    let mut referenced = vec![];
    for file in &cs.files {
        if referenced.len() >= 500 {
            break;
        }
        let name = file.rsplit('/').next().unwrap_or(file);
        if file.ends_with(".py") {
            continue;
        }
        let by = pyfiles.iter().find(|f| {
            f.facts.path_literals.iter().any(|l| {
                l == file
                    || (file.ends_with(&format!("/{l}")) && l.contains('/'))
                    || (l == name && name.contains('.'))
            })
        });
        if let Some(by) = by {
            referenced.push(crate::facts::code::ContextFile {
                path: file.clone(),
                pattern: String::new(),
                needed: Some(format!("{} names it", by.path)),
            });
        }
    }
    cs.context = referenced;
    cs.dockerfile_stages = dockerfile_stages(dir);
    cs
}

/// The file a `python FILE` / `python -m MOD` command runs.
fn script_file(run: &[String]) -> String {
    match run {
        [_, m, module] if m == "-m" => format!("{}.py", module.replace('.', "/")),
        [_, f, ..] => f.clone(),
        _ => String::new(),
    }
}

fn is_app_file(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or("");
    !parts.iter().any(|p| NOT_APP_DIRS.contains(p))
        && !name.starts_with("test_")
        && !name.ends_with("_test.py")
}

/// Top-level names the project's own code provides (`pkg` for pkg/…, `model` for model.py).
fn local_modules(py: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in py {
        let parts: Vec<&str> = p.split('/').collect();
        // Every folder level can be a root (src/ layouts, scripts run from their folder).
        for (i, part) in parts.iter().enumerate() {
            let name = if i + 1 == parts.len() {
                part.trim_end_matches(".py")
            } else {
                part
            };
            out.insert(name.to_string());
        }
    }
    out
}

fn health_route(routes: &[String]) -> Option<String> {
    HEALTH_ROUTES
        .iter()
        .find(|h| routes.iter().any(|r| r == *h))
        .map(|h| h.to_string())
}

/// `svc/main.py` -> `svc.main`; `src/pkg/app.py` -> (`pkg.app`, Some(`src`)).
fn module_path(path: &str, py: &BTreeSet<&str>) -> (String, Option<String>) {
    let stem = path.trim_end_matches(".py");
    if let Some(rest) = stem.strip_prefix("src/") {
        let pkg = rest.split('/').next().unwrap_or("");
        if py.contains(format!("src/{pkg}/__init__.py").as_str()) {
            return (rest.replace('/', "."), Some("src".into()));
        }
    }
    (stem.replace('/', "."), None)
}

/// The entry points the code offers, best first within each role: scripts
/// and modules, the project's declared scripts, a script that runs a local
/// module's training loop, routes from routers elsewhere in the package.
fn entry_candidates(
    dir: &Path,
    project: &ProjectScan,
    pyfiles: &[PyFile],
    py_set: &BTreeSet<&str>,
) -> Vec<EntryCandidate> {
    // ---- candidates ----
    let mut cands: Vec<EntryCandidate> = vec![];
    for f in pyfiles.iter().filter(|f| is_app_file(&f.path)) {
        if let Some(c) = candidate(f, py_set) {
            cands.push(c);
        }
    }
    cands.extend(project_scripts(dir, project, pyfiles));
    // A script that runs a local module's training loop (`import train`;
    // `train.train_and_evaluate(...)`) trains.
    for c in cands.iter_mut().filter(|c| c.role == Role::Other) {
        let Some(f) = pyfiles.iter().find(|f| f.path == c.path) else {
            continue;
        };
        let folder = f
            .path
            .rsplit_once('/')
            .map(|(d, _)| format!("{d}/"))
            .unwrap_or_default();
        let trainer = f.facts.imports.iter().find_map(|m| {
            [format!("{folder}{m}.py"), format!("{m}.py")]
                .into_iter()
                .find_map(|p| pyfiles.iter().find(|g| g.path == p))
                .filter(|g| g.facts.training.iter().any(|(l, _)| *l != ".fit()"))
        });
        if let Some(t) = trainer {
            let shown: Vec<&str> = t.facts.training.iter().take(3).map(|(l, _)| *l).collect();
            c.role = Role::Training;
            c.score += 45;
            c.reason = format!(
                "runs the training in {} ({}); {}",
                t.path,
                shown.join(", "),
                c.reason.replace(", but neither trains nor serves", "")
            );
        }
    }
    for c in cands.iter_mut().filter(|c| c.scaffold) {
        c.reason = format!(
            "mlcontain's scaffold (a placeholder, not your code): {}",
            c.reason
        );
    }
    // Routes declared in routers elsewhere in the package count for its app.
    for c in cands.iter_mut() {
        if let Some(s) = c.server.as_mut() {
            if s.health.is_none() {
                let pkg = s.module.split('.').next().unwrap_or("").to_string();
                let mut extra: Vec<String> = vec![];
                for f in pyfiles.iter().filter(|f| {
                    f.path.split('/').next() == Some(pkg.as_str()) && f.path.contains('/')
                }) {
                    extra.extend(f.facts.get_routes.iter().cloned());
                }
                s.health = health_route(&extra);
            }
        }
    }
    cands.sort_by(|a, b| {
        a.role
            .cmp(&b.role)
            .then(b.score.cmp(&a.score))
            .then(a.path.cmp(&b.path))
    });
    cands
}

fn dir_depth(path: &str) -> i32 {
    path.matches('/').count() as i32
}

/// Where a candidate file sits: its module path, app dir, and the score
/// its depth and folder give.
struct Place<'a> {
    module: String,
    app_dir: Option<String>,
    score: i32,
    stem: &'a str,
}

/// A file that defines (or runs) a web app or UI: an inference candidate.
fn server_candidate(f: &PyFile, a: &AppObject, place: Place) -> EntryCandidate {
    let facts = &f.facts;
    let Place {
        module,
        app_dir,
        score,
        stem,
    } = place;
    let health = health_route(&facts.get_routes);
    let object = a.object.clone();
    let framework = match a.server {
        Server::Fastapi => "fastapi",
        Server::Starlette => "starlette",
        Server::Litestar => "litestar",
        Server::Flask => "flask",
        Server::Gradio => "gradio",
        Server::Streamlit => "streamlit",
        Server::Stdlib => "stdlib",
    };
    let what = if object.is_empty() {
        format!("serves with {}", a.server.name())
    } else {
        format!(
            "defines a {} app `{object}` (line {})",
            a.server.name(),
            a.line
        )
    };
    let health_text = match &health {
        Some(h) => format!("; health route {h}"),
        None => "; no health route".to_string(),
    };
    let mut score = score;
    if ["serve", "server", "app", "api", "main", "service"].contains(&stem) {
        score += 10;
    }
    if health.is_some() {
        score += 5;
    }
    let mut routes = facts.get_routes.clone();
    routes.truncate(20);
    EntryCandidate {
        path: f.path.clone(),
        role: Role::Inference,
        reason: format!("{what}{health_text}"),
        score,
        run: vec!["python".into(), f.path.clone()],
        scaffold: facts.scaffold,
        server: Some(ServerApp {
            framework: framework.into(),
            module,
            object,
            app_dir,
            health,
            routes,
        }),
    }
}

fn candidate(f: &PyFile, py: &BTreeSet<&str>) -> Option<EntryCandidate> {
    let name = f.path.rsplit('/').next().unwrap_or(&f.path);
    let is_main_module = name == "__main__.py";
    if NOT_ENTRY_FILES.contains(&name) {
        return None;
    }
    let facts = &f.facts;
    let runnable = facts.main_block.is_some() || facts.top_level_code || is_main_module;
    let (module, app_dir) = module_path(&f.path, py);
    let stem = name.trim_end_matches(".py").to_ascii_lowercase();
    let folder_penalty = f
        .path
        .split('/')
        .map(|p| match p {
            "examples" | "example" | "notebooks" | "playground" | "legacy" => 15,
            "data" | "datasets" | "tools" => 10,
            "scripts" => 2,
            _ => 0,
        })
        .sum::<i32>();
    let depth = dir_depth(&f.path);
    let how = if facts.main_block.is_some() {
        "under `if __name__ == \"__main__\"`"
    } else if is_main_module {
        "as the package's `__main__.py`"
    } else {
        "at module level"
    };
    let cli = if facts.cli.is_empty() {
        String::new()
    } else {
        format!(", with a CLI ({})", facts.cli.join(", "))
    };

    // ---- servers ----
    let app = facts.apps.iter().find(|a| {
        matches!(
            a.server,
            Server::Fastapi | Server::Starlette | Server::Litestar | Server::Flask
        )
    });
    let ui = facts.apps.iter().find(|a| {
        matches!(
            a.server,
            Server::Gradio | Server::Streamlit | Server::Stdlib
        )
    });
    let server = match (app, ui) {
        (Some(a), _) => Some(a),
        (None, Some(u)) if u.server == Server::Streamlit || (runnable && facts.runs_server) => {
            Some(u)
        }
        _ => None,
    };
    if let Some(a) = server {
        let place = Place {
            module,
            app_dir,
            score: 60 - 4 * depth - folder_penalty,
            stem: &stem,
        };
        return Some(server_candidate(f, a, place));
    }
    if !runnable {
        return None;
    }
    let run = if is_main_module {
        let pkg = module.trim_end_matches(".__main__").to_string();
        vec!["python".into(), "-m".into(), pkg]
    } else if facts.relative_imports {
        vec!["python".into(), "-m".into(), module.clone()]
    } else {
        vec!["python".into(), f.path.clone()]
    };
    // ---- training ----
    let signals: Vec<&str> = facts.training.iter().map(|(l, _)| *l).collect();
    let strong = signals.iter().any(|s| *s != ".fit()") || !facts.saves_model.is_empty();
    // mlcontain's own train.py scaffold stands in for training (a re-run
    // plans the same stages as the run that wrote it).
    if facts.scaffold && stem == "train" {
        return Some(EntryCandidate {
            path: f.path.clone(),
            role: Role::Training,
            reason: "the training placeholder mlcontain wrote".into(),
            score: 40,
            run,
            server: None,
            scaffold: true,
        });
    }
    if !signals.is_empty() && strong {
        let mut score = 50 + 5 * (signals.len().min(4) as i32) - 4 * depth - folder_penalty;
        if stem.contains("train") {
            score += 20;
        }
        if ["finetune", "fine_tune", "sft", "lora"]
            .iter()
            .any(|k| stem.contains(k))
        {
            score += 15;
        }
        if !facts.saves_model.is_empty() {
            score += 5;
        }
        let shown: Vec<&str> = signals.iter().take(3).copied().collect();
        let saves = if facts.saves_model.is_empty() {
            ""
        } else {
            " and saves a model"
        };
        return Some(EntryCandidate {
            path: f.path.clone(),
            role: Role::Training,
            reason: format!("trains ({}){saves}, {how}{cli}", shown.join(", ")),
            score,
            run,
            server: None,
            scaffold: facts.scaffold,
        });
    }
    Some(EntryCandidate {
        path: f.path.clone(),
        role: Role::Other,
        reason: format!("runs {how}{cli}, but neither trains nor serves"),
        score: 10 - 4 * depth - folder_penalty,
        run,
        server: None,
        scaffold: facts.scaffold,
    })
}

/// `[project.scripts]` / `[tool.poetry.scripts]` entries (`name = "mod:func"`).
fn project_scripts(dir: &Path, project: &ProjectScan, py: &[PyFile]) -> Vec<EntryCandidate> {
    let Some(pp) = &project.pyproject else {
        return vec![];
    };
    let Some(text) = read_capped(&dir.join(&pp.path), 4 * 1024 * 1024) else {
        return vec![];
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return vec![];
    };
    let tables = [
        doc.get("project").and_then(|p| p.get("scripts")),
        doc.get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|p| p.get("scripts")),
    ];
    let mut out = vec![];
    for t in tables.into_iter().flatten() {
        let Some(t) = t.as_table() else { continue };
        for (name, target) in t {
            let Some(target) = target.as_str() else {
                continue;
            };
            let Some((module, func)) = target.split_once(':') else {
                continue;
            };
            let ok = |s: &str| {
                !s.is_empty()
                    && s.split('.').all(|p| {
                        !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
            };
            if !ok(module) || !ok(func) || out.len() >= 20 {
                continue;
            }
            let rel = module.replace('.', "/");
            let file = [
                format!("{rel}.py"),
                format!("src/{rel}.py"),
                format!("{rel}/__init__.py"),
                format!("src/{rel}/__init__.py"),
            ]
            .into_iter()
            .find(|c| py.iter().any(|f| &f.path == c));
            let trains = file
                .as_ref()
                .and_then(|p| py.iter().find(|f| &f.path == p))
                .map(|f| !f.facts.training.is_empty())
                .unwrap_or(false);
            let lname = name.to_ascii_lowercase();
            let role = if trains || lname.contains("train") || lname.contains("finetune") {
                Role::Training
            } else {
                Role::Other
            };
            let why = if trains {
                "its function's module trains"
            } else if role == Role::Training {
                "named for training"
            } else {
                "a console script"
            };
            out.push(EntryCandidate {
                path: format!("[project.scripts] {name}"),
                role,
                reason: format!("`{name} = \"{target}\"` in {}: {why}", pp.path),
                score: if role == Role::Training { 55 } else { 5 },
                run: vec![
                    "python".into(),
                    "-c".into(),
                    crate::scripts::fill(
                        crate::scripts::oneliner::CONSOLE_SCRIPT.trim_end_matches('\n'),
                        &[
                            (crate::scripts::oneliner::MODULE, module),
                            (crate::scripts::oneliner::FUNC, func),
                        ],
                    ),
                ],
                server: None,
                scaffold: false,
            });
        }
    }
    out
}

/// Framework evidence: imports (direct and implied) and manifests, with the
/// rules that a model library outranks scikit-learn and JAX outranks a
/// TensorFlow used next to it (for datasets).
fn framework_evidence(
    imports: &BTreeMap<String, usize>,
    project: &ProjectScan,
    declared: &[String],
    table: &ImportTable,
) -> Vec<FrameworkEvidence> {
    let cat = crate::catalog::Catalog::embedded();
    let mut ev: BTreeMap<String, (i32, Vec<String>)> = BTreeMap::new();
    let mut add = |id: &str, score: i32, why: String| {
        let e = ev.entry(id.to_string()).or_default();
        e.0 += score;
        if !e.1.contains(&why) {
            e.1.push(why);
        }
    };
    for fw in cat.frameworks.iter().filter(|f| !f.is_none()) {
        if let Some(pin) = fw.packages.iter().find_map(|p| project.pin(p)) {
            add(
                &fw.id,
                30,
                format!("{} requires {}", pin.source, pin.package),
            );
        } else if fw.packages.iter().any(|p| declared.contains(p)) {
            add(&fw.id, 30, format!("the manifests list {}", fw.packages[0]));
        }
        let mut modules = vec![fw.import.clone()];
        if fw.id == "jax" {
            modules.push("jaxlib".into());
        }
        for m in modules {
            if let Some(n) = imports.get(&m) {
                add(
                    &fw.id,
                    10 + (*n as i32).min(10),
                    format!("{n} file(s) import {m}"),
                );
            }
        }
    }
    for (m, n) in imports {
        if let Some(id) = table.implied_framework(m) {
            add(
                id,
                8 + (*n as i32).min(10),
                format!("{n} file(s) import {m}"),
            );
        }
        if m == "keras" {
            add("tensorflow", 6, format!("{n} file(s) import keras"));
        }
    }
    for d in declared {
        let module = table.module_of(d).unwrap_or(d.as_str()).to_string();
        if let Some(id) = table.implied_framework(&module) {
            add(id, 6, format!("the manifests list {d}"));
        }
    }
    let mut out: Vec<FrameworkEvidence> = ev
        .into_iter()
        .map(|(id, (score, why))| FrameworkEvidence {
            reason: why.join(", "),
            id,
            score,
        })
        .collect();
    let top_other = |out: &[FrameworkEvidence], not: &[&str]| {
        out.iter()
            .filter(|e| !not.contains(&e.id.as_str()))
            .map(|e| e.score)
            .max()
    };
    // scikit-learn next to a model library is for metrics and splits.
    if let Some(best) = top_other(&out, &["sklearn"]) {
        for e in out.iter_mut().filter(|e| e.id == "sklearn") {
            if e.score >= best {
                e.score = best - 1;
            }
            e.reason
                .push_str("; used next to a model library, which outranks it");
        }
    }
    if let Some(jax) = out.iter().find(|e| e.id == "jax").map(|e| e.score) {
        for e in out.iter_mut().filter(|e| e.id == "tensorflow") {
            if e.score >= jax {
                e.score = jax - 1;
            }
            e.reason
                .push_str("; next to JAX it serves the data pipeline, so JAX outranks it");
        }
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    out
}

/// Every dependency name the manifests declare (normalised), and the VCS
/// requirements (`git+https://…`, `pkg @ git+ssh://…`).
fn declared_dependencies(dir: &Path, project: &ProjectScan) -> (Vec<String>, Vec<VcsRequirement>) {
    use crate::requirement::{normalize_name, parse_requirement};
    let mut names = BTreeSet::new();
    let mut vcs = vec![];
    let mut vcs_poetry: Vec<VcsRequirement> = vec![];
    let mut add_req = |text: &str, source: String, names: &mut BTreeSet<String>| {
        let t = text.trim();
        if t.contains("git+") || t.starts_with("git@") {
            vcs.push(VcsRequirement {
                source: source.clone(),
                ssh: vcs_uses_ssh(t),
            });
        }
        if let Ok(r) = parse_requirement(t) {
            if r.extras.iter().any(|e| e == "standard" || e == "all") && r.name == "fastapi" {
                names.insert("uvicorn".to_string());
            }
            if r.name == "uvicorn" || r.name == "gunicorn" {
                names.insert(r.name.clone());
            }
            names.insert(r.name);
        } else if let Some(egg) = t.split("#egg=").nth(1) {
            names.insert(normalize_name(egg.split('&').next().unwrap_or(egg)));
        } else {
            // Poetry constraints (`fastapi^0.110.0`) are not PEP 508: the name leads.
            let name: String = t
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
                .collect();
            if !name.is_empty() && !t.contains("://") {
                names.insert(normalize_name(&name));
            }
        }
    };
    for rel in &project.requirements {
        let Some(text) = read_capped(&dir.join(rel), 4 * 1024 * 1024) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let l = line.split(" #").next().unwrap_or(line).trim();
            if l.is_empty() || l.starts_with('#') || (l.starts_with('-') && !l.starts_with("-e")) {
                continue;
            }
            let l = l.trim_start_matches("-e").trim();
            add_req(l, format!("{rel}:{}", i + 1), &mut names);
        }
    }
    if let Some(pp) = &project.pyproject {
        for d in &pp.dependencies {
            add_req(d, pp.path.clone(), &mut names);
        }
        // Poetry git dependencies: `pkg = { git = "…" }`.
        if let Some(text) = read_capped(&dir.join(&pp.path), 4 * 1024 * 1024) {
            for (i, line) in text.lines().enumerate() {
                let l = line.replace(' ', "");
                if l.contains("{git=\"") || l.contains("git+") && !l.starts_with('#') {
                    vcs_poetry.push(VcsRequirement {
                        source: format!("{}:{}", pp.path, i + 1),
                        ssh: l.contains("ssh://") || l.contains("=\"git@"),
                    });
                }
            }
        }
    }
    if let Some(env) = &project.environment_yml {
        if let Some(text) = read_capped(&dir.join(env), 4 * 1024 * 1024) {
            for (i, line) in text.lines().enumerate() {
                let l = line.trim().trim_start_matches("- ").trim();
                if line.trim().starts_with("- ") && !l.ends_with(':') {
                    let name = l.split("::").last().unwrap_or(l);
                    let name = name.split(['=', '<', '>', '!', ' ']).next().unwrap_or("");
                    add_req(name, format!("{env}:{}", i + 1), &mut names);
                    if l.contains("git+") {
                        add_req(l, format!("{env}:{}", i + 1), &mut names);
                    }
                }
            }
        }
    }
    for p in &project.pins {
        names.insert(p.package.clone());
    }
    let mut vcs_dedup: Vec<VcsRequirement> = vec![];
    // The pyproject's own lines name the line; the dependency strings do not.
    let pp_path = project.pyproject.as_ref().map(|p| p.path.clone());
    vcs.retain(|v| Some(&v.source) != pp_path.as_ref() || vcs_poetry.is_empty());
    for v in vcs_poetry.into_iter().chain(vcs) {
        if !vcs_dedup.iter().any(|x| x.source == v.source) {
            vcs_dedup.push(v);
        }
    }
    (names.into_iter().collect(), vcs_dedup)
}

/// Whether a VCS requirement reaches its repository over ssh
/// (`git+ssh://…`, `git+git@host:org/repo`), not `https://…/x.git@v1`.
fn vcs_uses_ssh(t: &str) -> bool {
    t.contains("ssh://")
        || t.split(|c: char| c.is_whitespace() || c == '+' || c == '"')
            .any(|w| w.starts_with("git@"))
}

/// `FROM … AS name` stages of an existing Dockerfile (bounded read).
fn dockerfile_stages(dir: &Path) -> Option<Vec<String>> {
    let p = dir.join("Dockerfile");
    let meta = fs::symlink_metadata(&p).ok()?;
    if !meta.is_file() {
        return None;
    }
    let text = read_capped(&p, 1024 * 1024)?;
    let mut stages = vec![];
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.first().map(|x| x.eq_ignore_ascii_case("FROM")) == Some(true) {
            if let Some(i) = w.iter().position(|x| x.eq_ignore_ascii_case("AS")) {
                if let Some(name) = w.get(i + 1) {
                    stages.push(name.to_ascii_lowercase());
                }
            }
        }
    }
    Some(stages)
}

fn read_capped(path: &Path, cap: u64) -> Option<String> {
    // Never follow a symlink, FIFO or device.
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let f = fs::File::open(path).ok()?;
    let mut buf = Vec::new();
    f.take(cap).read_to_end(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The bounded walk: every regular file (paths relative to `dir`, sorted)
/// and the Python files read. Symlinks are not followed.
fn walk(dir: &Path) -> (Vec<String>, Vec<PyFile>, bool) {
    let mut files = vec![];
    let mut py = vec![];
    let mut budget = WALK_ENTRIES;
    let mut read_total: u64 = 0;
    let mut truncated = false;
    let mut queue: std::collections::VecDeque<(std::path::PathBuf, String, usize)> =
        std::collections::VecDeque::from([(dir.to_path_buf(), String::new(), 0)]);
    while let Some((path, rel, depth)) = queue.pop_front() {
        let Ok(rd) = fs::read_dir(&path) else {
            continue;
        };
        let mut entries: Vec<(String, fs::FileType, std::path::PathBuf)> = vec![];
        for e in rd {
            if budget == 0 {
                truncated = true;
                break;
            }
            budget -= 1;
            let Ok(e) = e else { continue };
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            let Ok(ft) = e.file_type() else { continue };
            entries.push((name, ft, e.path()));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        // A virtual environment, wherever it is.
        if depth > 0
            && entries
                .iter()
                .any(|(n, ft, _)| n == "pyvenv.cfg" && ft.is_file())
        {
            continue;
        }
        for (name, ft, p) in entries {
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if ft.is_dir() {
                if depth < WALK_DEPTH
                    && !name.starts_with('.')
                    && !SKIP_DIRS.contains(&name.as_str())
                {
                    queue.push_back((p, child, depth + 1));
                }
            } else if ft.is_file() {
                if files.len() < FILES_MAX {
                    files.push(child.clone());
                } else {
                    truncated = true;
                }
                if name.ends_with(".py") {
                    if py.len() >= PY_FILES_MAX || read_total >= PY_TOTAL_CAP {
                        truncated = true;
                        continue;
                    }
                    if let Some(src) = read_capped(&p, PY_FILE_CAP) {
                        read_total += src.len() as u64;
                        py.push(PyFile {
                            path: child,
                            facts: analyze(&src),
                        });
                    }
                }
            }
        }
        if truncated && budget == 0 {
            break;
        }
    }
    files.sort();
    py.sort_by(|a, b| a.path.cmp(&b.path));
    (files, py, truncated)
}

/// `git ls-files` (tracked plus untracked-not-ignored) when `dir` is in a
/// work tree and git answers within two seconds; paths relative to `dir`.
fn git_files(dir: &Path) -> Option<Vec<String>> {
    let path_env = std::env::var_os("PATH")?;
    let git = super::tools::find_in_path("git", &path_env)?;
    let d = dir.to_str()?;
    let r = super::tools::run(
        &git,
        &[
            "-C",
            d,
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
        &path_env,
        Instant::now() + Duration::from_secs(2),
    );
    if !r.success() {
        return None;
    }
    let mut out: Vec<String> = r
        .stdout
        .split('\0')
        .filter(|p| !p.is_empty())
        .filter(|p| dir.join(p).is_file())
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    if out.is_empty() {
        return None;
    }
    out.truncate(FILES_MAX);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pyf(path: &str, src: &str) -> PyFile {
        PyFile {
            path: path.into(),
            facts: analyze(src),
        }
    }

    #[test]
    fn a_training_main_py_is_training_not_inference() {
        let set = BTreeSet::from(["main.py"]);
        let c = candidate(
            &pyf(
                "main.py",
                "import torch\nimport argparse\ndef main():\n    p = argparse.ArgumentParser()\n    loss.backward()\n    optimizer.step()\nif __name__ == '__main__':\n    main()\n",
            ),
            &set,
        )
        .unwrap();
        assert_eq!(c.role, Role::Training);
        assert!(c.reason.contains("loss.backward()"), "{}", c.reason);
        assert!(c.reason.contains("CLI (argparse)"), "{}", c.reason);
        assert_eq!(c.run, vec!["python", "main.py"]);
    }

    #[test]
    fn a_library_is_no_candidate_and_a_package_app_is_served_by_module() {
        let set = BTreeSet::from(["train.py", "svc/__init__.py", "svc/main.py"]);
        assert!(candidate(
            &pyf("train.py", "def train(model):\n    loss.backward()\n"),
            &set
        )
        .is_none());
        let c = candidate(
            &pyf("svc/main.py", "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/health')\ndef h(): pass\n"),
            &set,
        )
        .unwrap();
        assert_eq!(c.role, Role::Inference);
        let s = c.server.unwrap();
        assert_eq!((s.module.as_str(), s.object.as_str()), ("svc.main", "app"));
        assert_eq!(s.health.as_deref(), Some("/health"));
        assert_eq!(
            s.command("svc/main.py", 8000, &[]),
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
    }

    #[test]
    fn ssh_requirements() {
        assert!(vcs_uses_ssh("pkg @ git+ssh://git@github.com/o/r.git"));
        assert!(vcs_uses_ssh("git+git@github.com:o/r.git#egg=r"));
        assert!(!vcs_uses_ssh("pkg @ git+https://github.com/o/r.git@v0.3.0"));
    }

    #[test]
    fn sklearn_yields_to_xgboost_and_tensorflow_to_jax() {
        let t = ImportTable::embedded();
        let imports = BTreeMap::from([("sklearn".to_string(), 3), ("xgboost".to_string(), 1)]);
        let ev = framework_evidence(&imports, &ProjectScan::default(), &[], t);
        assert_eq!(ev[0].id, "xgboost", "{ev:?}");
        assert!(ev[1].reason.contains("outranks"), "{ev:?}");
        let imports = BTreeMap::from([
            ("tensorflow".to_string(), 4),
            ("flax".to_string(), 2),
            ("jax".to_string(), 2),
        ]);
        let ev = framework_evidence(&imports, &ProjectScan::default(), &[], t);
        assert_eq!(ev[0].id, "jax", "{ev:?}");
        let imports = BTreeMap::from([("peft".to_string(), 1), ("transformers".to_string(), 2)]);
        let ev = framework_evidence(&imports, &ProjectScan::default(), &[], t);
        assert_eq!(ev[0].id, "pytorch", "{ev:?}");
    }
}
