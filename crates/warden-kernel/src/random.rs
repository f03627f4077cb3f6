//! Randomness for `random_get` and wasi:random.

use crate::errno::{Errno, Result};

/// Fills `buf` with cryptographically secure random bytes from the host.
pub fn fill_secure(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Errno::Io)
}
