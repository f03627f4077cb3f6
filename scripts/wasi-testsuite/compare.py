#!/usr/bin/env python3
"""Runs the official WASI testsuite under Warden and under a Wasmtime CLI in
one go and prints the README's comparison table (markdown), with the date and
the machine. Not part of CI (it needs a Wasmtime CLI:
`cargo install wasmtime-cli --version 48.0.8 --locked`).

  compare.py [--warden PATH] [--wasmtime PATH]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def run(adapter: str, runtime: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, str(HERE / "run.py"), "--adapter", adapter,
                        "--runtime", runtime, "--json", out.name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return json.loads(Path(out.name).read_text())


def version(runtime: str) -> str:
    return subprocess.run([runtime, "--version"], capture_output=True, text=True).stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warden", default=str(ROOT / "target/release/warden"))
    ap.add_argument("--wasmtime", default=os.path.expanduser(
        "~/.cache/warden-bench/wasmtime-48.0.8/bin/wasmtime"))
    opts = ap.parse_args()
    w = run("warden", opts.warden)
    t = run("wasmtime", opts.wasmtime)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    print(f"Measured {datetime.date.today()} on {os.cpu_count()} cores ({cpu}), "
          f"`{version(opts.warden)}` against `{version(opts.wasmtime)}`, "
          f"by `scripts/wasi-testsuite/compare.py`.\n")
    print("| suite | tests | Warden | Wasmtime 48.0.8 | Wasmtime fails |")
    print("|---|---|---|---|---|")
    tw = tt = total = 0
    for sw, st in zip(w["suites"], t["suites"]):
        name = sw["suite"].replace("WASI ", "").replace(" tests", "")
        failed = ", ".join(f"`{n}`" for n in st["failed"] + st["skipped"]) or "—"
        print(f"| {name} | {sw['total']} | {sw['passed']} | {st['passed']} | {failed} |")
        tw += sw["passed"]
        tt += st["passed"]
        total += sw["total"]
    print(f"| **all** | {total} | **{tw}** | {tt} | |")
    print(f"\nControls (a module that traps, one that exits 3) failed as they must: "
          f"Warden {len(w['controls_failed'])} of 2, Wasmtime {len(t['controls_failed'])} of 2.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
