//! The host layer on Windows, through `std`, `cap-std` and Winsock
//! (`rustix::net`, `rustix::event::poll`, which is `WSAPoll` there).
//!
//! What Windows cannot give as POSIX does is listed, with the error a guest
//! gets, in `docs/compat.md`: files and pipes are not pollable (a read
//! blocks, a poll answers "ready"), positioned reads and writes move the
//! file's position, the sync open flags and `nonblock` on a file are
//! `notsup`, and the CPU-time clocks read the monotonic clock.

use crate::clock::Clock;
use crate::errno::{Errno, Result};
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, SetTime, Whence};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};
use std::io::{IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::os::windows::fs::FileExt;
pub use std::os::windows::io::{
    AsSocket as AsFd, BorrowedSocket as BorrowedFd, OwnedSocket as OwnedFd,
};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The socket of a host object, by the one name every platform has.
pub fn borrow(object: &impl AsFd) -> BorrowedFd<'_> {
    object.as_socket()
}

// ---------------------------------------------------------------------------
// Errors

/// Maps a Win32 error code, or a Winsock one (10000 and up), onto WASI's
/// numbering, as Wasmtime's and wasi-libc's Windows ports read them.
pub fn errno_from_raw(raw: i32) -> Errno {
    match raw {
        2 | 3 | 15 | 18 | 123 | 161 => Errno::Noent,
        4 => Errno::Mfile,
        5 | 1920 => Errno::Acces,
        6 => Errno::Badf,
        8 | 14 => Errno::Nomem,
        17 => Errno::Xdev,
        19 => Errno::Rofs,
        32 | 33 => Errno::Busy,
        39 | 112 => Errno::Nospc,
        50 => Errno::Notsup,
        80 | 183 => Errno::Exist,
        87 | 131 | 4390 => Errno::Inval,
        109 | 232 => Errno::Pipe,
        145 => Errno::Notempty,
        206 => Errno::Nametoolong,
        267 => Errno::Notdir,
        1314 => Errno::Perm,
        1921 => Errno::Loop,
        10004 => Errno::Intr,
        10009 => Errno::Badf,
        10013 => Errno::Acces,
        10014 => Errno::Fault,
        10022 => Errno::Inval,
        10024 => Errno::Mfile,
        10035 => Errno::Again,
        10036 => Errno::Inprogress,
        10037 => Errno::Already,
        10038 => Errno::Notsock,
        10039 => Errno::Destaddrreq,
        10040 => Errno::Msgsize,
        10041 => Errno::Prototype,
        10042 => Errno::Noprotoopt,
        10043 => Errno::Protonosupport,
        10045 => Errno::Notsup,
        10047 => Errno::Afnosupport,
        10048 => Errno::Addrinuse,
        10049 => Errno::Addrnotavail,
        10050 => Errno::Netdown,
        10051 => Errno::Netunreach,
        10052 => Errno::Netreset,
        10053 => Errno::Connaborted,
        10054 => Errno::Connreset,
        10055 => Errno::Nobufs,
        10056 => Errno::Isconn,
        10057 => Errno::Notconn,
        10058 => Errno::Pipe,
        10060 => Errno::Timedout,
        10061 => Errno::Connrefused,
        10062 => Errno::Loop,
        10063 => Errno::Nametoolong,
        10065 => Errno::Hostunreach,
        10066 => Errno::Notempty,
        _ => Errno::Io,
    }
}

// ---------------------------------------------------------------------------
// Clocks

fn since_epoch(t: SystemTime) -> u64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as u64,
        // Before the epoch: wraps, as WASI's unsigned timestamps do.
        Err(e) => (e.duration().as_nanos() as u64).wrapping_neg(),
    }
}

/// The time on `clock` now, in nanoseconds. The monotonic clock counts
/// from the first reading in this process; the CPU-time clocks read it too
/// (docs/compat.md).
pub fn clock_now(clock: Clock) -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    match clock {
        Clock::Realtime => since_epoch(SystemTime::now()),
        Clock::Monotonic | Clock::ProcessCpuTime | Clock::ThreadCpuTime => {
            // Offset by one second so no reading is 0.
            START.get_or_init(Instant::now).elapsed().as_nanos() as u64 + 1_000_000_000
        }
    }
}

