//! Cancelling a guest from outside while it waits in the host: `warden
//! serve` cancels a request whose client has gone, so its guest stops
//! spending a thread and a core on an answer nobody will read.
//!
//! The guest's time limit travels through every ABI layer as a plain
//! number ([`crate::Kernel::deadline`]); a cancellation cannot be a number
//! fixed in advance, and a served request runs on one worker thread from
//! start to end, so the flag is scoped to that thread ([`scope`]) rather
//! than threaded through every call. [`crate::poll::wait_within`], the one
//! wait of every version, checks it; the engine's epoch callback stops the
//! guest's own code.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often a wait that cannot be woken by the flag looks at it: the
/// kernel's waits ([`crate::poll::wait_within`]) and an embedder's own
/// event loop alike.
pub const CHECK_EVERY: Duration = Duration::from_millis(20);

/// A flag set from another thread when the guest's work is no longer
/// wanted.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Cancel>> = const { RefCell::new(None) };
}

/// Runs `f` with `cancel` as this thread's cancellation: waits inside it
/// end, as at the time limit, soon after `cancel` is set.
pub fn scope<R>(cancel: &Cancel, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Cancel>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.borrow_mut().replace(cancel.clone())));
    f()
}

/// This thread's cancellation, if it runs inside a [`scope`].
pub fn current() -> Option<Cancel> {
    CURRENT.with(|c| c.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sets_and_restores() {
        assert!(current().is_none());
        let c = Cancel::new();
        scope(&c, || {
            assert!(!current().unwrap().is_cancelled());
            c.cancel();
            assert!(current().unwrap().is_cancelled());
        });
        assert!(current().is_none());
    }
}
