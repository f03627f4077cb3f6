//! The `warden` command.
//!
//! Accepts the wasmtime CLI's forms for WASI so scripts run unchanged:
//! `warden run [OPTIONS] FILE [ARGS]...`, `warden FILE [ARGS]...`, `--dir`,
//! `--env`, `--invoke`, `--tcplisten`, `--fuel`, `-S` and `-W` options.

mod options;
mod trace;

use anyhow::Context as _;
use clap::Parser;
use options::{Cli, Command, CompileArgs, PolicyCommand, RunArgs, SandboxArgs, ServeArgs};
use std::io::Write as _;
use warden::{Exit, Sandbox};

fn main() {
    let mut argv: Vec<String> = std::env::args().collect();
    // `warden FILE ...` is `warden run FILE ...`, as with wasmtime.
    if let Some(first) = argv.get(1) {
        let known = [
            "run",
            "serve",
            "compile",
            "policy",
            "help",
            "-h",
            "--help",
            "-V",
            "--version",
        ];
        if !known.contains(&first.as_str()) {
            argv.insert(1, "run".into());
        }
    }
    let cli = Cli::parse_from(argv);
    if let Err(e) = init_logging(&cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
    let status = match cli.command {
        Command::Run(args) => run(*args),
        Command::Serve(args) => serve(*args),
        Command::Compile(args) => compile(args),
        Command::Policy(PolicyCommand::Check { file }) => warden::Policy::load(&file).map(|p| {
            print!("{}", p.to_toml());
            0
        }),
    };
    match status {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // One line naming the cause, never a host backtrace.
            let msg = e
                .chain()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("error: {msg}");
            std::process::exit(1);
        }
    }
}

/// Logging (`WARDEN_LOG`, by default the access log of `warden serve` and
/// warnings of denied HTTP egress) and the call trace: on stderr when
/// `WARDEN_LOG` asks for `wasi=trace` (or `trace`), into a file with
/// `--trace FILE`.
fn init_logging(cli: &Cli) -> anyhow::Result<()> {
    use tracing_subscriber::prelude::*;
    let spec = std::env::var("WARDEN_LOG").unwrap_or_default();
    let calls_on_stderr = spec
        .split(',')
        .any(|d| matches!(d.trim(), "wasi=trace" | "trace"));
    let trace_file = match &cli.command {
        Command::Run(a) => a.sandbox.trace.as_ref(),
        Command::Serve(a) => a.sandbox.trace.as_ref(),
        _ => None,
    };
    let json = match trace_file {
        Some(path) => Some(std::sync::Mutex::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write the trace `{}`", path.display()))?,
        )),
        None => None,
    };
    let mut filter =
        tracing_subscriber::EnvFilter::try_from_env("WARDEN_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("warden::serve=info,warden::http=warn")
        });
    // WASI calls are the call trace's to print, in one format for all versions.
    for quiet in [
        "wasi",
        "warden_p2::bindings",
        "warden_p3::bindings",
        "warden_http::bindings",
        "warden_http::p3::bindings",
    ] {
        filter = filter.add_directive(format!("{quiet}=off").parse()?);
    }
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter);
    let calls = (calls_on_stderr || json.is_some()).then(|| {
        trace::CallTrace {
            stderr: calls_on_stderr,
            json,
        }
        .with_filter(tracing_subscriber::filter::filter_fn(trace::is_call))
    });
    tracing_subscriber::registry().with(log).with(calls).init();
    Ok(())
}

fn compile(args: CompileArgs) -> anyhow::Result<i32> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.file.with_extension("cwasm"));
    let compiled = Sandbox::builder()
        .compile_cache(None)
        .build()?
        .precompile(&bytes)?;
    std::fs::write(&out, compiled).with_context(|| format!("cannot write `{}`", out.display()))?;
    Ok(0)
}

/// The sandbox the options describe (shared by `run` and `serve`).
fn sandbox(
    args: &SandboxArgs,
    settings: &options::Settings,
) -> anyhow::Result<warden::SandboxBuilder> {
    let mut builder = Sandbox::builder()
        .args(settings.guest_args.iter())
        .wasi_p3(settings.wasi_p3);
    if args.no_cache {
        builder = builder.compile_cache(None);
    }
    if let Some(vars) = &settings.config {
        builder = builder.wasi_config(vars.iter().cloned());
    }
    if let Some(seed) = &settings.keyvalue {
        builder = builder.wasi_keyvalue(seed.iter().cloned());
    }
    if let Some(cwd) = &settings.initial_cwd {
        builder = builder.initial_cwd(cwd);
    }
    let p = &settings.policy;
    if p.determinism.enabled
        && p.dirs
            .iter()
            .any(|d| d.host.is_some() && d.mode.live_host())
    {
        eprintln!("warden: warning: --deterministic with host directories: what others write there can make runs differ (--mem-dir HOST::GUEST takes a copy)");
    }
    Ok(builder
        .policy(&settings.policy)?
        .http_body_buffering(settings.body_buffering.clone()))
}

fn serve(args: ServeArgs) -> anyhow::Result<i32> {
    if let Some(n) = args.max_instance_reuse_count {
        if n != 1 {
            anyhow::bail!("--max-instance-reuse-count {n}: Warden gives every request a fresh instance (a count of 1), so that no request sees another's state; see docs/compat.md");
        }
    }
    let mut settings = args.sandbox.settings(&args.file, &[])?;
    if !settings.policy.network.listen.is_empty() {
        anyhow::bail!("`warden serve` does not take --tcplisten");
    }
    let mut options = warden::ServeOptions {
        addr: args.addr,
        max_body_size: args.max_body_size,
        max_header_size: args.max_header_size,
        request_headers: args
            .headers
            .iter()
            .map(|h| options::parse_header(h))
            .collect::<anyhow::Result<_>>()?,
        ..Default::default()
    };
    // -W timeout is per request when serving, as in wasmtime serve.
    if let Some(t) = settings.policy.limits.timeout.take() {
        options.request_timeout = t.0;
    }
    if let Some(t) = &args.request_timeout {
        options.request_timeout = options::parse_duration(t)?;
    }
    // A served component always has wasi:http; egress only as granted.
    settings.policy.http.enabled = true;
    let file = std::path::PathBuf::from(&args.file);
    let bytes =
        std::fs::read(&file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let builder = sandbox(&args.sandbox, &settings)?.for_serving();
    builder.build()?.serve(&bytes, options, |addr| {
        eprintln!("Serving HTTP on http://{addr}/");
    })?;
    Ok(0)
}

fn run(args: RunArgs) -> anyhow::Result<i32> {
    let settings = args.settings()?;
    let file = args.file();
    let builder = sandbox(&args.sandbox, &settings)?;
    let outcome =
        builder
            .build()?
            .run_path(&file, args.invoke.as_deref(), &settings.invoke_args)?;
    let _ = std::io::stdout().flush();
    match &outcome.exit {
        Exit::Status(_) => {
            for v in &outcome.results {
                println!("{}", options::show_val(v));
            }
            if let Some(wave) = &outcome.wave_results {
                println!("{wave}");
            }
        }
        Exit::Signalled(s) => eprintln!("warden: {s}"),
        Exit::Trap(e) => {
            // The trap and the wasm backtrace, never the host's stack.
            eprintln!("Error: failed to run `{}`\n\nCaused by:", file.display());
            for (i, cause) in e.chain().enumerate() {
                let text = cause.to_string().replace('\n', "\n       ");
                eprintln!("    {i}: {text}");
            }
        }
    }
    Ok(outcome.exit_status())
}
