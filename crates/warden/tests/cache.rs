//! The compile cache and `warden compile` files: a miss compiles and
//! stores, a hit loads, a damaged entry is recompiled and replaced, other
//! engine settings use another entry, and foreign or damaged precompiled
//! files are refused.

use std::path::{Path, PathBuf};
use warden::cache::{compile_cached, load_precompiled, precompile, Compiled};
use wasmtime::{Config, Engine};

const WAT: &str = r#"(module (func (export "answer") (result i32) i32.const 42))"#;

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in std::fs::read_dir(dir).unwrap() {
        let sub = sub.unwrap().path();
        if sub.is_dir() {
            for e in std::fs::read_dir(&sub).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "bin") {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

fn answer(engine: &Engine, c: Compiled) -> i32 {
    let Compiled::Module(m) = c else {
        panic!("a module")
    };
    let mut store = wasmtime::Store::new(engine, ());
    let i = wasmtime::Instance::new(&mut store, &m, &[]).unwrap();
    i.get_typed_func::<(), i32>(&mut store, "answer")
        .unwrap()
        .call(&mut store, ())
        .unwrap()
}

#[test]
fn miss_then_hit() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::default();
    assert!(entries(dir.path()).is_empty());
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
    let stored = entries(dir.path());
    assert_eq!(stored.len(), 1, "a miss stores one entry");
    let before = std::fs::metadata(&stored[0]).unwrap().modified().unwrap();
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
    let after = std::fs::metadata(&stored[0]).unwrap().modified().unwrap();
    assert_eq!(before, after, "a hit does not rewrite the entry");
}

#[test]
fn damaged_entry_is_recompiled_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::default();
    compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    let entry = entries(dir.path()).remove(0);
    let good = std::fs::read(&entry).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xff; // a flipped byte in the machine code
    std::fs::write(&entry, &bad).unwrap();
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
    assert_eq!(
        std::fs::read(&entry).unwrap(),
        good,
        "the damaged entry was replaced"
    );
    // A truncated entry too.
    std::fs::write(&entry, &good[..10]).unwrap();
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
}

#[test]
fn other_engine_settings_use_another_entry() {
    let dir = tempfile::tempdir().unwrap();
    let plain = Engine::default();
    let mut config = Config::new();
    config.consume_fuel(true);
    let fueled = Engine::new(&config).unwrap();
    compile_cached(&plain, WAT.as_bytes(), Some(dir.path())).unwrap();
    compile_cached(&fueled, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(
        entries(dir.path()).len(),
        2,
        "code for other settings is never shared"
    );
}

#[test]
fn precompiled_files_run_only_when_warden_wrote_them() {
    let engine = Engine::default();
    let cwasm = precompile(&engine, WAT.as_bytes()).unwrap();
    assert_eq!(
        answer(&engine, load_precompiled(&engine, &cwasm).unwrap()),
        42
    );

    // wasmtime's own precompiled format is refused.
    let foreign = engine.precompile_module(WAT.as_bytes()).unwrap();
    let e = load_precompiled(&engine, &foreign).err().expect("refused");
    assert!(
        format!("{e:#}").contains("only files written by `warden compile`"),
        "{e:#}"
    );

    // A damaged one is refused.
    let mut bad = cwasm.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let e = load_precompiled(&engine, &bad).err().expect("refused");
    assert!(format!("{e:#}").contains("damaged"), "{e:#}");

    // One compiled with other settings (another engine) is refused.
    let mut config = Config::new();
    config.consume_fuel(true);
    let other = Engine::new(&config).unwrap();
    let e = load_precompiled(&other, &cwasm).err().expect("refused");
    assert!(format!("{e:#}").contains("other settings"), "{e:#}");
}

/// A WASI 0.1 program that exits with `status`, in the binary format.
#[cfg(unix)]
fn exits_with(status: i32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 1)
            (func (export "_start") i32.const {status} call $exit))"#
    ))
    .unwrap()
}

#[cfg(unix)]
fn run_path(cache: &Path, program: &Path) -> i32 {
    warden::Sandbox::builder()
        .compile_cache(Some(cache.to_path_buf()))
        .build()
        .unwrap()
        .run_path(program, None, &[])
        .unwrap()
        .exit_status()
}

