//! The sandbox: the grants, the engine, and running a program.

use crate::cache::{compile_cached, Compiled};
use anyhow::{bail, Context as _};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use warden_kernel::fs::host::{HostDir, HostFile};
use warden_kernel::fs::memory::MemoryFs;
use warden_kernel::fs::readonly::ReadOnlyDir;
use warden_kernel::fs::Dir;
use warden_kernel::proc::{ProcExit, Signalled};
use warden_kernel::socket::Socket;
use warden_kernel::types::{FileType, Rights};
use warden_kernel::{Descriptor, Kernel, Object};
use wasmtime::{
    Config, Engine, Linker, Memory, Store, StoreLimits, StoreLimitsBuilder, Val, ValType,
};

/// Freed instance slots whose memory is unmapped together.
const MAX_DECOMMIT_BATCH: usize = 64;

/// Resource limits of one run.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// Most bytes one linear memory may grow to.
    pub max_memory_size: Option<usize>,
    /// Fuel the guest may burn; it traps when it runs out.
    pub fuel: Option<u64>,
    /// Wall-clock time after which the guest is interrupted.
    pub timeout: Option<Duration>,
    /// Most resources (component handles) and 0.1 descriptors the guest
    /// may hold at once (`-S max-resources`); over it a handle cannot be
    /// made (a trap naming the table's limit) and a 0.1 open is `mfile`.
    pub max_resources: Option<usize>,
    /// Most bytes one host call may take from the guest in strings and
    /// lists (`-S hostcall-fuel`; wasmtime's default 128 MiB otherwise).
    pub hostcall_fuel: Option<usize>,
    /// Most bytes one `get-random-bytes` may ask for (`-S max-random-size`;
    /// 64 MiB otherwise, as in Wasmtime).
    pub max_random_size: Option<u64>,
    /// Most bytes of one HTTP `fields` the guest builds (`-S
    /// max-http-fields-size`; 128 KiB otherwise, as in Wasmtime); over it
    /// the change is refused (0.2 `invalid-syntax`, 0.3 `size-exceeded`).
    pub max_http_fields_size: Option<usize>,
    /// Most bytes of all the HTTP `fields` one instance holds (`-S
    /// max-http-fields-total`; 64 MiB otherwise); over it, a trap naming
    /// the limit.
    pub max_http_fields_total: Option<usize>,
}

/// Most requests `warden serve` runs in guests at once (each holds one
/// pooled instance slot, configured here); more wait for a free slot.
pub const MAX_CONCURRENT_REQUESTS: u32 = 256;

/// Linear memory a served instance may grow to unless `-W
/// max-memory-size` says otherwise.
pub const DEFAULT_MAX_MEMORY: usize = 512 << 20;

/// What a guest may touch, being assembled.
pub struct SandboxBuilder {
    serving: bool,
    wasi_p3: bool,
    kernel: Kernel,
    http: Option<warden_http::WasiHttp>,
    cache_dir: Option<std::path::PathBuf>,
    preopens: Vec<(Arc<dyn Dir>, String)>,
    listeners: Vec<TcpListener>,
    limits: Limits,
    saves: Vec<(MemoryFs, std::path::PathBuf)>,
}

/// A guest's grants, ready to run one program.
pub struct Sandbox {
    pub(crate) kernel: Kernel,
    pub(crate) http: Option<warden_http::WasiHttp>,
    pub(crate) cache_dir: Option<std::path::PathBuf>,
    pub(crate) limits: Limits,
    pub(crate) engine: Engine,
    /// The engine's settings, to make the WASI 0.3 engine from.
    config: Config,
    /// Whether the engine has component-model async (a WASI 0.3 component,
    /// or a 0.2 command built with async features).
    concurrent: bool,
    /// Whether WASI 0.3 components may run (`-S p3`, on by default).
    wasi_p3: bool,
    /// In-memory directories and overlays to write out after the run, and
    /// where ([`DirGrant::save`](crate::policy::DirGrant::save)).
    saves: Vec<(MemoryFs, std::path::PathBuf)>,
}

/// How a run ended.
#[derive(Debug)]
pub enum Exit {
    /// The program returned, or called `proc_exit`, with this status.
    Status(i32),
    /// The program raised a signal that ends it.
    Signalled(Signalled),
    /// The program trapped; the error holds the trap and wasm backtrace.
    Trap(wasmtime::Error),
}

/// The outcome of a run.
#[derive(Debug)]
pub struct Outcome {
    pub exit: Exit,
    /// Values returned by an `--invoke`d function of a core module.
    pub results: Vec<Val>,
    /// The results of an `--invoke`d component function, in WAVE.
    pub wave_results: Option<String>,
}

impl Outcome {
    /// The status a process running this guest exits with: the guest's own
    /// status, 128 + the signal number, or 134 for a trap (as a process
    /// ended by SIGABRT, like the wasmtime CLI on Unix).
    pub fn exit_status(&self) -> i32 {
        match &self.exit {
            Exit::Status(s) => *s,
            Exit::Signalled(s) => 128 + s.host_number,
            Exit::Trap(_) => 134,
        }
    }
}

