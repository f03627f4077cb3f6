//! One probe per run, named by the first argument:
//! - `random N`: asks `get-random-bytes(N)` and prints how many it got;
//! - `argv0`: prints `argv[0]`;
//! - `cwd`: prints `get-initial-cwd` (`none` when there is none);
//! - `pollables N`: holds N pollables at once, then prints `held N`;
//! - `insecure-seed`: prints whether two calls agree;
//! - `path N`: hands the host a path of N bytes (`stat-at` beneath the first
//!   preopen) and prints the error code (guest-to-host data: hostcall fuel).

use wasip2::cli::environment;
use wasip2::clocks::monotonic_clock;
use wasip2::random::{insecure_seed, random};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = |i: usize| -> u64 { args.get(i).and_then(|a| a.parse().ok()).unwrap_or(0) };
    match args.get(1).map(String::as_str) {
        Some("random") => println!("got {}", random::get_random_bytes(n(2)).len()),
        Some("argv0") => println!("{}", args[0]),
        Some("cwd") => println!(
            "{}",
            environment::initial_cwd().unwrap_or_else(|| "none".into())
        ),
        Some("pollables") => {
            let held: Vec<_> = (0..n(2))
                .map(|_| monotonic_clock::subscribe_duration(1))
                .collect();
            println!("held {}", held.len());
        }
        Some("insecure-seed") => {
            let same = insecure_seed::insecure_seed() == insecure_seed::insecure_seed();
            println!("same {same}");
        }
        Some("path") => {
            let dirs = wasip2::filesystem::preopens::get_directories();
            let long = "a".repeat(n(2) as usize);
            let r = dirs[0]
                .0
                .stat_at(wasip2::filesystem::types::PathFlags::empty(), &long);
            println!("{:?}", r.err());
        }
        _ => {
            eprintln!("usage: p2-probe random N | cwd | pollables N | insecure-seed | path N");
            std::process::exit(2);
        }
    }
}
