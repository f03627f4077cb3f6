//! Misuses WASI 0.2 resources on purpose; each mode must end in a clean
//! trap (exit status 134) with a message, never a host panic.
//!
//! - `bad-handle`: calls a method on a handle number that was never given.
//! - `use-after-drop`: drops an output stream, then uses its old number.
//! - `wrong-type`: passes a pollable's number where an output stream goes.
//! - `over-permit`: writes more than `check-write` allowed.
//! - `empty-poll`: polls an empty list.

use wasip2::io::poll::Pollable;
use wasip2::io::streams::OutputStream;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "bad-handle" => {
            // SAFETY: deliberately wrong; the host must reject it.
            let s = unsafe { OutputStream::from_handle(0x7fff_0000) };
            let _ = s.check_write();
        }
        "use-after-drop" => {
            let s = wasip2::cli::stdout::get_stdout();
            let raw = s.take_handle();
            // SAFETY: re-wrap to drop it, then re-wrap the dead number.
            drop(unsafe { OutputStream::from_handle(raw) });
            let dead = unsafe { OutputStream::from_handle(raw) };
            let _ = dead.check_write();
        }
        "wrong-type" => {
            let p = wasip2::clocks::monotonic_clock::subscribe_duration(0);
            let raw = p.take_handle();
            // SAFETY: deliberately the wrong resource type.
            let s = unsafe { OutputStream::from_handle(raw) };
            let _ = s.check_write();
        }
        "over-permit" => {
            let s = wasip2::cli::stdout::get_stdout();
            let permit = s.check_write().expect("check-write") as usize;
            let _ = s.write(&vec![b'x'; permit + 1]);
        }
        "empty-poll" => {
            let list: Vec<&Pollable> = Vec::new();
            let _ = wasip2::io::poll::poll(&list);
        }
        other => {
            eprintln!("unknown mode {other:?}");
            std::process::exit(2);
        }
    }
    println!("the host let {mode} through");
}
