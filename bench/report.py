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
    for p in ["p1", "p2"]:
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
for name, p, n, w, ws, t, ts in rows:
    lines.append(
        f"| {what.get(name, name)} | {'0.1' if p == 'p1' else '0.2'} | {ms(n)} | {ms(w)} ± {ms(ws)} | {ms(t)} ± {ms(ts)} "
        f"| {w / n:.2f}× | {t / n:.2f}× | **{w / t:.2f}×** |"
    )
lines += ["", "Warden / Wasmtime below 1 means Warden is faster.", ""]

real = {
    "ripgrep": "ripgrep 15.2.0: `rg -j1 --sort path -n -i 'fn.[a-z_]+_at'` over this repository's crates/ and docs/",
    "pulldown-cmark": "pulldown-cmark 0.13.6: a 2 MB Markdown file to HTML",
    "hexyl": "hexyl 0.17.0: hex dump of 1 MiB",
}
real_rows = []
for name in real:
    path = os.path.join(json_dir, f"real-{name}.json")
    if not os.path.exists(path):
        continue
    r = {x["command"]: x for x in json.load(open(path))["results"]}
    n = r["native"]["median"]
    for p in ["p1", "p2"]:
        if f"warden-{p}" in r:
            w, t = r[f"warden-{p}"], r[f"wasmtime-{p}"]
            real_rows.append((name, p, n, w["median"], w["stddev"] or 0, t["median"], t["stddev"] or 0))
if real_rows:
    lines += [
        "## Real programs",
        "",
        "Built from crates.io by `scripts/build-real-programs.sh` (natively, for wasm32-wasip1 and, where "
        "they build, wasm32-wasip2); each printed exactly what the native build printed under both runtimes "
        "(checked before timing), then was timed with warm caches, same runs as above.",
        "",
        "| program | WASI | native ms | Warden ms | Wasmtime ms | Warden / native | Wasmtime / native | Warden / Wasmtime |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, p, n, w, ws, t, ts in real_rows:
        lines.append(
            f"| {real[name]} | {'0.1' if p == 'p1' else '0.2'} | {ms(n)} | {ms(w)} ± {ms(ws)} | {ms(t)} ± {ms(ts)} "
            f"| {w / n:.2f}× | {t / n:.2f}× | **{w / t:.2f}×** |"
        )
    lines += [""]
# Keep the sections other scripts own (bench/serve's, between its markers).
kept = ""
try:
    old = open(out).read()
    begin = old.find("<!-- bench/serve:begin -->")
    end = old.find("<!-- bench/serve:end -->")
    if begin >= 0 and end > begin:
        kept = "\n" + old[begin:end + len("<!-- bench/serve:end -->")] + "\n"
except FileNotFoundError:
    pass
open(out, "w").write("\n".join(lines) + kept)
print("\n".join(lines))
