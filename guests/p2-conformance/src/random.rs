//! wasi:random — random, insecure, insecure-seed.

use crate::check::{eq, truth};
use wasip2::random::{insecure, insecure_seed, random};

pub fn run() {
    eq(
        "random.get-random-bytes.zero",
        random::get_random_bytes(0),
        Vec::new(),
    );
    let a = random::get_random_bytes(32);
    let b = random::get_random_bytes(32);
    eq("random.get-random-bytes.len", a.len(), 32);
    // 2^-256 odds of a false failure
    truth(
        "random.get-random-bytes.fresh",
        a != b,
        "two different draws",
        (&a, &b),
    );
    truth(
        "random.get-random-bytes.not-zero",
        a.iter().any(|&x| x != 0),
        "some non-zero byte",
        &a,
    );
    let big = random::get_random_bytes(100_000);
    eq("random.get-random-bytes.large", big.len(), 100_000);
    let (x, y, z) = (
        random::get_random_u64(),
        random::get_random_u64(),
        random::get_random_u64(),
    );
    truth(
        "random.get-random-u64.fresh",
        !(x == y && y == z),
        "three draws not all equal",
        (x, y, z),
    );

    eq(
        "random.insecure.bytes.zero",
        insecure::get_insecure_random_bytes(0),
        Vec::new(),
    );
    let a = insecure::get_insecure_random_bytes(32);
    let b = insecure::get_insecure_random_bytes(32);
    eq("random.insecure.bytes.len", a.len(), 32);
    truth(
        "random.insecure.bytes.vary",
        a != b,
        "two different draws",
        (&a, &b),
    );
    let (x, y, z) = (
        insecure::get_insecure_random_u64(),
        insecure::get_insecure_random_u64(),
        insecure::get_insecure_random_u64(),
    );
    truth(
        "random.insecure.u64.vary",
        !(x == y && y == z),
        "three draws not all equal",
        (x, y, z),
    );

    let seed = insecure_seed::insecure_seed();
    truth("random.insecure-seed", seed != (0, 0), "not (0, 0)", seed);
}
