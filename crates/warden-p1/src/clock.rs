//! clock_res_get, clock_time_get.

use crate::{Cx, HostResult};
use warden_kernel::clock::Clock;

pub fn clock_res_get(cx: &mut Cx<'_>, id: u32, resolution_ptr: u32) -> HostResult {
    let clock = Clock::from_id(id)?;
    Ok(cx
        .mem
        .write_u64(resolution_ptr, cx.kernel.clocks.resolution(clock))?)
}

pub fn clock_time_get(cx: &mut Cx<'_>, id: u32, _precision: u64, time_ptr: u32) -> HostResult {
    // The precision is a hint; the host clock is always as precise as it can be.
    let clock = Clock::from_id(id)?;
    let now = cx.kernel.clocks.now(clock);
    Ok(cx.mem.write_u64(time_ptr, now)?)
}
