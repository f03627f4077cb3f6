//! # warden-fuzz
//!
//! The harnesses of issue 11's fuzz targets, shared by cargo-fuzz
//! (`fuzz/fuzz_targets/`) and by fixed-seed tests that run in the README's
//! test command (and `#[ignore]`d long runs of ten million calls or
//! resolutions).
//!
//! - (a) [`Harness`]: sequences of WASI 0.1 calls with hostile arguments,
//!   made through Warden's own linker (`warden_p1::add_to_linker`) by a
//!   small module that re-exports every import, against a sandbox of a
//!   read-write preopen (fd 3), a read-only one (fd 4) and nothing else.
//!   Beside them on the host lies a canary directory that no call may
//!   change; `Harness::run` checks it — and the read-only preopen — after
//!   every input.
//! - (b) [`differential`]: the same filesystem-weighted sequence on the host
//!   and in-memory backends, each from an empty tree ([`Harness::reset`]),
//!   must answer alike call for call and leave the same tree ([`tree`], a
//!   listing made through the `Dir` trait for both).
//! - (c) [`resolver`]: the in-memory backend's path resolver against the
//!   host kernel's `openat2(RESOLVE_BENEATH)` on small random trees.

pub mod differential;
mod fscalls;
// Its reference is Linux's `openat2(RESOLVE_BENEATH)`.
#[cfg(target_os = "linux")]
pub mod resolver;
pub mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use warden_kernel::fs::host::HostDir;
use warden_kernel::fs::memory::MemoryFs;
use warden_kernel::fs::readonly::ReadOnlyDir;
use warden_kernel::fs::Dir;
use warden_kernel::types::Rights;
use warden_kernel::{Descriptor, Kernel, Object};
use wasmtime::{Config, Engine, Instance, Linker, Memory, Module, Store, Val, ValType};

/// What a cargo-fuzz target makes once per process: its harness, made by
/// `make` in a fresh temporary directory that lives as long as it does.
pub fn scratch<T: Send + Sync>(
    cell: &'static OnceLock<(T, tempfile::TempDir)>,
    make: impl FnOnce(&Path) -> T,
) -> &'static T {
    &cell
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            (make(dir.path()), dir)
        })
        .0
}

/// Every WASI 0.1 function but `proc_exit` (it only ends the run), with its
/// core parameter types (`true`: i64).
const FUNCTIONS: &[(&str, &[bool])] = &[
    ("args_get", &[false, false]),
    ("args_sizes_get", &[false, false]),
    ("environ_get", &[false, false]),
    ("environ_sizes_get", &[false, false]),
    ("clock_res_get", &[false, false]),
    ("clock_time_get", &[false, true, false]),
    ("fd_advise", &[false, true, true, false]),
    ("fd_allocate", &[false, true, true]),
    ("fd_close", &[false]),
    ("fd_datasync", &[false]),
    ("fd_fdstat_get", &[false, false]),
    ("fd_fdstat_set_flags", &[false, false]),
    ("fd_fdstat_set_rights", &[false, true, true]),
    ("fd_filestat_get", &[false, false]),
    ("fd_filestat_set_size", &[false, true]),
    ("fd_filestat_set_times", &[false, true, true, false]),
    ("fd_pread", &[false, false, false, true, false]),
    ("fd_prestat_get", &[false, false]),
    ("fd_prestat_dir_name", &[false, false, false]),
    ("fd_pwrite", &[false, false, false, true, false]),
    ("fd_read", &[false, false, false, false]),
    ("fd_readdir", &[false, false, false, true, false]),
    ("fd_renumber", &[false, false]),
    ("fd_seek", &[false, true, false, false]),
    ("fd_sync", &[false]),
    ("fd_tell", &[false, false]),
    ("fd_write", &[false, false, false, false]),
    ("path_create_directory", &[false, false, false]),
    ("path_filestat_get", &[false, false, false, false, false]),
    (
        "path_filestat_set_times",
        &[false, false, false, false, true, true, false],
    ),
    (
        "path_link",
        &[false, false, false, false, false, false, false],
    ),
    (
        "path_open",
        &[false, false, false, false, false, true, true, false, false],
    ),
    ("path_readlink", &[false, false, false, false, false, false]),
    ("path_remove_directory", &[false, false, false]),
    ("path_rename", &[false, false, false, false, false, false]),
    ("path_symlink", &[false, false, false, false, false]),
    ("path_unlink_file", &[false, false, false]),
    ("poll_oneoff", &[false, false, false, false]),
    ("proc_raise", &[false]),
    ("sched_yield", &[]),
    ("random_get", &[false, false]),
    ("sock_accept", &[false, false, false]),
    ("sock_recv", &[false, false, false, false, false, false]),
    ("sock_send", &[false, false, false, false, false]),
    ("sock_shutdown", &[false, false]),
];

