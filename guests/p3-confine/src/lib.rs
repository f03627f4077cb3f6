//! Confinement suite for wasi:filesystem@0.3.2 (WASI 0.3): the escape
//! attempts of guests/p2-confine (themselves those of guests/p1-confine),
//! made through the async 0.3 descriptor methods, each asserting the same
//! wasi:filesystem error-code as p2-confine.
//!
//! A WASI 0.3 command (built for wasm32-wasip2 like guests/p3-hello): it
//! exports the async `wasi:cli/run@0.3.2` and reads its arguments with the
//! 0.3 `get-arguments`. It prints with std's `println!`/`eprintln!`, which
//! go to the WASI 0.2 stdout/stderr (the host provides 0.2 beside 0.3).
//!
//! Mode `rw` (default, argv[1] absent or "rw"): the first preopen is
//! `/sandbox`, whose host directory has `outside/secret.txt` and
//! `outside/dir/` beside it. The guest builds the same files and symlinks as
//! p2-confine (with `symlink-at`), then runs [`rw_attempts`]. argv[2], when
//! given, is the host path of the parent of the sandbox: it is used only as
//! the target of absolute symlinks.
//!
//! Mode `ro` (argv[1] == "ro"): the first preopen is the read-only `/ro`
//! holding `file.txt` ("hello") and `sub/`; [`ro_attempts`]: every mutation
//! must fail with `read-only`, every read must succeed.
//!
//! The two tables are p2-confine's, line by line, with the same names (the
//! `p1 only` / `p2 only` marks in them are p2-confine's, relative to
//! p1-confine: `p2 only` there means "not in p1", and those attempts are in
//! 0.3 too). p1 errno → wasi:filesystem error-code, the same in 0.2 and 0.3:
//!
//! | p1       | p2 and p3               |
//! |----------|-------------------------|
//! | perm     | not-permitted           |
//! | loop     | loop                    |
//! | notdir   | not-directory           |
//! | noent    | no-entry                |
//! | exist    | exist                   |
//! | ilseq    | illegal-byte-sequence   |
//! | nametoolong | name-too-long        |
//! | rofs     | read-only               |
//!
//! p1 rights → descriptor-flags, as in p2-confine: read rights → `read`;
//! write rights → `read|write`; directory rights → `read|mutate-directory`
//! (only `read` in the `ro` mode).
//!
//! Every p2 attempt has a 0.3 counterpart, so no row is `p2 only` or
//! `p3 only` with respect to p2-confine and the counts are p2-confine's
//! (210 in `rw`, 51 in `ro`). How the p2 calls map onto 0.3:
//!
//! | p2-confine                              | p3-confine                                  |
//! |-----------------------------------------|---------------------------------------------|
//! | `open-at`, `stat-at`, `*-at`, `stat`, `set-times` | the same methods, `async` (awaited) |
//! | `descriptor.write` (scribble, setup)    | `write-via-stream(rx, 0)`: write all, drop the writer, await the future |
//! | `descriptor.read` to the end (facts)    | `read-via-stream(0)`: collect the stream, await the future |
//! | `read(len, offset)` → `(bytes, eof)`    | `read-via-stream(offset)` collected: `bytes` are its first `len` bytes, `eof` is whether the stream ended within them (closed with the future `ok`) |
//! | `read-directory` + `read-directory-entry` | `read-directory`: collect the `stream<directory-entry>`, await the future |
//! | `datetime`                              | `wasi:clocks/system-clock.instant`          |
//! | `descriptor-type::unknown`              | `descriptor-type::other(_)` (only in messages) |
//!
//! Error codes are compared by name: the 0.3 `error-code` is a variant (it
//! has `other(option<string>)`), with no `PartialEq` in the bindings.
//!
//! Each failure prints `FAIL <name>: expected X got Y` on stderr; at the end
//! `ok <count> attempts` is printed, and `run` returns `err` (exit code 1)
//! if anything failed.

use wasip3::filesystem::preopens;
use wasip3::filesystem::types::{
    self, Descriptor, DescriptorType, ErrorCode, Instant, NewTimestamp, PathFlags,
};

