//! Links the `warden` binary with compact relative relocations (DT_RELR,
//! `-z pack-relative-relocs`) where the C library it is built against can
//! load them (glibc 2.36 and later). The binary carries some 60,000
//! relative relocations (vtables and string tables of wasmtime and
//! Cranelift); in the usual form the dynamic loader reads 1.5 MB of them
//! at every start, a third of the CPU time of `warden --version`. Packed,
//! they are 16 KB. Elsewhere (other targets, older glibc, cross builds)
//! nothing changes: such a binary must still start where it is built.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != "x86_64-unknown-linux-gnu" || host != target {
        return;
    }
    if glibc_version().is_some_and(|v| v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The host's glibc version, from `getconf GNU_LIBC_VERSION` ("glibc 2.36").
fn glibc_version() -> Option<(u32, u32)> {
    let out = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let (major, minor) = text.trim().strip_prefix("glibc ")?.split_once('.')?;
    Some((major.parse().ok()?, minor.split('.').next()?.parse().ok()?))
}
