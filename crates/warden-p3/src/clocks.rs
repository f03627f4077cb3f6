//! wasi:clocks@0.3 — monotonic-clock (with the async `wait-for` and
//! `wait-until`, which sleep on the tokio timer without blocking the
//! thread), system-clock.

use crate::bindings::wasi::clocks::{monotonic_clock, system_clock, types};
use crate::{WasiP3, WasiP3Ctx};
use std::future::Future;
use std::time::Duration;
use warden_kernel::clock::{Clock, Clocks};
use wasmtime::component::Accessor;

impl types::Host for WasiP3Ctx<'_> {}

impl monotonic_clock::Host for WasiP3Ctx<'_> {
    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(self.kernel.clocks.now(Clock::Monotonic))
    }
    fn get_resolution(&mut self) -> wasmtime::Result<u64> {
        Ok(self.kernel.clocks.resolution(Clock::Monotonic))
    }
}

impl<T> monotonic_clock::HostWithStore<T> for WasiP3 {
    fn wait_until(
        accessor: &Accessor<T, Self>,
        when: u64,
    ) -> impl Future<Output = wasmtime::Result<()>> + Send {
        let clocks = accessor.with(|mut access| access.get().kernel.clocks.clone());
        sleep(clocks, when)
    }
    fn wait_for(
        accessor: &Accessor<T, Self>,
        how_long: u64,
    ) -> impl Future<Output = wasmtime::Result<()>> + Send {
        let clocks = accessor.with(|mut access| access.get().kernel.clocks.clone());
        let until = clocks.monotonic().saturating_add(how_long);
        sleep(clocks, until)
    }
}

/// Sleeps until monotonic `until` on the tokio timer: the guest's task
/// waits, the thread does not. In virtual time, time jumps there at once.
async fn sleep(clocks: Clocks, until: u64) -> wasmtime::Result<()> {
    if clocks.is_virtual() {
        clocks.advance_to(until);
        return Ok(());
    }
    let ns = until.saturating_sub(clocks.monotonic());
    if ns > 0 {
        tokio::time::sleep(Duration::from_nanos(ns)).await;
    }
    Ok(())
}

impl system_clock::Host for WasiP3Ctx<'_> {
    fn now(&mut self) -> wasmtime::Result<system_clock::Instant> {
        Ok(instant(self.kernel.clocks.now(Clock::Realtime)))
    }
    fn get_resolution(&mut self) -> wasmtime::Result<u64> {
        Ok(self.kernel.clocks.resolution(Clock::Realtime))
    }
}

/// A `system-clock` instant for the kernel's nanoseconds since the epoch
/// (which wrap before the epoch: read them signed).
pub fn instant(ns: u64) -> system_clock::Instant {
    let ns = ns as i64 as i128;
    system_clock::Instant {
        seconds: ns.div_euclid(1_000_000_000) as i64,
        nanoseconds: ns.rem_euclid(1_000_000_000) as u32,
    }
}