wasip3::cli::command::export!(Confine);

struct Confine;

impl wasip3::exports::cli::run::Guest for Confine {
    async fn run() -> Result<(), ()> {
        main().await
    }
}

// ---- flag sets ----

/// `open-flags` as the tables spell them. The bindings' flag types (made by
/// wit-bindgen's own small `bitflags!`, the `bitflags` feature being off)
/// have no `const` union, so the tables use these two sets, converted flag
/// by flag at each call ([`O::wasi`], [`F::wasi`]).
#[derive(Clone, Copy, PartialEq, Eq)]
struct O(u8);

impl O {
    const CREATE: O = O(1);
    const DIRECTORY: O = O(2);
    const EXCLUSIVE: O = O(4);
    const TRUNCATE: O = O(8);

    const fn empty() -> O {
        O(0)
    }
    const fn union(self, other: O) -> O {
        O(self.0 | other.0)
    }
    const fn contains(self, other: O) -> bool {
        self.0 & other.0 == other.0
    }
    fn wasi(self) -> types::OpenFlags {
        use types::OpenFlags as W;
        [
            (O::CREATE, W::CREATE),
            (O::DIRECTORY, W::DIRECTORY),
            (O::EXCLUSIVE, W::EXCLUSIVE),
            (O::TRUNCATE, W::TRUNCATE),
        ]
        .into_iter()
        .filter(|(mine, _)| self.contains(*mine))
        .fold(W::empty(), |acc, (_, w)| acc | w)
    }
}

impl std::ops::BitOr for O {
    type Output = O;
    fn bitor(self, other: O) -> O {
        self.union(other)
    }
}

/// `descriptor-flags` as the tables spell them (the three they use).
#[derive(Clone, Copy, PartialEq, Eq)]
struct F(u8);

impl F {
    const READ: F = F(1);
    const WRITE: F = F(2);
    const MUTATE_DIRECTORY: F = F(4);

    const fn union(self, other: F) -> F {
        F(self.0 | other.0)
    }
    const fn contains(self, other: F) -> bool {
        self.0 & other.0 == other.0
    }
    fn wasi(self) -> types::DescriptorFlags {
        use types::DescriptorFlags as W;
        [
            (F::READ, W::READ),
            (F::WRITE, W::WRITE),
            (F::MUTATE_DIRECTORY, W::MUTATE_DIRECTORY),
        ]
        .into_iter()
        .filter(|(mine, _)| self.contains(*mine))
        .fold(W::empty(), |acc, (_, w)| acc | w)
    }
}

#[path = "../../shared/escape_matrix.rs"]
mod escape_matrix;
#[path = "../../shared/confine_tables.rs"]
mod tables;
use tables::*;

// ---- running them ----

fn describe_exp(e: &Exp) -> String {
    match e {
        Exp::Ok => "success".to_string(),
        Exp::Err(e) => err_name(e),
    }
}

fn describe_got<T>(r: &Result<T, ErrorCode>) -> String {
    match r {
        Ok(_) => "success".to_string(),
        Err(e) => err_name(e),
    }
}

