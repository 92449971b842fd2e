//! The ELF machine of a binary against an image platform (`linux/amd64`,
//! `linux/arm64`, ...), for platform honesty: an image labelled arm64 must
//! hold aarch64 binaries.

/// The platform of this build of mlcontain's host, as Docker spells it.
pub fn host_platform() -> String {
    match crate::platform::Platform::host() {
        Some(p) => p.docker().to_string(),
        None => format!("linux/{}", docker_arch(std::env::consts::ARCH)),
    }
}

/// Rust's architecture name as Docker's.
pub fn docker_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "x86" => "386",
        other => other,
    }
}

/// `os/arch[/variant]` split; the architecture is what the ELF check uses.
pub fn platform_arch(platform: &str) -> Option<&str> {
    let mut parts = platform.trim().split('/');
    let os = parts.next()?;
    let arch = parts.next()?;
    (os == "linux" && !arch.is_empty()).then_some(arch)
}

/// Whether two platforms have the same OS and architecture (variants aside).
pub fn same_arch(a: &str, b: &str) -> bool {
    let os = |p: &str| p.split('/').next().map(str::to_string);
    os(a) == os(b) && platform_arch(a).is_some() && platform_arch(a) == platform_arch(b)
}

/// ELF `e_machine` values of the architectures Docker builds for.
pub fn elf_machine_of_arch(arch: &str) -> Option<u16> {
    Some(match arch {
        "amd64" => 62,
        "arm64" => 183,
        "arm" => 40,
        "ppc64le" => 21,
        "s390x" => 22,
        "riscv64" => 243,
        "386" => 3,
        _ => return None,
    })
}

/// A readable name for an ELF machine.
pub fn elf_machine_name(m: u16) -> String {
    match m {
        62 => "x86-64".into(),
        183 => "aarch64".into(),
        40 => "arm".into(),
        21 => "ppc64".into(),
        22 => "s390".into(),
        243 => "riscv".into(),
        3 => "x86".into(),
        other => format!("ELF machine {other}"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    #[error("not an ELF file")]
    NotElf,
    #[error("truncated ELF header")]
    Truncated,
}

/// The `e_machine` of an ELF header (the first bytes of the file).
pub fn elf_machine(header: &[u8]) -> Result<u16, ElfError> {
    if header.len() < 4 || &header[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if header.len() < 20 {
        return Err(ElfError::Truncated);
    }
    let bytes = [header[18], header[19]];
    Ok(match header[5] {
        2 => u16::from_be_bytes(bytes),
        _ => u16::from_le_bytes(bytes),
    })
}

/// Whether a binary's ELF machine matches the platform; Err explains a
/// mismatch in one sentence.
pub fn check_elf_platform(header: &[u8], platform: &str, what: &str) -> Result<String, String> {
    let arch = platform_arch(platform)
        .ok_or_else(|| format!("`{platform}` is not a linux/ARCH platform"))?;
    let want = elf_machine_of_arch(arch)
        .ok_or_else(|| format!("no ELF machine known for the architecture `{arch}`"))?;
    let got = elf_machine(header).map_err(|e| format!("{what}: {e}"))?;
    if got == want {
        Ok(format!(
            "{what} is {} ELF, as {platform} needs",
            elf_machine_name(got)
        ))
    } else {
        Err(format!(
            "{what} is {} ELF but the image says {platform} (which needs {}): the image is mislabelled, \
             typically built for {platform} from a base image that has no {platform} variant",
            elf_machine_name(got),
            elf_machine_name(want)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(machine: u16, big_endian: bool) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = if big_endian { 2 } else { 1 };
        let m = if big_endian {
            machine.to_be_bytes()
        } else {
            machine.to_le_bytes()
        };
        h[18..20].copy_from_slice(&m);
        h
    }

    #[test]
    fn reads_the_machine_and_compares_with_the_platform() {
        assert_eq!(elf_machine(&header(62, false)), Ok(62));
        assert_eq!(elf_machine(&header(22, true)), Ok(22));
        assert_eq!(elf_machine(b"#!/bin/sh\n"), Err(ElfError::NotElf));
        assert_eq!(elf_machine(b"\x7fELF\x02\x01"), Err(ElfError::Truncated));
        assert!(check_elf_platform(&header(183, false), "linux/arm64", "python").is_ok());
        let e = check_elf_platform(&header(62, false), "linux/arm64", "python").unwrap_err();
        assert!(
            e.contains("x86-64 ELF but the image says linux/arm64"),
            "{e}"
        );
        assert!(check_elf_platform(&header(62, false), "linux/amd64", "python").is_ok());
        assert!(check_elf_platform(&header(62, false), "windows/amd64", "python").is_err());
    }

    #[test]
    fn host_platform_is_docker_spelling() {
        let p = host_platform();
        assert!(p.starts_with("linux/"));
        assert!(!p.contains("x86_64") && !p.contains("aarch64"), "{p}");
    }

    #[test]
    fn the_host_binary_matches_the_host_platform() {
        // This test binary itself: a real ELF file of the host's machine.
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(check_elf_platform(&exe[..64], &host_platform(), "this test").is_ok());
    }
}
