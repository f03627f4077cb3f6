//! # warden-shim
//!
//! `containerd-shim-warden-v1`: containerd (and so Kubernetes, through a
//! `RuntimeClass`) runs WASI workloads in Warden.
//!
//! runwasi's `containerd-shim-wasm` speaks containerd's shim protocol and
//! makes the container (namespaces, cgroups, the image's root filesystem,
//! the OCI spec's mounts) with youki's libcontainer; inside it, instead of
//! exec'ing a process, it calls [`WardenSandbox::run_wasi`]. This crate only
//! decides what the guest gets there:
//!
//! - [`sandbox`]: the entrypoint, arguments and environment of the OCI spec;
//!   WASI 0.1 modules and 0.2/0.3 commands run, a `wasi:http/proxy`
//!   component is served;
//! - [`mounts`]: each mount the spec added becomes a preopened directory at
//!   its container path (read-only when mounted read-only); nothing else of
//!   the image is visible;
//! - [`cgroup`]: the container's memory limit becomes the guest's memory cap;
//! - [`operator`]: the node operator's policy file (`WARDEN_SHIM_POLICY`)
//!   narrows and adds to every container's grants;
//! - [`compiler`] and [`host_dirs`]: compiled code is kept, in containerd's
//!   content store for OCI wasm layers and in Warden's compile cache for
//!   modules inside an image's files, so a second start does not compile.
//!
//! See docs/kubernetes.md for installing it on a node.
#![cfg(target_os = "linux")]

pub mod cgroup;
pub mod compiler;
pub mod host_dirs;
pub mod mounts;
pub mod operator;
pub mod sandbox;

use containerd_shim_wasm::shim::{Compiler, Shim, Version};

pub use compiler::WardenCompiler;
pub use sandbox::WardenSandbox;

/// The shim: containerd's runtime `io.containerd.warden.v1`.
pub struct WardenShim;

impl Shim for WardenShim {
    fn name() -> &'static str {
        "warden"
    }

    fn version() -> Version {
        containerd_shim_wasm::shim::version!()
    }

    type Sandbox = WardenSandbox;

    async fn compiler() -> Option<impl Compiler> {
        Some(WardenCompiler)
    }
}
