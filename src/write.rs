//! Safe writes: compare with what is on disk, replace atomically (a temporary
//! file in the same folder, then a rename), keep a backup and the file mode.
//! An interrupted run leaves the old file or the new one, never a torn one.

use similar::TextDiff;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    New,
    Changed,
    Unchanged,
}

impl FileStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            FileStatus::New => "new",
            FileStatus::Changed => "changed",
            FileStatus::Unchanged => "unchanged",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: io::Error },
}

/// Read the current text of `path`, None when it does not exist.
pub fn read_existing(path: &Path) -> Result<Option<String>, WriteError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(WriteError::Read {
            path: path.display().to_string(),
            source: e,
        }),
    }
}

pub fn status_of(existing: Option<&str>, new: &str) -> FileStatus {
    match existing {
        None => FileStatus::New,
        Some(old) if old == new => FileStatus::Unchanged,
        Some(_) => FileStatus::Changed,
    }
}

/// A unified diff, `a/NAME` against `b/NAME`.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// Write `contents` to `path` atomically. When `backup` is set and the file
/// exists, its old contents go to `path.bak` first. Returns the backup path.
pub fn write_atomic(
    path: &Path,
    contents: &str,
    backup: bool,
) -> Result<Option<PathBuf>, WriteError> {
    let werr = |e: io::Error| WriteError::Write {
        path: path.display().to_string(),
        source: e,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let old_meta = fs::metadata(path).ok();

    let mut backup_path = None;
    if backup && old_meta.is_some() {
        let bak = dir.join(format!("{name}.bak"));
        // The backup is itself written atomically.
        let old = fs::read(path).map_err(werr)?;
        write_bytes_atomic(dir, &bak, &old, old_meta.as_ref()).map_err(werr)?;
        backup_path = Some(bak);
    }
    write_bytes_atomic(dir, path, contents.as_bytes(), old_meta.as_ref()).map_err(werr)?;
    Ok(backup_path)
}

fn write_bytes_atomic(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    keep_meta: Option<&fs::Metadata>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp_path;
    let mut n = 0u32;
    let mut file = loop {
        tmp_path = dir.join(format!(".{name}.mlcontain-{}-{n}.tmp", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
        {
            Ok(f) => break f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(bytes)?;
        if let Some(meta) = keep_meta {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp_path, path)?;
        // Make the rename durable.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_atomically_with_backup_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile");
        fs::write(&p, "old\n").unwrap();
        #[cfg(unix)]
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        let bak = write_atomic(&p, "new\n", true).unwrap().unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new\n");
        assert_eq!(fs::read_to_string(&bak).unwrap(), "old\n");
        #[cfg(unix)]
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        assert_eq!(status_of(Some("new\n"), "new\n"), FileStatus::Unchanged);
        assert_eq!(status_of(Some("x"), "new\n"), FileStatus::Changed);
        assert_eq!(status_of(None, "new\n"), FileStatus::New);
    }

    #[test]
    fn no_backup_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("compose.yaml");
        fs::write(&p, "a").unwrap();
        assert!(write_atomic(&p, "b", false).unwrap().is_none());
        assert!(!dir.path().join("compose.yaml.bak").exists());
    }

    #[test]
    fn diff_names_the_file() {
        let d = unified_diff("Dockerfile", "FROM a\n", "FROM b\n");
        assert!(
            d.contains("--- a/Dockerfile") && d.contains("-FROM a") && d.contains("+FROM b"),
            "{d}"
        );
    }
}
