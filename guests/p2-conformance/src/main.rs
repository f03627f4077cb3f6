//! WASI 0.2 conformance guest: calls the wasi:cli, wasi:io, wasi:clocks,
//! wasi:random, wasi:filesystem and wasi:sockets interfaces directly
//! (bindings: the `wasip2` crate, WASI 0.2.12) and asserts exact results
//! and error codes as the WIT text documents them.
//!
//! Sub-commands (the second argument):
//! - `all`        every check except the stdin data ones, against the
//!                preopen `/sandbox` (empty at start); expects arguments
//!                `[p2-conformance.wasm, all]`, environment `WARDEN_T1=one`,
//!                `WARDEN_T2=two=2` exactly, an empty stdin, stdout and
//!                stderr that are pipes, and no network grant;
//! - `stdin`      stdin carries exactly [`stdin::DATA`]: reads, skips and
//!                splices it (the spliced tail goes to stdout);
//! - `exit-code N` / `exit-ok` / `exit-err`: wasi:cli/exit.
//!
//! A failing check prints `FAIL <name>: expected X got Y` to stderr. At the
//! end `ok <count> checks` goes to stdout and the exit status is 0, or 1 when
//! anything failed.

mod check;
mod cli;
mod clocks;
mod fs;
mod io;
mod random;
mod sockets;
mod stdin;

fn main() {
    let args = wasip2::cli::environment::get_arguments();
    let cmd = args.get(1).map(String::as_str).unwrap_or("");
    match cmd {
        "all" => {
            fs::empty_at_start();
            cli::run(&args);
            clocks::run();
            random::run();
            io::run();
            fs::run();
            sockets::run();
        }
        "stdin" => stdin::run(),
        "exit-code" => {
            let code: u8 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
            wasip2::cli::exit::exit_with_code(code);
            check::truth("exit.exit-with-code", false, "no return", "returned");
        }
        "exit-ok" => {
            wasip2::cli::exit::exit(Ok(()));
            check::truth("exit.exit-ok", false, "no return", "returned");
        }
        "exit-err" => {
            wasip2::cli::exit::exit(Err(()));
            check::truth("exit.exit-err", false, "no return", "returned");
        }
        other => {
            eprintln!(
                "usage: p2-conformance all|stdin|exit-code N|exit-ok|exit-err (got {other:?})"
            );
            wasip2::cli::exit::exit_with_code(2);
        }
    }
    let fails = check::failures();
    let line = if fails == 0 {
        format!("ok {} checks\n", check::checks())
    } else {
        format!("failed {} of {} checks\n", fails, check::checks())
    };
    let out = wasip2::cli::stdout::get_stdout();
    let _ = out.blocking_write_and_flush(line.as_bytes());
    drop(out);
    wasip2::cli::exit::exit(if fails == 0 { Ok(()) } else { Err(()) });
}
