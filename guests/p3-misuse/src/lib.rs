//! A WASI 0.3 command that misuses stream and future handles on purpose,
//! through the raw canonical-ABI built-ins (the ones wit-bindgen calls for
//! the `stream<u8>` and `future<result<_, error-code>>` of
//! `wasi:cli/stdout@0.3.2#write-via-stream`). Each mode must end in a clean
//! trap (exit status 134) naming the problem, never a host panic or hang:
//!
//! - `write-after-drop`: hands the readable end of a new stream to stdout,
//!   drops the writable end, then writes to it.
//! - `drop-writable-twice`: drops a stream's writable end twice.
//! - `drop-future-twice`: drops the future `write-via-stream` returned twice.
//! - `read-future-twice`: reads the future `write-via-stream` returned (it
//!   resolves once the stream ends), then reads it again.
//! - `never-given` / `never-given-future`: drops a stream end / reads a
//!   future by an index number that was never handed out.
//! - `future-as-stream`: passes the future's index to `stream.drop-readable`.
//! - `use-after-transfer`: drops the readable end after handing it to stdout.
//! - `read-future-while-pending`: reads the future again while the first
//!   read is still pending.
//! - `return-with-open-ends`: no misuse: returns from `run` with a stdout
//!   stream's writable end open and a read of its future pending; must exit
//!   0 promptly.
//!
//! If the host lets a misuse through, the guest prints `let <mode> through`
//! on stdout and exits 0.

use wasip3::cli::environment;
#[path = "../../shared/p3_print.rs"]
mod p3_print;
use p3_print::print;

wasip3::cli::command::export!(Misuse);

struct Misuse;

/// Status codes of the async built-ins (low 4 bits).
const BLOCKED: u32 = 0xffff_ffff;
const COMPLETED: u32 = 0;

#[link(wasm_import_module = "wasi:cli/stdout@0.3.2")]
extern "C" {
    /// `stream.new` of `stream<u8>`: readable end in the low 32 bits,
    /// writable end in the high 32 bits.
    #[link_name = "[stream-new-0]write-via-stream"]
    fn stream_new() -> u64;
    #[link_name = "[async-lower][stream-write-0]write-via-stream"]
    fn stream_write(writable: u32, ptr: *const u8, len: usize) -> u32;
    #[link_name = "[stream-drop-writable-0]write-via-stream"]
    fn stream_drop_writable(writable: u32);
    #[link_name = "[stream-drop-readable-0]write-via-stream"]
    fn stream_drop_readable(readable: u32);
    /// `future.read` of `future<result<_, error-code>>`: the result is
    /// stored at `ptr` (a discriminant byte, then the error code).
    #[link_name = "[async-lower][future-read-1]write-via-stream"]
    fn future_read(readable: u32, ptr: *mut u8) -> u32;
    #[link_name = "[future-drop-readable-1]write-via-stream"]
    fn future_drop_readable(readable: u32);
    /// `write-via-stream` itself: takes the readable end, returns a future.
    #[link_name = "write-via-stream"]
    fn write_via_stream(readable: u32) -> u32;
}

#[link(wasm_import_module = "$root")]
extern "C" {
    #[link_name = "[waitable-set-new]"]
    fn waitable_set_new() -> u32;
    #[link_name = "[waitable-join]"]
    fn waitable_join(waitable: u32, set: u32);
    #[link_name = "[waitable-set-wait]"]
    fn waitable_set_wait(set: u32, event: *mut [u32; 3]) -> u32;
    #[link_name = "[waitable-set-drop]"]
    fn waitable_set_drop(set: u32);
}

/// A new `stream<u8>`: (readable, writable).
fn new_stream() -> (u32, u32) {
    // SAFETY: a canonical built-in with no arguments.
    let ends = unsafe { stream_new() };
    (ends as u32, (ends >> 32) as u32)
}

/// A stream handed to stdout: (writable end, the future of the write).
fn stdout_stream() -> (u32, u32) {
    let (readable, writable) = new_stream();
    // SAFETY: `readable` is ours; ownership moves to the host.
    let done = unsafe { write_via_stream(readable) };
    (writable, done)
}

