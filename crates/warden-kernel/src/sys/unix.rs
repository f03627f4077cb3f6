//! The host layer on every POSIX system (macOS, the BSDs, Linux): the calls
//! they all have. On Linux, `linux.rs` replaces a few of them with faster or
//! more exact ones; its tests hold each pair to the same results, and the
//! `portable-host` feature runs Linux on these alone.

// On Linux, `linux.rs` shadows the fallbacks it replaces: they are then
// used only by its tests.
#![cfg_attr(
    all(target_os = "linux", not(feature = "portable-host")),
    allow(dead_code)
)]

use crate::clock::{nanos, Clock};
use crate::errno::{Errno, Result};
use crate::types::{Advice, DirEntry, FdFlags, FileType, Filestat, SetTime, Whence};
use rustix::fs::{OFlags, Timespec, Timestamps};
use rustix::net::{AddressFamily, SendFlags, SocketType};
use std::io::{IoSlice, IoSliceMut};
pub use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// The descriptor of a host object, by the one name every platform has
/// (`as_fd` here, `as_socket` on Windows).
pub fn borrow(object: &impl AsFd) -> BorrowedFd<'_> {
    object.as_fd()
}

// ---------------------------------------------------------------------------
// Errors

/// Maps a host `errno` value onto WASI's numbering.
pub fn errno_from_raw(raw: i32) -> Errno {
    use rustix::io::Errno as E;
    match E::from_raw_os_error(raw) {
        E::TOOBIG => Errno::TooBig,
        E::ACCESS => Errno::Acces,
        E::ADDRINUSE => Errno::Addrinuse,
        E::ADDRNOTAVAIL => Errno::Addrnotavail,
        E::AFNOSUPPORT => Errno::Afnosupport,
        E::AGAIN => Errno::Again,
        E::ALREADY => Errno::Already,
        E::BADF => Errno::Badf,
        E::BADMSG => Errno::Badmsg,
        E::BUSY => Errno::Busy,
        E::CANCELED => Errno::Canceled,
        E::CHILD => Errno::Child,
        E::CONNABORTED => Errno::Connaborted,
        E::CONNREFUSED => Errno::Connrefused,
        E::CONNRESET => Errno::Connreset,
        E::DEADLK => Errno::Deadlk,
        E::DESTADDRREQ => Errno::Destaddrreq,
        E::DOM => Errno::Dom,
        E::DQUOT => Errno::Dquot,
        E::EXIST => Errno::Exist,
        E::FAULT => Errno::Fault,
        E::FBIG => Errno::Fbig,
        E::HOSTUNREACH => Errno::Hostunreach,
        E::IDRM => Errno::Idrm,
        E::ILSEQ => Errno::Ilseq,
        E::INPROGRESS => Errno::Inprogress,
        E::INTR => Errno::Intr,
        E::INVAL => Errno::Inval,
        E::IO => Errno::Io,
        E::ISCONN => Errno::Isconn,
        E::ISDIR => Errno::Isdir,
        E::LOOP => Errno::Loop,
        E::MFILE => Errno::Mfile,
        E::MLINK => Errno::Mlink,
        E::MSGSIZE => Errno::Msgsize,
        E::MULTIHOP => Errno::Multihop,
        E::NAMETOOLONG => Errno::Nametoolong,
        E::NETDOWN => Errno::Netdown,
        E::NETRESET => Errno::Netreset,
        E::NETUNREACH => Errno::Netunreach,
        E::NFILE => Errno::Nfile,
        E::NOBUFS => Errno::Nobufs,
        E::NODEV => Errno::Nodev,
        E::NOENT => Errno::Noent,
        E::NOEXEC => Errno::Noexec,
        E::NOLCK => Errno::Nolck,
        E::NOLINK => Errno::Nolink,
        E::NOMEM => Errno::Nomem,
        E::NOMSG => Errno::Nomsg,
        E::NOPROTOOPT => Errno::Noprotoopt,
        E::NOSPC => Errno::Nospc,
        E::NOSYS => Errno::Nosys,
        E::NOTCONN => Errno::Notconn,
        E::NOTDIR => Errno::Notdir,
        E::NOTEMPTY => Errno::Notempty,
        E::NOTRECOVERABLE => Errno::Notrecoverable,
        E::NOTSOCK => Errno::Notsock,
        E::NOTSUP => Errno::Notsup,
        E::NOTTY => Errno::Notty,
        E::NXIO => Errno::Nxio,
        E::OVERFLOW => Errno::Overflow,
        E::OWNERDEAD => Errno::Ownerdead,
        E::PERM => Errno::Perm,
        E::PIPE => Errno::Pipe,
        E::PROTO => Errno::Proto,
        E::PROTONOSUPPORT => Errno::Protonosupport,
        E::PROTOTYPE => Errno::Prototype,
        E::RANGE => Errno::Range,
        E::ROFS => Errno::Rofs,
        E::SPIPE => Errno::Spipe,
        E::SRCH => Errno::Srch,
        E::STALE => Errno::Stale,
        E::TIMEDOUT => Errno::Timedout,
        E::TXTBSY => Errno::Txtbsy,
        E::XDEV => Errno::Xdev,
        _ => Errno::Io,
    }
}

