//! What one Python source says about itself, read line by line (no Python
//! parser): imports, a `__main__` block, CLI libraries, web app objects and
//! their routes, training signals, model reads/writes, environment reads and
//! the path-like string literals it mentions. Pure functions over text.

use std::collections::BTreeSet;

/// A web framework a module serves with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Server {
    Fastapi,
    Starlette,
    Litestar,
    Flask,
    Gradio,
    Streamlit,
    /// The standard library's `http.server`.
    Stdlib,
}

impl Server {
    pub fn name(self) -> &'static str {
        match self {
            Server::Fastapi => "FastAPI",
            Server::Starlette => "Starlette",
            Server::Litestar => "Litestar",
            Server::Flask => "Flask",
            Server::Gradio => "Gradio",
            Server::Streamlit => "Streamlit",
            Server::Stdlib => "http.server",
        }
    }
}

/// An application object: `app = FastAPI()` at module level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppObject {
    pub server: Server,
    /// The variable (`app`), or a factory call (`create_app()`).
    pub object: String,
    pub line: usize,
}

/// One `os.environ.get("NAME", "default")` style read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvRead {
    pub name: String,
    pub default: Option<String>,
    pub line: usize,
}

/// A path-like value a training or serving script names for its model
/// (`out_dir = 'out'`, `default="model/xgb.json"`, `save_model("m.json")`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathHint {
    pub value: String,
    pub line: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceFacts {
    /// Top-level module names imported with absolute imports (`torch`, `pkg`).
    pub imports: BTreeSet<String>,
    /// Uses `from . import` / `from .x import`.
    pub relative_imports: bool,
    /// Line of `if __name__ == "__main__":`.
    pub main_block: Option<usize>,
    /// Module-level code that runs on import (a loop, a bare call).
    pub top_level_code: bool,
    /// CLI libraries used (`argparse`, `click`, `typer`, `hydra`, `fire`).
    pub cli: Vec<&'static str>,
    pub apps: Vec<AppObject>,
    /// Starts a server itself (`uvicorn.run(`, `app.run(`, `.launch(`, `serve_forever(`).
    pub runs_server: bool,
    /// Route paths declared with a GET-capable decorator, or compared with `self.path`.
    pub get_routes: Vec<String>,
    /// Training signals found (`loss.backward()`, `.fit(`, `Trainer(`), with line.
    pub training: Vec<(&'static str, usize)>,
    /// Writes a model (`torch.save(`, `joblib.dump(`, `save_model(`, ...).
    pub saves_model: Vec<usize>,
    /// Loads a model (`torch.load(`, `joblib.load(`, `from_pretrained(`, ...).
    pub loads_model: Vec<usize>,
    pub env_reads: Vec<EnvRead>,
    /// Values of output/model path variables and options.
    pub model_paths: Vec<PathHint>,
    /// Every string literal that looks like a relative file path.
    pub path_literals: BTreeSet<String>,
    /// Loads a `.env` file at run time (python-dotenv, pydantic-settings).
    pub loads_dotenv: bool,
    /// mlcontain's own starting point (its docstring says so).
    pub scaffold: bool,
}

const TRAINING_SIGNALS: &[(&str, &str)] = &[
    (".backward(", "loss.backward()"),
    ("optimizer.step(", "optimizer.step()"),
    ("opt.step(", "optimizer.step()"),
    ("scaler.step(", "optimizer.step()"),
    ("optimizer.zero_grad(", "optimizer.step()"),
    ("Trainer(", "a Trainer"),
    ("trainer.train(", "trainer.train()"),
    ("trainer.fit(", "trainer.fit()"),
    (".fit(", ".fit()"),
    ("xgb.train(", "xgboost.train()"),
    ("xgboost.train(", "xgboost.train()"),
    ("lgb.train(", "lightgbm.train()"),
    ("lightgbm.train(", "lightgbm.train()"),
    ("jax.grad(", "jax.grad()"),
    ("value_and_grad(", "jax.value_and_grad()"),
    ("optax.", "an optax optimizer"),
    ("train_step(", "a train_step"),
    ("TrainState", "a train state"),
    ("get_peft_model(", "a PEFT (LoRA) model"),
];

const SAVE_SIGNALS: &[&str] = &[
    "torch.save(",
    "joblib.dump(",
    "pickle.dump(",
    "save_model(",
    ".save_pretrained(",
    "model.save(",
    "save_checkpoint(",
    ".save_weights(",
    "dump_model(",
    "save_file(",
];

const LOAD_SIGNALS: &[&str] = &[
    "torch.load(",
    "joblib.load(",
    "pickle.load(",
    "load_model(",
    "from_pretrained(",
    "Booster(",
    ".load_weights(",
    "load_file(",
    "restore_checkpoint(",
];

/// Path-like file extensions for string literals.
const PATH_EXTENSIONS: &[&str] = &[
    "bin",
    "cfg",
    "ckpt",
    "csv",
    "gguf",
    "h5",
    "ini",
    "joblib",
    "json",
    "keras",
    "model",
    "npy",
    "npz",
    "onnx",
    "parquet",
    "pickle",
    "pkl",
    "pt",
    "pth",
    "safetensors",
    "sh",
    "toml",
    "txt",
    "ubj",
    "yaml",
    "yml",
];

/// Variable and option names that hold a model or output location.
fn is_model_path_name(name: &str) -> bool {
    let n = name
        .trim_start_matches('-')
        .to_ascii_lowercase()
        .replace('-', "_");
    const EXACT: &[&str] = &[
        "out_dir",
        "output_dir",
        "outdir",
        "save_dir",
        "save_path",
        "model_dir",
        "model_path",
        "model_file",
        "model_name_or_path",
        "checkpoint_dir",
        "ckpt_dir",
        "ckpt_path",
        "checkpoint_path",
        "weights_path",
        "model_out",
        "output_path",
    ];
    EXACT.contains(&n.as_str())
}

/// Reads `src` (a Python module) into [`SourceFacts`].
pub fn analyze(src: &str) -> SourceFacts {
    let mut f = SourceFacts::default();
    let mut in_string: Option<&str> = None;
    f.scaffold = src
        .lines()
        .take(3)
        .any(|l| l.contains("scaffolded by mlcontain"));
    for (i, raw) in src.lines().enumerate() {
        let lineno = i + 1;
        // Skip the inside of triple-quoted strings (docstrings).
        if let Some(q) = in_string {
            if raw.contains(q) {
                in_string = None;
            }
            continue;
        }
        let trimmed = raw.trim_start();
        for q in ["\"\"\"", "'''"] {
            if (trimmed.starts_with(q) || trimmed.contains(&format!("= {q}")))
                && trimmed.matches(q).count() % 2 == 1
            {
                in_string = Some(q);
            }
        }
        if in_string.is_some() {
            continue;
        }
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let code = strip_comment(trimmed);
        let top = raw.len() == trimmed.len();
        line_imports(code, &mut f);
        if is_main_guard(code) {
            f.main_block.get_or_insert(lineno);
        }
        if top {
            top_level(code, lineno, &mut f);
        }
        for (needle, cli) in [
            ("ArgumentParser(", "argparse"),
            ("@click.", "click"),
            ("typer.Typer(", "typer"),
            ("typer.run(", "typer"),
            ("@hydra.main", "hydra"),
            ("fire.Fire(", "fire"),
            ("tyro.cli(", "tyro"),
            ("ArgumentParser(", "jsonargparse"),
        ] {
            if code.contains(needle) && !f.cli.contains(&cli) {
                if cli == "jsonargparse" && !f.imports.contains("jsonargparse") {
                    continue;
                }
                f.cli.push(cli);
            }
        }
        app_objects(code, lineno, top, &mut f);
        for needle in [
            "uvicorn.run(",
            "app.run(",
            ".serve_forever(",
            ".launch(",
            "serve(app",
        ] {
            if code.contains(needle) {
                f.runs_server = true;
            }
        }
        routes(code, &mut f);
        for (needle, label) in TRAINING_SIGNALS {
            if code.contains(needle) && !f.training.iter().any(|(l, _)| l == label) {
                // `.fit(` also matches `fit_transform`-free calls only.
                f.training.push((label, lineno));
            }
        }
        if SAVE_SIGNALS.iter().any(|n| code.contains(n)) {
            f.saves_model.push(lineno);
        }
        if LOAD_SIGNALS.iter().any(|n| code.contains(n)) {
            f.loads_model.push(lineno);
        }
        env_reads(code, lineno, &mut f);
        model_path_hints(code, lineno, &mut f);
        for lit in string_literals(code) {
            if looks_like_path(&lit) {
                f.path_literals
                    .insert(lit.trim_start_matches("./").to_string());
            }
        }
        if code.contains("load_dotenv(")
            || code.contains("dotenv_values(")
            || code.contains("env_file=\".env\"")
            || code.contains("env_file='.env'")
            || code.contains("\"env_file\": \".env\"")
        {
            f.loads_dotenv = true;
        }
    }
    // A `.step(` / `Trainer(` in a file that trains nothing else counts; a
    // lone `.fit(` in a serving module (a scaler) does not make it training.
    f
}

fn strip_comment(line: &str) -> &str {
    // A `#` outside quotes starts a comment.
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return line[..i].trim_end(),
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    line
}

fn is_main_guard(code: &str) -> bool {
    let c: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let c = c.replace('\'', "\"");
    c.starts_with("if__name__==\"__main__\"") || c.starts_with("if\"__main__\"==__name__")
}

fn line_imports(code: &str, f: &mut SourceFacts) {
    if let Some(rest) = code.strip_prefix("import ") {
        for m in rest.split(',') {
            let m = m.split_whitespace().next().unwrap_or("");
            let top = m.split('.').next().unwrap_or("");
            if is_ident(top) {
                f.imports.insert(top.to_string());
            }
        }
    } else if let Some(rest) = code.strip_prefix("from ") {
        let m = rest.split_whitespace().next().unwrap_or("");
        if m.starts_with('.') {
            f.relative_imports = true;
        } else {
            let top = m.split('.').next().unwrap_or("");
            if is_ident(top) {
                f.imports.insert(top.to_string());
            }
        }
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// Module-level statements that run when the file runs.
fn top_level(code: &str, _lineno: usize, f: &mut SourceFacts) {
    let first = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .next();
    let Some(word) = first else { return };
    if ["for", "while", "with"].contains(&word) {
        f.top_level_code = true;
        return;
    }
    // A bare call that runs something: `main()`, `fire.Fire(main)`,
    // `app.run(main)`, `print(...)`; not set-up calls such as
    // `tf.random.set_seed(0)`, `logging.basicConfig()`, `jax.config.update()`.
    if !word.is_empty()
        && code[word.len()..].starts_with('(')
        && !["if", "elif", "def", "class", "return", "assert", "del"].contains(&word)
    {
        let last = word.rsplit('.').next().unwrap_or(word);
        let setup = last.starts_with("set")
            || last.ends_with("seed")
            || last.ends_with("Seed")
            || [
                "basicConfig",
                "filterwarnings",
                "simplefilter",
                "update",
                "use",
                "append",
                "insert",
                "register",
                "addHandler",
                "makedirs",
                "mkdir",
                "load_dotenv",
                "seed_everything",
                "disable_eager_execution",
                "enable_eager_execution",
                "disable_progress_bar",
                "login",
                "init",
            ]
            .contains(&last);
        let runs = !setup;
        if runs {
            f.top_level_code = true;
        }
    }
}

fn app_objects(code: &str, lineno: usize, top: bool, f: &mut SourceFacts) {
    const CTORS: &[(&str, Server)] = &[
        ("FastAPI(", Server::Fastapi),
        ("Starlette(", Server::Starlette),
        ("Litestar(", Server::Litestar),
        ("Flask(", Server::Flask),
    ];
    if top {
        if let Some((lhs, rhs)) = code.split_once('=') {
            let lhs = lhs.split(':').next().unwrap_or("").trim();
            let rhs = rhs.trim_start();
            if is_ident(lhs) && !rhs.starts_with('=') {
                for (ctor, server) in CTORS {
                    let callee = rhs.split('(').next().unwrap_or("");
                    let last = callee.rsplit('.').next().unwrap_or("");
                    if rhs.contains(ctor) && format!("{last}(") == *ctor {
                        f.apps.push(AppObject {
                            server: *server,
                            object: lhs.to_string(),
                            line: lineno,
                        });
                    }
                }
            }
        }
        // A Flask application factory.
        if code.starts_with("def create_app(") || code.starts_with("def make_app(") {
            let name = code[4..].split('(').next().unwrap_or("").to_string();
            f.apps.push(AppObject {
                server: Server::Flask,
                object: format!("{name}()"),
                line: lineno,
            });
        }
    }
    if (code.contains("gr.Interface(")
        || code.contains("gr.Blocks(")
        || code.contains("gr.ChatInterface("))
        && !f.apps.iter().any(|a| a.server == Server::Gradio)
    {
        f.apps.push(AppObject {
            server: Server::Gradio,
            object: String::new(),
            line: lineno,
        });
    }
    if (code.starts_with("import streamlit") || code.starts_with("from streamlit"))
        && !f.apps.iter().any(|a| a.server == Server::Streamlit)
    {
        f.apps.push(AppObject {
            server: Server::Streamlit,
            object: String::new(),
            line: lineno,
        });
    }
    if (code.contains("HTTPServer(") || code.contains("ThreadingHTTPServer("))
        && !f.apps.iter().any(|a| a.server == Server::Stdlib)
    {
        f.apps.push(AppObject {
            server: Server::Stdlib,
            object: String::new(),
            line: lineno,
        });
    }
}

fn routes(code: &str, f: &mut SourceFacts) {
    if let Some(rest) = code.strip_prefix('@') {
        // @app.get("/health"), @router.get(...), @bp.route("/x", methods=["GET"]).
        let Some((callee, args)) = rest.split_once('(') else {
            return;
        };
        let method = callee.rsplit('.').next().unwrap_or("");
        let get_capable = match method {
            "get" | "api_route" => true,
            "route" => !args.contains("methods") || args.contains("GET"),
            _ => false,
        };
        if get_capable {
            if let Some(p) = string_literals(args).into_iter().next() {
                if p.starts_with('/') && !f.get_routes.contains(&p) {
                    f.get_routes.push(p);
                }
            }
        }
    } else if code.contains("self.path") || code.contains("request.path") {
        for p in string_literals(code) {
            if p.starts_with('/') && !f.get_routes.contains(&p) {
                f.get_routes.push(p);
            }
        }
    }
}

/// String literals on a line (single or double quoted, no escapes across).
pub fn string_literals(code: &str) -> Vec<String> {
    let mut out = vec![];
    let mut chars = code.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' || c == '\'' {
            let start = i + 1;
            let mut end = None;
            let mut escaped = false;
            for (j, d) in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c {
                    end = Some(j);
                    break;
                }
            }
            match end {
                Some(e) => out.push(code[start..e].to_string()),
                None => break,
            }
        }
    }
    out
}

fn looks_like_path(s: &str) -> bool {
    if s.is_empty()
        || s.len() > 200
        || s.contains("://")
        || s.starts_with('/')
        || s.contains(char::is_whitespace)
        || s.contains(['{', '}', '%', '*', '$', '<', '>'])
    {
        return false;
    }
    let name = s.rsplit('/').next().unwrap_or(s);
    let ext_ok = name
        .rsplit_once('.')
        .map(|(stem, e)| {
            !stem.is_empty() && PATH_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
        })
        .unwrap_or(false);
    ext_ok || (s.contains('/') && s.split('/').all(|p| !p.is_empty() || s.ends_with('/')))
}

fn env_reads(code: &str, lineno: usize, f: &mut SourceFacts) {
    for needle in ["environ.get(", "getenv(", "environ["] {
        let mut rest = code;
        while let Some(pos) = rest.find(needle) {
            let after = &rest[pos + needle.len()..];
            let lits = string_literals(after.split(')').next().unwrap_or(after));
            if let Some(name) = lits.first() {
                if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
                    f.env_reads.push(EnvRead {
                        name: name.clone(),
                        default: lits.get(1).cloned(),
                        line: lineno,
                    });
                }
            }
            rest = after;
        }
    }
}

