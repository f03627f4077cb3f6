//! Confinement suite for wasi:filesystem (WASI 0.2): the escape attempts of
//! guests/p1-confine, made through the descriptor methods instead of the
//! preview1 path calls, each asserting the wasi:filesystem error-code that
//! corresponds to the errno p1-confine expects.
//!
//! Mode `rw` (default, argv[1] absent or "rw"): the first preopen is
//! `/sandbox`, whose host directory has `outside/secret.txt` and
//! `outside/dir/` beside it. The guest builds the same files and symlinks as
//! p1-confine (with `symlink-at`), then runs [`rw_attempts`]. argv[2], when
//! given, is the host path of the parent of the sandbox: it is used only as
//! the target of absolute symlinks.
//!
//! Mode `ro` (argv[1] == "ro"): the first preopen is the read-only `/ro`
//! holding `file.txt` ("hello") and `sub/`; [`ro_attempts`]: every mutation
//! must fail with `read-only`, every read must succeed.
//!
//! The two tables follow p1-confine line by line, with the same names. p1
//! errno → p2 error-code (crates/warden-p2/src/filesystem.rs):
//!
//! | p1       | p2                      |
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
//! p1 rights → p2 descriptor-flags: read rights → `read`; write rights →
//! `read|write`; directory rights → `read|mutate-directory` (only `read` in
//! the `ro` mode, where asking for `mutate-directory` is itself a mutation).
//!
//! Differences from p1-confine, marked `p1 only` / `p2 only` in the tables:
//! - p1 "fd_readdir on the fd a refused open would have had" (badf) has no
//!   counterpart: p2 has no descriptor numbers to probe. The refused
//!   open itself is kept.
//! - p1 ro "open file.txt with set_size right" / "with allocate right": p2
//!   has no rights; replaced by two `p2 only` requests for
//!   `mutate-directory` (on the file and on `sub`), both `read-only`.
//! - p1 ro "seek end of file.txt" (5): p2 has no seek; its counterpart reads
//!   at offset 5 and expects no bytes and end-of-file.
//! - p1 ro "readdir /ro lists . .. file.txt sub": wasi:filesystem lists
//!   neither `.` nor `..`, so the expectation is `file.txt sub`.
//!
//! Each failure prints `FAIL <name>: expected X got Y` on stderr; at the end
//! `ok <count> attempts` is printed and the exit code is 1 if anything failed.

use wasip2::filesystem::preopens;
use wasip2::filesystem::types::{
    Datetime, Descriptor, DescriptorFlags as F, DescriptorType, ErrorCode, NewTimestamp,
    OpenFlags as O, PathFlags,
};

#[path = "../../shared/escape_matrix.rs"]
mod escape_matrix;
#[path = "../../shared/confine_tables.rs"]
mod tables;
use tables::*;

// ---- running them ----

fn describe_exp(e: Exp) -> String {
    match e {
        Exp::Ok => "success".to_string(),
        Exp::Err(e) => e.name().to_string(),
    }
}

fn describe_got<T>(r: &Result<T, ErrorCode>) -> String {
    match r {
        Ok(_) => "success".to_string(),
        Err(e) => e.name().to_string(),
    }
}

fn type_name(t: DescriptorType) -> &'static str {
    match t {
        DescriptorType::Unknown => "unknown",
        DescriptorType::BlockDevice => "block-device",
        DescriptorType::CharacterDevice => "character-device",
        DescriptorType::Directory => "directory",
        DescriptorType::Fifo => "fifo",
        DescriptorType::SymbolicLink => "symbolic-link",
        DescriptorType::RegularFile => "regular-file",
        DescriptorType::Socket => "socket",
    }
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
    NewTimestamp::Timestamp(Datetime {
        seconds: 1_000_000_000,
        nanoseconds: 0,
    })
}

fn write_all(d: &Descriptor, data: &[u8]) -> Result<(), ErrorCode> {
    let mut off = 0usize;
    while off < data.len() {
        let n = d.write(&data[off..], off as u64)? as usize;
        if n == 0 {
            return Err(ErrorCode::Io);
        }
        off += n;
    }
    Ok(())
}

fn read_all(d: &Descriptor) -> Result<Vec<u8>, ErrorCode> {
    let mut out = Vec::new();
    loop {
        let (chunk, eof) = d.read(512, out.len() as u64)?;
        out.extend_from_slice(&chunk);
        if eof || chunk.is_empty() {
            return Ok(out);
        }
    }
}

fn write_file(dir: &Descriptor, path: &str, data: &[u8]) -> Result<(), ErrorCode> {
    let f = dir.open_at(pf(FOLLOW), path, CREAT | TRUNC, RW)?;
    write_all(&f, data)
}

