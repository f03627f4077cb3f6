//! What a container sees: run as `container-probe COMMAND [ARG]`.
//!
//! - (none): prints `hello from a container`
//! - `args`: prints argv, one per line
//! - `env NAME`: prints the variable's value, or `<unset>`
//! - `cat PATH`: prints the file
//! - `ls PATH`: prints the directory's entries, sorted
//! - `write PATH`: writes `written` to the file; on failure prints the OS
//!   error and exits 1
//! - `mkdir PATH`: makes the directory; on failure prints the OS error
//!   and exits 1
//! - `trap`: executes `unreachable`
//! - `sleep`: sleeps until killed
//! - `grow MIB`: allocates and touches that much memory
//! - `exit N`: exits with status N
//! - `entropy DIR`: prints what differs between runs unless the runtime
//!   makes it repeatable: the wall clock, a 10 ms sleep measured on the
//!   monotonic clock, hash keys drawn from the random source, and DIR's
//!   entries in the order the runtime lists them

use std::io::Write as _;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match arg(1) {
        "" => println!("hello from a container"),
        "args" => args.iter().for_each(|a| println!("{a}")),
        "env" => println!(
            "{}",
            std::env::var(arg(2)).unwrap_or_else(|_| "<unset>".into())
        ),
        "cat" => print!("{}", std::fs::read_to_string(arg(2)).expect("readable")),
        "ls" => {
            let mut names: Vec<String> = std::fs::read_dir(arg(2))
                .expect("a directory")
                .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names.iter().for_each(|n| println!("{n}"));
        }
        "write" => match std::fs::write(arg(2), "written\n") {
            Ok(()) => println!("written"),
            Err(e) => {
                println!("refused: {:?}", e.kind());
                std::process::exit(1);
            }
        },
        "mkdir" => match std::fs::create_dir(arg(2)) {
            Ok(()) => println!("made"),
            Err(e) => {
                println!("refused: {:?}", e.kind());
                std::process::exit(1);
            }
        },
        "trap" => {
            let _ = std::io::stdout().flush();
            core::arch::wasm32::unreachable()
        }
        "sleep" => {
            println!("sleeping");
            let _ = std::io::stdout().flush();
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
        "grow" => {
            let mib: usize = arg(2).parse().expect("a number of MiB");
            let v = vec![1u8; mib << 20];
            println!("grew {} MiB", v.len() >> 20);
        }
        "exit" => std::process::exit(arg(2).parse().expect("a status")),
        "entropy" => {
            use std::hash::{BuildHasher as _, Hasher as _};
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970");
            println!("wall {}", wall.as_nanos());
            let t = std::time::Instant::now();
            std::thread::sleep(std::time::Duration::from_millis(10));
            println!("slept {}", t.elapsed().as_nanos());
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(1);
            println!("random {}", h.finish());
            for e in std::fs::read_dir(arg(2)).expect("a directory") {
                println!("entry {}", e.expect("an entry").file_name().to_string_lossy());
            }
        }
        other => {
            eprintln!("unknown command {other}");
            std::process::exit(2);
        }
    }
}
