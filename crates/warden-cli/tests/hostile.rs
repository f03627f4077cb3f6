//! Hostile input: a module that calls every WASI 0.1 function many times
//! with pointers, lengths, descriptors and flags drawn from hostile values
//! (out of bounds, overlapping, huge, negative). Whatever the guest passes,
//! Warden must answer with an errno or a clean trap — never a host panic —
//! and must not touch anything outside the granted directory.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{tempdir, Warden};

/// Every function but proc_exit and proc_raise (they may end the run), with its core wasm
/// parameter types, as warden-p1 declares them.
const FUNCTIONS: &[(&str, &str)] = &[
    ("args_get", "i32 i32"),
    ("args_sizes_get", "i32 i32"),
    ("environ_get", "i32 i32"),
    ("environ_sizes_get", "i32 i32"),
    ("clock_res_get", "i32 i32"),
    ("clock_time_get", "i32 i64 i32"),
    ("fd_advise", "i32 i64 i64 i32"),
    ("fd_allocate", "i32 i64 i64"),
    ("fd_close", "i32"),
    ("fd_datasync", "i32"),
    ("fd_fdstat_get", "i32 i32"),
    ("fd_fdstat_set_flags", "i32 i32"),
    ("fd_fdstat_set_rights", "i32 i64 i64"),
    ("fd_filestat_get", "i32 i32"),
    ("fd_filestat_set_size", "i32 i64"),
    ("fd_filestat_set_times", "i32 i64 i64 i32"),
    ("fd_pread", "i32 i32 i32 i64 i32"),
    ("fd_prestat_get", "i32 i32"),
    ("fd_prestat_dir_name", "i32 i32 i32"),
    ("fd_pwrite", "i32 i32 i32 i64 i32"),
    ("fd_read", "i32 i32 i32 i32"),
    ("fd_readdir", "i32 i32 i32 i64 i32"),
    ("fd_renumber", "i32 i32"),
    ("fd_seek", "i32 i64 i32 i32"),
    ("fd_sync", "i32"),
    ("fd_tell", "i32 i32"),
    ("fd_write", "i32 i32 i32 i32"),
    ("path_create_directory", "i32 i32 i32"),
    ("path_filestat_get", "i32 i32 i32 i32 i32"),
    ("path_filestat_set_times", "i32 i32 i32 i32 i64 i64 i32"),
    ("path_link", "i32 i32 i32 i32 i32 i32 i32"),
    ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32"),
    ("path_readlink", "i32 i32 i32 i32 i32 i32"),
    ("path_remove_directory", "i32 i32 i32"),
    ("path_rename", "i32 i32 i32 i32 i32 i32"),
    ("path_symlink", "i32 i32 i32 i32 i32"),
    ("path_unlink_file", "i32 i32 i32"),
    ("poll_oneoff", "i32 i32 i32 i32"),
    ("sched_yield", ""),
    ("random_get", "i32 i32"),
    ("sock_accept", "i32 i32 i32"),
    ("sock_recv", "i32 i32 i32 i32 i32 i32"),
    ("sock_send", "i32 i32 i32 i32 i32"),
    ("sock_shutdown", "i32 i32"),
];

/// Functions that may wait: they get descriptors that cannot block.
const MAY_BLOCK: &[&str] = &[
    "poll_oneoff",
    "sock_accept",
    "sock_recv",
    "fd_read",
    "fd_pread",
];

const I32S: &[i64] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    8,
    16,
    24,
    64,
    4095,
    4096,
    65_528,
    65_535,
    65_536,
    0x7fff_ffff,
    -1,
    -8,
    -16,
    0x1_0000 - 2,
];
const I64S: &[i64] = &[0, 1, 4096, -1, i64::MAX, i64::MIN, 1 << 32, 1 << 40];

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);
impl Lcg {
    fn pick<'a>(&mut self, xs: &'a [i64]) -> &'a i64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        &xs[(self.0 >> 33) as usize % xs.len()]
    }
}

fn module(seed: u64, calls_per_function: usize) -> String {
    let mut rng = Lcg(seed);
    let mut wat = String::from("(module\n");
    for (name, params) in FUNCTIONS {
        let ps: String = params.split_whitespace().map(|t| format!(" {t}")).collect();
        wat.push_str(&format!("  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param{ps}) (result i32)))\n"));
    }
    wat.push_str("  (memory (export \"memory\") 1)\n  (func (export \"_start\")\n");
    // Some plausible data in memory: iovecs, a path, a subscription.
    wat.push_str("    (i64.store (i32.const 64) (i64.const 0x0000001000000100))\n");
    wat.push_str("    (i32.store (i32.const 128) (i32.const 0x6f6f6f66))\n");
    for _ in 0..calls_per_function {
        for (name, params) in FUNCTIONS {
            wat.push_str(&format!("    (drop (call ${name}"));
            for (i, t) in params.split_whitespace().enumerate() {
                let v = if t == "i64" {
                    *rng.pick(I64S)
                } else {
                    *rng.pick(I32S)
                };
                // The first argument of fd calls is usually a descriptor:
                // keep blocking calls off stdin (fd 0) and any socket.
                let v = if i == 0 && MAY_BLOCK.contains(name) && (0..=2).contains(&v) {
                    3
                } else {
                    v
                };
                let v = if *name == "poll_oneoff" && i == 2 {
                    v.rem_euclid(4)
                } else {
                    v
                };
                wat.push_str(&format!(" ({t}.const {v})"));
            }
            wat.push_str("))\n");
        }
    }
    wat.push_str("  )\n)\n");
    wat
}

#[test]
fn hostile_arguments_never_panic_the_host() {
    let tmp = tempdir();
    let root = tmp.path().canonicalize().unwrap();
    let sandbox = root.join("sandbox");
    std::fs::create_dir(&sandbox).unwrap();
    std::fs::write(root.join("outside.txt"), "untouched").unwrap();
    for seed in 1..=4u64 {
        let wasm = root.join(format!("hostile{seed}.wat"));
        std::fs::write(&wasm, module(seed, 20)).unwrap();
        for backend in ["--dir", "--mem-dir"] {
            let out = Warden::new()
                .args([
                    "run",
                    "-W",
                    "timeout=20s",
                    backend,
                    &format!("{}::/sb", sandbox.display()),
                ])
                .arg(&wasm)
                .stdin(Vec::new())
                .output();
            // Every call returns an errno: the guest runs to its end.
            assert_eq!(
                out.code,
                Some(0),
                "seed {seed} {backend}: {}",
                out.describe()
            );
            assert!(
                !out.stderr.contains("panicked"),
                "seed {seed} {backend}: host panic: {}",
                out.describe()
            );
        }
        assert_eq!(
            std::fs::read_to_string(root.join("outside.txt")).unwrap(),
            "untouched"
        );
        let outside: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            outside.iter().all(|n| {
                let n = n.to_string_lossy();
                n == "sandbox" || n == "outside.txt" || n.starts_with("hostile")
            }),
            "something appeared outside the sandbox: {outside:?}"
        );
    }
}
