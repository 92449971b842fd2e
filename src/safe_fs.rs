//! Reads that cannot be turned against mlcontain: no symlink is followed,
//! a FIFO or device is never read (so it cannot hang or stream forever),
//! and every read has a size cap that is an error, never a silent cut.
//!
//! Also the per-repository advisory lock that serialises concurrent runs.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// Why a path was not read.
#[derive(Debug, thiserror::Error)]
pub enum SafeReadError {
    #[error(
        "is a symbolic link; mlcontain does not follow links (replace it with a regular file)"
    )]
    Symlink,
    #[error("is {0}, not a regular file; mlcontain does not read it")]
    NotRegular(&'static str),
    #[error(
        "is larger than {cap} bytes (the limit for this file); nothing was cut, it was not read"
    )]
    TooLarge { cap: u64 },
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl SafeReadError {
    /// `it is a symbolic link; ...` for a sentence after the file's name,
    /// or the system's message.
    pub fn describe(&self) -> String {
        match self {
            SafeReadError::Io(e) => e.to_string(),
            other => format!("it {other}"),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, SafeReadError::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

fn kind_of(ft: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        return "a directory";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    "not a regular file"
}

/// Opens `path` for reading only if it is a regular file, without following
/// a symlink in its last component and without blocking on a FIFO.
pub fn open_regular(path: &Path) -> Result<fs::File, SafeReadError> {
    // lstat first: a link is reported as such (open with O_NOFOLLOW says
    // only ELOOP).
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(SafeReadError::Symlink);
    }
    if !meta.is_file() {
        return Err(SafeReadError::NotRegular(kind_of(&meta.file_type())));
    }
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let f = match opts.open(path) {
        Ok(f) => f,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(SafeReadError::Symlink),
        Err(e) => return Err(e.into()),
    };
    // The path may have been swapped between lstat and open: check what
    // was opened.
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(SafeReadError::NotRegular(kind_of(&m.file_type())));
    }
    Ok(f)
}

/// The bytes of a regular file of at most `cap` bytes ([`open_regular`]).
pub fn read_bounded(path: &Path, cap: u64) -> Result<Vec<u8>, SafeReadError> {
    let f = open_regular(path)?;
    let mut buf = Vec::new();
    f.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(SafeReadError::TooLarge { cap });
    }
    Ok(buf)
}

/// Text of a regular file of at most `cap` bytes: a UTF-8 byte-order mark
/// is dropped (pip accepts one), invalid UTF-8 is replaced.
pub fn read_text_bounded(path: &Path, cap: u64) -> Result<String, SafeReadError> {
    let bytes = read_bounded(path, cap)?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    Ok(match String::from_utf8(bytes.to_vec()) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// An exclusive advisory lock (`flock`) on a repository folder, held until
/// dropped. Concurrent mlcontain runs on one repository take turns.
pub struct RepoLock {
    _file: fs::File,
}

impl RepoLock {
    /// Waits up to `wait` for the lock.
    pub fn acquire(dir: &Path, wait: std::time::Duration) -> io::Result<RepoLock> {
        let file = fs::File::open(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            let start = std::time::Instant::now();
            loop {
                // SAFETY: flock on a descriptor this function owns.
                let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
                if r == 0 {
                    break;
                }
                let e = io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                    return Err(e);
                }
                if start.elapsed() >= wait {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!(
                            "another mlcontain has been writing in {} for {} s",
                            dir.display(),
                            wait.as_secs()
                        ),
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        Ok(RepoLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_links_fifos_and_oversize() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a"), "\u{feff}hello").unwrap();
        assert_eq!(read_text_bounded(&d.join("a"), 100).unwrap(), "hello");
        assert!(matches!(
            read_bounded(&d.join("a"), 3),
            Err(SafeReadError::TooLarge { cap: 3 })
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("a"), d.join("link")).unwrap();
            assert!(matches!(
                read_bounded(&d.join("link"), 100),
                Err(SafeReadError::Symlink)
            ));
            let fifo = d.join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            let e = read_bounded(&fifo, 100).unwrap_err();
            assert!(e.to_string().contains("FIFO"), "{e}");
            let e = read_bounded(Path::new("/dev/zero"), 100).unwrap_err();
            assert!(e.to_string().contains("character device"), "{e}");
        }
        assert!(read_bounded(&d.join("missing"), 1)
            .unwrap_err()
            .is_not_found());
    }
}
