//! Bytes the host holds on a guest's behalf outside its linear memory:
//! the `fields` (headers and trailers) a guest builds, which can be many
//! and each large, and the `wasi:keyvalue` buckets it opens. Each held object is bounded (`max_one`), and so is
//! their sum for one instance (`max_total`), so a guest of 64 MiB cannot
//! make the host hold gigabytes by making a million `fields`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Most bytes of one held object unless the embedder says otherwise
/// (Wasmtime's `-S max-http-fields-size` default, 128 KiB).
pub const DEFAULT_MAX_ONE: usize = 128 << 10;
/// Most bytes held for one instance in all (`-S max-http-fields-total`).
pub const DEFAULT_MAX_TOTAL: usize = 64 << 20;
/// What each entry costs beyond its bytes (its name's and value's
/// headers), so empty entries are not free, as in Wasmtime's accounting.
pub const ENTRY_OVERHEAD: usize = 64;

/// One instance's budget. A clone starts from nothing with the same
/// bounds: `warden serve` clones its template kernel per request, and each
/// request's instance has a budget of its own.
#[derive(Debug)]
pub struct HeldBytes {
    used: Arc<AtomicUsize>,
    pub max_one: usize,
    pub max_total: usize,
}

impl Default for HeldBytes {
    fn default() -> HeldBytes {
        HeldBytes::new(DEFAULT_MAX_ONE, DEFAULT_MAX_TOTAL)
    }
}

impl Clone for HeldBytes {
    fn clone(&self) -> HeldBytes {
        HeldBytes {
            used: Arc::default(),
            max_one: self.max_one,
            max_total: self.max_total,
        }
    }
}

/// Which bound a change would pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldError {
    /// The object would be over `max_one`.
    One,
    /// The instance would hold over `max_total`.
    Total(usize),
}

impl HeldBytes {
    pub fn new(max_one: usize, max_total: usize) -> HeldBytes {
        HeldBytes {
            used: Arc::default(),
            max_one,
            max_total,
        }
    }

    /// An empty held object charged to this budget.
    pub fn hold(&self) -> Held {
        Held {
            used: self.used.clone(),
            max_one: self.max_one,
            max_total: self.max_total,
            bytes: 0,
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

/// The charge of one held object; dropping it gives its bytes back.
#[derive(Debug)]
pub struct Held {
    used: Arc<AtomicUsize>,
    max_one: usize,
    max_total: usize,
    bytes: usize,
}

impl Held {
    /// Charges the object at `bytes` instead of what it was, or changes
    /// nothing and says which bound it would pass.
    pub fn resize(&mut self, bytes: usize) -> Result<(), HeldError> {
        if bytes > self.max_one {
            return Err(HeldError::One);
        }
        if bytes > self.bytes {
            let more = bytes - self.bytes;
            let max = self.max_total;
            self.used
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                    u.checked_add(more).filter(|&n| n <= max)
                })
                .map_err(|_| HeldError::Total(max))?;
        } else {
            self.used.fetch_sub(self.bytes - bytes, Ordering::Relaxed);
        }
        self.bytes = bytes;
        Ok(())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.used.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_one_and_total_and_gives_back_on_drop() {
        let budget = HeldBytes::new(100, 250);
        let mut a = budget.hold();
        assert_eq!(a.resize(101), Err(HeldError::One));
        a.resize(100).unwrap();
        let mut b = budget.hold();
        b.resize(100).unwrap();
        let mut c = budget.hold();
        assert_eq!(c.resize(60), Err(HeldError::Total(250)));
        c.resize(50).unwrap();
        assert_eq!(budget.used(), 250);
        b.resize(10).unwrap();
        assert_eq!(budget.used(), 160);
        drop(a);
        assert_eq!(budget.used(), 60);
        // A clone is a fresh budget with the same bounds.
        let fresh = budget.clone();
        assert_eq!((fresh.used(), fresh.max_total), (0, 250));
    }
}
