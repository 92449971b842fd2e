//! Project scan: what the repository in the target directory already has.
//!
//! [`scan`] reads a handful of well-known files (requirements*.txt,
//! pyproject.toml, environment.yml, Pipfile, entry points, ...). It never
//! walks a tree without bounds and never fails on a malformed file: problems
//! become entries in [`ProjectScan::warnings`] naming the file and line.
//!
//! The parsing helpers ([`parse_requirements`], [`parse_requirement`],
//! [`parse_pyproject`], [`parse_environment_yml`], ...) are pure functions
//! over text so they can be tested without a file system.

use crate::facts::{EntryPoints, ExistingFiles, ModelFile, Pin, ProjectScan, PyProject, WebApp};
use crate::location::{line_of, Location};
use crate::requirement::exact_pin;
use crate::scan_issue::{IssueKind, ScanIssue};
use crate::version::PinVersion;
use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Module names looked for in entry point imports, as reported in
/// [`EntryPoints::imports`].
pub const FRAMEWORK_IMPORTS: &[&str] = &[
    "jax",
    "lightgbm",
    "sklearn",
    "tensorflow",
    "torch",
    "xgboost",
];

/// Training entry point candidates, in order of preference.
pub const TRAINING_CANDIDATES: &[&str] = &["train.py", "training/train.py", "src/train.py"];
/// Inference entry point candidates, in order of preference.
pub const INFERENCE_CANDIDATES: &[&str] = &[
    "serve.py",
    "app.py",
    "main.py",
    "predict.py",
    "inference/serve.py",
    "src/serve.py",
    "src/app.py",
];
/// Compose file names, in the order Docker Compose itself prefers them.
pub const COMPOSE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
/// Files scaffolding must never replace, reported in [`ExistingFiles::files`].
pub const SCAFFOLDABLE_FILES: &[&str] = &[
    "environment.yaml",
    "environment.yml",
    "pyproject.toml",
    "requirements.txt",
    "serve.py",
    "train.py",
];
/// Top-level folders that belong in `.dockerignore`.
pub const LARGE_DIRS: &[&str] = &[
    ".cache",
    "checkpoints",
    "data",
    "datasets",
    "lightning_logs",
    "logs",
    "mlruns",
    "outputs",
    "runs",
    "wandb",
];
/// Model weight file extensions.
pub const MODEL_EXTENSIONS: &[&str] = &[
    "ckpt",
    "gguf",
    "h5",
    "joblib",
    "keras",
    "onnx",
    "pkl",
    "pt",
    "pth",
    "safetensors",
];

/// Entry point sources are read up to this many bytes.
const SOURCE_CAP: u64 = 256 * 1024;
/// Manifests (requirements, pyproject, ...) are read up to this many bytes.
const MANIFEST_CAP: u64 = 4 * 1024 * 1024;
/// Lock files can be large (every wheel's hash): read at most this much.
const LOCK_CAP: u64 = 32 * 1024 * 1024;
/// The model file walk goes at most this deep below the root.
const MODEL_WALK_DEPTH: usize = 3;
/// The model file walk looks at no more than this many directory entries.
const MODEL_WALK_ENTRIES: usize = 5000;
/// At most this many model files are reported.
const MODEL_FILES_MAX: usize = 200;
/// Folders the model walk never enters (besides hidden ones).
const WALK_SKIP: &[&str] = &[
    "__pycache__",
    "build",
    "data",
    "datasets",
    "dist",
    "env",
    "mlruns",
    "node_modules",
    "site-packages",
    "target",
    "venv",
    "wandb",
];

/// The project directory itself could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}: no such directory")]
    NotFound(PathBuf),
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    #[error("{path}: cannot read directory: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Scans the project in `dir`. Fails only when `dir` itself is missing or
/// unreadable; everything else ends up in the scan's `warnings`.
pub fn scan(dir: &Path) -> Result<ProjectScan, ScanError> {
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ScanError::NotFound(dir.to_path_buf()))
        }
        Err(e) => {
            return Err(ScanError::Unreadable {
                path: dir.to_path_buf(),
                source: e,
            })
        }
    };
    if !meta.is_dir() {
        return Err(ScanError::NotADirectory(dir.to_path_buf()));
    }
    // One listing of the top level answers most questions.
    let top = list_dir(dir).map_err(|e| ScanError::Unreadable {
        path: dir.to_path_buf(),
        source: e,
    })?;

    let mut s = ProjectScan::default();
    let mut python_version_file: Option<String> = None;

    // --- requirements ---------------------------------------------------
    s.requirements = requirement_files(dir, &top);
    let mut visited = BTreeSet::new();
    for rel in s.requirements.clone() {
        collect_requirements(dir, &rel, &mut visited, &mut s, 0);
    }

    // --- pyproject.toml -------------------------------------------------
    if top.is_file("pyproject.toml") {
        if let Some(text) = read_manifest(dir, "pyproject.toml", &mut s) {
            let parsed = parse_pyproject(&text, "pyproject.toml");
            s.warnings.extend(parsed.warnings);
            s.pins.extend(parsed.pins);
            push_unique(&mut s.index_urls, parsed.index_urls);
            s.pyproject = Some(parsed.pyproject);
            s.accel_extras = parsed.accel_extras;
            s.own_indexes = parsed.own_indexes;
        } else {
            s.pyproject = Some(PyProject {
                path: "pyproject.toml".into(),
                ..Default::default()
            });
        }
    }
    scan_locks(dir, &top, &mut s);

    // --- environment.yml ------------------------------------------------
    let mut env_python = None;
    for name in ["environment.yml", "environment.yaml"] {
        if top.is_file(name) {
            s.environment_yml = Some(name.to_string());
            if let Some(text) = read_manifest(dir, name, &mut s) {
                let parsed = parse_environment_yml(&text, name);
                s.conda_cuda = parsed.cuda.clone();
                s.warnings.extend(parsed.warnings);
                s.pins.extend(parsed.pins);
                push_unique(&mut s.index_urls, parsed.index_urls);
                env_python = parsed.python;
            }
            break;
        }
    }

    // --- Pipfile, setup.py, .python-version -------------------------------
    let mut pipfile_python = None;
    if top.is_file("Pipfile") {
        s.pipfile = true;
        if let Some(text) = read_manifest(dir, "Pipfile", &mut s) {
            let parsed = parse_pipfile(&text, "Pipfile");
            s.warnings.extend(parsed.warnings);
            s.pins.extend(parsed.pins);
            push_unique(&mut s.index_urls, parsed.index_urls);
            pipfile_python = parsed.python;
        }
    }
    s.setup_py = top.is_file("setup.py");
    if top.is_file(".python-version") {
        if let Some(text) = read_text(dir, ".python-version", 4096, &mut s.warnings) {
            python_version_file = parse_python_version_file(&text);
            if python_version_file.is_none() {
                s.warnings.push(ScanIssue::new(
                    Location::new(".python-version", 1),
                    IssueKind::Note,
                    format!(
                        "`{}` is not a Python version",
                        text.lines().next().unwrap_or("").trim()
                    ),
                ));
            }
        }
    }
    s.python_version_file = python_version_file.clone();
    s.python_hint = python_version_file
        .or_else(|| {
            s.pyproject
                .as_ref()
                .and_then(|p| p.requires_python.as_deref())
                .and_then(python_from_constraint)
        })
        .or(env_python)
        .or(pipfile_python);

    // --- entry points -----------------------------------------------------
    s.entry_points = entry_points(dir, &mut s.warnings);

    // --- existing files, large dirs, model files ------------------------
    s.existing = ExistingFiles {
        dockerfile: top.is_file("Dockerfile"),
        compose: COMPOSE_NAMES
            .iter()
            .find(|n| top.is_file(n))
            .map(|n| n.to_string()),
        dockerignore: top.is_file(".dockerignore"),
        mlcontain_yaml: top.is_file("mlcontain.yaml"),
        files: SCAFFOLDABLE_FILES
            .iter()
            .filter(|n| top.is_file(n))
            .map(|n| n.to_string())
            .collect(),
    };
    s.large_dirs = LARGE_DIRS
        .iter()
        .filter(|n| top.is_dir(n))
        .map(|n| format!("{n}/"))
        .collect();
    s.large_dirs.sort();
    s.model_files = model_files(dir, &mut s.warnings);
    // --- what the code says (entry points, imports, paths) ------------------
    s.code = super::code::scan_code(dir, &s);
    tool_configs(dir, &top, &mut s);
    apply_code_entry_points(&mut s);
    // The lock's versions come first: they are what the project installs.
    lock_pins(&mut s);
    // Stack pins (numpy…) only narrow the Python; `pins` stays frameworks.
    let (fw, stack): (Vec<Pin>, Vec<Pin>) = std::mem::take(&mut s.pins)
        .into_iter()
        .partition(|p| is_framework_package(&p.package));
    s.pins = fw;
    s.stack_pins = stack;
    redact_scan(&mut s);
    s.malformed = s
        .warnings
        .iter()
        .filter(|w| w.blocks_generation())
        .cloned()
        .collect();
    Ok(s)
}

