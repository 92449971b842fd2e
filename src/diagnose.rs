//! Why a dependency install inside a build failed, from the real cause in
//! the build log: a package compiling from source because no wheel fits the
//! image's Python, no matching distribution, an index the build cannot
//! reach. Pure text in, explanations out.

use crate::pysupport::{PythonSupport, Wheels};
use crate::resolve::span;
use crate::version::Version;

/// The image's Python, from the log's `python:3.12-slim` base (or `Python 3.12` header).
fn image_python(log: &str) -> Option<Version> {
    for marker in ["library/python:", "python:"] {
        if let Some(i) = log.find(marker) {
            let rest = &log[i + marker.len()..];
            let v: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if let Ok(v) = v.trim_end_matches('.').parse::<Version>() {
                return Some(v.major_minor());
            }
        }
    }
    None
}

/// A `name==version` or `name-version.tar.gz` word as (name, version).
fn split_name_version(word: &str) -> (String, Option<Version>) {
    let w = word.trim_matches(|c: char| "`'\"(),:".contains(c));
    if let Some((n, v)) = w.split_once("==") {
        return (n.to_ascii_lowercase(), v.parse().ok());
    }
    if let Some(stem) = w.strip_suffix(".tar.gz").or_else(|| w.strip_suffix(".zip")) {
        if let Some((n, v)) = stem.rsplit_once('-') {
            return (n.to_ascii_lowercase().replace('_', "-"), v.parse().ok());
        }
    }
    (w.to_ascii_lowercase(), None)
}

/// The packages a log says failed to build from source.
fn failed_builds(log: &str) -> Vec<(String, Option<Version>)> {
    let mut out: Vec<(String, Option<Version>)> = vec![];
    let mut push = |nv: (String, Option<Version>)| {
        if !nv.0.is_empty() && !out.iter().any(|o| o.0 == nv.0) {
            out.push(nv);
        }
    };
    for line in log.lines() {
        let l = line.trim();
        // pip: "ERROR: Failed building wheel for numpy"
        if let Some(i) = l.find("Failed building wheel for ") {
            let w = l[i + 26..].split_whitespace().next().unwrap_or("");
            push(split_name_version(w));
        }
        // uv: "× Failed to build `numpy==1.22.0`"
        if let Some(i) = l.find("Failed to build `") {
            let w = l[i + 16..].split('`').nth(1).unwrap_or("");
            push(split_name_version(w));
        }
        // pip: "ERROR: Failed to build installable wheels for some pyproject.toml based projects (numpy)"
        if l.contains("Failed to build installable wheels") {
            if let Some(list) = l.rsplit_once('(').map(|(_, r)| r.trim_end_matches(')')) {
                for w in list.split(',') {
                    push(split_name_version(w.trim()));
                }
            }
        }
        // pip: "error: subprocess-exited-with-error" after "Building wheel for numpy (pyproject.toml)"
        if let Some(i) = l.find("Building wheel for ") {
            if l.ends_with("error") {
                let w = l[i + 19..].split_whitespace().next().unwrap_or("");
                push(split_name_version(w));
            }
        }
    }
    // Versions from "Downloading numpy-1.22.0.tar.gz" / "Collecting numpy==1.22.0".
    for (name, version) in out.iter_mut() {
        if version.is_some() {
            continue;
        }
        for line in log.lines() {
            for w in line.split_whitespace() {
                let (n, v) = split_name_version(w);
                if n == *name && v.is_some() {
                    *version = v;
                }
            }
        }
    }
    out
}

