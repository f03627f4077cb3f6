//! Command-line options, in the wasmtime CLI's spelling.

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use warden::policy::{ByteCount, DirGrant, DirMode, Span};
use warden::Policy;

/// `warden --version`: the version, then which host layer this build uses
/// (`linux`, `unix` on macOS or with the portable-host feature, `windows`).
const LONG_VERSION: &str = const_format_host_layer();

const fn const_format_host_layer() -> &'static str {
    match warden::kernel::sys::HOST_LAYER.as_bytes() {
        b"linux" => concat!(env!("CARGO_PKG_VERSION"), " (host layer: linux)"),
        b"windows" => concat!(env!("CARGO_PKG_VERSION"), " (host layer: windows)"),
        _ => concat!(env!("CARGO_PKG_VERSION"), " (host layer: unix)"),
    }
}

#[derive(Parser)]
#[command(
    name = "warden",
    version,
    long_version = LONG_VERSION,
    about = "Run WebAssembly programs under WASI, in a sandbox that grants nothing by default."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a WASI program: a core module (WASI 0.1) or a component (WASI 0.2).
    #[command(after_help = EXAMPLES)]
    Run(Box<RunArgs>),
    /// Serve HTTP with a wasi:http/proxy component: a fresh instance per request.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(Box<ServeArgs>),
    /// Compile a program ahead of time into a `.cwasm` file that `warden run` loads without compiling.
    Compile(CompileArgs),
    /// Policy files: `warden policy check FILE` validates one and prints the effective policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file and print the policy it grants, every entry spelled out.
    Check {
        /// The policy file (TOML).
        #[arg(value_name = "FILE.toml")]
        file: PathBuf,
    },
}

const SERVE_EXAMPLES: &str = "\
Examples:
  warden serve hello.wasm                          serve on 0.0.0.0:8080
  warden serve --addr 127.0.0.1:0 hello.wasm       a free port; the URL is printed on stderr
  warden serve --dir ./static::/static --env MODE=prod app.wasm
  warden serve --allow-http api.example.com:443 proxy.wasm   the guest may call that API
  warden serve -W timeout=5s --max-body-size 1048576 app.wasm

On start warden prints one line to stderr, `Serving HTTP on http://ADDR/`. A trap answers
500, a request over its time 504; SIGINT/SIGTERM stop accepting and finish requests in
flight. One log line per request (request id, method, path, status, time) on stderr.";

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long = "addr",
        value_name = "HOST:PORT",
        default_value = "0.0.0.0:8080"
    )]
    pub addr: std::net::SocketAddr,

    /// Most bytes of request body a request may send (more: 413).
    #[arg(long = "max-body-size", value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_body_size: u64,

    /// Most bytes of request head (request line and headers) (more: 431).
    #[arg(long = "max-header-size", value_name = "BYTES", default_value_t = 64 << 10)]
    pub max_header_size: usize,

    /// Wall time one request may run in the guest (more: 504); also -W timeout=DURATION.
    #[arg(long = "request-timeout", value_name = "DURATION")]
    pub request_timeout: Option<String>,

    /// Set a header field on every request before the guest sees it,
    /// replacing what the client sent ('NAME: VALUE' or NAME=VALUE; an
    /// empty value removes the field). Repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Accepted for wasmtime compatibility: Warden never prefixes the
    /// guest's stdout/stderr lines (wasmtime does unless this is given).
    #[arg(long = "no-logging-prefix")]
    pub no_logging_prefix: bool,

    /// Requests one instance may serve. Warden gives every request a fresh
    /// instance, so only 1 is accepted (docs/compat.md).
    #[arg(long = "max-instance-reuse-count", value_name = "N")]
    pub max_instance_reuse_count: Option<usize>,

    #[command(flatten)]
    pub sandbox: SandboxArgs,

    /// The wasi:http/proxy component to serve. Options may stand before or after it.
    #[arg(value_name = "FILE")]
    pub file: String,
}

