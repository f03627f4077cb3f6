//! Shared harness for the warden-cli integration tests.
//!
//! Use from a test file with `mod common;` then:
//!
//! - [`guest`]`("p1-conformance")` → path of a guest `.wasm`, building the
//!   `guests/` workspace once per test process (cargo's own lock serialises
//!   concurrent test processes);
//! - [`guest_dir`] → the directory holding the built guests;
//! - [`guest_p2`]`("p2-conformance")` → path of a WASI 0.2 component guest,
//!   built on first use with `cargo build --release --target wasm32-wasip2
//!   -p <name>` into the same target directory;
//! - [`tempdir`] → a fresh temporary directory (removed on drop);
//! - [`warden`]`(["run", ...])` → run the real `warden` binary to completion
//!   (killed after [`TIMEOUT`]) and get an [`Output`];
//! - [`Warden`] → the same with options (working directory, stdin bytes,
//!   timeout), or [`Warden::spawn`] to interact while it runs ([`Running`]);
//! - [`compile_c`] → compile a C file with `python3 -m ziglang cc
//!   --target=wasm32-wasi -O2`;
//! - [`free_port`] → a TCP port on 127.0.0.1 that was free a moment ago;
//! - [`confine`] → the host layout, snapshot/diff, canaries and checks of the
//!   confinement suites (p1_confine.rs, p2_confine.rs);
//! - [`conformance`] → running a conformance guest and checking its
//!   `FAIL `/`ok ` report (p1_conformance.rs, p2_conformance.rs).
#![allow(dead_code)]

pub mod confine;
pub mod conformance;
pub mod serve;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a warden run may take before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The `warden` binary under test.
pub fn warden_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_warden"))
}

/// Where the guests workspace puts its `.wasm` files.
pub fn guest_dir() -> PathBuf {
    build_guests();
    repo_root().join("target/guests/wasm32-wasip1/release")
}

/// Path of the guest `<name>.wasm` (a member of `guests/`), built on first use.
pub fn guest(name: &str) -> PathBuf {
    let p = guest_dir().join(format!("{name}.wasm"));
    assert!(
        p.is_file(),
        "guest {name} was not built: {} missing",
        p.display()
    );
    p
}

fn build_guests() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(e) = BUILT.get_or_init(build_guests_now) {
        panic!("{e}");
    }
}

fn build_guests_now() -> Result<(), String> {
    cargo_build_guests(&["--target", "wasm32-wasip1"])
}

/// Path of the WASI 0.2 component guest `name` (a member of `guests/`),
/// built for wasm32-wasip2 on first use in this test process. A binary is
/// `<name>.wasm`; a cdylib is `<name with _ for ->.wasm`.
pub fn guest_p2(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<std::collections::HashMap<String, Result<(), String>>>> =
        OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let r = built
        .lock()
        .unwrap()
        .entry(name.to_owned())
        .or_insert_with(|| {
            cargo_build_guests(&["--target", "wasm32-wasip2", "-p", name])
                .map_err(|e| format!("guest {name}: {e}"))
        })
        .clone();
    if let Err(e) = r {
        panic!("{e}");
    }
    let dir = repo_root().join("target/guests/wasm32-wasip2/release");
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let candidates = [
        dir.join(format!("{name}.wasm")),
        dir.join(format!("{}.wasm", name.replace('-', "_"))),
    ];
    candidates
        .iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| mtime(p))
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "guest {name} was not built: neither {} nor {} exists",
                candidates[0].display(),
                candidates[1].display()
            )
        })
}

/// `cargo build --release <extra...>` on the guests workspace into
/// `target/guests`.
fn cargo_build_guests(extra: &[&str]) -> Result<(), String> {
    let root = repo_root();
    let run = |offline: bool| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--release"])
            .args(extra)
            .arg("--manifest-path")
            .arg(root.join("guests/Cargo.toml"))
            .arg("--target-dir")
            .arg(root.join("target/guests"));
        if offline {
            cmd.arg("--offline");
        }
        // Flags meant for the host build must not leak into the wasm build.
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET_DIR",
        ] {
            cmd.env_remove(var);
        }
        cmd.stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run cargo to build the guests: {e}"))
    };
    // Offline first (every dependency is normally cached); fall back to the
    // network only when cargo says something is missing offline.
    let out = run(true)?;
    let out = if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("offline") {
        run(false)?
    } else {
        out
    };
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "building the guests failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("warden-test-")
        .tempdir()
        .expect("create temp dir")
}

