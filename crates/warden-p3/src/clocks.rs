//! wasi:clocks@0.3 — monotonic-clock (with the async `wait-for` and
//! `wait-until`, which sleep without blocking the guest's thread, as long
//! as asked to the microsecond), system-clock.

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

/// tokio's timer wheel ticks once a millisecond: a sleep on it ends at the
/// first tick after its deadline, so a 10 µs `wait-for` took 1.1 ms.
const TIMER_TICK_NS: u64 = 1_000_000;

/// How many sub-tick remainders may sleep on threads of their own at once
/// (process-wide); past that, a remainder waits for the timer's tick. This
/// bounds the threads a guest's many concurrent short waits can take.
static PRECISE_SLEEPERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Sleeps until monotonic `until`: the guest's task waits, the thread does
/// not. Up to the last timer tick before the deadline on the tokio timer;
/// the rest (under a millisecond) on a blocking-pool thread, so that short
/// waits are as long as asked. In virtual time, time jumps there at once.
async fn sleep(clocks: Clocks, until: u64) -> wasmtime::Result<()> {
    if clocks.is_virtual() {
        clocks.advance_to(until);
        return Ok(());
    }
    let ns = until.saturating_sub(clocks.monotonic());
    if ns > TIMER_TICK_NS {
        tokio::time::sleep(Duration::from_nanos(ns - TIMER_TICK_NS)).await;
    }
    let ns = until.saturating_sub(clocks.monotonic());
    if ns == 0 {
        return Ok(());
    }
    match PRECISE_SLEEPERS.try_acquire() {
        Ok(permit) => {
            // A dropped wait leaves this thread to finish its (sub-tick)
            // sleep and give the permit back.
            tokio::task::spawn_blocking(move || {
                std::thread::sleep(Duration::from_nanos(ns));
                drop(permit);
            })
            .await?;
        }
        Err(_) => tokio::time::sleep(Duration::from_nanos(ns)).await,
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
