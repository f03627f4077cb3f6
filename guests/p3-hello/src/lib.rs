//! A WASI 0.3 command: `p3-hello [CODE [WORDS...]]`.
//!
//! Prints, through the 0.3 stdout stream, one line per fact it checked:
//! its arguments, the `P3_GREETING` environment variable, that a 50 ms
//! `wait-for` took at least 50 ms on the monotonic clock, that the system
//! clock is after 2020, and that random bytes came back; then exits with
//! `CODE` (0 when absent) through `exit-with-code`. With `--stdin` among
//! the words it first reads all of stdin through the 0.3 stdin stream and
//! prints it; it always ends with one line on the 0.3 stderr stream.
//! `p3-hello --values` prints the clocks' and random values instead.
//! `p3-hello --race` instead races a stdin read against a timer (see
//! [`race`]). `p3-hello --short-waits N US` makes N `wait-for`s of US
//! microseconds and prints how long they took in all.

use wasip3::cli::{
    environment, exit, stderr, stdin, stdout, terminal_stderr, terminal_stdin, terminal_stdout,
};
use wasip3::clocks::{monotonic_clock, system_clock};
use wasip3::random::{insecure, insecure_seed, random};
#[path = "../../shared/p3_print.rs"]
mod p3_print;
use p3_print::print;

wasip3::cli::command::export!(Hello);

struct Hello;

/// `--values`: the clocks' and random sources' values themselves (for the
/// deterministic-run tests: the same every run only when they are).
async fn values() -> String {
    let t0 = monotonic_clock::now();
    monotonic_clock::wait_for(10_000_000).await;
    let t1 = monotonic_clock::now();
    let wall = system_clock::now();
    let bytes = random::get_random_bytes(16);
    let (s0, s1) = insecure_seed::get_insecure_seed();
    format!(
        "monotonic {t0} {t1}\nwall {} {}\nrandom {bytes:02x?} {} {}\nseed {s0} {s1}\n",
        wall.seconds,
        wall.nanoseconds,
        random::get_random_u64(),
        insecure::get_insecure_random_u64()
    )
}

/// `--race`: reads stdin and waits 100 ms on the monotonic clock at once,
/// and prints which finished first (stdin is left open by the test, so the
/// timer must win: a blocked stdin read must not stall the guest's other
/// tasks). Returns with the read still pending (the host must not wait for
/// it to exit).
async fn race() -> String {
    use std::future::Future;
    use std::task::Poll;
    let (data, _done) = stdin::read_via_stream();
    let mut read = std::pin::pin!(data.collect());
    let mut timer = std::pin::pin!(monotonic_clock::wait_for(100_000_000));
    let first = std::future::poll_fn(|cx| {
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready("timer");
        }
        if read.as_mut().poll(cx).is_ready() {
            return Poll::Ready("stdin");
        }
        Poll::Pending
    })
    .await;
    format!("race: {first} first\n")
}

/// `--big-write N`: offers N bytes of `x` to stdout in one `write` and
/// reports on stderr how many the host took at once (it takes a large
/// write in chunks), then writes the rest.
async fn big_write(n: usize) {
    let (mut tx, rx) = wasip3::wit_stream::new();
    let done = stdout::write_via_stream(rx);
    let (result, rest) = tx.write(vec![b'x'; n]).await;
    let took = n - rest.remaining();
    let rest = tx.write_all(rest.into_vec()).await;
    assert!(rest.is_empty(), "stdout took only part of the bytes");
    drop(tx);
    done.await.expect("stdout stream failed");
    let (mut etx, erx) = wasip3::wit_stream::new();
    let edone = stderr::write_via_stream(erx);
    let line = format!("first write took {took} ({result:?})\n");
    let _ = etx.write_all(line.into_bytes()).await;
    drop(etx);
    let _ = edone.await;
}

impl wasip3::exports::cli::run::Guest for Hello {
    async fn run() -> Result<(), ()> {
        let args = environment::get_arguments();
        if args.get(1).map(String::as_str) == Some("--race") {
            print(race().await).await;
            return Ok(());
        }
        if args.get(1).map(String::as_str) == Some("--short-waits") {
            let num = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
            let (n, us) = (num(2), num(3));
            let start = monotonic_clock::now();
            for _ in 0..n {
                monotonic_clock::wait_for(us * 1000).await;
            }
            let took = (monotonic_clock::now() - start) / 1000;
            print(format!("{n} waits of {us} us took {took} us\n")).await;
            return Ok(());
        }
        if args.get(1).map(String::as_str) == Some("--values") {
            print(values().await).await;
            return Ok(());
        }
        if args.get(1).map(String::as_str) == Some("--big-write") {
            big_write(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(0)).await;
            return Ok(());
        }
        let env = environment::get_environment();
        let mut out = String::from("hello from wasi 0.3\n");
        out += &format!("args: {:?}\n", &args[1..]);
        let greeting = env.iter().find(|(k, _)| k == "P3_GREETING");
        out += &format!("P3_GREETING: {:?}\n", greeting.map(|(_, v)| v));
        out += &format!("cwd: {:?}\n", environment::get_initial_cwd());
        out += &format!(
            "terminals: stdin {} stdout {} stderr {}\n",
            terminal_stdin::get_terminal_stdin().is_some(),
            terminal_stdout::get_terminal_stdout().is_some(),
            terminal_stderr::get_terminal_stderr().is_some()
        );

        let start = monotonic_clock::now();
        monotonic_clock::wait_for(50_000_000).await;
        let slept = monotonic_clock::now() - start;
        out += &format!("slept >= 50ms: {}\n", slept >= 50_000_000);
        let res = monotonic_clock::get_resolution();
        out += &format!("monotonic resolution ok: {}\n", res > 0 && res <= 1_000_000);
        let wall = system_clock::now();
        out += &format!(
            "system clock after 2020: {}\n",
            wall.seconds > 1_577_836_800
        );

        let bytes = random::get_random_bytes(16);
        let u = random::get_random_u64() | insecure::get_insecure_random_u64();
        let ins = insecure::get_insecure_random_bytes(8);
        let (s0, s1) = insecure_seed::get_insecure_seed();
        out += &format!(
            "random: {} {} bytes, nonzero: {}\n",
            bytes.len(),
            ins.len(),
            bytes.iter().any(|&b| b != 0) || u != 0 || s0 != 0 || s1 != 0
        );

        if args.iter().any(|a| a == "--stdin") {
            let (data, done) = stdin::read_via_stream();
            let bytes = data.collect().await;
            done.await.expect("stdin stream failed");
            out += &format!("stdin: {:?}\n", String::from_utf8_lossy(&bytes));
        }

        print(out).await;

        let (mut tx, rx) = wasip3::wit_stream::new();
        let done = stderr::write_via_stream(rx);
        let rest = tx.write_all(b"to stderr\n".to_vec()).await;
        assert!(rest.is_empty(), "stderr took only part of the text");
        drop(tx);
        done.await.expect("stderr stream failed");

        let code: u8 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
        if code != 0 {
            exit::exit_with_code(code);
        }
        Ok(())
    }
}