/// The WIT name of an error-code (`other(..)` with its text, if any).
fn err_name(e: &ErrorCode) -> String {
    let name = match e {
        ErrorCode::Access => "access",
        ErrorCode::Already => "already",
        ErrorCode::BadDescriptor => "bad-descriptor",
        ErrorCode::Busy => "busy",
        ErrorCode::Deadlock => "deadlock",
        ErrorCode::Quota => "quota",
        ErrorCode::Exist => "exist",
        ErrorCode::FileTooLarge => "file-too-large",
        ErrorCode::IllegalByteSequence => "illegal-byte-sequence",
        ErrorCode::InProgress => "in-progress",
        ErrorCode::Interrupted => "interrupted",
        ErrorCode::Invalid => "invalid",
        ErrorCode::Io => "io",
        ErrorCode::IsDirectory => "is-directory",
        ErrorCode::Loop => "loop",
        ErrorCode::TooManyLinks => "too-many-links",
        ErrorCode::MessageSize => "message-size",
        ErrorCode::NameTooLong => "name-too-long",
        ErrorCode::NoDevice => "no-device",
        ErrorCode::NoEntry => "no-entry",
        ErrorCode::NoLock => "no-lock",
        ErrorCode::InsufficientMemory => "insufficient-memory",
        ErrorCode::InsufficientSpace => "insufficient-space",
        ErrorCode::NotDirectory => "not-directory",
        ErrorCode::NotEmpty => "not-empty",
        ErrorCode::NotRecoverable => "not-recoverable",
        ErrorCode::Unsupported => "unsupported",
        ErrorCode::NoTty => "no-tty",
        ErrorCode::NoSuchDevice => "no-such-device",
        ErrorCode::Overflow => "overflow",
        ErrorCode::NotPermitted => "not-permitted",
        ErrorCode::Pipe => "pipe",
        ErrorCode::ReadOnly => "read-only",
        ErrorCode::InvalidSeek => "invalid-seek",
        ErrorCode::TextFileBusy => "text-file-busy",
        ErrorCode::CrossDevice => "cross-device",
        ErrorCode::Other(None) => "other",
        ErrorCode::Other(Some(text)) => return format!("other({text:?})"),
    };
    name.to_string()
}

/// The WIT name of a descriptor-type (`other(..)` with its text, if any).
fn type_name(t: &DescriptorType) -> String {
    let name = match t {
        DescriptorType::BlockDevice => "block-device",
        DescriptorType::CharacterDevice => "character-device",
        DescriptorType::Directory => "directory",
        DescriptorType::Fifo => "fifo",
        DescriptorType::SymbolicLink => "symbolic-link",
        DescriptorType::RegularFile => "regular-file",
        DescriptorType::Socket => "socket",
        DescriptorType::Other(None) => "other",
        DescriptorType::Other(Some(text)) => return format!("other({text:?})"),
    };
    name.to_string()
}

fn pf(follow: bool) -> PathFlags {
    if follow {
        PathFlags::SYMLINK_FOLLOW
    } else {
        PathFlags::empty()
    }
}

/// 2001-09-09T01:46:40Z, the instant p1-confine sets.
fn fixed_time() -> NewTimestamp {
    NewTimestamp::Timestamp(Instant {
        seconds: 1_000_000_000,
        nanoseconds: 0,
    })
}

/// p2's `write` loop: `write-via-stream` at offset 0, the whole of `data`
/// written, the writer dropped (end of data), then the future awaited.
async fn write_all(d: &Descriptor, data: &[u8]) -> Result<(), ErrorCode> {
    let (mut tx, rx) = wasip3::wit_stream::new();
    let done = d.write_via_stream(rx, 0);
    let rest = tx.write_all(data.to_vec()).await;
    drop(tx);
    done.await?;
    if !rest.is_empty() {
        // the future said ok, yet the host stopped reading early
        return Err(ErrorCode::Other(Some(format!(
            "write-via-stream took {} of {} bytes",
            data.len() - rest.len(),
            data.len()
        ))));
    }
    Ok(())
}

/// p2's `read` loop: `read-via-stream` at `offset`, the stream collected to
/// its end, then the future awaited.
async fn read_all(d: &Descriptor, offset: u64) -> Result<Vec<u8>, ErrorCode> {
    let (rx, done) = d.read_via_stream(offset);
    let data = rx.collect().await;
    done.await?;
    Ok(data)
}

async fn write_file(dir: &Descriptor, path: &str, data: &[u8]) -> Result<(), ErrorCode> {
    let f = dir
        .open_at(pf(FOLLOW), s(path), (CREAT | TRUNC).wasi(), RW.wasi())
        .await?;
    write_all(&f, data).await
}

async fn read_file(dir: &Descriptor, path: &str) -> Result<Vec<u8>, ErrorCode> {
    let f = dir
        .open_at(pf(FOLLOW), s(path), NONE.wasi(), RD.wasi())
        .await?;
    read_all(&f, 0).await
}