// ---------------------------------------------------------------------------
// Clocks

fn clock_id(clock: Clock) -> rustix::time::ClockId {
    use rustix::time::ClockId;
    match clock {
        Clock::Realtime => ClockId::Realtime,
        Clock::Monotonic => ClockId::Monotonic,
        Clock::ProcessCpuTime => ClockId::ProcessCPUTime,
        Clock::ThreadCpuTime => ClockId::ThreadCPUTime,
    }
}

/// The time on `clock` now, in nanoseconds.
pub fn clock_now(clock: Clock) -> u64 {
    let ts = rustix::time::clock_gettime(clock_id(clock));
    nanos(ts.tv_sec, ts.tv_nsec as i64)
}

/// The resolution of `clock`, in nanoseconds.
pub fn clock_resolution(clock: Clock) -> u64 {
    let ts = rustix::time::clock_getres(clock_id(clock));
    nanos(ts.tv_sec, ts.tv_nsec as i64)
}

// ---------------------------------------------------------------------------
// Attributes

fn filetype_of(ft: rustix::fs::FileType) -> FileType {
    use rustix::fs::FileType as H;
    match ft {
        H::RegularFile => FileType::RegularFile,
        H::Directory => FileType::Directory,
        H::Symlink => FileType::SymbolicLink,
        H::CharacterDevice => FileType::CharacterDevice,
        H::BlockDevice => FileType::BlockDevice,
        H::Socket => FileType::SocketStream,
        _ => FileType::Unknown,
    }
}

// The field types differ between systems (`st_dev` is an i32 on macOS,
// `st_nlink` a u16): the casts are no-ops on some and widen on others.
#[allow(clippy::unnecessary_cast)]
fn filestat_of(st: &rustix::fs::Stat) -> Filestat {
    Filestat {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
        filetype: Some(filetype_of(rustix::fs::FileType::from_raw_mode(
            st.st_mode as _,
        ))),
        nlink: st.st_nlink as u64,
        size: st.st_size as u64,
        atim: nanos(st.st_atime as i64, st.st_atime_nsec as i64),
        mtim: nanos(st.st_mtime as i64, st.st_mtime_nsec as i64),
        ctim: nanos(st.st_ctime as i64, st.st_ctime_nsec as i64),
    }
}

/// The attributes of an open host file, directory or socket (`fstat`).
pub fn fstat(fd: impl AsFd) -> Result<Filestat> {
    Ok(filestat_of(&rustix::fs::fstat(fd)?))
}

/// The attributes of a socket.
pub fn socket_stat(fd: BorrowedFd<'_>) -> Result<Filestat> {
    fstat(fd)
}

/// The attributes of what `path` names beneath `dir` (the last symlink
/// followed or not), resolved by cap-std.
pub fn path_stat(dir: &cap_std::fs::Dir, path: &str, follow: bool) -> Result<Filestat> {
    // One name in `dir`, not `..`, looked up without following it: that
    // cannot leave `dir`, so one `statx` does what cap-std's confined
    // resolution does in three (open beneath, stat, close). It is how a
    // 0.2 guest's libc fills `d_ino` for every directory entry
    // (`metadata-hash-at` of the bare name) and how most stats of names in
    // the current directory look. A symlink to follow takes the long way.
    if !path.contains('/') && path != ".." {
        let st = filestat_of(&rustix::fs::statat(
            dir,
            path,
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )?);
        if !follow || st.filetype != Some(FileType::SymbolicLink) {
            return Ok(st);
        }
    }
    let m = if follow {
        dir.metadata(path)?
    } else {
        dir.symlink_metadata(path)?
    };
    Ok(metadata_stat(&m))
}