/// Windows counts file and system times in 100 ns units.
pub fn clock_resolution(_clock: Clock) -> u64 {
    100
}

// ---------------------------------------------------------------------------
// Attributes

/// A stat from cap-std's metadata. `by_handle`: it was read from an open
/// handle, so the volume, file index and link count are there (Windows
/// reports them only so; cap-fs-ext panics when asked otherwise).
fn filestat_of(m: &cap_std::fs::Metadata, by_handle: bool) -> Filestat {
    use cap_fs_ext::MetadataExt;
    let ft = m.file_type();
    let filetype = if ft.is_symlink() {
        FileType::SymbolicLink
    } else if ft.is_dir() {
        FileType::Directory
    } else if ft.is_file() {
        FileType::RegularFile
    } else {
        FileType::Unknown
    };
    let time = |t: std::io::Result<cap_std::time::SystemTime>| {
        t.map(|t| since_epoch(t.into_std())).unwrap_or(0)
    };
    let (dev, ino, nlink) = if by_handle {
        (m.dev(), m.ino(), m.nlink())
    } else {
        (0, 0, 1)
    };
    Filestat {
        dev,
        ino,
        filetype: Some(filetype),
        nlink,
        size: m.len(),
        atim: time(m.accessed()),
        mtim: time(m.modified()),
        // Windows keeps no change time; the last write stands in for it.
        ctim: time(m.modified()),
    }
}

/// The attributes of an open host file. A console or pipe has none that
/// Windows reports by handle: it is a stream of unknown type, as a pipe is
/// on Unix.
pub fn fstat(file: &std::fs::File) -> Result<Filestat> {
    match cap_std::fs::Metadata::from_file(file) {
        Ok(m) => Ok(filestat_of(&m, true)),
        Err(_) => Ok(Filestat {
            filetype: Some(FileType::Unknown),
            ..Filestat::default()
        }),
    }
}

/// The attributes of what `path` names beneath `dir`: read from a handle
/// opened on it (for the volume and file index), or, where it cannot be
/// opened, from the path without them.
pub fn path_stat(dir: &cap_std::fs::Dir, path: &str, follow: bool) -> Result<Filestat> {
    use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
    let mut o = cap_std::fs::OpenOptions::new();
    o.read(true).maybe_dir(true).follow(if follow {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    });
    match dir.open_with(path, &o) {
        Ok(f) => fstat(&f.into_std()),
        Err(_) => {
            let m = if follow {
                dir.metadata(path)?
            } else {
                dir.symlink_metadata(path)?
            };
            Ok(filestat_of(&m, false))
        }
    }
}

/// The attributes `cap-std` read for a path (no file index: see
/// [`path_stat`]).
pub fn metadata_stat(m: &cap_std::fs::Metadata) -> Filestat {
    filestat_of(m, false)
}

/// The attributes of a socket: its type, nothing else is kept.
pub fn socket_stat(_fd: BorrowedFd<'_>) -> Result<Filestat> {
    Ok(Filestat {
        filetype: Some(FileType::SocketStream),
        ..Filestat::default()
    })
}

/// Sockets are the only pollable objects here, and never terminals.
pub fn isatty(_fd: BorrowedFd<'_>) -> bool {
    false
}

/// The bytes of a path: its UTF-8 spelling (a name that is not UTF-16
/// that maps to UTF-8 is replaced, as `to_string_lossy` does).
pub fn path_bytes(p: std::path::PathBuf) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

// ---------------------------------------------------------------------------
// Open files

pub fn read(file: &std::fs::File, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
    let mut f = file;
    Ok(f.read_vectored(bufs)?)
}