/// `read-directory`: the entry stream collected to its end, then the future
/// awaited.
async fn readdir(d: &Descriptor) -> Result<Vec<String>, ErrorCode> {
    let (rx, done) = d.read_directory();
    let entries = rx.collect().await;
    done.await?;
    Ok(entries.into_iter().map(|e| e.name).collect())
}

fn show(r: &Result<Vec<u8>, ErrorCode>) -> String {
    match r {
        Ok(v) => format!("{:?}", String::from_utf8_lossy(v)),
        Err(e) => err_name(e),
    }
}

struct Suite {
    attempts: u32,
    failed: u32,
    root: Option<Descriptor>,
    sub: Option<Descriptor>,
    deep: Option<Descriptor>,
    lsub: Option<Descriptor>,
    /// flags `S`, `DP`, `LS` are opened with
    dir_flags: F,
    /// descriptors whose opening failed (reported once, not retried)
    unopenable: Vec<D>,
}

impl Suite {
    fn fail(&mut self, name: &str, expected: &str, got: &str) {
        self.failed += 1;
        eprintln!("FAIL {name}: expected {expected} got {got}");
    }

    /// Record one attempt; returns whether it matched.
    fn check<T>(&mut self, name: &str, got: &Result<T, ErrorCode>, exp: &Exp) -> bool {
        self.attempts += 1;
        let matched = match (exp, got) {
            (Exp::Ok, Ok(_)) => true,
            (Exp::Err(e), Err(g)) => err_name(e) == err_name(g),
            _ => false,
        };
        if !matched {
            self.fail(name, &describe_exp(exp), &describe_got(got));
        }
        matched
    }

    /// Record one boolean fact.
    fn fact(&mut self, name: &str, ok: bool, expected: &str, got: &str) {
        self.attempts += 1;
        if !ok {
            self.fail(name, expected, got);
        }
    }