/// Reads the future `f` once, waiting for it in a waitable set when the
/// read blocks; returns the status code of the completed read.
fn read_future_once(f: u32) -> u32 {
    let mut buf = [0u8; 16];
    // SAFETY: `f` is a future readable end we own; `buf` outlives the read
    // (we wait for it to complete before returning).
    let rc = unsafe { future_read(f, buf.as_mut_ptr()) };
    if rc != BLOCKED {
        return rc;
    }
    // SAFETY: canonical built-ins on our own waitable set and future.
    unsafe {
        let set = waitable_set_new();
        waitable_join(f, set);
        let mut event = [0u32; 3];
        waitable_set_wait(set, &mut event);
        waitable_join(f, 0);
        waitable_set_drop(set);
        event[2]
    }
}

impl wasip3::exports::cli::run::Guest for Misuse {
    async fn run() -> Result<(), ()> {
        let mode = environment::get_arguments()
            .get(1)
            .cloned()
            .unwrap_or_default();
        // SAFETY (every block below): deliberately wrong uses of canonical
        // built-ins; the host must refuse them with a trap.
        match mode.as_str() {
            "write-after-drop" => unsafe {
                let (w, _done) = stdout_stream();
                stream_drop_writable(w);
                stream_write(w, b"x".as_ptr(), 1);
            },
            "drop-writable-twice" => unsafe {
                let (_r, w) = new_stream();
                stream_drop_writable(w);
                stream_drop_writable(w);
            },
            "drop-future-twice" => unsafe {
                let (w, done) = stdout_stream();
                stream_drop_writable(w);
                future_drop_readable(done);
                future_drop_readable(done);
            },
            "read-future-twice" => {
                let (w, done) = stdout_stream();
                // SAFETY: ends the stream, so the host resolves `done`.
                unsafe { stream_drop_writable(w) };
                let first = read_future_once(done);
                print(format!("first read: {first}\n")).await;
                assert_eq!(first & 0xf, COMPLETED, "the first read did not complete");
                let mut buf = [0u8; 16];
                // SAFETY: deliberately a second read of a resolved future.
                unsafe { future_read(done, buf.as_mut_ptr()) };
            }
            "never-given" => unsafe {
                stream_drop_readable(0x7fff);
            },
            "never-given-future" => unsafe {
                let mut buf = [0u8; 16];
                future_read(0x7fff, buf.as_mut_ptr());
            },
            "future-as-stream" => unsafe {
                let (w, done) = stdout_stream();
                stream_drop_writable(w);
                stream_drop_readable(done);
            },
            "use-after-transfer" => unsafe {
                let (r, w) = new_stream();
                let done = write_via_stream(r);
                // The future may take the index `r` had; free it too, so
                // `r` is certainly no handle at all.
                future_drop_readable(done);
                stream_drop_writable(w);
                stream_drop_readable(r);
            },
            "read-future-while-pending" => unsafe {
                // The stream stays open, so the first read blocks.
                let (_w, done) = stdout_stream();
                let mut buf = [0u8; 16];
                let first = future_read(done, buf.as_mut_ptr());
                assert_eq!(first, BLOCKED, "the first read did not block");
                future_read(done, buf.as_mut_ptr());
            },
            "return-with-open-ends" => {
                // Not a misuse of the ABI: returns with a blocked read on a
                // future and the writable end of a stdout stream still
                // open; the run must end (exit 0), not wait for them.
                let (w, done) = stdout_stream();
                let buf = [0u8; 16];
                // SAFETY: `buf` is leaked, so it outlives the pending read.
                let buf = Box::leak(Box::new(buf));
                let rc = unsafe { future_read(done, buf.as_mut_ptr()) };
                print(format!("open ends: writable {w}, read {rc:#x}\n")).await;
                return Ok(());
            }
            other => {
                print(format!("unknown mode {other:?}\n")).await;
                return Err(());
            }
        }
        print(format!("let {mode} through\n")).await;
        Ok(())
    }
}
