//! CPU platforms images and wheels are built for (`linux/amd64`,
//! `linux/arm64`): a fact about the host and a choice about the target.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    Amd64,
    Arm64,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::Amd64, Platform::Arm64];

    /// The catalog's short id (`amd64`).
    pub fn id(&self) -> &'static str {
        match self {
            Platform::Amd64 => "amd64",
            Platform::Arm64 => "arm64",
        }
    }
    /// The `docker build --platform` value (`linux/amd64`).
    pub fn docker(&self) -> &'static str {
        match self {
            Platform::Amd64 => "linux/amd64",
            Platform::Arm64 => "linux/arm64",
        }
    }
    /// The wheel tag machine (`x86_64`, `aarch64`).
    pub fn arch(&self) -> &'static str {
        match self {
            Platform::Amd64 => "x86_64",
            Platform::Arm64 => "aarch64",
        }
    }
    /// The platform of a CPU architecture name as Rust (`std::env::consts::ARCH`),
    /// uname or Docker spell it; None for architectures mlcontain has no images for.
    pub fn from_arch(arch: &str) -> Option<Platform> {
        match arch.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x64" => Some(Platform::Amd64),
            "aarch64" | "arm64" | "arm64/v8" | "armv8" => Some(Platform::Arm64),
            _ => None,
        }
    }
    /// The platform this binary runs on (a compile-time constant: the host's
    /// architecture unless it runs under emulation).
    pub fn host() -> Option<Platform> {
        Platform::from_arch(std::env::consts::ARCH)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.docker())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform `{0}` (valid: linux/amd64, linux/arm64)")]
pub struct PlatformParseError(pub String);

impl FromStr for Platform {
    type Err = PlatformParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let arch = t.strip_prefix("linux/").unwrap_or(t);
        Platform::from_arch(arch).ok_or_else(|| PlatformParseError(s.to_string()))
    }
}

impl Serialize for Platform {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.docker())
    }
}
impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A comma-separated platform list (`linux/amd64,linux/arm64`), sorted and
/// without duplicates; never empty.
pub fn parse_list(s: &str) -> Result<Vec<Platform>, PlatformParseError> {
    let mut out = vec![];
    for part in s.split(',') {
        if part.trim().is_empty() {
            continue;
        }
        out.push(part.parse::<Platform>()?);
    }
    if out.is_empty() {
        return Err(PlatformParseError(s.to_string()));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `linux/amd64,linux/arm64`
pub fn join(platforms: &[Platform]) -> String {
    platforms
        .iter()
        .map(|p| p.docker())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!("linux/amd64".parse::<Platform>().unwrap(), Platform::Amd64);
        assert_eq!("x86_64".parse::<Platform>().unwrap(), Platform::Amd64);
        assert_eq!("aarch64".parse::<Platform>().unwrap(), Platform::Arm64);
        assert_eq!("linux/arm64".parse::<Platform>().unwrap(), Platform::Arm64);
        assert!("linux/ppc64le".parse::<Platform>().is_err());
        assert!("windows/amd64".parse::<Platform>().is_err());
        assert_eq!(
            parse_list("linux/arm64, linux/amd64,linux/arm64").unwrap(),
            vec![Platform::Amd64, Platform::Arm64]
        );
        assert!(parse_list(" , ").is_err());
        assert_eq!(join(&Platform::ALL), "linux/amd64,linux/arm64");
    }
}
