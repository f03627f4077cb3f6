//! wasi:random@0.3 — random, insecure, insecure-seed.

use crate::bindings::wasi::random::{insecure, insecure_seed, random};
use crate::WasiP3Ctx;
use warden_kernel::random::fill_secure;

fn bytes(len: u64) -> wasmtime::Result<Vec<u8>> {
    if len > 1 << 30 {
        wasmtime::bail!("wasi:random asked for {len} bytes at once (at most 1 GiB)");
    }
    let mut v = vec![0u8; len as usize];
    fill_secure(&mut v).map_err(|e| wasmtime::format_err!("the host random source failed: {e}"))?;
    Ok(v)
}

fn u64_now() -> wasmtime::Result<u64> {
    Ok(u64::from_le_bytes(bytes(8)?.try_into().expect("8 bytes")))
}

impl random::Host for WasiP3Ctx<'_> {
    fn get_random_bytes(&mut self, max_len: u64) -> wasmtime::Result<Vec<u8>> {
        bytes(max_len)
    }
    fn get_random_u64(&mut self) -> wasmtime::Result<u64> {
        u64_now()
    }
}

impl insecure::Host for WasiP3Ctx<'_> {
    fn get_insecure_random_bytes(&mut self, max_len: u64) -> wasmtime::Result<Vec<u8>> {
        bytes(max_len)
    }
    fn get_insecure_random_u64(&mut self) -> wasmtime::Result<u64> {
        u64_now()
    }
}

impl insecure_seed::Host for WasiP3Ctx<'_> {
    fn get_insecure_seed(&mut self) -> wasmtime::Result<(u64, u64)> {
        Ok((u64_now()?, u64_now()?))
    }
}
