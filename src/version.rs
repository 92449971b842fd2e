//! Small version types: dotted numeric versions (CUDA, Python, frameworks,
//! drivers) and GPU compute capabilities. Ordering is numeric, never textual.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A dotted numeric version such as `12.4`, `2.5.1` or `535.104.05`.
///
/// Components compare numerically; missing trailing components count as 0,
/// so `12.4 == 12.4.0`. The original text is kept for display (driver
/// versions keep their leading zeros, e.g. `535.104.05`).
#[derive(Clone, Debug)]
pub struct Version {
    parts: Vec<u64>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a version (expected numbers separated by dots, like 12.4)")]
pub struct VersionParseError(pub String);

impl Version {
    pub fn new(parts: &[u64]) -> Self {
        let text = parts
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(".");
        Version {
            parts: parts.to_vec(),
            text,
        }
    }
    pub fn major(&self) -> u64 {
        self.parts.first().copied().unwrap_or(0)
    }
    pub fn minor(&self) -> u64 {
        self.parts.get(1).copied().unwrap_or(0)
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// `major.minor`, e.g. `12.4` for `12.4.1`.
    pub fn major_minor(&self) -> Version {
        Version::new(&[self.major(), self.minor()])
    }
    /// True when `self` starts with all components of `prefix` (`2.5.1` matches `2.5`).
    pub fn matches_prefix(&self, prefix: &Version) -> bool {
        prefix
            .parts
            .iter()
            .enumerate()
            .all(|(i, p)| self.parts.get(i).copied().unwrap_or(0) == *p)
    }
}

impl FromStr for Version {
    type Err = VersionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() {
            return Err(VersionParseError(s.to_string()));
        }
        let parts = t
            .split('.')
            .map(|p| p.parse::<u64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| VersionParseError(s.to_string()))?;
        Ok(Version {
            parts,
            text: t.to_string(),
        })
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        for i in 0..n {
            let a = self.parts.get(i).copied().unwrap_or(0);
            let b = other.parts.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
}
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}
impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Accept both `"12.4"` and a bare YAML number like `12.4`.
        let v = serde_yaml::Value::deserialize(d)?;
        let text = match v {
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected a version string, found {other:?}"
                )))
            }
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A GPU compute capability such as 8.6 (shown as `sm_86`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComputeCapability {
    pub major: u32,
    pub minor: u32,
}

impl ComputeCapability {
    pub const fn new(major: u32, minor: u32) -> Self {
        ComputeCapability { major, minor }
    }
    /// `sm_86` style name.
    pub fn sm(&self) -> String {
        format!("sm_{}{}", self.major, self.minor)
    }
    /// Whether SASS compiled for `built` runs on a GPU of this capability:
    /// same major, and the binary's minor is lower or equal.
    pub fn runs_sass(&self, built: ComputeCapability) -> bool {
        built.major == self.major && built.minor <= self.minor
    }
    /// Whether PTX for virtual architecture `ptx` can be JIT-compiled for this GPU.
    pub fn runs_ptx(&self, ptx: ComputeCapability) -> bool {
        ptx <= *self
    }
}

impl FromStr for ComputeCapability {
    type Err = VersionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let err = || VersionParseError(s.to_string());
        if let Some(rest) = t.strip_prefix("sm_").or_else(|| t.strip_prefix("compute_")) {
            // sm_86, sm_120, sm_90a
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.len() < 2 {
                return Err(err());
            }
            let (maj, min) = digits.split_at(digits.len() - 1);
            return Ok(ComputeCapability::new(
                maj.parse().map_err(|_| err())?,
                min.parse().map_err(|_| err())?,
            ));
        }
        let (a, b) = t.split_once('.').ok_or_else(err)?;
        Ok(ComputeCapability::new(
            a.parse().map_err(|_| err())?,
            b.parse().map_err(|_| err())?,
        ))
    }
}
impl fmt::Display for ComputeCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}
impl Serialize for ComputeCapability {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
impl<'de> Deserialize<'de> for ComputeCapability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_yaml::Value::deserialize(d)?;
        let text = match v {
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Number(n) => n.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected a compute capability like \"8.6\", found {other:?}"
                )))
            }
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert!(v("12.10") > v("12.9"));
        assert!(v("535.104.05") > v("525.60.13"));
        assert!(v("580") > v("575.51.03"));
        assert_eq!(v("12.4"), v("12.4.0"));
        assert_eq!(v("535.104.05").to_string(), "535.104.05");
        assert!(v("2.5.1").matches_prefix(&v("2.5")));
        assert!(!v("2.5.1").matches_prefix(&v("2.6")));
        assert!("12.x".parse::<Version>().is_err());
        assert!("".parse::<Version>().is_err());
    }

    #[test]
    fn compute_capability_rules() {
        let cc = |s: &str| s.parse::<ComputeCapability>().unwrap();
        assert_eq!(cc("sm_120"), ComputeCapability::new(12, 0));
        assert_eq!(cc("sm_86"), ComputeCapability::new(8, 6));
        assert_eq!(cc("8.9").sm(), "sm_89");
        // sm_80 SASS runs on 8.6 and 8.9 but not on 9.0 or 7.5
        assert!(cc("8.6").runs_sass(cc("8.0")));
        assert!(!cc("9.0").runs_sass(cc("8.0")));
        assert!(!cc("8.0").runs_sass(cc("8.6")));
        assert!(cc("12.0").runs_ptx(cc("9.0")));
        assert!(!cc("7.5").runs_ptx(cc("8.0")));
    }
}

