//! Every framework × {cpu, each CUDA it supports} × stage set × package
//! manager, rendered and held against real tools: hadolint (0 errors, 0
//! warnings; inline ignores need a reason and are counted) and
//! `docker compose config`.

mod support;

use mlcontain::catalog::Catalog;
use mlcontain::choices::{Accel, Choices, Stage};
use mlcontain::facts::{Facts, PackageManager};
use mlcontain::plan::plan;
use mlcontain::render::{render, COMPOSE, DOCKERFILE};
use mlcontain::version::Version;
use std::collections::BTreeMap;
use std::process::Command;

struct Case {
    name: String,
    files: BTreeMap<String, String>,
}

fn stage_sets() -> Vec<Vec<Stage>> {
    vec![
        vec![Stage::Training, Stage::Inference, Stage::Dev],
        vec![Stage::Training],
        vec![Stage::Inference],
    ]
}

/// The CUDA choices of a framework: every CUDA its builds target, or, for
/// plain Python, every toolkit with images.
fn accels(cat: &Catalog, fw: &str) -> Vec<Accel> {
    let f = cat.framework(fw).unwrap();
    let mut cudas: Vec<Version> = if f.is_none() {
        cat.cuda.iter().map(|t| t.version.clone()).collect()
    } else {
        f.releases
            .iter()
            .flat_map(|r| r.builds.iter().map(|b| b.cuda.clone()))
            .collect()
    };
    cudas.sort();
    cudas.dedup();
    let mut out = vec![Accel::Cpu];
    out.extend(cudas.into_iter().map(Accel::Cuda));
    out
}

fn cases() -> Vec<Case> {
    let cat = Catalog::embedded();
    let facts = Facts::default();
    let mut cases = vec![];
    for fw in cat.framework_ids() {
        for accel in accels(cat, fw) {
            for stages in stage_sets() {
                for pm in PackageManager::ALL {
                    let choices = Choices {
                        framework: Some(fw.into()),
                        cuda: Some(accel.clone()),
                        stages: Some(stages.clone()),
                        package_manager: Some(pm),
                        ..Default::default()
                    };
                    let name = format!(
                        "{fw}/{accel}/{}/{pm}",
                        stages
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join("+")
                    );
                    let p = plan(&facts, &choices).unwrap_or_else(|e| panic!("{name}: {e}"));
                    let files = render(&p)
                        .into_iter()
                        .map(|f| (f.path, f.contents))
                        .collect();
                    cases.push(Case { name, files });
                }
            }
        }
    }
    cases
}

/// Stage name -> the USER in effect at its end (inherited from `FROM <stage>`).
fn effective_users(df: &str) -> BTreeMap<String, Option<String>> {
    let mut users: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut current: Option<(String, Option<String>)> = None;
    for line in df.lines() {
        if let Some(rest) = line.strip_prefix("FROM ") {
            if let Some((name, u)) = current.take() {
                users.insert(name, u);
            }
            let parts: Vec<&str> = rest.split_whitespace().collect();
            let parent = parts[0];
            let name = parts.last().unwrap().to_string();
            let inherited = users.get(parent).cloned().flatten();
            current = Some((name, inherited));
        } else if let Some(u) = line.strip_prefix("USER ") {
            if let Some((_, cur)) = current.as_mut() {
                *cur = Some(u.trim().to_string());
            }
        }
    }
    if let Some((name, u)) = current {
        users.insert(name, u);
    }
    users
}

#[test]
fn matrix_is_large_and_deterministic() {
    let a = cases();
    let b = cases();
    assert!(a.len() >= 300, "{} cases", a.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.files, y.files, "{} renders differently twice", x.name);
    }
    // Structural rules every Dockerfile keeps.
    for c in &a {
        let df = &c.files[DOCKERFILE];
        assert!(
            !df.contains("# syntax="),
            "{}: no syntax line by default",
            c.name
        );
        assert!(df.contains("FROM base AS runtime"), "{}", c.name);
        assert!(df.contains("USER 10001:10001"), "{}", c.name);
        // Every target runs as the app user (its own USER or its parent stage's).
        let users = effective_users(df);
        for t in ["training", "inference", "dev"] {
            if let Some(u) = users.get(t) {
                assert_eq!(
                    u.as_deref(),
                    Some("10001:10001"),
                    "{}: target {t} user",
                    c.name
                );
            }
        }
        for line in df.lines() {
            if line.starts_with("CMD") || line.starts_with("ENTRYPOINT") {
                assert!(line.contains('['), "{}: exec form: {line}", c.name);
            }
            if line.starts_with("FROM ") && line.contains("-devel-") {
                assert!(
                    line.ends_with("AS builder"),
                    "{}: devel only in the builder: {line}",
                    c.name
                );
            }
        }
        let compose = &c.files[COMPOSE];
        assert!(
            !compose.contains("\nversion:"),
            "{}: no obsolete version key",
            c.name
        );
        if c.name.contains("/cpu/") {
            assert!(!compose.contains("driver: nvidia"), "{}", c.name);
        } else {
            assert!(compose.contains("driver: nvidia"), "{}", c.name);
            assert!(compose.contains("- gpu"), "{}", c.name);
        }
        if compose.contains("inference:") {
            assert!(compose.contains("127.0.0.1:8000:8000"), "{}", c.name);
        }
    }
}

