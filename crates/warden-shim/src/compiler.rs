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

#[cfg(test)]
mod tests {
    use super::*;

    const EXIT_3: &str = r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.const 3))))"#;

    #[test]
    fn a_precompiled_layer_runs_as_compiled() {
        let wasm = wat::parse_str(EXIT_3).unwrap();
        let code = precompile(&wasm).expect("a module is precompiled");
        assert!(code.starts_with(warden::cache::CWASM_MAGIC));
        let workload = Workload {
            bytes: code,
            args: vec!["/app.wasm".into()],
            envs: Vec::new(),
            invoke: None,
        };
        assert_eq!(workload.run_with_mounts("").unwrap(), 3);
    }

    #[test]
    fn what_cannot_be_precompiled_is_left_to_the_start() {
        assert!(precompile(b"not WebAssembly").is_none());
        // Already compiled by Warden: not compiled again.
        let wasm = wat::parse_str(EXIT_3).unwrap();
        let code = precompile(&wasm).unwrap();
        assert!(precompile(&code).is_none());
    }

    #[test]
    fn a_damaged_precompiled_layer_is_refused_not_run() {
        let wasm = wat::parse_str(EXIT_3).unwrap();
        let mut code = precompile(&wasm).unwrap();
        let last = code.len() - 1;
        code[last] ^= 0xff;
        let workload = Workload {
            bytes: code,
            args: vec!["/app.wasm".into()],
            envs: Vec::new(),
            invoke: None,
        };
        let err = workload.run_with_mounts("").unwrap_err();
        assert!(format!("{err:#}").contains("damaged"), "{err:#}");
    }
}
