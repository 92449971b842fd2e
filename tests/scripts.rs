//! The Python under assets/scripts/ is Python: every file compiles with
//! `python3 -m py_compile` as it stands (placeholders are identifiers), and
//! so does every text mlcontain assembles from them (the check script for
//! each framework and accelerator, the HEALTHCHECK probes, the scaffolded
//! entry points of rendered plans). Every file is used by the crate.

use mlcontain::choices::Choices;
use mlcontain::detect::project::scan;
use mlcontain::facts::Facts;
use mlcontain::plan::plan;
use mlcontain::render::{render, render_dockerfile, FileKind};
use mlcontain::scenarios;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.py` file under assets/scripts/, relative to the repository root.
fn script_files() -> Vec<String> {
    let mut out = vec![];
    let mut stack = vec![root().join("assets/scripts")];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "__pycache__") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "py") {
                let rel = p.strip_prefix(root()).unwrap();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Compiles every (name, source) with one `python3 -m py_compile` (which
/// stops at the first file that fails): empty, or the failing file's name
/// and Python's message.
fn py_compile(sources: &[(String, String)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg("-m")
        .arg("py_compile")
        // Bytecode goes to the temporary directory, not next to assets.
        .env("PYTHONPYCACHEPREFIX", dir.path().join("pycache"));
    for (i, (_, text)) in sources.iter().enumerate() {
        let p = dir.path().join(format!("s{i}.py"));
        fs::write(&p, text).unwrap();
        cmd.arg(p);
    }
    let out = cmd
        .output()
        .expect("python3 runs (it is needed to check the scripts)");
    if out.status.success() {
        return vec![];
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut errors: Vec<String> = sources
        .iter()
        .enumerate()
        .filter(|(i, _)| stderr.contains(&format!("/s{i}.py")))
        .map(|(i, (name, _))| format!("{name} (s{i}.py)"))
        .collect();
    errors.push(stderr.trim().to_string());
    errors
}

fn no_placeholder_left(name: &str, text: &str) {
    let left: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.len() > 4
                && w.starts_with("__")
                && w.ends_with("__")
                && w[2..w.len() - 2]
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_')
        })
        .collect();
    assert!(left.is_empty(), "{name}: placeholders left: {left:?}");
}

#[test]
fn every_script_asset_compiles_as_it_stands() {
    let files = script_files();
    assert!(
        files.len() >= 10,
        "assets/scripts has the scripts: {files:?}"
    );
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.clone(), fs::read_to_string(root().join(f)).unwrap()))
        .collect();
    let errors = py_compile(&sources);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn a_syntax_error_is_caught() {
    let errors = py_compile(&[
        ("good".into(), "x = 1\n".into()),
        ("bad".into(), "def f(:\n    pass\n".into()),
    ]);
    assert!(errors[0].starts_with("bad "), "{errors:?}");
    assert!(!errors.iter().any(|e| e.starts_with("good ")), "{errors:?}");
}

#[test]
fn every_check_script_compiles() {
    let mut sources = vec![];
    for fw in [
        "pytorch",
        "tensorflow",
        "jax",
        "sklearn",
        "xgboost",
        "lightgbm",
        "none",
        "other",
    ] {
        for cuda in [true, false] {
            let import = if fw == "other" { "other_pkg" } else { "" };
            let s = mlcontain::docker::check_script(fw, import, cuda, 2);
            let name = format!("check {fw} cuda={cuda}");
            no_placeholder_left(&name, &s);
            assert!(s.contains("EXPECT = 2\n"), "{name}: {s}");
            assert!(s.ends_with("print('OK', flush=True)\n"), "{name}: {s}");
            sources.push((name, s));
        }
    }
    let errors = py_compile(&sources);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

#[test]
fn rendered_scaffolds_and_healthchecks_compile() {
    let mut sources = vec![];
    let mut scaffolds = 0;
    for (fx, fw) in [
        ("empty", None),
        ("empty", Some("tensorflow")),
        ("empty", Some("jax")),
        ("empty", Some("sklearn")),
        ("empty", Some("none")),
        ("poetry-fastapi", None),
        ("flask-xgboost", None),
    ] {
        for host in [scenarios::no_gpu(), scenarios::h100_535()] {
            let project = scan(&fixture(fx)).unwrap();
            let facts = Facts { project, ..host };
            let choices = Choices {
                framework: fw.map(str::to_string),
                ..Default::default()
            };
            let p = plan(&facts, &choices).unwrap_or_else(|e| panic!("{fx} {fw:?}: {e}"));
            for f in render(&p) {
                if f.kind == FileKind::Scaffold && f.path.ends_with(".py") {
                    let name = format!("{fx} {fw:?}: {}", f.path);
                    no_placeholder_left(&name, &f.contents);
                    scaffolds += 1;
                    sources.push((name, f.contents));
                }
            }
            let dockerfile = render_dockerfile(&p);
            if let Some(line) = dockerfile
                .lines()
                .find(|l| l.contains("CMD [\"python\", \"-c\""))
            {
                let args: Vec<String> =
                    serde_json::from_str(line.trim().trim_start_matches("CMD").trim()).unwrap();
                let name = format!("{fx} {fw:?}: HEALTHCHECK");
                no_placeholder_left(&name, &args[2]);
                sources.push((name, args[2].clone()));
            }
        }
    }
    assert!(scaffolds >= 8, "the fixtures scaffold entry points");
    assert!(
        sources.iter().any(|(n, _)| n.ends_with("HEALTHCHECK")),
        "an inference HEALTHCHECK was rendered"
    );
    let errors = py_compile(&sources);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The Slurm check is held in a single-quoted bash string.
#[test]
fn the_slurm_scripts_have_no_single_quote() {
    let slurm: Vec<String> = script_files()
        .into_iter()
        .filter(|f| f.starts_with("assets/scripts/slurm/"))
        .collect();
    assert!(slurm.len() >= 3, "{slurm:?}");
    for f in slurm {
        let text = fs::read_to_string(root().join(&f)).unwrap();
        assert!(!text.contains('\''), "{f} has a single quote");
    }
}

/// README.Docker.md shows the quick check inside `python -c "..."`: one
/// line, no double quote.
#[test]
fn the_quick_checks_are_one_line_without_double_quotes() {
    let quick: Vec<String> = script_files()
        .into_iter()
        .filter(|f| f.starts_with("assets/scripts/quickcheck/"))
        .collect();
    assert!(quick.len() >= 4, "{quick:?}");
    for f in quick {
        let text = fs::read_to_string(root().join(&f)).unwrap();
        assert_eq!(text.lines().count(), 1, "{f}");
        assert!(!text.contains('"'), "{f} has a double quote");
    }
}

/// Every `.py` asset is named in an `include_str!` under src/.
#[test]
fn every_script_asset_is_used() {
    let mut src_text = String::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                src_text.push_str(&fs::read_to_string(&p).unwrap());
            }
        }
    }
    let unused: Vec<String> = script_files()
        .into_iter()
        .filter(|f| {
            let rel = Path::new(f).strip_prefix("assets").unwrap();
            !src_text.contains(&format!("include_str!(\"../assets/{}\")", rel.display()))
                && !src_text.contains(&format!("include_str!(\"../../assets/{}\")", rel.display()))
        })
        .collect();
    assert!(
        unused.is_empty(),
        "assets not referenced by an include_str! in src/: {unused:?}"
    );
}

/// The `python -c` one-liners are one line, and the launcher the scan
/// writes for a `[project.scripts]` entry point compiles and names it.
#[test]
fn the_one_liners_are_one_line_and_the_console_script_launcher_compiles() {
    for f in script_files()
        .into_iter()
        .filter(|f| f.starts_with("assets/scripts/oneliner/"))
    {
        let text = fs::read_to_string(root().join(&f)).unwrap();
        assert_eq!(text.lines().count(), 1, "{f}");
    }
    let project = scan(&fixture("pkg-main")).unwrap();
    let launch: Vec<&Vec<String>> = project
        .code
        .candidates
        .iter()
        .map(|c| &c.run)
        .filter(|r| r.get(1).map(String::as_str) == Some("-c"))
        .collect();
    assert_eq!(launch.len(), 1, "{launch:?}");
    let program = &launch[0][2];
    assert!(program.contains("from tool.cli import main"), "{program}");
    no_placeholder_left("console script launcher", program);
    let errors = py_compile(&[
        ("console script launcher".into(), program.clone()),
        (
            "python version".into(),
            mlcontain::usecase::python_check::script().to_string(),
        ),
    ]);
    assert!(errors.is_empty(), "{errors:?}");
}
