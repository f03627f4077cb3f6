//! clock_res_get, clock_time_get.

use crate::check::{self, OOB};
use wasi::wasi_snapshot_preview1 as raw;

/// 2020-01-01T00:00:00Z and 2100-01-01T00:00:00Z in nanoseconds.
const Y2020: u64 = 1_577_836_800_000_000_000;
const Y2100: u64 = 4_102_444_800_000_000_000;

pub fn run() {
    unsafe {
        check::ok_eq(
            "clock_res_get.realtime",
            1,
            wasi::clock_res_get(wasi::CLOCKID_REALTIME),
        );
        check::ok_eq(
            "clock_res_get.monotonic",
            1,
            wasi::clock_res_get(wasi::CLOCKID_MONOTONIC),
        );
        if let Some(r) = check::ok(
            "clock_res_get.process_cputime",
            wasi::clock_res_get(wasi::CLOCKID_PROCESS_CPUTIME_ID),
        ) {
            check::truth("clock_res_get.process_cputime.nonzero", r > 0, "> 0", r);
        }
        if let Some(r) = check::ok(
            "clock_res_get.thread_cputime",
            wasi::clock_res_get(wasi::CLOCKID_THREAD_CPUTIME_ID),
        ) {
            check::truth("clock_res_get.thread_cputime.nonzero", r > 0, "> 0", r);
        }
        let mut out = 0u64;
        let p = &mut out as *mut u64 as i32;
        check::raw(
            "clock_res_get.bad_id_4",
            wasi::ERRNO_INVAL,
            raw::clock_res_get(4, p),
        );
        check::raw(
            "clock_res_get.bad_id_max",
            wasi::ERRNO_INVAL,
            raw::clock_res_get(-1, p),
        );
        check::raw(
            "clock_res_get.fault",
            wasi::ERRNO_FAULT,
            raw::clock_res_get(0, OOB as i32),
        );

        if let Some(t) = check::ok(
            "clock_time_get.realtime",
            wasi::clock_time_get(wasi::CLOCKID_REALTIME, 0),
        ) {
            check::truth(
                "clock_time_get.realtime.range",
                (Y2020..Y2100).contains(&t),
                "between 2020 and 2100",
                t,
            );
        }
        let a = check::ok(
            "clock_time_get.monotonic",
            wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 0),
        );
        let _ = wasi::sched_yield();
        let b = check::ok(
            "clock_time_get.monotonic.2",
            wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1_000_000),
        );
        if let (Some(a), Some(b)) = (a, b) {
            check::truth(
                "clock_time_get.monotonic.nondecreasing",
                b >= a,
                "second >= first",
                (a, b),
            );
        }
        // CPU clocks advance while the guest burns CPU.
        let c0 = check::ok(
            "clock_time_get.process_cputime",
            wasi::clock_time_get(wasi::CLOCKID_PROCESS_CPUTIME_ID, 0),
        );
        let t0 = check::ok(
            "clock_time_get.thread_cputime",
            wasi::clock_time_get(wasi::CLOCKID_THREAD_CPUTIME_ID, 0),
        );
        let mut x = 0u64;
        let start = check::monotonic();
        while check::monotonic() - start < 20_000_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            core::hint::black_box(x);
        }
        let c1 = wasi::clock_time_get(wasi::CLOCKID_PROCESS_CPUTIME_ID, 0);
        let t1 = wasi::clock_time_get(wasi::CLOCKID_THREAD_CPUTIME_ID, 0);
        if let (Some(c0), Ok(c1)) = (c0, c1) {
            check::truth(
                "clock_time_get.process_cputime.advances",
                c1 > c0,
                "later > earlier",
                (c0, c1),
            );
        }
        if let (Some(t0), Ok(t1)) = (t0, t1) {
            check::truth(
                "clock_time_get.thread_cputime.advances",
                t1 > t0,
                "later > earlier",
                (t0, t1),
            );
        }

        check::raw(
            "clock_time_get.bad_id_4",
            wasi::ERRNO_INVAL,
            raw::clock_time_get(4, 0, p),
        );
        check::raw(
            "clock_time_get.bad_id_99",
            wasi::ERRNO_INVAL,
            raw::clock_time_get(99, 0, p),
        );
        check::raw(
            "clock_time_get.fault",
            wasi::ERRNO_FAULT,
            raw::clock_time_get(1, 0, OOB as i32),
        );
        let end = check::mem_end();
        check::raw(
            "clock_time_get.fault_straddle",
            wasi::ERRNO_FAULT,
            raw::clock_time_get(1, 0, (end - 4) as i32),
        );
    }
}
