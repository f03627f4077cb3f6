//! A private containerd for the shim's tests, and OCI images made on the fly.
//!
//! - [`Containerd::start`]: a `containerd` of its own (config, root, state,
//!   socket under a temporary directory; the `native` snapshotter; the
//!   shim under test first on its `PATH`), stopped by its process id when
//!   dropped, with every shim it started, whatever happened;
//! - [`Containerd::ctr`]: a `ctr` command against it, bounded in time;
//! - [`Containerd::image`]: an OCI image tarball made and imported, whose
//!   one tar layer holds `/app.wasm` (containerd 1.6 predates
//!   `application/wasm` layers);
//! - [`probe`]: the `container-probe` guest, built for wasm32-wasip1 or
//!   wasm32-wasip2 on first use.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The runtime under test.
pub const WARDEN: &str = "io.containerd.warden.v1";

/// How long one `ctr` command may take.
pub const CTR_TIMEOUT: Duration = Duration::from_secs(90);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The bytes of `guests/NAME` built for `target` (into
/// `target/guests/TARGET/release`). One build at a time in this process,
/// and the file is read before the next: a build of another guest may
/// re-link the artifacts it shares a directory with.
pub fn guest(name: &str, target: &str) -> Vec<u8> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let root = repo_root();
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            target,
            "-p",
            name,
        ])
        .arg("--target-dir")
        .arg(root.join("target/guests"))
        .current_dir(root.join("guests"));
    // Flags meant for the host build must not reach the wasm build.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        cargo.env_remove(var);
    }
    let status = cargo.status().expect("cargo runs");
    assert!(
        status.success(),
        "building guest {name} for {target} failed"
    );
    // A library component's file name has `_` where its crate has `-`;
    // the newer of the two is this build's.
    let dir = root.join(format!("target/guests/{target}/release"));
    let mtime = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let path = [
        dir.join(format!("{name}.wasm")),
        dir.join(format!("{}.wasm", name.replace('-', "_"))),
    ]
    .into_iter()
    .filter(|p| p.is_file())
    .max_by_key(mtime)
    .unwrap_or_else(|| panic!("guest {name} was not built in {}", dir.display()));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn probe(target: &str) -> Vec<u8> {
    guest("container-probe", target)
}

/// A running `containerd` of the test's own.
pub struct Containerd {
    child: Child,
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    /// containerd's namespace, this test's alone: runwasi keeps its
    /// containers' state under `/run/containerd/warden/NAMESPACE`, outside
    /// the temporary directory, and an id may not be reused there.
    pub namespace: String,
}

impl Containerd {
    pub fn start() -> Containerd {
        Containerd::start_with_env(&[])
    }

    /// [`Containerd::start`], with these variables in containerd's (and so
    /// the shim's) environment.
    pub fn start_with_env(env: &[(&str, &Path)]) -> Containerd {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        let socket = d.join("containerd.sock");
        let config = format!(
            r#"version = 2
root = "{root}"
state = "{state}"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "{sock}"

[ttrpc]
  address = "{sock}.ttrpc"

[debug]
  address = "{sock}.debug"
"#,
            root = d.join("root").display(),
            state = d.join("state").display(),
            sock = socket.display(),
        );
        std::fs::write(d.join("config.toml"), config).expect("config written");
        let shim = PathBuf::from(env!("CARGO_BIN_EXE_containerd-shim-warden-v1"));
        let path = format!(
            "{}:{}",
            shim.parent().expect("the shim's directory").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let log = std::fs::File::create(d.join("containerd.log")).expect("log file");
        let child = Command::new("containerd")
            .arg("--config")
            .arg(d.join("config.toml"))
            .env("PATH", path)
            // The shim's compile cache, in this test's directory.
            .env("WARDEN_CACHE_DIR", d.join("cache"))
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("containerd starts (scripts/setup installs it)");
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let namespace = format!("warden-test-{}-{n}", std::process::id());
        let c = Containerd {
            child,
            dir,
            socket,
            namespace,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if c.socket.exists() && c.ctr(&["version"]).status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "containerd did not start:\n{}",
                c.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        c
    }

    /// How many compiled programs the shim's compile cache holds.
    pub fn cache_entries(&self) -> usize {
        let Ok(dirs) = std::fs::read_dir(self.dir.path().join("cache")) else {
            return 0;
        };
        dirs.filter_map(Result::ok)
            .filter_map(|d| std::fs::read_dir(d.path()).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".bin"))
            .count()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    /// `ctr --address SOCKET --namespace NAMESPACE ARGS`, to completion.
    pub fn ctr(&self, args: &[&str]) -> Output {
        finish(self.ctr_command(args))
    }

    pub fn ctr_command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ctr");
        c.arg("--address")
            .arg(&self.socket)
            .args(["--namespace", &self.namespace])
            .args(args);
        c
    }

    /// Imports the OCI tarball at `tar`.
    pub fn import(&self, tar: &Path) {
        let out = self.ctr(&[
            "images",
            "import",
            "--snapshotter",
            "native",
            tar.to_str().expect("utf-8"),
        ]);
        assert_ok(&out, "ctr images import");
    }

    /// Makes the image `NAME` (see [`image_with`]) and imports it: its
    /// reference.
    pub fn image(&self, name: &str, program: &[u8], mode: u32, env: &[&str]) -> String {
        let tar = self.dir.path().join(format!("{name}.tar"));
        let reference = image_with(name, program, mode, env, &tar);
        self.import(&tar);
        reference
    }

    /// `ctr run --rm --snapshotter native --runtime RUNTIME OPTS IMAGE ID`,
    /// then `args` behind the image's program (`/app.wasm` on Warden,
    /// `/app` otherwise): ctr 1.6 replaces the whole command line.
    pub fn run_command(
        &self,
        runtime: &str,
        opts: &[&str],
        image: &str,
        id: &str,
        args: &[&str],
    ) -> Command {
        let mut all = vec![
            "run",
            "--rm",
            "--snapshotter",
            "native",
            "--runtime",
            runtime,
        ];
        all.extend_from_slice(opts);
        all.extend([image, id]);
        if !args.is_empty() {
            all.push(if runtime == WARDEN {
                "/app.wasm"
            } else {
                "/app"
            });
            all.extend_from_slice(args);
        }
        self.ctr_command(&all)
    }

    /// [`Containerd::run_command`] on Warden's runtime, to completion.
    pub fn run(&self, opts: &[&str], image: &str, id: &str, args: &[&str]) -> Output {
        self.run_on(WARDEN, opts, image, id, args)
    }

    /// [`Containerd::run_command`] to completion.
    pub fn run_on(
        &self,
        runtime: &str,
        opts: &[&str],
        image: &str,
        id: &str,
        args: &[&str],
    ) -> Output {
        finish(self.run_command(runtime, opts, image, id, args))
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // What the shims said (their logs reach containerd's).
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!("containerd's log, last lines:\n{}", tail.join("\n"));
        }
        // containerd first, so that it starts no more shims (it runs
        // `shim delete` for one that died); then the shims, which outlive
        // containerd by design: the ones it started for this test name its
        // socket.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let marker = self.socket.display().to_string();
        for shim in processes_mentioning(&marker) {
            kill(shim);
        }
        let _ = std::fs::remove_dir_all(Path::new("/run/containerd/warden").join(&self.namespace));
        // Mounts the snapshotter or a killed container left behind.
        if let Ok(table) = std::fs::read_to_string("/proc/self/mountinfo") {
            let dir = self.dir.path().display().to_string();
            let mut points: Vec<&str> = table
                .lines()
                .filter_map(|l| l.split(' ').nth(4))
                .filter(|p| p.starts_with(&dir))
                .collect();
            points.sort_by_key(|p| std::cmp::Reverse(p.len()));
            for p in points {
                let _ = Command::new("umount").arg("-l").arg(p).status();
            }
        }
    }
}

