//! The `compute` workload: hashes `mib` MiB in memory, pure computation
//! with no system calls. One copy for every build of the workloads:
//! `syscalls.rs` (native, WASI 0.1 and 0.2) has it as `mod compute`, and
//! `guests/p3-bench` (WASI 0.3) includes this file by path, so every row of
//! the benchmark runs the same code.

pub fn hash(mib: usize) -> u64 {
    let data: Vec<u8> = (0..(1usize << 20)).map(|i| (i * 31 % 251) as u8).collect();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0..mib {
        for chunk in data.chunks_exact(8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap()) ^ round as u64;
            h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(23);
        }
    }
    h
}
