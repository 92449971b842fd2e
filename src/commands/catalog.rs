//! `mlcontain catalog show|check` (the overlay it reads is loaded by
//! [`crate::usecase::overlay`]).

use crate::catalog::Catalog;
use crate::cli::CatalogCommand;
use crate::index::{index_settings, redact, Index, IndexError};
use crate::platform::Platform;
use crate::usecase::overlay::load;
use crate::version::Version;
use anyhow::Result;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn run(cmd: &CatalogCommand, explicit: Option<&Path>) -> Result<u8> {
    let cat = load(explicit, None)?;
    match cmd {
        CatalogCommand::Show { json } => {
            if *json {
                println!("{}", serde_json::to_string_pretty(&show_json(&cat))?);
            } else {
                print!("{}", show(&cat));
            }
            Ok(0)
        }
        CatalogCommand::Check(args) => {
            let env = |k: &str| std::env::var(k).ok();
            let home = std::env::var_os("HOME").map(PathBuf::from);
            let settings = index_settings(args.index.as_deref(), &env, home.as_deref());
            let index = Index::new(settings, Duration::from_secs(args.timeout.max(1)))?;
            let report = check(&cat, &|p| index.versions(p));
            let origin = format!(
                "{} ({})",
                redact(&index.settings.url),
                index.settings.origin
            );
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report.to_json(&origin))?
                );
            } else {
                print!("{}", report.render(&cat, &origin));
            }
            Ok(0)
        }
    }
}

fn range(versions: &[&Version]) -> String {
    match (versions.first(), versions.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "none".into(),
    }
}

