//! Start-up time and memory of `containerd-shim-warden-v1` per container,
//! beside containerd's own `containerd-shim-runc-v2` running a native
//! program, on a private containerd (as in tests/containerd.rs).
//!
//! `cargo bench -p warden-shim --bench startup` (root, containerd and runc
//! installed: scripts/setup). Prints, for each runtime, the wall time of
//! `ctr run --rm` of a hello (the first start, then the median of the
//! next ones) and the resident memory of the shim's processes while a
//! container runs. `bench/shim` runs it and writes bench/SHIM-RESULTS.md.

#[cfg(target_os = "linux")]
#[path = "../tests/common/mod.rs"]
mod common;

#[cfg(not(target_os = "linux"))]
fn main() {}

#[cfg(target_os = "linux")]
fn main() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    const RUNS: usize = 15;
    let c = common::Containerd::start();
    let dir = c.dir.path().to_owned();

    // The native program: hello, or sleep with `sleep`.
    let src = dir.join("hello.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n\
         int main(int c, char **v) { if (c > 1 && !strcmp(v[1], \"sleep\")) { \
         puts(\"sleeping\"); fflush(stdout); for (;;) pause(); } \
         puts(\"hello from a container\"); return 0; }\n",
    )
    .unwrap();
    let native = dir.join("hello");
    let cc = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&native)
        .arg(&src)
        .status()
        .expect("gcc");
    assert!(cc.success());
    let native_image = c.image("native-hello", &std::fs::read(&native).unwrap(), 0o755, &[]);
    let wasm_image = c.image("wasm-hello", &common::probe("wasm32-wasip1"), 0o644, &[]);
    let component_image = c.image(
        "component-hello",
        &common::probe("wasm32-wasip2"),
        0o644,
        &[],
    );

    let start = |runtime: &str, image: &str, id: &str| -> Duration {
        let t = Instant::now();
        let out = c.run_on(runtime, &[], image, id, &[]);
        let took = t.elapsed();
        common::assert_ok(&out, id);
        assert_eq!(common::stdout(&out), "hello from a container\n");
        took
    };
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;

    // The resident memory of the shim's processes (shim, zygote, the
    // container's process) while a container sleeps.
    let rss = |runtime: &str, image: &str, id: &str| -> Vec<(String, u64, u64)> {
        let mut run = c
            .run_command(runtime, &[], image, id, &["sleep"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(run.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line, "sleeping\n");
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            // The shim's processes and the container's, not ctr (the client).
            let ours = (cmdline.contains(&c.socket.display().to_string())
                && !cmdline.starts_with("ctr "))
                || cmdline.starts_with("/app ");
            if !ours {
                continue;
            }
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let kb = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
                    .unwrap_or(0)
            };
            let program = cmdline.split(' ').next().unwrap_or_default();
            let program = program.rsplit('/').next().unwrap_or_default();
            let ppid = kb("PPid:");
            found.push((
                format!("pid {pid} (parent {ppid}) {program}"),
                kb("VmRSS:"),
                kb("RssAnon:"),
            ));
        }
        common::assert_ok(&c.ctr(&["task", "kill", "--signal", "SIGKILL", id]), "kill");
        let _ = common::wait_bounded(run, Duration::from_secs(30));
        found
    };

    println!("runtime, program\tfirst start ms\tmedian of {RUNS} later starts ms");
    for (runtime, what, image) in [
        (
            "io.containerd.runc.v2",
            "native static hello",
            &native_image,
        ),
        ("io.containerd.warden.v1", "WASI 0.1 module", &wasm_image),
        (
            "io.containerd.warden.v1",
            "WASI 0.2 component",
            &component_image,
        ),
    ] {
        let first = start(runtime, image, "first");
        let later: Vec<Duration> = (0..RUNS)
            .map(|i| start(runtime, image, &format!("later-{i}")))
            .collect();
        println!(
            "{runtime}, {what}\t{:.1}\t{:.1}",
            ms(first),
            ms(median(later))
        );
    }
    for (runtime, image) in [
        ("io.containerd.runc.v2", &native_image),
        ("io.containerd.warden.v1", &wasm_image),
    ] {
        println!("\n{runtime}: resident memory while a container sleeps");
        for (name, rss, anon) in rss(runtime, image, "sleeper") {
            println!("  {rss:>7} kB RSS ({anon:>6} kB anonymous)  {name}");
        }
    }
}