#[derive(Args)]
pub struct CompileArgs {
    /// Where to write the compiled program (default: FILE with the extension .cwasm).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// The WebAssembly module or component to compile.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

const EXAMPLES: &str = "\
Examples:
  warden run hello.wasm                         run a program; it sees no files and no environment
  warden hello.wasm a b                         the same, passing arguments a and b
  warden run --dir ./data::/data app.wasm       grant ./data, seen by the guest as /data
  warden run --dir ./site::/site::ro app.wasm   grant ./site read-only
  warden run --dir .::/src::overlay app.wasm    the guest reads . as /src; what it changes stays in memory
  warden run --mem-dir ./seed::/tmp app.wasm    an in-memory copy of ./seed as /tmp; writes stay in memory
  warden run --env LANG=C --env HOME app.wasm   set LANG, and pass HOME through from the host
  warden run -S inherit-env app.wasm            pass the whole host environment
  warden run --policy app.toml app.wasm         grant what the policy file says (docs/policy.md)
  warden run --deterministic=7 sim.wasm         the same output every run: virtual clocks, seeded random
  warden run --invoke add math.wasm 1 2         call the export `add` with arguments 1 and 2
  warden run --tcplisten 127.0.0.1:8080 srv.wasm  hand the guest a listening socket (fd after the dirs)
  warden run -W timeout=5s -W max-memory-size=67108864 --fuel 1000000000 app.wasm
  warden run -S inherit-network app.wasm        a component may bind and connect anywhere
  warden run --allow-connect 127.0.0.1:8080 app.wasm   ... or only there
  warden compile app.wasm -o app.cwasm && warden run app.cwasm   compile ahead of time

Exit status: the guest's proc_exit status; 128+N when the guest raised signal N on
itself; 134 when it trapped; 1 when warden could not run it (the reason is printed).
Set WARDEN_LOG=wasi=trace to see every WASI call on stderr, or --trace FILE for JSON lines.";

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub sandbox: SandboxArgs,

    /// Call this exported function instead of `_start`; the ARGS are its arguments.
    #[arg(long = "invoke", value_name = "FUNC")]
    pub invoke: Option<String>,

    /// The program, then the arguments passed to it.
    #[arg(value_name = "FILE", required = true, trailing_var_arg = true, num_args = 1..)]
    pub module_and_args: Vec<String>,
}

/// The grants and limits shared by `run` and `serve`.
#[derive(Args)]
pub struct SandboxArgs {
    /// Repeatable runs: virtual clocks, random bytes from SEED (default 0), directory listings in name order; no network.
    #[arg(long = "deterministic", value_name = "SEED", num_args = 0..=1, default_missing_value = "0", require_equals = true)]
    pub deterministic: Option<u64>,

    /// Write every WASI call (of every version) to FILE, one JSON object per line.
    #[arg(long = "trace", value_name = "FILE")]
    pub trace: Option<PathBuf>,

    /// Grant and limit what this policy file says (TOML; see docs/policy.md); the flags below add to it.
    #[arg(long = "policy", value_name = "FILE.toml")]
    pub policy: Option<PathBuf>,

    /// Grant a host directory: HOST[::GUEST][::ro|::overlay]. GUEST defaults to HOST. With ::overlay the guest reads HOST and its changes stay in memory ([::size=BYTES][::inodes=N] bound them, as for --mem-dir); the host is never written.
    #[arg(long = "dir", value_name = "HOST[::GUEST][::ro|::overlay]")]
    pub dirs: Vec<String>,