    /// Setup step: must succeed, counted as a failure (not an attempt) if not.
    fn setup<T>(&mut self, name: &str, r: Result<T, ErrorCode>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(&format!("setup {name}"), "success", &err_name(&e));
                None
            }
        }
    }

    fn is_open(&self, d: D) -> bool {
        match d {
            R => self.root.is_some(),
            S => self.sub.is_some(),
            DP => self.deep.is_some(),
            LS => self.lsub.is_some(),
        }
    }

    /// Make sure the descriptor `d` is open (opening it, and the directory
    /// it is opened through, as setup steps).
    async fn ensure(&mut self, d: D) -> bool {
        let chain: &[D] = match d {
            R => &[R],
            S => &[S],
            DP => &[S, DP],
            LS => &[LS],
        };
        for &step in chain {
            if !self.ensure_one(step).await {
                return false;
            }
        }
        true
    }

    /// Open `d` if it is not open yet; its parent is already open (or
    /// known unopenable).
    async fn ensure_one(&mut self, d: D) -> bool {
        let (parent, path, name) = match d {
            R => return self.root.is_some(),
            S => (R, "sub", "open sub"),
            DP => (S, "deep", "open sub/deep via sub fd"),
            LS => (R, "l_sub", "open l_sub (inside link to dir)"),
        };
        if self.is_open(d) {
            return true;
        }
        if self.unopenable.contains(&d) || !self.is_open(parent) {
            return false;
        }
        let r = self
            .get(parent)
            .open_at(pf(FOLLOW), s(path), DIR.wasi(), self.dir_flags.wasi())
            .await;
        let Some(opened) = self.setup(name, r) else {
            self.unopenable.push(d);
            return false;
        };
        *match d {
            S => &mut self.sub,
            DP => &mut self.deep,
            _ => &mut self.lsub,
        } = Some(opened);
        true
    }

    fn get(&self, d: D) -> &Descriptor {
        match d {
            R => self.root.as_ref(),
            S => self.sub.as_ref(),
            DP => self.deep.as_ref(),
            LS => self.lsub.as_ref(),
        }
        .expect("ensure()d")
    }

    async fn run(&mut self, rows: Vec<Row>) {
        for Row { name, exp, op } in rows {
            let needed: Vec<D> = match &op {
                Op::Open(d, ..)
                | Op::Stat(d, ..)
                | Op::StatIs(d, ..)
                | Op::StatFact(d, ..)
                | Op::Mkdir(d, _)
                | Op::Unlink(d, _)
                | Op::Rmdir(d, _)
                | Op::Symlink(_, d, _)
                | Op::Readlink(d, ..)
                | Op::SetTimes(d, ..)
                | Op::OpenReaddir(d, _)
                | Op::Readdir(d, ..)
                | Op::ReadIs(d, ..)
                | Op::PreadIs(d, ..)
                | Op::FdStat(d)
                | Op::FdSetTimes(d)
                | Op::FileSetTimes(d, ..)
                | Op::Note(d, _) => vec![*d],
                Op::Rename(d1, _, d2, _) | Op::Link(d1, _, _, d2, _) => vec![*d1, *d2],
            };
            let mut ready = true;
            for d in needed {
                if !self.ensure(d).await {
                    ready = false;
                    break;
                }
            }
            if !ready {
                continue; // the setup failure is already reported
            }
            self.one(&name, exp, op).await;
        }
    }

    async fn one(&mut self, name: &str, exp: Exp, op: Op) {
        match op {
            Op::Open(d, follow, path, o, f) => {
                let r = self
                    .get(d)
                    .open_at(pf(follow), path, o.wasi(), f.wasi())
                    .await;
                self.check(name, &r, &exp);
                if let Ok(opened) = r {
                    if !matches!(exp, Exp::Ok) && f.contains(F::WRITE) {
                        // make an escape visible to the host-side snapshot
                        let _ = write_all(&opened, b"escaped").await;
                    }
                }
            }
            Op::Stat(d, follow, path) => {
                let r = self.get(d).stat_at(pf(follow), path).await;
                self.check(name, &r, &exp);
            }
            Op::StatIs(d, follow, path, fact, ty, size) => {
                let r = self.get(d).stat_at(pf(follow), path).await;
                if self.check(name, &r, &exp) {
                    if let Ok(st) = r {
                        let ok = type_name(&st.type_) == type_name(&ty)
                            && size.is_none_or(|n| st.size == n);
                        let want = match size {
                            Some(n) => format!("{}, size {n}", type_name(&ty)),
                            None => type_name(&ty),
                        };
                        let got = format!("{}, size {}", type_name(&st.type_), st.size);
                        self.fact(fact, ok, &want, &got);
                    }
                }
            }
            Op::StatFact(d, follow, path, ty) => {
                let r = self.get(d).stat_at(pf(follow), path).await;
                let got = match &r {
                    Ok(st) => type_name(&st.type_),
                    Err(e) => err_name(e),
                };
                let ok = matches!(&r, Ok(st) if type_name(&st.type_) == type_name(&ty));
                self.fact(name, ok, &type_name(&ty), &got);
            }
            Op::Mkdir(d, path) => {
                let r = self.get(d).create_directory_at(path).await;
                self.check(name, &r, &exp);
            }
            Op::Unlink(d, path) => {
                let r = self.get(d).unlink_file_at(path).await;
                self.check(name, &r, &exp);
            }
            Op::Rmdir(d, path) => {
                let r = self.get(d).remove_directory_at(path).await;
                self.check(name, &r, &exp);
            }
            Op::Rename(d1, p1, d2, p2) => {
                let r = self.get(d1).rename_at(p1, self.get(d2), p2).await;
                self.check(name, &r, &exp);
            }
            Op::Link(d1, follow, p1, d2, p2) => {
                let r = self.get(d1).link_at(pf(follow), p1, self.get(d2), p2).await;
                self.check(name, &r, &exp);
            }
            Op::Symlink(target, d, path) => {
                let r = self.get(d).symlink_at(target, path).await;
                self.check(name, &r, &exp);
            }
            Op::Readlink(d, path, text) => {
                let r = self.get(d).readlink_at(path).await;
                if self.check(name, &r, &exp) {
                    if let (Some((fact, want)), Ok(got)) = (text, &r) {
                        self.fact(fact, got == want, want, got);
                    }
                }
            }
            Op::SetTimes(d, follow, path) => {
                let r = self
                    .get(d)
                    .set_times_at(pf(follow), path, fixed_time(), fixed_time())
                    .await;
                self.check(name, &r, &exp);
            }
            Op::OpenReaddir(d, path) => {
                let r = match self
                    .get(d)
                    .open_at(pf(FOLLOW), path, DIR.wasi(), self.dir_flags.wasi())
                    .await
                {
                    Ok(dir) => readdir(&dir).await,
                    Err(e) => Err(e),
                };
                self.check(name, &r, &exp);
            }
            Op::Readdir(d, fact, listing) => {
                let r = readdir(self.get(d)).await;
                if self.check(name, &r, &exp) {
                    let mut names = r.unwrap_or_default();
                    names.sort();
                    match listing {
                        Listing::Any => {}
                        Listing::SandboxOnly => {
                            let leaked = names
                                .iter()
                                .any(|n| n == "secret.txt" || n == "outside" || n == "sandbox");
                            let ok = !leaked && names.iter().any(|n| n == "file.txt");
                            self.fact(fact, ok, "sandbox entries", &names.join(","));
                        }
                        Listing::Exactly(want) => {
                            self.fact(fact, names == want, &want.join(" "), &names.join(" "));
                        }
                    }
                }
            }
            Op::ReadIs(d, path, content) => {
                let r = read_file(self.get(d), &path).await;
                let ok = matches!(&r, Ok(v) if v == content);
                let want = format!("{:?}", String::from_utf8_lossy(content));
                self.fact(name, ok, &want, &show(&r));
            }
            Op::PreadIs(d, path, len, offset, want, want_eof) => {
                // p2's read(len, offset): the first `len` bytes of the
                // stream from `offset`; eof when the stream ended within them
                let r = match self
                    .get(d)
                    .open_at(pf(FOLLOW), path, NONE.wasi(), RD.wasi())
                    .await
                {
                    Ok(f) => read_all(&f, offset).await.map(|mut v| {
                        let eof = v.len() as u64 <= len;
                        v.truncate(len as usize);
                        (v, eof)
                    }),
                    Err(e) => Err(e),
                };
                let ok = matches!(&r, Ok((v, eof)) if v == want && (*eof || !want_eof));
                let got = match &r {
                    Ok((v, eof)) => format!("{:?} eof={eof}", String::from_utf8_lossy(v)),
                    Err(e) => err_name(e),
                };
                let want = format!(
                    "{:?}{}",
                    String::from_utf8_lossy(want),
                    if want_eof { " eof=true" } else { "" }
                );
                self.fact(name, ok, &want, &got);
            }
            Op::FdStat(d) => {
                let r = self.get(d).stat().await;
                self.check(name, &r, &exp);
            }
            Op::FdSetTimes(d) => {
                let r = self.get(d).set_times(fixed_time(), fixed_time()).await;
                self.check(name, &r, &exp);
            }
            Op::FileSetTimes(d, path, f) => {
                let r = self
                    .get(d)
                    .open_at(pf(FOLLOW), path.clone(), NONE.wasi(), f.wasi())
                    .await;
                if let Some(file) = self.setup(&format!("open {path}"), r) {
                    let r = file.set_times(fixed_time(), fixed_time()).await;
                    self.check(name, &r, &exp);
                }
            }
            Op::Note(d, path) => {
                let r = self
                    .get(d)
                    .open_at(pf(FOLLOW), path, NONE.wasi(), RD.wasi())
                    .await;
                eprintln!("note: {name} -> {}", describe_got(&r));
            }
        }
    }
}