/// uv.lock and poetry.lock: the packages they pin (index URLs redacted) and
/// their accelerator extras.
fn scan_locks(dir: &Path, top: &Listing, s: &mut ProjectScan) {
    s.uv_lock = top.is_file("uv.lock");
    s.poetry_lock = top.is_file("poetry.lock");
    for (name, present) in [("uv.lock", s.uv_lock), ("poetry.lock", s.poetry_lock)] {
        if !present {
            continue;
        }
        // A lock's source URLs may carry credentials like any manifest: then
        // it is mounted as a BuildKit secret and kept out of the image.
        if let Some(text) = read_credential_aware(dir, name, LOCK_CAP, s) {
            let parsed = if name == "uv.lock" {
                super::locks::parse_uv_lock(&text, name)
            } else {
                super::locks::parse_poetry_lock(&text, name)
            };
            s.warnings.extend(parsed.warnings);
            // Index URLs in a lock may carry credentials: never in facts or output.
            s.locked.extend(parsed.packages.into_iter().map(|mut l| {
                l.index = l.index.map(|i| crate::redact::redact(&i));
                l
            }));
            for e in parsed.accel_extras {
                if !s.accel_extras.iter().any(|x| x.name == e.name) {
                    s.accel_extras.push(e);
                }
            }
        }
    }
}

/// Pins from the lock for every framework / stack package the lock gives
/// every install (entries selected by an extra stay in `locked`), ahead of
/// the manifests' pins.
fn lock_pins(s: &mut ProjectScan) {
    let mut from_lock = vec![];
    for l in &s.locked {
        if !l.extras.is_empty() || !(is_framework_package(&l.name) || is_stack_package(&l.name)) {
            continue;
        }
        if !l.groups.is_empty() && !l.groups.iter().any(|g| g == "main") {
            continue;
        }
        if let Some(p) = locked_pin(l) {
            from_lock.push(p);
        }
    }
    from_lock.append(&mut s.pins);
    s.pins = from_lock;
}

/// A locked package as an exact pin (`torch==2.5.1+cpu`, source `uv.lock:12`).
pub fn locked_pin(l: &crate::facts::LockedPackage) -> Option<Pin> {
    let spec = format!("{}=={}", l.name, l.version);
    let req = parse_requirement(&spec).ok()?;
    Some(pin_from(&req, &spec, l.source.clone()))
}

// ---------------------------------------------------------------------------
// Directory listing helpers

struct Listing {
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

impl Listing {
    fn is_file(&self, name: &str) -> bool {
        self.files.contains(name)
    }
    fn is_dir(&self, name: &str) -> bool {
        self.dirs.contains(name)
    }
}

/// Lists a directory (following symlinks for the file/dir decision).
fn list_dir(dir: &Path) -> std::io::Result<Listing> {
    let mut files = BTreeSet::new();
    let mut dirs = BTreeSet::new();
    for entry in fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(mut ft) = entry.file_type() else {
            continue;
        };
        if ft.is_symlink() {
            match fs::metadata(entry.path()) {
                Ok(m) => ft = m.file_type(),
                Err(_) => continue,
            }
        }
        if ft.is_dir() {
            dirs.insert(name);
        } else if ft.is_file() {
            files.insert(name);
        }
    }
    Ok(Listing { files, dirs })
}

/// `requirements.txt` first, then other top-level `requirements*.txt`
/// sorted, then `requirements/*.txt` sorted.
fn requirement_files(dir: &Path, top: &Listing) -> Vec<String> {
    let mut out = Vec::new();
    if top.is_file("requirements.txt") {
        out.push("requirements.txt".to_string());
    }
    for f in &top.files {
        if f != "requirements.txt" && f.starts_with("requirements") && f.ends_with(".txt") {
            out.push(f.clone());
        }
    }
    if top.is_dir("requirements") {
        if let Ok(sub) = list_dir(&dir.join("requirements")) {
            for f in &sub.files {
                if f.ends_with(".txt") {
                    out.push(format!("requirements/{f}"));
                }
            }
        }
    }
    out
}

/// Reads at most `cap` bytes of a file as (lossy) UTF-8. A read error
/// becomes a warning.
fn read_text(dir: &Path, rel: &str, cap: u64, warnings: &mut Vec<ScanIssue>) -> Option<String> {
    match read_capped(&dir.join(rel), cap) {
        Ok(t) => Some(t),
        Err(e) => {
            warnings.push(ScanIssue::new(
                Location::file(rel),
                IssueKind::Unreadable,
                format!("cannot read: {}", e.describe()),
            ));
            None
        }
    }
}

/// A manifest's text ([`read_text`]); one holding credentials is recorded
/// in [`ProjectScan::credential_files`] with a warning naming its line.
fn read_manifest(dir: &Path, rel: &str, s: &mut ProjectScan) -> Option<String> {
    read_credential_aware(dir, rel, MANIFEST_CAP, s)
}

/// [`read_manifest`] with its own size cap (lock files are larger).
fn read_credential_aware(dir: &Path, rel: &str, cap: u64, s: &mut ProjectScan) -> Option<String> {
    let text = read_text(dir, rel, cap, &mut s.warnings)?;
    if let Some(line) = crate::redact::credential_line(&text) {
        if !s.credential_files.iter().any(|f| f == rel) {
            s.credential_files.push(rel.to_string());
            s.warnings.push(ScanIssue::new(
                Location::new(rel, line),
                IssueKind::Note,
                format!("a URL holds credentials (user:password@); they are redacted in mlcontain's output, {rel} stays out of the image, and the build reads it as a BuildKit secret (README.Docker.md)"),
            ));
        }
    }
    Some(text)
}

/// The package tools' configuration files ([`super::tool_config`]): a
/// warning naming the file and line of each that holds credentials (never
/// the value); the top-level uv.toml with credentials is a secret like a
/// manifest (uv builds mount it, nothing copies it).
fn tool_configs(dir: &Path, top: &Listing, s: &mut ProjectScan) {
    let names: Vec<&str> = top.files.iter().map(String::as_str).collect();
    s.tool_configs = super::tool_config::scan(dir, &s.code.files, &names);
    for c in &s.tool_configs.credentials {
        let how = if c.path == "uv.toml" {
            "; when uv installs the dependencies, the build mounts it as a BuildKit secret (README.Docker.md)"
        } else {
            "; the build does not read it"
        };
        s.warnings.push(ScanIssue::new(
            Location::new(&c.path, c.line),
            IssueKind::Note,
            format!(
                "holds index credentials ({}; not shown): {} stays out of the build context and every image (.dockerignore){how}",
                c.what, c.path
            ),
        ));
        if c.path == "uv.toml" && !s.credential_files.iter().any(|f| f == "uv.toml") {
            s.credential_files.push("uv.toml".into());
        }
    }
}

