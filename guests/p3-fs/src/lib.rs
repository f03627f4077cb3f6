//! WASI 0.3 filesystem conformance: `p3-fs [WORK [RO]]` (default `/work`
//! and `/ro`).
//!
//! Checks every method of `wasi:filesystem/types@0.3.2` `descriptor` and
//! `wasi:filesystem/preopens@0.3.2` against the WIT text, with exact
//! results and error codes, on two preopens:
//! - `WORK`, writable and empty at start; every group works in its own
//!   sub-directory and leaves a known tree behind (the test compares it on
//!   the host);
//! - `RO`, read-only, holding what `crates/warden-cli/tests/p3_fs.rs` puts
//!   there: `hello.txt` (`hello, read-only\n`), `big.bin` (1 500 001 bytes
//!   of `pattern(7, ..)`), `link` → `hello.txt`, `abs` → `/etc/hostname`,
//!   `old.txt` (`old\n`, modified one nanosecond before the epoch),
//!   `sub/inner.txt` (`inner\n`).
//!
//! The same component also uses Rust std, i.e. WASI 0.2 (`mixed.rs`):
//! stdout lines through both worlds, files written by one and read by the
//! other.
//!
//! Output: `mode fs` first; one `FAIL <name>: expected X got Y` line on
//! stderr per failed check; `ok N checks` on stdout at the end and exit 0,
//! or `failed F of N checks` and exit 1. Each group runs under a 15 s
//! monotonic-clock timeout, so a hanging host call fails that group (naming
//! the last check passed) instead of the whole run.

mod check;
mod conc;
mod dirs;
mod io;
mod links;
mod meta;
mod mixed;
mod open;
mod preopens;
mod streams;

use check::{ok, truth};
use core::future::Future;
use wasip3::cli::environment;
use wasip3::filesystem::types::{
    Descriptor, DescriptorFlags as F, NewTimestamp, OpenFlags as O, PathFlags,
};

wasip3::cli::command::export!(FsConformance);

/// `read` + `write`.
pub fn rw() -> F {
    F::READ | F::WRITE
}

/// What a writable directory descriptor has: `read` + `mutate-directory`.
pub fn dirf() -> F {
    F::READ | F::MUTATE_DIRECTORY
}

/// No `symlink-follow`.
pub fn nofollow() -> PathFlags {
    PathFlags::empty()
}
pub const FOLLOW: PathFlags = PathFlags::SYMLINK_FOLLOW;

/// The contents of `RO/hello.txt`.
pub const RO_HELLO: &[u8] = b"hello, read-only\n";
/// Size and pattern seed of `RO/big.bin`.
pub const RO_BIG: (u8, usize) = (7, 1_500_001);

/// Each group's time limit.
const GROUP_MS: u64 = 15_000;

/// The two preopens under test and their names.
pub struct Cx {
    pub work: Descriptor,
    pub ro: Descriptor,
    pub work_name: String,
    pub ro_name: String,
}

struct FsConformance;

impl wasip3::exports::cli::run::Guest for FsConformance {
    async fn run() -> Result<(), ()> {
        let args = environment::get_arguments();
        let work = args.get(1).cloned().unwrap_or_else(|| "/work".into());
        let ro = args.get(2).cloned().unwrap_or_else(|| "/ro".into());
        println!("mode fs");
        if let Some(cx) = preopens::find(&work, &ro) {
            group("start", preopens::empty_at_start(&cx)).await;
            group("preopens", preopens::run(&cx)).await;
            group("open", open::run(&cx)).await;
            group("streams", streams::run(&cx)).await;
            group("dirs", dirs::run(&cx)).await;
            group("links", links::run(&cx)).await;
            group("meta", meta::run(&cx)).await;
            group("conc", conc::run(&cx)).await;
            group("mixed", mixed::run(&cx)).await;
        }
        let (fails, checks) = (check::failures(), check::checks());
        if fails == 0 {
            println!("ok {checks} checks");
            Ok(())
        } else {
            println!("failed {fails} of {checks} checks");
            Err(())
        }
    }
}

/// Runs one group of checks under its time limit.
async fn group(name: &str, f: impl Future<Output = ()>) {
    if io::within(GROUP_MS, f).await.is_none() {
        truth(
            &format!("{name}.timeout"),
            false,
            "the group to finish within 15 s",
            format!("stuck after check {:?}", check::last()),
        );
    }
}

/// `create-directory-at` `name` under `parent`, then the new directory
/// opened with `read` + `mutate-directory`.
pub async fn mkdir(parent: &Descriptor, name: &str) -> Option<Descriptor> {
    ok(
        &format!("{name}.mkdir"),
        parent.create_directory_at(name.into()).await,
    )?;
    ok(
        &format!("{name}.open-dir"),
        parent
            .open_at(nofollow(), name.into(), O::DIRECTORY, dirf())
            .await,
    )
}

/// A new file `name` in `dir` (`create` + `exclusive`), read-write.
pub async fn create(check: &str, dir: &Descriptor, name: &str) -> Option<Descriptor> {
    ok(
        check,
        dir.open_at(nofollow(), name.into(), O::CREATE | O::EXCLUSIVE, rw())
            .await,
    )
}

/// A new file `name` in `dir` holding `data` (written through
/// `write-via-stream`).
pub async fn create_with(
    check: &str,
    dir: &Descriptor,
    name: &str,
    data: &[u8],
) -> Option<Descriptor> {
    let f = create(check, dir, name).await?;
    ok(&format!("{check}.write"), io::write_at(&f, data, 0).await)?;
    Some(f)
}

/// The file `name` in `dir` opened for reading.
pub async fn open_read(check: &str, dir: &Descriptor, name: &str) -> Option<Descriptor> {
    ok(
        check,
        dir.open_at(nofollow(), name.into(), O::empty(), F::READ)
            .await,
    )
}

/// `new-timestamp::timestamp` of (seconds, nanoseconds).
pub fn ts(seconds: i64, nanoseconds: u32) -> NewTimestamp {
    NewTimestamp::Timestamp(wasip3::clocks::system_clock::Instant {
        seconds,
        nanoseconds,
    })
}

/// A timestamp of a `descriptor-stat` as (seconds, nanoseconds).
pub fn secs(i: Option<wasip3::clocks::system_clock::Instant>) -> Option<(i64, u32)> {
    i.map(|i| (i.seconds, i.nanoseconds))
}
