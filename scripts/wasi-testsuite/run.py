#!/usr/bin/env python3
"""Runs the official WASI testsuite (../shared/wasi-testsuite) under a runtime.

Each run unpacks fresh copies of the suites (the tests write into their fixture
folders), runs all four suites with the upstream runner through an adapter, then
runs two controls that must FAIL (a module that traps, one that exits 3), so a
runtime that runs nothing cannot pass. Prints one summary line per suite and
`testsuite: N passed, M failed`; exits non-zero unless every test passed and
both controls failed.

  run.py [--adapter warden|wasmtime] [--runtime PATH] [--suites VERSION] [--json OUT]
         [--overlay]

--overlay grants each test's directory as an overlay (`--dir ROOT::/::overlay`):
every test must pass as on `--dir`, and the unpacked suites must be exactly as
they were afterwards (names, kinds, sizes, contents, modes, mtimes, link
targets), since an overlay never writes to the host.

--runtime may start with an emulator (`qemu-aarch64 -L ... warden`,
`wine64 warden.exe`): scripts/cross runs the wasm32-wasip1 suites that way.
"""
import argparse
import enum
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SUITES = [
    "tests/assemblyscript/testsuite/wasm32-wasip1",
    "tests/c/testsuite/wasm32-wasip1",
    "tests/rust/testsuite/wasm32-wasip1",
    "tests/rust/testsuite/wasm32-wasip3",
]


def _wasm(sections):
    """A core module from (id, payload) sections; payloads here are < 128 bytes."""
    out = b"\0asm\1\0\0\0"
    for sid, payload in sections:
        assert len(payload) < 128
        out += bytes([sid, len(payload)]) + payload
    return out


def _name(s):
    return bytes([len(s)]) + s.encode()


def control_modules():
    """Two modules whose correct outcome is a failure of the runner's check."""
    exports = b"\2" + _name("_start") + b"\0\0" + _name("memory") + b"\2\0"
    trap = _wasm([
        (1, b"\1\x60\0\0"),                      # type 0: () -> ()
        (3, b"\1\0"),                            # func 0: type 0
        (5, b"\1\0\1"),                          # memory 0: 1 page
        (7, exports),
        (10, b"\1\3\0\x00\x0b"),                 # unreachable
    ])
    exit3 = _wasm([
        (1, b"\2\x60\0\0\x60\1\x7f\0"),          # () -> (), (i32) -> ()
        (2, b"\1" + _name("wasi_snapshot_preview1") + _name("proc_exit") + b"\0\1"),
        (3, b"\1\0"),                            # func 1: type 0
        (5, b"\1\0\1"),
        (7, b"\2" + _name("_start") + b"\0\1" + _name("memory") + b"\2\0"),
        (10, b"\1\6\0\x41\3\x10\0\x0b"),         # i32.const 3; call proc_exit
    ])
    return {"control-trap": trap, "control-exit-3": exit3}


def unpack(dest: Path) -> Path:
    archives = sorted(glob.glob(str(ROOT.parent / "shared/wasi-testsuite/wasi-testsuite-*.tar.xz")))
    if not archives:
        sys.exit(f"run.py: no testsuite archive under {ROOT.parent / 'shared/wasi-testsuite'}")
    with tarfile.open(archives[-1]) as tar:
        tar.extractall(dest, filter="tar") if hasattr(tarfile, "data_filter") else tar.extractall(dest)
    return dest


