//! The host layer: every system call the kernel makes on a host file,
//! directory, socket, clock or terminal goes through this module, one file
//! per platform family, the way wazero keeps its per-OS files beside the
//! portable ones.
//!
//! - `unix.rs`: what every POSIX system has (macOS, the BSDs, and Linux).
//! - `linux.rs`: Linux's fast or more exact calls (`fallocate`,
//!   `posix_fadvise`, `fdatasync`, atomic `SOCK_CLOEXEC|SOCK_NONBLOCK`,
//!   `MSG_NOSIGNAL`) over `unix.rs`. The `portable-host` feature leaves them
//!   out, so Linux runs the portable fallbacks and the tests prove those.
//! - `windows.rs`: Windows, through `std`, `cap-std` and Winsock.
//!
//! Path resolution is not here: `cap-std` confines it on every platform
//! (with `openat2(RESOLVE_BENEATH)` on Linux), see [`crate::fs::host`].
//! Every module exports the same names; the rest of the kernel, and the
//! ABI layers, use only those.

#[cfg(unix)]
mod unix;

#[cfg(all(target_os = "linux", not(feature = "portable-host")))]
mod linux;
#[cfg(all(target_os = "linux", not(feature = "portable-host")))]
pub use linux::*;

#[cfg(all(unix, not(all(target_os = "linux", not(feature = "portable-host")))))]
pub use unix::*;

#[cfg(windows)]
mod windows;
// Windows' path rule, built and tested everywhere (used on Windows only).
mod windows_names;
#[cfg(windows)]
pub use windows::*;

/// Which host layer this build uses, for `warden --version` and the tests.
pub const HOST_LAYER: &str = if cfg!(windows) {
    "windows"
} else if cfg!(all(target_os = "linux", not(feature = "portable-host"))) {
    "linux"
} else {
    "unix"
};
