//! `wasi:config` (0.2.0-rc.1) as Wasmtime's `-S config` provides it:
//! read-only variables given on the command line.

use std::collections::BTreeMap;

/// Configuration variables (`-S config-var=NAME=VALUE`), read-only.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub vars: BTreeMap<String, String>,
}

impl Config {
    pub fn get(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    pub fn all(&self) -> Vec<(String, String)> {
        self.vars.clone().into_iter().collect()
    }
}
