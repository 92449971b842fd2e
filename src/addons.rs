//! CUDA add-ons a project uses next to its framework (CuPy, RAPIDS,
//! onnxruntime-gpu): their CUDA major, Pythons, platforms and GPU floor,
//! checked against the plan and the host. Pure: reads the catalog, the facts
//! and the plan's choices.

use crate::catalog::Catalog;
use crate::facts::Facts;
use crate::platform::Platform;
use crate::version::Version;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// An explanation: what was checked.
    Note,
    /// Works, with a cost or a risk the user should know.
    Warning,
    /// The host cannot run it (refused unless --allow-incompatible).
    Refusal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub text: String,
}

fn finding(severity: Severity, text: String) -> Finding {
    Finding { severity, text }
}

fn python_range(ps: &[Version]) -> String {
    match (ps.first(), ps.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => "none".into(),
    }
}

/// Findings for every add-on the project pins. `cuda` is the plan's CUDA
/// (None: a CPU plan), `python` its Python, `platforms` its targets.
pub fn check(
    cat: &Catalog,
    facts: &Facts,
    cuda: Option<&Version>,
    python: &Version,
    platforms: &[Platform],
) -> Vec<Finding> {
    let mut out = vec![];
    for pin in &facts.project.pins {
        let numbers = pin.version.as_ref().map(|v| v.numbers());
        let Some((addon, var)) = cat.addon_for(&pin.package, numbers.as_ref()) else {
            continue;
        };
        let who = format!("{} ({})", pin.spec, pin.source);
        out.push(finding(
            Severity::Note,
            format!(
                "{} — {who}: CUDA {}, Python {}, {}.",
                addon.name,
                var.cuda_major,
                python_range(&var.python),
                match var.floor {
                    Some(f) => format!("GPUs ≥ {}", f.sm()),
                    None => "GPU floor not confirmed (not checked)".into(),
                }
            ),
        ));
        for p in platforms {
            if !var.platforms.contains(p) {
                out.push(finding(
                    Severity::Refusal,
                    format!("{who} has no wheels for {p}"),
                ));
            }
        }
        if !var.python.contains(python) {
            out.push(finding(
                Severity::Warning,
                format!(
                    "{who} has wheels for Python {}; this plan uses Python {python}",
                    python_range(&var.python)
                ),
            ));
        }
        match cuda {
            None => out.push(finding(
                Severity::Warning,
                format!(
                    "{who} needs an NVIDIA GPU and a CUDA {}.x driver; this plan is CPU-only, so it fails at its first GPU call",
                    var.cuda_major
                ),
            )),
            Some(c) if c.major() != var.cuda_major => {
                let same = addon
                    .variants
                    .iter()
                    .find(|o| o.cuda_major == c.major())
                    .map(|o| format!("; {} matches it", o.package))
                    .unwrap_or_default();
                out.push(finding(
                    Severity::Warning,
                    format!(
                        "{who} bundles CUDA {} next to the framework's CUDA {c}: the image carries both runtimes{same}",
                        var.cuda_major
                    ),
                ));
            }
            Some(_) => {}
        }
        if let (Some(d), Some(floor)) = (&facts.driver, cat.major_min_driver(var.cuda_major)) {
            if d.version < *floor {
                out.push(finding(
                    Severity::Refusal,
                    format!(
                        "{who} needs a driver for CUDA {}.x (≥ {floor}); this host has {}",
                        var.cuda_major, d.version
                    ),
                ));
            }
        }
        if let Some(floor) = var.floor {
            for g in &facts.gpus {
                let Some(cc) = g.compute_capability else {
                    continue;
                };
                if cc < floor {
                    let why = match cat.cuda_major_floor(var.cuda_major) {
                        Some(f) if f == floor => {
                            format!("CUDA {} supports no GPU below {}", var.cuda_major, f.sm())
                        }
                        _ => format!("{} runs on {} or newer", addon.name, floor.sm()),
                    };
                    out.push(finding(
                        Severity::Refusal,
                        format!("{who}: {} cannot run it ({why})", g.label()),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Pin;

    fn pin(package: &str, version: &str) -> Pin {
        Pin {
            package: package.into(),
            version: Some(version.parse().unwrap()),
            local: None,
            extras: vec![],
            spec: format!("{package}=={version}"),
            source: "requirements.txt:2".into(),
        }
    }

    #[test]
    fn cupy_13_on_a_v100_and_a_cpu_plan() {
        let cat = Catalog::embedded();
        let mut f = crate::scenarios::h100_535();
        f.gpus[0].compute_capability = Some(crate::version::ComputeCapability::new(7, 0));
        f.gpus[0].name = "Tesla V100-SXM2-32GB".into();
        f.project.pins = vec![pin("cupy-cuda13x", "14.2.0")];
        let py: Version = "3.12".parse().unwrap();
        let out = check(
            cat,
            &f,
            Some(&"12.6".parse().unwrap()),
            &py,
            &[Platform::Amd64],
        );
        let refusals: Vec<&str> = out
            .iter()
            .filter(|x| x.severity == Severity::Refusal)
            .map(|x| x.text.as_str())
            .collect();
        assert!(
            refusals.iter().any(|r| r
                .contains("needs a driver for CUDA 13.x (≥ 580.65.06); this host has 535.104.05")),
            "{refusals:?}"
        );
        assert!(
            refusals.iter().any(|r| r.contains(
                "V100-SXM2-32GB (sm_70) cannot run it (CUDA 13 supports no GPU below sm_75)"
            )),
            "{refusals:?}"
        );
        assert!(out.iter().any(|x| x.severity == Severity::Warning
            && x.text
                .contains("bundles CUDA 13 next to the framework's CUDA 12.6")
            && x.text.contains("cupy-cuda12x matches it")));
        // A CPU plan: a warning, not a silent failure at run time.
        let out = check(cat, &f, None, &py, &[Platform::Amd64]);
        assert!(out.iter().any(|x| x.text.contains("this plan is CPU-only")));
        // Python outside the wheels.
        f.project.pins = vec![pin("cudf-cu12", "26.10.2")];
        let out = check(
            cat,
            &f,
            Some(&"12.6".parse().unwrap()),
            &"3.10".parse().unwrap(),
            &[Platform::Amd64],
        );
        assert!(
            out.iter().any(|x| x.severity == Severity::Warning
                && x.text
                    .contains("Python 3.11–3.14; this plan uses Python 3.10")),
            "{out:?}"
        );
        // Not an add-on, or a release before the confirmed range: nothing.
        f.project.pins = vec![pin("onnxruntime-gpu", "1.20.1"), pin("numpy", "2.0.0")];
        assert!(check(cat, &f, None, &py, &[Platform::Amd64]).is_empty());
    }
}