/// Redacts URL credentials in everything the scan took from a manifest.
fn redact_scan(s: &mut ProjectScan) {
    use crate::redact::redact;
    for u in &mut s.index_urls {
        *u = redact(u);
    }
    for p in &mut s.pins {
        p.spec = redact(&p.spec);
    }
    for w in &mut s.warnings {
        w.message = redact(&w.message);
        if let Some(l) = &mut w.location {
            l.file = redact(&l.file);
        }
    }
    // Code defaults (`os.environ.get("DB_URL", "postgres://u:p@h/db")`).
    for e in &mut s.code.env_reads {
        if let Some(d) = &mut e.default {
            *d = redact(d);
        }
    }
    if let Some(py) = &mut s.pyproject {
        for d in &mut py.dependencies {
            *d = redact(d);
        }
    }
}

fn read_capped(path: &Path, cap: u64) -> Result<String, crate::safe_fs::SafeReadError> {
    // No link followed, no FIFO or device read, over the cap is an error.
    crate::safe_fs::read_text_bounded(path, cap)
}

/// An entry point's source, for the import scan only: its first `cap`
/// bytes (a long script is not an error), and a link, FIFO or device is
/// skipped with a note rather than read.
fn read_source(dir: &Path, rel: &str, cap: u64, warnings: &mut Vec<ScanIssue>) -> Option<String> {
    let path = dir.join(rel);
    match crate::safe_fs::open_regular(&path) {
        Ok(f) => {
            let mut buf = Vec::new();
            f.take(cap).read_to_end(&mut buf).ok()?;
            Some(String::from_utf8_lossy(&buf).into_owned())
        }
        Err(e) => {
            warnings.push(ScanIssue::new(
                Location::file(rel),
                IssueKind::Note,
                format!("not scanned for imports: {}", e.describe()),
            ));
            None
        }
    }
}

fn push_unique(into: &mut Vec<String>, items: Vec<String>) {
    for i in items {
        if !into.contains(&i) {
            into.push(i);
        }
    }
}

/// Joins `rel` (a path relative to the project root) with `include`
/// (relative to `rel`'s folder), refusing paths that leave the project.
fn resolve_include(rel: &str, include: &str) -> Option<String> {
    let base = Path::new(rel).parent().unwrap_or(Path::new(""));
    let joined = base.join(include);
    let mut parts: Vec<String> = Vec::new();
    for c in joined.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

fn collect_requirements(
    dir: &Path,
    rel: &str,
    visited: &mut BTreeSet<String>,
    s: &mut ProjectScan,
    depth: usize,
) {
    if !visited.insert(rel.to_string()) || depth > 8 {
        return;
    }
    let Some(text) = read_manifest(dir, rel, s) else {
        return;
    };
    let parsed = parse_requirements(&text, rel);
    s.local_requirements
        .extend(super::req_layout::local_requirements(&text, rel));
    s.warnings.extend(parsed.warnings);
    push_unique(&mut s.index_urls, parsed.index_urls);
    // Pins of an included file go where the include line is.
    let mut pins = parsed.pins.into_iter();
    let mut taken = 0;
    for inc in parsed.includes {
        while taken < inc.after_pins {
            if let Some(p) = pins.next() {
                s.pins.push(p);
            }
            taken += 1;
        }
        match resolve_include(rel, &inc.path) {
            Some(_) if depth >= 8 => s.warnings.push(ScanIssue::new(
                inc.source.clone(),
                IssueKind::BadInclude,
                format!(
                    "included file `{}` is more than 8 includes deep; flatten the chain",
                    inc.path
                ),
            )),
            Some(target) if dir.join(&target).is_file() => {
                super::req_layout::record_include(s, rel, &target);
                collect_requirements(dir, &target, visited, s, depth + 1)
            }
            Some(_) => s.warnings.push(ScanIssue::new(
                inc.source.clone(),
                IssueKind::BadInclude,
                format!("included file `{}` not found in the project", inc.path),
            )),
            None => s.warnings.push(ScanIssue::new(
                inc.source.clone(),
                IssueKind::BadInclude,
                format!(
                    "included file `{}` is outside the project, so the build cannot copy it; move it into the repository",
                    inc.path
                ),
            )),
        }
    }
    s.pins.extend(pins);
}

// ---------------------------------------------------------------------------
// Requirements

pub use crate::requirement::{
    marker_excludes_linux, normalize_name, parse_requirement, Requirement,
};

pub use super::packages::{
    is_framework_package, is_stack_package, FRAMEWORK_PACKAGES, STACK_PACKAGES,
};

/// Whether the scan records a pin of this requirement: every framework
/// requirement, and exact pins of the compiled stack.
fn records_pin(req: &Requirement) -> bool {
    is_framework_package(&req.name) || (is_stack_package(&req.name) && req.version.is_some())
}

fn pin_from(req: &Requirement, spec: &str, source: Location) -> Pin {
    Pin {
        package: req.name.clone(),
        version: req.version.clone(),
        local: req.local.clone(),
        extras: req.extras.clone(),
        spec: spec.trim().to_string(),
        source,
    }
}

/// A `-r` / `-c` include found in a requirements file.
#[derive(Clone, Debug, PartialEq)]
pub struct Include {
    pub path: String,
    /// `requirements.txt:2`
    pub source: Location,
    /// `-c` constraints file rather than `-r`.
    pub constraint: bool,
    /// How many of the file's pins come before the include.
    pub after_pins: usize,
}

/// What one manifest contributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedRequirements {
    pub pins: Vec<Pin>,
    pub index_urls: Vec<String>,
    pub includes: Vec<Include>,
    pub warnings: Vec<ScanIssue>,
}

/// Strips a pip comment: `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Splits `--opt value` / `--opt=value` / `-r value`.
fn option_value<'a>(line: &'a str, names: &[&str]) -> Option<&'a str> {
    for n in names {
        if let Some(rest) = line.strip_prefix(n) {
            if let Some(v) = rest.strip_prefix('=') {
                return Some(v.trim());
            }
            if rest.starts_with(char::is_whitespace) {
                return Some(rest.trim());
            }
            // `-rfile.txt` short option without a space.
            if n.len() == 2 && !n.starts_with("--") && !rest.is_empty() {
                return Some(rest.trim());
            }
        }
    }
    None
}

/// Parses a requirements file. `file` is its project-relative name, used
/// in pin sources (`requirements.txt:3`) and warnings.
pub fn parse_requirements(text: &str, file: &str) -> ParsedRequirements {
    // Like pip: a byte-order mark is skipped, and CR-only or CRLF line ends
    // are line ends.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n").replace('\r', "\n");
        normalized.as_str()
    } else {
        text
    };
    let mut out = ParsedRequirements::default();
    let mut pending = String::new();
    let mut pending_line = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = strip_comment(raw);
        if pending.is_empty() {
            pending_line = lineno;
        }
        // Line continuation.
        if let Some(head) = line.trim_end().strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let logical = std::mem::take(&mut pending);
        handle_requirement_line(logical.trim(), file, pending_line, &mut out);
    }
    if !pending.trim().is_empty() {
        let logical = std::mem::take(&mut pending);
        handle_requirement_line(logical.trim(), file, pending_line, &mut out);
    }
    out
}