    /// Grant an in-memory directory: [HOST::]GUEST[::ro][::size=BYTES][::inodes=N]. With HOST it starts as a copy of it; writes never reach the host; it holds at most BYTES of file data and symlink targets (default 256M) and N names (default 262144).
    #[arg(
        long = "mem-dir",
        value_name = "[HOST::]GUEST[::ro][::size=BYTES][::inodes=N]"
    )]
    pub mem_dirs: Vec<String>,

    /// After the run, write what the guest changed in the overlay (or in-memory directory) GUEST into DIR, which must be empty or missing: changed and new entries, and an empty .wh.NAME for each host name removed (an OCI layer's whiteouts).
    #[arg(long = "overlay-save", value_name = "GUEST=DIR")]
    pub overlay_saves: Vec<String>,

    /// Set NAME=VAL in the guest's environment, or pass NAME through from the host.
    #[arg(long = "env", value_name = "NAME[=VAL]")]
    pub env: Vec<String>,

    /// Pass the whole host environment to the guest (same as -S inherit-env).
    #[arg(long = "inherit-env")]
    pub inherit_env: bool,

    /// Listen on ADDR and hand the socket to the guest as a preopened descriptor.
    #[arg(long = "tcplisten", value_name = "ADDR")]
    pub tcplisten: Vec<String>,

    /// Let a component bind to addresses matching ADDR[/PREFIX][:PORT[-PORT]] (repeatable).
    #[arg(long = "allow-bind", value_name = "ADDR[/PREFIX][:PORTS]")]
    pub allow_bind: Vec<String>,

    /// Let a component connect (or send datagrams) to ADDR[/PREFIX][:PORT[-PORT]] (repeatable).
    #[arg(long = "allow-connect", value_name = "ADDR[/PREFIX][:PORTS]")]
    pub allow_connect: Vec<String>,

    /// Let wasi:http requests go to HOST, HOST:PORT, [IPV6][:PORT] or * (repeatable; implies -S http).
    #[arg(long = "allow-http", value_name = "HOST[:PORT]")]
    pub allow_http: Vec<String>,

    /// Trust the CA certificates in this PEM file for https, beside the built-in roots (repeatable).
    #[arg(long = "http-ca-cert", value_name = "FILE.pem")]
    pub http_ca_cert: Vec<PathBuf>,

    /// Stop the guest after it burns this much fuel.
    #[arg(long = "fuel", value_name = "N")]
    pub fuel: Option<u64>,

    /// Do not use the compile cache (by default compiled code is cached in
    /// $WARDEN_CACHE_DIR, else $XDG_CACHE_HOME/warden, else ~/.cache/warden).
    #[arg(long = "no-cache")]
    pub no_cache: bool,

    /// The name the guest sees as argv[0] (default: FILE's base name, as in wasmtime).
    #[arg(long = "argv0", value_name = "NAME")]
    pub argv0: Option<String>,

    /// WASI option, as in wasmtime: -S inherit-env, -S cli, -S tcplisten=ADDR,
    /// -S inherit-network, -S allow-ip-name-lookup, -S tcp, -S udp, -S http.
    #[arg(short = 'S', value_name = "KEY[=VAL]")]
    pub wasi: Vec<String>,

    /// Engine option, as in wasmtime: -W timeout=DURATION, -W max-memory-size=BYTES, -W fuel=N.
    #[arg(short = 'W', value_name = "KEY[=VAL]")]
    pub wasm: Vec<String>,
}

/// A byte count: `65536`, `64K`, `64M`, `1G` (powers of 1024).
pub fn parse_bytes(s: &str) -> anyhow::Result<u64> {
    Ok(s.parse::<ByteCount>()?.0)
}

/// Everything the options say, checked.
pub struct Settings {
    pub guest_args: Vec<String>,
    pub invoke_args: Vec<String>,
    /// Every grant and limit: the policy file's, with the flags added.
    pub policy: Policy,
    /// Whether WASI 0.3 components may run.
    pub wasi_p3: bool,
    /// What `get-initial-cwd` answers (`-S cwd=DIR`).
    pub initial_cwd: Option<String>,
    /// `wasi:config` variables, when `-S config` links it.
    pub config: Option<Vec<(String, String)>>,
    /// The `wasi:keyvalue` store's seed, when `-S keyvalue` links it.
    pub keyvalue: Option<Vec<(String, Vec<u8>)>>,
    /// How 0.2 outgoing HTTP bodies are buffered.
    pub body_buffering: warden::http::BodyBuffering,
}

