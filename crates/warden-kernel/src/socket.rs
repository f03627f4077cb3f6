//! Sockets: TCP listeners granted by the embedder and the connections they
//! accept.

use crate::errno::{Errno, Result};
use crate::sys::BorrowedFd;
use crate::types::FdFlags;
use rustix::net::{RecvFlags, Shutdown};
use std::io::{IoSlice, IoSliceMut};

/// A socket a guest holds.
pub enum Socket {
    TcpListener(std::net::TcpListener),
    TcpStream(std::net::TcpStream),
}

/// What `recv` returned.
pub struct Received {
    pub len: usize,
    /// The message was longer than the buffers (datagrams only).
    pub truncated: bool,
}

impl Socket {
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Socket::TcpListener(l) => crate::sys::borrow(l),
            Socket::TcpStream(s) => crate::sys::borrow(s),
        }
    }

    /// Accepts a connection; the new socket gets `flags` (only nonblock
    /// means anything here).
    pub fn accept(&self, flags: FdFlags) -> Result<Socket> {
        let Socket::TcpListener(l) = self else {
            return Err(Errno::Inval);
        };
        if flags.contains(FdFlags::NONBLOCK) {
            // A non-blocking accept: `again` when nothing is pending, even
            // on a blocking listener.
            if !crate::poll::ready_now(crate::sys::borrow(l), true)? {
                return Err(Errno::Again);
            }
        }
        let (stream, _) = l.accept()?;
        stream.set_nonblocking(flags.contains(FdFlags::NONBLOCK))?;
        Ok(Socket::TcpStream(stream))
    }

    pub fn recv(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        peek: bool,
        wait_all: bool,
    ) -> Result<Received> {
        let Socket::TcpStream(s) = self else {
            return Err(Errno::Notconn);
        };
        let mut flags = RecvFlags::empty();
        if peek {
            flags |= RecvFlags::PEEK;
        }
        if wait_all {
            flags |= RecvFlags::WAITALL;
        }
        let (len, truncated) = crate::sys::recv(crate::sys::borrow(s), bufs, flags)?;
        Ok(Received { len, truncated })
    }

    pub fn send(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        let Socket::TcpStream(s) = self else {
            return Err(Errno::Notconn);
        };
        crate::sys::send(crate::sys::borrow(s), bufs)
    }

    pub fn shutdown(&self, read: bool, write: bool) -> Result<()> {
        let how = match (read, write) {
            (true, true) => Shutdown::Both,
            (true, false) => Shutdown::Read,
            (false, true) => Shutdown::Write,
            (false, false) => return Err(Errno::Inval),
        };
        match self {
            Socket::TcpStream(s) => Ok(rustix::net::shutdown(s, how)?),
            Socket::TcpListener(_) => Err(Errno::Notconn),
        }
    }

    /// Under the guest's time limit `limit`, waits until a blocking call on
    /// this socket (accept, recv: `read`; send: not `read`) would not
    /// block, so the limit can end it; a non-blocking socket never waits.
    pub fn wait_within(
        &self,
        read: bool,
        limit: Option<u64>,
    ) -> std::result::Result<(), crate::poll::WaitError> {
        if limit.is_none() || self.fdflags()?.contains(FdFlags::NONBLOCK) {
            return Ok(());
        }
        let interest = crate::poll::Interest {
            fd: self.as_fd(),
            read,
        };
        crate::poll::wait_within(&[interest], None, limit).map(|_| ())
    }

    pub fn fdflags(&self) -> Result<FdFlags> {
        crate::sys::socket_fdflags(self.as_fd())
    }

    pub fn set_fdflags(&self, flags: FdFlags) -> Result<()> {
        if flags.intersects(!FdFlags::NONBLOCK) {
            return Err(Errno::Inval);
        }
        let nonblock = flags.contains(FdFlags::NONBLOCK);
        match self {
            Socket::TcpListener(l) => l.set_nonblocking(nonblock)?,
            Socket::TcpStream(s) => s.set_nonblocking(nonblock)?,
        }
        Ok(())
    }

    /// The socket's attributes.
    pub fn stat(&self) -> Result<crate::types::Filestat> {
        let mut st = crate::sys::socket_stat(self.as_fd())?;
        st.filetype = Some(crate::types::FileType::SocketStream);
        Ok(st)
    }

    /// Bytes readable now without blocking.
    pub fn readable_bytes(&self) -> u64 {
        crate::sys::readable_bytes(self.as_fd())
    }
}