fn handle_requirement_line(line: &str, file: &str, lineno: usize, out: &mut ParsedRequirements) {
    if line.is_empty() {
        return;
    }
    let source = Location::new(file, lineno);
    if line.starts_with('-') {
        let bare = line.split_whitespace().next().unwrap_or("");
        if line == bare
            && [
                "--index-url",
                "--extra-index-url",
                "-i",
                "--requirement",
                "-r",
                "--constraint",
                "-c",
            ]
            .contains(&bare)
        {
            out.warnings.push(ScanIssue::new(
                source,
                IssueKind::BadRequirement,
                format!("`{line}` is missing its value"),
            ));
            return;
        }
        if let Some(v) = option_value(line, &["--index-url", "--extra-index-url", "-i"]) {
            let url = v.split_whitespace().next().unwrap_or("").to_string();
            if url.is_empty() {
                out.warnings.push(ScanIssue::new(
                    source.clone(),
                    IssueKind::BadRequirement,
                    format!("`{line}` is missing its URL"),
                ));
            } else if !out.index_urls.contains(&url) {
                out.index_urls.push(url);
            }
        } else if let Some(v) = option_value(line, &["--requirement", "-r"]) {
            out.includes.push(Include {
                path: v.to_string(),
                source,
                constraint: false,
                after_pins: out.pins.len(),
            });
        } else if let Some(v) = option_value(line, &["--constraint", "-c"]) {
            out.includes.push(Include {
                path: v.to_string(),
                source,
                constraint: true,
                after_pins: out.pins.len(),
            });
        }
        // Other options (-e, -f, --hash, --pre, ...) carry no framework pin.
        return;
    }
    // Direct URLs and local paths without a name.
    if line.contains("://") && !line.contains(" @ ") && !line.contains("@ ") {
        return;
    }
    if line.starts_with('.') || line.starts_with('/') {
        return;
    }
    // Per-requirement options: `torch==2.5.1 --hash=sha256:...`
    let req_text = match line.find(" -") {
        Some(i) => line[..i].trim(),
        None => line,
    };
    match parse_requirement(req_text) {
        Ok(req) => {
            if records_pin(&req) && !req.excludes_linux {
                out.pins.push(pin_from(&req, req_text, source));
            }
        }
        Err(e) => out
            .warnings
            .push(ScanIssue::new(source, IssueKind::BadRequirement, e)),
    }
}

// ---------------------------------------------------------------------------
// pyproject.toml, Pipfile

/// What a pyproject.toml contributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedPyProject {
    pub pyproject: PyProject,
    pub pins: Vec<Pin>,
    pub index_urls: Vec<String>,
    pub warnings: Vec<ScanIssue>,
    /// Optional-dependency extras that select an accelerator.
    pub accel_extras: Vec<crate::facts::AccelExtra>,
    /// `[tool.uv.index]`/`[tool.uv.sources]`/`[[tool.poetry.source]]` present.
    pub own_indexes: bool,
}

/// 1-based line where `needle` first appears (quoted forms first), or None.
fn find_line(text: &str, needle: &str) -> Option<usize> {
    for n in [
        format!("\"{needle}\""),
        format!("'{needle}'"),
        needle.to_string(),
    ] {
        if let Some(i) = text.find(&n) {
            return Some(line_of(text, i));
        }
    }
    None
}

fn source_at(file: &str, text: &str, needle: &str) -> Location {
    match find_line(text, needle) {
        Some(l) => Location::new(file, l),
        None => Location::file(file),
    }
}

fn toml_warning(file: &str, text: &str, e: &toml::de::Error) -> ScanIssue {
    ScanIssue::invalid_toml(file, text, e)
}

/// Parses a pyproject.toml: PEP 621 `[project]`, `[tool.poetry]`, `[tool.uv]`.
pub fn parse_pyproject(text: &str, file: &str) -> ParsedPyProject {
    let mut out = ParsedPyProject {
        pyproject: PyProject {
            path: file.to_string(),
            ..Default::default()
        },
        ..Default::default()
    };
    let doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            out.warnings.push(toml_warning(file, text, &e));
            return out;
        }
    };
    let tool = doc.get("tool").and_then(|t| t.as_table());
    let poetry = tool
        .and_then(|t| t.get("poetry"))
        .and_then(|t| t.as_table());
    let uv = tool.and_then(|t| t.get("uv")).and_then(|t| t.as_table());
    out.pyproject.poetry = poetry.is_some();
    out.pyproject.uv = uv.is_some();
    out.pyproject.project_table = doc.get("project").is_some_and(|p| p.is_table());
    out.accel_extras = super::locks::pyproject_accel_extras(&doc, text, file);
    out.own_indexes = uv.is_some_and(|u| u.contains_key("index") || u.contains_key("sources"))
        || poetry.is_some_and(|p| p.contains_key("source"));

    let lines = super::toml_spans::pyproject_lines(text);
    let at = |line: Option<usize>| match line {
        Some(l) => Location::new(file, l),
        None => Location::file(file),
    };
    if let Some(project) = doc.get("project").and_then(|p| p.as_table()) {
        out.pyproject.name = project
            .get("name")
            .and_then(|n| n.as_str())
            .map(String::from);
        out.pyproject.requires_python = project
            .get("requires-python")
            .and_then(|n| n.as_str())
            .map(String::from);
        match project.get("dependencies") {
            Some(toml::Value::Array(deps)) => {
                for (i, d) in deps.iter().enumerate() {
                    let Some(d) = d.as_str() else {
                        out.warnings.push(ScanIssue::new(
                            at(lines.dependencies),
                            IssueKind::SkippedEntry,
                            "project.dependencies entries must be strings",
                        ));
                        continue;
                    };
                    out.pyproject.dependencies.push(d.to_string());
                    let source = at(lines.dependency.get(i).copied());
                    match parse_requirement(d) {
                        Ok(req) => {
                            if records_pin(&req) && !req.excludes_linux {
                                out.pins.push(pin_from(&req, d, source));
                            }
                        }
                        Err(e) => {
                            out.warnings
                                .push(ScanIssue::new(source, IssueKind::BadRequirement, e))
                        }
                    }
                }
            }
            Some(_) => out.warnings.push(ScanIssue::new(
                at(lines.dependencies),
                IssueKind::SkippedEntry,
                "project.dependencies must be an array",
            )),
            None => {}
        }
    }

    if let Some(poetry) = poetry {
        if out.pyproject.name.is_none() {
            out.pyproject.name = poetry
                .get("name")
                .and_then(|n| n.as_str())
                .map(String::from);
        }
        if let Some(deps) = poetry.get("dependencies").and_then(|d| d.as_table()) {
            let from_project = !out.pyproject.dependencies.is_empty();
            for (name, spec) in deps {
                if name.eq_ignore_ascii_case("python") {
                    if out.pyproject.requires_python.is_none() {
                        out.pyproject.requires_python = poetry_constraint(spec);
                    }
                    continue;
                }
                let (req_text, req) = poetry_requirement(name, spec);
                if !from_project {
                    out.pyproject.dependencies.push(req_text.clone());
                }
                if records_pin(&req) {
                    let source = at(lines.poetry_key(name));
                    out.pins.push(pin_from(&req, &req_text, source));
                }
            }
        }
        if let Some(sources) = poetry.get("source").and_then(|s| s.as_array()) {
            for src in sources {
                if let Some(url) = src.get("url").and_then(|u| u.as_str()) {
                    if !out.index_urls.iter().any(|u| u == url) {
                        out.index_urls.push(url.to_string());
                    }
                }
            }
        }
    }

    if let Some(uv) = uv {
        for key in ["index", "extra-index-url", "index-url"] {
            match uv.get(key) {
                Some(toml::Value::Array(items)) => {
                    for item in items {
                        let url = item
                            .as_str()
                            .or_else(|| item.get("url").and_then(|u| u.as_str()));
                        if let Some(url) = url {
                            if !out.index_urls.iter().any(|u| u == url) {
                                out.index_urls.push(url.to_string());
                            }
                        }
                    }
                }
                Some(toml::Value::String(url)) if !out.index_urls.iter().any(|u| u == url) => {
                    out.index_urls.push(url.clone());
                }
                _ => {}
            }
        }
    }
    out
}

