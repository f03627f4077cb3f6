//! Host directories the runner needs inside a container: Warden's compile
//! cache, and the cgroup filesystem that holds the container's limits.
//!
//! A guest runs inside its container, after `pivot_root` into the image's
//! root filesystem, where no host directory is visible (containerd's
//! default spec mounts no cgroup filesystem) and whatever is written dies
//! with the container. So the shim opens these directories once, at start,
//! before it forks anything: runwasi's zygote, and every container's runner
//! forked from it without `exec`, inherit the descriptors and reach the
//! directories through `/proc/self/fd/N`. The guest never sees them: they
//! are Warden's, not preopens.

use rustix::fs::{Mode, OFlags};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the compile cache lives unless `WARDEN_CACHE_DIR` (in containerd's
/// environment) says otherwise.
pub const DEFAULT_CACHE_DIR: &str = "/var/lib/warden/cache";

/// The host's cgroup filesystem.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

static CACHE_DIR: OnceLock<OwnedFd> = OnceLock::new();
static CGROUP_DIR: OnceLock<OwnedFd> = OnceLock::new();

/// Opens (and creates) the cache directory, and opens the cgroup root.
/// Without a cache (a read-only node, say) guests are compiled at every
/// start; without the cgroup root, a limit is read only where the
/// container has its own cgroup mounted: slower or looser, never wrong.
pub fn open_before_containers() {
    let cache = std::env::var_os("WARDEN_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CACHE_DIR));
    match std::fs::create_dir_all(&cache).and_then(|()| open_dir(&cache)) {
        Ok(fd) => {
            let _ = CACHE_DIR.set(fd);
        }
        Err(e) => log::warn!("no compile cache at {}: {e}", cache.display()),
    }
    if let Ok(fd) = open_dir(Path::new(CGROUP_ROOT)) {
        let _ = CGROUP_DIR.set(fd);
    }
}

fn open_dir(path: &Path) -> std::io::Result<OwnedFd> {
    // O_PATH: the descriptor names the directory and can read or write
    // nothing by itself; CLOEXEC: no program this shim execs gets it.
    rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(std::io::Error::from)
}

fn as_path(fd: &OnceLock<OwnedFd>) -> Option<PathBuf> {
    fd.get()
        .map(|fd| PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())))
}

/// The compile cache as a path this process can open, inside a container
/// too; `None` when it could not be opened.
pub fn cache() -> Option<PathBuf> {
    as_path(&CACHE_DIR)
}

/// The host's cgroup root, likewise.
pub fn cgroup_root() -> Option<PathBuf> {
    as_path(&CGROUP_DIR)
}