pub fn write(file: &std::fs::File, bufs: &[IoSlice<'_>]) -> Result<usize> {
    let mut f = file;
    Ok(f.write_vectored(bufs)?)
}

/// Reads at `offset`: Windows' positioned read moves the file position
/// (docs/compat.md), so the position is put back after it.
pub fn pread(file: &std::fs::File, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize> {
    let Some(buf) = bufs.iter_mut().find(|b| !b.is_empty()) else {
        return Ok(0);
    };
    let pos = seek(file, 0, Whence::Cur)?;
    let r = file.seek_read(buf, offset);
    seek(file, pos as i64, Whence::Set)?;
    Ok(r?)
}

pub fn pwrite(file: &std::fs::File, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize> {
    let Some(buf) = bufs.iter().find(|b| !b.is_empty()) else {
        return Ok(0);
    };
    let pos = seek(file, 0, Whence::Cur)?;
    let r = file.seek_write(buf, offset);
    seek(file, pos as i64, Whence::Set)?;
    Ok(r?)
}

pub fn seek(file: &std::fs::File, offset: i64, whence: Whence) -> Result<u64> {
    let pos = match whence {
        Whence::Set => {
            if offset < 0 {
                return Err(Errno::Inval);
            }
            SeekFrom::Start(offset as u64)
        }
        Whence::Cur => SeekFrom::Current(offset),
        Whence::End => SeekFrom::End(offset),
    };
    let mut f = file;
    Ok(f.seek(pos)?)
}

pub fn set_size(file: &std::fs::File, size: u64) -> Result<()> {
    Ok(file.set_len(size)?)
}

/// What a guest can observe of reserved blocks is the size.
pub fn allocate(file: &std::fs::File, offset: u64, len: u64) -> Result<()> {
    let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
    if file.metadata()?.len() < end {
        file.set_len(end)?;
    }
    Ok(())
}

/// Advice is a hint; Windows takes none after the open.
pub fn advise(file: &std::fs::File, _offset: u64, _len: u64, _advice: Advice) -> Result<()> {
    file.metadata()?;
    Ok(())
}

pub fn sync(file: &std::fs::File) -> Result<()> {
    Ok(file.sync_all()?)
}

pub fn datasync(file: &std::fs::File) -> Result<()> {
    Ok(file.sync_data()?)
}

fn file_time(t: SetTime) -> Option<SystemTime> {
    match t {
        SetTime::Keep => None,
        SetTime::Now => Some(SystemTime::now()),
        SetTime::At(ns) => {
            let ns = ns as i64;
            Some(if ns >= 0 {
                UNIX_EPOCH + std::time::Duration::from_nanos(ns as u64)
            } else {
                UNIX_EPOCH - std::time::Duration::from_nanos(ns.unsigned_abs())
            })
        }
    }
}

pub fn set_times(file: &std::fs::File, atim: SetTime, mtim: SetTime) -> Result<()> {
    let mut times = std::fs::FileTimes::new();
    if let Some(t) = file_time(atim) {
        times = times.set_accessed(t);
    }
    if let Some(t) = file_time(mtim) {
        times = times.set_modified(t);
    }
    Ok(file.set_times(times)?)
}

/// Windows keeps no non-blocking or sync mode on a file handle that can be
/// read back; a file reports none (`append` is the kernel's, above).
pub fn fdflags(_file: &std::fs::File) -> Result<FdFlags> {
    Ok(FdFlags::empty())
}

/// Only the flags the kernel keeps (`KEPT_FDFLAGS`) can change.
pub fn set_fdflags(_file: &std::fs::File, flags: FdFlags) -> Result<()> {
    if flags.is_empty() {
        Ok(())
    } else {
        Err(Errno::Notsup)
    }
}

/// Windows' append mode cannot go with truncation nor be read back or
/// changed, and the sync flags cannot be read back: the kernel's
/// `HostFile` keeps the guest's flags and, for `append`, writes at the end
/// itself.
pub const KEPT_FDFLAGS: FdFlags = FdFlags::APPEND
    .union(FdFlags::DSYNC)
    .union(FdFlags::RSYNC)
    .union(FdFlags::SYNC);

/// `FILE_FLAG_WRITE_THROUGH` for the sync flags (every write reaches the
/// disk before it returns), as Wasmtime asks; nothing else.
pub fn open_flags(fdflags: FdFlags, _directory: bool) -> u32 {
    let sync = FdFlags::SYNC | FdFlags::DSYNC | FdFlags::RSYNC;
    if fdflags.intersects(sync) {
        0x8000_0000
    } else {
        0
    }
}

/// Unknown for files and pipes.
pub fn readable_bytes_of_file(_file: &std::fs::File) -> u64 {
    0
}

/// Bytes readable now from a socket (`FIONREAD`), 0 when unknown.
pub fn readable_bytes(fd: BorrowedFd<'_>) -> u64 {
    rustix::io::ioctl_fionread(fd).unwrap_or(0)
}

/// What a host stream (stdin, stdout, stderr) is on this platform.
pub trait AsStream: std::os::windows::io::AsHandle {}
impl<T: std::os::windows::io::AsHandle> AsStream for T {}

/// A duplicate of a host stream's handle, so the guest closing its copy
/// leaves the host's open.
pub fn duplicate(stream: &impl AsStream) -> Result<std::fs::File> {
    Ok(stream.as_handle().try_clone_to_owned()?.into())
}

/// Files, pipes and consoles cannot join `WSAPoll`: a poll on them answers
/// "ready" and the read or write that follows may block.
pub fn pollable(_file: &std::fs::File) -> Option<BorrowedFd<'_>> {
    None
}

/// A "pipe" that `WSAPoll` can wait on: a connected pair of loopback TCP
/// sockets, (read end, write end). The accepted end must be the one this
/// call connected (another local process could connect first).
pub fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let write = std::net::TcpStream::connect(listener.local_addr()?)?;
    write.set_nodelay(true)?;
    loop {
        let (read, peer) = listener.accept()?;
        if peer == write.local_addr()? {
            return Ok((read.into(), write.into()));
        }
    }
}

/// Writes to a pipe's write end (one byte to wake a waiter).
pub fn pipe_write(fd: &OwnedFd, bytes: &[u8]) -> Result<usize> {
    Ok(rustix::net::send(fd, bytes, SEND_FLAGS)?)
}

// ---------------------------------------------------------------------------
// Directories

/// Opens a directory the embedder names (`FILE_FLAG_BACKUP_SEMANTICS`: the
/// flag without which Windows opens no directory).
pub fn open_dir_ambient(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::windows::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(0x0200_0000)
        .open(path)
}

pub fn dir_stat(dir: &cap_std::fs::Dir) -> Result<Filestat> {
    fstat(&dir.try_clone()?.into_std_file())
}

pub fn dir_set_times(dir: &cap_std::fs::Dir, atim: SetTime, mtim: SetTime) -> Result<()> {
    use cap_fs_ext::DirExt;
    let spec = |t: SetTime| {
        file_time(t)
            .map(|t| cap_fs_ext::SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(t)))
    };
    Ok(dir.set_times(".", spec(atim), spec(mtim))?)
}