/// Paths laid out in guest memory at `PATHS + 16 * i`, each at most 15
/// bytes: the names the sequences create, open, link and escape through.
const PATHS: u32 = 1024;
const PATH_TEXT: &[&str] = &[
    "a",
    "b",
    "d",
    "d/e",
    "a/",
    "..",
    "../canary",
    "../canary/x",
    "/etc/passwd",
    "l",
    "d/../..",
    "d/l",
    ".",
    "",
    "a\0b",
    "lnk/../..",
];
/// iovec arrays at `IOVS`: (4 KiB at 8192, 16), (the same buffer twice),
/// (a buffer running past memory).
const IOVS: u32 = 512;

/// Which filesystem backs the preopens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Host,
    Memory,
    /// The host directory `root/rw`, holding [`seed_tree`] at each reset.
    SeededHost,
    /// An overlay over `root/lower`, which holds [`seed_tree`] and must
    /// never change.
    Overlay,
}

/// A small tree made of the names the calls use (`a`-`d`), so that calls
/// meet what was there before them: a/b (a file), a/c (a symlink to b),
/// a/d/ (an empty directory), c (a file), d/ (a directory holding d/a).
pub fn seed_tree(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("a/d"))?;
    std::fs::create_dir_all(dir.join("d"))?;
    std::fs::write(dir.join("a/b"), "seeded a/b")?;
    std::fs::write(dir.join("c"), "seeded c")?;
    std::fs::write(dir.join("d/a"), "seeded d/a")?;
    #[cfg(unix)]
    std::os::unix::fs::symlink("b", dir.join("a/c"))?;
    Ok(())
}

struct State {
    kernel: Kernel,
    memory: Option<Memory>,
}

impl warden_p1::WasiP1View for State {
    fn kernel(&mut self) -> &mut Kernel {
        &mut self.kernel
    }
    fn p1_memory(&mut self) -> &mut Option<Memory> {
        &mut self.memory
    }
}

/// What one input did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ran {
    /// Host calls made.
    pub calls: u64,
    /// Calls that ended the instance with a trap (a clean one).
    pub traps: u64,
}

/// The compiled re-exporting module, the linker, and the directories.
pub struct Harness {
    engine: Engine,
    module: Module,
    linker: Linker<State>,
    backend: Backend,
    root: PathBuf,
    /// The memory backend's rw tree; [`Harness::reset`] swaps in a fresh
    /// one (behind a lock, so a shared `&Harness` can be reset).
    memory_fs: Mutex<MemoryFs>,
    /// The whole guest memory as every call of [`Harness::run_fs_recorded`]
    /// starts from.
    fs_template: Vec<u8>,
    canary_before: BTreeMap<String, String>,
    ro_before: BTreeMap<String, String>,
    lower_before: BTreeMap<String, String>,
}

fn module_text() -> String {
    let mut imports = String::new();
    let mut exports = String::new();
    for (name, params) in FUNCTIONS {
        let types: Vec<&str> = params
            .iter()
            .map(|&w| if w { "i64" } else { "i32" })
            .collect();
        let params = if types.is_empty() {
            String::new()
        } else {
            format!("(param {})", types.join(" "))
        };
        imports.push_str(&format!(
            "(import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} {params} (result i32)))\n"
        ));
        let gets: String = (0..types.len())
            .map(|i| format!("local.get {i} "))
            .collect();
        exports.push_str(&format!(
            "(func (export \"{name}\") {params} (result i32) {gets} call ${name})\n"
        ));
    }
    format!("(module {imports} (memory (export \"memory\") 1) {exports})")
}

