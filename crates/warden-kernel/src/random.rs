//! Randomness for `random_get` and wasi:random.

use crate::errno::{Errno, Result};

/// Fills `buf` with cryptographically secure random bytes from the host.
pub fn fill_secure(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Errno::Io)
}

/// Most bytes one `get-random-bytes` may ask for by default, as in Wasmtime
/// (`-S max-random-size`): the host builds the whole buffer before the
/// guest's memory is checked, so this bounds what one call can make it hold.
pub const DEFAULT_MAX_RANDOM_SIZE: u64 = 64 << 20;

/// The random rules of one guest, shared by every WASI version.
#[derive(Clone, Debug)]
pub struct Random {
    /// Most bytes one call may ask for; more is a trap naming the limit.
    pub max_size: u64,
    /// `insecure-seed`: drawn on first use, then the same for the life of
    /// the instance (the WIT text: "meant to be called only once").
    seed: std::sync::OnceLock<(u64, u64)>,
    /// A seeded generator instead of the host's (`--deterministic`):
    /// ChaCha20, so the same seed gives the same bytes on every platform.
    seeded: Option<std::sync::Arc<std::sync::Mutex<rand_chacha::ChaCha20Rng>>>,
}

impl Default for Random {
    fn default() -> Random {
        Random {
            max_size: DEFAULT_MAX_RANDOM_SIZE,
            seed: std::sync::OnceLock::new(),
            seeded: None,
        }
    }
}

/// Why `get-random-bytes` gave nothing: both end the guest with a trap.
#[derive(Debug, thiserror::Error)]
pub enum RandomError {
    #[error("wasi:random asked for {asked} bytes at once, over the limit of {limit} (-S max-random-size)")]
    TooMany { asked: u64, limit: u64 },
    #[error("the host random source failed: {0}")]
    Host(Errno),
}

impl Random {
    /// Every random byte from a generator seeded with `seed` instead of
    /// the host's source: repeatable, and not secret.
    pub fn seeded(seed: u64) -> Random {
        use rand_chacha::rand_core::SeedableRng;
        Random {
            seeded: Some(std::sync::Arc::new(std::sync::Mutex::new(
                rand_chacha::ChaCha20Rng::seed_from_u64(seed),
            ))),
            ..Random::default()
        }
    }

    /// Fills `buf` from the host's secure source, or the seeded generator.
    pub fn fill(&self, buf: &mut [u8]) -> Result<()> {
        use rand_chacha::rand_core::RngCore;
        match &self.seeded {
            None => fill_secure(buf),
            Some(g) => {
                g.lock().unwrap_or_else(|e| e.into_inner()).fill_bytes(buf);
                Ok(())
            }
        }
    }

    /// `len` secure random bytes, within the limit.
    pub fn bytes(&self, len: u64) -> std::result::Result<Vec<u8>, RandomError> {
        if len > self.max_size {
            return Err(RandomError::TooMany {
                asked: len,
                limit: self.max_size,
            });
        }
        let mut v = vec![0u8; len as usize];
        self.fill(&mut v).map_err(RandomError::Host)?;
        Ok(v)
    }

    /// A random `u64`.
    pub fn u64(&self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// The instance's insecure seed.
    pub fn insecure_seed(&self) -> Result<(u64, u64)> {
        if let Some(s) = self.seed.get() {
            return Ok(*s);
        }
        let drawn = (self.u64()?, self.u64()?);
        Ok(*self.seed.get_or_init(|| drawn))
    }
}
