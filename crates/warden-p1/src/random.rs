//! random_get.

use crate::{Cx, HostResult};

pub fn random_get(cx: &mut Cx<'_>, buf: u32, buf_len: u32) -> HostResult {
    // Straight into guest memory: no intermediate buffer.
    let random = &cx.kernel.random;
    Ok(random.fill(cx.mem.slice_mut(buf, buf_len)?)?)
}
