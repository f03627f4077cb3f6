//! Placeholder member of the guests workspace.
//!
//! The "real programs" tests (crates/warden-cli/tests/real_programs.rs) run
//! binaries that nobody here wrote: they are built from their crates.io
//! sources for wasm32-wasip1 by `scripts/build-real-programs.sh` into
//! `target/real-programs/`. No third-party code lives in this directory.

fn main() {
    println!("p1-real: see scripts/build-real-programs.sh");
}
