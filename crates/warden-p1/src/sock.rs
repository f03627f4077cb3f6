//! sock_accept, sock_recv, sock_send, sock_shutdown.

use crate::{Cx, HostResult};
use std::sync::Arc;
use warden_kernel::types::{FdFlags, Rights};
use warden_kernel::{Descriptor, Errno, Object};

pub fn sock_accept(cx: &mut Cx<'_>, fd: u32, flags: u32, fd_ptr: u32) -> HostResult {
    let sock = cx.kernel.fds.get(fd)?.socket(Rights::SOCK_ACCEPT)?.clone();
    let flags = u16::try_from(flags)
        .ok()
        .and_then(FdFlags::from_bits)
        .ok_or(Errno::Inval)?;
    if flags.intersects(!FdFlags::NONBLOCK) {
        return Err(Errno::Inval.into());
    }
    cx.mem.slice(fd_ptr, 4)?;
    if !flags.contains(FdFlags::NONBLOCK) {
        sock.wait_within(true, cx.kernel.deadline)?;
    }
    let conn = sock.accept(flags)?;
    let rights = Rights::SOCKET & !Rights::SOCK_ACCEPT;
    let new_fd = cx.kernel.fds.insert(Descriptor::new(
        Object::Socket(Arc::new(conn)),
        rights,
        Rights::empty(),
    ))?;
    Ok(cx.mem.write_u32(fd_ptr, new_fd)?)
}

pub fn sock_recv(
    cx: &mut Cx<'_>,
    fd: u32,
    ri_data: u32,
    ri_data_len: u32,
    ri_flags: u32,
    ro_datalen_ptr: u32,
    ro_flags_ptr: u32,
) -> HostResult {
    const PEEK: u32 = 1;
    const WAITALL: u32 = 2;
    let sock = cx.kernel.fds.get(fd)?.socket(Rights::FD_READ)?;
    if ri_flags & !(PEEK | WAITALL) != 0 {
        return Err(Errno::Inval.into());
    }
    cx.mem.slice(ro_datalen_ptr, 4)?;
    cx.mem.slice(ro_flags_ptr, 2)?;
    let iovs = cx.mem.iovs(ri_data, ri_data_len)?;
    let (peek, wait_all) = (ri_flags & PEEK != 0, ri_flags & WAITALL != 0);
    sock.wait_within(true, cx.kernel.deadline)?;
    let received = cx
        .mem
        .read_into(&iovs, |bufs| sock.recv(bufs, peek, wait_all))?;
    cx.mem.write_u32(ro_datalen_ptr, received.len as u32)?;
    Ok(cx.mem.write_u16(ro_flags_ptr, received.truncated as u16)?)
}

pub fn sock_send(
    cx: &mut Cx<'_>,
    fd: u32,
    si_data: u32,
    si_data_len: u32,
    _si_flags: u32,
    so_datalen_ptr: u32,
) -> HostResult {
    cx.mem.slice(so_datalen_ptr, 4)?;
    let sock = cx.kernel.fds.get(fd)?.socket(Rights::FD_WRITE)?;
    let iovs = cx.mem.iovs(si_data, si_data_len)?;
    sock.wait_within(false, cx.kernel.deadline)?;
    let n = sock.send(&cx.mem.io_slices(&iovs)?)?;
    Ok(cx.mem.write_u32(so_datalen_ptr, n as u32)?)
}

pub fn sock_shutdown(cx: &mut Cx<'_>, fd: u32, how: u32) -> HostResult {
    const RD: u32 = 1;
    const WR: u32 = 2;
    let sock = cx.kernel.fds.get(fd)?.socket(Rights::SOCK_SHUTDOWN)?;
    if how == 0 || how & !(RD | WR) != 0 {
        return Err(Errno::Inval.into());
    }
    Ok(sock.shutdown(how & RD != 0, how & WR != 0)?)
}
