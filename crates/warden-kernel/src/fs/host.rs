//! The host filesystem backend, confined by `cap-std`.
//!
//! Path resolution goes through `cap_std::fs::Dir`, which never lets a path
//! (`..`, absolute, or symlinks of any shape) resolve outside the directory
//! it was opened from, and holds against concurrent renames. Operations on an
//! already-open descriptor go straight to the syscall through `rustix`.

use super::{Dir, File, Opened};
use crate::clock::nanos;
use crate::errno::{Errno, Result};
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, OpenOptions, SetTime, Whence};
use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, SystemTimeSpec,
};
use cap_std::fs::OpenOptionsExt;
use rustix::fs::{OFlags, Timespec, Timestamps};
use std::any::Any;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

/// A directory of the host filesystem, and everything beneath it.
pub struct HostDir {
    dir: cap_std::fs::Dir,
}

impl HostDir {
    /// Opens `path` of the host as a directory capability. This is the one
    /// place that uses ambient authority: the embedder names what to grant.
    pub fn open_ambient(path: &Path) -> std::io::Result<HostDir> {
        // A plain O_RDONLY|O_DIRECTORY descriptor (not O_PATH), so fsync and
        // futimens work on the preopen itself.
        let file = std::fs::File::open(path)?;
        if !file.metadata()?.is_dir() {
            return Err(std::io::Error::from_raw_os_error(
                rustix::io::Errno::NOTDIR.raw_os_error(),
            ));
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

fn timespec(t: SetTime) -> Timespec {
    match t {
        SetTime::Keep => Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_OMIT,
        },
        SetTime::Now => Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_NOW,
        },
        SetTime::At(ns) => {
            // Signed, as `stat` reports it: an instant before the epoch
            // wraps (WASI 0.3 can name one; a WASI 0.1 guest copying an old
            // file's times gets them back unchanged).
            let ns = ns as i64;
            Timespec {
                tv_sec: ns.div_euclid(1_000_000_000),
                tv_nsec: ns.rem_euclid(1_000_000_000) as _,
            }
        }
    }
}

fn futimens(fd: BorrowedFd<'_>, atim: SetTime, mtim: SetTime) -> Result<()> {
    let times = Timestamps {
        last_access: timespec(atim),
        last_modification: timespec(mtim),
    };
    Ok(rustix::fs::futimens(fd, &times)?)
}

fn metadata_stat(m: &cap_std::fs::Metadata) -> Filestat {
    use cap_std::fs::MetadataExt;
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: Some(FileType::from_host(rustix::fs::FileType::from_raw_mode(
            m.mode(),
        ))),
        nlink: m.nlink(),
        size: m.size(),
        atim: nanos(m.atime(), m.atime_nsec()),
        mtim: nanos(m.mtime(), m.mtime_nsec()),
        ctim: nanos(m.ctime(), m.ctime_nsec()),
    }
}