async fn main() -> Result<(), ()> {
    let args = wasip3::cli::environment::get_arguments();
    let mode = args.get(1).map(String::as_str).unwrap_or("rw");
    let (want_name, dir_flags) = match mode {
        "rw" => ("/sandbox", DRW),
        "ro" => ("/ro", DRD),
        other => {
            eprintln!("unknown mode {other:?} (want rw or ro)");
            wasip3::cli::exit::exit_with_code(2);
            return Err(());
        }
    };
    let mut s = Suite {
        attempts: 0,
        failed: 0,
        root: None,
        sub: None,
        deep: None,
        lsub: None,
        dir_flags,
        unopenable: Vec::new(),
    };

    // --- the preopen is what the harness says it is ---
    let mut preopens = preopens::get_directories();
    if preopens.is_empty() {
        s.fail("setup get-directories", "a preopen", "none");
    } else {
        let (root, name) = preopens.remove(0);
        s.fact(
            &format!("preopen 3 is {want_name}"),
            name == want_name,
            want_name,
            &name,
        );
        s.root = Some(root);
    }

    if let Some(root) = s.root.take() {
        match mode {
            "rw" => {
                let host_parent = args.get(2).map(String::as_str);
                setup_rw(&mut s, &root, host_parent).await;
                s.root = Some(root);
                s.run(rw_attempts(host_parent.is_some())).await;
            }
            _ => {
                s.root = Some(root);
                s.run(ro_attempts()).await;
            }
        }
    }

    if s.failed > 0 {
        eprintln!("{} of {} attempts failed", s.failed, s.attempts);
        println!("ok {} attempts", s.attempts);
        return Err(());
    }
    println!("ok {} attempts", s.attempts);
    Ok(())
}

