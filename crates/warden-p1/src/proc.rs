//! proc_exit, proc_raise, sched_yield.

use crate::{Cx, Fail, HostResult};
use warden_kernel::proc::{signal_action, ProcExit, SignalAction};
use warden_kernel::Errno;

/// The trap that ends the guest with `rval` as its exit status.
pub fn proc_exit(rval: u32) -> wasmtime::Error {
    wasmtime::Error::new(ProcExit(rval as i32))
}

/// Applies the default action of `sig` to the guest alone; the host process
/// is never signalled.
pub fn proc_raise(_cx: &mut Cx<'_>, sig: u32) -> HostResult {
    let sig = u8::try_from(sig).map_err(|_| Errno::Inval)?;
    match signal_action(sig).ok_or(Errno::Inval)? {
        SignalAction::Ignore => Ok(()),
        SignalAction::Stop => Err(Errno::Notsup.into()),
        SignalAction::Terminate(s) => Err(Fail::Trap(wasmtime::Error::new(s))),
    }
}

pub fn sched_yield(_cx: &mut Cx<'_>) -> HostResult {
    std::thread::yield_now();
    Ok(())
}
