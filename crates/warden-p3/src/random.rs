//! wasi:random@0.3 — random, insecure, insecure-seed, onto the kernel's
//! [`Random`](warden_kernel::random::Random) (per-call limit, one seed per
//! instance).

use crate::bindings::wasi::random::{insecure, insecure_seed, random};
use crate::WasiP3Ctx;

fn failed(e: impl std::fmt::Display) -> wasmtime::Error {
    wasmtime::format_err!("{e}")
}

impl random::Host for WasiP3Ctx<'_> {
    fn get_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        self.kernel.random.bytes(len).map_err(failed)
    }
    fn get_random_u64(&mut self) -> wasmtime::Result<u64> {
        self.kernel.random.u64().map_err(failed)
    }
}

impl insecure::Host for WasiP3Ctx<'_> {
    fn get_insecure_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        self.kernel.random.bytes(len).map_err(failed)
    }
    fn get_insecure_random_u64(&mut self) -> wasmtime::Result<u64> {
        self.kernel.random.u64().map_err(failed)
    }
}

impl insecure_seed::Host for WasiP3Ctx<'_> {
    fn get_insecure_seed(&mut self) -> wasmtime::Result<(u64, u64)> {
        self.kernel.random.insecure_seed().map_err(failed)
    }
}
