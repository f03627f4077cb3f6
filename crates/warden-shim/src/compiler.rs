//! Precompiling OCI wasm layers (runwasi's `Compiler`).
//!
//! For an image whose module is an OCI wasm layer (containerd 1.7 and
//! later), runwasi calls [`WardenCompiler::compile`] at the first start and
//! keeps what it returns in containerd's content store, labelled with
//! [`WardenCompiler::cache_key`]; later starts get the compiled layer back,
//! marked precompiled, and Warden loads it without compiling. A module that
//! is a file of the image's root filesystem (the only kind containerd 1.6
//! can run) goes through Warden's own compile cache instead (see
//! [`crate::host_dirs`]).

use containerd_shim_wasm::sandbox::context::WasmLayer;
use containerd_shim_wasm::shim::Compiler;
use std::hash::Hash;

use crate::sandbox::Workload;

/// Compiles layers with the engine settings the sandbox will run them with.
pub struct WardenCompiler;

impl Compiler for WardenCompiler {
    /// Compiled code is only good for the Warden (and so the wasmtime and
    /// engine settings) that wrote it, on this kind of CPU; Warden checks
    /// its own header again when it loads, so a stale entry is refused,
    /// never run.
    fn cache_key(&self) -> impl Hash {
        ("warden", env!("CARGO_PKG_VERSION"), std::env::consts::ARCH)
    }

    async fn compile(&self, layers: &[WasmLayer]) -> anyhow::Result<Vec<Option<Vec<u8>>>> {
        let layers: Vec<(bool, Vec<u8>)> = layers
            .iter()
            .map(|l| (l.precompiled, l.layer.clone()))
            .collect();
        // Compiling is seconds of CPU work: off the shim's async threads.
        tokio::task::spawn_blocking(move || {
            layers
                .iter()
                .map(|(precompiled, bytes)| (!precompiled).then(|| precompile(bytes)).flatten())
                .collect()
        })
        .await
        .map_err(anyhow::Error::from)
    }
}

/// The layer compiled for the way the sandbox will run it (served or run),
/// or `None` when it is no module or component Warden can compile ahead of
/// time: it is then compiled when it starts, as runwasi expects.
pub fn precompile(bytes: &[u8]) -> Option<Vec<u8>> {
    match Workload::engine_for(bytes).and_then(|mut s| s.precompile(bytes)) {
        Ok(code) => Some(code),
        Err(e) => {
            log::info!("layer not precompiled: {e:#}");
            None
        }
    }
}