fn processes_mentioning(marker: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        String::from_utf8_lossy(&cmdline)
            .contains(marker)
            .then_some(pid)
    })
    .collect()
}

fn kill(pid: u32) {
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
}

/// Runs `command` to completion (killed after [`CTR_TIMEOUT`]).
fn finish(mut command: Command) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ctr runs");
    wait_bounded(child, CTR_TIMEOUT)
}

/// Waits for `child`, killing it after `timeout`; its output so far.
pub fn wait_bounded(mut child: Child, timeout: Duration) -> Output {
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut b);
        }
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut b);
        }
        b
    });
    let deadline = Instant::now() + timeout;
    let status: ExitStatus = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn append(tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32, bytes: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_cksum();
    tar.append_data(&mut h, path, bytes).expect("tar entry");
}

/// The GOARCH name of this machine, as image platforms spell it.
fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Writes to `out` an OCI image layout tarball named
/// `docker.io/library/NAME:latest`: one tar layer holding `program` as
/// `/app.wasm`, or as `/app` when `mode` makes it executable (a native
/// program, for runc in the benchmark; runwasi would run an executable
/// file as a Linux container), the entrypoint, and `env` in its config.
pub fn image_with(name: &str, program: &[u8], mode: u32, env: &[&str], out: &Path) -> String {
    let reference = format!("docker.io/library/{name}:latest");
    let path = if mode & 0o111 != 0 { "app" } else { "app.wasm" };
    let mut layer = tar::Builder::new(Vec::new());
    append(&mut layer, path, mode, program);
    let layer = layer.into_inner().expect("layer");
    let config = serde_json::json!({
        "architecture": goarch(),
        "os": "linux",
        "config": { "Entrypoint": [format!("/{path}")], "Env": env },
        "rootfs": { "type": "layers", "diff_ids": [digest(&layer)] },
    })
    .to_string()
    .into_bytes();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": digest(&config),
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": digest(&layer),
            "size": layer.len(),
        }],
    })
    .to_string()
    .into_bytes();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest(&manifest),
            "size": manifest.len(),
            "platform": { "architecture": goarch(), "os": "linux" },
            "annotations": {
                "io.containerd.image.name": reference,
                "org.opencontainers.image.ref.name": "latest",
            },
        }],
    })
    .to_string()
    .into_bytes();
    let mut tar = tar::Builder::new(Vec::new());
    append(
        &mut tar,
        "oci-layout",
        0o644,
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    );
    append(&mut tar, "index.json", 0o644, &index);
    for blob in [&layer, &config, &manifest] {
        let hex = &digest(blob)["sha256:".len()..];
        append(&mut tar, &format!("blobs/sha256/{hex}"), 0o644, blob);
    }
    std::fs::write(out, tar.into_inner().expect("image tar")).expect("image written");
    reference
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
