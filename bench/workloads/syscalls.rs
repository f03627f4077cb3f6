//! The benchmark workloads, one program built three ways: natively, as a
//! WASI 0.1 module (wasm32-wasip1) and as a WASI 0.2 component
//! (wasm32-wasip2). `syscalls WORKLOAD ARGS...`; see bench/run.

mod compute;

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

fn arg(i: usize) -> String {
    std::env::args().nth(i).unwrap_or_else(|| panic!("missing argument {i}"))
}

fn num(i: usize) -> u64 {
    arg(i).parse().expect("a number")
}

fn main() {
    match arg(1).as_str() {
        // 1,000,000 lseek + 1-byte write pairs on one file.
        "lseek-write" => {
            let (path, n) = (arg(2), num(3));
            let mut f = fs::File::create(path).unwrap();
            for i in 0..n {
                f.seek(SeekFrom::Start(i % 4096)).unwrap();
                f.write_all(&[i as u8]).unwrap();
            }
        }
        // open + read + close of small files, round-robin over DIR/f0..f999.
        "small-files" => {
            let (dir, n) = (arg(2), num(3));
            let mut buf = [0u8; 256];
            let mut total = 0;
            for i in 0..n {
                let mut f = fs::File::open(format!("{dir}/f{}", i % 1000)).unwrap();
                total += f.read(&mut buf).unwrap();
            }
            assert!(total > 0);
        }
        // stat of files, round-robin over DIR/f0..f999.
        "stat" => {
            let (dir, n) = (arg(2), num(3));
            let mut total = 0;
            for i in 0..n {
                total += fs::metadata(format!("{dir}/f{}", i % 1000)).unwrap().len();
            }
            assert!(total > 0);
        }
        // list a directory of 10,000 entries, N times.
        "readdir" => {
            let (dir, n) = (arg(2), num(3));
            for _ in 0..n {
                assert!(fs::read_dir(&dir).unwrap().count() >= 10_000);
            }
        }
        // write MIB MiB sequentially in 64 KiB blocks.
        "seq-write" => {
            let (path, mib) = (arg(2), num(3));
            let block = vec![7u8; 64 << 10];
            let mut f = fs::File::create(path).unwrap();
            for _ in 0..mib * 16 {
                f.write_all(&block).unwrap();
            }
        }
        // read a file sequentially in 64 KiB blocks.
        "seq-read" => {
            let path = arg(2);
            let mut block = vec![0u8; 64 << 10];
            let mut f = fs::File::open(path).unwrap();
            let mut total = 0u64;
            loop {
                let n = f.read(&mut block).unwrap();
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
            assert!(total > 0);
        }
        // N short lines to stdout, one write each (stdout is redirected).
        "stdout-lines" => {
            let n = num(2);
            let out = std::io::stdout();
            let mut out = out.lock();
            for i in 0..n {
                // An unbuffered write per line, as a C program with a
                // line-buffered stdout would do.
                out.write_all(format!("line {i}\n").as_bytes()).unwrap();
            }
        }
        // N sleeps of 10 microseconds (poll_oneoff / monotonic-clock waits).
        "poll" => {
            for _ in 0..num(2) {
                std::thread::sleep(Duration::from_micros(10));
            }
        }
        // hash MIB MiB in memory: pure computation, no system calls.
        "compute" => {
            println!("{:016x}", compute::hash(num(2) as usize));
        }
        "hello" => println!("hello, world"),
        other => panic!("unknown workload {other}"),
    }
}
