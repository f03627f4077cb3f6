//! The fd_* functions: operations on an open descriptor.

use crate::abi::DIRENT_SIZE;
use crate::{Cx, HostResult};
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;
use warden_kernel::table::Stream;
use warden_kernel::types::{Advice, FdFlags, Filestat, Rights, SetTime, Whence};
use warden_kernel::{Errno, Object, Result};

fn advice(raw: u32) -> Result<Advice> {
    Ok(match raw {
        0 => Advice::Normal,
        1 => Advice::Sequential,
        2 => Advice::Random,
        3 => Advice::WillNeed,
        4 => Advice::DontNeed,
        5 => Advice::NoReuse,
        _ => return Err(Errno::Inval),
    })
}

/// Decodes `fstflags` into what to do with each timestamp.
pub(crate) fn set_times(atim: u64, mtim: u64, fst_flags: u32) -> Result<(SetTime, SetTime)> {
    const ATIM: u32 = 1;
    const ATIM_NOW: u32 = 2;
    const MTIM: u32 = 4;
    const MTIM_NOW: u32 = 8;
    if fst_flags & !0xf != 0
        || fst_flags & (ATIM | ATIM_NOW) == ATIM | ATIM_NOW
        || fst_flags & (MTIM | MTIM_NOW) == MTIM | MTIM_NOW
    {
        return Err(Errno::Inval);
    }
    let pick = |set: u32, now: u32, t: u64| {
        if fst_flags & now != 0 {
            SetTime::Now
        } else if fst_flags & set != 0 {
            SetTime::At(t)
        } else {
            SetTime::Keep
        }
    };
    Ok((pick(ATIM, ATIM_NOW, atim), pick(MTIM, MTIM_NOW, mtim)))
}

pub fn fd_advise(cx: &mut Cx<'_>, fd: u32, offset: u64, len: u64, adv: u32) -> HostResult {
    let d = cx.kernel.fds.get(fd)?;
    if let Object::Socket(_) = d.object {
        return Err(Errno::Spipe.into());
    }
    d.require(Rights::FD_ADVISE)?;
    let adv = advice(adv)?;
    match &d.object {
        Object::File(f) => Ok(f.advise(offset, len, adv)?),
        _ => Ok(()),
    }
}

pub fn fd_allocate(cx: &mut Cx<'_>, fd: u32, offset: u64, len: u64) -> HostResult {
    let f = cx.kernel.fds.get(fd)?.file(Rights::FD_ALLOCATE)?;
    if len == 0 {
        return Err(Errno::Inval.into());
    }
    Ok(f.allocate(offset, len)?)
}

pub fn fd_close(cx: &mut Cx<'_>, fd: u32) -> HostResult {
    cx.kernel.fds.remove(fd)?;
    Ok(())
}

pub fn fd_datasync(cx: &mut Cx<'_>, fd: u32) -> HostResult {
    Ok(cx
        .kernel
        .fds
        .get(fd)?
        .file(Rights::FD_DATASYNC)?
        .datasync()?)
}

pub fn fd_fdstat_get(cx: &mut Cx<'_>, fd: u32, stat_ptr: u32) -> HostResult {
    let d = cx.kernel.fds.get(fd)?;
    let flags = match &d.object {
        Object::File(f) => f.fdflags()?,
        Object::Dir(_) => d.dir_flags,
        Object::Socket(s) => s.fdflags()?,
    };
    let mut b = [0u8; 24];
    b[0] = d.filetype() as u8;
    b[2..4].copy_from_slice(&flags.bits().to_le_bytes());
    b[8..16].copy_from_slice(&d.rights.bits().to_le_bytes());
    b[16..24].copy_from_slice(&d.inheriting.bits().to_le_bytes());
    Ok(cx.mem.write(stat_ptr, &b)?)
}

pub fn fd_fdstat_set_flags(cx: &mut Cx<'_>, fd: u32, flags: u32) -> HostResult {
    let d = cx.kernel.fds.get_mut(fd)?;
    d.require(Rights::FD_FDSTAT_SET_FLAGS)?;
    let flags = u16::try_from(flags)
        .ok()
        .and_then(FdFlags::from_bits)
        .ok_or(Errno::Inval)?;
    match &d.object {
        Object::File(f) => f.set_fdflags(flags)?,
        Object::Socket(s) => s.set_fdflags(flags)?,
        Object::Dir(_) => d.dir_flags = flags,
    }
    Ok(())
}

pub fn fd_fdstat_set_rights(
    cx: &mut Cx<'_>,
    fd: u32,
    fs_rights_base: u64,
    fs_rights_inheriting: u64,
) -> HostResult {
    let d = cx.kernel.fds.get_mut(fd)?;
    let base = Rights::from_bits(fs_rights_base).ok_or(Errno::Notcapable)?;
    let inheriting = Rights::from_bits(fs_rights_inheriting).ok_or(Errno::Notcapable)?;
    // Rights only shrink.
    if !d.rights.contains(base) || !d.inheriting.contains(inheriting) {
        return Err(Errno::Notcapable.into());
    }
    d.rights = base;
    d.inheriting = inheriting;
    Ok(())
}