/// The constraint string of a poetry dependency (`"^3.11"` or `{version = "..."}`).
fn poetry_constraint(spec: &toml::Value) -> Option<String> {
    match spec {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Table(t) => t.get("version").and_then(|v| v.as_str()).map(String::from),
        _ => None,
    }
}

/// Turns a poetry dependency into a requirement text and a [`Requirement`].
/// A bare version (`"2.5.1"`) or `"==2.5.1"` is an exact pin.
fn poetry_requirement(name: &str, spec: &toml::Value) -> (String, Requirement) {
    let constraint = poetry_constraint(spec).unwrap_or_default();
    let extras: Vec<String> = match spec {
        toml::Value::Table(t) => t
            .get("extras")
            .and_then(|e| e.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str())
                    .map(normalize_name)
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let c = constraint.trim();
    let exact = if c.starts_with(|ch: char| ch.is_ascii_digit()) && !c.contains([',', '*', ' ']) {
        Some(c.to_string())
    } else {
        c.strip_prefix("==").map(|v| v.trim().to_string())
    };
    let (version, local) = match &exact {
        Some(v) => exact_pin(v),
        None => (None, None),
    };
    let extras_text = if extras.is_empty() {
        String::new()
    } else {
        format!("[{}]", extras.join(","))
    };
    let spec_text = match (&exact, c) {
        (Some(v), _) => format!("=={v}"),
        (None, "" | "*") => String::new(),
        (None, c) => c.to_string(),
    };
    let text = format!("{name}{extras_text}{spec_text}");
    let req = Requirement {
        name: normalize_name(name),
        extras,
        specifier: spec_text,
        version,
        local,
        marker: None,
        url: None,
        excludes_linux: false,
    };
    (text, req)
}

/// What a Pipfile contributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedPipfile {
    pub pins: Vec<Pin>,
    pub index_urls: Vec<String>,
    pub python: Option<String>,
    pub warnings: Vec<ScanIssue>,
}

/// Parses a Pipfile (`[packages]`, `[[source]]`, `[requires] python_version`).
pub fn parse_pipfile(text: &str, file: &str) -> ParsedPipfile {
    let mut out = ParsedPipfile::default();
    let doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            out.warnings.push(toml_warning(file, text, &e));
            return out;
        }
    };
    let lines = super::toml_spans::pipfile_package_lines(text);
    let key_source = |name: &str| match lines.iter().find(|(k, _)| k == name) {
        Some((_, l)) => Location::new(file, *l),
        None => Location::file(file),
    };
    if let Some(pkgs) = doc.get("packages").and_then(|p| p.as_table()) {
        for (name, spec) in pkgs {
            let constraint = poetry_constraint(spec).unwrap_or_default();
            let c = constraint.trim();
            let c = if c == "*" { "" } else { c };
            let req_text = format!("{name}{c}");
            match parse_requirement(&req_text) {
                Ok(req) if is_framework_package(&req.name) => {
                    out.pins.push(pin_from(&req, &req_text, key_source(name)));
                }
                Ok(_) => {}
                Err(e) => out.warnings.push(ScanIssue::new(
                    key_source(name),
                    IssueKind::BadRequirement,
                    e,
                )),
            }
        }
    }
    if let Some(sources) = doc.get("source").and_then(|s| s.as_array()) {
        for src in sources {
            if let Some(url) = src.get("url").and_then(|u| u.as_str()) {
                if url != "https://pypi.org/simple" && !out.index_urls.iter().any(|u| u == url) {
                    out.index_urls.push(url.to_string());
                }
            }
        }
    }
    out.python = doc
        .get("requires")
        .and_then(|r| r.get("python_version"))
        .and_then(|v| v.as_str())
        .and_then(python_from_constraint);
    out
}

// ---------------------------------------------------------------------------
// environment.yml

/// What an environment.yml contributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedEnvironment {
    /// `python=3.11` -> `3.11`.
    pub python: Option<String>,
    /// `cudatoolkit=11.3` / `pytorch-cuda=12.1` / `cuda-version=12.4`.
    pub cuda: Option<crate::facts::CondaCuda>,
    pub pins: Vec<Pin>,
    pub index_urls: Vec<String>,
    pub warnings: Vec<ScanIssue>,
}

/// Conda package names that are a framework under another pip name.
fn conda_to_pip(name: &str) -> String {
    match name {
        "pytorch" | "pytorch-gpu" | "pytorch-cpu" => "torch".into(),
        "py-xgboost" | "py-xgboost-gpu" => "xgboost".into(),
        "py-xgboost-cpu" => "xgboost-cpu".into(),
        "tensorflow-gpu" => "tensorflow".into(),
        other => other.into(),
    }
}

/// Parses an environment.yml: conda `dependencies` (python, framework
/// packages) and the `pip:` subsection.
pub fn parse_environment_yml(text: &str, file: &str) -> ParsedEnvironment {
    let mut out = ParsedEnvironment::default();
    // Bounded: size, nesting depth and a deadline (crate::bounded_yaml).
    let doc: serde_yaml::Value = match crate::bounded_yaml::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.lines().next().unwrap_or("").to_string();
            let at = match e.line() {
                Some(line) => Location::new(file, line),
                None => Location::file(file),
            };
            out.warnings.push(ScanIssue::new(
                at,
                IssueKind::InvalidManifest,
                format!("invalid YAML: {msg}"),
            ));
            return out;
        }
    };
    if doc.is_null() {
        out.warnings.push(ScanIssue::new(
            Location::file(file),
            IssueKind::InvalidManifest,
            "empty environment file",
        ));
        return out;
    }
    let Some(map) = doc.as_mapping() else {
        out.warnings.push(ScanIssue::new(
            Location::new(file, 1),
            IssueKind::SkippedEntry,
            "expected a mapping with `dependencies`",
        ));
        return out;
    };
    let deps = match map.get("dependencies") {
        None | Some(serde_yaml::Value::Null) => return out,
        Some(serde_yaml::Value::Sequence(s)) => s,
        Some(_) => {
            out.warnings.push(ScanIssue::new(
                source_at(file, text, "dependencies"),
                IssueKind::SkippedEntry,
                "`dependencies` must be a list",
            ));
            return out;
        }
    };
    for dep in deps {
        match dep {
            serde_yaml::Value::String(s) => conda_dep(s, file, text, &mut out),
            serde_yaml::Value::Mapping(m) => {
                let Some(pip) = m.get("pip") else { continue };
                let Some(items) = pip.as_sequence() else {
                    out.warnings.push(ScanIssue::new(
                        source_at(file, text, "pip:"),
                        IssueKind::SkippedEntry,
                        "`pip:` must be a list",
                    ));
                    continue;
                };
                // Items appear in order: each is looked for after the
                // previous one, counting lines as the cursor moves (one pass
                // over the text, not one per item).
                let mut cursor = (0usize, 1usize);
                for item in items {
                    let Some(line) = item.as_str() else { continue };
                    let lineno = match text.get(cursor.0..).and_then(|t| t.find(line)) {
                        Some(i) if !line.is_empty() => {
                            let at = cursor.0 + i;
                            cursor.1 += text.as_bytes()[cursor.0..at]
                                .iter()
                                .filter(|b| **b == b'\n')
                                .count();
                            cursor.0 = at;
                            cursor.1
                        }
                        _ => source_at(file, text, line).line.unwrap_or(0),
                    };
                    let mut parsed = ParsedRequirements::default();
                    handle_requirement_line(line.trim(), file, lineno, &mut parsed);
                    if lineno == 0 {
                        for p in &mut parsed.pins {
                            p.source = Location::file(file);
                        }
                    }
                    out.pins.extend(parsed.pins);
                    out.warnings.extend(parsed.warnings);
                    for u in parsed.index_urls {
                        if !out.index_urls.contains(&u) {
                            out.index_urls.push(u);
                        }
                    }
                }
            }
            serde_yaml::Value::Number(n) => out.warnings.push(ScanIssue::new(
                Location::file(file),
                IssueKind::SkippedEntry,
                format!("dependency `{n}` is not a package spec"),
            )),
            _ => {}
        }
    }
    out
}

