//! args_get, args_sizes_get, environ_get, environ_sizes_get.

use crate::check::{self, OOB};
use wasi::wasi_snapshot_preview1 as raw;

const ARGV: &[&str] = &["p1-conformance.wasm", "all"];
const ENVIRON: &[&str] = &["WARDEN_T1=one", "WARDEN_T2=two=2"];

pub fn run() {
    list(
        "args",
        ARGV,
        || unsafe { wasi::args_sizes_get() },
        |p, b| unsafe { wasi::args_get(p, b) },
    );
    list(
        "environ",
        ENVIRON,
        || unsafe { wasi::environ_sizes_get() },
        |p, b| unsafe { wasi::environ_get(p, b) },
    );
    faults();
}

fn list(
    what: &str,
    want: &[&str],
    sizes: impl Fn() -> Result<(usize, usize), wasi::Errno>,
    get: impl Fn(*mut *mut u8, *mut u8) -> Result<(), wasi::Errno>,
) {
    let want_buf: usize = want.iter().map(|s| s.len() + 1).sum();
    let Some((count, buf_size)) = check::ok(&format!("{what}_sizes_get"), sizes()) else {
        return;
    };
    check::eq(&format!("{what}_sizes_get.count"), want.len(), count);
    check::eq(&format!("{what}_sizes_get.buf_size"), want_buf, buf_size);

    // Guard words around both arrays catch writes past the announced sizes.
    let mut ptrs: Vec<*mut u8> = vec![0x5a5a_5a5a as *mut u8; count + 1];
    let mut buf = vec![0xa5u8; buf_size + 1];
    if check::ok(
        &format!("{what}_get"),
        get(ptrs.as_mut_ptr(), buf.as_mut_ptr()),
    )
    .is_none()
    {
        return;
    }
    check::eq(
        &format!("{what}_get.ptr_guard"),
        0x5a5a_5a5a as *mut u8,
        ptrs[count],
    );
    check::eq(&format!("{what}_get.buf_guard"), 0xa5u8, buf[buf_size]);

    let base = buf.as_ptr() as usize;
    let mut got = Vec::new();
    for (i, &p) in ptrs[..count].iter().enumerate() {
        let off = (p as usize).wrapping_sub(base);
        if !check::truth(
            &format!("{what}_get.ptr[{i}] in buffer"),
            off < buf_size,
            "pointer inside argv_buf",
            p,
        ) {
            return;
        }
        let rest = &buf[off..buf_size];
        let Some(nul) = rest.iter().position(|&b| b == 0) else {
            check::fail(&format!("{what}_get.nul[{i}]"), "NUL terminator", "none");
            return;
        };
        got.push(String::from_utf8_lossy(&rest[..nul]).into_owned());
    }
    let want_v: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    check::eq(&format!("{what}_get.values"), want_v, got);
    // Strings are laid out back to back, in order, from the buffer start.
    let mut off = 0usize;
    for (i, s) in want.iter().enumerate() {
        if i < count {
            check::eq(
                &format!("{what}_get.layout[{i}]"),
                base + off,
                ptrs[i] as usize,
            );
        }
        off += s.len() + 1;
    }
}

fn faults() {
    let mut a = [0u32; 2];
    let end = check::mem_end();
    unsafe {
        check::raw(
            "args_sizes_get.fault_count_ptr",
            wasi::ERRNO_FAULT,
            raw::args_sizes_get(OOB as i32, a.as_mut_ptr() as i32),
        );
        check::raw(
            "args_sizes_get.fault_size_ptr",
            wasi::ERRNO_FAULT,
            raw::args_sizes_get(a.as_mut_ptr() as i32, OOB as i32),
        );
        // A 4-byte result that straddles the end of memory.
        check::raw(
            "args_sizes_get.fault_straddle",
            wasi::ERRNO_FAULT,
            raw::args_sizes_get((end - 2) as i32, a.as_mut_ptr() as i32),
        );
        let mut ptrs = [0u32; 8];
        let mut buf = [0u8; 256];
        check::raw(
            "args_get.fault_argv",
            wasi::ERRNO_FAULT,
            raw::args_get(OOB as i32, buf.as_mut_ptr() as i32),
        );
        check::raw(
            "args_get.fault_buf",
            wasi::ERRNO_FAULT,
            raw::args_get(ptrs.as_mut_ptr() as i32, OOB as i32),
        );
        check::raw(
            "args_get.fault_buf_straddle",
            wasi::ERRNO_FAULT,
            raw::args_get(ptrs.as_mut_ptr() as i32, (end - 4) as i32),
        );
        check::raw(
            "environ_sizes_get.fault_count_ptr",
            wasi::ERRNO_FAULT,
            raw::environ_sizes_get(OOB as i32, a.as_mut_ptr() as i32),
        );
        check::raw(
            "environ_sizes_get.fault_size_ptr",
            wasi::ERRNO_FAULT,
            raw::environ_sizes_get(a.as_mut_ptr() as i32, OOB as i32),
        );
        check::raw(
            "environ_get.fault_environ",
            wasi::ERRNO_FAULT,
            raw::environ_get(OOB as i32, buf.as_mut_ptr() as i32),
        );
        check::raw(
            "environ_get.fault_buf",
            wasi::ERRNO_FAULT,
            raw::environ_get(ptrs.as_mut_ptr() as i32, OOB as i32),
        );
        check::raw(
            "environ_get.fault_buf_straddle",
            wasi::ERRNO_FAULT,
            raw::environ_get(ptrs.as_mut_ptr() as i32, (end - 4) as i32),
        );
    }
}