/// Windows cannot flush a directory handle; its entries are written with
/// the files.
pub fn dir_sync(dir: &cap_std::fs::Dir) -> Result<()> {
    dir.dir_metadata()?;
    Ok(())
}

/// The entries of an open directory, `.` and `..` first (Windows lists
/// neither: `.` gets the directory's own file index, `..` 0).
pub fn read_dir(dir: &cap_std::fs::Dir) -> Result<Vec<DirEntry>> {
    let mut entries = vec![
        DirEntry {
            name: b".".to_vec(),
            ino: dir_stat(dir)?.ino,
            filetype: FileType::Directory,
        },
        DirEntry {
            name: b"..".to_vec(),
            ino: 0,
            filetype: FileType::Directory,
        },
    ];
    for entry in dir.entries()? {
        let entry = entry?;
        // The file index needs a handle: `full_metadata` opens the entry.
        let st = match cap_fs_ext::DirEntryExt::full_metadata(&entry) {
            Ok(m) => filestat_of(&m, true),
            Err(_) => filestat_of(&entry.metadata()?, false),
        };
        entries.push(DirEntry {
            name: entry
                .file_name()
                .to_string_lossy()
                .into_owned()
                .into_bytes(),
            ino: st.ino,
            filetype: st.file_type(),
        });
    }
    Ok(entries)
}

/// Makes `path` a symlink to `target`. Windows has two kinds of links and
/// must be told which: a directory link when `target` names a directory
/// now (from the link's own directory), a file link otherwise.
pub fn symlink(dir: &cap_std::fs::Dir, target: &str, path: &str) -> Result<()> {
    let from = match path.trim_end_matches('/').rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/{target}"),
        None => target.to_owned(),
    };
    if dir.metadata(&from).is_ok_and(|m| m.is_dir()) {
        dir.symlink_dir(target, path)?;
    } else {
        dir.symlink_file(target, path)?;
    }
    // wine 8 answers success and makes nothing: say so, never pretend.
    match dir.symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Ok(()),
        _ => Err(Errno::Notsup),
    }
}

