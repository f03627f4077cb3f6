//! Waiting for readiness of host descriptors, with a deadline: the one
//! `poll(2)` every ABI layer's poll goes through.

use crate::clock::Clock;
use crate::errno::{Errno, Result};
use crate::sys::BorrowedFd;
use rustix::event::{PollFd, PollFlags};

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

/// The trap of a guest whose time limit (`-W timeout`, a served request's
/// deadline) passed while it waited in a host call; every version's waits
/// end here ([`wait_within`]).
#[derive(Debug, thiserror::Error)]
#[error("the guest's time limit passed while it waited in a host call (-W timeout)")]
pub struct DeadlineExceeded;

/// Why [`wait_within`] returned without readiness.
#[derive(Debug)]
pub enum WaitError {
    Errno(Errno),
    /// The guest's time limit passed.
    TimeLimit,
}

impl From<Errno> for WaitError {
    fn from(e: Errno) -> WaitError {
        WaitError::Errno(e)
    }
}

/// [`wait`], bounded by the guest's time limit `limit` (monotonic ns):
/// past it, `TimeLimit`, whatever `deadline` the call itself had. Every
/// ABI layer's blocking wait goes through here, so `-W timeout` ends a
/// guest wherever it waits. Inside a [`crate::cancel::scope`] it also
/// ends, as at the limit, within [`crate::cancel::CHECK_EVERY`] of the
/// cancellation.
pub fn wait_within(
    interests: &[Interest<'_>],
    deadline: Option<u64>,
    limit: Option<u64>,
) -> std::result::Result<Vec<Readiness>, WaitError> {
    let cancel = crate::cancel::current();
    if limit.is_none() && cancel.is_none() {
        return Ok(wait(interests, deadline)?);
    }
    let limit = limit.unwrap_or(u64::MAX);
    let bounded = deadline.map_or(limit, |d| d.min(limit));
    loop {
        let now = Clock::Monotonic.now();
        if cancel.as_ref().is_some_and(|c| c.is_cancelled())
            || (now >= limit && deadline != Some(0))
        {
            return Err(WaitError::TimeLimit);
        }
        // Under a cancellation, wait in slices so the flag is seen.
        let until = match &cancel {
            Some(_) => {
                bounded.min(now.saturating_add(crate::cancel::CHECK_EVERY.as_nanos() as u64))
            }
            None => bounded,
        };
        let seen = wait(interests, Some(until))?;
        if seen.iter().any(|r| r.ready) {
            return Ok(seen);
        }
        let now = Clock::Monotonic.now();
        if now >= bounded {
            if deadline.is_none_or(|d| d > limit) && now >= limit {
                return Err(WaitError::TimeLimit);
            }
            return Ok(seen);
        }
    }
}

/// Waits, within the guest's time limit, until `file`'s host descriptor is
/// readable (`read`) or writable; a file with no host descriptor (an
/// in-memory one) is always ready.
pub fn wait_file(
    file: &dyn crate::fs::File,
    read: bool,
    limit: Option<u64>,
) -> std::result::Result<(), WaitError> {
    match file.host_fd() {
        Some(fd) => wait_within(&[Interest { fd, read }], None, limit).map(|_| ()),
        None => Ok(()),
    }
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
        match poll_once(interests, timeout) {
            Err(Errno::Intr) => continue,
            r => return r,
        }
    }
}

/// Whether `fd` is readable (`read`) or writable now, without waiting.
pub fn ready_now(fd: BorrowedFd<'_>, read: bool) -> Result<bool> {
    Ok(wait(&[Interest { fd, read }], Some(0))?[0].ready)
}

/// One `poll(2)` (on Windows `WSAPoll`: rustix spells both alike) over
/// `interests`, for at most `timeout` nanoseconds (`None`: until one is
/// ready); `intr` when a signal came first.
fn poll_once(interests: &[Interest<'_>], timeout: Option<u64>) -> Result<Vec<Readiness>> {
    let mut fds: Vec<PollFd<'_>> = interests
        .iter()
        .map(|i| {
            let flags = if i.read {
                PollFlags::IN
            } else {
                PollFlags::OUT
            };
            PollFd::from_borrowed_fd(i.fd, flags)
        })
        .collect();
    let ts = timeout.map(crate::clock::timespec);
    rustix::event::poll(&mut fds, ts.as_ref())?;
    Ok(fds
        .iter()
        .map(|f| {
            let r = f.revents();
            Readiness {
                ready: !r.is_empty(),
                hangup: r.contains(PollFlags::HUP),
                invalid: r.contains(PollFlags::NVAL),
            }
        })
        .collect())
}
