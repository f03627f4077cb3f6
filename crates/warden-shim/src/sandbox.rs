//! Running one container's workload (runwasi's `Sandbox`).
//!
//! This runs inside the container libcontainer made, as its process 1: the
//! image's root filesystem is `/`, the spec's mounts are mounted, the
//! cgroup limits apply. What the guest may touch of it is decided here, deny
//! by default: the spec's arguments and environment, its mounts
//! ([`crate::mounts`]), the network of the pod's namespace, and nothing
//! else. Warden's own caps follow the container's (`crate::cgroup`). It is
//! written as a [`Policy`], the type of `warden run --policy`.

use anyhow::Context as _;
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use containerd_shim_wasm::sandbox::Sandbox;
use std::net::SocketAddr;
use std::path::Path;
use tokio::signal::unix::{signal, SignalKind};
use warden::policy::{ByteCount, DirGrant, DirMode};
use warden::{Exit, Policy, SandboxBuilder, ServeOptions};

use crate::{cgroup, host_dirs, mounts, operator};

/// Where a `wasi:http/proxy` component is served unless the container's
/// environment names another address (see [`SERVE_ADDR_VARS`]).
pub const DEFAULT_SERVE_ADDR: &str = "0.0.0.0:8080";

/// Environment variables of the container that name the address to serve a
/// `wasi:http/proxy` component on, first found wins: Warden's own, then
/// the one runwasi's wasmtime shim reads, so its deployments keep working.
pub const SERVE_ADDR_VARS: &[&str] = &[
    "WARDEN_HTTP_PROXY_SOCKET_ADDR",
    "WASMTIME_HTTP_PROXY_SOCKET_ADDR",
];

/// The stack of the thread a guest runs on, as a main thread's.
const GUEST_STACK: usize = 8 << 20;

/// runwasi's sandbox for Warden: stateless, one per container.
#[derive(Default)]
pub struct WardenSandbox;

impl Sandbox for WardenSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> anyhow::Result<i32> {
        let workload = Workload::from_context(ctx)?;
        let serving = workload.is_http_proxy();
        let (done, result) = tokio::sync::oneshot::channel();
        // Warden's own runtimes (sockets, HTTP) must not start inside
        // runwasi's: the guest gets a thread of its own.
        std::thread::Builder::new()
            .name("warden-guest".into())
            .stack_size(GUEST_STACK)
            .spawn(move || {
                let _ = done.send(if serving {
                    workload.serve()
                } else {
                    workload.run()
                });
            })?;
        if serving {
            // `serve` shuts down gracefully on SIGTERM/SIGINT by itself.
            return result.await?;
        }
        // Process 1 of a PID namespace gets no signal it has no handler
        // for: without these, `ctr task kill` and a pod's termination would
        // wait for SIGKILL. The status is a signalled process's.
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            r = result => r.context("the guest's thread ended without a result")?,
            _ = term.recv() => Ok(128 + 15),
            _ = int.recv() => Ok(128 + 2),
        }
    }

    async fn can_handle(&self, ctx: &impl RuntimeContext) -> anyhow::Result<()> {
        let bytes = ctx
            .entrypoint()
            .source
            .as_bytes()
            .context("cannot read the container's entrypoint")?;
        check_runnable(&bytes)
    }
}

/// Modules and components, in the binary or the text format, and code
/// Warden compiled (a precompiled OCI layer); anything else is refused
/// before the container starts.
pub fn check_runnable(bytes: &[u8]) -> anyhow::Result<()> {
    if bytes.starts_with(b"\0asm") || bytes.starts_with(warden::cache::CWASM_MAGIC) {
        return Ok(());
    }
    let text = std::str::from_utf8(bytes)
        .context("the entrypoint is neither WebAssembly binary (no `\\0asm` header) nor text")?;
    wat::parse_str(text).context("the entrypoint is not valid WebAssembly text")?;
    Ok(())
}

/// One container's program and what the spec grants it.
pub struct Workload {
    pub bytes: Vec<u8>,
    /// `argv`, the entrypoint's path first.
    pub args: Vec<String>,
    /// `NAME=VALUE` pairs.
    pub envs: Vec<String>,
    /// The export named by `entrypoint#func`, when not `_start`.
    pub invoke: Option<String>,
}