fn model_path_hints(code: &str, lineno: usize, f: &mut SourceFacts) {
    // `out_dir = 'out'` / `MODEL_PATH = Path("model") / "xgb.json"`
    if let Some((lhs, rhs)) = code.split_once('=') {
        let lhs = lhs.split(':').next().unwrap_or("").trim();
        if is_ident(lhs) && is_model_path_name(lhs) && !rhs.starts_with('=') {
            let lits = string_literals(rhs);
            // An environment read's default is the value in the repository.
            let value = if rhs.contains("environ") || rhs.contains("getenv") {
                lits.get(1).cloned()
            } else {
                (!lits.is_empty()).then(|| lits.join("/"))
            };
            if let Some(v) = value {
                push_hint(f, v, lineno);
            }
        }
    }
    // add_argument("--out_dir", default="out")
    if code.contains("add_argument(") {
        let lits = string_literals(code);
        if lits
            .iter()
            .any(|l| l.starts_with("--") && is_model_path_name(l))
        {
            if let Some(pos) = code.find("default=") {
                if let Some(v) = string_literals(&code[pos..]).into_iter().next() {
                    push_hint(f, v, lineno);
                }
            }
        }
    }
    // save_model("model/xgb.json"), joblib.dump(m, "model.joblib")
    if SAVE_SIGNALS.iter().any(|n| code.contains(n)) {
        for l in string_literals(code) {
            if looks_like_path(&l) {
                push_hint(f, l, lineno);
            }
        }
    }
}

