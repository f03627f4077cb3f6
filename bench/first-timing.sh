#!/usr/bin/env bash
# First timing (issue 2): 1,000,000 lseek+write pairs, native vs warden vs
# wasmtime 48.0.8, in one run. The full suite is bench/run (a later issue).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${WARDEN_BENCH_CACHE:-$HOME/.cache/warden-bench}
wasmtime=$cache/wasmtime-48.0.8/bin/wasmtime
if [ ! -x "$wasmtime" ]; then
  cargo install wasmtime-cli --version 48.0.8 --locked --root "$cache/wasmtime-48.0.8"
fi
command -v hyperfine >/dev/null || apt-get install -y hyperfine
out=$(mktemp -d)
rustc -O "$here/workloads/lseek_write.rs" -o "$out/lseek_write"
rustc -O --target wasm32-wasip1 "$here/workloads/lseek_write.rs" -o "$out/lseek_write.wasm"
(cd "$root" && cargo build --release -q -p warden-cli)
warden=$root/target/release/warden
# Warm wasmtime's compile cache so both runtimes are timed on execution.
"$wasmtime" run --dir "$out" "$out/lseek_write.wasm" "$out/w.dat" 10 >/dev/null
hyperfine -N --warmup 2 --runs ${RUNS:-10} --export-json "$out/t.json" \
  -n native "$out/lseek_write $out/n.dat" \
  -n warden "$warden run --dir $out $out/lseek_write.wasm $out/w.dat" \
  -n wasmtime "$wasmtime run --dir $out $out/lseek_write.wasm $out/t.dat"
python3 - "$out/t.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
n, w, t = r["native"]["median"], r["warden"]["median"], r["wasmtime"]["median"]
print(f"medians: native {n*1000:.1f} ms, warden {w*1000:.1f} ms, wasmtime {t*1000:.1f} ms")
print(f"warden/native {w/n:.2f}x, wasmtime/native {t/n:.2f}x, warden/wasmtime {w/t:.2f}x")
PY
