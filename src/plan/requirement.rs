//! The parts of a requirement as the catalog writes them.

/// The parts of a pinned requirement such as `tensorflow[and-cuda]==2.17.1`
/// or `torch==2.5.1+cu124`, as the catalog writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitRequirement {
    pub name: String,
    pub extras: Vec<String>,
    /// The whole version, local tag included (`2.5.1+cu124`); empty when unpinned.
    pub version: String,
    /// The local version tag (`cu124`).
    pub local: Option<String>,
}

pub fn split_requirement(req: &str) -> SplitRequirement {
    let (name_part, version) = req.split_once("==").unwrap_or((req, ""));
    let (name, extras) = match name_part.split_once('[') {
        Some((n, e)) => (
            n.to_string(),
            e.trim_end_matches(']')
                .split(',')
                .map(|x| x.trim().to_string())
                .collect(),
        ),
        None => (name_part.to_string(), vec![]),
    };
    let local = version.split_once('+').map(|(_, l)| l.to_string());
    SplitRequirement {
        name,
        extras,
        version: version.to_string(),
        local,
    }
}
