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
    #[error("{path} {why}")]
    Unsafe {
        path: String,
        why: crate::safe_fs::SafeReadError,
    },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: io::Error },
    #[error("{path} changed while mlcontain was running (another process wrote it); it was left as it is: run again to see the new difference")]
    Changed { path: String },
}

/// Files mlcontain reads back (its own outputs, mlcontain.yaml) are no
/// larger than this.
pub const EXISTING_CAP: u64 = 4 * 1024 * 1024;

/// Read the current text of `path`, None when it does not exist. A link, a
/// FIFO, a device or a file over [`EXISTING_CAP`] is an error naming it:
/// mlcontain never reads through, or replaces, what it did not expect.
pub fn read_existing(path: &Path) -> Result<Option<String>, WriteError> {
    read_existing_bytes(path).map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

fn read_existing_bytes(path: &Path) -> Result<Option<Vec<u8>>, WriteError> {
    match crate::safe_fs::read_bounded(path, EXISTING_CAP) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(crate::safe_fs::SafeReadError::Io(e)) => Err(WriteError::Read {
            path: path.display().to_string(),
            source: e,
        }),
        Err(why) => Err(WriteError::Unsafe {
            path: path.display().to_string(),
            why,
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

/// Create the folders of `rel` (a relative path such as `deploy/k8s/base/x.yaml`)
/// under `root`, refusing any component that is a symlink or not a folder, so a
/// generated file never lands outside the repository.
pub fn prepare_dirs(root: &Path, rel: &str) -> Result<(), WriteError> {
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        if part.is_empty() || *part == "." || *part == ".." {
            return Err(WriteError::Write {
                path: rel.to_string(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "not a plain relative path"),
            });
        }
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(WriteError::Write {
                    path: at.display().to_string(),
                    source: io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "exists and is not a folder (a symlink is not followed)",
                    ),
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&at).map_err(|e| WriteError::Write {
                    path: at.display().to_string(),
                    source: e,
                })?
            }
            Err(e) => {
                return Err(WriteError::Read {
                    path: at.display().to_string(),
                    source: e,
                })
            }
        }
    }
    Ok(())
}

/// Write `contents` to `path` atomically. When `backup` is set and the file
/// exists, its old contents go to a new backup first (`NAME.bak`, else
/// `NAME.bak.1`, `.bak.2`, ...: an existing backup is never replaced).
/// Returns the backup path.
pub fn write_atomic(
    path: &Path,
    contents: &str,
    backup: bool,
) -> Result<Option<PathBuf>, WriteError> {
    write_checked(path, contents, None, backup)
}

/// [`write_atomic`], after checking that the file is still what was read
/// and diffed: `expected` None means it must not exist, Some(text) that it
/// must still hold `text`. The backup holds the bytes of that check. Call it
/// with the repository's [`crate::safe_fs::RepoLock`] held.
pub fn write_expecting(
    path: &Path,
    contents: &str,
    expected: Option<&str>,
    backup: bool,
) -> Result<Option<PathBuf>, WriteError> {
    write_checked(path, contents, Some(expected), backup)
}

fn write_checked(
    path: &Path,
    contents: &str,
    expected: Option<Option<&str>>,
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
    let current = read_existing_bytes(path)?;
    if let Some(expected) = expected {
        let same = match (&current, expected) {
            (None, None) => true,
            (Some(b), Some(t)) => String::from_utf8_lossy(b) == t,
            _ => false,
        };
        if !same {
            return Err(WriteError::Changed {
                path: path.display().to_string(),
            });
        }
    }
    let old_meta = current
        .as_ref()
        .and_then(|_| fs::symlink_metadata(path).ok());

    let mut backup_path = None;
    if backup {
        if let Some(old) = &current {
            backup_path = Some(write_backup(dir, &name, old, old_meta.as_ref()).map_err(werr)?);
        }
    }
    write_bytes_atomic(dir, path, contents.as_bytes(), old_meta.as_ref()).map_err(werr)?;
    Ok(backup_path)
}

/// Writes `bytes` to the first free name of `NAME.bak`, `NAME.bak.1`, ...
/// The name is taken with a hard link, which fails rather than replace.
fn write_backup(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    meta: Option<&fs::Metadata>,
) -> io::Result<PathBuf> {
    let (tmp_path, mut file) = create_temp(dir, &format!("{name}.bak"))?;
    let result = (|| {
        file.write_all(bytes)?;
        if let Some(m) = meta {
            file.set_permissions(m.permissions())?;
        }
        file.sync_all()?;
        for n in 0..10_000u32 {
            let bak = if n == 0 {
                dir.join(format!("{name}.bak"))
            } else {
                dir.join(format!("{name}.bak.{n}"))
            };
            match fs::hard_link(&tmp_path, &bak) {
                Ok(()) => return Ok(bak),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(format!("no free backup name for {name}")))
    })();
    let _ = fs::remove_file(&tmp_path);
    result
}

fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, fs::File)> {
    let mut n = 0u32;
    loop {
        let tmp_path = dir.join(format!(".{name}.mlcontain-{}-{n}.tmp", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
        {
            Ok(f) => return Ok((tmp_path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Removes temporary files an interrupted run left in `dir`
/// (`.NAME.mlcontain-PID-N.tmp` whose process is gone). Returns their names.
pub fn clean_stale_temps(dir: &Path) -> Vec<String> {
    let mut removed = vec![];
    let Ok(entries) = fs::read_dir(dir) else {
        return removed;
    };
    for e in entries.flatten() {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let Some(pid) = temp_pid(&name) else { continue };
        let alive = pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists();
        let regular = e.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !alive && regular && fs::remove_file(e.path()).is_ok() {
            removed.push(name);
        }
    }
    removed.sort();
    removed
}

/// The PID in `.NAME.mlcontain-PID-N.tmp`.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tail) = rest.rsplit_once(".mlcontain-")?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok()
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
    let (tmp_path, mut file) = create_temp(dir, &name)?;
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

/// Create the folders above `rel` (a relative path under `root`) that are
/// missing, one at a time. An existing component that is a symlink or not a
/// folder is refused, so a generated file never lands outside `root`.
pub fn ensure_parent_dirs(root: &Path, rel: &str) -> Result<(), WriteError> {
    let parent = match Path::new(rel).parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(()),
    };
    let mut at = root.to_path_buf();
    for c in parent.components() {
        let std::path::Component::Normal(name) = c else {
            return Err(WriteError::Write {
                path: rel.to_string(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "not a plain relative path"),
            });
        };
        at.push(name);
        let werr = |e: io::Error| WriteError::Write {
            path: at.display().to_string(),
            source: e,
        };
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(m) => {
                let what = if m.file_type().is_symlink() {
                    "is a symlink; refusing to write through it"
                } else {
                    "exists and is not a folder"
                };
                return Err(werr(io::Error::new(io::ErrorKind::AlreadyExists, what)));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir(&at).map_err(werr)?,
            Err(e) => return Err(werr(e)),
        }
    }
    Ok(())
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
    fn folders_are_made_but_symlinks_are_not_followed() {
        let d = tempfile::tempdir().unwrap();
        prepare_dirs(d.path(), "deploy/k8s/base/job.yaml").unwrap();
        assert!(d.path().join("deploy/k8s/base").is_dir());
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("deploy/k8s/overlays")).unwrap();
        let err = prepare_dirs(d.path(), "deploy/k8s/overlays/gpu/x.yaml").unwrap_err();
        assert!(err.to_string().contains("symlink"), "{err}");
        assert!(!outside.path().join("gpu").exists());
        assert!(prepare_dirs(d.path(), "../x/y.yaml").is_err());
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

    #[test]
    fn parent_dirs_are_created_and_symlinks_refused() {
        let d = tempfile::tempdir().unwrap();
        ensure_parent_dirs(d.path(), "deploy/slurm/logs/.gitignore").unwrap();
        assert!(d.path().join("deploy/slurm/logs").is_dir());
        ensure_parent_dirs(d.path(), "top.txt").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("k8s")).unwrap();
        let e = ensure_parent_dirs(d.path(), "k8s/x/job.yaml").unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
        assert!(!outside.path().join("x").exists());
        std::fs::write(d.path().join("file"), "x").unwrap();
        assert!(ensure_parent_dirs(d.path(), "file/y").is_err());
        assert!(ensure_parent_dirs(d.path(), "../escape/y").is_err());
    }
}