/// The store's data: one kernel, seen by the p1 layer directly and by the
/// p2 layer through its resource table.
pub(crate) struct Host {
    pub(crate) wasi: warden_p2::WasiP2,
    memory: Option<Memory>,
    limits: StoreLimits,
    /// wasi:http grants, when HTTP is linked (`-S http`, `warden serve`).
    pub(crate) http: Option<warden_http::WasiHttp>,
}

impl Host {
    /// The view the wasi:http host functions use. Only called when HTTP is
    /// linked, which needs `http` set.
    pub(crate) fn http_view(&mut self) -> warden_http::HttpView<'_> {
        warden_http::HttpView {
            wasi: &mut self.wasi,
            http: self
                .http
                .as_ref()
                .expect("wasi:http is linked only into stores with HTTP grants"),
        }
    }

    /// The view the wasi:http@0.3 host functions use (same condition).
    pub(crate) fn http_p3_view(&mut self) -> warden_http::p3::HttpP3View<'_> {
        warden_http::p3::HttpP3View {
            table: &mut self.wasi.table,
            held: &self.wasi.kernel.held,
            http: self
                .http
                .as_ref()
                .expect("wasi:http is linked only into stores with HTTP grants"),
        }
    }
}

impl warden_p1::WasiP1View for Host {
    fn kernel(&mut self) -> &mut Kernel {
        &mut self.wasi.kernel
    }
    fn p1_memory(&mut self) -> &mut Option<Memory> {
        &mut self.memory
    }
}

impl Sandbox {
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            serving: false,
            wasi_p3: true,
            kernel: Kernel::new(),
            http: None,
            cache_dir: crate::cache::default_dir(),
            preopens: Vec::new(),
            listeners: Vec::new(),
            limits: Limits::default(),
            saves: Vec::new(),
        }
    }
}

fn stdio_descriptor(
    stream: &(impl warden_kernel::sys::AsStream + std::io::IsTerminal),
) -> anyhow::Result<Descriptor> {
    let file = HostFile::duplicate_of(stream).context("cannot use the standard streams")?;
    let regular = warden_kernel::fs::File::filetype(&file) == FileType::RegularFile;
    let rights = if regular {
        Rights::REGULAR_FILE
    } else {
        Rights::STREAM
    };
    let mut d = Descriptor::new(Object::File(Arc::new(file)), rights, Rights::empty());
    if !regular {
        d.host_stream = Some(if stream.is_terminal() {
            FileType::CharacterDevice
        } else {
            FileType::Unknown
        });
    }
    Ok(d)
}

