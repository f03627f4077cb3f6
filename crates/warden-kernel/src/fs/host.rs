//! The host filesystem backend, confined by `cap-std`.
//!
//! Path resolution goes through `cap_std::fs::Dir`, which never lets a path
//! (`..`, absolute, or symlinks of any shape) resolve outside the directory
//! it was opened from, and holds against concurrent renames. Operations on an
//! already-open descriptor are one call of the platform's host layer
//! ([`crate::sys`]).

use super::{Dir, File, Opened};
use crate::errno::{Errno, Result};
use crate::sys::{self, BorrowedFd};
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, OpenOptions, SetTime, Whence};
use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, SystemTimeSpec};
use cap_std::fs::OpenOptionsExt;
use std::any::Any;
use std::io::{IoSlice, IoSliceMut};
use std::path::Path;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

/// A directory of the host filesystem, and everything beneath it.
pub struct HostDir {
    dir: cap_std::fs::Dir,
}

impl HostDir {
    /// Opens `path` of the host as a directory capability. This is the one
    /// place that uses ambient authority: the embedder names what to grant.
    pub fn open_ambient(path: &Path) -> std::io::Result<HostDir> {
        let file = sys::open_dir_ambient(path)?;
        if !file.metadata()?.is_dir() {
            return Err(std::io::ErrorKind::NotADirectory.into());
        }
        Ok(HostDir::from_std_file(file))
    }

    fn from_std_file(file: std::fs::File) -> HostDir {
        HostDir {
            dir: cap_std::fs::Dir::from_std_file(file),
        }
    }

    /// Follows symlinks in the last component of `path` by rewriting it
    /// with each link's target (for linkat's AT_SYMLINK_FOLLOW, which
    /// cap-std does not offer). Every rewritten path is still resolved by
    /// cap-std, so it cannot leave the directory.
    fn resolve_symlinks(&self, path: &str) -> Result<String> {
        let mut path = path.to_owned();
        for _ in 0..40 {
            if self.stat_at(&path, false)?.file_type() != FileType::SymbolicLink {
                return Ok(path);
            }
            let target = String::from_utf8(self.readlink_at(&path)?).map_err(|_| Errno::Ilseq)?;
            if target.starts_with('/') {
                return Err(Errno::Perm);
            }
            path = match path.trim_end_matches('/').rsplit_once('/') {
                Some((parent, _)) => format!("{parent}/{target}"),
                None => target,
            };
        }
        Err(Errno::Loop)
    }

    fn other<'a>(&self, other: &'a dyn Dir) -> Result<&'a HostDir> {
        other.as_any().downcast_ref::<HostDir>().ok_or(Errno::Xdev)
    }
}

/// Whether `path`'s last step goes through a directory (`d/`, `d/.`,
/// `d/..`), so a link `d` is followed whatever the call's lookup flags:
/// POSIX resolves `link/.` through the link, while cap-std's `symlink_
/// metadata` reduces it to `link` and stats the link itself.
fn names_a_directory(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    path.ends_with('/') || (path.contains('/') && (last == "." || last == ".."))
}

/// `dir/` names `dir`: drop trailing slashes (but keep `/` itself).
fn trim_slashes(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    if t.is_empty() {
        path
    } else {
        t
    }
}

/// A time for cap-std's path-based `set_times`. cap-std cannot take an
/// instant before the epoch (it would panic), so one is `inval` here; on an
/// open descriptor (`futimens`, [`timespec`]) it can be set.
fn time_spec(t: SetTime) -> Result<Option<SystemTimeSpec>> {
    Ok(match t {
        SetTime::Keep => None,
        SetTime::Now => Some(SystemTimeSpec::SymbolicNow),
        SetTime::At(ns) => {
            let ns = i64::try_from(ns).map_err(|_| Errno::Inval)?;
            Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(
                    std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns as u64),
                ),
            ))
        }
    })
}

