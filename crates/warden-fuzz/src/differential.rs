//! Target (b) of issue 11, in full: the same filesystem-weighted call
//! sequence ([`Harness::run_fs_recorded`]) on the host backend and on the
//! in-memory one, each from a fresh empty rw tree, must answer with the
//! same errno call for call and leave the same tree ([`crate::tree`]).
//!
//! A trap ends one instance's sequence (a guest-raised signal, the
//! per-input time limit). The errnos are compared up to the first trap on
//! either side; the trees only when both sides made exactly the same calls
//! with the same answers — both ran to the end, or both trapped at the same
//! call. Otherwise one side made calls the other did not, and its tree may
//! rightly differ.
//!
//! What legitimately differs is kept out by the decoding rather than
//! normalized afterwards: sizes and offsets stay below a few MiB (the
//! in-memory backend's data quota, `nospc`, and the host filesystem's
//! largest file and offset are limits of one backend), nothing a call
//! writes into guest memory (times, random bytes, host inode numbers in a
//! listing) reaches a later call, and times, inode numbers and directory
//! sizes are left out of the trees.

pub use crate::fscalls::{describe, encode};
use crate::tree::Listing;
use crate::{fscalls, Backend, Harness};
use std::path::Path;

/// The two harnesses of the comparison.
pub struct Differential {
    host: Harness,
    memory: Harness,
}

/// What the comparisons covered, summed over inputs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Compared {
    pub inputs: u64,
    /// Calls made on the host backend (and as many on the memory one,
    /// unless a trap ended one side first).
    pub host_calls: u64,
    /// Calls whose errnos were compared.
    pub calls: u64,
    /// Inputs whose final trees were compared, and their entries.
    pub trees: u64,
    pub entries: u64,
    /// Inputs that a trap ended on either side.
    pub trapped: u64,
}

impl Differential {
    /// Harnesses under `root/host` and `root/memory`.
    pub fn new(root: &Path) -> anyhow::Result<Differential> {
        Ok(Differential {
            host: Harness::new(&root.join("host"), Backend::Host)?,
            memory: Harness::new(&root.join("memory"), Backend::Memory)?,
        })
    }

    /// Runs `data` on both backends from empty trees and compares; `Err`
    /// describes the first difference (or a change outside the grant).
    pub fn run(&self, data: &[u8], totals: &mut Compared) -> anyhow::Result<()> {
        self.host.reset()?;
        self.memory.reset()?;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ran = self.host.run_fs_recorded(data, &mut a)?;
        self.memory.run_fs_recorded(data, &mut b)?;
        totals.inputs += 1;
        totals.host_calls += ran.calls;
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if x.is_none() || y.is_none() {
                totals.trapped += 1;
                break;
            }
            if x != y {
                anyhow::bail!(
                    "call {i}: host errno {x:?}, memory errno {y:?}\n{}",
                    Self::calls(data, Some(i))
                );
            }
            totals.calls += 1;
        }
        if a != b {
            return Ok(());
        }
        let (host, memory) = (self.host.rw_tree()?, self.memory.rw_tree()?);
        if host != memory {
            anyhow::bail!(
                "the trees differ after the same answers:\n{}\n{}",
                diff(&host, &memory),
                Self::calls(data, None)
            );
        }
        totals.trees += 1;
        totals.entries += host.len() as u64;
        Ok(())
    }

    fn calls(data: &[u8], upto: Option<usize>) -> String {
        let calls = fscalls::describe(data);
        let n = upto.map_or(calls.len(), |i| i + 1);
        let mut out = format!("input {data:?}, calls:\n");
        for (i, c) in calls.iter().take(n).enumerate() {
            out.push_str(&format!("  {i}: {c}\n"));
        }
        out
    }
}