impl SandboxBuilder {
    /// Sets the program's arguments, `argv[0]` first.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.kernel.args = args
            .into_iter()
            .map(|a| a.as_ref().as_bytes().to_vec())
            .collect();
        self
    }

    /// Adds one environment variable.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.kernel.env.push(format!("{name}={value}").into_bytes());
        self
    }

    /// Grants the host directory `host` to the guest as `guest`.
    pub fn preopen_dir(self, host: impl AsRef<Path>, guest: &str) -> anyhow::Result<Self> {
        self.preopen_host(host.as_ref(), guest, false)
    }

    /// Grants the host directory `host` to the guest as `guest`, read-only.
    pub fn preopen_dir_readonly(self, host: impl AsRef<Path>, guest: &str) -> anyhow::Result<Self> {
        self.preopen_host(host.as_ref(), guest, true)
    }

    fn preopen_host(self, host: &Path, guest: &str, read_only: bool) -> anyhow::Result<Self> {
        let dir = HostDir::open_ambient(host)
            .with_context(|| format!("cannot open directory `{}`", host.display()))?;
        Ok(self.preopen(Arc::new(dir), guest, read_only))
    }

    /// Grants an in-memory filesystem to the guest as `guest`.
    pub fn preopen_memory(self, fs: &MemoryFs, guest: &str, read_only: bool) -> Self {
        self.preopen(Arc::new(fs.root()), guest, read_only)
    }

    /// Grants any directory capability to the guest as `guest`.
    pub fn preopen(mut self, dir: Arc<dyn Dir>, guest: &str, read_only: bool) -> Self {
        let dir: Arc<dyn Dir> = if read_only {
            Arc::new(ReadOnlyDir(dir))
        } else {
            dir
        };
        self.preopens.push((dir, guest.to_owned()));
        self
    }

    /// Grants a listening TCP socket; the guest accepts on it.
    pub fn tcp_listener(mut self, listener: TcpListener) -> Self {
        self.listeners.push(listener);
        self
    }

    /// Grants network access to components (WASI 0.1 modules only use
    /// `tcp_listener` sockets).
    pub fn network(mut self, policy: warden_kernel::net::NetworkPolicy) -> Self {
        self.kernel.network = policy;
        self
    }

    /// Where compiled code is cached (`None`: compile every time). The
    /// default is the per-user cache directory.
    pub fn compile_cache(mut self, dir: Option<std::path::PathBuf>) -> Self {
        self.cache_dir = dir;
        self
    }

    /// Links wasi:http (types and outgoing-handler) with these egress
    /// grants; `extra_ca_files` are PEM files of extra trusted roots.
    pub fn http(
        mut self,
        policy: warden_http::HttpPolicy,
        extra_ca_files: &[std::path::PathBuf],
    ) -> anyhow::Result<Self> {
        let client = warden_http::client::Client::new(policy, extra_ca_files)?;
        self.http = Some(warden_http::WasiHttp::new(Arc::new(client)));
        Ok(self)
    }

    /// How 0.2 outgoing HTTP bodies are buffered (Wasmtime's
    /// `-S http-outgoing-body-buffer-chunks`/`-chunk-size`); applies once
    /// `http` has linked wasi:http.
    pub fn http_body_buffering(mut self, buffering: warden_http::BodyBuffering) -> Self {
        if let Some(h) = &mut self.http {
            h.body_buffering = buffering;
        }
        self
    }

    /// Repeatable runs: clocks in virtual time (from 2020-01-01, moving on
    /// 1 µs per read and by the length of each wait, without waiting),
    /// random bytes from a generator seeded with `seed`, directory listings
    /// in name order.
    pub fn deterministic(mut self, seed: u64) -> Self {
        self.kernel.deterministic(seed);
        self
    }

    /// Applies a [`Policy`](crate::policy::Policy): its environment,
    /// directories (in order), listening sockets, network and HTTP grants
    /// and limits, as the flags it stands for would.
    pub fn policy(mut self, policy: &crate::policy::Policy) -> anyhow::Result<Self> {
        use crate::policy::DirMode;
        policy.check()?;
        if policy.determinism.enabled {
            self = self.deterministic(policy.determinism.seed);
        }
        for (name, value) in policy.environment() {
            self = self.env(&name, &value);
        }
        for d in &policy.dirs {
            self = match (d.mode, &d.host) {
                (DirMode::Rw, Some(host)) => self.preopen_dir(host, &d.guest)?,
                (DirMode::Ro, Some(host)) => self.preopen_dir_readonly(host, &d.guest)?,
                (mode, host) => {
                    let fs = match (mode, host) {
                        (DirMode::Overlay, Some(h)) => MemoryFs::overlay(h)
                            .with_context(|| format!("cannot open directory `{}`", h.display()))?,
                        (_, Some(h)) => MemoryFs::copy_of_host_dir(h).with_context(|| {
                            format!("cannot copy `{}` into memory", h.display())
                        })?,
                        (_, None) => MemoryFs::new(),
                    };
                    if let Some(q) = d.size {
                        fs.set_quota(q.0);
                    }
                    if let Some(n) = d.inodes {
                        fs.set_name_quota(n);
                    }
                    if let Some(out) = &d.save {
                        self.saves.push((fs.clone(), out.clone()));
                    }
                    self.preopen_memory(&fs, &d.guest, mode.read_only())
                }
            };
        }
        for addr in &policy.network.listen {
            let l =
                TcpListener::bind(addr).with_context(|| format!("cannot listen on `{addr}`"))?;
            self = self.tcp_listener(l);
        }
        self = self.network(policy.network_policy()?);
        if let Some(http) = policy.http_policy()? {
            self = self.http(http, &policy.http.ca_certs)?;
        }
        Ok(self.limits(policy.limits()))
    }

    /// Prepares the engine for `Sandbox::serve`: many short instances, each
    /// with its own wall-time limit.
    /// Whether WASI 0.3 components (component-model async) may run; on by
    /// default (`-S p3=n` or `-W component-model-async=n` turn it off).
    pub fn wasi_p3(mut self, enabled: bool) -> Self {
        self.wasi_p3 = enabled;
        self
    }

    pub fn for_serving(mut self) -> Self {
        self.serving = true;
        self
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        if let Some(n) = limits.max_resources {
            self.kernel.fds.set_max(n);
        }
        if let Some(n) = limits.max_random_size {
            self.kernel.random.max_size = n;
        }
        if let Some(n) = limits.max_http_fields_size {
            self.kernel.held.max_one = n;
        }
        if let Some(n) = limits.max_http_fields_total {
            self.kernel.held.max_total = n;
        }
        self.limits = limits;
        self
    }

    /// Links `wasi:config` with these variables (`-S config`, `-S config-var`).
    pub fn wasi_config(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.kernel.config = Some(warden_kernel::config::Config {
            vars: vars.into_iter().collect(),
        });
        self
    }

    /// Links `wasi:keyvalue` with an in-memory store holding `seed`
    /// (`-S keyvalue`, `-S keyvalue-in-memory-data`).
    pub fn wasi_keyvalue(mut self, seed: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        self.kernel.keyvalue = Some(warden_kernel::keyvalue::KeyValue::new(
            seed.into_iter().collect(),
        ));
        self
    }

    /// What the guest's `get-initial-cwd` answers (`-S cwd`).
    pub fn initial_cwd(mut self, cwd: &str) -> Self {
        self.kernel.initial_cwd = Some(cwd.to_owned());
        self
    }

    /// Lays out the descriptors (stdio, then preopened directories, then
    /// sockets) and makes the engine.
    pub fn build(mut self) -> anyhow::Result<Sandbox> {
        let fds = &mut self.kernel.fds;
        fds.insert(stdio_descriptor(&std::io::stdin())?)?;
        fds.insert(stdio_descriptor(&std::io::stdout())?)?;
        fds.insert(stdio_descriptor(&std::io::stderr())?)?;
        for (dir, guest) in self.preopens {
            let mut d = Descriptor::new(Object::Dir(dir), Rights::DIRECTORY, Rights::all());
            d.preopen = Some(guest.into_bytes());
            fds.insert(d)?;
        }
        for l in self.listeners {
            fds.insert(Descriptor::new(
                Object::Socket(Arc::new(Socket::TcpListener(l))),
                Rights::SOCKET,
                Rights::empty(),
            ))?;
        }
        let mut config = Config::new();
        if self.limits.fuel.is_some() {
            config.consume_fuel(true);
        }
        if self.limits.timeout.is_some() || self.serving {
            config.epoch_interruption(true);
        }
        if self.serving {
            // Many short-lived instances: take them from a pool of
            // pre-reserved slots instead of mapping memory per request.
            let mut pool = wasmtime::PoolingAllocationConfig::default();
            let n = MAX_CONCURRENT_REQUESTS;
            // Unmap freed memories in batches: one TLB shootdown for many
            // requests instead of one each.
            pool.decommit_batch_size(MAX_DECOMMIT_BATCH)
                .total_component_instances(n)
                .total_core_instances(n * 8)
                .total_memories(n * 2)
                .total_tables(n * 4)
                .max_memory_size(self.limits.max_memory_size.unwrap_or(DEFAULT_MAX_MEMORY));
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        }
        // Component-model async costs every 0.1/0.2 call a little (about
        // 20 % on a p2 syscall loop); only WASI 0.3 components get it.
        config.concurrency_support(false);
        let engine = Engine::new(&config)?;
        Ok(Sandbox {
            kernel: self.kernel,
            http: self.http,
            cache_dir: self.cache_dir,
            limits: self.limits,
            engine,
            config,
            concurrent: false,
            wasi_p3: self.wasi_p3,
            saves: self.saves,
        })
    }
}

