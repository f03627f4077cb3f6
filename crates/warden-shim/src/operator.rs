//! The node operator's policy: one TOML file in the format of `warden run
//! --policy` (docs/policy.md), named by `WARDEN_SHIM_POLICY` in containerd's
//! environment, applied to every container this shim runs.
//!
//! A container cannot see the host's files, so the file is read once, when
//! the shim starts, before it forks anything (as [`crate::host_dirs`] opens
//! its directories). A file that is named but cannot be read or is not a
//! valid policy fails every container (exit 137, the reason in containerd's
//! log): an operator's restrictions are never silently dropped.
//!
//! How it meets what the spec grants ([`apply`]):
//! - `[[dir]]` with `host` = a mount's container path (or `"*"`, every
//!   mount) changes how that mount is granted: `ro`, or `overlay` (the
//!   container reads the mount and its changes stay in memory), with
//!   `size`/`inodes`; `rw` changes nothing (a read-only mount stays so).
//!   A `memory` directory without `host` is added to every container.
//!   The operator grants no host path of its own.
//! - `[env]`: `set` is added, over the spec's values of the same names.
//! - `[network]`, `[http]` (but `enabled`: wasi:http is linked for programs
//!   that import it) and `[determinism]` replace the shim's defaults; a
//!   policy without `[network]` grants no network.
//! - `[limits]`: each limit set replaces the spec's, but the memory cap is
//!   the lower of the operator's and the container's.

use anyhow::bail;
use std::path::Path;
use std::sync::OnceLock;
use warden::policy::{ByteCount, DirMode};
use warden::Policy;

/// The variable (in containerd's environment) naming the policy file.
pub const POLICY_VAR: &str = "WARDEN_SHIM_POLICY";

/// The operator's policy, read at start: `Ok(None)` without one.
static OPERATOR: OnceLock<Result<Option<Policy>, String>> = OnceLock::new();

/// Reads the file `WARDEN_SHIM_POLICY` names, if any.
pub fn load_before_containers() {
    let loaded = match std::env::var_os(POLICY_VAR) {
        None => Ok(None),
        Some(path) => Policy::load(Path::new(&path))
            .map(Some)
            .map_err(|e| format!("{POLICY_VAR}: {e:#}")),
    };
    if let Err(e) = &loaded {
        log::error!("{e}; every container will be refused");
    }
    let _ = OPERATOR.set(loaded);
}

/// The operator's policy: `Ok(None)` without one (or in a process that
/// never loaded it), `Err` when it was named and is not usable.
pub fn policy() -> anyhow::Result<Option<&'static Policy>> {
    match OPERATOR.get() {
        None | Some(Ok(None)) => Ok(None),
        Some(Ok(Some(p))) => Ok(Some(p)),
        Some(Err(e)) => bail!("{e}"),
    }
}