/// One conda dependency such as `python=3.11`, `conda-forge::numpy>=1.26`,
/// `pytorch=2.4.1=py3.11_cuda12.1_0`.
fn conda_dep(spec: &str, file: &str, text: &str, out: &mut ParsedEnvironment) {
    let s = spec.trim();
    let s = s.rsplit_once("::").map(|(_, r)| r).unwrap_or(s);
    let name_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    let name = normalize_name(&s[..name_end]);
    if name.is_empty() {
        out.warnings.push(ScanIssue::new(
            source_at(file, text, spec),
            IssueKind::SkippedEntry,
            format!("cannot parse conda dependency `{spec}`"),
        ));
        return;
    }
    let rest = s[name_end..].trim();
    // conda: `=X.Y` (fuzzy), `==X.Y.Z` (exact), `>=X`, optional `=build`.
    let version_text = rest
        .strip_prefix("==")
        .or_else(|| rest.strip_prefix('='))
        .map(|v| v.split('=').next().unwrap_or("").trim());
    if name == "python" {
        out.python = python_from_constraint(rest);
        return;
    }
    if matches!(
        name.as_str(),
        "cudatoolkit" | "cuda-version" | "pytorch-cuda" | "cuda-toolkit" | "cuda-runtime"
    ) {
        let v = version_text
            .map(|v| v.trim_end_matches(".*"))
            .and_then(|v| v.parse::<crate::version::Version>().ok());
        if let (Some(v), None) = (v, &out.cuda) {
            out.cuda = Some(crate::facts::CondaCuda {
                package: name.clone(),
                version: v.major_minor(),
                source: source_at(file, text, spec.trim()),
            });
        }
        return;
    }
    let pip_name = conda_to_pip(&name);
    if !is_framework_package(&pip_name) {
        return;
    }
    let version = version_text
        .filter(|v| !v.contains('*'))
        .and_then(|v| v.parse::<PinVersion>().ok());
    out.pins.push(Pin {
        package: pip_name,
        version,
        local: None,
        extras: Vec::new(),
        spec: spec.trim().to_string(),
        source: source_at(file, text, spec.trim()),
    });
}

// ---------------------------------------------------------------------------
// Python version hints

/// `.python-version`'s first line as `major.minor` (`3.11.9` -> `3.11`).
pub fn parse_python_version_file(text: &str) -> Option<String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let line = line
        .strip_prefix("cpython-")
        .or_else(|| line.strip_prefix("python"))
        .unwrap_or(line);
    major_minor_prefix(line)
}

/// The leading `X.Y` of a text (`3.11.9` -> `3.11`), when X is 2 or 3.
fn major_minor_prefix(t: &str) -> Option<String> {
    let mut it = t.trim().split('.');
    let major = it.next()?;
    let minor = it.next()?;
    let minor: String = minor.chars().take_while(|c| c.is_ascii_digit()).collect();
    if major.is_empty() || !major.chars().all(|c| c.is_ascii_digit()) || minor.is_empty() {
        return None;
    }
    if major != "3" && major != "2" {
        return None;
    }
    Some(format!("{major}.{minor}"))
}

