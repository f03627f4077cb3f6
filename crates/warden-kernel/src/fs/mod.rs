//! The filesystem interface every backend implements, and the backends.
//!
//! A [`Dir`] is a capability: it can reach what lies beneath it and nothing
//! else. Paths handed to a `Dir` are relative, already checked by
//! [`check_path`], and resolved by the backend without ever leaving it. A
//! [`File`] is an open file description: it owns its position and flags, as
//! an open file does on the host.
//!
//! Backends:
//! - [`host`]: the host filesystem through `cap-std`, which resolves paths
//!   with `openat2(RESOLVE_BENEATH)` where the kernel has it and a careful
//!   component-by-component walk where it does not, so races cannot escape.
//! - [`memory`]: an in-memory tree, for tests, deterministic runs and
//!   scratch space; and overlays, the same tree over a host directory that
//!   is only read (`--dir HOST::GUEST::overlay`).
//! - [`readonly`]: wraps any `Dir` and refuses every mutation with `rofs`.

pub mod descriptor;
pub mod host;
pub mod memory;
pub mod readonly;

use crate::errno::{Errno, Result};
use crate::sys::BorrowedFd;
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, OpenOptions, SetTime, Whence};
use std::any::Any;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;

/// What an `open_at` produced.
pub enum Opened {
    File(Arc<dyn File>),
    Dir(Arc<dyn Dir>),
}

/// A directory capability.
pub trait Dir: Send + Sync + 'static {
    /// Opens (and maybe creates) a file or directory beneath this one.
    fn open_at(&self, path: &str, opts: &OpenOptions) -> Result<Opened>;
    fn create_dir_at(&self, path: &str) -> Result<()>;
    fn remove_dir_at(&self, path: &str) -> Result<()>;
    fn unlink_file_at(&self, path: &str) -> Result<()>;
    /// Renames `old` beneath `self` to `new` beneath `new_dir`. Both must be
    /// of the same backend (`xdev` otherwise).
    fn rename_at(&self, old: &str, new_dir: &dyn Dir, new: &str) -> Result<()>;
    /// Makes a hard link `new` (beneath `new_dir`) to `old`.
    fn link_at(&self, old: &str, follow: bool, new_dir: &dyn Dir, new: &str) -> Result<()>;
    /// Creates a symlink at `path` whose contents are `target`. The target is
    /// stored as given; following it later is confined like any path.
    fn symlink_at(&self, target: &str, path: &str) -> Result<()>;
    fn readlink_at(&self, path: &str) -> Result<Vec<u8>>;
    fn stat_at(&self, path: &str, follow: bool) -> Result<Filestat>;
    fn set_times_at(&self, path: &str, follow: bool, atim: SetTime, mtim: SetTime) -> Result<()>;
    /// The attributes of this directory.
    fn stat(&self) -> Result<Filestat>;
    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()>;
    /// The entries of this directory, `.` and `..` first.
    fn read_dir(&self) -> Result<Vec<DirEntry>>;
    fn sync(&self) -> Result<()>;
    /// Lets a backend recognise a `Dir` of its own kind (for rename/link).
    fn as_any(&self) -> &dyn Any;
    /// True when every mutation is refused.
    fn is_read_only(&self) -> bool {
        false
    }
}

/// An open file description.
pub trait File: Send + Sync + 'static {
    fn filetype(&self) -> FileType;
    /// Reads at the current position (`readv`).
    fn read(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize>;
    /// Writes at the current position, or at the end in append mode.
    fn write(&self, bufs: &[IoSlice<'_>]) -> Result<usize>;
    fn pread(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize>;
    fn pwrite(&self, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize>;
    fn seek(&self, offset: i64, whence: Whence) -> Result<u64>;
    fn stat(&self) -> Result<Filestat>;
    fn set_size(&self, size: u64) -> Result<()>;
    fn allocate(&self, offset: u64, len: u64) -> Result<()>;
    fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<()>;
    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()>;
    fn sync(&self) -> Result<()>;
    fn datasync(&self) -> Result<()>;
    fn fdflags(&self) -> Result<FdFlags>;
    fn set_fdflags(&self, flags: FdFlags) -> Result<()>;
    /// The host descriptor behind this file, for `poll`; `None` means the
    /// file is always ready.
    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        None
    }
    /// Most bytes one write to a stream over this file may carry (what
    /// `check-write` grants); `None`: the layer's own default.
    fn write_permit(&self) -> Option<u64> {
        None
    }
    /// Bytes that a read would return now without blocking, if known.
    fn readable_bytes(&self) -> Result<u64> {
        let st = self.stat()?;
        let pos = self.seek(0, Whence::Cur)?;
        Ok(st.size.saturating_sub(pos))
    }
}

/// Longest path a guest may pass (Linux `PATH_MAX` less the NUL).
pub const MAX_PATH: usize = 4095;
/// Longest name of one path component (Linux `NAME_MAX`).
pub const MAX_NAME: usize = 255;

/// Checks a guest path before any backend sees it, so every backend gives
/// the same errors: `ilseq` for NUL bytes or invalid UTF-8, `nametoolong`,
/// `noent` for an empty path, `perm` for an absolute path.
pub fn check_path(raw: &[u8]) -> Result<&str> {
    check_path_text(raw, true)
}

/// Checks the target of a new symlink, for every WASI version: it is stored,
/// not resolved, but it must be a path string (the same errors as
/// [`check_path`], without the per-name limit), and an absolute target is
/// refused with `perm` (as Wasmtime and the WIT text do: inside the sandbox
/// it could only ever dangle or mislead a host reader).
pub fn check_symlink_target(raw: &[u8]) -> Result<&str> {
    check_path_text(raw, false)
}

fn check_path_text(raw: &[u8], limit_names: bool) -> Result<&str> {
    if raw.is_empty() {
        return Err(Errno::Noent);
    }
    if raw.contains(&0) {
        return Err(Errno::Ilseq);
    }
    if raw.len() > MAX_PATH {
        return Err(Errno::Nametoolong);
    }
    if limit_names && raw.split(|b| *b == b'/').any(|c| c.len() > MAX_NAME) {
        return Err(Errno::Nametoolong);
    }
    let path = std::str::from_utf8(raw).map_err(|_| Errno::Ilseq)?;
    if path.starts_with('/') {
        return Err(Errno::Perm);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_targets_are_relative_path_strings() {
        assert_eq!(check_symlink_target(b""), Err(Errno::Noent));
        assert_eq!(check_symlink_target(b"/etc/passwd"), Err(Errno::Perm));
        assert_eq!(check_symlink_target(b"a\0"), Err(Errno::Ilseq));
        // A long name is fine in a target: it is never resolved as given.
        let long = "a".repeat(300);
        assert_eq!(check_symlink_target(long.as_bytes()), Ok(long.as_str()));
        assert_eq!(check_symlink_target(b"../x"), Ok("../x"));
    }

    #[test]
    fn check_path_rejects_hostile_paths() {
        assert_eq!(check_path(b""), Err(Errno::Noent));
        assert_eq!(check_path(b"a\0b"), Err(Errno::Ilseq));
        assert_eq!(check_path(b"/etc"), Err(Errno::Perm));
        assert_eq!(check_path(&[b'a'; 256]), Err(Errno::Nametoolong));
        assert_eq!(check_path(&[b'a'; 255]), Ok("a".repeat(255).as_str()));
        let long: Vec<u8> = b"a/".iter().copied().cycle().take(4096).collect();
        assert_eq!(check_path(&long), Err(Errno::Nametoolong));
        assert_eq!(check_path(b"\xff"), Err(Errno::Ilseq));
    }
}
