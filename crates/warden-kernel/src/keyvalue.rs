//! `wasi:keyvalue` (0.2.0-draft) as Wasmtime's `-S keyvalue` provides it: an
//! in-memory store seeded from the command line. The rules live here once;
//! the component layer only converts types.

use crate::held::{Held, HeldBytes};
use std::collections::BTreeMap;

/// Most bytes (keys and values together) the open buckets of one instance
/// may hold in all, each open one a copy of the seed: a guest cannot make
/// the host hold an unbounded store, nor many (`open` again and again).
pub const MAX_BUCKET_BYTES: usize = 64 << 20;

/// Why a store operation failed (the WIT `error` variant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvError {
    NoSuchStore,
    AccessDenied,
    Other(String),
}

/// The seed of the in-memory store (`-S keyvalue-in-memory-data=KEY=VALUE`),
/// and the bytes its open buckets hold (a clone starts from none: each
/// served request's instance has its own).
#[derive(Clone, Debug)]
pub struct KeyValue {
    pub seed: BTreeMap<String, Vec<u8>>,
    held: HeldBytes,
}

impl KeyValue {
    pub fn new(seed: BTreeMap<String, Vec<u8>>) -> KeyValue {
        KeyValue {
            seed,
            held: HeldBytes::new(MAX_BUCKET_BYTES, MAX_BUCKET_BYTES),
        }
    }
}

fn too_big() -> KvError {
    KvError::Other(format!(
        "the in-memory store holds at most {MAX_BUCKET_BYTES} bytes"
    ))
}

impl KeyValue {
    /// `open(identifier)`: the in-memory store is the one named `""`; each
    /// open starts from the seed, as in Wasmtime.
    pub fn open(&self, identifier: &str) -> Result<Bucket, KvError> {
        if !identifier.is_empty() {
            return Err(KvError::NoSuchStore);
        }
        let bytes = self.seed.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut held = self.held.hold();
        held.resize(bytes).map_err(|_| too_big())?;
        Ok(Bucket {
            data: self.seed.clone(),
            bytes,
            held,
        })
    }
}

/// An open bucket. Keys are kept in order, so `list-keys` is deterministic.
#[derive(Debug)]
pub struct Bucket {
    data: BTreeMap<String, Vec<u8>>,
    bytes: usize,
    /// `bytes`, charged to the instance's keyvalue budget.
    held: Held,
}

impl Bucket {
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.data.get(key).cloned()
    }

    pub fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), KvError> {
        let old = self.data.get(&key).map_or(0, |v| key.len() + v.len());
        let new = self.bytes - old + key.len() + value.len();
        self.held.resize(new).map_err(|_| too_big())?;
        self.bytes = new;
        self.data.insert(key, value);
        Ok(())
    }

    pub fn delete(&mut self, key: &str) {
        if let Some(v) = self.data.remove(key) {
            self.bytes -= key.len() + v.len();
            let _ = self.held.resize(self.bytes);
        }
    }

    pub fn exists(&self, key: &str) -> bool {
        self.data.contains_key(key)
    }

    /// The keys from position `cursor` on (clamped: the cursor is the
    /// guest's), all in one response.
    pub fn list_keys(&self, cursor: Option<u64>) -> Vec<String> {
        let from = usize::try_from(cursor.unwrap_or(0)).unwrap_or(usize::MAX);
        self.data.keys().skip(from).cloned().collect()
    }

    /// `atomics.increment`: the value is a decimal `u64` (a missing key is
    /// 0); overflow and non-numbers are errors.
    pub fn increment(&mut self, key: &str, delta: u64) -> Result<u64, KvError> {
        let current = match self.data.get(key) {
            None => 0,
            Some(v) => std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| KvError::Other(format!("the value of `{key}` is not a number")))?,
        };
        let next = current
            .checked_add(delta)
            .ok_or_else(|| KvError::Other("overflow incrementing value".into()))?;
        self.set(key.to_owned(), next.to_string().into_bytes())?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_rules() {
        let kv = KeyValue::new([("a".to_string(), b"1".to_vec())].into());
        assert_eq!(kv.open("other").unwrap_err(), KvError::NoSuchStore);
        let mut b = kv.open("").unwrap();
        assert_eq!(b.get("a"), Some(b"1".to_vec()));
        assert_eq!(b.increment("a", 41), Ok(42));
        assert_eq!(b.increment("n", 1), Ok(1));
        b.set("s".into(), b"x".to_vec()).unwrap();
        assert!(b.increment("s", 1).is_err());
        assert_eq!(b.list_keys(None), ["a", "n", "s"]);
        assert_eq!(b.list_keys(Some(2)), ["s"]);
        assert!(b.list_keys(Some(u64::MAX)).is_empty());
        b.delete("a");
        assert!(!b.exists("a"));
        // Each open starts from the seed.
        assert_eq!(kv.open("").unwrap().get("a"), Some(b"1".to_vec()));
        assert!(b.set("big".into(), vec![0; MAX_BUCKET_BYTES]).is_err());
        assert_eq!(
            b.increment("n", u64::MAX).unwrap_err(),
            KvError::Other("overflow incrementing value".into())
        );
    }

    /// Opening the store again and again cannot multiply what it holds:
    /// the open buckets share one bound.
    #[test]
    fn open_buckets_share_one_bound() {
        let kv = KeyValue::new(BTreeMap::new());
        let mut a = kv.open("").unwrap();
        a.set("a".into(), vec![0; MAX_BUCKET_BYTES / 2]).unwrap();
        let mut b = kv.open("").unwrap();
        assert!(b.set("b".into(), vec![0; MAX_BUCKET_BYTES / 2]).is_err());
        drop(a);
        b.set("b".into(), vec![0; MAX_BUCKET_BYTES / 2]).unwrap();
        // A clone (another served request) has a budget of its own.
        let mut c = kv.clone().open("").unwrap();
        c.set("c".into(), vec![0; MAX_BUCKET_BYTES / 2]).unwrap();
    }
}