#[test]
fn hadolint_finds_nothing_in_the_whole_matrix() {
    let Some(hadolint) = support::hadolint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Lint each distinct Dockerfile once.
    let mut unique: BTreeMap<String, String> = BTreeMap::new();
    let all = cases();
    let total = all.len();
    for c in all {
        unique
            .entry(c.files[DOCKERFILE].clone())
            .or_insert(c.name.clone());
    }
    let mut paths = vec![];
    let mut by_path = BTreeMap::new();
    let mut ignores = 0;
    for (i, (text, name)) in unique.iter().enumerate() {
        let p = dir.path().join(format!("Dockerfile.{i}"));
        std::fs::write(&p, text).unwrap();
        // Every inline ignore carries a reason on the comment lines above it.
        let lines: Vec<&str> = text.lines().collect();
        for (n, l) in lines.iter().enumerate() {
            if l.contains("hadolint ignore=") {
                ignores += 1;
                assert!(
                    n > 0 && lines[n - 1].starts_with('#') && !lines[n - 1].contains("hadolint"),
                    "{name}: `{l}` needs a reason comment above it"
                );
            }
        }
        by_path.insert(p.display().to_string(), name.clone());
        paths.push(p);
    }
    let mut findings: BTreeMap<String, usize> = BTreeMap::new();
    let mut messages = vec![];
    for chunk in paths.chunks(64) {
        let out = Command::new(&hadolint)
            .args(["--no-color", "-f", "json"])
            .args(chunk)
            .output()
            .expect("run hadolint");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let items: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "hadolint json: {e}: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        for it in items {
            let level = it["level"].as_str().unwrap_or("?").to_string();
            *findings.entry(level.clone()).or_default() += 1;
            let file = it["file"].as_str().unwrap_or("");
            messages.push(format!(
                "{} ({}): line {} {} {}: {}",
                by_path.get(file).cloned().unwrap_or_default(),
                file,
                it["line"],
                it["code"].as_str().unwrap_or(""),
                level,
                it["message"].as_str().unwrap_or("")
            ));
        }
    }
    println!(
        "hadolint over {} distinct Dockerfiles of {total} combinations: findings by severity {:?}; inline ignores (each with a reason): {}",
        unique.len(),
        findings,
        ignores
    );
    let bad: Vec<&String> = messages
        .iter()
        .filter(|m| m.contains(" error:") || m.contains(" warning:"))
        .collect();
    assert!(
        bad.is_empty(),
        "hadolint errors/warnings:\n{}",
        bad.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Info and style findings are reported too; there should be none.
    assert!(
        messages.is_empty(),
        "hadolint findings:\n{}",
        messages.join("\n")
    );
}

#[test]
fn docker_compose_config_accepts_the_whole_matrix() {
    if support::docker_compose().is_none() {
        return;
    }
    let mut unique: BTreeMap<String, String> = BTreeMap::new();
    for c in cases() {
        unique
            .entry(c.files[COMPOSE].clone())
            .or_insert(c.name.clone());
    }
    let dir = tempfile::tempdir().unwrap();
    let mut failures = vec![];
    for (i, (text, name)) in unique.iter().enumerate() {
        let d = dir.path().join(format!("c{i}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("compose.yaml"), text).unwrap();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
        let out = Command::new("docker")
            .args(["compose", "-f"])
            .arg(d.join("compose.yaml"))
            .args(["--profile", "dev", "config", "--quiet"])
            .output()
            .expect("docker compose config");
        if !out.status.success() {
            failures.push(format!("{name}: {}", String::from_utf8_lossy(&out.stderr)));
        }
    }
    println!(
        "docker compose config over {} distinct compose files: {} failures",
        unique.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
