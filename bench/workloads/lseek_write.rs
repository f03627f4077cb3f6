//! 1,000,000 pairs of lseek + 1-byte write on one file: the cost of a
//! system call through the runtime. Built natively and for wasm32-wasip1.
use std::io::{Seek, SeekFrom, Write};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "lseek_write.dat".into());
    let n: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let mut f = std::fs::File::create(&path).expect("create the data file");
    for i in 0..n {
        f.seek(SeekFrom::Start(i % 4096)).expect("seek");
        f.write_all(&[i as u8]).expect("write");
    }
}