impl Dir for HostDir {
    fn open_at(&self, path: &str, opts: &OpenOptions) -> Result<Opened> {
        if opts.create && opts.directory {
            // What Linux answers since 6.4 (and Wasmtime), on every kernel.
            return Err(Errno::Inval);
        }
        let mut o = cap_std::fs::OpenOptions::new();
        // std needs write access to create or truncate; rights, not the host
        // open mode, decide what the guest may do with the descriptor.
        let write = opts.write || opts.create || opts.truncate;
        o.read(opts.read || !write);
        o.write(write);
        if opts.create && opts.exclusive {
            o.create_new(true);
        } else if opts.create {
            o.create(true);
        }
        o.truncate(opts.truncate);
        o.follow(if opts.follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        });
        o.maybe_dir(true);
        let mut flags = OFlags::empty();
        if opts.directory {
            flags |= OFlags::DIRECTORY;
        }
        // O_APPEND as a raw flag: std's (and cap-std's) `append(true)`
        // refuses to go with `truncate(true)`, which POSIX allows
        // (open(O_CREAT | O_TRUNC | O_WRONLY | O_APPEND), wasi-testsuite
        // pwrite-with-append).
        if opts.fdflags.contains(FdFlags::APPEND) {
            flags |= OFlags::APPEND;
        }
        if opts.fdflags.contains(FdFlags::NONBLOCK) {
            flags |= OFlags::NONBLOCK;
        }
        if opts.fdflags.contains(FdFlags::SYNC) || opts.fdflags.contains(FdFlags::RSYNC) {
            flags |= OFlags::SYNC;
        }
        if opts.fdflags.contains(FdFlags::DSYNC) {
            flags |= OFlags::DSYNC;
        }
        o.custom_flags(flags.bits() as i32);
        let file = self.dir.open_with(path, &o)?.into_std();
        let st = rustix::fs::fstat(&file)?;
        let ft = FileType::from_host(rustix::fs::FileType::from_raw_mode(st.st_mode));
        if ft == FileType::Directory {
            if write {
                return Err(Errno::Isdir);
            }
            Ok(Opened::Dir(Arc::new(HostDir::from_std_file(file))))
        } else if opts.directory {
            Err(Errno::Notdir)
        } else {
            Ok(Opened::File(Arc::new(HostFile::new(file.into(), ft))))
        }
    }

    fn create_dir_at(&self, path: &str) -> Result<()> {
        Ok(self.dir.create_dir(trim_slashes(path))?)
    }

    fn remove_dir_at(&self, path: &str) -> Result<()> {
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
        Ok(self.dir.remove_file(path)?)
    }

    fn rename_at(&self, old: &str, new_dir: &dyn Dir, new: &str) -> Result<()> {
        let new_dir = self.other(new_dir)?;
        Ok(self.dir.rename(old, &new_dir.dir, new)?)
    }

    fn link_at(&self, old: &str, follow: bool, new_dir: &dyn Dir, new: &str) -> Result<()> {
        let new_dir = self.other(new_dir)?;
        let old = if follow {
            self.resolve_symlinks(old)?
        } else {
            old.to_owned()
        };
        Ok(self.dir.hard_link(old, &new_dir.dir, new)?)
    }

    fn symlink_at(&self, target: &str, path: &str) -> Result<()> {
        Ok(self.dir.symlink_contents(target, path)?)
    }

    fn readlink_at(&self, path: &str) -> Result<Vec<u8>> {
        use std::os::unix::ffi::OsStringExt;
        Ok(self
            .dir
            .read_link_contents(path)?
            .into_os_string()
            .into_vec())
    }

    fn stat_at(&self, path: &str, follow: bool) -> Result<Filestat> {
        // A trailing slash follows a final symlink and needs a directory.
        let must_be_dir = names_a_directory(path);
        let m = if follow || must_be_dir {
            self.dir.metadata(path)?
        } else {
            self.dir.symlink_metadata(path)?
        };
        let st = metadata_stat(&m);
        if must_be_dir && st.file_type() != FileType::Directory {
            return Err(Errno::Notdir);
        }
        Ok(st)
    }

    fn set_times_at(&self, path: &str, follow: bool, atim: SetTime, mtim: SetTime) -> Result<()> {
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
        Ok(Filestat::from_host(&rustix::fs::fstat(&self.dir)?))
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()> {
        futimens(self.dir.as_fd(), atim, mtim)
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        let mut dots = Vec::with_capacity(2);
        let mut entries = Vec::new();
        let mut listing = rustix::fs::Dir::read_from(&self.dir)?;
        while let Some(entry) = listing.read() {
            let entry = entry?;
            let name = entry.file_name().to_bytes().to_vec();
            let mut filetype = FileType::from_host(entry.file_type());
            if entry.file_type() == rustix::fs::FileType::Unknown {
                // Some filesystems leave d_type empty; ask the inode.
                let st = rustix::fs::statat(
                    &self.dir,
                    entry.file_name(),
                    rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
                )?;
                filetype = FileType::from_host(rustix::fs::FileType::from_raw_mode(st.st_mode));
            }
            let e = DirEntry {
                name,
                ino: entry.ino(),
                filetype,
            };
            if e.name == b"." || e.name == b".." {
                dots.push(e);
            } else {
                entries.push(e);
            }
        }
        dots.sort_by(|a, b| a.name.cmp(&b.name));
        dots.extend(entries);
        Ok(dots)
    }

    fn sync(&self) -> Result<()> {
        Ok(rustix::fs::fsync(&self.dir)?)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open host file, pipe, tty or device.
pub struct HostFile {
    fd: OwnedFd,
    filetype: FileType,
}

impl HostFile {
    pub fn new(fd: OwnedFd, filetype: FileType) -> HostFile {
        HostFile { fd, filetype }
    }

    /// Wraps a duplicate of a host descriptor (stdin, stdout, stderr), so the
    /// guest closing it leaves the host's own descriptor open.
    pub fn dup_of(fd: BorrowedFd<'_>) -> Result<HostFile> {
        let fd = rustix::io::fcntl_dupfd_cloexec(fd, 3)?;
        let st = rustix::fs::fstat(&fd)?;
        let ft = FileType::from_host(rustix::fs::FileType::from_raw_mode(st.st_mode));
        Ok(HostFile { fd, filetype: ft })
    }
}

impl File for HostFile {
    fn filetype(&self) -> FileType {
        self.filetype
    }

    fn read(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        match bufs {
            [one] => Ok(rustix::io::read(&self.fd, &mut one[..])?),
            _ => Ok(rustix::io::readv(&self.fd, bufs)?),
        }
    }

    fn write(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        match bufs {
            [one] => Ok(rustix::io::write(&self.fd, &one[..])?),
            _ => Ok(rustix::io::writev(&self.fd, bufs)?),
        }
    }

    fn pread(&self, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize> {
        match bufs {
            [one] => Ok(rustix::io::pread(&self.fd, &mut one[..], offset)?),
            _ => Ok(rustix::io::preadv(&self.fd, bufs, offset)?),
        }
    }

    fn pwrite(&self, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize> {
        match bufs {
            [one] => Ok(rustix::io::pwrite(&self.fd, &one[..], offset)?),
            _ => Ok(rustix::io::pwritev(&self.fd, bufs, offset)?),
        }
    }

    fn seek(&self, offset: i64, whence: Whence) -> Result<u64> {
        let pos = match whence {
            Whence::Set => {
                if offset < 0 {
                    return Err(Errno::Inval);
                }
                rustix::fs::SeekFrom::Start(offset as u64)
            }
            Whence::Cur => rustix::fs::SeekFrom::Current(offset),
            Whence::End => rustix::fs::SeekFrom::End(offset),
        };
        Ok(rustix::fs::seek(&self.fd, pos)?)
    }

    fn stat(&self) -> Result<Filestat> {
        Ok(Filestat::from_host(&rustix::fs::fstat(&self.fd)?))
    }

    fn set_size(&self, size: u64) -> Result<()> {
        Ok(rustix::fs::ftruncate(&self.fd, size)?)
    }

    fn allocate(&self, offset: u64, len: u64) -> Result<()> {
        let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
        if end > i64::MAX as u64 {
            return Err(Errno::Fbig);
        }
        match rustix::fs::fallocate(&self.fd, rustix::fs::FallocateFlags::empty(), offset, len) {
            Ok(()) => Ok(()),
            // Filesystems without fallocate: extending the size is what a
            // guest can observe, so do that.
            Err(rustix::io::Errno::OPNOTSUPP) => {
                if self.stat()?.size < end {
                    self.set_size(end)?;
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<()> {
        use rustix::fs::Advice as A;
        let a = match advice {
            Advice::Normal => A::Normal,
            Advice::Sequential => A::Sequential,
            Advice::Random => A::Random,
            Advice::WillNeed => A::WillNeed,
            Advice::DontNeed => A::DontNeed,
            Advice::NoReuse => A::NoReuse,
        };
        let len = std::num::NonZeroU64::new(len);
        match rustix::fs::fadvise(&self.fd, offset, len, a) {
            // Advice on a pipe means nothing; it is still good advice.
            Err(rustix::io::Errno::SPIPE) => Ok(()),
            r => Ok(r?),
        }
    }

    fn set_times(&self, atim: SetTime, mtim: SetTime) -> Result<()> {
        futimens(self.fd.as_fd(), atim, mtim)
    }

    fn sync(&self) -> Result<()> {
        Ok(rustix::fs::fsync(&self.fd)?)
    }

    fn datasync(&self) -> Result<()> {
        Ok(rustix::fs::fdatasync(&self.fd)?)
    }

    fn fdflags(&self) -> Result<FdFlags> {
        let fl = rustix::fs::fcntl_getfl(&self.fd)?;
        let mut flags = FdFlags::empty();
        if fl.contains(OFlags::APPEND) {
            flags |= FdFlags::APPEND;
        }
        if fl.contains(OFlags::NONBLOCK) {
            flags |= FdFlags::NONBLOCK;
        }
        if fl.contains(OFlags::SYNC) {
            flags |= FdFlags::SYNC | FdFlags::RSYNC;
        } else if fl.contains(OFlags::DSYNC) {
            flags |= FdFlags::DSYNC;
        }
        Ok(flags)
    }

    fn set_fdflags(&self, flags: FdFlags) -> Result<()> {
        let sync = FdFlags::SYNC | FdFlags::DSYNC | FdFlags::RSYNC;
        if (flags & sync) != (self.fdflags()? & sync) {
            // Linux cannot change O_SYNC/O_DSYNC on an open file.
            return Err(Errno::Notsup);
        }
        let mut fl = rustix::fs::fcntl_getfl(&self.fd)?;
        fl.set(OFlags::APPEND, flags.contains(FdFlags::APPEND));
        fl.set(OFlags::NONBLOCK, flags.contains(FdFlags::NONBLOCK));
        Ok(rustix::fs::fcntl_setfl(&self.fd, fl)?)
    }

    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.fd.as_fd())
    }

    fn readable_bytes(&self) -> Result<u64> {
        if self.filetype == FileType::RegularFile {
            let size = self.stat()?.size;
            let pos = self.seek(0, Whence::Cur)?;
            return Ok(size.saturating_sub(pos));
        }
        Ok(rustix::io::ioctl_fionread(&self.fd).unwrap_or(0))
    }
}

#[cfg(test)]
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