impl Sandbox {
    /// A store for one run of this sandbox's grants.
    pub(crate) fn store(self) -> anyhow::Result<Store<Host>> {
        new_store(&self.engine, &self.limits, self.kernel, self.http)
    }

    /// A component linker with every interface the grants ask for: WASI
    /// 0.2, and wasi:http, wasi:config, wasi:keyvalue when granted.
    pub(crate) fn component_linker(&self) -> anyhow::Result<wasmtime::component::Linker<Host>> {
        let mut linker = wasmtime::component::Linker::<Host>::new(&self.engine);
        warden_p2::add_to_linker(&mut linker, |h| &mut h.wasi)?;
        if self.http.is_some() {
            warden_http::add_to_linker(&mut linker, Host::http_view)?;
        }
        self.link_proposals(&mut linker)?;
        Ok(linker)
    }

    /// Links the proposals the grants ask for (`-S config`, `-S keyvalue`).
    pub(crate) fn link_proposals(
        &self,
        linker: &mut wasmtime::component::Linker<Host>,
    ) -> anyhow::Result<()> {
        if self.kernel.config.is_some() {
            warden_p2::config::add_to_linker(linker, |h| &mut h.wasi)?;
        }
        if self.kernel.keyvalue.is_some() {
            warden_p2::keyvalue::add_to_linker(linker, |h| &mut h.wasi)?;
        }
        Ok(())
    }

    /// Compiles `bytes` ahead of time for `warden compile`: the result runs
    /// with `run` in a sandbox built with the same limits settings.
    pub fn precompile(&mut self, bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
        let bytes = &*to_binary(bytes)?;
        self.engine_for(bytes)?;
        crate::cache::precompile(&self.engine, bytes)
    }

    /// Switches to an engine with component-model async when `bytes` is a
    /// WASI 0.3 command (it names a `wasi:cli/run@0.3` export) or a
    /// precompiled file made by such an engine.
    fn engine_for(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        const P3_RUN: &[u8] = b"wasi:cli/run@0.3.";
        // A core module (the common case) is never one: no scan.
        let core_module = bytes.get(4..8) == Some(&[1, 0, 0, 0]);
        if !core_module && memchr::memmem::find(bytes, P3_RUN).is_some() {
            if !self.wasi_p3 {
                bail!("this is a WASI 0.3 command (it exports `wasi:cli/run@0.3`), and WASI 0.3 is turned off here (-S p3=n or -W component-model-async=n)");
            }
            self.use_concurrent_engine()?;
        }
        Ok(())
    }