/// `-S NAME=KEY=VALUE`: the pair.
fn pair(key: &str, val: Option<&str>) -> anyhow::Result<(String, String)> {
    val.and_then(|v| v.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .with_context(|| format!("-S {key} needs a pair: -S {key}=KEY=VALUE"))
}

fn number<T: std::str::FromStr>(key: &str, val: Option<&str>) -> anyhow::Result<T> {
    let v = val.with_context(|| format!("-S {key} needs a value: -S {key}=N"))?;
    v.parse()
        .map_err(|_| anyhow::anyhow!("-S {key}: `{v}` is not a number"))
}

fn is_true(v: Option<&str>) -> anyhow::Result<bool> {
    match v {
        None | Some("y") | Some("yes") | Some("true") => Ok(true),
        Some("n") | Some("no") | Some("false") => Ok(false),
        Some(o) => bail!("expected y/n, found `{o}`"),
    }
}

/// `--header 'NAME: VALUE'` (curl's spelling) or `NAME=VALUE`.
pub fn parse_header(spec: &str) -> anyhow::Result<(http::HeaderName, http::HeaderValue)> {
    let (name, value) = spec
        .split_once(':')
        .or_else(|| spec.split_once('='))
        .with_context(|| format!("--header `{spec}` is not of the form 'NAME: VALUE'"))?;
    let name = http::HeaderName::from_bytes(name.trim().as_bytes())
        .with_context(|| format!("--header `{spec}`: `{}` is not a header name", name.trim()))?;
    let value = http::HeaderValue::from_str(value.trim())
        .with_context(|| format!("--header `{spec}`: the value is not a header value"))?;
    Ok((name, value))
}

pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    Ok(s.parse::<Span>()?.0)
}

fn parse_dir(spec: &str, memory: bool) -> anyhow::Result<DirGrant> {
    let mut parts: Vec<&str> = spec.split("::").collect();
    let mut read_only = false;
    let mut overlay = false;
    let mut quota = None;
    let mut name_quota = None;
    while parts.len() > 1 {
        match *parts.last().expect("more than one part") {
            "ro" => read_only = true,
            "overlay" if !memory => overlay = true,
            p if p.starts_with("size=") => {
                quota = Some(parse_bytes(&p["size=".len()..])?);
            }
            p if p.starts_with("inodes=") => {
                let n = &p["inodes=".len()..];
                name_quota = Some(
                    n.parse()
                        .with_context(|| format!("`{spec}`: `{n}` is not a number of inodes"))?,
                );
            }
            _ => break,
        }
        parts.pop();
    }
    let (host, guest) = match (parts.as_slice(), memory) {
        ([host], false) => (Some(PathBuf::from(host)), host.to_string()),
        ([guest], true) => (None, guest.to_string()),
        ([host, guest], _) => (
            if host.is_empty() {
                None
            } else {
                Some(PathBuf::from(host))
            },
            guest.to_string(),
        ),
        _ => bail!("`{spec}` is not of the form HOST[::GUEST][::ro|::overlay]"),
    };
    if guest.is_empty() {
        bail!("`{spec}` names no guest directory");
    }
    if (quota.is_some() || name_quota.is_some()) && !(memory || overlay) {
        bail!(
            "`{spec}`: size= and inodes= apply to --mem-dir and ::overlay (what is held in memory)"
        );
    }
    let mode = match (memory, read_only, overlay) {
        (_, true, true) => bail!("`{spec}`: ::ro and ::overlay exclude each other"),
        (false, false, true) => DirMode::Overlay,
        (false, false, false) => DirMode::Rw,
        (false, true, false) => DirMode::Ro,
        (true, false, _) => DirMode::Memory,
        (true, true, _) => DirMode::MemoryRo,
    };
    Ok(DirGrant {
        host,
        guest,
        mode,
        size: quota.map(ByteCount),
        inodes: name_quota,
        save: None,
    })
}

impl RunArgs {
    pub fn file(&self) -> PathBuf {
        PathBuf::from(&self.module_and_args[0])
    }

    pub fn settings(&self) -> anyhow::Result<Settings> {
        self.sandbox
            .settings(&self.module_and_args[0], &self.module_and_args[1..])
    }
}

/// `-S`/`-W` values, split at commas as wasmtime does (`-S p3,http`).
fn split_options(opts: &[String]) -> impl Iterator<Item = (&str, Option<&str>)> {
    opts.iter()
        .flat_map(|o| o.split(','))
        .filter(|o| !o.is_empty())
        .map(|o| match o.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (o, None),
        })
}