impl Dir for HostDir {
    fn open_at(&self, path: &str, opts: &OpenOptions) -> Result<Opened> {
        sys::check_path(path)?;
        if opts.create && opts.directory {
            // What Linux answers since 6.4 (and Wasmtime), on every kernel.
            return Err(Errno::Inval);
        }
        let mut o = cap_std::fs::OpenOptions::new();
        // std needs write access to create or truncate; rights, not the host
        // open mode, decide what the guest may do with the descriptor.
        let write = opts.write || opts.create || opts.truncate;
        // An open that needs a directory never writes or truncates on the
        // host: it can only succeed on a directory, which it may not write
        // (`isdir` below), and a file it finds must be left as it was. (A
        // followed open checks the type after opening, so O_TRUNC here once
        // emptied a file before answering `notdir`: found by comparing
        // overlays with the host.)
        let host_write = write && !opts.directory;
        o.read(opts.read || !host_write);
        o.write(host_write);
        if opts.create && opts.exclusive {
            o.create_new(true);
        } else if opts.create {
            o.create(true);
        }
        o.truncate(opts.truncate && !opts.directory);
        o.follow(if opts.follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        });
        // O_DIRECTORY only where no final symlink is followed: cap-std's
        // own resolver (macOS, and Linux without openat2) opens the last
        // step with O_NOFOLLOW to find a link, and O_DIRECTORY turns the
        // ELOOP it looks for into ENOTDIR (wasi-testsuite nofollow_errors
        // and symlink_create failed so, under qemu). A followed open is
        // checked after it instead (below), and is non-blocking so a FIFO
        // named as a directory cannot hang the open.
        let mut fdflags = opts.fdflags;
        if opts.directory && opts.follow {
            fdflags |= FdFlags::NONBLOCK;
        }
        o.custom_flags(sys::open_flags(fdflags, opts.directory && !opts.follow));
        let file = sys::open(&self.dir, path, &mut o, opts.directory)?;
        let ft = sys::fstat(&file)?.file_type();
        if ft == FileType::Directory {
            if write {
                return Err(Errno::Isdir);
            }
            Ok(Opened::Dir(Arc::new(HostDir::from_std_file(file))))
        } else if opts.directory {
            Err(Errno::Notdir)
        } else {
            Ok(Opened::File(Arc::new(
                HostFile::new(file, ft).opened_with(opts.fdflags),
            )))
        }
    }

    fn create_dir_at(&self, path: &str) -> Result<()> {
        sys::check_path(path)?;
        Ok(self.dir.create_dir(trim_slashes(path))?)
    }

    fn remove_dir_at(&self, path: &str) -> Result<()> {
        sys::check_path(path)?;
        let name = trim_slashes(path);
        if name.len() < path.len()
            && self
                .stat_at(name, false)
                .is_ok_and(|s| s.file_type() == FileType::SymbolicLink)
        {
            // `link/` names what the link points to (POSIX): a link that
            // leads out of the directory is an escape (`perm`, like every
            // other path that leaves it); any other link is not a directory
            // entry rmdir may remove.
            let target = self.resolve_symlinks(name)?;
            self.stat_at(&target, true)?;
            return Err(Errno::Notdir);
        }
        Ok(self.dir.remove_dir(name)?)
    }

    fn unlink_file_at(&self, path: &str) -> Result<()> {
        sys::check_path(path)?;
        Ok(self.dir.remove_file(path)?)
    }

    fn rename_at(&self, old: &str, new_dir: &dyn Dir, new: &str) -> Result<()> {
        sys::check_path(old)?;
        sys::check_path(new)?;
        let new_dir = self.other(new_dir)?;
        sys::rename(&self.dir, old, &new_dir.dir, new)
    }

    fn link_at(&self, old: &str, follow: bool, new_dir: &dyn Dir, new: &str) -> Result<()> {
        sys::check_path(old)?;
        sys::check_path(new)?;
        let new_dir = self.other(new_dir)?;
        let old = if follow {
            self.resolve_symlinks(old)?
        } else {
            old.to_owned()
        };
        Ok(self.dir.hard_link(old, &new_dir.dir, new)?)
    }

    fn symlink_at(&self, target: &str, path: &str) -> Result<()> {
        sys::check_path(target)?;
        sys::check_path(path)?;
        sys::symlink(&self.dir, target, path)
    }

    fn readlink_at(&self, path: &str) -> Result<Vec<u8>> {
        sys::check_path(path)?;
        Ok(sys::path_bytes(self.dir.read_link_contents(path)?))
    }

    fn stat_at(&self, path: &str, follow: bool) -> Result<Filestat> {
        sys::check_path(path)?;
        // A trailing slash follows a final symlink and needs a directory.
        let must_be_dir = names_a_directory(path);
        let st = sys::path_stat(&self.dir, path, follow || must_be_dir)?;
        if must_be_dir && st.file_type() != FileType::Directory {
            return Err(Errno::Notdir);
        }
        Ok(st)
    }

    fn set_times_at(&self, path: &str, follow: bool, atim: SetTime, mtim: SetTime) -> Result<()> {
        sys::check_path(path)?;
        // The arguments before the path, whatever it names (as the
        // in-memory backend checks them).
        let (atim, mtim) = (time_spec(atim)?, time_spec(mtim)?);
        let must_be_dir = names_a_directory(path);
        if must_be_dir {
            self.stat_at(path, true)?;
        }
        if follow || must_be_dir {
            Ok(self.dir.set_times(path, atim, mtim)?)
        } else {
            Ok(self.dir.set_symlink_times(path, atim, mtim)?)
        }
    }

    fn stat(&self) -> Result<Filestat> {
        sys::dir_stat(&self.dir)
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()> {
        sys::dir_set_times(&self.dir, atim, mtim)
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        sys::read_dir(&self.dir)
    }

    fn sync(&self) -> Result<()> {
        sys::dir_sync(&self.dir)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open host file, pipe, tty or device. Every call on it is one call of
/// the platform's host layer ([`crate::sys`]) on the open file.
pub struct HostFile {
    file: std::fs::File,
    filetype: FileType,
    /// The guest's descriptor flags that the OS cannot keep
    /// ([`sys::KEPT_FDFLAGS`]: on Windows `append` and the sync flags;
    /// none elsewhere).
    kept: AtomicU16,
}

impl HostFile {
    pub fn new(file: impl Into<std::fs::File>, filetype: FileType) -> HostFile {
        HostFile {
            file: file.into(),
            filetype,
            kept: AtomicU16::new(0),
        }
    }

    /// Opened with `flags`: those the OS cannot keep are kept here.
    fn opened_with(self, flags: FdFlags) -> HostFile {
        self.keep(flags);
        self
    }

    fn keep(&self, flags: FdFlags) {
        let kept = (flags & sys::KEPT_FDFLAGS).bits();
        self.kept.store(kept, Ordering::Relaxed);
    }

    fn kept(&self) -> FdFlags {
        FdFlags::from_bits_truncate(self.kept.load(Ordering::Relaxed))
    }

    /// `append` kept here: every write goes to the end, written so.
    fn emulated_append(&self) -> bool {
        self.kept().contains(FdFlags::APPEND)
    }

    /// Wraps a duplicate of a host stream (stdin, stdout, stderr), so the
    /// guest closing it leaves the host's own open.
    pub fn duplicate_of(stream: &impl sys::AsStream) -> Result<HostFile> {
        let file = sys::duplicate(stream)?;
        let filetype = sys::fstat(&file)?.file_type();
        Ok(HostFile::new(file, filetype))
    }
}

impl File for HostFile {
    fn filetype(&self) -> FileType {
        self.filetype
    }

    fn read(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        sys::read(&self.file, bufs)
    }

    fn write(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        if self.emulated_append() {
            sys::seek(&self.file, 0, Whence::End)?;
        }
        sys::write(&self.file, bufs)
    }

    fn pread(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize> {
        sys::pread(&self.file, bufs, offset)
    }

    fn pwrite(&self, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize> {
        if self.emulated_append() {
            // As Linux does with O_APPEND: the data goes to the end, the
            // position stays.
            let end = sys::fstat(&self.file)?.size;
            return sys::pwrite(&self.file, bufs, end);
        }
        sys::pwrite(&self.file, bufs, offset)
    }

    fn seek(&self, offset: i64, whence: Whence) -> Result<u64> {
        sys::seek(&self.file, offset, whence)
    }

    fn stat(&self) -> Result<Filestat> {
        sys::fstat(&self.file)
    }

    fn set_size(&self, size: u64) -> Result<()> {
        sys::set_size(&self.file, size)
    }

    fn allocate(&self, offset: u64, len: u64) -> Result<()> {
        let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
        if end > i64::MAX as u64 {
            return Err(Errno::Fbig);
        }
        sys::allocate(&self.file, offset, len)
    }

    fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<()> {
        sys::advise(&self.file, offset, len, advice)
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()> {
        sys::set_times(&self.file, atim, mtim)
    }

    fn sync(&self) -> Result<()> {
        sys::sync(&self.file)
    }

    fn datasync(&self) -> Result<()> {
        sys::datasync(&self.file)
    }

    fn fdflags(&self) -> Result<FdFlags> {
        Ok(sys::fdflags(&self.file)? | self.kept())
    }

    fn set_fdflags(&self, flags: FdFlags) -> Result<()> {
        let sync = FdFlags::SYNC | FdFlags::DSYNC | FdFlags::RSYNC;
        if (flags & sync) != (self.fdflags()? & sync) {
            // The sync flags cannot change on an open file (Linux cannot).
            return Err(Errno::Notsup);
        }
        sys::set_fdflags(&self.file, flags - sys::KEPT_FDFLAGS)?;
        self.keep(flags);
        Ok(())
    }

    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        sys::pollable(&self.file)
    }

    fn readable_bytes(&self) -> Result<u64> {
        if self.filetype == FileType::RegularFile {
            let size = self.stat()?.size;
            let pos = self.seek(0, Whence::Cur)?;
            return Ok(size.saturating_sub(pos));
        }
        Ok(sys::readable_bytes_of_file(&self.file))
    }
}

/// An open host socket as a kernel file: the byte streams of a WASI 0.2
/// TCP connection. Reads are `recv`, writes `send` (without `SIGPIPE`), on
/// every platform: a Windows socket is no file handle.
pub struct HostSocket {
    fd: sys::OwnedFd,
    filetype: FileType,
}

impl HostSocket {
    pub fn new(fd: sys::OwnedFd, filetype: FileType) -> HostSocket {
        HostSocket { fd, filetype }
    }

    fn fd(&self) -> BorrowedFd<'_> {
        sys::borrow(&self.fd)
    }
}

impl File for HostSocket {
    fn filetype(&self) -> FileType {
        self.filetype
    }

    fn read(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        Ok(sys::recv(self.fd(), bufs, rustix::net::RecvFlags::empty())?.0)
    }

    fn write(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        sys::send(self.fd(), bufs)
    }

    fn pread(&self, _: &mut [IoSliceMut<'_>], _: u64) -> Result<usize> {
        Err(Errno::Spipe)
    }

    fn pwrite(&self, _: &[IoSlice<'_>], _: u64) -> Result<usize> {
        Err(Errno::Spipe)
    }

    fn seek(&self, _: i64, _: Whence) -> Result<u64> {
        Err(Errno::Spipe)
    }

    fn stat(&self) -> Result<Filestat> {
        let mut st = sys::socket_stat(self.fd())?;
        st.filetype = Some(self.filetype);
        Ok(st)
    }

    fn set_size(&self, _: u64) -> Result<()> {
        Err(Errno::Inval)
    }

    fn allocate(&self, _: u64, _: u64) -> Result<()> {
        Err(Errno::Spipe)
    }

    fn advise(&self, _: u64, _: u64, _: Advice) -> Result<()> {
        Ok(())
    }

    fn set_times(&self, _: SetTime, _: SetTime) -> Result<()> {
        Err(Errno::Inval)
    }

    fn sync(&self) -> Result<()> {
        Err(Errno::Inval)
    }

    fn datasync(&self) -> Result<()> {
        Err(Errno::Inval)
    }

    fn fdflags(&self) -> Result<FdFlags> {
        sys::socket_fdflags(self.fd())
    }

    fn set_fdflags(&self, flags: FdFlags) -> Result<()> {
        if flags.intersects(!FdFlags::NONBLOCK) {
            return Err(Errno::Inval);
        }
        Ok(rustix::io::ioctl_fionbio(
            self.fd(),
            flags.contains(FdFlags::NONBLOCK),
        )?)
    }

    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.fd())
    }

    fn readable_bytes(&self) -> Result<u64> {
        Ok(sys::readable_bytes(self.fd()))
    }
}

/// One end of a host pipe ([`sys::pipe`]) as a kernel file: a pipe on Unix,
/// a connected loopback socket on Windows, where pipes cannot be polled.
#[cfg(unix)]
pub type HostPipe = HostFile;
#[cfg(windows)]
pub type HostPipe = HostSocket;

// Unix symlinks: Windows makes them only with a privilege.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// `<tmp>/sandbox` (the directory) beside `<tmp>/outside/secret.txt`,
    /// with `sandbox/l_out -> ../outside`.
    fn layout() -> (tempfile::TempDir, HostDir) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("sandbox")).unwrap();
        std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
        std::fs::write(tmp.path().join("outside/secret.txt"), "secret").unwrap();
        std::os::unix::fs::symlink("../outside", tmp.path().join("sandbox/l_out")).unwrap();
        let dir = HostDir::open_ambient(&tmp.path().join("sandbox")).unwrap();
        (tmp, dir)
    }

    /// The one-name stat fast path (one `statx`) answers as the confined
    /// resolution does: the link itself without following, `perm` for a
    /// link out when following, `perm` for `..`, the file for a name.
    #[test]
    fn one_name_stats_stay_confined() {
        let (tmp, dir) = layout();
        std::fs::write(tmp.path().join("sandbox/f"), "four").unwrap();
        std::os::unix::fs::symlink("f", tmp.path().join("sandbox/l_f")).unwrap();
        let link = dir.stat_at("l_out", false).unwrap();
        assert_eq!(link.filetype, Some(FileType::SymbolicLink));
        assert!(matches!(dir.stat_at("l_out", true), Err(Errno::Perm)));
        assert!(matches!(dir.stat_at("..", false), Err(Errno::Perm)));
        assert!(matches!(dir.stat_at("..", true), Err(Errno::Perm)));
        assert_eq!(dir.stat_at("f", false).unwrap().size, 4);
        assert_eq!(dir.stat_at("l_f", true).unwrap().size, 4);
        assert_eq!(
            dir.stat_at(".", false).unwrap().filetype,
            Some(FileType::Directory)
        );
        assert!(matches!(dir.stat_at("nothing", false), Err(Errno::Noent)));
    }

    /// An open that needs a directory and truncates, on a file, answers
    /// `notdir` and leaves the file whole (it was emptied first, when the
    /// last link was followed), and on a directory answers `isdir`.
    #[test]
    fn a_directory_open_never_truncates_a_file() {
        let (tmp, dir) = layout();
        let f = tmp.path().join("sandbox/f");
        std::fs::write(&f, "kept").unwrap();
        std::fs::create_dir(tmp.path().join("sandbox/d")).unwrap();
        for follow in [true, false] {
            let opts = OpenOptions {
                directory: true,
                truncate: true,
                write: true,
                follow,
                ..Default::default()
            };
            assert!(matches!(dir.open_at("f", &opts), Err(Errno::Notdir)));
            assert_eq!(std::fs::read(&f).unwrap(), b"kept", "follow: {follow}");
            assert!(matches!(dir.open_at("d", &opts), Err(Errno::Isdir)));
        }
    }

    /// Found by the escape matrix: a stat without following the last link
    /// of `l_out/.` still has to go through `l_out`, which leaves the
    /// directory; it answered with the stat of `outside`.
    #[test]
    fn stat_without_follow_of_a_path_through_an_outside_link_is_refused() {
        let (_tmp, dir) = layout();
        for path in ["l_out/.", "l_out/./", "l_out/secret.txt", "l_out/.."] {
            let got = dir.stat_at(path, false).map(|s| s.file_type());
            assert_eq!(got, Err(Errno::Perm), "stat_at({path:?}, nofollow)");
        }
        assert_eq!(
            dir.stat_at("l_out", false).map(|s| s.file_type()),
            Ok(FileType::SymbolicLink)
        );
    }
}
