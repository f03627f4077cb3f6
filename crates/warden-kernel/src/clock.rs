//! Clocks (witx `clockid`): realtime, monotonic and CPU time.

use crate::errno::{Errno, Result};
use rustix::time::ClockId;

/// The clocks a guest can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    Realtime,
    Monotonic,
    ProcessCpuTime,
    ThreadCpuTime,
}

impl Clock {
    /// The clock with witx number `id`; `inval` for an unknown id.
    pub fn from_id(id: u32) -> Result<Clock> {
        match id {
            0 => Ok(Clock::Realtime),
            1 => Ok(Clock::Monotonic),
            2 => Ok(Clock::ProcessCpuTime),
            3 => Ok(Clock::ThreadCpuTime),
            _ => Err(Errno::Inval),
        }
    }

    fn host(self) -> ClockId {
        match self {
            Clock::Realtime => ClockId::Realtime,
            Clock::Monotonic => ClockId::Monotonic,
            Clock::ProcessCpuTime => ClockId::ProcessCPUTime,
            Clock::ThreadCpuTime => ClockId::ThreadCPUTime,
        }
    }

    /// The time now, in nanoseconds.
    pub fn now(self) -> u64 {
        ts_ns(rustix::time::clock_gettime(self.host()))
    }

    /// The resolution, in nanoseconds.
    pub fn resolution(self) -> u64 {
        ts_ns(rustix::time::clock_getres(self.host())).max(1)
    }
}

fn ts_ns(ts: rustix::time::Timespec) -> u64 {
    nanos(ts.tv_sec, ts.tv_nsec)
}

/// Nanoseconds from a (seconds, nanoseconds) pair as the host reports
/// times; times before the epoch wrap, as WASI's unsigned timestamps do.
pub fn nanos(secs: i64, nsecs: i64) -> u64 {
    (secs as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(nsecs as u64)
}

/// A host `Timespec` for `ns` nanoseconds.
pub fn timespec(ns: u64) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as _,
    }
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    Clock::Realtime.now()
}
