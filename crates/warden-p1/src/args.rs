//! args_get, args_sizes_get, environ_get, environ_sizes_get.

use crate::memory::GuestMemory;
use crate::{Cx, HostResult};
use warden_kernel::{Errno, Result};

/// Writes `items` as NUL-terminated strings at `buf` and their addresses at
/// `ptrs`, as argv/environ layouts want.
fn write_strings(mem: &mut GuestMemory<'_>, items: &[Vec<u8>], ptrs: u32, buf: u32) -> Result<()> {
    let mut at = buf;
    for (i, item) in items.iter().enumerate() {
        mem.write_u32(ptrs.checked_add(i as u32 * 4).ok_or(Errno::Fault)?, at)?;
        mem.write(at, item)?;
        let nul = at.checked_add(item.len() as u32).ok_or(Errno::Fault)?;
        mem.write_u8(nul, 0)?;
        at = nul + 1;
    }
    Ok(())
}

fn write_sizes(
    mem: &mut GuestMemory<'_>,
    items: &[Vec<u8>],
    count_ptr: u32,
    size_ptr: u32,
) -> Result<()> {
    let size: usize = items.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(count_ptr, items.len() as u32)?;
    mem.write_u32(size_ptr, u32::try_from(size).map_err(|_| Errno::Overflow)?)?;
    Ok(())
}

pub fn args_get(cx: &mut Cx<'_>, argv: u32, argv_buf: u32) -> HostResult {
    Ok(write_strings(&mut cx.mem, &cx.kernel.args, argv, argv_buf)?)
}

pub fn args_sizes_get(cx: &mut Cx<'_>, argc_ptr: u32, argv_buf_size_ptr: u32) -> HostResult {
    Ok(write_sizes(
        &mut cx.mem,
        &cx.kernel.args,
        argc_ptr,
        argv_buf_size_ptr,
    )?)
}

pub fn environ_get(cx: &mut Cx<'_>, environ: u32, environ_buf: u32) -> HostResult {
    Ok(write_strings(
        &mut cx.mem,
        &cx.kernel.env,
        environ,
        environ_buf,
    )?)
}

pub fn environ_sizes_get(
    cx: &mut Cx<'_>,
    environc_ptr: u32,
    environ_buf_size_ptr: u32,
) -> HostResult {
    Ok(write_sizes(
        &mut cx.mem,
        &cx.kernel.env,
        environc_ptr,
        environ_buf_size_ptr,
    )?)
}