impl SandboxArgs {
    /// The settings for running `program` with `rest` as its arguments:
    /// the policy file, if any, with every granting flag added as the
    /// policy entry it is a shorthand for.
    pub fn settings(&self, program: &str, rest: &[String]) -> anyhow::Result<Settings> {
        let mut flags = Policy::default();
        flags.env.inherit = self.inherit_env;
        flags.network.bind = self.allow_bind.clone();
        flags.network.connect = self.allow_connect.clone();
        flags.network.listen = self.tcplisten.clone();
        flags.http.allow = self.allow_http.clone();
        flags.http.ca_certs = self.http_ca_cert.clone();
        flags.limits.fuel = self.fuel;
        if let Some(seed) = self.deterministic {
            flags.determinism = warden::policy::Determinism {
                enabled: true,
                seed,
            };
        }
        let mut wasi_p3 = true;
        let mut initial_cwd = None;
        let (mut config_on, mut config_vars) = (false, Vec::new());
        let (mut keyvalue_on, mut keyvalue_data) = (false, Vec::new());
        let mut body_buffering = warden::http::BodyBuffering::default();
        let bytes = |key: &str, val: Option<&str>| number::<u64>(key, val).map(ByteCount);
        for (key, val) in split_options(&self.wasi) {
            match key {
                "http-outgoing-body-buffer-chunks" => {
                    body_buffering.chunks = number(key, val)?;
                    if body_buffering.chunks == 0 {
                        bail!("-S {key} must be at least 1");
                    }
                }
                "http-outgoing-body-chunk-size" => {
                    body_buffering.chunk_size = number(key, val)?;
                    if body_buffering.chunk_size == 0 {
                        bail!("-S {key} must be at least 1");
                    }
                }
                "config" => config_on = is_true(val)?,
                "config-var" => config_vars.push(pair(key, val)?),
                "keyvalue" => keyvalue_on = is_true(val)?,
                "keyvalue-in-memory-data" => {
                    let (k, v) = pair(key, val)?;
                    keyvalue_data.push((k, v.into_bytes()));
                }
                "max-resources" => flags.limits.resources = Some(number(key, val)?),
                "hostcall-fuel" => flags.limits.hostcall_bytes = Some(bytes(key, val)?),
                "max-random-size" => flags.limits.random_bytes = Some(bytes(key, val)?),
                "max-http-fields-size" => flags.limits.http_fields_size = Some(bytes(key, val)?),
                "max-http-fields-total" => flags.limits.http_fields_total = Some(bytes(key, val)?),
                "cwd" => {
                    initial_cwd = Some(
                        val.context("-S cwd needs a directory: -S cwd=DIR")?
                            .to_owned(),
                    )
                }
                // wasi:cli/exit's exit-with-code is stable since 0.2.12 and
                // always provided; it cannot be taken away.
                "cli-exit-with-code" => {
                    if !is_true(val)? {
                        bail!("-S cli-exit-with-code=n: Warden always provides exit-with-code (stable since WASI 0.2.12)");
                    }
                }
                "inherit-env" => flags.env.inherit = is_true(val)?,
                "tcplisten" => flags.network.listen.push(
                    val.context("-S tcplisten needs an address: -S tcplisten=ADDR")?
                        .to_owned(),
                ),
                // The network grants concern components (WASI 0.1 has no
                // way to create sockets or look names up).
                "inherit-network" => flags.network.inherit = is_true(val)?,
                "allow-ip-name-lookup" => flags.network.lookup = is_true(val)?,
                "tcp" => flags.network.tcp = is_true(val)?,
                "udp" => flags.network.udp = is_true(val)?,
                "cli" | "preview2" => {
                    is_true(val)?;
                }
                "http" => flags.http.enabled = is_true(val)?,
                // WASI 0.3 components are recognised and run without it;
                // `-S p3=n` refuses them, as a wasmtime without it would.
                "p3" => wasi_p3 = is_true(val)?,
                "nn" | "threads" => {
                    bail!("-S {key} is not supported by this Warden (it provides WASI 0.1, 0.2 and 0.3: cli, clocks, random, filesystem, sockets, http; and wasi:config, wasi:keyvalue)")
                }
                _ => bail!("unknown -S option `{key}`"),
            }
        }
        for (key, val) in split_options(&self.wasm) {
            match (key, val) {
                ("timeout", Some(v)) => flags.limits.timeout = Some(v.parse()?),
                ("max-memory-size", Some(v)) => flags.limits.memory = Some(v.parse()?),
                ("fuel", Some(v)) => {
                    flags.limits.fuel = Some(
                        v.parse()
                            .with_context(|| format!("`{v}` is not a number"))?,
                    )
                }
                ("component-model", _) => {
                    is_true(val)?;
                }
                // Component-model async is what WASI 0.3 runs on.
                ("component-model-async", _) => wasi_p3 &= is_true(val)?,
                (k @ ("timeout" | "max-memory-size" | "fuel"), None) => {
                    bail!("-W {k} needs a value: -W {k}=...")
                }
                (k, _) => bail!("-W {k} is not supported by this Warden"),
            }
        }
        for e in &self.env {
            match e.split_once('=') {
                Some((k, v)) => {
                    flags.env.set.insert(k.to_owned(), v.to_owned());
                }
                None => flags.env.pass.push(e.clone()),
            }
        }
        for d in &self.dirs {
            flags.dirs.push(parse_dir(d, false)?);
        }
        for d in &self.mem_dirs {
            flags.dirs.push(parse_dir(d, true)?);
        }
        let mut policy = match &self.policy {
            Some(file) => Policy::load(file)?,
            None => Policy::default(),
        };
        policy.add(flags);
        for spec in &self.overlay_saves {
            let (guest, out) = spec
                .split_once('=')
                .with_context(|| format!("--overlay-save `{spec}` is not of the form GUEST=DIR"))?;
            let dir = policy
                .dirs
                .iter_mut()
                .rev()
                .find(|d| d.guest == guest && d.mode.memory())
                .with_context(|| {
                    format!("--overlay-save `{spec}`: no overlay or in-memory directory is granted as `{guest}`")
                })?;
            dir.save = Some(PathBuf::from(out));
        }
        policy.check()?;
        // argv[0] is the program's file name without its directories, as
        // the Wasmtime CLI gives it: the host path is not the guest's business.
        let argv0 = self.argv0.clone().unwrap_or_else(|| {
            std::path::Path::new(program)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| program.to_owned())
        });
        let mut guest_args = vec![argv0];
        guest_args.extend(rest.iter().cloned());
        Ok(Settings {
            guest_args,
            invoke_args: rest.to_vec(),
            policy,
            wasi_p3,
            initial_cwd,
            config: config_on.then_some(config_vars),
            keyvalue: keyvalue_on.then_some(keyvalue_data),
            body_buffering,
        })
    }
}

