//! The container's memory limit (the OCI spec's
//! `linux.resources.memory.limit`), as libcontainer set it on the
//! container's cgroup, read from inside the container: through the host's
//! cgroup root the shim opened before it ([`crate::host_dirs`]), else
//! through a cgroup filesystem mounted in the container.
//!
//! Warden makes it the guest's cap on linear memory: a guest that would
//! grow past it sees `memory.grow` fail (or traps) instead of the kernel's
//! OOM killer ending the whole container without a word.

/// The limit in bytes, or `None` when there is none (or it cannot be read).
pub fn memory_limit() -> Option<usize> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mut roots = Vec::new();
    if let Some(host) = crate::host_dirs::cgroup_root() {
        roots.push(host.display().to_string());
    }
    roots.push("/sys/fs/cgroup".to_owned());
    candidates(&own, &roots)
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| parse_limit(&s))
}

/// Where the limit may be, most specific first: under each cgroup root,
/// this process's own cgroup (as `/proc/self/cgroup` names it: v2, then
/// the v1 memory controller), then the root itself (inside a cgroup
/// namespace, the container's own cgroup is the root).
fn candidates(proc_self_cgroup: &str, roots: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for root in roots {
        out.extend(own_cgroup(proc_self_cgroup, root));
        out.push(format!("{root}/memory.max"));
        out.push(format!("{root}/memory/memory.limit_in_bytes"));
    }
    out
}

fn own_cgroup(proc_self_cgroup: &str, root: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in proc_self_cgroup.lines() {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next(), f.next(), f.next());
        let (Some(controllers), Some(path)) = (controllers, path) else {
            continue;
        };
        if path.split('/').any(|c| c == "..") {
            continue;
        }
        let path = path.trim_end_matches('/');
        if controllers.is_empty() {
            out.push(format!("{root}{path}/memory.max"));
        } else if controllers.split(',').any(|c| c == "memory") {
            out.push(format!("{root}/memory{path}/memory.limit_in_bytes"));
        }
    }
    out
}

/// `max` (v2) or a huge number (v1's "unlimited", the page-rounded
/// `i64::MAX`) is no limit.
fn parse_limit(s: &str) -> Option<usize> {
    let n: u64 = s.trim().parse().ok()?;
    (n < 1 << 62).then(|| usize::try_from(n).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_their_absence() {
        assert_eq!(parse_limit("67108864\n"), Some(64 << 20));
        assert_eq!(parse_limit("max\n"), None);
        assert_eq!(parse_limit("9223372036854771712\n"), None);
        assert_eq!(parse_limit(""), None);
    }

    #[test]
    fn where_to_look_v1_and_v2() {
        let roots = ["/proc/self/fd/4".to_owned(), "/sys/fs/cgroup".to_owned()];
        let v1 = "12:pids:/default/c1\n5:memory:/default/c1\n0::/default/c1\n";
        let c = candidates(v1, &roots);
        assert_eq!(
            c[0],
            "/proc/self/fd/4/memory/default/c1/memory.limit_in_bytes"
        );
        assert_eq!(c[1], "/proc/self/fd/4/default/c1/memory.max");
        assert_eq!(c[2], "/proc/self/fd/4/memory.max");
        assert!(c.contains(&"/sys/fs/cgroup/memory/default/c1/memory.limit_in_bytes".into()));
        assert_eq!(
            candidates("0::/\n", &roots[1..])[0],
            "/sys/fs/cgroup/memory.max"
        );
        assert!(candidates("0::/../../etc\n", &roots)
            .iter()
            .all(|p| !p.contains("..")));
    }
}