/// A listing of everything below `dir`: names, kinds, sizes, contents,
/// link targets, modification times.
pub fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let what = if m.file_type().is_symlink() {
                format!("link {:?}", std::fs::read_link(&p).ok())
            } else if m.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else {
                format!("file {:?}", std::fs::read(&p).ok())
            };
            out.insert(rel, format!("{what} {:?}", m.modified().ok()));
        }
    }
    out
}

impl Harness {
    /// A harness whose directories live under `root` (made if missing):
    /// `root/rw` (fd 3), `root/ro` (fd 4, read-only), `root/canary`.
    pub fn new(root: &Path, backend: Backend) -> anyhow::Result<Harness> {
        for d in ["rw", "ro/sub", "canary/inner"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        std::fs::write(root.join("ro/file"), "read only")?;
        std::fs::write(root.join("canary/secret"), "canary")?;
        let lower = root.join("lower");
        if backend == Backend::Overlay && !lower.exists() {
            seed_tree(&lower)?;
        }
        let mut config = Config::new();
        config.epoch_interruption(false);
        let engine = Engine::new(&config)?;
        let module = Module::new(&engine, module_text())?;
        let mut linker = Linker::new(&engine);
        warden_p1::add_to_linker(&mut linker)?;
        Ok(Harness {
            engine,
            module,
            linker,
            backend,
            root: root.to_path_buf(),
            memory_fs: Mutex::new(MemoryFs::new()),
            fs_template: fscalls::template(),
            canary_before: snapshot(&root.join("canary")),
            ro_before: snapshot(&root.join("ro")),
            lower_before: snapshot(&lower),
        })
    }

    fn memory_fs(&self) -> MemoryFs {
        self.memory_fs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The read-write preopen as a fresh capability of this harness's
    /// backend.
    pub fn rw_dir(&self) -> anyhow::Result<Arc<dyn Dir>> {
        Ok(match self.backend {
            Backend::Host | Backend::SeededHost => {
                Arc::new(HostDir::open_ambient(&self.root.join("rw"))?)
            }
            Backend::Memory | Backend::Overlay => Arc::new(self.memory_fs().root()),
        })
    }

    /// Empties the read-write preopen, so the next input starts from the
    /// same (empty) tree on either backend: a new `MemoryFs`, or the host
    /// directory removed and made again (far cheaper than a new temporary
    /// directory and harness per input).
    pub fn reset(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Host | Backend::SeededHost => {
                let rw = self.root.join("rw");
                std::fs::remove_dir_all(&rw)?;
                std::fs::create_dir(&rw)?;
                if self.backend == Backend::SeededHost {
                    seed_tree(&rw)?;
                }
            }
            Backend::Memory => {
                *self.memory_fs.lock().unwrap_or_else(|e| e.into_inner()) = MemoryFs::new();
            }
            Backend::Overlay => {
                *self.memory_fs.lock().unwrap_or_else(|e| e.into_inner()) =
                    MemoryFs::overlay(&self.root.join("lower"))?;
            }
        }
        Ok(())
    }

    /// The read-write preopen's whole tree, listed through the `Dir` trait
    /// the same way for both backends ([`tree::list`]).
    pub fn rw_tree(&self) -> anyhow::Result<tree::Listing> {
        tree::list(&*self.rw_dir()?).map_err(|e| anyhow::anyhow!("listing the rw tree: {e:?}"))
    }

    fn kernel(&self) -> anyhow::Result<Kernel> {
        let rw = self.rw_dir()?;
        let ro: Arc<dyn Dir> = Arc::new(ReadOnlyDir(Arc::new(HostDir::open_ambient(
            &self.root.join("ro"),
        )?)));
        let mut kernel = Kernel::new();
        // No stdio: fds 0-2 start closed, so nothing waits on a terminal;
        // the preopens are 3 and 4, as under `warden run`.
        for (fd, dir, name) in [(3, rw, "/rw"), (4, ro, "/ro")] {
            let mut d = Descriptor::new(Object::Dir(dir), Rights::DIRECTORY, Rights::all());
            d.preopen = Some(name.as_bytes().to_vec());
            kernel.fds.insert_at(fd, d);
        }
        kernel.args = vec![b"fuzz".to_vec()];
        // Nothing may wait long: a sleep or a blocked read ends at this.
        kernel.deadline = Some(
            warden_kernel::clock::Clock::Monotonic
                .now()
                .saturating_add(50_000_000),
        );
        Ok(kernel)
    }

    /// Runs the calls `data` encodes, then checks that the canary and the
    /// read-only preopen are unchanged (`Err` names what changed).
    pub fn run(&self, data: &[u8]) -> anyhow::Result<Ran> {
        self.run_recorded(data, &mut Vec::new())
    }

    /// [`Harness::run`], recording each call's answer in `answers`: its
    /// errno, or `None` for a trap (the differential comparison's input).
    pub fn run_recorded(&self, data: &[u8], answers: &mut Vec<Option<i32>>) -> anyhow::Result<Ran> {
        self.run_calls(data, answers, false)
    }

    /// Like [`Harness::run_recorded`], but `data` decodes into calls
    /// weighted to the filesystem, with typed arguments (paths made of a
    /// few names, `.` and `..`; bounded sizes), and every call starts from
    /// the same guest memory: nothing a call writes (a time, random bytes,
    /// a directory listing with host inode numbers) can flow into a later
    /// call, so two backends given the same `data` must end with the same
    /// tree (target (b), [`differential`]).
    pub fn run_fs_recorded(
        &self,
        data: &[u8],
        answers: &mut Vec<Option<i32>>,
    ) -> anyhow::Result<Ran> {
        self.run_calls(data, answers, true)
    }

    fn run_calls(
        &self,
        data: &[u8],
        answers: &mut Vec<Option<i32>>,
        fs: bool,
    ) -> anyhow::Result<Ran> {
        let mut store = Store::new(
            &self.engine,
            State {
                kernel: self.kernel()?,
                memory: None,
            },
        );
        let instance = self.linker.instantiate(&mut store, &self.module)?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .expect("the module exports memory");
        lay_out(&mut store, &memory);
        let mut ran = Ran::default();
        let mut input = Input { data, at: 0 };
        loop {
            let (name, args) = if fs {
                let Some(c) = fscalls::next(&mut input) else {
                    break;
                };
                let mem = memory.data_mut(&mut store);
                mem.copy_from_slice(&self.fs_template);
                fscalls::prepare(mem, &c, ran.calls);
                (c.name, c.args)
            } else {
                let Some(sel) = input.byte() else {
                    break;
                };
                let (name, params) = FUNCTIONS[sel as usize % FUNCTIONS.len()];
                let args: Vec<Val> = params
                    .iter()
                    .map(|&wide| {
                        if wide {
                            Val::I64(input.value64() as i64)
                        } else {
                            Val::I32(input.value32() as i32)
                        }
                    })
                    .collect();
                (name, args)
            };
            ran.calls += 1;
            let answer = call(&instance, &mut store, name, &args);
            answers.push(answer.as_ref().ok().copied());
            if answer.is_err() {
                // A clean trap (or a guest-raised signal): this instance is
                // done, as a guest's would be.
                ran.traps += 1;
                break;
            }
        }
        self.check_untouched()?;
        Ok(ran)
    }

    fn check_untouched(&self) -> anyhow::Result<()> {
        if snapshot(&self.root.join("canary")) != self.canary_before {
            anyhow::bail!("ESCAPE: the canary directory beside the preopens changed");
        }
        if snapshot(&self.root.join("ro")) != self.ro_before {
            anyhow::bail!("the read-only preopen changed");
        }
        if snapshot(&self.root.join("lower")) != self.lower_before {
            anyhow::bail!("the overlay's lower directory changed on the host");
        }
        Ok(())
    }
}

fn call(
    instance: &Instance,
    store: &mut Store<State>,
    name: &str,
    args: &[Val],
) -> anyhow::Result<i32> {
    let f = instance
        .get_func(&mut *store, name)
        .expect("every function is exported");
    let mut out = [Val::I32(0)];
    debug_assert!(f
        .ty(&*store)
        .params()
        .all(|p| matches!(p, ValType::I32 | ValType::I64)));
    f.call(&mut *store, args, &mut out)?;
    Ok(out[0].unwrap_i32())
}

/// The paths and iovec arrays the values point at.
fn lay_out(store: &mut Store<State>, memory: &Memory) {
    let mem = memory.data_mut(store);
    for (i, p) in PATH_TEXT.iter().enumerate() {
        let at = PATHS as usize + 16 * i;
        mem[at..at + p.len()].copy_from_slice(p.as_bytes());
    }
    let iov = |mem: &mut [u8], at: usize, ptr: u32, len: u32| {
        mem[at..at + 4].copy_from_slice(&ptr.to_le_bytes());
        mem[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
    };
    iov(mem, IOVS as usize, 8192, 4096);
    iov(mem, IOVS as usize + 8, 8192, 4096);
    iov(mem, IOVS as usize + 16, 65000, 4096);
    mem[8192..8192 + 12].copy_from_slice(b"fuzzed bytes");
}

/// Decodes hostile values from the fuzzer's bytes.
struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn raw32(&mut self) -> u32 {
        let mut v = 0u32;
        for _ in 0..4 {
            v = (v << 8) | u32::from(self.byte().unwrap_or(0));
        }
        v
    }

    /// A value a guest might pass: a small number (an fd, a flag, a
    /// length), a path or its length, an iovec array, a pointer near or
    /// past the end of memory, an extreme, or raw bits.
    fn value32(&mut self) -> u32 {
        let kind = self.byte().unwrap_or(0);
        let k = u32::from(kind >> 4);
        match kind & 0xf {
            0..=3 => k,
            4 => PATHS + 16 * k,
            5 => PATH_TEXT[k as usize % PATH_TEXT.len()].len() as u32,
            6 => IOVS + 8 * (k % 3),
            7 => 65536 - k,
            8 => 65536 + k,
            9 => u32::MAX - k,
            10 => 0x8000_0000,
            11 => 1 + (k % 3),
            12 => 4096 * k,
            _ => self.raw32(),
        }
    }

    fn value64(&mut self) -> u64 {
        let kind = self.byte().unwrap_or(0);
        let k = u64::from(kind >> 4);
        match kind & 0x7 {
            0..=2 => k,
            3 => u64::MAX - k,
            4 => 1 << (30 + k),
            5 => i64::MAX as u64,
            6 => 0x1fff_ffff,
            _ => (u64::from(self.raw32()) << 32) | u64::from(self.raw32()),
        }
    }
}

/// xorshift64*: the fixed-seed runs' inputs, the same on every machine.
pub fn inputs(seed: u64, count: usize, len: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut s = seed.max(1);
    (0..count).map(move |_| {
        (0..len)
            .map(|_| {
                s ^= s >> 12;
                s ^= s << 25;
                s ^= s >> 27;
                (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed-seed run of the README's test command: 1,500 inputs of up
    /// to ~40 calls on each backend; no panic, no abort, no change outside
    /// the grant.
    #[test]
    fn fixed_seed_sequences_on_both_backends() {
        for backend in [Backend::Host, Backend::Memory] {
            let dir = tempfile::tempdir().unwrap();
            let h = Harness::new(dir.path(), backend).unwrap();
            let mut total = Ran::default();
            for input in inputs(0x5741_5244, 1500, 160) {
                let r = h.run(&input).unwrap_or_else(|e| panic!("{backend:?}: {e}"));
                total.calls += r.calls;
                total.traps += r.traps;
            }
            assert!(
                total.calls > 20_000,
                "{backend:?}: only {} calls",
                total.calls
            );
            eprintln!(
                "{backend:?}: {} calls, {} ended by a trap",
                total.calls, total.traps
            );
        }
    }

    /// The long run (`cargo test --release -p warden-fuzz -- --ignored`):
    /// ten million calls on each backend, other seeds than the quick run.
    #[test]
    #[ignore]
    fn ten_million_calls_per_backend() {
        for backend in [Backend::Host, Backend::Memory] {
            let dir = tempfile::tempdir().unwrap();
            let h = Harness::new(dir.path(), backend).unwrap();
            let start = std::time::Instant::now();
            let (mut total, mut seed, mut count) = (Ran::default(), 1u64, 0u64);
            while total.calls < 10_000_000 {
                for input in inputs(seed, 1000, 240) {
                    let r = h
                        .run(&input)
                        .unwrap_or_else(|e| panic!("{backend:?} seed {seed}: {e}"));
                    total.calls += r.calls;
                    total.traps += r.traps;
                    count += 1;
                }
                seed += 1;
            }
            eprintln!(
                "{backend:?}: {} calls in {count} inputs, {} ended by a trap, {:?}",
                total.calls,
                total.traps,
                start.elapsed()
            );
        }
    }

    /// Target (b) in small: the same sequences on fresh host and in-memory
    /// sandboxes answer with the same errnos, call for call (a trap on
    /// either side, such as the harness's per-input time limit, ends the
    /// comparison of that input).
    #[test]
    fn host_and_memory_backends_answer_alike() {
        let mut compared = 0;
        for input in inputs(77, 300, 120) {
            let (dh, dm) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            let host = Harness::new(dh.path(), Backend::Host).unwrap();
            let memory = Harness::new(dm.path(), Backend::Memory).unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            host.run_recorded(&input, &mut a).unwrap();
            memory.run_recorded(&input, &mut b).unwrap();
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                if x.is_none() || y.is_none() {
                    break;
                }
                assert_eq!(
                    x, y,
                    "call {i} of input {input:?}: host {x:?}, memory {y:?}"
                );
                compared += 1;
            }
        }
        assert!(compared > 3000, "only {compared} calls compared");
    }

    /// The same for overlays, from a tree that is there before the calls
    /// (so they read, change, remove and rename what the lower layer
    /// holds): a seeded host directory and an overlay over the same seed
    /// answer alike call for call, and end with the same trees when they
    /// made the same calls. The lower directory never changes
    /// (`check_untouched`).
    #[test]
    fn host_and_overlay_backends_answer_alike() {
        let (dh, dov) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let host = Harness::new(dh.path(), Backend::SeededHost).unwrap();
        let overlay = Harness::new(dov.path(), Backend::Overlay).unwrap();
        let (mut compared, mut trees) = (0, 0);
        for input in inputs(91, 400, 120) {
            host.reset().unwrap();
            overlay.reset().unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            host.run_fs_recorded(&input, &mut a).unwrap();
            overlay.run_fs_recorded(&input, &mut b).unwrap();
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                if x.is_none() || y.is_none() {
                    break;
                }
                assert_eq!(
                    x,
                    y,
                    "call {i}: host {x:?}, overlay {y:?}; calls:\n{}",
                    fscalls::describe(&input)[..=i].join("\n")
                );
                compared += 1;
            }
            if a == b {
                let (ht, ot) = (host.rw_tree().unwrap(), overlay.rw_tree().unwrap());
                assert_eq!(
                    ht,
                    ot,
                    "trees differ; calls:\n{}",
                    fscalls::describe(&input).join("\n")
                );
                trees += 1;
            }
        }
        assert!(compared > 3000, "only {compared} calls compared");
        assert!(trees > 100, "only {trees} trees compared");
    }

    #[test]
    fn the_canary_check_notices_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let h = Harness::new(dir.path(), Backend::Host).unwrap();
        std::fs::write(dir.path().join("canary/new"), "x").unwrap();
        assert!(h.run(&[]).is_err());
    }
}