/// p2-confine's setup, through wasi:filesystem@0.3.
async fn setup_rw(s: &mut Suite, root: &Descriptor, host_parent: Option<&str>) {
    let r = write_file(root, "file.txt", b"inside").await;
    s.setup("write file.txt", r);
    let r = write_file(root, "victim_src.txt", b"victim").await;
    s.setup("write victim_src.txt", r);
    let r = root.create_directory_at("sub".to_string()).await;
    s.setup("mkdir sub", r);
    let r = root.create_directory_at("sub/deep".to_string()).await;
    s.setup("mkdir sub/deep", r);
    let r = write_file(root, "sub/deep/f.txt", b"deep").await;
    s.setup("write sub/deep/f.txt", r);
    for (link, target) in LINKS {
        let r = root.symlink_at(target.to_string(), link.to_string()).await;
        s.setup(&format!("symlink {link} -> {target}"), r);
    }
    // wasi:filesystem refuses to create a symlink with an absolute target
    // (not-permitted, as the WIT says), unlike WASI 0.1. The absolute links
    // the attempts below follow (l_etc, l_root, l_abs_sandbox, l_host_*)
    // are made by the test harness on the host before the run.
    let mut abs = vec![
        ("l_etc".to_string(), "/etc/passwd".to_string()),
        ("l_root".to_string(), "/".to_string()),
        ("l_abs_sandbox".to_string(), "/sandbox/file.txt".to_string()),
    ];
    if let Some(hp) = host_parent {
        let hp = hp.trim_end_matches('/');
        abs.push(("l_host_secret".into(), format!("{hp}/outside/secret.txt")));
        abs.push(("l_host_dir".into(), format!("{hp}/outside")));
    }
    for (link, target) in &abs {
        let name = format!("symlink-at {link} -> {target} (absolute) is refused");
        match root
            .symlink_at(target.clone(), format!("{link}_again"))
            .await
        {
            Err(ErrorCode::NotPermitted) => {}
            Err(e) => s.fail(&name, "not-permitted", &err_name(&e)),
            Ok(()) => s.fail(&name, "not-permitted", "success"),
        }
    }
    // a chain of 41 links ch0 -> ch1 -> ... -> ch40 -> file.txt
    for i in 0..=40 {
        let target = if i == 40 {
            "file.txt".to_string()
        } else {
            format!("ch{}", i + 1)
        };
        let r = root.symlink_at(target, format!("ch{i}")).await;
        s.setup(&format!("symlink ch{i}"), r);
    }
}