def snapshot(root: Path) -> dict:
    """Every path beneath root: its kind, mode, size, mtime and content or target."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            if p.is_symlink():
                what = ("link", os.readlink(p))
            elif p.is_dir():
                what = ("dir", st.st_mtime_ns, st.st_mode)
            else:
                what = ("file", st.st_size, st.st_mtime_ns, st.st_mode, p.read_bytes())
            out[str(p.relative_to(root))] = what
    return out


def run_runner(tree: Path, suites, adapter: Path, out_json: Path, env) -> dict:
    # The runner wants python >= 3.12; on 3.11 `value in SomeStrEnum` raises for a
    # plain string. Give EnumType.__contains__ the 3.12 meaning, then start it.
    boot = (
        "import enum, sys\n"
        "_orig = enum.EnumType.__contains__\n"
        "def _contains(cls, value):\n"
        "    if isinstance(value, cls): return True\n"
        "    try: cls(value); return True\n"
        "    except Exception: return False\n"
        "enum.EnumType.__contains__ = _contains\n"
        "from wasi_test_runner.__main__ import main\n"
        "sys.exit(main())\n"
    )
    cmd = [sys.executable, "-c", boot, "--disable-colors", "-t", *map(str, suites),
           "-r", str(adapter), "--json-output-location", str(out_json)]
    env = dict(env, PYTHONPATH=os.pathsep.join([str(tree / "test-runner"), str(HERE)]))
    log = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True)
    sys.stdout.write(log.stdout)
    sys.stderr.write(log.stderr)
    if not out_json.exists():
        sys.exit("run.py: the runner wrote no results")
    return json.loads(out_json.read_text())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter", default="warden", help="warden | wasmtime | a path to an adapter")
    ap.add_argument("--runtime", help="the runtime binary (default: target/release/warden or wasmtime on PATH)")
    ap.add_argument("--json", help="write the per-suite summary here")
    ap.add_argument("--only", nargs="*", help="only tests whose name contains one of these")
    ap.add_argument("--suites", help="only the suites for this WASI version (wasm32-wasip1)")
    ap.add_argument("--overlay", action="store_true",
                    help="grant the test directories as overlays, and check the host tree is unchanged")
    ap.add_argument("--expect-fail", nargs="*", default=[],
                    help="tests known to fail on this host (scripts/cross: wine 8 makes no symlinks); "
                         "each must fail, every other test must pass")
    opts = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="wasi-testsuite.") as tmp:
        tree = unpack(Path(tmp) / "tree")
        env = dict(os.environ)
        if opts.adapter == "warden":
            adapter = HERE / "adapter.py"
            env["WARDEN"] = opts.runtime or str(ROOT / "target/release/warden")
        elif opts.adapter == "wasmtime":
            adapter = HERE / "wasmtime_adapter.py"
            env["WASMTIME"] = opts.runtime or "wasmtime"
            env["WTS_TREE"] = str(tree)
        else:
            adapter = Path(opts.adapter).resolve()
        suites = [tree / s for s in SUITES if not opts.suites or s.endswith(opts.suites)]
        if opts.only:
            for s in suites:
                for f in list(s.glob("*.wasm")):
                    if not any(o in f.stem for o in opts.only):
                        f.unlink()
                        f.with_suffix(".json").unlink(missing_ok=True)
        if opts.overlay:
            env["WARDEN_TESTSUITE_DIR_MODE"] = "overlay"
            before = {str(s): snapshot(s) for s in suites}
        results = run_runner(tree, suites, adapter, Path(tmp) / "results.json", env)
        host_changed = []
        if opts.overlay:
            for s in suites:
                after = snapshot(s)
                was = before[str(s)]
                host_changed += [f"{s.name}/{p}" for p in sorted(set(was) | set(after))
                                 if was.get(p) != after.get(p)]
            print(f"host tree under the overlays: {len(host_changed)} paths changed"
                  + (f": {', '.join(host_changed[:20])}" if host_changed else ""))

        summary = []
        passed = failed = 0
        expected = []
        for suite in results["results"]:
            name = suite["name"]
            bad = [t["name"] for t in suite["tests"] if t["outcome"] not in ("pass", "xfail")
                   and t["executed"] is not False]
            known = [b for b in bad if b in opts.expect_fail]
            expected += known
            bad = [b for b in bad if b not in opts.expect_fail]
            skipped = [t["name"] for t in suite["tests"] if t["executed"] is False]
            ok = len(suite["tests"]) - len(bad) - len(skipped) - len(known)
            passed += ok
            failed += len(bad) + len(skipped)
            summary.append({"suite": name, "passed": ok, "total": len(suite["tests"]),
                            "failed": bad, "skipped": skipped})
            print(f"suite {name}: {ok} of {len(suite['tests'])}"
                  + (f"; failed: {', '.join(bad)}" if bad else "")
                  + (f"; not run: {', '.join(skipped)}" if skipped else ""))

        # Controls: a second suite whose every test must fail.
        controls = Path(tmp) / "controls"
        controls.mkdir()
        (controls / "manifest.json").write_text(json.dumps({"name": "controls", "version": "wasm32-wasip1"}))
        for name, wasm in control_modules().items():
            (controls / f"{name}.wasm").write_bytes(wasm)
        ctl = run_runner(tree, [controls], adapter, Path(tmp) / "controls.json", env)
        ctl_tests = ctl["results"][0]["tests"]
        ctl_failed = [t["name"] for t in ctl_tests if t["outcome"] == "fail"]
        controls_ok = len(ctl_tests) == 2 and len(ctl_failed) == 2
        print(f"controls (must fail): {len(ctl_failed)} of {len(ctl_tests)} failed"
              + ("" if controls_ok else "  <-- a control passed: the runtime did not run it"))

        if opts.json:
            Path(opts.json).write_text(json.dumps({"suites": summary, "controls_failed": ctl_failed}, indent=1))
        unexpected_pass = sorted(set(opts.expect_fail) - set(expected))
        if opts.expect_fail:
            print(f"expected to fail on this host: {len(expected)} ({', '.join(sorted(expected))})"
                  + (f"; but passed or did not run: {', '.join(unexpected_pass)}" if unexpected_pass else ""))
        print(f"testsuite: {passed} passed, {failed} failed"
              + (f", {len(expected)} expected failures" if opts.expect_fail else ""))
        return 0 if failed == 0 and controls_ok and not unexpected_pass and not host_changed else 1


if __name__ == "__main__":
    sys.exit(main())