/// A TCP port on 127.0.0.1 that was free when this returned.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Compile `src` (C) to a wasm32-wasi module with
/// `python3 -m ziglang cc --target=wasm32-wasi -O2 <extra...>`; returns the
/// path of `<repo>/target/guests/c/<stem>.wasm`. Recompiles only when the
/// source is newer than the output.
pub fn compile_c(src: &Path, extra: &[&str]) -> PathBuf {
    static ZIG: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(e) = ZIG.get_or_init(|| {
        match Command::new("python3").args(["-m", "ziglang", "version"]).output() {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!(
                "`python3 -m ziglang` is not usable (install it with `pip install ziglang`): {}",
                String::from_utf8_lossy(&o.stderr)
            )),
            Err(e) => Err(format!("cannot run python3 for `python3 -m ziglang` (install python3 and `pip install ziglang`): {e}")),
        }
    }) {
        panic!("{e}");
    }
    let stem = src
        .file_stem()
        .expect("C source file name")
        .to_string_lossy()
        .into_owned();
    let dir = repo_root().join("target/guests/c");
    std::fs::create_dir_all(&dir).expect("create target/guests/c");
    let out = dir.join(format!("{stem}.wasm"));
    let fresh = (|| {
        let s = std::fs::metadata(src).ok()?.modified().ok()?;
        let o = std::fs::metadata(&out).ok()?.modified().ok()?;
        Some(o >= s)
    })()
    .unwrap_or(false);
    if fresh && extra.is_empty() {
        return out;
    }
    // Write to a private name, then rename: concurrent tests never see a
    // half-written module.
    let tmp = dir.join(format!(
        "{stem}.{}.{:?}.tmp.wasm",
        std::process::id(),
        std::thread::current().id()
    ));
    let o = Command::new("python3")
        .args(["-m", "ziglang", "cc", "--target=wasm32-wasi", "-O2"])
        .args(extra)
        .arg(src)
        .arg("-o")
        .arg(&tmp)
        .stdin(Stdio::null())
        .output()
        .expect("run python3 -m ziglang cc");
    assert!(
        o.status.success(),
        "compiling {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::rename(&tmp, &out).expect("rename compiled module");
    out
}

/// What a finished warden run produced.
#[derive(Debug)]
pub struct Output {
    /// Exit code, when the process exited normally.
    pub code: Option<i32>,
    /// The signal that killed the process, if any.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The run hit the timeout and was killed.
    pub timed_out: bool,
}

impl Output {
    /// Everything about the run, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit code {:?}, signal {:?}{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            self.signal,
            if self.timed_out { ", TIMED OUT" } else { "" },
            self.stdout,
            self.stderr
        )
    }

    /// Assert the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit status: {}",
            self.describe()
        );
        self
    }

    /// Assert exit code 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        self.assert_code(0)
    }

    /// Assert stdout contains `s`.
    #[track_caller]
    pub fn assert_stdout_contains(&self, s: &str) -> &Self {
        assert!(
            self.stdout.contains(s),
            "stdout lacks {s:?}: {}",
            self.describe()
        );
        self
    }

    /// Assert stderr contains `s`.
    #[track_caller]
    pub fn assert_stderr_contains(&self, s: &str) -> &Self {
        assert!(
            self.stderr.contains(s),
            "stderr lacks {s:?}: {}",
            self.describe()
        );
        self
    }

    /// The guest's `FAIL ...` lines (the conformance guests' failure format).
    pub fn fail_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("FAIL "))
            .collect()
    }

    /// A check-printing guest ran to the end: it printed the line `header`
    /// (e.g. `mode tcp`), then `ok N checks`, exited 0, and no check failed.
    #[track_caller]
    pub fn assert_all_checks_ok(&self, header: &str) {
        let fails = self.fail_lines();
        let other_stderr: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("FAIL "))
            .collect();
        assert!(
            self.code == Some(0)
                && self.stdout.contains(&format!("{header}\n"))
                && self.stdout.contains("ok ")
                && fails.is_empty(),
            "{header}: {} failed checks:\n{}\n--- exit code {:?}, signal {:?}{}\n--- stdout ---\n{}\n--- other stderr ---\n{}",
            fails.len(),
            fails.join("\n"),
            self.code,
            self.signal,
            if self.timed_out { ", TIMED OUT" } else { "" },
            self.stdout,
            other_stderr.join("\n")
        );
    }
}

