//! The package index, for `mlcontain catalog check`: which index the user's
//! pip/uv settings name, and which releases of a package it has (PEP 503/691
//! simple API). The only module that talks HTTP; planning and rendering
//! never call it.

use crate::version::Version;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const PYPI_SIMPLE: &str = "https://pypi.org/simple";
/// Bytes read from one index page at most (PyTorch's page is a few MB).
const MAX_PAGE: u64 = 64 << 20;
/// Bytes read from a pip/uv configuration file at most.
const MAX_CONFIG: u64 = 256 << 10;

/// The index to ask, and which setting named it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSettings {
    pub url: String,
    /// `--index`, `UV_DEFAULT_INDEX`, `PIP_INDEX_URL`, `/etc/pip.conf`, `default`...
    pub origin: String,
    /// A proxy from pip's configuration (`proxy =`); environment proxies
    /// (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`...) are honoured by the client.
    pub proxy: Option<String>,
}

/// The index URL with any user name or password taken out (for printing).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}{path}"),
        None => url.to_string(),
    }
}

/// Reads a small regular file (no symlink, FIFO or device), None when absent
/// or unsuitable.
fn read_config(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_CONFIG {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_CONFIG)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// `key = value` pairs of the `[global]` and `[install]` sections of a
/// pip.conf (install wins), keys with `_` spelled `-`.
fn pip_conf(text: &str) -> BTreeMap<String, String> {
    let mut global = BTreeMap::new();
    let mut install = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || t.starts_with(';') || t.is_empty() {
            continue;
        }
        if let Some(s) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.trim().to_ascii_lowercase();
            continue;
        }
        let Some((k, v)) = t.split_once('=').or_else(|| t.split_once(':')) else {
            continue;
        };
        let key = k.trim().to_ascii_lowercase().replace('_', "-");
        let value = v.trim().to_string();
        match section.as_str() {
            "global" => {
                global.insert(key, value);
            }
            "install" => {
                install.insert(key, value);
            }
            _ => {}
        }
    }
    global.extend(install);
    global
}

/// The default index of a uv.toml: `index-url = "..."`, or the `[[index]]`
/// marked `default = true`.
fn uv_toml(text: &str) -> Option<String> {
    let doc: toml::Table = text.parse().ok()?;
    if let Some(u) = doc.get("index-url").and_then(|v| v.as_str()) {
        return Some(u.to_string());
    }
    doc.get("index")?
        .as_array()?
        .iter()
        .find(|i| i.get("default").and_then(|d| d.as_bool()) == Some(true))
        .and_then(|i| i.get("url"))
        .and_then(|u| u.as_str())
        .map(str::to_string)
}

/// The index the user's settings name, in this order: an explicit URL, uv's
/// environment (`UV_DEFAULT_INDEX`, `UV_INDEX_URL`), pip's (`PIP_INDEX_URL`),
/// uv.toml (user configuration), pip's configuration files (`PIP_CONFIG_FILE`,
/// else site, user and global files as pip reads them), then PyPI.
pub fn index_settings(
    explicit: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> IndexSettings {
    let mk = |url: String, origin: String, proxy: Option<String>| IndexSettings {
        url: url.trim_end_matches('/').to_string(),
        origin,
        proxy,
    };
    // pip's proxy setting applies whichever index is used.
    let mut pip_files: Vec<PathBuf> = vec![];
    match env("PIP_CONFIG_FILE").filter(|s| !s.is_empty()) {
        Some(f) => pip_files.push(PathBuf::from(f)),
        None => {
            pip_files.push(PathBuf::from("/etc/pip.conf"));
            let config_home = env("XDG_CONFIG_HOME")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".config")));
            if let Some(h) = home {
                pip_files.push(h.join(".pip/pip.conf"));
            }
            if let Some(c) = &config_home {
                pip_files.push(c.join("pip/pip.conf"));
            }
            if let Some(v) = env("VIRTUAL_ENV").filter(|s| !s.is_empty()) {
                pip_files.push(PathBuf::from(v).join("pip.conf"));
            }
        }
    }
    let mut pip_index: Option<(String, String)> = None;
    let mut pip_proxy: Option<String> = env("PIP_PROXY").filter(|s| !s.is_empty());
    for f in &pip_files {
        if let Some(text) = read_config(f) {
            let kv = pip_conf(&text);
            if let Some(u) = kv.get("index-url") {
                pip_index = Some((u.clone(), f.display().to_string()));
            }
            if pip_proxy.is_none() {
                if let Some(p) = kv.get("proxy") {
                    pip_proxy = Some(p.clone());
                }
            }
        }
    }
    if let Some(u) = explicit {
        return mk(u.to_string(), "--index".into(), pip_proxy);
    }
    for var in ["UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"] {
        if let Some(u) = env(var).filter(|s| !s.trim().is_empty()) {
            return mk(u, var.into(), pip_proxy);
        }
    }
    let uv_config = env("UV_CONFIG_FILE")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env("XDG_CONFIG_HOME")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".config")))
                .map(|c| c.join("uv/uv.toml"))
        });
    if let Some(f) = uv_config {
        if let Some(u) = read_config(&f).as_deref().and_then(uv_toml) {
            return mk(u, f.display().to_string(), pip_proxy);
        }
    }
    if let Some((u, origin)) = pip_index {
        return mk(u, origin, pip_proxy);
    }
    mk(PYPI_SIMPLE.into(), "default".into(), pip_proxy)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    /// The index could not be reached at all (offline, DNS, refused, timeout).
    #[error("cannot reach {url}: {why}")]
    Unreachable { url: String, why: String },
    /// Reached, but the exchange failed (TLS, protocol, proxy): nothing checked.
    #[error("cannot check {url}: {why}")]
    Failed { url: String, why: String },
    #[error("{url}: {why}")]
    Bad { url: String, why: String },
}

