//! README's `--json` shapes against the real output of every `--json`
//! command (the binary, a fixture project, the fake NVML library with an
//! H100): each documented key is there with the documented type, and no
//! undocumented key appears where the README does not say `"…": "…"`.
//! A key written `"name?"` may be absent. Failures print the JSON error
//! object, checked against README's `error` shape.

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn readme_shapes() -> Vec<(String, Value)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut out = vec![];
    for block in readme.split("```jsonc\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let mut lines = block.lines();
        let title = lines
            .next()
            .unwrap()
            .trim_start_matches("//")
            .trim()
            .to_string();
        let body: Vec<&str> = lines.collect();
        let json = strip_comments(&body.join("\n"));
        let v: Value = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("README's `{title}` shape is not JSON: {e}\n{json}"));
        out.push((title, v));
    }
    assert!(out.len() >= 6, "README documents the --json shapes");
    out
}

/// Drop `// …` comments outside strings.
fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let mut in_str = false;
        let mut prev = '\0';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            }
            if !in_str && c == '/' && prev == '/' {
                cut = i - 1;
                break;
            }
            prev = c;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `actual` has the documented shape `doc`; the differences.
fn conforms(doc: &Value, actual: &Value, at: &str, errs: &mut Vec<String>) {
    match (doc, actual) {
        (Value::String(s), _) if s == "…" => {}
        (Value::Null, _) | (_, Value::Null) => {} // documented as "or null"
        (Value::Object(d), Value::Object(a)) => {
            let open = d.contains_key("…");
            for (k, dv) in d {
                if k == "…" {
                    continue;
                }
                let (name, optional) = match k.strip_suffix('?') {
                    Some(n) => (n, true),
                    None => (k.as_str(), false),
                };
                match a.get(name) {
                    Some(av) => conforms(dv, av, &format!("{at}.{name}"), errs),
                    None if optional => {}
                    None => errs.push(format!("{at}.{name}: documented, missing")),
                }
            }
            if !open {
                for k in a.keys() {
                    if !d.contains_key(k) && !d.contains_key(&format!("{k}?")) {
                        errs.push(format!("{at}.{k}: in the output, not in README"));
                    }
                }
            }
        }
        (Value::Array(d), Value::Array(a)) => {
            if let Some(item) = d.first() {
                for (i, av) in a.iter().enumerate() {
                    conforms(item, av, &format!("{at}[{i}]"), errs);
                }
            }
        }
        (d, a) if kind(d) == kind(a) => {}
        (d, a) => errs.push(format!(
            "{at}: README says {}, output is {}",
            kind(d),
            kind(a)
        )),
    }
}

fn run(dir: &Path, args: &[&str], nvml: &Path) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
        .args(args)
        .arg("--dir")
        .arg(dir)
        .env("MLCONTAIN_NVML_LIB", nvml)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON document ({e}):\n{text}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap_or(-1))
}

#[test]
fn every_json_output_matches_readme() {
    let shapes = readme_shapes();
    let shape = |title: &str| -> &Value {
        &shapes
            .iter()
            .find(|(t, _)| t == title)
            .unwrap_or_else(|| panic!("README has no `{title}` shape"))
            .1
    };
    let nvml = common::fake_nvml::fake_nvml_lib("h100");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    std::fs::write(
        repo.join("requirements.txt"),
        "torch==2.5.1\nnumpy\nfastapi\nuvicorn\n",
    )
    .unwrap();
    // Code that trains and a server: all three targets (stages follow the code).
    std::fs::write(
        repo.join("train.py"),
        "import torch\nw = torch.zeros(1, requires_grad=True)\nw.sum().backward()\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("serve.py"),
        "from fastapi import FastAPI\napp = FastAPI()\n",
    )
    .unwrap();

    let mut errs = vec![];
    let mut check = |title: &str, args: &[&str]| -> Value {
        let (v, code) = run(repo, args, &nvml);
        let doc = if v.get("error").is_some() {
            assert_ne!(code, 0, "{args:?}: an error object with exit 0");
            assert_eq!(v["error"]["exit_code"], code, "{args:?}");
            shape("error (any --json command)")
        } else {
            shape(title)
        };
        conforms(doc, &v, title, &mut errs);
        v
    };
    let d = check("mlcontain detect --json", &["detect", "--json"]);
    assert_eq!(d["gpus"].as_array().map(Vec::len), Some(1), "{d}");
    check("mlcontain doctor --json", &["doctor", "--json"]);
    let i = check("mlcontain init --json", &["init", "--json"]);
    assert!(i.get("plan").is_some(), "{i}");
    // Without the files, build and verify fail: their error objects.
    let e = check("mlcontain build --json", &["build", "--json"]);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Dockerfile"),
        "{e}"
    );
    let e = check("mlcontain verify --json", &["verify", "--json"]);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("mlcontain.yaml"),
        "{e}"
    );
    // With them, build's dry run.
    let out = Command::new(env!("CARGO_BIN_EXE_mlcontain"))
        .args(["init", "--yes", "--dir"])
        .arg(repo)
        .env("MLCONTAIN_NVML_LIB", &nvml)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = check(
        "mlcontain build --dry-run --json",
        &["build", "--dry-run", "--json"],
    );
    if b.get("error").is_none() {
        assert_eq!(b["commands"].as_array().map(Vec::len), Some(3), "{b}");
    }
    // A bad flag value is an error object too.
    let e = check(
        "mlcontain init --json",
        &["init", "--json", "--framework", "nope"],
    );
    assert!(e.get("error").is_some(), "{e}");
    assert!(
        errs.is_empty(),
        "README and the output differ:\n{}",
        errs.join("\n")
    );
}
