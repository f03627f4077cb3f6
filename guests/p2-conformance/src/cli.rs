//! wasi:cli — environment, stdin/stdout/stderr, terminal-*.

use crate::check::{eq, s, s_closed, s_ok, truth, S};
use wasip2::cli::{
    environment, stderr, stdin, stdout, terminal_stderr, terminal_stdin, terminal_stdout,
};

pub fn run(args: &[String]) {
    // environment
    let env = environment::get_environment();
    eq(
        "cli.get-environment",
        env.clone(),
        vec![
            ("WARDEN_T1".to_string(), "one".to_string()),
            ("WARDEN_T2".to_string(), "two=2".to_string()),
        ],
    );
    // "should return the same values each time it is called"
    eq(
        "cli.get-environment.again",
        environment::get_environment(),
        env,
    );
    eq(
        "cli.get-arguments",
        args.to_vec(),
        vec!["p2-conformance.wasm".to_string(), "all".to_string()],
    );
    eq(
        "cli.get-arguments.again",
        environment::get_arguments(),
        args.to_vec(),
    );
    // Warden gives no initial working directory.
    eq("cli.initial-cwd", environment::initial_cwd(), None);

    // terminals: the harness gives pipes, not terminals
    eq(
        "cli.terminal-stdin",
        terminal_stdin::get_terminal_stdin().is_some(),
        false,
    );
    eq(
        "cli.terminal-stdout",
        terminal_stdout::get_terminal_stdout().is_some(),
        false,
    );
    eq(
        "cli.terminal-stderr",
        terminal_stderr::get_terminal_stderr().is_some(),
        false,
    );

    // stdout: every write flavour; the test looks for these bytes
    let out = stdout::get_stdout();
    let permit = s(out.check_write());
    truth(
        "cli.stdout.check-write",
        matches!(permit, S::Ok(n) if n >= 13),
        "ok(n >= 13)",
        &permit,
    );
    s_ok("cli.stdout.write", out.write(b"p2 out write\n"), ());
    s_ok("cli.stdout.flush", out.flush(), ());
    s_ok("cli.stdout.blocking-flush", out.blocking_flush(), ());
    s_ok(
        "cli.stdout.blocking-write-and-flush",
        out.blocking_write_and_flush(b"p2 out blocking\n"),
        (),
    );
    {
        let p = out.subscribe();
        eq("cli.stdout.subscribe.ready", p.ready(), true);
        p.block();
    }
    s_ok("cli.stdout.write-empty", out.write(b""), ());
    drop(out);
    // A second handle writes to the same stream.
    let out2 = stdout::get_stdout();
    s_ok(
        "cli.stdout.second-handle",
        out2.blocking_write_and_flush(b"p2 out second\n"),
        (),
    );
    drop(out2);

    // stderr
    let err = stderr::get_stderr();
    s_ok(
        "cli.stderr.blocking-write-and-flush",
        err.blocking_write_and_flush(b"p2 err write\n"),
        (),
    );
    let permit = s(err.check_write());
    truth(
        "cli.stderr.check-write",
        matches!(permit, S::Ok(n) if n > 0),
        "ok(n > 0)",
        &permit,
    );
    drop(err);

    // stdin: an empty pipe, closed by the writer
    let inp = stdin::get_stdin();
    {
        let p = inp.subscribe();
        // "resolve once ... the other end of the stream has been closed"
        p.block();
        eq("cli.stdin.empty.ready", p.ready(), true);
    }
    s_closed("cli.stdin.empty.read", inp.read(16));
    s_closed("cli.stdin.empty.blocking-read", inp.blocking_read(16));
    s_closed("cli.stdin.empty.skip", inp.skip(16));
    s_closed("cli.stdin.empty.blocking-skip", inp.blocking_skip(16));
}