/// The attributes `cap-std` read for a path.
pub fn metadata_stat(m: &cap_std::fs::Metadata) -> Filestat {
    use cap_std::fs::MetadataExt;
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: Some(filetype_of(rustix::fs::FileType::from_raw_mode(
            m.mode() as _
        ))),
        nlink: m.nlink(),
        size: m.size(),
        atim: nanos(m.atime(), m.atime_nsec()),
        mtim: nanos(m.mtime(), m.mtime_nsec()),
        ctim: nanos(m.ctime(), m.ctime_nsec()),
    }
}

/// Whether `fd` is a terminal.
pub fn isatty(fd: BorrowedFd<'_>) -> bool {
    rustix::termios::isatty(fd)
}

/// The bytes of a path as the host spells it.
pub fn path_bytes(p: std::path::PathBuf) -> Vec<u8> {
    use std::os::unix::ffi::OsStringExt;
    p.into_os_string().into_vec()
}

// ---------------------------------------------------------------------------
// Open files

/// Reads into `bufs` (one `read` for one buffer, `readv` for more).
pub fn read(file: &std::fs::File, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
    match bufs {
        [one] => Ok(rustix::io::read(file, &mut one[..])?),
        _ => Ok(rustix::io::readv(file, bufs)?),
    }
}

pub fn write(file: &std::fs::File, bufs: &[IoSlice<'_>]) -> Result<usize> {
    match bufs {
        [one] => Ok(rustix::io::write(file, &one[..])?),
        _ => Ok(rustix::io::writev(file, bufs)?),
    }
}

/// Reads at `offset`, leaving the file's position where it was.
pub fn pread(file: &std::fs::File, bufs: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize> {
    match bufs {
        [one] => Ok(rustix::io::pread(file, &mut one[..], offset)?),
        _ => Ok(rustix::io::preadv(file, bufs, offset)?),
    }
}

/// Writes at `offset`, leaving the file's position where it was.
pub fn pwrite(file: &std::fs::File, bufs: &[IoSlice<'_>], offset: u64) -> Result<usize> {
    match bufs {
        [one] => Ok(rustix::io::pwrite(file, &one[..], offset)?),
        _ => Ok(rustix::io::pwritev(file, bufs, offset)?),
    }
}

pub fn seek(file: &std::fs::File, offset: i64, whence: Whence) -> Result<u64> {
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
    Ok(rustix::fs::seek(file, pos)?)
}

pub fn set_size(file: &std::fs::File, size: u64) -> Result<()> {
    Ok(rustix::fs::ftruncate(file, size)?)
}

/// The portable `allocate`: what a guest can observe of reserved blocks is
/// the size, so extend the file to `offset + len` when it is shorter.
pub fn allocate(file: &std::fs::File, offset: u64, len: u64) -> Result<()> {
    let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
    if fstat(file)?.size < end {
        set_size(file, end)?;
    }
    Ok(())
}

/// The portable `advise`: advice is a hint, and a host without
/// `posix_fadvise` takes it and does nothing.
pub fn advise(file: &std::fs::File, _offset: u64, _len: u64, _advice: Advice) -> Result<()> {
    // Still a call on a live descriptor: a closed one is `badf`.
    rustix::fs::fcntl_getfl(file)?;
    Ok(())
}

/// The portable `datasync`: `fsync`, which flushes the data and more.
pub fn datasync(file: &std::fs::File) -> Result<()> {
    sync(file)
}

pub fn sync(fd: impl AsFd) -> Result<()> {
    Ok(rustix::fs::fsync(fd)?)
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

/// Sets the access and modification times of an open file or directory.
pub fn set_times(fd: impl AsFd, atim: SetTime, mtim: SetTime) -> Result<()> {
    let times = Timestamps {
        last_access: timespec(atim),
        last_modification: timespec(mtim),
    };
    Ok(rustix::fs::futimens(fd, &times)?)
}

/// The descriptor flags of an open file or socket.
pub fn fdflags(fd: impl AsFd) -> Result<FdFlags> {
    let fl = rustix::fs::fcntl_getfl(fd)?;
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

/// Changes `append` and `nonblock` (the kernel's `HostFile` refuses a
/// change of the sync flags first).
pub fn set_fdflags(fd: impl AsFd, flags: FdFlags) -> Result<()> {
    let mut fl = rustix::fs::fcntl_getfl(&fd)?;
    fl.set(OFlags::APPEND, flags.contains(FdFlags::APPEND));
    fl.set(OFlags::NONBLOCK, flags.contains(FdFlags::NONBLOCK));
    Ok(rustix::fs::fcntl_setfl(&fd, fl)?)
}

/// The descriptor flags the kernel keeps itself because the OS cannot:
/// none here, the OS keeps them all (`fcntl(F_GETFL)`).
pub const KEPT_FDFLAGS: FdFlags = FdFlags::empty();

/// The open flags for the descriptor flags a guest asked for at open.
pub fn open_flags(fdflags: FdFlags, directory: bool) -> i32 {
    let mut flags = OFlags::empty();
    if directory {
        flags |= OFlags::DIRECTORY;
    }
    // O_APPEND as a raw flag: std's (and cap-std's) `append(true)` refuses
    // to go with `truncate(true)`, which POSIX allows (open(O_CREAT |
    // O_TRUNC | O_WRONLY | O_APPEND), wasi-testsuite pwrite-with-append).
    if fdflags.contains(FdFlags::APPEND) {
        flags |= OFlags::APPEND;
    }
    if fdflags.contains(FdFlags::NONBLOCK) {
        flags |= OFlags::NONBLOCK;
    }
    if fdflags.contains(FdFlags::SYNC) || fdflags.contains(FdFlags::RSYNC) {
        flags |= OFlags::SYNC;
    }
    if fdflags.contains(FdFlags::DSYNC) {
        flags |= OFlags::DSYNC;
    }
    flags.bits() as i32
}

/// Bytes readable now without blocking (`FIONREAD`), 0 when unknown.
pub fn readable_bytes(fd: impl AsFd) -> u64 {
    rustix::io::ioctl_fionread(fd).unwrap_or(0)
}

/// Bytes readable now from a pipe or device, 0 when unknown.
pub fn readable_bytes_of_file(file: &std::fs::File) -> u64 {
    readable_bytes(file)
}

/// What a host stream (stdin, stdout, stderr) is on this platform.
pub trait AsStream: AsFd {}
impl<T: AsFd> AsStream for T {}

/// A close-on-exec duplicate of a host stream, so the guest closing its
/// copy leaves the host's open.
pub fn duplicate(stream: &impl AsStream) -> Result<std::fs::File> {
    Ok(rustix::io::fcntl_dupfd_cloexec(stream, 3)?.into())
}

/// What `poll` waits on for an open file: the file itself.
pub fn pollable(file: &std::fs::File) -> Option<BorrowedFd<'_>> {
    Some(file.as_fd())
}

/// A host pipe, both ends close-on-exec: (read end, write end).
pub fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe()?;
    for fd in [&r, &w] {
        rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC)?;
    }
    Ok((r, w))
}

/// Writes to a pipe's write end (one byte to wake a waiter).
pub fn pipe_write(fd: &OwnedFd, bytes: &[u8]) -> Result<usize> {
    Ok(rustix::io::write(fd, bytes)?)
}

// ---------------------------------------------------------------------------
// Directories

/// Opens a directory the embedder names: a plain read-only descriptor
/// (not `O_PATH`), so `fsync` and `futimens` work on a preopen itself.
pub fn open_dir_ambient(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The entries of an open directory, `.` and `..` first.
pub fn read_dir(dir: &cap_std::fs::Dir) -> Result<Vec<DirEntry>> {
    let mut dots = Vec::with_capacity(2);
    let mut entries = Vec::new();
    let mut listing = rustix::fs::Dir::read_from(dir)?;
    while let Some(entry) = listing.read() {
        let entry = entry?;
        let name = entry.file_name().to_bytes().to_vec();
        let mut filetype = filetype_of(entry.file_type());
        if entry.file_type() == rustix::fs::FileType::Unknown {
            // Some filesystems leave d_type empty; ask the inode.
            let st = rustix::fs::statat(
                dir,
                entry.file_name(),
                rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
            )?;
            filetype = filetype_of(rustix::fs::FileType::from_raw_mode(st.st_mode as _));
        }
        #[allow(clippy::unnecessary_cast)]
        let e = DirEntry {
            name,
            ino: entry.ino() as u64,
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

/// The attributes of an open directory.
pub fn dir_stat(dir: &cap_std::fs::Dir) -> Result<Filestat> {
    fstat(dir)
}

/// Sets the times of an open directory (`futimens` on it, so a preopen's
/// own times can change).
pub fn dir_set_times(dir: &cap_std::fs::Dir, atim: SetTime, mtim: SetTime) -> Result<()> {
    set_times(dir, atim, mtim)
}

pub fn dir_sync(dir: &cap_std::fs::Dir) -> Result<()> {
    sync(dir)
}

/// Every name a guest can spell is an ordinary name here: `/` is the only
/// separator and no name is a device.
#[inline]
pub fn check_path(_path: &str) -> Result<()> {
    Ok(())
}

/// Opens `path` beneath `dir`, a directory or not.
pub fn open(
    dir: &cap_std::fs::Dir,
    path: &str,
    options: &mut cap_std::fs::OpenOptions,
    _directory: bool,
) -> Result<std::fs::File> {
    use cap_fs_ext::OpenOptionsMaybeDirExt;
    options.maybe_dir(true);
    Ok(dir.open_with(path, options)?.into_std())
}

/// Renames `old` beneath `dir` to `new` beneath `new_dir` (`renameat`).
pub fn rename(
    dir: &cap_std::fs::Dir,
    old: &str,
    new_dir: &cap_std::fs::Dir,
    new: &str,
) -> Result<()> {
    Ok(dir.rename(old, new_dir, new)?)
}

/// Makes `path` a symlink to `target`, whatever `target` names (or
/// nothing).
pub fn symlink(dir: &cap_std::fs::Dir, target: &str, path: &str) -> Result<()> {
    Ok(dir.symlink_contents(target, path)?)
}

// ---------------------------------------------------------------------------
// Sockets

/// `send` flags: none. macOS and the BSDs have no `MSG_NOSIGNAL`; Rust
/// programs ignore `SIGPIPE` from their start, so a write to a socket
/// whose peer has gone is `EPIPE` here too.
pub const SEND_FLAGS: SendFlags = SendFlags::empty();

/// A new socket, then made non-blocking and close-on-exec (two more
/// calls: systems without `SOCK_CLOEXEC` have no single one).
pub fn new_socket(af: AddressFamily, kind: SocketType) -> Result<OwnedFd> {
    let fd = rustix::net::socket(af, kind, None)?;
    Ok(cloexec_nonblocking(fd)?)
}

/// Makes a new socket close-on-exec and non-blocking.
fn cloexec_nonblocking(fd: OwnedFd) -> rustix::io::Result<OwnedFd> {
    rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
    let fl = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, fl | OFlags::NONBLOCK)?;
    Ok(fd)
}

/// A socket's descriptor flags: `nonblock` or none.
pub fn socket_fdflags(fd: BorrowedFd<'_>) -> Result<FdFlags> {
    let nonblocking = rustix::fs::fcntl_getfl(fd)?.contains(OFlags::NONBLOCK);
    Ok(if nonblocking {
        FdFlags::NONBLOCK
    } else {
        FdFlags::empty()
    })
}

/// `recv` into `bufs` (`recv` for one buffer, `recvmsg` for more); true
/// when a datagram was longer than them.
pub fn recv(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    flags: rustix::net::RecvFlags,
) -> Result<(usize, bool)> {
    if let [one] = bufs {
        return Ok((rustix::net::recv(fd, &mut one[..], flags)?.0, false));
    }
    let mut control = rustix::net::RecvAncillaryBuffer::default();
    let msg = rustix::net::recvmsg(fd, bufs, &mut control, flags)?;
    Ok((
        msg.bytes,
        msg.flags.contains(rustix::net::ReturnFlags::TRUNC),
    ))
}

/// `send` from `bufs` (`send` for one buffer, `sendmsg` for more),
/// without `SIGPIPE` where the system can say so ([`SEND_FLAGS`]).
pub fn send(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> Result<usize> {
    if let [one] = bufs {
        return Ok(rustix::net::send(fd, one, crate::sys::SEND_FLAGS)?);
    }
    let mut control = rustix::net::SendAncillaryBuffer::default();
    Ok(rustix::net::sendmsg(
        fd,
        bufs,
        &mut control,
        crate::sys::SEND_FLAGS,
    )?)
}

/// Accepts a connection as a non-blocking, close-on-exec socket (then
/// made so: `accept4` is not everywhere).
pub fn accept(listener: BorrowedFd<'_>) -> rustix::io::Result<OwnedFd> {
    cloexec_nonblocking(rustix::net::accept(listener)?)
}

/// `accept` errors that concern one connection only (a system may report
/// the new connection's pending network errors from `accept`): the
/// listener skips them and goes on.
pub fn transient_accept_error(e: rustix::io::Errno) -> bool {
    use rustix::io::Errno as E;
    [
        E::CONNABORTED,
        E::NETDOWN,
        E::PROTO,
        E::NOPROTOOPT,
        E::HOSTDOWN,
        E::HOSTUNREACH,
        E::OPNOTSUPP,
        E::NETUNREACH,
        E::INTR,
    ]
    .contains(&e)
}

/// Linux doubles a socket buffer size given to `setsockopt` and reports
/// the doubled value; other systems report what was set.
pub const REPORTS_DOUBLED_BUFFER_SIZES: bool = cfg!(target_os = "linux");
