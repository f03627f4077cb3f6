//! # warden-kernel
//!
//! Everything a WASI guest can reach, independent of the WebAssembly engine
//! and of the WASI version: the descriptor table, filesystem backends (host,
//! in-memory, read-only), clocks, randomness, sockets, and the arguments and
//! environment granted to it. The ABI layers (`warden-p1`, and the 0.2/0.3
//! layers) only translate guest calls onto a [`Kernel`]; a fix here serves
//! every version, and every backend works under every version.
//!
//! Errors are one type, [`Errno`], numbered as WASI 0.1 numbers them.

pub mod cancel;
pub mod clock;
pub mod config;
pub mod errno;
pub mod fs;
pub mod held;
pub mod ipsock;
pub mod keyvalue;
pub mod net;
pub mod poll;
pub mod proc;
pub mod random;
pub mod socket;
pub mod sys;
pub mod table;
pub mod types;

pub use errno::{Errno, Result};
pub use table::{Descriptor, FdTable, Object};

/// The state of one guest: what it was granted and what it holds open.
/// A clone shares the open objects (files, directories, sockets) and copies
/// the table: `warden serve` gives each request its own from one template.
#[derive(Clone, Default)]
pub struct Kernel {
    /// Program arguments, `argv[0]` first.
    pub args: Vec<Vec<u8>>,
    /// Environment entries, each `NAME=VALUE`.
    pub env: Vec<Vec<u8>>,
    /// Open descriptors.
    pub fds: FdTable,
    /// What the guest may do on the network (nothing by default).
    pub network: net::NetworkPolicy,
    /// Random bytes per call, and the instance's insecure seed.
    pub random: random::Random,
    /// The host's clocks, or virtual time (`--deterministic`).
    pub clocks: clock::Clocks,
    /// Bytes the host holds for the guest outside its memory (HTTP
    /// `fields`), bounded per object and per instance.
    pub held: held::HeldBytes,
    /// The guest's time limit, in monotonic nanoseconds (`-W timeout`, a
    /// served request's deadline): a call waiting in the host past it ends
    /// the guest ([`poll::wait_within`]), which the engine's epoch check
    /// cannot do while the guest is inside a host call.
    pub deadline: Option<u64>,
    /// What `get-initial-cwd` answers (`-S cwd`); none by default, and
    /// then relative paths resolve against the first preopen as libc does.
    pub initial_cwd: Option<String>,
    /// `wasi:config` variables (`-S config-var`); `Some` when `-S config`
    /// links the interface.
    pub config: Option<config::Config>,
    /// The `wasi:keyvalue` in-memory store's seed
    /// (`-S keyvalue-in-memory-data`); `Some` when `-S keyvalue` links it.
    pub keyvalue: Option<keyvalue::KeyValue>,
}

impl Kernel {
    pub fn new() -> Kernel {
        Kernel::default()
    }

    /// A repeatable run (`--deterministic`): virtual clocks, seeded random,
    /// and directory listings in name order, whatever order the host's
    /// filesystem keeps.
    pub fn deterministic(&mut self, seed: u64) {
        self.clocks = clock::Clocks::deterministic();
        let max = self.random.max_size;
        self.random = random::Random::seeded(seed);
        self.random.max_size = max;
    }

    /// Puts a directory listing in the order the guest sees: the host's,
    /// or name order in a repeatable run.
    pub fn order_listing(&self, entries: &mut [types::DirEntry]) {
        if self.clocks.is_virtual() {
            entries.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    /// The arguments as strings (for component interfaces, whose strings
    /// are UTF-8; invalid bytes become U+FFFD).
    pub fn args_lossy(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    /// The file open as descriptor `fd`, if it is a file (the standard
    /// streams for the component interfaces).
    pub fn stdio(&self, fd: u32) -> Option<std::sync::Arc<dyn fs::File>> {
        match self.fds.get(fd).map(|d| &d.object) {
            Ok(Object::File(f)) => Some(f.clone()),
            _ => None,
        }
    }

    /// Whether descriptor `fd` is a terminal on the host (`isatty`).
    pub fn is_terminal(&self, fd: u32) -> bool {
        self.stdio(fd)
            .and_then(|f| f.host_fd().map(sys::isatty))
            .unwrap_or(false)
    }

    /// The environment as (name, value) strings, split at the first `=`
    /// (an entry without one is a name with an empty value).
    pub fn env_lossy(&self) -> Vec<(String, String)> {
        self.env
            .iter()
            .map(|kv| {
                let kv = String::from_utf8_lossy(kv);
                match kv.split_once('=') {
                    Some((k, v)) => (k.to_owned(), v.to_owned()),
                    None => (kv.into_owned(), String::new()),
                }
            })
            .collect()
    }
}