    fn use_concurrent_engine(&mut self) -> anyhow::Result<()> {
        self.engine = Engine::new(self.config.clone().concurrency_support(true))?;
        self.concurrent = true;
        Ok(())
    }
}

impl Sandbox {
    /// Switches to an engine with component-model async (for `warden serve`
    /// of a wasi:http@0.3 component).
    pub(crate) fn use_async_engine(&mut self) -> anyhow::Result<()> {
        if !self.wasi_p3 {
            bail!("this is a WASI 0.3 component, and WASI 0.3 is turned off here (-S p3=n or -W component-model-async=n)");
        }
        self.engine = Engine::new(self.config.clone().concurrency_support(true))?;
        Ok(())
    }
}

impl Sandbox {
    /// Runs the program in the file at `path` (binary or text format).
    pub fn run_file(self, path: &Path) -> anyhow::Result<Outcome> {
        self.run_path(path, None, &[])
    }

    /// [`Sandbox::run`] of the program in the file at `path`. When the
    /// compile cache remembers this very file (its identity: device, inode,
    /// size, modification and change times), the file is neither read nor
    /// hashed: its compiled code is loaded directly.
    pub fn run_path(
        self,
        path: &Path,
        invoke: Option<&str>,
        invoke_args: &[String],
    ) -> anyhow::Result<Outcome> {
        self.with_saves(|s| s.run_path_program(path, invoke, invoke_args))
    }

    /// Runs `bytes`: its `_start`, or the export `invoke` with `invoke_args`
    /// (after `_initialize`, if the module has one). Then writes out the
    /// directories the policy asked to save, however the run ended.
    pub fn run(
        self,
        bytes: &[u8],
        invoke: Option<&str>,
        invoke_args: &[String],
    ) -> anyhow::Result<Outcome> {
        self.with_saves(|s| s.run_program(bytes, invoke, invoke_args))
    }

    /// Runs `f`, then writes out the directories the policy asked to save,
    /// however the run ended.
    fn with_saves(
        mut self,
        f: impl FnOnce(Sandbox) -> anyhow::Result<Outcome>,
    ) -> anyhow::Result<Outcome> {
        let saves = std::mem::take(&mut self.saves);
        let outcome = f(self);
        for (fs, out) in saves {
            fs.save_upper(&out).with_context(|| {
                format!("cannot save the directory's changes to `{}`", out.display())
            })?;
        }
        outcome
    }

