//! wasi:clocks@0.3 — monotonic-clock (with the async `wait-for` and
//! `wait-until`, which sleep on the tokio timer without blocking the
//! thread), system-clock.

use crate::bindings::wasi::clocks::{monotonic_clock, system_clock, types};
use crate::{WasiP3, WasiP3Ctx};
use std::future::Future;
use std::time::Duration;
use warden_kernel::clock::Clock;
use wasmtime::component::Accessor;

impl types::Host for WasiP3Ctx<'_> {}

impl monotonic_clock::Host for WasiP3Ctx<'_> {
    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(Clock::Monotonic.now())
    }
    fn get_resolution(&mut self) -> wasmtime::Result<u64> {
        Ok(Clock::Monotonic.resolution())
    }
}

impl<T> monotonic_clock::HostWithStore<T> for WasiP3 {
    fn wait_until(
        _: &Accessor<T, Self>,
        when: u64,
    ) -> impl Future<Output = wasmtime::Result<()>> + Send {
        let now = Clock::Monotonic.now();
        sleep(when.saturating_sub(now))
    }
    fn wait_for(
        _: &Accessor<T, Self>,
        how_long: u64,
    ) -> impl Future<Output = wasmtime::Result<()>> + Send {
        sleep(how_long)
    }
}

/// Sleeps `ns` nanoseconds on the tokio timer: the guest's task waits, the
/// thread does not.
async fn sleep(ns: u64) -> wasmtime::Result<()> {
    if ns > 0 {
        tokio::time::sleep(Duration::from_nanos(ns)).await;
    }
    Ok(())
}

impl system_clock::Host for WasiP3Ctx<'_> {
    fn now(&mut self) -> wasmtime::Result<system_clock::Instant> {
        Ok(instant(Clock::Realtime.now()))
    }
    fn get_resolution(&mut self) -> wasmtime::Result<u64> {
        Ok(Clock::Realtime.resolution())
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