/// A PEP 440 version as a project pins it (`2.5.1`, `2.5.1.post1`,
/// `2.6.0rc1`), local label removed. Written and read in its normalised
/// PEP 440 form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PinVersion(pep440_rs::Version);

impl PinVersion {
    /// The numeric release, when this is a final release a catalog can hold
    /// (no epoch, pre-, post- or dev-release part): `2.5.1` yes, `2.5.1.post1` no.
    pub fn release(&self) -> Option<Version> {
        let v = &self.0;
        let is_final =
            v.epoch() == 0 && v.pre().is_none() && v.post().is_none() && v.dev().is_none();
        is_final.then(|| Version::new(v.release()))
    }
    /// What makes it more than a release: `pre-release`, `post-release`,
    /// `dev release`, `epoch`; None for a final release.
    pub fn kind(&self) -> Option<&'static str> {
        let v = &self.0;
        if v.dev().is_some() {
            Some("dev release")
        } else if v.pre().is_some() {
            Some("pre-release")
        } else if v.post().is_some() {
            Some("post-release")
        } else if v.epoch() != 0 {
            Some("release with an epoch")
        } else {
            None
        }
    }
    /// The release numbers alone (`2.5.1` for `2.5.1.post1`).
    pub fn numbers(&self) -> Version {
        Version::new(self.0.release())
    }
    /// Whether the release numbers start with `prefix` (`2.5.1.post1` matches `2.5`).
    pub fn matches_prefix(&self, prefix: &Version) -> bool {
        self.numbers().matches_prefix(prefix)
    }
    /// Whether this is exactly the catalog release `v` (PEP 440 equality:
    /// `2.5.1 == 2.5.1.0`; `2.5.1.post1 != 2.5.1`).
    pub fn is(&self, v: &Version) -> bool {
        self.release().as_ref() == Some(v)
    }
}

impl From<pep440_rs::Version> for PinVersion {
    fn from(v: pep440_rs::Version) -> Self {
        PinVersion(v)
    }
}

impl From<&Version> for PinVersion {
    fn from(v: &Version) -> Self {
        PinVersion(pep440_rs::Version::new(v.parts.iter().copied()))
    }
}

impl FromStr for PinVersion {
    type Err = VersionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        pep440_rs::Version::from_str(s.trim())
            .map(PinVersion)
            .map_err(|_| VersionParseError(s.to_string()))
    }
}

impl fmt::Display for PinVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for PinVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PinVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
