//! wasi:clocks — monotonic-clock, wall-clock, timezone.

use crate::bindings::wasi::clocks::{monotonic_clock, timezone, wall_clock};
use crate::io::Pollable;
use crate::WasiP2;
use warden_kernel::clock::Clock;
use wasmtime::component::Resource;

impl monotonic_clock::Host for WasiP2 {
    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(self.kernel.clocks.now(Clock::Monotonic))
    }
    fn resolution(&mut self) -> wasmtime::Result<u64> {
        Ok(self.kernel.clocks.resolution(Clock::Monotonic))
    }
    fn subscribe_instant(&mut self, when: u64) -> wasmtime::Result<Resource<Pollable>> {
        self.push_pollable(Pollable::Deadline(when))
    }
    fn subscribe_duration(&mut self, when: u64) -> wasmtime::Result<Resource<Pollable>> {
        let now = self.kernel.clocks.monotonic();
        self.push_pollable(Pollable::Deadline(now.saturating_add(when)))
    }
}

/// A WIT datetime (also wasi:filesystem's) for `ns` nanoseconds.
pub(crate) fn datetime(ns: u64) -> wall_clock::Datetime {
    wall_clock::Datetime {
        seconds: ns / 1_000_000_000,
        nanoseconds: (ns % 1_000_000_000) as u32,
    }
}

impl wall_clock::Host for WasiP2 {
    fn now(&mut self) -> wasmtime::Result<wall_clock::Datetime> {
        Ok(datetime(self.kernel.clocks.now(Clock::Realtime)))
    }
    fn resolution(&mut self) -> wasmtime::Result<wall_clock::Datetime> {
        Ok(datetime(self.kernel.clocks.resolution(Clock::Realtime)))
    }
}

impl timezone::Host for WasiP2 {
    /// The guest sees UTC: the host's time zone is not granted.
    fn display(
        &mut self,
        _when: wall_clock::Datetime,
    ) -> wasmtime::Result<timezone::TimezoneDisplay> {
        Ok(timezone::TimezoneDisplay {
            utc_offset: 0,
            name: "UTC".into(),
            in_daylight_saving_time: false,
        })
    }
    fn utc_offset(&mut self, _when: wall_clock::Datetime) -> wasmtime::Result<i32> {
        Ok(0)
    }
}