fn read_file(dir: &Descriptor, path: &str) -> Result<Vec<u8>, ErrorCode> {
    let f = dir.open_at(pf(FOLLOW), path, NONE, RD)?;
    read_all(&f)
}

fn readdir(d: &Descriptor) -> Result<Vec<String>, ErrorCode> {
    let stream = d.read_directory()?;
    let mut names = Vec::new();
    while let Some(e) = stream.read_directory_entry()? {
        names.push(e.name);
    }
    Ok(names)
}

fn show(r: &Result<Vec<u8>, ErrorCode>) -> String {
    match r {
        Ok(v) => format!("{:?}", String::from_utf8_lossy(v)),
        Err(e) => e.name().to_string(),
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
    fn check<T>(&mut self, name: &str, got: &Result<T, ErrorCode>, exp: Exp) -> bool {
        self.attempts += 1;
        let matched = match (&exp, got) {
            (Exp::Ok, Ok(_)) => true,
            (Exp::Err(e), Err(g)) => e == g,
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
                self.fail(&format!("setup {name}"), "success", e.name());
                None
            }
        }
    }

    /// Make sure the descriptor `d` is open (opening it as a setup step).
    fn ensure(&mut self, d: D) -> bool {
        let (have, parent, path, name) = match d {
            R => return self.root.is_some(),
            S => (self.sub.is_some(), R, "sub", "open sub"),
            DP => (self.deep.is_some(), S, "deep", "open sub/deep via sub fd"),
            LS => (
                self.lsub.is_some(),
                R,
                "l_sub",
                "open l_sub (inside link to dir)",
            ),
        };
        if have {
            return true;
        }
        if self.unopenable.contains(&d) || !self.ensure(parent) {
            return false;
        }
        let r = self
            .get(parent)
            .open_at(pf(FOLLOW), path, DIR, self.dir_flags);
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

    fn run(&mut self, rows: Vec<Row>) {
        for Row { name, exp, op } in rows {
            let needed: &[D] = match &op {
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
                | Op::Note(d, _) => &[*d],
                Op::Rename(d1, _, d2, _) | Op::Link(d1, _, _, d2, _) => &[*d1, *d2],
            };
            if !needed.iter().all(|d| self.ensure(*d)) {
                continue; // the setup failure is already reported
            }
            self.one(&name, exp, op);
        }
    }

    fn one(&mut self, name: &str, exp: Exp, op: Op) {
        match op {
            Op::Open(d, follow, path, o, f) => {
                let r = self.get(d).open_at(pf(follow), &path, o, f);
                self.check(name, &r, exp.clone());
                if let Ok(opened) = r {
                    if !matches!(exp, Exp::Ok) && f.contains(F::WRITE) {
                        // make an escape visible to the host-side snapshot
                        let _ = write_all(&opened, b"escaped");
                    }
                }
            }
            Op::Stat(d, follow, path) => {
                let r = self.get(d).stat_at(pf(follow), &path);
                self.check(name, &r, exp);
            }
            Op::StatIs(d, follow, path, fact, ty, size) => {
                let r = self.get(d).stat_at(pf(follow), &path);
                if self.check(name, &r, exp) {
                    if let Ok(st) = r {
                        let ok = st.type_ == ty && size.is_none_or(|n| st.size == n);
                        let want = match size {
                            Some(n) => format!("{}, size {n}", type_name(ty)),
                            None => type_name(ty).to_string(),
                        };
                        let got = format!("{}, size {}", type_name(st.type_), st.size);
                        self.fact(fact, ok, &want, &got);
                    }
                }
            }
            Op::StatFact(d, follow, path, ty) => {
                let r = self.get(d).stat_at(pf(follow), &path);
                let got = match &r {
                    Ok(st) => type_name(st.type_).to_string(),
                    Err(e) => e.name().to_string(),
                };
                let ok = matches!(&r, Ok(st) if st.type_ == ty);
                self.fact(name, ok, type_name(ty), &got);
            }
            Op::Mkdir(d, path) => {
                let r = self.get(d).create_directory_at(&path);
                self.check(name, &r, exp);
            }
            Op::Unlink(d, path) => {
                let r = self.get(d).unlink_file_at(&path);
                self.check(name, &r, exp);
            }
            Op::Rmdir(d, path) => {
                let r = self.get(d).remove_directory_at(&path);
                self.check(name, &r, exp);
            }
            Op::Rename(d1, p1, d2, p2) => {
                let r = self.get(d1).rename_at(&p1, self.get(d2), &p2);
                self.check(name, &r, exp);
            }
            Op::Link(d1, follow, p1, d2, p2) => {
                let r = self.get(d1).link_at(pf(follow), &p1, self.get(d2), &p2);
                self.check(name, &r, exp);
            }
            Op::Symlink(target, d, path) => {
                let r = self.get(d).symlink_at(&target, &path);
                self.check(name, &r, exp);
            }
            Op::Readlink(d, path, text) => {
                let r = self.get(d).readlink_at(&path);
                if self.check(name, &r, exp) {
                    if let (Some((fact, want)), Ok(got)) = (text, &r) {
                        self.fact(fact, got == want, want, got);
                    }
                }
            }
            Op::SetTimes(d, follow, path) => {
                let r = self
                    .get(d)
                    .set_times_at(pf(follow), &path, fixed_time(), fixed_time());
                self.check(name, &r, exp);
            }
            Op::OpenReaddir(d, path) => {
                let r = self
                    .get(d)
                    .open_at(pf(FOLLOW), &path, DIR, self.dir_flags)
                    .and_then(|dir| readdir(&dir));
                self.check(name, &r, exp);
            }
            Op::Readdir(d, fact, listing) => {
                let r = readdir(self.get(d));
                if self.check(name, &r, exp) {
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
                let r = read_file(self.get(d), &path);
                let ok = matches!(&r, Ok(v) if v == content);
                let want = format!("{:?}", String::from_utf8_lossy(content));
                self.fact(name, ok, &want, &show(&r));
            }
            Op::PreadIs(d, path, len, offset, want, want_eof) => {
                let r = self
                    .get(d)
                    .open_at(pf(FOLLOW), &path, NONE, RD)
                    .and_then(|f| f.read(len, offset));
                let ok = matches!(&r, Ok((v, eof)) if v == want && (*eof || !want_eof));
                let got = match &r {
                    Ok((v, eof)) => format!("{:?} eof={eof}", String::from_utf8_lossy(v)),
                    Err(e) => e.name().to_string(),
                };
                let want = format!(
                    "{:?}{}",
                    String::from_utf8_lossy(want),
                    if want_eof { " eof=true" } else { "" }
                );
                self.fact(name, ok, &want, &got);
            }
            Op::FdStat(d) => {
                let r = self.get(d).stat();
                self.check(name, &r, exp);
            }
            Op::FdSetTimes(d) => {
                let r = self.get(d).set_times(fixed_time(), fixed_time());
                self.check(name, &r, exp);
            }
            Op::FileSetTimes(d, path, f) => {
                let r = self.get(d).open_at(pf(FOLLOW), &path, NONE, f);
                if let Some(file) = self.setup(&format!("open {path}"), r) {
                    let r = file.set_times(fixed_time(), fixed_time());
                    self.check(name, &r, exp);
                }
            }
            Op::Note(d, path) => {
                let r = self.get(d).open_at(pf(FOLLOW), &path, NONE, RD);
                eprintln!("note: {name} -> {}", describe_got(&r));
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("rw");
    let (want_name, dir_flags) = match mode {
        "rw" => ("/sandbox", DRW),
        "ro" => ("/ro", DRD),
        other => {
            eprintln!("unknown mode {other:?} (want rw or ro)");
            std::process::exit(2);
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
                setup_rw(&mut s, &root, host_parent);
                s.root = Some(root);
                s.run(rw_attempts(host_parent.is_some()));
            }
            _ => {
                s.root = Some(root);
                s.run(ro_attempts());
            }
        }
    }

    if s.failed > 0 {
        eprintln!("{} of {} attempts failed", s.failed, s.attempts);
        println!("ok {} attempts", s.attempts);
        std::process::exit(1);
    }
    println!("ok {} attempts", s.attempts);
}

/// p1-confine's setup, through wasi:filesystem.
fn setup_rw(s: &mut Suite, root: &Descriptor, host_parent: Option<&str>) {
    s.setup("write file.txt", write_file(root, "file.txt", b"inside"));
    s.setup(
        "write victim_src.txt",
        write_file(root, "victim_src.txt", b"victim"),
    );
    s.setup("mkdir sub", root.create_directory_at("sub"));
    s.setup("mkdir sub/deep", root.create_directory_at("sub/deep"));
    s.setup(
        "write sub/deep/f.txt",
        write_file(root, "sub/deep/f.txt", b"deep"),
    );
    for (link, target) in LINKS {
        s.setup(
            &format!("symlink {link} -> {target}"),
            root.symlink_at(target, link),
        );
    }
    // WASI 0.2 refuses to create a symlink with an absolute target
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
        match root.symlink_at(target, &format!("{link}_again")) {
            Err(ErrorCode::NotPermitted) => {}
            Err(e) => s.fail(&name, "not-permitted", e.name()),
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
        s.setup(
            &format!("symlink ch{i}"),
            root.symlink_at(&target, &format!("ch{i}")),
        );
    }
}
