"""The upstream Wasmtime adapter (adapters/wasmtime.py of the unpacked suite),
with the one thing this runner version leaves to adapters: unlinking the
`*.cleanup` symlinks some wasm32-wasip3 tests leave behind (see adapter.py).
Without it `filesystem-read-directory` fails for any runtime run after them,
so the comparison would not be fair."""
import importlib.util
import os
from pathlib import Path

from adapter import _remove_cleanup_links  # noqa: F401 (same rule as Warden's)

_spec = importlib.util.spec_from_file_location(
    "upstream_wasmtime", Path(os.environ["WTS_TREE"]) / "adapters" / "wasmtime.py")
_upstream = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_upstream)

get_name = _upstream.get_name
get_version = _upstream.get_version
get_wasi_versions = _upstream.get_wasi_versions
get_wasi_worlds = _upstream.get_wasi_worlds


def compute_argv(test_path, args_env_root, proposals, wasi_world, wasi_version):
    root = args_env_root[2]
    if root:
        _remove_cleanup_links(root)
    return _upstream.compute_argv(test_path, args_env_root, proposals, wasi_world, wasi_version)