/// The container's policy `spec` as the operator's policy `operator`
/// narrows and adds to it (see the module's text).
pub fn apply(mut spec: Policy, operator: &Policy) -> anyhow::Result<Policy> {
    for rule in &operator.dirs {
        match (&rule.host, rule.mode) {
            (None, DirMode::Memory | DirMode::MemoryRo) => {
                spec.dirs.retain(|d| d.guest != rule.guest);
                spec.dirs.push(rule.clone());
            }
            (None, mode) => bail!(
                "{POLICY_VAR}: [[dir]] guest = {:?}: mode {mode:?} names a mount by `host` (its path in the container, or \"*\")",
                rule.guest
            ),
            (Some(host), mode) => {
                if rule.save.is_some() {
                    bail!("{POLICY_VAR}: [[dir]] host = {host:?}: `save` writes into the container, whose files die with it");
                }
                // Checked whether or not a mount matches: a rule is valid
                // or not whatever the container mounts.
                if !matches!(mode, DirMode::Overlay | DirMode::Ro | DirMode::Rw) {
                    bail!("{POLICY_VAR}: [[dir]] host = {host:?}: a mount may be made `ro` or `overlay`, not {mode:?}");
                }
                let every = host == Path::new("*");
                for d in spec
                    .dirs
                    .iter_mut()
                    .filter(|d| every || d.host.as_deref() == Some(host))
                {
                    // `rw` leaves a mount as the spec made it.
                    if mode != DirMode::Rw {
                        d.mode = mode;
                    }
                    if d.mode == DirMode::Overlay {
                        d.size = rule.size;
                        d.inodes = rule.inodes;
                    }
                }
            }
        }
    }
    spec.env.set.extend(operator.env.set.clone());
    spec.env.pass.extend(operator.env.pass.clone());
    let uses_http = spec.http.enabled;
    spec.network = operator.network.clone();
    spec.http = operator.http.clone();
    spec.http.enabled = uses_http;
    spec.determinism = operator.determinism.clone();
    let container_memory = spec.limits.memory;
    let mut limits = operator.limits.clone();
    limits.memory = match (container_memory, operator.limits.memory) {
        (Some(ByteCount(a)), Some(ByteCount(b))) => Some(ByteCount(a.min(b))),
        (a, b) => a.or(b),
    };
    spec.limits = limits;
    spec.check()?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden::policy::DirGrant;

    fn spec() -> Policy {
        let mut p = Policy::default();
        for (path, mode) in [("/data", DirMode::Rw), ("/config", DirMode::Ro)] {
            p.dirs.push(DirGrant {
                host: Some(path.into()),
                guest: path.into(),
                mode,
                size: None,
                inodes: None,
                save: None,
            });
        }
        p.env.set.insert("FROM_SPEC".into(), "spec".into());
        p.network.inherit = true;
        p.network.lookup = true;
        p.http.enabled = true;
        p.limits.memory = Some(ByteCount(64 << 20));
        p
    }

    #[test]
    fn the_operator_narrows_mounts_and_adds_memory_dirs() {
        let op = Policy::from_toml(
            r#"
[[dir]]
host = "/data"
guest = "/data"
mode = "overlay"
size = "1M"

[[dir]]
host = "/config"
guest = "/config"
mode = "rw"

[[dir]]
guest = "/tmp"
mode = "memory"

[env]
set = { FROM_SPEC = "operator", FROM_OPERATOR = "yes" }

[network]
connect = ["10.0.0.0/8:443"]

[limits]
memory = "1G"
fuel = 1000000
"#,
        )
        .unwrap();
        let p = apply(spec(), &op).unwrap();
        let modes: Vec<_> = p.dirs.iter().map(|d| (d.guest.as_str(), d.mode)).collect();
        assert_eq!(
            modes,
            [
                ("/data", DirMode::Overlay),
                ("/config", DirMode::Ro),
                ("/tmp", DirMode::Memory)
            ]
        );
        assert_eq!(p.dirs[0].size, Some(ByteCount(1 << 20)));
        assert_eq!(p.env.set["FROM_SPEC"], "operator");
        assert_eq!(p.env.set["FROM_OPERATOR"], "yes");
        assert!(!p.network.inherit && !p.network.lookup);
        assert_eq!(p.network.connect, ["10.0.0.0/8:443"]);
        assert!(p.http.enabled, "the program's use of wasi:http is kept");
        // The lower memory cap wins; other limits are the operator's.
        assert_eq!(p.limits.memory, Some(ByteCount(64 << 20)));
        assert_eq!(p.limits.fuel, Some(1_000_000));
    }

    #[test]
    fn every_mount_as_an_overlay_and_what_is_refused() {
        let op = Policy::from_toml("[[dir]]\nhost = \"*\"\nguest = \"*\"\nmode = \"overlay\"\n")
            .unwrap();
        let p = apply(spec(), &op).unwrap();
        assert!(p.dirs.iter().all(|d| d.mode == DirMode::Overlay));
        let rw_memory =
            Policy::from_toml("[[dir]]\nhost = \"/data\"\nguest = \"/data\"\nmode = \"memory\"\n")
                .unwrap();
        assert!(apply(spec(), &rw_memory).is_err());
        let save = Policy::from_toml(
            "[[dir]]\nhost = \"/data\"\nguest = \"/data\"\nmode = \"overlay\"\nsave = \"/x\"\n",
        )
        .unwrap();
        assert!(apply(spec(), &save).is_err());
    }
}