impl Workload {
    fn from_context(ctx: &impl RuntimeContext) -> anyhow::Result<Workload> {
        let entry = ctx.entrypoint();
        let bytes = entry.source.as_bytes()?.into_owned();
        let mut args = ctx.args().to_vec();
        // `app.wasm#func` picks the export; the guest's argv[0] is the path.
        if let Some(arg0) = args.first_mut() {
            if let Some((path, _)) = arg0.split_once('#') {
                *arg0 = path.to_owned();
            }
        }
        Ok(Workload {
            bytes,
            args,
            envs: ctx.envs().to_vec(),
            invoke: (entry.func != "_start").then_some(entry.func),
        })
    }

    /// A component of the `wasi:http/proxy` world: it exports an HTTP
    /// handler and no `wasi:cli/run`.
    pub fn is_http_proxy(&self) -> bool {
        is_http_proxy(&self.bytes)
    }

    fn env(&self, name: &str) -> Option<&str> {
        self.envs
            .iter()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    }

    /// The address to serve on: the first of [`SERVE_ADDR_VARS`] set.
    pub fn serve_addr(&self) -> anyhow::Result<SocketAddr> {
        let (name, addr) = SERVE_ADDR_VARS
            .iter()
            .find_map(|n| Some((*n, self.env(n)?)))
            .unwrap_or(("the default", DEFAULT_SERVE_ADDR));
        addr.parse()
            .with_context(|| format!("{name} `{addr}` is not an address:port"))
    }

    /// What the spec grants, as a Warden sandbox, the mounts as this
    /// container's mount table lists them.
    fn grants(&self) -> anyhow::Result<SandboxBuilder> {
        let table = mount_table();
        self.grants_with_mounts(&table)
    }

    fn grants_with_mounts(&self, mountinfo: &str) -> anyhow::Result<SandboxBuilder> {
        let b = warden::Sandbox::builder()
            .args(&self.args)
            .compile_cache(host_dirs::cache());
        let policy = self.policy(mountinfo);
        let policy = match operator::policy()? {
            Some(op) => operator::apply(policy, op)?,
            None => policy,
        };
        b.policy(&policy)
    }

    /// The spec's grants as a Warden policy (the type of `warden run
    /// --policy`), the mounts as `mountinfo` lists them.
    pub fn policy(&self, mountinfo: &str) -> Policy {
        let mut p = Policy::default();
        for kv in &self.envs {
            if let Some((name, value)) = kv.split_once('=') {
                p.env.set.insert(name.to_owned(), value.to_owned());
            }
        }
        for m in mounts::granted(mountinfo) {
            if !Path::new(&m.path).is_dir() {
                continue;
            }
            p.dirs.push(DirGrant {
                host: Some(m.path.clone().into()),
                guest: m.path,
                mode: if m.read_only {
                    DirMode::Ro
                } else {
                    DirMode::Rw
                },
                size: None,
                inodes: None,
                save: None,
            });
        }
        // The pod's network namespace is the boundary: within it, the guest
        // reaches what a container process would.
        p.network.inherit = true;
        p.network.lookup = true;
        // wasi:http only for programs that use it: its client's TLS roots
        // cost start-up time.
        p.http.enabled = uses_http(&self.bytes);
        p.limits.memory = cgroup::memory_limit().map(|n| ByteCount(n as u64));
        p
    }

    /// A sandbox with the engine settings `bytes` will run under, for
    /// compiling ahead of time.
    pub fn engine_for(bytes: &[u8]) -> anyhow::Result<warden::Sandbox> {
        let b = warden::Sandbox::builder().compile_cache(None);
        if is_http_proxy(bytes) {
            b.for_serving().build()
        } else {
            b.build()
        }
    }

    /// Runs a command to its end; the container's exit status is the
    /// guest's (134 after a trap, as `warden run`).
    pub fn run(self) -> anyhow::Result<i32> {
        let table = mount_table();
        self.run_with_mounts(&table)
    }

    /// [`Workload::run`] with the mounts of `mountinfo`.
    pub fn run_with_mounts(self, mountinfo: &str) -> anyhow::Result<i32> {
        let sandbox = self.grants_with_mounts(mountinfo)?.build()?;
        let outcome = sandbox.run(&self.bytes, self.invoke.as_deref(), &[])?;
        if let Exit::Trap(e) = &outcome.exit {
            eprintln!("Error: {e:?}");
        }
        Ok(outcome.exit_status())
    }

