"""wasi-testsuite runtime adapter for Warden (modelled on upstream adapters/wasmtime.py).

The runner imports this module and calls compute_argv() once per run of a test.
WARDEN names the warden binary (default: `warden` on PATH); WARDEN_TESTSUITE_EXTRA
adds flags, e.g. to measure another configuration; WARDEN_TESTSUITE_DIR_MODE=overlay
grants each test's directory as an overlay (`--dir ROOT::/::overlay`).
"""
import os
import shlex
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

WARDEN = shlex.split(os.getenv("WARDEN", "warden"))
EXTRA = shlex.split(os.getenv("WARDEN_TESTSUITE_EXTRA", ""))
DIR_MODE = os.getenv("WARDEN_TESTSUITE_DIR_MODE", "")


def get_name() -> str:
    return "warden"


def get_version() -> str:
    # All of WARDEN: it may start with an emulator (scripts/cross).
    result = subprocess.run(WARDEN + ["--version"], encoding="UTF-8",
                            capture_output=True, check=True)
    return result.stdout.split()[1]


def get_wasi_versions() -> List[str]:
    return ["wasm32-wasip1", "wasm32-wasip3"]


def get_wasi_worlds() -> List[str]:
    return ["wasi:cli/command", "wasi:http/service"]


def get_timeout_seconds() -> float:
    return 60.0


def _remove_cleanup_links(root: str) -> None:
    # Some wasm32-wasip3 filesystem tests leave a symlink `*.cleanup` -> `..`
    # and expect the runner to remove it; this runner version skips symlinks
    # when cleaning. Unlink them (never follow them) before the next run.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if name.endswith(".cleanup") and path.is_symlink():
                path.unlink()


def compute_argv(test_path: str,
                 args_env_root: Tuple[List[str], Dict[str, str], Optional[str]],
                 proposals: List[str],
                 wasi_world: str,
                 wasi_version: str) -> List[str]:
    args, env, root = args_env_root
    argv = list(WARDEN)
    if wasi_world == "wasi:http/service":
        argv += ["serve", "-Scli", "--addr=127.0.0.1:0"]
    else:
        argv += ["run"]
    if wasi_version == "wasm32-wasip3":
        flags = "p3"
        if "http" in proposals:
            # Warden's HTTP egress needs a grant where Wasmtime's -S http allows
            # every destination (docs/compat.md); the suite's servers are on
            # loopback, so grant exactly that.
            flags += ",http"
            argv += ["--allow-http", "127.0.0.1", "--allow-http", "localhost"]
        if "sockets" in proposals:
            flags += ",inherit-network"
        argv += ["-Wcomponent-model-async", f"-S{flags}"]
    argv += EXTRA
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    if root:
        _remove_cleanup_links(root)
        argv += ["--dir", f"{root}::/" + (f"::{DIR_MODE}" if DIR_MODE else "")]
    argv += [test_path] + list(args)
    return argv