/// The differences this target found, each a short call sequence (as
/// [`describe`] shows calls) that the host and in-memory backends answered
/// differently before the in-memory backend was fixed: the regression
/// tests, and the seed corpus's `regress-*` inputs ([`encode`] them).
pub const FOUND: &[(&str, &[&str])] = &[
    (
        "mkdir-slash-dangling-link",
        // mkdir("b/") with b a dangling link: exist (memory made `a`).
        &[
            "path_symlink(\"a\", 3, \"b\")",
            "path_create_directory(3, \"b/\")",
        ],
    ),
    (
        "mkdir-slash-file",
        // mkdir("b/") with b a file: exist (memory: notdir).
        &[
            "path_open(3, 1, \"b\", 1, 1073741823, 1073741823, 0, 16384)",
            "path_create_directory(3, \"b/\")",
        ],
    ),
    (
        "open-creat-directory",
        // O_CREAT|O_DIRECTORY: inval (memory: isdir).
        &["path_open(3, 1, \"a\", 3, 1073741823, 1073741823, 0, 16384)"],
    ),
    (
        "open-creat-slash-file",
        // O_CREAT on "b/" with b a file: isdir (memory: notdir).
        &[
            "path_open(3, 1, \"b\", 1, 1073741823, 1073741823, 0, 16384)",
            "path_open(3, 1, \"b/\", 1, 1073741823, 1073741823, 0, 16448)",
        ],
    ),
    (
        "open-creat-link-slash-loop",
        // O_CREAT through b -> "b/": isdir before the loop (memory: loop).
        &[
            "path_symlink(\"b/\", 3, \"b\")",
            "path_open(3, 1, \"b\", 1, 1073741823, 1073741823, 0, 16384)",
        ],
    ),
    (
        "set-times-nothing-missing",
        // Nothing to set, not following, a missing name: success, as
        // utimensat(2) (memory: noent).
        &["path_filestat_set_times(3, 0, \"a\", 0, 0, 0)"],
    ),
    (
        "set-times-before-epoch",
        // A time past i64::MAX by path: inval before the path (memory:
        // noent).
        &["path_filestat_set_times(3, 1, \"a\", 1, -10, 4)"],
    ),
    (
        "link-escape-target-first",
        // A missing source linked to "../b": perm (memory: noent).
        &["path_link(3, 0, \"a\", 3, \"../b\")"],
    ),
    (
        "link-dir-onto-itself",
        // link(".", "."): exist (memory: perm).
        &["path_link(3, 1, \".\", 3, \".\")"],
    ),
    (
        "link-into-removed-dir",
        // A directory linked into a removed directory: noent (memory:
        // perm).
        &[
            "path_create_directory(3, \"a\")",
            "path_create_directory(3, \"b\")",
            "path_open(3, 1, \"b\", 0, 16386, 1073741823, 0, 16384)",
            "path_remove_directory(3, \"b\")",
            "path_link(3, 0, \"a\", 0, \"c\")",
        ],
    ),
    (
        "rename-escape-target-first",
        // A missing source renamed to "..": perm (memory: noent).
        &["path_rename(3, \"d\", 3, \"..\")"],
    ),
    (
        "rename-onto-dot",
        // A missing source renamed to ".": busy (memory: noent).
        &["path_rename(3, \"d\", 3, \".\")"],
    ),
    (
        "rename-file-to-slash",
        // A file renamed to "d/": done, as cap-std drops the slash
        // (memory: notdir).
        &[
            "path_open(3, 1, \"c\", 1, 1073741823, 1073741823, 0, 16384)",
            "path_rename(3, \"c\", 3, \"d/\")",
        ],
    ),
    (
        "rename-link-slash",
        // A link to a directory renamed as "b/": notdir (memory moved the
        // directory).
        &[
            "path_create_directory(3, \"a\")",
            "path_symlink(\"a\", 3, \"b\")",
            "path_rename(3, \"b/\", 3, \"c\")",
        ],
    ),
    (
        "rename-dir-beneath-itself",
        // A directory renamed over a file beneath it: inval (memory:
        // notdir).
        &[
            "path_create_directory(3, \"a\")",
            "path_open(3, 1, \"a/c\", 1, 1073741823, 1073741823, 0, 16384)",
            "path_rename(3, \"a\", 3, \"a/c\")",
        ],
    ),
    (
        "rename-over-own-parent",
        // A name renamed over the directory it lies in: notempty (memory:
        // isdir).
        &[
            "path_create_directory(3, \"b\")",
            "path_symlink(\"c\", 3, \"b/a\")",
            "path_rename(3, \"b/a\", 3, \"b\")",
        ],
    ),
    (
        "rmdir-dotdot",
        // rmdir("d/.."): inval (memory: notempty).
        &[
            "path_create_directory(3, \"d\")",
            "path_remove_directory(3, \"d/..\")",
        ],
    ),
    (
        "rmdir-link-slash",
        // rmdir("b/") with b a link to a directory: notdir (memory removed
        // the directory).
        &[
            "path_create_directory(3, \"a\")",
            "path_symlink(\"a\", 3, \"b\")",
            "path_remove_directory(3, \"b/\")",
        ],
    ),
    (
        "pwrite-nothing-past-the-end",
        // A zero-length pwrite at 4 of an empty file: nothing (memory
        // grew the file to 4 bytes).
        &[
            "path_open(3, 1, \"a\", 1, 1073741823, 1073741823, 0, 16384)",
            "fd_pwrite(0, iovs[4; 1], 4, 16448)",
        ],
    ),
    (
        "pwrite-append-mode",
        // pwrite in append mode appends, as Linux does (memory wrote at
        // the offset).
        &[
            "path_open(3, 1, \"a\", 1, 1073741823, 1073741823, 1, 16384)",
            "fd_write(0, iovs[0; 1], 16448)",
            "fd_pwrite(0, iovs[3; 1], 0, 16448)",
        ],
    ),
];

