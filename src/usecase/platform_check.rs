//! `mlcontain verify`'s platform check: the ELF machine of the image's
//! Python must match the platform the image says it is for (a build for
//! linux/arm64 from an amd64-only base "succeeds" and labels x86-64
//! binaries as arm64). The binary is copied out of a created (never
//! started) container, so the check needs no emulation.

use crate::docker::{run_quiet, CommandLine, Engine};
use crate::elf::check_elf_platform;
use std::time::Duration;

/// Where the images' Python lives, most specific first.
pub const PYTHONS: &[&str] = &[
    "/opt/venv/bin/python",
    "/usr/local/bin/python3",
    "/usr/bin/python3",
];

/// The image's own platform (`os/arch[/variant]`), from `image inspect`.
pub fn image_platform(engine: Engine, image: &str) -> Option<String> {
    crate::engine_caps::local_platform(engine, image)
}

/// The first regular file in a tar stream (what `docker cp -L CTR:PATH -`
/// writes): its first `max` bytes.
pub fn first_tar_file(tar: &[u8], max: usize) -> Option<Vec<u8>> {
    let mut off = 0;
    while off + 512 <= tar.len() {
        let h = &tar[off..off + 512];
        if h.iter().all(|b| *b == 0) {
            return None;
        }
        let size_field = std::str::from_utf8(&h[124..136]).ok()?;
        let size =
            usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        let kind = h[156];
        let data = off + 512;
        if kind == b'0' || kind == 0 {
            let end = data.checked_add(size.min(max))?;
            return tar.get(data..end).map(<[u8]>::to_vec);
        }
        off = data + size.div_ceil(512) * 512;
    }
    None
}

/// Checks the Python of `image` for `platform` (default: the image's own).
/// Ok: what matched; Err: why not (mislabelled, or nothing to check).
pub fn check(engine: Engine, image: &str, platform: Option<&str>) -> Result<String, String> {
    let platform = match platform {
        Some(p) => p.to_string(),
        None => image_platform(engine, image).ok_or_else(|| {
            format!("cannot read the platform of {image} (`image inspect` failed)")
        })?,
    };
    let name = format!("mlcontain-platform-{}", std::process::id());
    let create = CommandLine::new(engine.program()).args([
        "create",
        "--name",
        &name,
        "--platform",
        &platform,
        "--entrypoint",
        "/bin/true",
        image,
    ]);
    let r = run_quiet(&create, Duration::from_secs(120));
    if !r.success() {
        return Err(format!(
            "cannot create a container of {image} for {platform}: {}",
            r.stderr.trim()
        ));
    }
    let mut result = Err(format!(
        "{image}: no Python found at {}",
        PYTHONS.join(", ")
    ));
    for py in PYTHONS {
        let cp = CommandLine::new(engine.program()).args([
            "cp",
            "--follow-link",
            &format!("{name}:{py}"),
            "-",
        ]);
        let out = cp.to_command().output();
        let Ok(out) = out else { continue };
        if !out.status.success() {
            continue;
        }
        if let Some(head) = first_tar_file(&out.stdout, 64) {
            result = check_elf_platform(&head, &platform, &format!("{image}: {py}"));
            break;
        }
    }
    let rm = CommandLine::new(engine.program()).args(["rm", "--force", &name]);
    let _ = run_quiet(&rm, Duration::from_secs(30));
    result
}

#[cfg(test)]
mod tests {
    use super::first_tar_file;

    fn entry(name: &str, kind: u8, data: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let size = format!("{:011o}\0", data.len());
        h[124..136].copy_from_slice(size.as_bytes());
        h[156] = kind;
        let mut v = h;
        v.extend_from_slice(data);
        v.resize(512 + data.len().div_ceil(512) * 512, 0);
        v
    }

    #[test]
    fn finds_the_file_after_pax_headers() {
        let mut tar = entry("PaxHeaders/python", b'x', b"30 path=some/very/long/name\n");
        tar.extend(entry("python3.11", b'0', b"\x7fELF\x02\x01\x01rest"));
        tar.extend(vec![0u8; 1024]);
        assert_eq!(first_tar_file(&tar, 4).unwrap(), b"\x7fELF");
        assert_eq!(
            first_tar_file(&tar, 64).unwrap(),
            b"\x7fELF\x02\x01\x01rest"
        );
        assert!(first_tar_file(&[0u8; 1024], 4).is_none());
        assert!(first_tar_file(b"short", 4).is_none());
    }
}