/// `No matching distribution found for jaxlib==0.4.38+cuda12`
fn no_matching(log: &str) -> Vec<String> {
    let mut out = vec![];
    for marker in [
        "No matching distribution found for ",
        "Could not find a version that satisfies the requirement ",
    ] {
        for line in log.lines() {
            if let Some(i) = line.find(marker) {
                let w = line[i + marker.len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                if !w.is_empty() && !out.contains(&w) {
                    out.push(w);
                }
            }
        }
    }
    // uv: "Because there is no version of jaxlib==0.4.38+cuda12 ..."
    for line in log.lines() {
        if let Some(i) = line.find("there is no version of ") {
            let w = line[i + 23..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches(',')
                .to_string();
            if !w.is_empty() && !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// Hosts the log says it could not reach.
fn unreachable_hosts(log: &str) -> Vec<String> {
    let mut out = vec![];
    for line in log.lines() {
        let l = line.to_ascii_lowercase();
        let network = l.contains("temporary failure in name resolution")
            || l.contains("could not resolve host")
            || l.contains("name or service not known")
            || l.contains("failed to establish a new connection")
            || l.contains("connection refused")
            || l.contains("network is unreachable")
            || l.contains("dns error")
            || (l.contains("could not fetch url") && l.contains("https://"));
        if !network {
            continue;
        }
        // host=… (urllib3) or the first URL's host.
        let host = line
            .find("host='")
            .map(|i| line[i + 6..].split('\'').next().unwrap_or("").to_string())
            .or_else(|| {
                line.find("://").map(|i| {
                    line[i + 3..]
                        .split(['/', ' ', ':', '\'', '"', ')'])
                        .next()
                        .unwrap_or("")
                        .to_string()
                })
            })
            .unwrap_or_default();
        let host = if host.is_empty() {
            "(see the log)".to_string()
        } else {
            host
        };
        if !out.contains(&host) {
            out.push(host);
        }
    }
    out
}

/// Explanations of a failed dependency install, the most specific first.
pub fn explain_dependency_failure(log: &str) -> Vec<String> {
    let mut out = vec![];
    let python = image_python(log);
    let support = PythonSupport::embedded();
    for (name, version) in failed_builds(log) {
        let image = python
            .as_ref()
            .map(|p| format!("Python {p}"))
            .unwrap_or_else(|| "the image's Python".into());
        let wheels = version.as_ref().map(|v| support.wheels(&name, v));
        let which = match (&version, wheels) {
            (Some(v), Some(Wheels::For(ps))) => {
                format!(
                    "{name} {v} publishes Linux wheels for Python {} only (PyPI, {}), so on {image} pip compiled it from source, which failed.",
                    span(ps),
                    support.updated
                )
            }
            (Some(v), Some(Wheels::SourceOnly)) => format!(
                "{name} {v} publishes no wheels at all, so it compiled from source, which failed."
            ),
            (Some(v), _) => format!(
                "{name} {v} has no wheel for {image}, so it compiled from source, which failed."
            ),
            (None, _) => format!(
                "{name} has no wheel for {image}, so it compiled from source, which failed."
            ),
        };
        let fit = match (&version, &python) {
            (Some(v), Some(_)) => match support.wheels(&name, v) {
                Wheels::For(ps) => format!(
                    " Regenerate with a Python that has wheels (`mlcontain init --yes --force --python {}`), or pin a newer {name}.",
                    ps.last().map(|p| p.to_string()).unwrap_or_default()
                ),
                _ => format!(" Pin a release of {name} with wheels for {image}, or choose another --python."),
            },
            _ => format!(" Pin a release of {name} with wheels for {image}, or choose another --python."),
        };
        out.push(format!("{which}{fit}"));
    }
    let hosts = unreachable_hosts(log);
    for req in no_matching(log) {
        let mut s = format!(
            "No release of `{req}` fits the image's platform and Python{} on the indexes the build used.",
            python
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        );
        if req.contains('+') {
            s.push_str(" A local build tag (`+cu124`, `+cpu`) exists only on the framework's own index: check that its --index-url / --extra-index-url is in the requirements (or the mirror carries it).");
        } else if hosts.is_empty() {
            s.push_str(" Check the pin against the Pythons the package publishes wheels for, and the index (--index-url) the build uses.");
        }
        out.push(s);
    }
    if !hosts.is_empty() {
        out.push(format!(
            "The build could not reach {} (name resolution or connection failed inside the build). \
             Check the engine's DNS (`dns` in /etc/docker/daemon.json) and proxy (`mlcontain build -- --build-arg HTTPS_PROXY=...`), \
             or point the build at a reachable mirror: `mlcontain init --yes --force --index-url URL` (index_url in mlcontain.yaml).",
            hosts.join(", ")
        ));
    }
    out
}

/// Whether the log shows a dependency step failing (so a base-image
/// explanation would be a wrong guess).
pub fn is_dependency_failure(log: &str) -> bool {
    !failed_builds(log).is_empty() || !no_matching(log).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_compiling_on_a_python_without_wheels() {
        let log = "#1 [internal] load metadata for docker.io/library/python:3.12-slim\n\
                   #9 1.2 Collecting numpy==1.22.0\n\
                   #9 1.3   Downloading numpy-1.22.0.zip (11.3 MB)\n\
                   #9 9.0   Building wheel for numpy (pyproject.toml): finished with status 'error'\n\
                   #9 9.1   ERROR: Failed building wheel for numpy\n\
                   #9 9.2 ERROR: Could not build wheels for numpy, which is required to install pyproject.toml-based projects\n\
                   ERROR: failed to solve: process \"/bin/sh -c pip install -r requirements.txt\" did not complete successfully: exit code: 1\n";
        let e = explain_dependency_failure(log);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("numpy 1.22.0")
                && e[0].contains("3.8–3.10")
                && e[0].contains("Python 3.12"),
            "{e:?}"
        );
        assert!(e[0].contains("--python 3.10"), "{e:?}");
        assert!(is_dependency_failure(log));
    }

    #[test]
    fn uv_build_failure() {
        let e = explain_dependency_failure(
            "FROM python:3.13-slim\n  × Failed to build `numpy==1.22.0`\n  ├─▶ The build backend returned an error\n",
        );
        assert!(
            e[0].contains("numpy 1.22.0") && e[0].contains("Python 3.13"),
            "{e:?}"
        );
    }

    #[test]
    fn a_missing_build_is_not_blamed_on_dns_alone() {
        let log = "ERROR: Could not find a version that satisfies the requirement jaxlib==0.4.38+cuda12 (from versions: 0.4.38)\n\
                   ERROR: No matching distribution found for jaxlib==0.4.38+cuda12\n";
        let e = explain_dependency_failure(log);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("jaxlib==0.4.38+cuda12") && e[0].contains("own index"),
            "{e:?}"
        );
        let log = "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/idna/\n\
                   ERROR: Could not find a version that satisfies the requirement idna==3.10 (from versions: none)\n\
                   ERROR: No matching distribution found for idna==3.10\n";
        let e = explain_dependency_failure(log);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[1].contains("could not reach") && e[1].contains("--index-url"),
            "{e:?}"
        );
        let e = explain_dependency_failure(
            "pip._vendor.urllib3.exceptions.NewConnectionError: Failed to establish a new connection (host='pypi.org', port=443)\n",
        );
        assert!(e[0].contains("pypi.org"), "{e:?}");
    }

    #[test]
    fn unrelated_logs_say_nothing() {
        assert!(
            explain_dependency_failure("ERROR: process \"/bin/sh -c false\" did not complete")
                .is_empty()
        );
    }
}