    #[cfg_attr(not(unix), allow(unused_mut))]
    fn run_path_program(
        mut self,
        path: &Path,
        invoke: Option<&str>,
        invoke_args: &[String],
    ) -> anyhow::Result<Outcome> {
        let cannot_read = || format!("cannot read `{}`", path.display());
        let mut file = std::fs::File::open(path).with_context(cannot_read)?;
        let meta = file.metadata().with_context(cannot_read)?;
        #[cfg(unix)]
        let (dir, base) = (self.cache_dir.clone(), self.engine.clone());
        #[cfg(unix)]
        if let Some(dir) = &dir {
            if let Some(known) = crate::cache::recall(&base, dir, &meta) {
                if !known.concurrent || self.wasi_p3 {
                    if known.concurrent {
                        self.use_concurrent_engine()?;
                    }
                    if let Some(c) = crate::cache::load_entry(&self.engine, dir, &known.content) {
                        return self.run_compiled(c, invoke, invoke_args);
                    }
                }
            }
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        std::io::Read::read_to_end(&mut file, &mut bytes).with_context(cannot_read)?;
        drop(file);
        let compiled = self.compile_program(&bytes)?;
        #[cfg(unix)]
        if let Some(dir) = &dir {
            if bytes.starts_with(b"\0asm") {
                crate::cache::remember(&base, dir, &meta, &bytes, self.concurrent);
            }
        }
        drop(bytes);
        self.run_compiled(compiled, invoke, invoke_args)
    }

    fn run_program(
        mut self,
        bytes: &[u8],
        invoke: Option<&str>,
        invoke_args: &[String],
    ) -> anyhow::Result<Outcome> {
        let compiled = self.compile_program(bytes)?;
        self.run_compiled(compiled, invoke, invoke_args)
    }

    /// The compiled form of `bytes` (binary, text, or `warden compile`
    /// output), on the engine it needs (switched to when it needs another).
    fn compile_program(&mut self, bytes: &[u8]) -> anyhow::Result<Compiled> {
        let bytes = &*to_binary(bytes)?;
        self.engine_for(bytes)?;
        let compiled = if bytes.starts_with(crate::cache::CWASM_MAGIC) {
            crate::cache::load_precompiled(&self.engine, bytes)?
        } else {
            let looks_binary = bytes.starts_with(b"\0asm");
            if bytes.starts_with(b"\x7fELF") {
                bail!("refusing to run a precompiled file that `warden compile` did not write (only files written by `warden compile` of this Warden are run)");
            }
            if !looks_binary && std::str::from_utf8(bytes).is_err() {
                bail!("not a WebAssembly file: it is neither the binary format (no `\\0asm` header) nor text");
            }
            let compiled = match compile_cached(&self.engine, bytes, self.cache_dir.as_deref()) {
                // A component that uses component-model async features
                // behind a 0.2 `run` (Wasmtime enables them by default):
                // compile it again on the engine that has them.
                Err(e)
                    if !self.concurrent
                        && self.wasi_p3
                        && format!("{e:#}")
                            .contains("requires the component model async feature") =>
                {
                    self.use_concurrent_engine()?;
                    compile_cached(&self.engine, bytes, self.cache_dir.as_deref())
                }
                other => other,
            };
            match compiled {
                Ok(c) => c,
                Err(e) if !looks_binary => {
                    let cause = e.root_cause().to_string();
                    let first = cause.lines().next().unwrap_or_default();
                    bail!("not a WebAssembly file: no binary header, and not valid WebAssembly text ({first})")
                }
                Err(e) => return Err(e),
            }
        };
        Ok(compiled)
    }

    fn run_compiled(
        self,
        compiled: Compiled,
        invoke: Option<&str>,
        invoke_args: &[String],
    ) -> anyhow::Result<Outcome> {
        let module = match compiled {
            Compiled::Module(m) => m,
            Compiled::Component(c) => {
                if let Some(call) = invoke {
                    return crate::invoke::invoke_component(self, c, call, invoke_args);
                }
                return self.run_component(c);
            }
        };
        let mut linker: Linker<Host> = Linker::new(&self.engine);
        // Only what the module imports: an import of anything else is
        // refused below all the same, by name.
        let imports: std::collections::HashSet<(&str, &str)> =
            module.imports().map(|i| (i.module(), i.name())).collect();
        warden_p1::add_to_linker_for(&mut linker, |m, n| imports.contains(&(m, n)))?;
        let mut store = new_store(&self.engine, &self.limits, self.kernel, None)?;
        for import in module.imports() {
            let known = linker.get_by_import(&mut store, &import).is_some();
            if !known {
                bail!(
                    "unknown import: `{}::{}` is not provided by Warden (it provides wasi_snapshot_preview1 and wasi_unstable)",
                    import.module(),
                    import.name()
                );
            }
        }
        let instance = match linker.instantiate(&mut store, &module) {
            Ok(i) => i,
            Err(e) => return Ok(ended(e)),
        };
        let mut results = Vec::new();
        let call = |store: &mut Store<Host>,
                    name: &str,
                    params: &[Val],
                    results: &mut Vec<Val>|
         -> anyhow::Result<Result<(), wasmtime::Error>> {
            let func = instance
                .get_func(&mut *store, name)
                .with_context(|| format!("the module exports no function `{name}`"))?;
            let ty = func.ty(&*store);
            results.clear();
            results.extend(ty.results().map(|_| Val::I32(0)));
            Ok(func.call(&mut *store, params, results))
        };
        let r = match invoke {
            None => {
                if instance.get_func(&mut store, "_start").is_none() {
                    bail!("the module exports no `_start` function; name one with --invoke");
                }
                call(&mut store, "_start", &[], &mut results)?
            }
            Some(name) => {
                if instance.get_func(&mut store, "_initialize").is_some() {
                    if let Err(e) = call(&mut store, "_initialize", &[], &mut results)? {
                        return Ok(ended(e));
                    }
                }
                let func = instance
                    .get_func(&mut store, name)
                    .with_context(|| format!("the module exports no function `{name}`"))?;
                let params =
                    parse_params(&func.ty(&store).params().collect::<Vec<_>>(), invoke_args)?;
                call(&mut store, name, &params, &mut results)?
            }
        };
        match r {
            Ok(()) => Ok(Outcome {
                exit: Exit::Status(0),
                results,
                wave_results: None,
            }),
            Err(e) => Ok(ended(e)),
        }
    }
}

/// A store holding `kernel`, with `limits` applied.
fn new_store(
    engine: &Engine,
    limits: &Limits,
    kernel: Kernel,
    http: Option<warden_http::WasiHttp>,
) -> anyhow::Result<Store<Host>> {
    let mut store = new_store_untimed(engine, limits, kernel, http)?;
    if let Some(t) = limits.timeout {
        // Host calls that wait (poll, blocking reads) stop at the limit too.
        store.data_mut().wasi.kernel.deadline = Some(deadline_after(t));
        // Interrupts the guest at the next epoch check once `t` has passed.
        store.set_epoch_deadline(1);
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(t);
            engine.increment_epoch();
        });
    }
    Ok(store)
}

/// The monotonic-clock time `t` from now, in nanoseconds.
pub(crate) fn deadline_after(t: Duration) -> u64 {
    warden_kernel::clock::Clock::Monotonic
        .now()
        .saturating_add(t.as_nanos().min(u64::MAX as u128) as u64)
}