fn push_hint(f: &mut SourceFacts, v: String, line: usize) {
    let v = v.trim_start_matches("./").trim_end_matches('/').to_string();
    if v.is_empty() || v.starts_with('/') || v.contains("..") || v.contains("://") {
        return;
    }
    if !f.model_paths.iter().any(|h| h.value == v) {
        f.model_paths.push(PathHint { value: v, line });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fastapi_module_in_a_package() {
        let src = r#""""The service.

app = Flask(__name__) in a docstring does not count.
"""
import os
from fastapi import FastAPI
from .model import load  # relative

MODEL_PATH = os.environ.get("MODEL_PATH", "models/clf.joblib")
app: FastAPI = FastAPI(title="svc")

@app.get("/healthz")
def health():
    return {"ok": True}

@app.post("/predict")
def predict():
    ...
"#;
        let f = analyze(src);
        assert_eq!(f.apps.len(), 1, "{:?}", f.apps);
        assert_eq!(f.apps[0].server, Server::Fastapi);
        assert_eq!(f.apps[0].object, "app");
        assert_eq!(f.apps[0].line, 10);
        assert_eq!(f.get_routes, vec!["/healthz"]);
        assert!(f.relative_imports);
        assert!(f.imports.contains("fastapi") && f.imports.contains("os"));
        assert!(f.main_block.is_none() && !f.top_level_code);
        assert_eq!(f.env_reads[0].name, "MODEL_PATH");
        assert_eq!(f.env_reads[0].default.as_deref(), Some("models/clf.joblib"));
        assert_eq!(f.model_paths[0].value, "models/clf.joblib");
        assert!(f.path_literals.contains("models/clf.joblib"));
    }

    #[test]
    fn a_training_script() {
        let src = "import torch\nimport argparse\n\ndef main():\n    p = argparse.ArgumentParser()\n    p.add_argument('--out_dir', default='out')\n    loss.backward()\n    optimizer.step()\n    torch.save(m, 'ckpt.pt')\n\nif __name__ == '__main__':\n    main()\n";
        let f = analyze(src);
        assert_eq!(f.main_block, Some(11));
        assert_eq!(f.cli, vec!["argparse"]);
        let labels: Vec<_> = f.training.iter().map(|t| t.0).collect();
        assert_eq!(labels, vec!["loss.backward()", "optimizer.step()"]);
        assert_eq!(f.saves_model, vec![9]);
        let hints: Vec<_> = f.model_paths.iter().map(|h| h.value.as_str()).collect();
        assert_eq!(hints, vec!["out", "ckpt.pt"]);
    }

    #[test]
    fn top_level_scripts_and_libraries() {
        assert!(analyze("import torch\nfor i in range(3):\n    step()\n").top_level_code);
        assert!(analyze("import fire\nfire.Fire(main)\n").top_level_code);
        let lib = analyze("import logging\nlog = logging.getLogger(__name__)\nlogging.basicConfig()\ndef f():\n    for x in y:\n        pass\n");
        assert!(!lib.top_level_code && lib.main_block.is_none());
        // Seeding and configuration at module level do not make a library a script.
        let lib = analyze("import tensorflow as tf\ntf.random.set_seed(0)\njax.config.update('x', 1)\ndef train_and_evaluate():\n    pass\n");
        assert!(!lib.top_level_code);
        assert!(analyze("from absl import app\napp.run(main)\n").top_level_code);
        assert!(analyze("main()\n").top_level_code);
    }

    #[test]
    fn stdlib_server_routes_and_flask_routes() {
        let f = analyze("from http.server import ThreadingHTTPServer\nclass H:\n    def do_GET(self):\n        if self.path != \"/health\":\n            pass\nThreadingHTTPServer(('', 1), H).serve_forever()\n");
        assert_eq!(f.apps[0].server, Server::Stdlib);
        assert_eq!(f.get_routes, vec!["/health"]);
        assert!(f.runs_server);
        let f = analyze("app = Flask(__name__)\n@app.route('/predict', methods=['POST'])\ndef p(): pass\n@app.route('/')\ndef i(): pass\n");
        assert_eq!(f.apps[0].server, Server::Flask);
        assert_eq!(f.get_routes, vec!["/"]);
    }

    #[test]
    fn comments_and_strings() {
        assert_eq!(strip_comment("x = '#1'  # c"), "x = '#1'");
        assert_eq!(string_literals(r#"a("x", 'y\'z')"#), vec!["x", r"y\'z"]);
        assert!(looks_like_path("configs/base.yaml"));
        assert!(looks_like_path("model.joblib"));
        assert!(!looks_like_path("https://x/y.json"));
        assert!(!looks_like_path("hello world"));
        assert!(!looks_like_path("/etc/passwd"));
        assert!(analyze("from dotenv import load_dotenv\nload_dotenv()\n").loads_dotenv);
    }
}