pub fn fd_filestat_get(cx: &mut Cx<'_>, fd: u32, stat_ptr: u32) -> HostResult {
    let d = cx.kernel.fds.get(fd)?;
    d.require(Rights::FD_FILESTAT_GET)?;
    let mut st = match &d.object {
        Object::File(f) => f.stat()?,
        Object::Dir(dir) => dir.stat()?,
        Object::Socket(s) => s.stat()?,
    };
    if let Some(ft) = d.host_stream {
        st = Filestat {
            filetype: Some(ft),
            ..Filestat::default()
        };
    }
    Ok(cx.abi.write_filestat(&mut cx.mem, stat_ptr, &st)?)
}

pub fn fd_filestat_set_size(cx: &mut Cx<'_>, fd: u32, size: u64) -> HostResult {
    let f = cx.kernel.fds.get(fd)?.file(Rights::FD_FILESTAT_SET_SIZE)?;
    if size > i64::MAX as u64 {
        return Err(Errno::Fbig.into());
    }
    Ok(f.set_size(size)?)
}

pub fn fd_filestat_set_times(
    cx: &mut Cx<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> HostResult {
    let d = cx.kernel.fds.get(fd)?;
    d.require(Rights::FD_FILESTAT_SET_TIMES)?;
    let (a, m) = set_times(atim, mtim, fst_flags)?;
    match &d.object {
        Object::File(f) => Ok(f.set_times(a, m)?),
        Object::Dir(dir) => Ok(dir.set_times(a, m)?),
        Object::Socket(_) => Err(Errno::Badf.into()),
    }
}

pub fn fd_pread(
    cx: &mut Cx<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread_ptr: u32,
) -> HostResult {
    let f = cx
        .kernel
        .fds
        .get(fd)?
        .file(Rights::FD_READ | Rights::FD_SEEK)?;
    let iovs = cx.mem.iovs(iovs, iovs_len)?;
    cx.mem.slice(nread_ptr, 4)?;
    let n = cx.mem.read_into(&iovs, |bufs| f.pread(bufs, offset))?;
    Ok(cx.mem.write_u32(nread_ptr, n as u32)?)
}

pub fn fd_prestat_get(cx: &mut Cx<'_>, fd: u32, prestat_ptr: u32) -> HostResult {
    let d = cx.kernel.fds.get(fd)?;
    let name = d.preopen.as_ref().ok_or(Errno::Badf)?;
    let mut b = [0u8; 8];
    b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
    Ok(cx.mem.write(prestat_ptr, &b)?)
}

pub fn fd_prestat_dir_name(cx: &mut Cx<'_>, fd: u32, path: u32, path_len: u32) -> HostResult {
    let d = cx.kernel.fds.get(fd)?;
    let name = d.preopen.as_ref().ok_or(Errno::Badf)?;
    if (path_len as usize) < name.len() {
        return Err(Errno::Nametoolong.into());
    }
    Ok(cx.mem.write(path, name)?)
}

pub fn fd_pwrite(
    cx: &mut Cx<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten_ptr: u32,
) -> HostResult {
    let f = cx
        .kernel
        .fds
        .get(fd)?
        .file(Rights::FD_WRITE | Rights::FD_SEEK)?;
    let iovs = cx.mem.iovs(iovs, iovs_len)?;
    cx.mem.slice(nwritten_ptr, 4)?;
    let n = f.pwrite(&cx.mem.io_slices(&iovs)?, offset)?;
    Ok(cx.mem.write_u32(nwritten_ptr, n as u32)?)
}

pub fn fd_read(cx: &mut Cx<'_>, fd: u32, iovs: u32, iovs_len: u32, nread_ptr: u32) -> HostResult {
    let stream = cx.kernel.fds.get(fd)?.stream(Rights::FD_READ)?;
    cx.mem.slice(nread_ptr, 4)?;
    stream.wait_within(true, cx.kernel.deadline)?;
    if iovs_len == 1 {
        // The common case (one buffer): read straight into it.
        let buf = cx.mem.single_iov_mut(iovs)?;
        let n = match stream {
            Stream::File(f) => f.read(&mut [IoSliceMut::new(buf)])?,
            Stream::Socket(s) => s.recv(&mut [IoSliceMut::new(buf)], false, false)?.len,
        };
        return Ok(cx.mem.write_u32(nread_ptr, n as u32)?);
    }
    let iovs = cx.mem.iovs(iovs, iovs_len)?;
    let n = match stream {
        Stream::File(f) => cx.mem.read_into(&iovs, |bufs| f.read(bufs))?,
        Stream::Socket(s) => {
            cx.mem
                .read_into(&iovs, |bufs| s.recv(bufs, false, false))?
                .len
        }
    };
    Ok(cx.mem.write_u32(nread_ptr, n as u32)?)
}

pub fn fd_readdir(
    cx: &mut Cx<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused_ptr: u32,
) -> HostResult {
    let dir = cx.kernel.fds.get_mut(fd)?.dir(Rights::FD_READDIR)?.clone();
    cx.mem.slice(bufused_ptr, 4)?;
    let out = cx.mem.slice_mut(buf, buf_len)?;
    let cached = match &cx.kernel.fds.get_mut(fd)?.listing {
        Some(l) if cookie != 0 => Some(l.clone()),
        _ => None,
    };
    let listing = match cached {
        Some(l) => l,
        None => {
            let mut entries = dir.read_dir()?;
            cx.kernel.order_listing(&mut entries);
            let l = Arc::new(entries);
            cx.kernel.fds.get_mut(fd)?.listing = Some(l.clone());
            l
        }
    };
    let mut used = 0usize;
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, entry) in listing.iter().enumerate().skip(start) {
        let mut header = [0u8; DIRENT_SIZE];
        header[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        header[8..16].copy_from_slice(&entry.ino.to_le_bytes());
        header[16..20].copy_from_slice(&(entry.name.len() as u32).to_le_bytes());
        header[20] = entry.filetype as u8;
        for part in [&header[..], &entry.name[..]] {
            let n = part.len().min(out.len() - used);
            out[used..used + n].copy_from_slice(&part[..n]);
            used += n;
        }
        if used == out.len() {
            break;
        }
    }
    Ok(cx.mem.write_u32(bufused_ptr, used as u32)?)
}

pub fn fd_renumber(cx: &mut Cx<'_>, fd: u32, to: u32) -> HostResult {
    Ok(cx.kernel.fds.renumber(fd, to)?)
}

pub fn fd_seek(
    cx: &mut Cx<'_>,
    fd: u32,
    offset: i64,
    whence: u32,
    newoffset_ptr: u32,
) -> HostResult {
    let d = cx.kernel.fds.get(fd)?;
    let whence = u8::try_from(whence)
        .map_err(|_| Errno::Inval)
        .and_then(|w| cx.abi.whence(w));
    // Asking where we are needs only fd_tell (or fd_seek).
    let f = if offset == 0 && whence == Ok(Whence::Cur) && d.rights.contains(Rights::FD_TELL) {
        d.seekable_file(Rights::FD_TELL)?
    } else {
        d.seekable_file(Rights::FD_SEEK)?
    };
    let whence = whence?;
    cx.mem.slice(newoffset_ptr, 8)?;
    let pos = f.seek(offset, whence)?;
    Ok(cx.mem.write_u64(newoffset_ptr, pos)?)
}

pub fn fd_sync(cx: &mut Cx<'_>, fd: u32) -> HostResult {
    let d = cx.kernel.fds.get(fd)?;
    d.require(Rights::FD_SYNC)?;
    match &d.object {
        Object::File(f) => Ok(f.sync()?),
        Object::Dir(dir) => Ok(dir.sync()?),
        Object::Socket(_) => Err(Errno::Inval.into()),
    }
}

pub fn fd_tell(cx: &mut Cx<'_>, fd: u32, offset_ptr: u32) -> HostResult {
    let f = cx.kernel.fds.get(fd)?.seekable_file(Rights::FD_TELL)?;
    cx.mem.slice(offset_ptr, 8)?;
    let pos = f.seek(0, Whence::Cur)?;
    Ok(cx.mem.write_u64(offset_ptr, pos)?)
}

pub fn fd_write(
    cx: &mut Cx<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten_ptr: u32,
) -> HostResult {
    let stream = cx.kernel.fds.get(fd)?.stream(Rights::FD_WRITE)?;
    cx.mem.slice(nwritten_ptr, 4)?;
    stream.wait_within(false, cx.kernel.deadline)?;
    if iovs_len == 1 {
        // The common case (one buffer): no iovec list at all.
        let buf = cx.mem.single_iov(iovs)?;
        let n = match stream {
            Stream::File(f) => f.write(&[IoSlice::new(buf)])?,
            Stream::Socket(s) => s.send(&[IoSlice::new(buf)])?,
        };
        return Ok(cx.mem.write_u32(nwritten_ptr, n as u32)?);
    }
    let iovs = cx.mem.iovs(iovs, iovs_len)?;
    let bufs = cx.mem.io_slices(&iovs)?;
    let n = match stream {
        Stream::File(f) => f.write(&bufs)?,
        Stream::Socket(s) => s.send(&bufs)?,
    };
    drop(bufs);
    Ok(cx.mem.write_u32(nwritten_ptr, n as u32)?)
}
