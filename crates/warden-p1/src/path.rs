//! The path_* functions: operations on paths beneath a directory descriptor.
//!
//! Each reads the guest path, checks it once ([`check_path`]) and hands it
//! to the directory's backend, which resolves it without leaving the
//! directory.

use crate::fd::set_times;
use crate::{Cx, HostResult};
use std::sync::Arc;
use warden_kernel::fs::{check_path, check_symlink_target, Dir, Opened};
use warden_kernel::types::{FdFlags, OpenOptions, Rights};
use warden_kernel::{Descriptor, Errno, Object, Result};

const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

fn follow(lookup_flags: u32) -> Result<bool> {
    if lookup_flags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(lookup_flags & LOOKUP_SYMLINK_FOLLOW != 0)
}

/// The directory `fd` (holding `rights`) and the checked path at
/// `path`/`len`.
fn dir_and_path<'a>(
    cx: &'a Cx<'_>,
    fd: u32,
    rights: Rights,
    path: u32,
    len: u32,
) -> Result<(Arc<dyn Dir>, &'a str)> {
    let dir = cx.kernel.fds.get(fd)?.dir(rights)?.clone();
    let path = check_path(cx.mem.bytes(path, len)?)?;
    Ok((dir, path))
}

pub fn path_create_directory(cx: &mut Cx<'_>, fd: u32, path: u32, path_len: u32) -> HostResult {
    let (dir, path) = dir_and_path(cx, fd, Rights::PATH_CREATE_DIRECTORY, path, path_len)?;
    Ok(dir.create_dir_at(path)?)
}

pub fn path_filestat_get(
    cx: &mut Cx<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    stat_ptr: u32,
) -> HostResult {
    let (dir, path) = dir_and_path(cx, fd, Rights::PATH_FILESTAT_GET, path, path_len)?;
    let follow = follow(flags)?;
    let st = dir.stat_at(path, follow)?;
    Ok(cx.abi.write_filestat(&mut cx.mem, stat_ptr, &st)?)
}

#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    cx: &mut Cx<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> HostResult {
    let (dir, path) = dir_and_path(cx, fd, Rights::PATH_FILESTAT_SET_TIMES, path, path_len)?;
    let follow = follow(flags)?;
    let (a, m) = set_times(atim, mtim, fst_flags)?;
    Ok(dir.set_times_at(path, follow, a, m)?)
}

#[allow(clippy::too_many_arguments)]
pub fn path_link(
    cx: &mut Cx<'_>,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> HostResult {
    let (old_dir, old_path) =
        dir_and_path(cx, old_fd, Rights::PATH_LINK_SOURCE, old_path, old_path_len)?;
    let (new_dir, new_path) =
        dir_and_path(cx, new_fd, Rights::PATH_LINK_TARGET, new_path, new_path_len)?;
    let follow = follow(old_flags)?;
    Ok(old_dir.link_at(old_path, follow, &*new_dir, new_path)?)
}

/// Rights that open a file for reading, and for writing.
const READ_RIGHTS: Rights = Rights::FD_READ.union(Rights::FD_READDIR);
const WRITE_RIGHTS: Rights = Rights::FD_WRITE
    .union(Rights::FD_ALLOCATE)
    .union(Rights::FD_FILESTAT_SET_SIZE);