/// A store holding `kernel` with the memory and fuel limits applied; the
/// caller arranges the wall-time limit.
pub(crate) fn new_store_untimed(
    engine: &Engine,
    limits: &Limits,
    kernel: Kernel,
    http: Option<warden_http::WasiHttp>,
) -> anyhow::Result<Store<Host>> {
    let mut store_limits = StoreLimitsBuilder::new();
    if let Some(max) = limits.max_memory_size {
        store_limits = store_limits.memory_size(max);
    }
    let wasi = warden_p2::WasiP2::new(kernel);
    let host = Host {
        wasi,
        memory: None,
        limits: store_limits.build(),
        http,
    };
    let mut store = Store::new(engine, host);
    store.limiter(|h| &mut h.limits);
    if let Some(n) = limits.max_resources {
        store.data_mut().wasi.table.set_max_capacity(n);
    }
    if let Some(n) = limits.hostcall_fuel {
        store.set_hostcall_fuel(n);
    }
    if let Some(fuel) = limits.fuel {
        store.set_fuel(fuel)?;
    }
    Ok(store)
}

impl Sandbox {
    /// Runs a component's `wasi:cli/run` export (any 0.2.x version).
    fn run_component(self, component: wasmtime::component::Component) -> anyhow::Result<Outcome> {
        let linker = self.component_linker()?;
        let exports: Vec<String> = component
            .component_type()
            .exports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        if let Some(run_export) = exports.iter().find(|n| n.starts_with("wasi:cli/run@0.3.")) {
            if !self.wasi_p3 {
                bail!("this is a WASI 0.3 command (it exports `{run_export}`), and WASI 0.3 is turned off here (-S p3=n or -W component-model-async=n)");
            }
            return self.run_component_p3(linker, component, run_export);
        }
        let run_export = exports
            .into_iter()
            .find(|name| name.starts_with("wasi:cli/run@0.2."))
            .context("the component exports no `wasi:cli/run` interface (WASI 0.2), so it is not a command")?;
        if self.concurrent {
            // Async exports or built-ins: called the concurrent way, as a
            // 0.3 command's run is.
            return self.run_component_p3(linker, component, &run_export);
        }
        let mut store = self.store()?;
        let instance = match linker.instantiate(&mut store, &component) {
            Ok(i) => i,
            Err(e) => {
                let msg = e.to_string();
                if msg.contains("matching implementation was not found") || msg.contains("import") {
                    if msg.contains("wasi:http") {
                        bail!("{msg}; wasi:http is linked only when granted: run with `-S http` (and `--allow-http HOST[:PORT]` for the destinations)");
                    }
                    for (iface, flag) in [
                        ("wasi:config", "-S config"),
                        ("wasi:keyvalue", "-S keyvalue"),
                    ] {
                        if msg.contains(iface) {
                            bail!(
                                "{msg}; {iface} is linked only when asked for: run with `{flag}`"
                            );
                        }
                    }
                    bail!("{msg}; Warden provides wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem, wasi:sockets 0.2.x and 0.3.x, and when asked for wasi:http (-S http), wasi:config (-S config) and wasi:keyvalue (-S keyvalue)");
                }
                return Ok(ended(e));
            }
        };
        let iface = instance
            .get_export_index(&mut store, None, &run_export)
            .context("the run export disappeared")?;
        let func = instance
            .get_export_index(&mut store, Some(&iface), "run")
            .with_context(|| format!("`{run_export}` has no `run` function"))?;
        let run = instance
            .get_typed_func::<(), (Result<(), ()>,)>(&mut store, &func)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("`{run_export}#run` has the wrong type"))?;
        match run.call(&mut store, ()) {
            Ok((Ok(()),)) => Ok(Outcome {
                exit: Exit::Status(0),
                results: Vec::new(),
                wave_results: None,
            }),
            Ok((Err(()),)) => Ok(Outcome {
                exit: Exit::Status(1),
                results: Vec::new(),
                wave_results: None,
            }),
            Err(e) => Ok(ended(e)),
        }
    }
}

