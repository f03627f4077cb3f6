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

/// Where a guest's clocks read from: the host's, or a virtual time that
/// makes runs repeatable (`--deterministic`).
///
/// Virtual time starts at 2020-01-01T00:00:00Z (wall clock) and 0
/// (monotonic and CPU clocks). Each read moves it on by [`STEP_NS`], so
/// two reads are never equal and a busy loop measuring time still ends;
/// a wait moves it to the wait's end at once, without waiting on the host
/// ([`Clocks::advance_to`]). The same calls in the same order read the
/// same times, run after run.
#[derive(Clone, Debug, Default)]
pub struct Clocks {
    virtual_time: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

/// How far one read moves virtual time.
pub const STEP_NS: u64 = 1_000;

/// The virtual wall clock's start: 2020-01-01T00:00:00Z.
pub const VIRTUAL_EPOCH_NS: u64 = 1_577_836_800 * 1_000_000_000;

impl Clocks {
    /// Virtual time, from its start.
    pub fn deterministic() -> Clocks {
        Clocks {
            virtual_time: Some(Default::default()),
        }
    }

    /// Whether these are virtual clocks.
    pub fn is_virtual(&self) -> bool {
        self.virtual_time.is_some()
    }

    /// `clock` now, in nanoseconds (a read: virtual time moves on).
    pub fn now(&self, clock: Clock) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        match &self.virtual_time {
            None => clock.now(),
            Some(t) => {
                let m = t.fetch_add(STEP_NS, Relaxed) + STEP_NS;
                match clock {
                    Clock::Realtime => VIRTUAL_EPOCH_NS.wrapping_add(m),
                    _ => m,
                }
            }
        }
    }

    /// The monotonic clock without moving it (for deadlines).
    pub fn monotonic(&self) -> u64 {
        match &self.virtual_time {
            None => Clock::Monotonic.now(),
            Some(t) => t.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// `clock`'s resolution, in nanoseconds.
    pub fn resolution(&self, clock: Clock) -> u64 {
        match self.virtual_time {
            None => clock.resolution(),
            Some(_) => STEP_NS,
        }
    }

    /// The host deadline of a poll whose nearest clock deadline is
    /// `nearest` (monotonic), when something is `ready` already or not:
    /// look without waiting when something is ready, and in virtual time
    /// whenever a clock is waited on (time jumps instead, see
    /// [`Clocks::polled`]); else wait until `nearest`.
    pub fn poll_deadline(&self, nearest: Option<u64>, ready: bool) -> Option<u64> {
        if ready || (self.is_virtual() && nearest.is_some()) {
            Some(0)
        } else {
            nearest
        }
    }

    /// After a poll that looked (see [`Clocks::poll_deadline`]): when
    /// nothing was ready, virtual time jumps to `nearest`, as if the poll
    /// had waited for it. Host clocks are not touched.
    pub fn polled(&self, nearest: Option<u64>, ready: bool) {
        if let (Some(nearest), false) = (nearest, ready) {
            self.advance_to(nearest);
        }
    }

    /// A wait until monotonic `deadline` ended: virtual time jumps there
    /// (never back). Host clocks are not touched.
    pub fn advance_to(&self, deadline: u64) {
        if let Some(t) = &self.virtual_time {
            t.fetch_max(deadline, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_is_repeatable_and_moves_on() {
        let run = || {
            let c = Clocks::deterministic();
            let a = c.now(Clock::Monotonic);
            let b = c.now(Clock::Realtime);
            c.advance_to(a + 50_000_000);
            let after = c.now(Clock::Monotonic);
            (a, b, after, c.monotonic())
        };
        assert_eq!(run(), run());
        let (a, b, after, peek) = run();
        assert_eq!(a, STEP_NS);
        assert_eq!(b, VIRTUAL_EPOCH_NS + 2 * STEP_NS);
        assert_eq!(after, STEP_NS + 50_000_000 + STEP_NS);
        assert_eq!(peek, after, "peeking does not move time");
        // Never back.
        let c = Clocks::deterministic();
        c.advance_to(10_000_000);
        c.advance_to(5);
        assert_eq!(c.monotonic(), 10_000_000);
        assert!(!Clocks::default().is_virtual());
    }

    #[test]
    fn polls_wait_on_the_host_only_with_host_clocks() {
        let host = Clocks::default();
        assert_eq!(host.poll_deadline(Some(7), false), Some(7));
        assert_eq!(host.poll_deadline(None, false), None);
        assert_eq!(host.poll_deadline(Some(7), true), Some(0));
        let virt = Clocks::deterministic();
        assert_eq!(virt.poll_deadline(Some(7), false), Some(0));
        assert_eq!(
            virt.poll_deadline(None, false),
            None,
            "no clock: wait for the files"
        );
        virt.polled(Some(50), true);
        assert_eq!(virt.monotonic(), 0, "something was ready: no jump");
        virt.polled(Some(50), false);
        assert_eq!(virt.monotonic(), 50);
    }
}