/// Connection-level failures: the machine is offline (or the index host is).
fn is_offline(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => {
            use std::io::ErrorKind::*;
            matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | NotConnected
                    | TimedOut
                    | AddrNotAvailable
            ) || io.to_string().contains("failed to lookup address")
        }
        _ => false,
    }
}

/// PEP 503 name normalisation.
pub fn normalise(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars() {
        if c == '-' || c == '_' || c == '.' {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The version in a distribution file name (`torch-2.5.1-cp312-...whl`,
/// `jax-0.4.30.tar.gz`), when it is a plain release (numbers and dots).
pub fn version_of_file(filename: &str) -> Option<Version> {
    let f = filename.trim();
    let text = if let Some(stem) = f.strip_suffix(".whl") {
        stem.split('-').nth(1)?.to_string()
    } else {
        let stem = f
            .strip_suffix(".tar.gz")
            .or_else(|| f.strip_suffix(".zip"))
            .or_else(|| f.strip_suffix(".tar.bz2"))?;
        stem.rsplit_once('-')?.1.to_string()
    };
    // Local (`+cu124`), pre- and post-releases are not plain releases.
    text.parse::<Version>().ok()
}

/// The plain releases named by a simple-API page (JSON per PEP 691/700, or HTML).
pub fn versions_from_page(body: &str) -> Vec<Version> {
    let mut out: Vec<Version> = vec![];
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        if let Some(vs) = json.get("versions").and_then(|v| v.as_array()) {
            out.extend(
                vs.iter()
                    .filter_map(|v| v.as_str())
                    .filter_map(|v| v.parse::<Version>().ok()),
            );
        } else if let Some(files) = json.get("files").and_then(|f| f.as_array()) {
            out.extend(
                files
                    .iter()
                    .filter_map(|f| f.get("filename").and_then(|n| n.as_str()))
                    .filter_map(version_of_file),
            );
        }
    } else {
        // HTML: the text of every anchor is a file name.
        for part in body.split("</a>") {
            if let Some(i) = part.rfind('>') {
                if let Some(v) = version_of_file(&part[i + 1..]) {
                    out.push(v);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A small blocking client for one index.
pub struct Index {
    agent: ureq::Agent,
    pub settings: IndexSettings,
}

impl Index {
    pub fn new(settings: IndexSettings, timeout: Duration) -> Result<Index, IndexError> {
        // The system's trust store (as pip with truststore, and for TLS-inspecting proxies).
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let mut config = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("mlcontain/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = &settings.proxy {
            let proxy = ureq::Proxy::new(p).map_err(|e| IndexError::Bad {
                url: redact(p),
                why: format!("pip's proxy setting: {e}"),
            })?;
            config = config.proxy(Some(proxy));
        }
        Ok(Index {
            agent: config.build().new_agent(),
            settings,
        })
    }

    /// The plain releases of `package` on the index (empty when it has none).
    pub fn versions(&self, package: &str) -> Result<Vec<Version>, IndexError> {
        let url = format!("{}/{}/", self.settings.url, normalise(package));
        let shown = redact(&url);
        let resp = self
            .agent
            .get(&url)
            .header(
                "Accept",
                "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
            )
            .call()
            .map_err(|e| {
                let url = redact(&self.settings.url);
                let why = e.to_string();
                if is_offline(&e) {
                    IndexError::Unreachable { url, why }
                } else {
                    IndexError::Failed { url, why }
                }
            })?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(vec![]);
        }
        if status != 200 {
            return Err(IndexError::Bad {
                url: shown,
                why: format!("HTTP {status}"),
            });
        }
        let body = resp
            .into_body()
            .with_config()
            .limit(MAX_PAGE)
            .read_to_string()
            .map_err(|e| IndexError::Bad {
                url: shown.clone(),
                why: e.to_string(),
            })?;
        Ok(versions_from_page(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_files_and_pages() {
        assert_eq!(normalise("Scikit_Learn"), "scikit-learn");
        assert_eq!(normalise("jax.cuda--plugin"), "jax-cuda-plugin");
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert_eq!(
            version_of_file("torch-2.15.0-cp312-cp312-manylinux_2_28_x86_64.whl"),
            Some(v("2.15.0"))
        );
        assert_eq!(version_of_file("jax-0.12.0.1.tar.gz"), Some(v("0.12.0.1")));
        assert_eq!(version_of_file("torch-2.16.0rc1-cp312-none-any.whl"), None);
        assert_eq!(
            version_of_file("torch-2.5.1+cu124-cp312-none-any.whl"),
            None
        );
        let html =
            r#"<a href="x">jax-0.11.0-py3-none-any.whl</a><br><a href="y">jax-0.12.0.tar.gz</a>"#;
        assert_eq!(versions_from_page(html), vec![v("0.11.0"), v("0.12.0")]);
        let json = r#"{"meta":{"api-version":"1.1"},"versions":["1.0","1.1rc1","1.2"],"files":[]}"#;
        assert_eq!(versions_from_page(json), vec![v("1.0"), v("1.2")]);
        let json = r#"{"files":[{"filename":"xgboost-3.4.1-py3-none-manylinux_2_28_x86_64.whl"}]}"#;
        assert_eq!(versions_from_page(json), vec![v("3.4.1")]);
    }

    #[test]
    fn credentials_never_print() {
        assert_eq!(
            redact("https://user:s3cret@mirror.example/simple"),
            "https://***@mirror.example/simple"
        );
        assert_eq!(redact(PYPI_SIMPLE), PYPI_SIMPLE);
    }

    #[test]
    fn settings_follow_pip_and_uv() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path();
        std::fs::create_dir_all(home.join(".config/pip")).unwrap();
        std::fs::write(
            home.join(".config/pip/pip.conf"),
            "[global]\nindex-url = https://mirror.example/simple/\nproxy = http://proxy.example:3128\n",
        )
        .unwrap();
        let none = |_: &str| None;
        let s = index_settings(None, &none, Some(home));
        assert_eq!(s.url, "https://mirror.example/simple");
        assert!(s.origin.ends_with(".config/pip/pip.conf"), "{}", s.origin);
        assert_eq!(s.proxy.as_deref(), Some("http://proxy.example:3128"));
        let env =
            |k: &str| (k == "PIP_INDEX_URL").then(|| "https://env.example/simple".to_string());
        assert_eq!(
            index_settings(None, &env, Some(home)).origin,
            "PIP_INDEX_URL"
        );
        std::fs::create_dir_all(home.join(".config/uv")).unwrap();
        std::fs::write(
            home.join(".config/uv/uv.toml"),
            "[[index]]\nurl = \"https://uv.example/simple\"\ndefault = true\n",
        )
        .unwrap();
        assert_eq!(
            index_settings(None, &none, Some(home)).url,
            "https://uv.example/simple"
        );
        assert_eq!(
            index_settings(Some("http://127.0.0.1:1/simple"), &env, Some(home)).origin,
            "--index"
        );
        let empty = tempfile::tempdir().unwrap();
        let s = index_settings(None, &none, Some(empty.path()));
        // /etc/pip.conf may exist on the machine; without it the default is PyPI.
        if !Path::new("/etc/pip.conf").exists() {
            assert_eq!(
                (s.url.as_str(), s.origin.as_str()),
                (PYPI_SIMPLE, "default")
            );
        }
    }
}