/// Prints a value returned by an invoked function.
pub fn show_val(v: &wasmtime::Val) -> String {
    match v {
        wasmtime::Val::I32(i) => i.to_string(),
        wasmtime::Val::I64(i) => i.to_string(),
        wasmtime::Val::F32(f) => f32::from_bits(*f).to_string(),
        wasmtime::Val::F64(f) => f64::from_bits(*f).to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_forms() {
        let d = parse_dir("a::/b::ro", false).unwrap();
        assert_eq!(
            (d.host.unwrap(), d.guest.as_str(), d.mode),
            (PathBuf::from("a"), "/b", DirMode::Ro)
        );
        let d = parse_dir("/x", false).unwrap();
        assert_eq!((d.guest.as_str(), d.mode), ("/x", DirMode::Rw));
        let d = parse_dir("/tmp", true).unwrap();
        assert!(d.host.is_none());
        let d = parse_dir("/m::size=64M", true).unwrap();
        assert_eq!(
            (d.guest.as_str(), d.size),
            ("/m", Some(ByteCount(64 << 20)))
        );
        let d = parse_dir("/m::size=1K::inodes=10", true).unwrap();
        assert_eq!((d.size, d.inodes), (Some(ByteCount(1024)), Some(10)));
        assert!(parse_dir("/h::/g::inodes=10", false).is_err());
        let d = parse_dir("seed::/m::ro::size=1K", true).unwrap();
        assert_eq!((d.mode, d.size), (DirMode::MemoryRo, Some(ByteCount(1024))));
        assert!(parse_dir("a::/b::size=1M", false).is_err());
        assert!(parse_bytes("12X").is_err());
        assert!(parse_dir("a::b::c::d", false).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5x").is_err());
    }
}