/// `mlcontain catalog show`: date, overlay, sources, and what it covers.
pub fn show(cat: &Catalog) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Catalog {} (embedded in mlcontain {})",
        cat.updated,
        env!("CARGO_PKG_VERSION")
    );
    if let Some(ov) = &cat.overlay {
        let _ = writeln!(o, "Overlay {} from {}", ov.updated, ov.source);
    }
    let _ = writeln!(o, "\nSources:");
    for s in &cat.sources {
        let _ = writeln!(o, "  - {s}");
    }
    let _ = writeln!(o, "\nCovers:");
    let _ = writeln!(
        o,
        "  Platforms: {}",
        cat.platforms
            .iter()
            .map(|p| p.docker.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        o,
        "  Python: {}",
        range(&cat.python_versions.iter().collect::<Vec<_>>())
    );
    let _ = writeln!(
        o,
        "  CUDA toolkits (nvidia/cuda images): {}",
        cat.cuda
            .iter()
            .map(|t| t.image.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        o,
        "  Driver branches: {}",
        cat.driver_branches
            .iter()
            .filter(|b| b.branch >= 570)
            .map(|b| format!("R{} → CUDA {}", b.branch, b.cuda))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for f in cat.frameworks.iter().filter(|f| !f.is_none()) {
        let vs: Vec<&Version> = f.releases.iter().map(|r| &r.version).collect();
        let mut cudas: Vec<Version> = f
            .releases
            .iter()
            .flat_map(|r| r.builds.iter().map(|b| b.cuda.major_minor()))
            .collect();
        cudas.sort();
        cudas.dedup();
        let per_platform: Vec<String> = Platform::ALL
            .iter()
            .map(|p| {
                let n = f
                    .releases
                    .iter()
                    .filter(|r| r.platforms.contains(p))
                    .count();
                let cuda = f
                    .releases
                    .iter()
                    .filter(|r| r.builds.iter().any(|b| b.kernels(*p).is_some()))
                    .count();
                format!("{} {n} ({cuda} with CUDA)", p.id())
            })
            .collect();
        let unconfirmed = f
            .releases
            .iter()
            .flat_map(|r| {
                r.builds
                    .iter()
                    .filter(|b| !b.confirmed)
                    .map(move |b| format!("{} {}", r.version, b.tag))
            })
            .collect::<Vec<_>>();
        let _ = writeln!(
            o,
            "  {}: {} ({} releases; CUDA {}; {}){}",
            f.name,
            range(&vs),
            vs.len(),
            if cudas.is_empty() {
                "none".to_string()
            } else {
                cudas
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            per_platform.join(", "),
            if unconfirmed.is_empty() {
                String::new()
            } else {
                format!(
                    "; not confirmed, never a default: {}",
                    unconfirmed.join(", ")
                )
            }
        );
    }
    for a in &cat.addons {
        let _ = writeln!(
            o,
            "  Add-on {}: {}",
            a.name,
            a.variants
                .iter()
                .map(|v| format!(
                    "{} (CUDA {}{})",
                    v.package,
                    v.cuda_major,
                    v.floor
                        .map(|f| format!(", ≥ {}", f.sm()))
                        .unwrap_or_else(|| ", GPU floor not confirmed".into())
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        o,
        "\n`mlcontain catalog check` asks the package index for newer releases; a catalog overlay\n(~/.config/mlcontain/catalog.yaml, --catalog FILE or MLCONTAIN_CATALOG) adds them."
    );
    o
}

pub fn show_json(cat: &Catalog) -> serde_json::Value {
    let frameworks: Vec<serde_json::Value> = cat
        .frameworks
        .iter()
        .filter(|f| !f.is_none())
        .map(|f| {
            serde_json::json!({
                "id": f.id,
                "name": f.name,
                "releases": f.releases.iter().map(|r| serde_json::json!({
                    "version": r.version,
                    "python": r.python,
                    "platforms": r.platforms,
                    "builds": r.builds.iter().map(|b| serde_json::json!({
                        "cuda": b.cuda,
                        "tag": b.tag,
                        "confirmed": b.confirmed,
                        "platforms": Platform::ALL.iter().filter(|p| b.kernels(**p).is_some()).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "updated": cat.updated,
        "overlay": cat.overlay.as_ref().map(|o| serde_json::json!({"source": o.source, "updated": o.updated})),
        "sources": cat.sources,
        "platforms": cat.platforms.iter().map(|p| &p.docker).collect::<Vec<_>>(),
        "python": cat.python_versions,
        "cuda": cat.cuda.iter().map(|t| &t.image).collect::<Vec<_>>(),
        "driver_branches": cat.driver_branches.iter().map(|b| serde_json::json!({"branch": b.branch, "cuda": b.cuda})).collect::<Vec<_>>(),
        "frameworks": frameworks,
        "addons": cat.addons.iter().map(|a| serde_json::json!({"id": a.id, "packages": a.variants.iter().map(|v| &v.package).collect::<Vec<_>>()})).collect::<Vec<_>>(),
    })
}

/// One framework's answer from the index.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckLine {
    pub framework: String,
    pub package: String,
    pub catalog_newest: Option<Version>,
    pub index_newest: Option<Version>,
    /// Releases on the index newer than the catalog's newest.
    pub newer: Vec<Version>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    pub lines: Vec<CheckLine>,
    /// Set when the index could not be reached at all.
    pub offline: Option<String>,
    /// Set when the index was reached but the exchange failed (TLS, proxy).
    pub failed: Option<String>,
}

/// Ask `versions` (the index) about every framework the catalog knows.
/// Stops at the first unreachable answer: the index is offline.
pub fn check(
    cat: &Catalog,
    versions: &dyn Fn(&str) -> Result<Vec<Version>, IndexError>,
) -> CheckReport {
    let mut lines = vec![];
    for f in cat.frameworks.iter().filter(|f| !f.is_none()) {
        let Some(package) = f.packages.first() else {
            continue;
        };
        let catalog_newest = f.releases.last().map(|r| r.version.clone());
        match versions(package) {
            Ok(vs) => {
                let newer: Vec<Version> = vs
                    .iter()
                    .filter(|v| catalog_newest.as_ref().is_none_or(|c| c < *v))
                    .cloned()
                    .collect();
                lines.push(CheckLine {
                    framework: f.name.clone(),
                    package: package.clone(),
                    catalog_newest,
                    index_newest: vs.last().cloned(),
                    newer,
                    error: None,
                });
            }
            Err(IndexError::Unreachable { url, why }) => {
                return CheckReport {
                    lines,
                    offline: Some(format!("cannot reach {url}: {why}")),
                    failed: None,
                };
            }
            Err(IndexError::Failed { url, why }) => {
                return CheckReport {
                    lines,
                    offline: None,
                    failed: Some(format!("cannot check {url}: {why}")),
                };
            }
            Err(e) => lines.push(CheckLine {
                framework: f.name.clone(),
                package: package.clone(),
                catalog_newest,
                index_newest: None,
                newer: vec![],
                error: Some(e.to_string()),
            }),
        }
    }
    CheckReport {
        lines,
        offline: None,
        failed: None,
    }
}

impl CheckReport {
    pub fn render(&self, cat: &Catalog, origin: &str) -> String {
        let mut o = String::new();
        let date = match &cat.overlay {
            Some(ov) => format!(
                "{} with overlay {} ({})",
                cat.updated, ov.updated, ov.source
            ),
            None => cat.updated.clone(),
        };
        let _ = writeln!(o, "Catalog {date}; index {origin}");
        if let Some(why) = &self.offline {
            let _ = writeln!(
                o,
                "Offline: {why}. Nothing checked; the catalog stays as it is (from {}).",
                cat.updated
            );
            return o;
        }
        if let Some(why) = &self.failed {
            let _ = writeln!(o, "Not checked: {why}.");
            return o;
        }
        let mut newer = 0;
        for l in &self.lines {
            let cat_v = l
                .catalog_newest
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into());
            let status = match (&l.error, l.newer.is_empty(), &l.index_newest) {
                (Some(e), _, _) => format!("not checked: {e}"),
                (None, _, None) => "no releases on this index".into(),
                (None, true, Some(i)) => format!("up to date (index: {i})"),
                (None, false, _) => {
                    newer += 1;
                    format!(
                        "newer on the index: {}",
                        l.newer
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            };
            let _ = writeln!(
                o,
                "  {:<14} {:<15} catalog {:<10} {status}",
                l.framework, l.package, cat_v
            );
        }
        if newer == 0 {
            let _ = writeln!(o, "The catalog knows every release on the index.");
        } else {
            let _ = writeln!(
                o,
                "{newer} framework(s) have releases the catalog does not know: mlcontain does not offer them until a\ncatalog overlay (README: Catalog) or a newer mlcontain describes their builds."
            );
        }
        o
    }

    pub fn to_json(&self, origin: &str) -> serde_json::Value {
        serde_json::json!({
            "index": origin,
            "offline": self.offline,
            "failed": self.failed,
            "frameworks": self.lines.iter().map(|l| serde_json::json!({
                "framework": l.framework,
                "package": l.package,
                "catalog_newest": l.catalog_newest,
                "index_newest": l.index_newest,
                "newer": l.newer,
                "error": l.error,
            })).collect::<Vec<_>>(),
        })
    }
}
