//! `wasi:config/store@0.2.0-rc.1` (linked by `-S config`), onto the kernel's
//! [`Config`](warden_kernel::config::Config).

pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/config",
        world: "wasi:config/imports",
        imports: { default: trappable | tracing },
    });
}

use crate::WasiP2;
use bindings::wasi::config::store;

impl store::Host for WasiP2 {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, store::Error>> {
        Ok(Ok(self.kernel.config.as_ref().and_then(|c| c.get(&key))))
    }
    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, store::Error>> {
        Ok(Ok(self
            .kernel
            .config
            .as_ref()
            .map(|c| c.all())
            .unwrap_or_default()))
    }
}

/// Links `wasi:config/store` into `linker`.
pub fn add_to_linker<T: 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &mut WasiP2,
) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    store::add_to_linker::<T, HasSelf<WasiP2>>(linker, get)
}