/// A `major.minor` hint from a Python constraint: the lower bound or exact
/// version (`>=3.11` -> `3.11`, `^3.11` -> `3.11`, `~=3.10.2` -> `3.10`,
/// `=3.11` (conda) -> `3.11`, `>=3.9,<3.13` -> `3.9`). Upper bounds only
/// (`<3.13`) give None.
pub fn python_from_constraint(c: &str) -> Option<String> {
    for clause in c.split([',', '|']) {
        let clause = clause.trim();
        let v = clause
            .strip_prefix(">=")
            .or_else(|| clause.strip_prefix("==="))
            .or_else(|| clause.strip_prefix("=="))
            .or_else(|| clause.strip_prefix("~="))
            .or_else(|| clause.strip_prefix('^'))
            .or_else(|| clause.strip_prefix('~'))
            .or_else(|| clause.strip_prefix('='))
            .or_else(|| {
                clause
                    .starts_with(|ch: char| ch.is_ascii_digit())
                    .then_some(clause)
            });
        if let Some(v) = v {
            if let Some(mm) = major_minor_prefix(v.trim()) {
                return Some(mm);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Entry points

/// Finds the training and inference entry points and what they import.
fn entry_points(dir: &Path, warnings: &mut Vec<ScanIssue>) -> EntryPoints {
    let mut ep = EntryPoints {
        training: TRAINING_CANDIDATES
            .iter()
            .find(|c| dir.join(c).is_file())
            .map(|c| c.to_string()),
        inference: INFERENCE_CANDIDATES
            .iter()
            .find(|c| dir.join(c).is_file())
            .map(|c| c.to_string()),
        ..Default::default()
    };
    let mut imports = BTreeSet::new();
    if let Some(t) = &ep.training {
        if let Some(src) = read_source(dir, t, SOURCE_CAP, warnings) {
            imports.extend(python_imports(&src));
        }
    }
    if let Some(i) = &ep.inference {
        if let Some(src) = read_source(dir, i, SOURCE_CAP, warnings) {
            imports.extend(python_imports(&src));
            ep.inference_app = web_app(&src);
        }
    }
    ep.imports = imports.into_iter().collect();
    ep
}

/// The entry points the code scan found replace the ones guessed from file
/// names: a `main.py` that trains is the training entry point, a FastAPI
/// app in a package is the inference one.
fn apply_code_entry_points(s: &mut ProjectScan) {
    use crate::facts::code::Role;
    if s.code.python_files == 0 {
        return;
    }
    let file =
        |c: &crate::facts::code::EntryCandidate| c.path.ends_with(".py").then(|| c.path.clone());
    s.entry_points.training = s.code.best(Role::Training).and_then(file);
    let inf = s.code.best(Role::Inference);
    s.entry_points.inference = inf.and_then(file);
    s.entry_points.inference_app =
        inf.and_then(|c| c.server.as_ref())
            .and_then(|a| match a.framework.as_str() {
                "fastapi" => Some(WebApp::Fastapi),
                "flask" => Some(WebApp::Flask),
                _ => None,
            });
}

/// Framework modules a Python source imports (sorted, from [`FRAMEWORK_IMPORTS`]).
pub fn python_imports(src: &str) -> Vec<String> {
    let mut found = BTreeSet::new();
    for line in src.lines() {
        let l = line.trim();
        let modules: Vec<&str> = if let Some(rest) = l.strip_prefix("import ") {
            rest.split(',')
                .map(|m| m.split_whitespace().next().unwrap_or(""))
                .collect()
        } else if let Some(rest) = l.strip_prefix("from ") {
            match rest.split_once(" import") {
                Some((m, _)) => vec![m.trim()],
                None => continue,
            }
        } else {
            continue;
        };
        for m in modules {
            let top = m.split('.').next().unwrap_or("").trim();
            if FRAMEWORK_IMPORTS.contains(&top) {
                found.insert(top.to_string());
            }
        }
    }
    found.into_iter().collect()
}

/// Whether a Python source creates a FastAPI or Flask app.
pub fn web_app(src: &str) -> Option<WebApp> {
    let code = |l: &&str| !l.trim_start().starts_with('#');
    if src.lines().filter(code).any(|l| l.contains("FastAPI(")) {
        Some(WebApp::Fastapi)
    } else if src.lines().filter(code).any(|l| l.contains("Flask(")) {
        Some(WebApp::Flask)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Model files

fn is_model_file(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => {
            let ext = ext.to_ascii_lowercase();
            MODEL_EXTENSIONS.contains(&ext.as_str())
        }
        _ => false,
    }
}

/// Model weight files at the top level and below (depth <= 3), skipping
/// hidden folders, virtual environments, node_modules and data folders;
/// bounded in entries visited.
fn model_files(dir: &Path, warnings: &mut Vec<ScanIssue>) -> Vec<ModelFile> {
    let mut out = Vec::new();
    let mut budget = MODEL_WALK_ENTRIES;
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(dir.to_path_buf(), String::new(), 0)];
    let mut truncated = false;
    while let Some((path, rel, depth)) = stack.pop() {
        let Ok(rd) = fs::read_dir(&path) else {
            continue;
        };
        let mut subdirs = Vec::new();
        for entry in rd {
            if budget == 0 {
                truncated = true;
                break;
            }
            budget -= 1;
            let Ok(entry) = entry else { continue };
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // Symlinks are not followed (no cycles, no escaping the repo).
            let Ok(ft) = entry.file_type() else { continue };
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if ft.is_dir() {
                if depth < MODEL_WALK_DEPTH
                    && !name.starts_with('.')
                    && !WALK_SKIP.contains(&name.as_str())
                {
                    subdirs.push((entry.path(), child_rel, depth + 1));
                }
            } else if ft.is_file() && is_model_file(&name) {
                let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
                out.push(ModelFile {
                    path: child_rel,
                    bytes,
                });
            }
        }
        if truncated {
            break;
        }
        subdirs.sort_by(|a, b| b.1.cmp(&a.1));
        stack.extend(subdirs);
    }
    if truncated {
        warnings.push(ScanIssue::general(
            IssueKind::Note,
            format!(
                "model file search stopped after {MODEL_WALK_ENTRIES} entries (large repository)"
            ),
        ));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    if out.len() > MODEL_FILES_MAX {
        warnings.push(ScanIssue::general(
            IssueKind::Note,
            format!(
                "{} model files found; only the first {MODEL_FILES_MAX} are listed",
                out.len()
            ),
        ));
        out.truncate(MODEL_FILES_MAX);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PinVersion {
        s.parse().unwrap()
    }

    #[test]
    fn requirement_with_local_tag() {
        let r = parse_requirement("torch==2.5.1+cu124").unwrap();
        assert_eq!(r.name, "torch");
        assert_eq!(r.version, Some(v("2.5.1")));
        assert_eq!(r.local.as_deref(), Some("cu124"));
    }

    #[test]
    fn requirement_with_extras_and_marker() {
        let r = parse_requirement("TensorFlow[and-cuda] == 2.17.1 ; python_version >= \"3.9\"")
            .unwrap();
        assert_eq!(r.name, "tensorflow");
        assert_eq!(r.extras, vec!["and-cuda"]);
        assert_eq!(r.version, Some(v("2.17.1")));
        assert_eq!(r.marker.as_deref(), Some("python_version >= \"3.9\""));
        let r = parse_requirement("scikit_learn>=1.3,<2").unwrap();
        assert_eq!(r.name, "scikit-learn");
        assert_eq!(r.version, None);
        assert_eq!(r.specifier, ">=1.3,<2");
        let r = parse_requirement("jax===0.4.38").unwrap();
        assert_eq!(r.version, Some(v("0.4.38")));
        let r = parse_requirement("torch==2.5.*").unwrap();
        assert_eq!(r.version, None);
        let r = parse_requirement("torch @ https://example.com/torch.whl").unwrap();
        assert_eq!(r.url.as_deref(), Some("https://example.com/torch.whl"));
        assert!(parse_requirement("!!!garbage").is_err());
        assert!(parse_requirement("torch=2.5").is_err());
        assert!(parse_requirement("torch[cuda==1").is_err());
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_name("Scikit_Learn"), "scikit-learn");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("a__b"), "a-b");
    }

    #[test]
    fn requirements_file() {
        let text = "\
# deps
--extra-index-url https://download.pytorch.org/whl/cu124
numpy>=1.26  # not a framework
torch==2.5.1+cu124
-r base.txt
--index-url=https://pypi.org/simple
tensorflow[and-cuda]==2.17.1 \\
    --hash=sha256:abc
torch==2.5.1+cpu; sys_platform == \"darwin\"
scikit-learn>=1.4
git+https://github.com/org/repo.git#egg=thing
-e .
%%% garbage %%%
";
        let p = parse_requirements(text, "requirements.txt");
        assert_eq!(
            p.index_urls,
            vec![
                "https://download.pytorch.org/whl/cu124",
                "https://pypi.org/simple"
            ]
        );
        assert_eq!(p.includes.len(), 1);
        assert_eq!(p.includes[0].path, "base.txt");
        assert_eq!(p.includes[0].source.to_string(), "requirements.txt:5");
        assert_eq!(p.pins.len(), 3, "{:?}", p.pins);
        let torch = &p.pins[0];
        assert_eq!(torch.package, "torch");
        assert_eq!(torch.version, Some(v("2.5.1")));
        assert_eq!(torch.local.as_deref(), Some("cu124"));
        assert_eq!(torch.source.to_string(), "requirements.txt:4");
        assert_eq!(torch.spec, "torch==2.5.1+cu124");
        let tf = &p.pins[1];
        assert_eq!(tf.package, "tensorflow");
        assert_eq!(tf.extras, vec!["and-cuda"]);
        assert_eq!(tf.source.to_string(), "requirements.txt:7");
        assert_eq!(tf.spec, "tensorflow[and-cuda]==2.17.1");
        let sk = &p.pins[2];
        assert_eq!(sk.package, "scikit-learn");
        assert_eq!(sk.version, None);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0]
            .to_string()
            .starts_with("requirements.txt:13:"));
    }

    #[test]
    fn includes_resolve_inside_project() {
        assert_eq!(
            resolve_include("requirements.txt", "base.txt").as_deref(),
            Some("base.txt")
        );
        assert_eq!(
            resolve_include("requirements/dev.txt", "base.txt").as_deref(),
            Some("requirements/base.txt")
        );
        assert_eq!(
            resolve_include("requirements/dev.txt", "../requirements.txt").as_deref(),
            Some("requirements.txt")
        );
        assert_eq!(resolve_include("requirements.txt", "../x.txt"), None);
        assert_eq!(resolve_include("requirements.txt", "/etc/passwd"), None);
    }

    #[test]
    fn pyproject_pep621_and_uv() {
        let text = r#"
[project]
name = "demo"
requires-python = ">=3.11"
dependencies = [
  "torch>=2.4",
  "numpy",
  "jax[cuda12]==0.4.38",
]

[tool.uv]
dev-dependencies = []

[[tool.uv.index]]
name = "pytorch-cu124"
url = "https://download.pytorch.org/whl/cu124"
"#;
        let p = parse_pyproject(text, "pyproject.toml");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.pyproject.name.as_deref(), Some("demo"));
        assert_eq!(p.pyproject.requires_python.as_deref(), Some(">=3.11"));
        assert!(p.pyproject.uv && !p.pyproject.poetry);
        assert_eq!(p.pyproject.dependencies.len(), 3);
        assert_eq!(p.pins.len(), 2);
        assert_eq!(p.pins[0].package, "torch");
        assert_eq!(p.pins[0].version, None);
        assert_eq!(p.pins[0].source.to_string(), "pyproject.toml:6");
        assert_eq!(p.pins[1].package, "jax");
        assert_eq!(p.pins[1].extras, vec!["cuda12"]);
        assert_eq!(p.pins[1].version, Some(v("0.4.38")));
        assert_eq!(p.index_urls, vec!["https://download.pytorch.org/whl/cu124"]);
    }

    #[test]
    fn pyproject_poetry() {
        let text = r#"
[tool.poetry]
name = "poetry-demo"

[tool.poetry.dependencies]
python = "^3.11"
torch = "2.5.1"
scikit-learn = { version = "^1.5", extras = [] }
tensorflow = { version = "==2.17.1", extras = ["and-cuda"] }
pandas = "*"
"#;
        let p = parse_pyproject(text, "pyproject.toml");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert!(p.pyproject.poetry);
        assert_eq!(p.pyproject.name.as_deref(), Some("poetry-demo"));
        assert_eq!(p.pyproject.requires_python.as_deref(), Some("^3.11"));
        let pins: Vec<_> = p
            .pins
            .iter()
            .map(|p| {
                (
                    p.package.as_str(),
                    p.version.as_ref().map(|v| v.to_string()),
                )
            })
            .collect();
        // toml tables iterate sorted by key.
        assert_eq!(
            pins,
            vec![
                ("scikit-learn", None),
                ("tensorflow", Some("2.17.1".into())),
                ("torch", Some("2.5.1".into())),
            ]
        );
        assert_eq!(p.pins[1].extras, vec!["and-cuda"]);
        assert_eq!(p.pins[2].source.to_string(), "pyproject.toml:7");
        assert!(p
            .pyproject
            .dependencies
            .contains(&"torch==2.5.1".to_string()));
        assert!(p.pyproject.dependencies.contains(&"pandas".to_string()));
    }

    #[test]
    fn malformed_toml_names_the_line() {
        let text = "[project]\nname = \"x\"\ndependencies = [\n  \"torch\"\n  oops\n";
        let p = parse_pyproject(text, "pyproject.toml");
        assert_eq!(p.warnings.len(), 1);
        assert!(
            p.warnings[0]
                .to_string()
                .starts_with("pyproject.toml:5: invalid TOML"),
            "{}",
            p.warnings[0]
        );
    }

    #[test]
    fn environment_yml() {
        let text = "\
name: demo
channels: [conda-forge]
dependencies:
  - python=3.11
  - numpy
  - conda-forge::scikit-learn=1.5.2
  - pip
  - pip:
      - --extra-index-url https://download.pytorch.org/whl/cu121
      - torch==2.4.1
";
        let e = parse_environment_yml(text, "environment.yml");
        assert!(e.warnings.is_empty(), "{:?}", e.warnings);
        assert_eq!(e.python.as_deref(), Some("3.11"));
        assert_eq!(e.pins.len(), 2);
        assert_eq!(e.pins[0].package, "scikit-learn");
        assert_eq!(e.pins[0].version, Some(v("1.5.2")));
        assert_eq!(e.pins[0].source.to_string(), "environment.yml:6");
        assert_eq!(e.pins[1].package, "torch");
        assert_eq!(e.pins[1].version, Some(v("2.4.1")));
        assert_eq!(e.pins[1].source.to_string(), "environment.yml:10");
        assert_eq!(e.index_urls, vec!["https://download.pytorch.org/whl/cu121"]);

        let bad = parse_environment_yml("dependencies:\n  - a\n - b: [\n", "environment.yml");
        assert_eq!(bad.warnings.len(), 1);
        assert!(
            bad.warnings[0].to_string().starts_with("environment.yml:"),
            "{:?}",
            bad.warnings
        );
        let conda_torch = parse_environment_yml(
            "dependencies:\n  - pytorch::pytorch=2.4.1=py3.11_cuda12.1_0\n",
            "environment.yml",
        );
        assert_eq!(conda_torch.pins[0].package, "torch");
        assert_eq!(conda_torch.pins[0].version, Some(v("2.4.1")));
    }

    #[test]
    fn pipfile() {
        let text = r#"
[[source]]
url = "https://pypi.org/simple"
name = "pypi"

[packages]
torch = "==2.5.1"
requests = "*"

[requires]
python_version = "3.11"
"#;
        let p = parse_pipfile(text, "Pipfile");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.pins.len(), 1);
        assert_eq!(p.pins[0].version, Some(v("2.5.1")));
        assert_eq!(p.pins[0].source.to_string(), "Pipfile:7");
        assert_eq!(p.python.as_deref(), Some("3.11"));
        assert!(p.index_urls.is_empty());
    }

    #[test]
    fn python_hints() {
        assert_eq!(
            parse_python_version_file("3.11.9\n").as_deref(),
            Some("3.11")
        );
        assert_eq!(
            parse_python_version_file("3.12\n3.11\n").as_deref(),
            Some("3.12")
        );
        assert_eq!(parse_python_version_file("pypy3.10\n"), None);
        assert_eq!(
            parse_python_version_file("cpython-3.13.1\n").as_deref(),
            Some("3.13")
        );
        assert_eq!(python_from_constraint(">=3.11").as_deref(), Some("3.11"));
        assert_eq!(python_from_constraint("^3.10").as_deref(), Some("3.10"));
        assert_eq!(
            python_from_constraint(">=3.9,<3.13").as_deref(),
            Some("3.9")
        );
        assert_eq!(python_from_constraint("<3.13"), None);
        assert_eq!(python_from_constraint("=3.11").as_deref(), Some("3.11"));
        assert_eq!(python_from_constraint("3.11.*").as_deref(), Some("3.11"));
    }

    #[test]
    fn imports_and_web_apps() {
        let src = "\
import os, torch.nn as nn
from sklearn.linear_model import LogisticRegression
import tensorflow as tf
    import jax.numpy as jnp
# import xgboost
from torchvision import models
app = FastAPI(title=\"x\")
";
        assert_eq!(
            python_imports(src),
            vec!["jax", "sklearn", "tensorflow", "torch"]
        );
        assert_eq!(web_app(src), Some(WebApp::Fastapi));
        assert_eq!(web_app("app = Flask(__name__)\n"), Some(WebApp::Flask));
        assert_eq!(web_app("# app = Flask(__name__)\n"), None);
    }

    #[test]
    fn markers_excluding_linux() {
        assert!(marker_excludes_linux("sys_platform == 'darwin'"));
        assert!(marker_excludes_linux("platform_system == \"Windows\""));
        assert!(!marker_excludes_linux("sys_platform == \"linux\""));
        assert!(!marker_excludes_linux("python_version >= \"3.9\""));
        assert!(!marker_excludes_linux(
            "sys_platform == \"darwin\" or sys_platform == \"linux\""
        ));
    }

    #[test]
    fn framework_packages_cover_the_catalog() {
        let cat = crate::catalog::Catalog::embedded();
        for f in &cat.frameworks {
            for p in &f.packages {
                assert!(is_framework_package(p), "catalog package {p} not scanned");
            }
        }
        for a in &cat.addons {
            for v in &a.variants {
                assert!(
                    is_framework_package(&v.package),
                    "add-on {} not scanned",
                    v.package
                );
            }
        }
    }
}