impl Sandbox {
    /// Runs a WASI 0.3 command: its async `run` export (`run_export`, a
    /// `wasi:cli/run@0.3.x`), called with the concurrent call API on a
    /// current-thread tokio runtime. `linker` already holds WASI 0.2 (a
    /// component built for wasm32-wasip2 imports 0.2 interfaces from Rust's
    /// std too); the WASI 0.3 slice is added beside it.
    fn run_component_p3(
        self,
        mut linker: wasmtime::component::Linker<Host>,
        component: wasmtime::component::Component,
        run_export: &str,
    ) -> anyhow::Result<Outcome> {
        warden_p3::add_to_linker(&mut linker, |h| warden_p3::WasiP3Ctx {
            kernel: &mut h.wasi.kernel,
            table: &mut h.wasi.table,
        })?;
        // `-S http` links wasi:http@0.3 (types, client) as it does 0.2.
        if self.http.is_some() {
            warden_http::p3::add_to_linker(&mut linker, Host::http_p3_view)?;
        }
        let timeout = self.limits.timeout;
        let mut store = self.store()?;
        // The I/O driver: wasi:sockets@0.3 waits on its sockets' readiness.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .enable_io()
            .build()
            .context("cannot start the async runtime for a WASI 0.3 component")?;
        let outcome = rt.block_on(async move {
            let instance = match linker.instantiate_async(&mut store, &component).await {
                Ok(i) => i,
                Err(e) => {
                    let msg = e.to_string();
                    if msg.contains("matching implementation was not found")
                        || msg.contains("import")
                    {
                        bail!("{msg}; for WASI 0.3 Warden provides wasi:cli (environment, exit, stdin, stdout, stderr), wasi:clocks (monotonic-clock, system-clock), wasi:random, wasi:filesystem, wasi:sockets (types, ip-name-lookup) and, with -S http, wasi:http (types, client), beside all of WASI 0.2");
                    }
                    return Ok(ended(e));
                }
            };
            let iface = instance
                .get_export_index(&mut store, None, run_export)
                .context("the run export disappeared")?;
            let func = instance
                .get_export_index(&mut store, Some(&iface), "run")
                .with_context(|| format!("`{run_export}` has no `run` function"))?;
            let run = instance
                .get_typed_func::<(), (Result<(), ()>,)>(&mut store, &func)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("`{run_export}#run` has the wrong type"))?;
            let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
            let call = store
                .run_concurrent(async move |accessor| run.call_concurrent(accessor, ()).await);
            // The epoch interrupts wasm code at the limit; a guest whose
            // tasks all wait in the host (a sleep, a read) is stopped here.
            let r = match deadline {
                Some(at) => match tokio::time::timeout_at(at, call).await {
                    Ok(r) => r,
                    Err(_) => Err(wasmtime::Error::msg(format!(
                        "the guest ran out of time (-W timeout={:?}) while waiting in the host",
                        timeout.unwrap_or_default()
                    ))),
                },
                None => call.await,
            };
            Ok(match r.and_then(|r| r) {
                Ok((Ok(()),)) => Outcome {
                    exit: Exit::Status(0),
                    results: Vec::new(),
                wave_results: None,
                },
                Ok((Err(()),)) => Outcome {
                    exit: Exit::Status(1),
                    results: Vec::new(),
                wave_results: None,
                },
                Err(e) => ended(e),
            })
        });
        // A read the guest left pending (stdin that never comes) sits on a
        // blocking thread; the run is over, so do not wait for it.
        rt.shutdown_background();
        outcome
    }
}

/// `bytes` in the binary format: WebAssembly text (a module or a
/// component) is converted; anything else is returned as it is.
pub(crate) fn to_binary(bytes: &[u8]) -> anyhow::Result<std::borrow::Cow<'_, [u8]>> {
    let is_text = !bytes.starts_with(b"\0asm")
        && !bytes.starts_with(crate::cache::CWASM_MAGIC)
        && !bytes.starts_with(b"\x7fELF")
        && std::str::from_utf8(bytes).is_ok();
    if !is_text {
        return Ok(bytes.into());
    }
    wat::parse_bytes(bytes).map_err(|e| {
        let e = e.to_string();
        let first = e.lines().next().unwrap_or_default().to_owned();
        anyhow::anyhow!(
            "not a WebAssembly file: no binary header, and not valid WebAssembly text ({first})"
        )
    })
}

pub(crate) fn ended(e: wasmtime::Error) -> Outcome {
    let exit = if let Some(ProcExit(code)) = e.downcast_ref::<ProcExit>() {
        Exit::Status(*code)
    } else if let Some(s) = e.downcast_ref::<Signalled>() {
        Exit::Signalled(*s)
    } else {
        Exit::Trap(e)
    };
    Outcome {
        exit,
        results: Vec::new(),
        wave_results: None,
    }
}

fn parse_params(types: &[ValType], args: &[String]) -> anyhow::Result<Vec<Val>> {
    if types.len() != args.len() {
        bail!(
            "the function takes {} argument(s) but {} were given",
            types.len(),
            args.len()
        );
    }
    types
        .iter()
        .zip(args)
        .map(|(ty, a)| {
            Ok(match ty {
                ValType::I32 => {
                    Val::I32(a.parse().with_context(|| format!("`{a}` is not an i32"))?)
                }
                ValType::I64 => {
                    Val::I64(a.parse().with_context(|| format!("`{a}` is not an i64"))?)
                }
                ValType::F32 => Val::F32(
                    a.parse::<f32>()
                        .with_context(|| format!("`{a}` is not an f32"))?
                        .to_bits(),
                ),
                ValType::F64 => Val::F64(
                    a.parse::<f64>()
                        .with_context(|| format!("`{a}` is not an f64"))?
                        .to_bits(),
                ),
                other => bail!("cannot pass an argument of type {other} from the command line"),
            })
        })
        .collect()
}
