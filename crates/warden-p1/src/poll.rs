//! poll_oneoff: wait for clocks and descriptor readiness.
//!
//! Regular files (host or in-memory) are always ready. Pipes, ttys and
//! sockets are waited on with one `poll(2)` over all of them
//! (`warden_kernel::poll::wait`), with the nearest clock deadline as its
//! timeout, so a poll costs one syscall and no CPU while it waits.

use crate::abi::{SubscriptionKind, EVENT_SIZE};
use crate::{Cx, HostResult};
use rustix::event::PollFlags;
use warden_kernel::clock::Clock;
use warden_kernel::poll::{wait_within, Interest};
use warden_kernel::sys::BorrowedFd;
use warden_kernel::types::{FileType, Rights};
use warden_kernel::{Errno, Object};

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const EVENT_FD_READWRITE_HANGUP: u16 = 1;

struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
    flags: u16,
}

enum Waiting {
    /// A clock deadline, in monotonic nanoseconds.
    Clock(u64),
    /// A host descriptor: index into the pollfd list.
    Host(usize),
    /// Settled before waiting (ready or an error).
    Done,
}

pub fn poll_oneoff(
    cx: &mut Cx<'_>,
    subscriptions: u32,
    events: u32,
    nsubscriptions: u32,
    nevents_ptr: u32,
) -> HostResult {
    if nsubscriptions == 0 {
        return Err(Errno::Inval.into());
    }
    let size = cx.abi.subscription_size();
    cx.mem.slice(
        subscriptions,
        nsubscriptions.checked_mul(size).ok_or(Errno::Fault)?,
    )?;
    cx.mem.slice(
        events,
        nsubscriptions.checked_mul(EVENT_SIZE).ok_or(Errno::Fault)?,
    )?;
    cx.mem.slice(nevents_ptr, 4)?;
    let subs = (0..nsubscriptions)
        .map(|i| cx.abi.read_subscription(&cx.mem, subscriptions + i * size))
        .collect::<Result<Vec<_>, _>>()?;

    let limit = cx.kernel.deadline;
    let clocks = cx.kernel.clocks.clone();
    let now = clocks.monotonic();
    let mut ready: Vec<Event> = Vec::new();
    let mut waiting = Vec::with_capacity(subs.len());
    let mut host_fds: Vec<(BorrowedFd<'_>, PollFlags)> = Vec::new();
    let fds = &cx.kernel.fds;
    for sub in &subs {
        let ev = |error: Errno, kind: u8, nbytes: u64| Event {
            userdata: sub.userdata,
            error,
            kind,
            nbytes,
            flags: 0,
        };
        match sub.kind {
            SubscriptionKind::Clock {
                id,
                timeout,
                absolute,
                ..
            } => match Clock::from_id(id) {
                Err(e) => {
                    ready.push(ev(e, EVENTTYPE_CLOCK, 0));
                    waiting.push(Waiting::Done);
                }
                Ok(clock) => {
                    let wait = if absolute {
                        timeout.saturating_sub(clocks.now(clock))
                    } else {
                        timeout
                    };
                    waiting.push(Waiting::Clock(now.saturating_add(wait)));
                }
            },
            SubscriptionKind::FdRead(fd) | SubscriptionKind::FdWrite(fd) => {
                let read = matches!(sub.kind, SubscriptionKind::FdRead(_));
                let kind = if read {
                    EVENTTYPE_FD_READ
                } else {
                    EVENTTYPE_FD_WRITE
                };
                let d = match fds
                    .get(fd)
                    .and_then(|d| d.require(Rights::POLL_FD_READWRITE).map(|_| d))
                {
                    Ok(d) => d,
                    Err(e) => {
                        ready.push(ev(e, kind, 0));
                        waiting.push(Waiting::Done);
                        continue;
                    }
                };
                let host = match &d.object {
                    Object::File(f) if f.filetype() != FileType::RegularFile => f.host_fd(),
                    Object::Socket(s) => Some(s.as_fd()),
                    _ => None,
                };
                match host {
                    Some(h) => {
                        waiting.push(Waiting::Host(host_fds.len()));
                        host_fds.push((h, if read { PollFlags::IN } else { PollFlags::OUT }));
                    }
                    None => {
                        let nbytes = match (&d.object, read) {
                            (Object::File(f), true) => f.readable_bytes().unwrap_or(0),
                            _ => 0,
                        };
                        ready.push(ev(Errno::Success, kind, nbytes));
                        waiting.push(Waiting::Done);
                    }
                }
            }
        }
    }

    let interests: Vec<Interest<'_>> = host_fds
        .iter()
        .map(|(fd, fl)| Interest {
            fd: *fd,
            read: *fl == PollFlags::IN,
        })
        .collect();
    loop {
        let nearest = waiting
            .iter()
            .filter_map(|w| {
                if let Waiting::Clock(d) = w {
                    Some(*d)
                } else {
                    None
                }
            })
            .min();
        // Something is ready already: only look, do not wait (nor in
        // virtual time, where a clock never waits on the host).
        let deadline = clocks.poll_deadline(nearest, !ready.is_empty());
        // The guest's time limit ends the wait too (a trap), wherever the
        // clocks it waits for are.
        let seen = wait_within(&interests, deadline, limit)?;
        clocks.polled(nearest, !ready.is_empty() || seen.iter().any(|r| r.ready));
        let now = clocks.monotonic();
        for (sub, w) in subs.iter().zip(&mut waiting) {
            match *w {
                Waiting::Clock(deadline) if deadline <= now => {
                    ready.push(Event {
                        userdata: sub.userdata,
                        error: Errno::Success,
                        kind: EVENTTYPE_CLOCK,
                        nbytes: 0,
                        flags: 0,
                    });
                    *w = Waiting::Done;
                }
                Waiting::Host(i) => {
                    let r = seen[i];
                    if !r.ready {
                        continue;
                    }
                    let read = matches!(sub.kind, SubscriptionKind::FdRead(_));
                    let (error, nbytes) = if r.invalid {
                        (Errno::Badf, 0)
                    } else if read {
                        (
                            Errno::Success,
                            warden_kernel::sys::readable_bytes(host_fds[i].0),
                        )
                    } else {
                        (Errno::Success, 0)
                    };
                    let flags = if r.hangup {
                        EVENT_FD_READWRITE_HANGUP
                    } else {
                        0
                    };
                    let kind = if read {
                        EVENTTYPE_FD_READ
                    } else {
                        EVENTTYPE_FD_WRITE
                    };
                    ready.push(Event {
                        userdata: sub.userdata,
                        error,
                        kind,
                        nbytes,
                        flags,
                    });
                    *w = Waiting::Done;
                }
                _ => {}
            }
        }
        if !ready.is_empty() {
            break;
        }
    }

    for (i, e) in ready.iter().enumerate() {
        let mut b = [0u8; EVENT_SIZE as usize];
        b[0..8].copy_from_slice(&e.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&(e.error as u16).to_le_bytes());
        b[10] = e.kind;
        b[16..24].copy_from_slice(&e.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&e.flags.to_le_bytes());
        cx.mem.write(events + i as u32 * EVENT_SIZE, &b)?;
    }
    Ok(cx.mem.write_u32(nevents_ptr, ready.len() as u32)?)
}
