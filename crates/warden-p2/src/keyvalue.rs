//! `wasi:keyvalue@0.2.0-draft` — store, atomics, batch (linked by
//! `-S keyvalue`), onto the kernel's
//! [`KeyValue`](warden_kernel::keyvalue::KeyValue): the in-memory store.

pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/keyvalue",
        world: "wasi:keyvalue/imports",
        imports: { default: trappable | tracing },
        with: {
            "wasi:keyvalue/store.bucket": warden_kernel::keyvalue::Bucket,
        },
    });
}

use crate::WasiP2;
use bindings::wasi::keyvalue::{atomics, batch, store};
use warden_kernel::keyvalue::{Bucket, KvError};
use wasmtime::component::Resource;

fn error(e: KvError) -> store::Error {
    match e {
        KvError::NoSuchStore => store::Error::NoSuchStore,
        KvError::AccessDenied => store::Error::AccessDenied,
        KvError::Other(s) => store::Error::Other(s),
    }
}

type KvResult<T> = wasmtime::Result<Result<T, store::Error>>;

impl WasiP2 {
    fn bucket(&mut self, b: &Resource<Bucket>) -> wasmtime::Result<&mut Bucket> {
        Ok(self.table.get_mut(b)?)
    }
}

impl store::Host for WasiP2 {
    fn open(&mut self, identifier: String) -> KvResult<Resource<Bucket>> {
        let store = self.kernel.keyvalue.as_ref();
        match store.map_or(Err(KvError::NoSuchStore), |kv| kv.open(&identifier)) {
            Ok(b) => Ok(Ok(self.table.push(b)?)),
            Err(e) => Ok(Err(error(e))),
        }
    }
}

impl store::HostBucket for WasiP2 {
    fn get(&mut self, b: Resource<Bucket>, key: String) -> KvResult<Option<Vec<u8>>> {
        Ok(Ok(self.bucket(&b)?.get(&key)))
    }
    fn set(&mut self, b: Resource<Bucket>, key: String, value: Vec<u8>) -> KvResult<()> {
        Ok(self.bucket(&b)?.set(key, value).map_err(error))
    }
    fn delete(&mut self, b: Resource<Bucket>, key: String) -> KvResult<()> {
        self.bucket(&b)?.delete(&key);
        Ok(Ok(()))
    }
    fn exists(&mut self, b: Resource<Bucket>, key: String) -> KvResult<bool> {
        Ok(Ok(self.bucket(&b)?.exists(&key)))
    }
    fn list_keys(
        &mut self,
        b: Resource<Bucket>,
        cursor: Option<u64>,
    ) -> KvResult<store::KeyResponse> {
        Ok(Ok(store::KeyResponse {
            keys: self.bucket(&b)?.list_keys(cursor),
            cursor: None,
        }))
    }
    fn drop(&mut self, b: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(b)?;
        Ok(())
    }
}

impl atomics::Host for WasiP2 {
    fn increment(&mut self, b: Resource<Bucket>, key: String, delta: u64) -> KvResult<u64> {
        Ok(self.bucket(&b)?.increment(&key, delta).map_err(error))
    }
}

impl batch::Host for WasiP2 {
    fn get_many(
        &mut self,
        b: Resource<Bucket>,
        keys: Vec<String>,
    ) -> KvResult<Vec<Option<(String, Vec<u8>)>>> {
        let bucket = self.bucket(&b)?;
        Ok(Ok(keys
            .into_iter()
            .map(|k| bucket.get(&k).map(|v| (k, v)))
            .collect()))
    }
    fn set_many(
        &mut self,
        b: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> KvResult<()> {
        let bucket = self.bucket(&b)?;
        for (k, v) in key_values {
            if let Err(e) = bucket.set(k, v) {
                return Ok(Err(error(e)));
            }
        }
        Ok(Ok(()))
    }
    fn delete_many(&mut self, b: Resource<Bucket>, keys: Vec<String>) -> KvResult<()> {
        let bucket = self.bucket(&b)?;
        for k in keys {
            bucket.delete(&k);
        }
        Ok(Ok(()))
    }
}

/// Links `wasi:keyvalue` (store, atomics, batch) into `linker`.
pub fn add_to_linker<T: 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &mut WasiP2,
) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    bindings::Imports::add_to_linker::<T, HasSelf<WasiP2>>(linker, get)
}
