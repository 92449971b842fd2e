//! Lock files (uv.lock, poetry.lock) and the accelerator extras of a
//! pyproject.toml: what the project resolved, so the plan installs exactly
//! that. Pure functions over file text; `scan` calls them.

use super::packages::{is_framework_package, is_stack_package};
use super::toml_spans::{line_of_key, PyProjectLines};
use crate::facts::{AccelExtra, LockedPackage};
use crate::location::Location;

/// `file:line` of a key the spans found, else the file.
fn at_key(file: &str, keys: &[(String, usize)], name: &str) -> Location {
    match line_of_key(keys, name) {
        Some(l) => Location::new(file, l),
        None => Location::file(file),
    }
}
use crate::requirement::normalize_name;

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The line of a `[[package]]` entry's `version = "…"` (else its name line).
fn entry_line(text: &str, name: &str, version: &str) -> Option<usize> {
    let both = format!("name = \"{name}\"\nversion = \"{version}\"");
    if let Some(i) = text.find(&both) {
        return Some(line_of(text, i) + 1);
    }
    text.find(&format!("name = \"{name}\""))
        .map(|i| line_of(text, i))
}

fn source_of(file: &str, text: &str, name: &str, raw_name: &str, version: &str) -> Location {
    match entry_line(text, raw_name, version).or_else(|| entry_line(text, name, version)) {
        Some(l) => Location::new(file, l),
        None => Location::file(file),
    }
}

fn recorded(name: &str) -> bool {
    is_framework_package(name) || is_stack_package(name) || name.starts_with("nvidia-")
}

/// The result of reading a lock.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedLock {
    pub packages: Vec<LockedPackage>,
    /// Extras of the project whose locked set holds a CPU or CUDA build.
    pub accel_extras: Vec<AccelExtra>,
    pub warnings: Vec<crate::scan_issue::ScanIssue>,
}

fn toml_warning(file: &str, text: &str, e: &toml::de::Error) -> crate::scan_issue::ScanIssue {
    crate::scan_issue::ScanIssue::invalid_toml(file, text, e)
}

/// A dependency reference: name and, when the lock holds several, version.
type DepRef = (String, Option<String>);

/// A dependency reference in uv.lock: `{ name = "torch", version = "2.5.1+cpu", … }`.
fn dep_ref(v: &toml::Value) -> Option<DepRef> {
    let name = v.get("name")?.as_str()?;
    let version = v.get("version").and_then(|x| x.as_str()).map(String::from);
    Some((normalize_name(name), version))
}

/// The `[[package]]` array of a TOML lock file; a file that does not parse
/// is a warning naming it (and no packages).
fn lock_packages(text: &str, file: &str, out: &mut ParsedLock) -> Option<Vec<toml::Value>> {
    let mut doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            out.warnings.push(toml_warning(file, text, &e));
            return None;
        }
    };
    match doc.remove("package") {
        Some(toml::Value::Array(a)) => Some(a),
        _ => None,
    }
}