#[allow(clippy::too_many_arguments)]
pub fn path_open(
    cx: &mut Cx<'_>,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    oflags: u32,
    fs_rights_base: u64,
    fs_rights_inheriting: u64,
    fdflags: u32,
    fd_ptr: u32,
) -> HostResult {
    const CREAT: u32 = 1;
    const DIRECTORY: u32 = 2;
    const EXCL: u32 = 4;
    const TRUNC: u32 = 8;
    // The descriptor first (badf, notdir, notcapable), then the flags.
    let parent = cx.kernel.fds.get(fd)?;
    let mut needed = Rights::PATH_OPEN;
    if oflags & CREAT != 0 {
        needed |= Rights::PATH_CREATE_FILE;
    }
    if oflags & TRUNC != 0 {
        needed |= Rights::PATH_FILESTAT_SET_SIZE;
    }
    let dir = parent.dir(needed)?.clone();
    let follow = follow(dirflags)?;
    if oflags & !0xf != 0 {
        return Err(Errno::Inval.into());
    }
    let fdflags = u16::try_from(fdflags)
        .ok()
        .and_then(FdFlags::from_bits)
        .ok_or(Errno::Inval)?;
    // Unknown right bits cannot be granted.
    let base = Rights::from_bits(fs_rights_base).ok_or(Errno::Notcapable)?;
    Rights::from_bits(fs_rights_inheriting).ok_or(Errno::Notcapable)?;
    // What the new descriptor may do is what its directory may hand on, as
    // in Wasmtime and wazero: the rights asked for only choose whether a file
    // is opened for reading and/or writing. Programs (Rust's std helpers, the
    // preview1 adapter) open directories with rights 0 and then work inside
    // them. Only rights the directory lost by `fd_fdstat_set_rights` are
    // refused; a read-only mount stays read-only through its backend.
    let parent_inheriting = parent.inheriting;
    // O_CREAT and O_TRUNC with read rights only open for reading, as POSIX's
    // open(O_RDONLY | O_CREAT) does (the backend may need write access to
    // create; the rights keep the descriptor read-only).
    let write = base.intersects(WRITE_RIGHTS);
    if write && !parent_inheriting.contains(Rights::FD_WRITE) {
        return Err(Errno::Notcapable.into());
    }
    let path = check_path(cx.mem.bytes(path, path_len)?)?;
    cx.mem.slice(fd_ptr, 4)?;

    let opts = OpenOptions {
        read: base.intersects(READ_RIGHTS) || !write,
        write,
        create: oflags & CREAT != 0,
        exclusive: oflags & EXCL != 0,
        truncate: oflags & TRUNC != 0,
        directory: oflags & DIRECTORY != 0,
        follow,
        fdflags,
    };
    let descriptor = match dir.open_at(path, &opts)? {
        Opened::File(f) => {
            // Report the access mode as rights (wasi-libc's fcntl(F_GETFL)
            // reads it from them): no read rights on a file opened only for
            // writing, no write rights on one opened only for reading.
            let mut rights = parent_inheriting & Rights::REGULAR_FILE;
            if !opts.read {
                rights -= READ_RIGHTS;
            }
            if !opts.write {
                rights -= WRITE_RIGHTS;
            }
            // A file opens nothing beneath it: no inheriting rights.
            Descriptor::new(Object::File(f), rights, Rights::empty())
        }
        Opened::Dir(d) => {
            let mut desc = Descriptor::new(
                Object::Dir(d),
                parent_inheriting & Rights::DIRECTORY,
                parent_inheriting,
            );
            desc.dir_flags = fdflags;
            desc
        }
    };
    let new_fd = cx.kernel.fds.insert(descriptor)?;
    Ok(cx.mem.write_u32(fd_ptr, new_fd)?)
}

pub fn path_readlink(
    cx: &mut Cx<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    bufused_ptr: u32,
) -> HostResult {
    let (dir, path) = dir_and_path(cx, fd, Rights::PATH_READLINK, path, path_len)?;
    cx.mem.slice(bufused_ptr, 4)?;
    cx.mem.slice(buf, buf_len)?;
    let target = dir.readlink_at(path)?;
    let out = cx.mem.slice_mut(buf, buf_len)?;
    // Like readlink(2): the contents, cut to the buffer, no NUL.
    let n = target.len().min(out.len());
    out[..n].copy_from_slice(&target[..n]);
    Ok(cx.mem.write_u32(bufused_ptr, n as u32)?)
}

pub fn path_remove_directory(cx: &mut Cx<'_>, fd: u32, path: u32, path_len: u32) -> HostResult {
    let (dir, path) = dir_and_path(cx, fd, Rights::PATH_REMOVE_DIRECTORY, path, path_len)?;
    Ok(dir.remove_dir_at(path)?)
}

pub fn path_rename(
    cx: &mut Cx<'_>,
    fd: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> HostResult {
    let (old_dir, old_path) =
        dir_and_path(cx, fd, Rights::PATH_RENAME_SOURCE, old_path, old_path_len)?;
    let (new_dir, new_path) = dir_and_path(
        cx,
        new_fd,
        Rights::PATH_RENAME_TARGET,
        new_path,
        new_path_len,
    )?;
    Ok(old_dir.rename_at(old_path, &*new_dir, new_path)?)
}

pub fn path_symlink(
    cx: &mut Cx<'_>,
    old_path: u32,
    old_path_len: u32,
    fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> HostResult {
    let (dir, new_path) = dir_and_path(cx, fd, Rights::PATH_SYMLINK, new_path, new_path_len)?;
    let target = check_symlink_target(cx.mem.bytes(old_path, old_path_len)?)?;
    Ok(dir.symlink_at(target, new_path)?)
}

pub fn path_unlink_file(cx: &mut Cx<'_>, fd: u32, path: u32, path_len: u32) -> HostResult {
    let (dir, path) = dir_and_path(cx, fd, Rights::PATH_UNLINK_FILE, path, path_len)?;
    Ok(dir.unlink_file_at(path)?)
}