/// The entries two listings disagree on.
fn diff(host: &Listing, memory: &Listing) -> String {
    let mut out = String::new();
    for (k, v) in host {
        match memory.get(k) {
            Some(w) if w == v => {}
            Some(w) => out.push_str(&format!("  {k}: host {v}; memory {w}\n")),
            None => out.push_str(&format!("  {k}: host {v}; memory has none\n")),
        }
    }
    for (k, w) in memory {
        if !host.contains_key(k) {
            out.push_str(&format!("  {k}: host has none; memory {w}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(what: &str, c: &Compared, start: std::time::Instant) {
        eprintln!(
            "{what}: {} inputs, {} host calls, {} answers compared, {} trees compared ({} entries), {} inputs ended by a trap, {:?}",
            c.inputs,
            c.host_calls,
            c.calls,
            c.trees,
            c.entries,
            c.trapped,
            start.elapsed()
        );
    }

    /// Each difference found stays fixed: the sequences of [`FOUND`] answer
    /// alike and leave the same trees.
    #[test]
    fn found_differences_stay_fixed() {
        let dir = tempfile::tempdir().unwrap();
        let d = Differential::new(dir.path()).unwrap();
        let mut c = Compared::default();
        for (name, calls) in FOUND {
            let data = encode(calls);
            assert_eq!(&describe(&data), calls, "{name}");
            d.run(&data, &mut c)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert_eq!(c.trees, FOUND.len() as u64);
    }

    /// The fixed-seed differential run: 1,000 inputs of ~50 filesystem
    /// calls each on both backends, errnos and final trees equal.
    #[test]
    fn fixed_seed_fs_sequences_leave_equal_trees() {
        let dir = tempfile::tempdir().unwrap();
        let d = Differential::new(dir.path()).unwrap();
        let (mut c, start) = (Compared::default(), std::time::Instant::now());
        for input in crate::inputs(0x6469_6666, 1000, 400) {
            d.run(&input, &mut c).unwrap_or_else(|e| panic!("{e}"));
        }
        report("fixed seed", &c, start);
        assert!(c.calls > 40_000, "only {} calls compared", c.calls);
        assert!(c.trees > 950 && c.entries > 1_500, "{c:?}");
    }

    /// The long differential run (`cargo test --release -p warden-fuzz --
    /// --ignored ten_million_fs_calls_on_both_backends --nocapture`): ten
    /// million host calls, each made on the memory backend too.
    #[test]
    #[ignore]
    fn ten_million_fs_calls_on_both_backends() {
        let dir = tempfile::tempdir().unwrap();
        let d = Differential::new(dir.path()).unwrap();
        let (mut c, start, mut seed) = (Compared::default(), std::time::Instant::now(), 1u64);
        while c.host_calls < 10_000_000 {
            for input in crate::inputs(0x6669_7800 + seed, 1000, 300) {
                d.run(&input, &mut c)
                    .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            }
            seed += 1;
        }
        report("long run", &c, start);
    }
}
