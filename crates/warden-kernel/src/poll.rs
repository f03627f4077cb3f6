//! Waiting for readiness of host descriptors, with a deadline: the one
//! `poll(2)` every ABI layer's poll goes through.

use crate::clock::Clock;
use crate::errno::{Errno, Result};
use rustix::event::{PollFd, PollFlags};
use std::os::fd::BorrowedFd;

/// What to wait for on one descriptor.
#[derive(Clone, Copy)]
pub struct Interest<'a> {
    pub fd: BorrowedFd<'a>,
    /// Readable (true) or writable (false).
    pub read: bool,
}

/// What `poll` saw on one descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    pub hangup: bool,
    pub invalid: bool,
}

/// Waits until one of `interests` is ready or the monotonic clock passes
/// `deadline` (nanoseconds; `None` waits for ever). Returns each
/// descriptor's readiness; all false means the deadline passed. With no
/// descriptors it sleeps until the deadline.
pub fn wait(interests: &[Interest<'_>], deadline: Option<u64>) -> Result<Vec<Readiness>> {
    loop {
        let timeout = deadline.map(|d| d.saturating_sub(Clock::Monotonic.now()));
        if interests.is_empty() {
            if let Some(ns) = timeout {
                std::thread::sleep(std::time::Duration::from_nanos(ns));
            }
            return Ok(Vec::new());
        }
        let mut fds: Vec<PollFd<'_>> = interests
            .iter()
            .map(|i| {
                PollFd::from_borrowed_fd(
                    i.fd,
                    if i.read {
                        PollFlags::IN
                    } else {
                        PollFlags::OUT
                    },
                )
            })
            .collect();
        let ts = timeout.map(crate::clock::timespec);
        match rustix::event::poll(&mut fds, ts.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Errno::from(e)),
        }
        return Ok(fds
            .iter()
            .map(|f| {
                let r = f.revents();
                Readiness {
                    ready: !r.is_empty(),
                    hangup: r.contains(PollFlags::HUP),
                    invalid: r.contains(PollFlags::NVAL),
                }
            })
            .collect());
    }
}
