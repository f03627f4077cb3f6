//! Clocks (witx `clockid`): realtime, monotonic and CPU time.

use crate::errno::{Errno, Result};

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

    /// The time now, in nanoseconds.
    pub fn now(self) -> u64 {
        crate::sys::clock_now(self)
    }

    /// The resolution, in nanoseconds.
    pub fn resolution(self) -> u64 {
        crate::sys::clock_resolution(self).max(1)
    }
}

/// Nanoseconds from a (seconds, nanoseconds) pair as the host reports
/// times; times before the epoch wrap, as WASI's unsigned timestamps do.
pub fn nanos(secs: i64, nsecs: i64) -> u64 {
    (secs as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(nsecs as u64)
}

/// A host `Timespec` for `ns` nanoseconds.
pub fn timespec(ns: u64) -> rustix::event::Timespec {
    rustix::event::Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as _,
    }
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    Clock::Realtime.now()
}