    /// Serves a `wasi:http/proxy` component until SIGTERM or SIGINT.
    pub fn serve(self) -> anyhow::Result<i32> {
        let options = ServeOptions {
            addr: self.serve_addr()?,
            ..ServeOptions::default()
        };
        let sandbox = self.grants()?.for_serving().build()?;
        sandbox.serve(&self.bytes, options, |addr| {
            eprintln!("Serving HTTP on http://{addr}/");
        })?;
        Ok(0)
    }
}

/// This container's mount table (empty when unreadable: nothing granted).
fn mount_table() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default()
}

fn is_http_proxy(bytes: &[u8]) -> bool {
    let has = |s: &[u8]| memchr::memmem::find(bytes, s).is_some();
    (has(b"wasi:http/incoming-handler@0.2.") || has(b"wasi:http/handler@0.3."))
        && !has(b"wasi:cli/run@")
}

/// Whether the program uses wasi:http at all.
fn uses_http(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"wasi:http/").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(envs: &[&str]) -> Workload {
        Workload {
            bytes: Vec::new(),
            args: vec!["/app.wasm".into()],
            envs: envs.iter().map(|s| s.to_string()).collect(),
            invoke: None,
        }
    }

    #[test]
    fn serve_address_convention() {
        let addr = |envs: &[&str]| workload(envs).serve_addr().map(|a| a.to_string());
        assert_eq!(addr(&[]).unwrap(), "0.0.0.0:8080");
        assert_eq!(
            addr(&["WASMTIME_HTTP_PROXY_SOCKET_ADDR=127.0.0.1:9000"]).unwrap(),
            "127.0.0.1:9000"
        );
        assert_eq!(
            addr(&[
                "WASMTIME_HTTP_PROXY_SOCKET_ADDR=127.0.0.1:9000",
                "WARDEN_HTTP_PROXY_SOCKET_ADDR=[::1]:81",
            ])
            .unwrap(),
            "[::1]:81"
        );
        assert!(addr(&["WARDEN_HTTP_PROXY_SOCKET_ADDR=nowhere"]).is_err());
        // A longer name that starts with the same letters is another variable.
        assert_eq!(
            addr(&["WARDEN_HTTP_PROXY_SOCKET_ADDR_X=1.2.3.4:5"]).unwrap(),
            "0.0.0.0:8080"
        );
    }

    #[test]
    fn the_spec_as_a_policy() {
        let w = workload(&["A=1", "PATH=/bin", "EMPTY="]);
        let table = "1 0 8:1 /snap / rw - ext4 /dev/sda rw\n\
                     2 1 8:1 /host/tmp /tmp ro - ext4 /dev/sda rw\n\
                     3 1 8:1 /host/etc/hosts /etc/hosts rw - ext4 /dev/sda rw\n\
                     4 1 0:5 / /proc rw - proc proc rw\n";
        let p = w.policy(table);
        let env: Vec<(&str, &str)> = p
            .env
            .set
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(env, [("A", "1"), ("PATH", "/bin"), ("EMPTY", "")]);
        assert!(!p.env.inherit && p.env.pass.is_empty());
        // /etc/hosts is a file here: only /tmp is a directory grant.
        assert_eq!(p.dirs.len(), 1);
        assert_eq!(
            (p.dirs[0].guest.as_str(), p.dirs[0].mode),
            ("/tmp", DirMode::Ro)
        );
        assert!(p.network.inherit && !p.http.enabled);
        assert!(p.check().is_ok());
    }

    #[test]
    fn what_can_be_handled() {
        assert!(check_runnable(b"\0asm\x01\0\0\0").is_ok());
        assert!(check_runnable(b"(module)").is_ok());
        assert!(check_runnable(b"(module (func $f (i32.bogus)))").is_err());
        assert!(check_runnable(b"\x7fELF\x02\x01").is_err());
        assert!(check_runnable(b"#!/bin/sh\necho hi\n").is_err());
    }

    #[test]
    fn proxies_are_told_from_commands() {
        assert!(is_http_proxy(b"..wasi:http/incoming-handler@0.2.3.."));
        assert!(is_http_proxy(b"..wasi:http/handler@0.3.0-rc.."));
        assert!(!is_http_proxy(
            b"..wasi:http/incoming-handler@0.2.3..wasi:cli/run@0.2.3"
        ));
        assert!(!is_http_proxy(b"..wasi:cli/run@0.2.0.."));
    }
}