#[cfg(unix)]
fn remembered(cache: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(subs) = std::fs::read_dir(cache.join("files")) else {
        return out;
    };
    for sub in subs {
        for e in std::fs::read_dir(sub.unwrap().path()).unwrap() {
            out.push(e.unwrap().path());
        }
    }
    out
}

/// A warm start by file: the cache remembers a program file by its
/// identity and then loads its code without reading it (shown by pointing
/// the remembered entry at another program's code); a file changed in any
/// way is read again (a new change time), so a stale program never runs;
/// a file changed in the last two seconds is not remembered yet.
#[cfg(unix)]
#[test]
fn program_files_are_remembered_by_identity_and_never_stale() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let program = dir.path().join("app.wasm");
    std::fs::write(&program, exits_with(7)).unwrap();
    assert_eq!(run_path(&cache, &program), 7);
    assert!(
        remembered(&cache).is_empty(),
        "a file just written is not remembered"
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(run_path(&cache, &program), 7);
    let index = remembered(&cache);
    assert_eq!(index.len(), 1, "the file is remembered once it is settled");

    // The warm start does not read the file: point its entry at the code
    // of another program (in the cache too), and that code runs.
    let other = dir.path().join("other.wasm");
    std::fs::write(&other, exits_with(5)).unwrap();
    assert_eq!(run_path(&cache, &other), 5);
    let other_hash = blake3::hash(&exits_with(5)).to_hex().to_string();
    std::fs::write(&index[0], format!("{other_hash} 0\n")).unwrap();
    assert_eq!(
        run_path(&cache, &program),
        5,
        "the remembered entry was not used"
    );
    // A damaged entry is ignored: the file is read.
    std::fs::write(&index[0], "not a hash\n").unwrap();
    assert_eq!(run_path(&cache, &program), 7);

    // Rewritten in place (same inode, size and modification time; only the
    // change time tells): read again.
    let old = std::fs::metadata(&program).unwrap().modified().unwrap();
    std::fs::write(&program, exits_with(9)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&program)
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert_eq!(run_path(&cache, &program), 9);
}

#[cfg(unix)]
fn seal_of(entry: &Path) -> Vec<u8> {
    std::fs::read(entry.with_extension("seal")).unwrap()
}

/// A cache entry's code is checked against the hash in its seal while it
/// is new; once settled (two seconds old), the seal records which file was
/// checked and later loads map that file without reading it. Code changed
/// after that, even in place and within a second, is a new file to the
/// seal (a new change time): it is read, fails the hash, and is recompiled
/// and replaced; so is a seal that vouches for other code.
#[cfg(unix)]
#[test]
fn sealed_code_is_mapped_unread_until_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::default();
    compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    let entry = entries(dir.path()).remove(0);
    let fresh = seal_of(&entry);
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
    assert_eq!(
        seal_of(&entry),
        fresh,
        "code just written is not sealed yet"
    );

    std::thread::sleep(std::time::Duration::from_millis(2100));
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
    let sealed = seal_of(&entry);
    assert_eq!(sealed.len(), fresh.len() + 7 * 8, "settled code is sealed");
    assert_eq!(sealed[..fresh.len()], fresh[..]);
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
    assert_eq!(seal_of(&entry), sealed, "a sealed hit changes nothing");

    // Damage in place, same size, right after: caught all the same.
    let good = std::fs::read(&entry).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&entry)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &bad))
        .unwrap();
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
    assert_eq!(
        std::fs::read(&entry).unwrap(),
        good,
        "the damaged code was replaced"
    );

    // A seal whose hash is not the code's: the code is not trusted.
    let mut lying = seal_of(&entry);
    lying[30] ^= 1;
    std::fs::write(entry.with_extension("seal"), &lying).unwrap();
    let c = compile_cached(&engine, WAT.as_bytes(), Some(dir.path())).unwrap();
    assert_eq!(answer(&engine, c), 42);
    assert_ne!(seal_of(&entry), lying, "the entry was written anew");
}