/// Windows' own spellings are refused before cap-std sees a path
/// ([`super::windows_names`]).
pub use super::windows_names::check_path;

/// Opens `path` beneath `dir`. A handle that may be a directory's keeps
/// others from deleting the file (cap-std drops `FILE_SHARE_DELETE` there,
/// to hold its path lookups still), so a file is opened without that leave
/// unless `directory` was asked or the path turns out to be one: then a
/// guest can still remove a name (a hard link) of a file it holds open.
pub fn open(
    dir: &cap_std::fs::Dir,
    path: &str,
    options: &mut cap_std::fs::OpenOptions,
    directory: bool,
) -> Result<std::fs::File> {
    use cap_fs_ext::OpenOptionsMaybeDirExt;
    options.maybe_dir(directory);
    match dir.open_with(path, options) {
        Ok(f) => Ok(f.into_std()),
        Err(_) if !directory && dir.metadata(path).is_ok_and(|m| m.is_dir()) => {
            options.maybe_dir(true);
            Ok(dir.open_with(path, options)?.into_std())
        }
        Err(e) => Err(e.into()),
    }
}

/// Renames `old` to `new`. POSIX lets a directory replace an empty one;
/// Windows refuses (access denied), so the empty directory is removed
/// first, then the rename made: two steps, not one atomic one
/// (docs/compat.md).
pub fn rename(
    dir: &cap_std::fs::Dir,
    old: &str,
    new_dir: &cap_std::fs::Dir,
    new: &str,
) -> Result<()> {
    match dir.rename(old, new_dir, new) {
        Err(e) if e.raw_os_error() == Some(5) => {
            let both_dirs = dir.symlink_metadata(old).is_ok_and(|m| m.is_dir())
                && new_dir.symlink_metadata(new).is_ok_and(|m| m.is_dir());
            if !both_dirs {
                return Err(e.into());
            }
            // Fails (`notempty`) unless the target is empty, as rename(2).
            new_dir.remove_dir(new)?;
            Ok(dir.rename(old, new_dir, new)?)
        }
        r => Ok(r?),
    }
}

// ---------------------------------------------------------------------------
// Sockets

pub const SEND_FLAGS: SendFlags = SendFlags::empty();

/// Windows cannot read a socket's blocking mode back: sockets report
/// blocking (docs/compat.md).
pub fn socket_fdflags(_fd: BorrowedFd<'_>) -> Result<FdFlags> {
    Ok(FdFlags::empty())
}

/// `recv` into `bufs`: Winsock's `recvmsg` is not there, so the first
/// non-empty buffer takes what comes (a short read, as POSIX allows).
pub fn recv(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    flags: RecvFlags,
) -> Result<(usize, bool)> {
    match bufs.iter_mut().find(|b| !b.is_empty()) {
        Some(buf) => Ok((rustix::net::recv(fd, &mut buf[..], flags)?.0, false)),
        None => Ok((0, false)),
    }
}

/// `send` from `bufs`: the first non-empty one (a short write).
pub fn send(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> Result<usize> {
    match bufs.iter().find(|b| !b.is_empty()) {
        Some(buf) => Ok(rustix::net::send(fd, buf, SEND_FLAGS)?),
        None => Ok(0),
    }
}

/// A new socket, made non-blocking (Winsock handles are not inherited by
/// child processes unless asked).
pub fn new_socket(af: AddressFamily, kind: SocketType) -> Result<OwnedFd> {
    let fd = rustix::net::socket(af, kind, None)?;
    rustix::io::ioctl_fionbio(&fd, true)?;
    Ok(fd)
}

pub fn accept(listener: BorrowedFd<'_>) -> rustix::io::Result<OwnedFd> {
    let fd = rustix::net::accept(listener)?;
    rustix::io::ioctl_fionbio(&fd, true)?;
    Ok(fd)
}

pub fn transient_accept_error(e: rustix::io::Errno) -> bool {
    use rustix::io::Errno as E;
    [E::CONNABORTED, E::CONNRESET, E::NETDOWN, E::INTR].contains(&e)
}

pub const REPORTS_DOUBLED_BUFFER_SIZES: bool = false;
