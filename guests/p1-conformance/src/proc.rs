//! proc_exit, proc_raise, sched_yield.
//!
//! proc_exit is what ends every mode (see `main::finish` and `exit N`).

use crate::check;
use wasi::wasi_snapshot_preview1 as raw;

const SIGNALS: &[&str] = &[
    "none", "hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill", "usr1", "segv",
    "usr2", "pipe", "alrm", "term", "chld", "cont", "stop", "tstp", "ttin", "ttou", "urg", "xcpu",
    "xfsz", "vtalrm", "prof", "winch", "poll", "pwr", "sys",
];

pub fn run() {
    unsafe {
        check::ok("sched_yield", wasi::sched_yield());
        check::ok("sched_yield.again", wasi::sched_yield());

        // Signals whose default action is to ignore or continue: success.
        for (name, sig) in [
            ("none", wasi::SIGNAL_NONE),
            ("chld", wasi::SIGNAL_CHLD),
            ("cont", wasi::SIGNAL_CONT),
            ("urg", wasi::SIGNAL_URG),
            ("winch", wasi::SIGNAL_WINCH),
        ] {
            check::ok(&format!("proc_raise.{name}"), wasi::proc_raise(sig));
        }
        // Stop signals: no job control for a guest.
        for (name, sig) in [
            ("stop", wasi::SIGNAL_STOP),
            ("tstp", wasi::SIGNAL_TSTP),
            ("ttin", wasi::SIGNAL_TTIN),
            ("ttou", wasi::SIGNAL_TTOU),
        ] {
            check::err(
                &format!("proc_raise.{name}"),
                wasi::ERRNO_NOTSUP,
                wasi::proc_raise(sig),
            );
        }
        check::raw("proc_raise.31", wasi::ERRNO_INVAL, raw::proc_raise(31));
        check::raw("proc_raise.255", wasi::ERRNO_INVAL, raw::proc_raise(255));
        check::raw("proc_raise.-1", wasi::ERRNO_INVAL, raw::proc_raise(-1));
    }
}

/// `raise SIG`: raise one signal and report what came back (if anything).
pub fn raise(arg: &str) {
    let num: i32 = match SIGNALS.iter().position(|s| *s == arg) {
        Some(i) => i as i32,
        None => match arg.parse() {
            Ok(n) => n,
            Err(_) => {
                check::fail("raise.arg", "a signal name or number", arg);
                return;
            }
        },
    };
    let r = unsafe { raw::proc_raise(num) };
    let _ = check::write_all(1, format!("raise {arg} returned {r}\n").as_bytes());
}
