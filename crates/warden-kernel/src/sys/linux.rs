//! Linux's fast paths over the portable Unix layer (`unix.rs`): each call
//! here has a fallback there with the same results for the guest, and the
//! tests below hold the two to that.

pub use super::unix::*;

use crate::errno::{Errno, Result};
use crate::types::Advice;
use rustix::net::{AddressFamily, SendFlags, SocketFlags, SocketType};

/// `send` without `SIGPIPE` on a peer that has gone (`MSG_NOSIGNAL`).
pub const SEND_FLAGS: SendFlags = SendFlags::NOSIGNAL;

/// Reserves blocks for `offset..offset + len` (`fallocate`), or extends
/// the size where the filesystem cannot (what the guest observes).
pub fn allocate(file: &std::fs::File, offset: u64, len: u64) -> Result<()> {
    match rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), offset, len) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::OPNOTSUPP) => super::unix::allocate(file, offset, len),
        Err(e) => Err(e.into()),
    }
}

/// `posix_fadvise`; advice on a pipe is accepted and means nothing.
pub fn advise(file: &std::fs::File, offset: u64, len: u64, advice: Advice) -> Result<()> {
    use rustix::fs::Advice as A;
    let a = match advice {
        Advice::Normal => A::Normal,
        Advice::Sequential => A::Sequential,
        Advice::Random => A::Random,
        Advice::WillNeed => A::WillNeed,
        Advice::DontNeed => A::DontNeed,
        Advice::NoReuse => A::NoReuse,
    };
    match rustix::fs::fadvise(file, offset, std::num::NonZeroU64::new(len), a) {
        Err(rustix::io::Errno::SPIPE) => Ok(()),
        r => Ok(r?),
    }
}

/// Flushes the data, not every attribute (`fdatasync`).
pub fn datasync(file: &std::fs::File) -> Result<()> {
    Ok(rustix::fs::fdatasync(file)?)
}

/// A new socket, non-blocking and close-on-exec from its first instant
/// (one call: no window in which a concurrent `exec` inherits it).
pub fn new_socket(af: AddressFamily, kind: SocketType) -> Result<OwnedFd> {
    let flags = SocketFlags::CLOEXEC | SocketFlags::NONBLOCK;
    rustix::net::socket_with(af, kind, flags, None).map_err(Errno::from)
}

/// Accepts a connection, non-blocking and close-on-exec in one call
/// (`accept4`).
pub fn accept(listener: BorrowedFd<'_>) -> rustix::io::Result<OwnedFd> {
    rustix::net::accept_with(listener, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK)
}

/// The portable list, and Linux's `ENONET`.
pub fn transient_accept_error(e: rustix::io::Errno) -> bool {
    e == rustix::io::Errno::NONET || super::unix::transient_accept_error(e)
}

/// A host pipe, both ends close-on-exec from their first instant.
pub fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    Ok(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?)
}

#[cfg(test)]
mod tests {
    //! Each fast path against its portable fallback, on real files.
    use super::*;
    use crate::sys::unix;
    use std::io::Write;

    fn scratch(contents: &[u8]) -> (tempfile::TempDir, std::fs::File) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(contents)
            .unwrap();
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        (tmp, f)
    }

    #[test]
    fn allocate_grows_the_file_as_the_fallback_does() {
        for (offset, len) in [(0, 10), (3, 4), (100, 1), (5, 4096)] {
            let (_a, fast) = scratch(b"hello");
            let (_b, portable) = scratch(b"hello");
            allocate(&fast, offset, len).unwrap();
            unix::allocate(&portable, offset, len).unwrap();
            assert_eq!(
                fstat(&fast).unwrap().size,
                fstat(&portable).unwrap().size,
                "allocate({offset}, {len})"
            );
        }
    }

    #[test]
    fn advise_and_datasync_answer_as_the_fallbacks_do() {
        let (_t, f) = scratch(b"data");
        for a in [Advice::Normal, Advice::Sequential, Advice::DontNeed] {
            assert_eq!(advise(&f, 0, 4, a), unix::advise(&f, 0, 4, a));
        }
        let (r, _w) = rustix::pipe::pipe().unwrap();
        let pipe = std::fs::File::from(r);
        assert_eq!(advise(&pipe, 0, 0, Advice::Random), Ok(()));
        assert_eq!(unix::advise(&pipe, 0, 0, Advice::Random), Ok(()));
        assert_eq!(datasync(&f), unix::datasync(&f));
    }

    #[test]
    fn new_sockets_are_nonblocking_and_cloexec_as_the_fallback_makes_them() {
        for make in [new_socket, unix::new_socket] {
            let fd = make(AddressFamily::INET, SocketType::STREAM).unwrap();
            assert!(rustix::fs::fcntl_getfl(&fd)
                .unwrap()
                .contains(rustix::fs::OFlags::NONBLOCK));
            assert!(rustix::io::fcntl_getfd(&fd)
                .unwrap()
                .contains(rustix::io::FdFlags::CLOEXEC));
        }
    }
}
