//! `stdin`: reads, skips and splices a known stdin.
//!
//! The test pipes exactly [`DATA`] and closes the pipe. The spliced tail
//! (`splice me\n`) is written to stdout, where the test looks for it.

use crate::check::{eq, s, s_closed, s_ok, truth, S};
use wasip2::cli::{stdin, stdout};
use wasip2::clocks::monotonic_clock;
use wasip2::io::poll;

pub const DATA: &[u8] = b"hello stdin\nline two\nsplice me\n";

pub fn run() {
    let inp = stdin::get_stdin();
    let out = stdout::get_stdout();
    let p = inp.subscribe();
    // The whole of DATA is in the pipe once it is readable: the test writes
    // it with one write of fewer than PIPE_BUF bytes.
    p.block();
    eq("stdin.subscribe.ready", p.ready(), true);
    s_ok(
        "stdin.blocking-read",
        inp.blocking_read(5),
        DATA[..5].to_vec(),
    );
    s_ok("stdin.skip", inp.skip(1), 1);
    s_ok("stdin.blocking-skip", inp.blocking_skip(6), 6);
    s_ok("stdin.read.zero", inp.read(0), Vec::new());
    s_ok("stdin.read", inp.read(9), DATA[12..21].to_vec());
    // The rest goes to stdout through splice: 5 bytes, then what is left.
    s_ok("stdin.splice", out.splice(&inp, 5), 5);
    let n = s(out.blocking_splice(&inp, 100));
    eq("stdin.blocking-splice", n, S::Ok(DATA.len() as u64 - 26));
    s_ok("stdin.flush", out.blocking_flush(), ());
    // End of data: every read flavour reports closed.
    s_closed("stdin.eof.blocking-read", inp.blocking_read(1));
    s_closed("stdin.eof.read", inp.read(1));
    s_closed("stdin.eof.skip", inp.skip(1));
    s_closed("stdin.eof.blocking-skip", inp.blocking_skip(1));
    s_closed("stdin.eof.splice", out.splice(&inp, 1));
    s_closed("stdin.eof.blocking-splice", out.blocking_splice(&inp, 1));
    eq("stdin.eof.ready", p.ready(), true);
    // poll over stdin (ready: closed) and a far timer (not ready).
    let timer = monotonic_clock::subscribe_duration(10_000_000_000);
    let t0 = monotonic_clock::now();
    let ready = poll::poll(&[&timer, &p]);
    eq("stdin.poll.indices", ready, vec![1]);
    let waited = monotonic_clock::now().saturating_sub(t0);
    truth("stdin.poll.prompt", waited < 5_000_000_000, "< 5 s", waited);
    drop(timer);
    drop(p);
}