/// Run `warden` with `args` (e.g. `["run", "--dir", ..., wasm]`) to
/// completion with the default timeout, empty stdin, in the current directory.
pub fn warden<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Warden::new().args(args).output()
}

/// A configurable warden invocation.
pub struct Warden {
    cmd: Command,
    stdin: Vec<u8>,
    timeout: Duration,
}

impl Default for Warden {
    fn default() -> Self {
        Self::new()
    }
}

impl Warden {
    pub fn new() -> Self {
        let mut cmd = Command::new(warden_bin());
        cmd.env_remove("RUST_LOG");
        Warden {
            cmd,
            stdin: Vec::new(),
            timeout: TIMEOUT,
        }
    }

    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(a);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Working directory of the warden process.
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Set an environment variable of the warden process itself (the guest
    /// only sees what `--env` passes).
    pub fn host_env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }

    /// Bytes written to warden's stdin (a pipe, closed after them). Stdin is
    /// always a pipe, empty by default.
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = data.into();
        self
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Start warden; use [`Running`] to watch its output and finish it.
    pub fn spawn(mut self) -> Running {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", warden_bin().display()));
        let mut stdin = child.stdin.take().expect("stdin pipe");
        let data = std::mem::take(&mut self.stdin);
        // A writer thread: a guest that never reads stdin must not block us.
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let t1 = drain(child.stdout.take().expect("stdout pipe"), stdout.clone());
        let t2 = drain(child.stderr.take().expect("stderr pipe"), stderr.clone());
        Running {
            child,
            stdout,
            stderr,
            threads: vec![feeder, t1, t2],
            deadline: Instant::now() + self.timeout,
        }
    }

    /// Run to completion (killed at the timeout).
    pub fn output(self) -> Output {
        self.spawn().finish()
    }
}

fn drain(mut r: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    })
}

/// A warden process that is still running.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    threads: Vec<JoinHandle<()>>,
    deadline: Instant,
}

impl Running {
    /// Stdout so far.
    pub fn stdout_now(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// Stderr so far.
    pub fn stderr_now(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Wait until stdout contains `needle`; false on timeout or if warden
    /// exited without printing it.
    pub fn wait_for_stdout(&mut self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if self.stdout_now().contains(needle) {
                return true;
            }
            if Instant::now() >= end || matches!(self.child.try_wait(), Ok(Some(_))) {
                // One last look: output may have landed just before exit.
                std::thread::sleep(Duration::from_millis(50));
                return self.stdout_now().contains(needle);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Process id (for tests that must signal it).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Wait for exit (killing warden at the deadline) and collect the output.
    pub fn finish(mut self) -> Output {
        let mut timed_out = false;
        let status: ExitStatus = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if Instant::now() >= self.deadline => {
                    timed_out = true;
                    let _ = self.child.kill();
                    break self.child.wait().expect("wait for killed warden");
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => panic!("waiting for warden: {e}"),
            }
        };
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        use std::os::unix::process::ExitStatusExt;
        Output {
            code: status.code(),
            signal: status.signal(),
            stdout: String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned(),
            timed_out,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A test that panics mid-way must not leave warden running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A warden run measured from outside: exit status, stderr, wall time, and
/// the process's peak RSS (from `getrusage(RUSAGE_CHILDREN)` in a python3
/// parent, the one portable way to read a finished child's high-water mark).
pub struct Measured {
    pub code: Option<i32>,
    pub stderr: String,
    pub elapsed: Duration,
    pub max_rss_kib: u64,
}

/// Runs warden with `args`; `stdin` is a file, or None for an open pipe
/// nobody writes to (held open until warden ends).
pub fn run_measured(args: &[&str], stdin: Option<&Path>) -> Measured {
    let script = "import resource, subprocess, sys\n\
        r = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE)\n\
        sys.stderr.buffer.write(r.stderr)\n\
        print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).arg(warden_bin()).args(args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    match stdin {
        Some(p) => cmd.stdin(std::fs::File::open(p).expect("stdin file")),
        None => cmd.stdin(Stdio::piped()),
    };
    let start = Instant::now();
    let mut child = cmd.spawn().expect("python3 runs");
    let held = child.stdin.take();
    let out = child.wait_with_output().expect("wait");
    drop(held);
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut it = stdout.split_whitespace();
    Measured {
        code: it.next().and_then(|c| c.parse().ok()),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
        max_rss_kib: it.next().and_then(|c| c.parse().ok()).unwrap_or(u64::MAX),
    }
}
