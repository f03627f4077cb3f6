//! random_get.

use crate::check::{self, OOB};
use wasi::wasi_snapshot_preview1 as raw;

pub fn run() {
    unsafe {
        let mut a = [0u8; 256];
        let mut b = [0u8; 256];
        check::ok("random_get.empty", wasi::random_get(a.as_mut_ptr(), 0));
        check::eq("random_get.empty.untouched", [0u8; 256], a);
        check::ok("random_get.256", wasi::random_get(a.as_mut_ptr(), a.len()));
        check::ok(
            "random_get.256.again",
            wasi::random_get(b.as_mut_ptr(), b.len()),
        );
        check::truth(
            "random_get.nonzero",
            a.iter().any(|&x| x != 0),
            "some non-zero byte",
            &a[..16],
        );
        check::truth("random_get.differs", a != b, "two draws differ", &a[..16]);
        // Only the requested bytes are written.
        let mut c = [0u8; 32];
        check::ok(
            "random_get.partial",
            wasi::random_get(c.as_mut_ptr().add(8), 8),
        );
        check::eq(
            "random_get.partial.head",
            [0u8; 8],
            <[u8; 8]>::try_from(&c[..8]).unwrap(),
        );
        check::eq(
            "random_get.partial.tail",
            [0u8; 16],
            <[u8; 16]>::try_from(&c[16..]).unwrap(),
        );
        // Large request (more than one host chunk is likely).
        let mut big = vec![0u8; 1 << 20];
        check::ok(
            "random_get.1mib",
            wasi::random_get(big.as_mut_ptr(), big.len()),
        );
        check::truth(
            "random_get.1mib.tail_filled",
            big[big.len() - 64..].iter().any(|&x| x != 0),
            "non-zero bytes at the end",
            &big[big.len() - 16..],
        );

        check::raw(
            "random_get.fault",
            wasi::ERRNO_FAULT,
            raw::random_get(OOB as i32, 16),
        );
        let end = check::mem_end();
        check::raw(
            "random_get.fault_straddle",
            wasi::ERRNO_FAULT,
            raw::random_get((end - 8) as i32, 16),
        );
        check::raw(
            "random_get.fault_len",
            wasi::ERRNO_FAULT,
            raw::random_get(a.as_mut_ptr() as i32, -1),
        );
    }
}