/// Parses uv.lock: every framework / compiled-stack / nvidia-* package with
/// its version, index and the project extras that select it.
pub fn parse_uv_lock(text: &str, file: &str) -> ParsedLock {
    let mut out = ParsedLock::default();
    let Some(pkgs) = lock_packages(text, file, &mut out) else {
        return out;
    };
    let pkgs = &pkgs;
    // The project itself: source `virtual` / `editable` = ".".
    let root = pkgs.iter().find(|p| {
        p.get("source").and_then(|s| s.as_table()).is_some_and(|s| {
            ["virtual", "editable", "directory"]
                .iter()
                .any(|k| s.get(*k).and_then(|v| v.as_str()) == Some("."))
        })
    });
    let main_deps: Vec<DepRef> = root
        .and_then(|r| r.get("dependencies"))
        .and_then(|d| d.as_array())
        .map(|a| a.iter().filter_map(dep_ref).collect())
        .unwrap_or_default();
    let mut extra_deps: Vec<(String, Vec<DepRef>)> = vec![];
    if let Some(t) = root
        .and_then(|r| r.get("optional-dependencies"))
        .and_then(|d| d.as_table())
    {
        for (extra, deps) in t {
            let refs = deps
                .as_array()
                .map(|a| a.iter().filter_map(dep_ref).collect())
                .unwrap_or_default();
            extra_deps.push((normalize_name(extra), refs));
        }
    }
    for p in pkgs {
        let (Some(raw_name), Some(version)) = (
            p.get("name").and_then(|n| n.as_str()),
            p.get("version").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let name = normalize_name(raw_name);
        if !recorded(&name) {
            continue;
        }
        let refers = |r: &DepRef| r.0 == name && r.1.as_deref().is_none_or(|v| v == version);
        let extras: Vec<String> = if main_deps.iter().any(refers) {
            vec![]
        } else {
            extra_deps
                .iter()
                .filter(|(_, refs)| refs.iter().any(refers))
                .map(|(e, _)| e.clone())
                .collect()
        };
        let index = p
            .get("source")
            .and_then(|s| s.get("registry"))
            .and_then(|r| r.as_str())
            .filter(|u| !is_pypi(u))
            .map(String::from);
        out.packages.push(LockedPackage {
            name: name.clone(),
            version: version.to_string(),
            source: source_of(file, text, &name, raw_name, version),
            extras,
            groups: vec![],
            index,
        });
    }
    // Extras whose locked set holds a CPU or CUDA build of something.
    for (extra, _) in &extra_deps {
        let tag = out
            .packages
            .iter()
            .filter(|p| p.extras.contains(extra))
            .find_map(build_tag)
            .or_else(|| tag_from_name(extra));
        if let Some(tag) = tag {
            let line = text
                .find(&format!("\n{extra} = ["))
                .map(|i| line_of(text, i + 1));
            out.accel_extras.push(AccelExtra {
                name: extra.clone(),
                tag,
                source: match line {
                    Some(l) => Location::new(file, l),
                    None => Location::file(file),
                },
                poetry_group: false,
            });
        }
    }
    out
}

fn is_pypi(url: &str) -> bool {
    let u = url.trim_end_matches('/');
    u == "https://pypi.org/simple" || u == "https://pypi.python.org/simple"
}

/// `cpu` / `cu124` from a locked build's local tag, its index, or an nvidia-* wheel.
fn build_tag(p: &LockedPackage) -> Option<String> {
    if let Some((_, local)) = p.version.split_once('+') {
        if local == "cpu" || local.starts_with("cu") || local.starts_with("rocm") {
            return Some(local.to_string());
        }
    }
    if let Some(i) = &p.index {
        let last = i.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if last == "cpu"
            || (last.starts_with("cu") && last[2..].chars().all(|c| c.is_ascii_digit()))
        {
            return Some(last.to_string());
        }
    }
    if p.name.starts_with("nvidia-") {
        return Some("gpu".into());
    }
    None
}

/// An extra's name that says which accelerator it selects.
pub fn tag_from_name(extra: &str) -> Option<String> {
    let e = extra.to_ascii_lowercase();
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if e == "cpu" {
        return Some("cpu".into());
    }
    if e == "gpu" || e == "cuda" {
        return Some("gpu".into());
    }
    if let Some(d) = e.strip_prefix("cuda") {
        if digits(d.trim_start_matches(['-', '_'])) {
            return Some(e.clone());
        }
    }
    if let Some(d) = e.strip_prefix("cu") {
        if digits(d) {
            return Some(e.clone());
        }
    }
    None
}

/// Accelerator extras declared in a pyproject.toml (without a lock):
/// `[project.optional-dependencies]` named `cpu`/`gpu`/`cu124`, or whose
/// `[tool.uv.sources]` entries point at a CPU / CUDA index.
pub fn pyproject_accel_extras(doc: &toml::Table, text: &str, file: &str) -> Vec<AccelExtra> {
    let lines = super::toml_spans::pyproject_lines(text);
    let mut out = pep621_accel_extras(doc, &lines, file);
    poetry_accel_selectors(doc, &lines, file, &mut out);
    out
}

/// `[project.optional-dependencies]` extras that select the accelerator.
fn pep621_accel_extras(doc: &toml::Table, lines: &PyProjectLines, file: &str) -> Vec<AccelExtra> {
    let mut out = vec![];
    let Some(opt) = doc
        .get("project")
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(|o| o.as_table())
    else {
        return out;
    };
    // index name -> url from [[tool.uv.index]].
    let uv = doc.get("tool").and_then(|t| t.get("uv"));
    let indexes: Vec<(String, String)> = uv
        .and_then(|u| u.get("index"))
        .and_then(|i| i.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|i| {
                    Some((
                        i.get("name")?.as_str()?.to_string(),
                        i.get("url")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let sources = uv.and_then(|u| u.get("sources")).and_then(|s| s.as_table());
    for (extra, deps) in opt {
        let extra_n = normalize_name(extra);
        let mut tag = None;
        // Index of a source entry for this extra.
        if let Some(src) = sources {
            for (_, entries) in src {
                let list: Vec<&toml::Value> = match entries {
                    toml::Value::Array(a) => a.iter().collect(),
                    v => vec![v],
                };
                for e in list {
                    if e.get("extra").and_then(|x| x.as_str()).map(normalize_name)
                        != Some(extra_n.clone())
                    {
                        continue;
                    }
                    let Some(ix) = e.get("index").and_then(|x| x.as_str()) else {
                        continue;
                    };
                    if let Some((_, url)) = indexes.iter().find(|(n, _)| n == ix) {
                        tag = tag.or_else(|| {
                            build_tag(&LockedPackage {
                                name: String::new(),
                                version: String::new(),
                                source: Location::default(),
                                extras: vec![],
                                groups: vec![],
                                index: Some(url.clone()),
                            })
                        });
                    }
                }
            }
        }
        if tag.is_none() {
            let reqs: Vec<&str> = deps
                .as_array()
                .map(|a| a.iter().filter_map(|d| d.as_str()).collect())
                .unwrap_or_default();
            if reqs.iter().any(|r| r.contains("+cpu")) {
                tag = Some("cpu".into());
            } else if reqs.iter().any(|r| {
                let n = normalize_name(
                    r.split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                        .next()
                        .unwrap_or(""),
                );
                n.starts_with("nvidia-") || r.contains("[cuda") || r.contains("[and-cuda]")
            }) {
                tag = Some("gpu".into());
            }
        }
        let tag = tag.or_else(|| tag_from_name(&extra_n));
        if let Some(tag) = tag {
            out.push(AccelExtra {
                name: extra_n,
                tag,
                source: at_key(file, &lines.optional_dependency, extra),
                poetry_group: false,
            });
        }
    }
    out
}

/// Poetry's accelerator selectors: `[tool.poetry.extras]` (installed with
/// `--extras NAME`) and dependency groups (`--only main,NAME`) whose
/// dependencies hold a CPU or CUDA build (`+cpu`, a PyTorch-index source,
/// `nvidia-*`), or whose name says so (`cpu`, `gpu`, `cu124`).
fn poetry_accel_selectors(
    doc: &toml::Table,
    lines: &PyProjectLines,
    file: &str,
    out: &mut Vec<AccelExtra>,
) {
    let Some(poetry) = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.as_table())
    else {
        return;
    };
    let sources: Vec<(String, String)> = poetry
        .get("source")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    Some((
                        s.get("name")?.as_str()?.to_string(),
                        s.get("url")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    // The build tag a dependency spec names (`2.5.1+cpu`, a source's URL, nvidia-*).
    let spec_tag = |name: &str, spec: &toml::Value| -> Option<String> {
        // NVML's Python bindings are not a CUDA build.
        if normalize_name(name) == "nvidia-ml-py" {
            return None;
        }
        let specs: Vec<&toml::Value> = match spec {
            toml::Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        specs.into_iter().find_map(|s| {
            let version = match s {
                toml::Value::String(v) => Some(v.as_str()),
                t => t.get("version").and_then(|v| v.as_str()),
            };
            let index = s
                .get("source")
                .and_then(|x| x.as_str())
                .and_then(|n| sources.iter().find(|(sn, _)| sn == n))
                .map(|(_, u)| u.clone());
            build_tag(&LockedPackage {
                name: normalize_name(name),
                version: version
                    .map(|v| v.trim_start_matches(['=', '^', '~', ' ']).to_string())
                    .unwrap_or_default(),
                source: Location::default(),
                extras: vec![],
                groups: vec![],
                index,
            })
        })
    };
    let deps = poetry.get("dependencies").and_then(|d| d.as_table());
    if let Some(extras) = poetry.get("extras").and_then(|e| e.as_table()) {
        for (extra, pkgs) in extras {
            let name = normalize_name(extra);
            if out.iter().any(|e| e.name == name) {
                continue;
            }
            let tag = pkgs
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str())
                .find_map(|p| {
                    let spec = deps.and_then(|d| {
                        d.iter()
                            .find(|(k, _)| normalize_name(k) == normalize_name(p))
                            .map(|(_, v)| v)
                    });
                    spec.and_then(|s| spec_tag(p, s)).or_else(|| {
                        normalize_name(p)
                            .starts_with("nvidia-")
                            .then(|| "gpu".into())
                    })
                })
                .or_else(|| tag_from_name(&name));
            if let Some(tag) = tag {
                out.push(AccelExtra {
                    source: at_key(file, &lines.poetry_extra, extra),
                    name,
                    tag,
                    poetry_group: false,
                });
            }
        }
    }
    if let Some(groups) = poetry.get("group").and_then(|g| g.as_table()) {
        for (group, body) in groups {
            let name = normalize_name(group);
            if name == "main" || out.iter().any(|e| e.name == name) {
                continue;
            }
            let tag = body
                .get("dependencies")
                .and_then(|d| d.as_table())
                .into_iter()
                .flatten()
                .find_map(|(k, v)| spec_tag(k, v))
                .or_else(|| tag_from_name(&name));
            if let Some(tag) = tag {
                out.push(AccelExtra {
                    source: at_key(file, &lines.poetry_group, group),
                    name,
                    tag,
                    poetry_group: true,
                });
            }
        }
    }
}

/// Parses poetry.lock: every package with its version, groups and source.
pub fn parse_poetry_lock(text: &str, file: &str) -> ParsedLock {
    let mut out = ParsedLock::default();
    let Some(pkgs) = lock_packages(text, file, &mut out) else {
        return out;
    };
    let pkgs = &pkgs;
    for p in pkgs {
        let (Some(raw_name), Some(version)) = (
            p.get("name").and_then(|n| n.as_str()),
            p.get("version").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let name = normalize_name(raw_name);
        // Poetry 2 writes `groups`, Poetry 1 `category`.
        let mut groups: Vec<String> = p
            .get("groups")
            .and_then(|g| g.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if groups.is_empty() {
            if let Some(c) = p.get("category").and_then(|c| c.as_str()) {
                groups.push(c.to_string());
            }
        }
        let index = p
            .get("source")
            .and_then(|s| s.get("url"))
            .and_then(|u| u.as_str())
            .filter(|u| !is_pypi(u))
            .map(String::from);
        // An optional package names its extras in its markers
        // (`extra == "cpu"`, or a table of them per group).
        let markers: Vec<&str> = match p.get("markers") {
            Some(toml::Value::String(m)) => vec![m.as_str()],
            Some(toml::Value::Table(t)) => t.values().filter_map(|v| v.as_str()).collect(),
            _ => vec![],
        };
        let mut extras: Vec<String> = vec![];
        for m in markers {
            for part in m.split("extra").skip(1) {
                let rest = part.trim_start();
                let Some(rest) = rest.strip_prefix("==") else {
                    continue;
                };
                let rest = rest.trim_start();
                let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
                if let Some(q) = q {
                    if let Some(e) = rest[1..].split(q).next() {
                        let e = normalize_name(e);
                        if !extras.contains(&e) {
                            extras.push(e);
                        }
                    }
                }
            }
        }
        out.packages.push(LockedPackage {
            name: name.clone(),
            version: version.to_string(),
            source: source_of(file, text, &name, raw_name, version),
            extras,
            groups,
            index,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const UV_LOCK: &str = r#"version = 1
requires-python = ">=3.11"

[[package]]
name = "demo"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "numpy" },
]

[package.optional-dependencies]
cpu = [
    { name = "torch", version = "2.5.1+cpu", source = { registry = "https://download.pytorch.org/whl/cpu" } },
]
gpu = [
    { name = "torch", version = "2.5.1", source = { registry = "https://pypi.org/simple" } },
]

[[package]]
name = "numpy"
version = "2.1.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "torch"
version = "2.5.1"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "nvidia-cublas-cu12" },
]

[[package]]
name = "torch"
version = "2.5.1+cpu"
source = { registry = "https://download.pytorch.org/whl/cpu" }
"#;

    #[test]
    fn uv_lock_extras_and_builds() {
        let l = parse_uv_lock(UV_LOCK, "uv.lock");
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let numpy = l.packages.iter().find(|p| p.name == "numpy").unwrap();
        assert_eq!(numpy.version, "2.1.3");
        assert!(numpy.extras.is_empty());
        assert_eq!(numpy.source, "uv.lock:22");
        let cpu = l
            .packages
            .iter()
            .find(|p| p.version == "2.5.1+cpu")
            .unwrap();
        assert_eq!(cpu.extras, vec!["cpu"]);
        assert_eq!(
            cpu.index.as_deref(),
            Some("https://download.pytorch.org/whl/cpu")
        );
        assert_eq!(cpu.source, "uv.lock:35");
        let gpu = l.packages.iter().find(|p| p.version == "2.5.1").unwrap();
        assert_eq!(gpu.extras, vec!["gpu"]);
        let tags: Vec<(&str, &str)> = l
            .accel_extras
            .iter()
            .map(|e| (e.name.as_str(), e.tag.as_str()))
            .collect();
        assert_eq!(tags, vec![("cpu", "cpu"), ("gpu", "gpu")]);
    }

    #[test]
    fn poetry_lock_groups() {
        let l = parse_poetry_lock(
            "[[package]]\nname = \"scikit-learn\"\nversion = \"1.3.2\"\ngroups = [\"main\"]\n\n[[package]]\nname = \"pytest\"\nversion = \"8.0.0\"\ncategory = \"dev\"\n",
            "poetry.lock",
        );
        assert_eq!(l.packages.len(), 2);
        assert_eq!(l.packages[0].source, "poetry.lock:3");
        assert_eq!(l.packages[0].groups, vec!["main"]);
        assert_eq!(l.packages[1].groups, vec!["dev"]);
        let bad = parse_poetry_lock("[[package]\n", "poetry.lock");
        assert!(bad.warnings[0]
            .to_string()
            .starts_with("poetry.lock:1: invalid TOML"));
    }

    #[test]
    fn extra_names() {
        assert_eq!(tag_from_name("cpu").as_deref(), Some("cpu"));
        assert_eq!(tag_from_name("cu124").as_deref(), Some("cu124"));
        assert_eq!(tag_from_name("cuda12").as_deref(), Some("cuda12"));
        assert_eq!(tag_from_name("gpu").as_deref(), Some("gpu"));
        assert_eq!(tag_from_name("docs"), None);
        assert_eq!(tag_from_name("cute"), None);
    }
}
