//! Which directories a container grants its guest: the mounts its OCI spec
//! added, read back from `/proc/self/mountinfo` inside the container.
//!
//! runwasi hands the shim the spec's process (arguments, environment) but
//! not its mounts; by the time the guest starts, libcontainer has made them,
//! and the kernel's table of this mount namespace says exactly what was
//! mounted where and whether read-only. A directory is granted when it was
//! bind-mounted from the host (its mount root is a subdirectory of the
//! source filesystem) or is a disk filesystem; the kernel's pseudo
//! filesystems and what runtimes add under `/proc`, `/sys` and `/dev`, the
//! image's own root, and mounts of single files (`/etc/hosts`…) are not.
//! runwasi's wasmtime shim preopens the whole image root instead; Warden
//! grants nothing the spec did not name (docs/kubernetes.md).

/// A directory granted to the guest at `path`, in the container and in the
/// guest alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub path: String,
    pub read_only: bool,
}

/// Filesystems the kernel makes up: a fresh mount of one of them (mount
/// root `/`) holds no data of the spec's.
const PSEUDO: &[&str] = &[
    "proc",
    "sysfs",
    "tmpfs",
    "devtmpfs",
    "devpts",
    "mqueue",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "bpf",
    "fusectl",
    "configfs",
    "pstore",
    "hugetlbfs",
    "autofs",
    "binfmt_misc",
    "nsfs",
    "overlay",
];

/// Runtime territory, never the spec's data.
const SYSTEM: &[&str] = &["/proc", "/sys", "/dev"];

/// The mounts of a `mountinfo` table to grant, in mount order; a later
/// mount on the same path replaces an earlier one, as in the kernel.
pub fn granted(mountinfo: &str) -> Vec<Mount> {
    let mut out: Vec<Mount> = Vec::new();
    for line in mountinfo.lines() {
        let Some(m) = parse(line) else { continue };
        if let Some(i) = out.iter().position(|o| o.path == m.path) {
            out.remove(i);
        }
        if let Some(m) = m.grant() {
            out.push(m);
        }
    }
    out
}

struct Entry {
    root: String,
    path: String,
    read_only: bool,
    fstype: String,
}

impl Entry {
    fn grant(self) -> Option<Mount> {
        let system = SYSTEM
            .iter()
            .any(|s| self.path == *s || self.path.starts_with(&format!("{s}/")));
        let made_up = PSEUDO.contains(&self.fstype.as_str()) && self.root == "/";
        (self.path != "/" && !system && !made_up).then_some(Mount {
            path: self.path,
            read_only: self.read_only,
        })
    }
}

/// One line: `ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL…] -
/// FSTYPE SOURCE SUPER-OPTIONS` (proc(5)).
fn parse(line: &str) -> Option<Entry> {
    let (before, after) = line.split_once(" - ")?;
    let mut f = before.split(' ');
    let (_id, _parent, _dev) = (f.next()?, f.next()?, f.next()?);
    let root = unescape(f.next()?);
    let path = unescape(f.next()?);
    let read_only = f.next()?.split(',').any(|o| o == "ro");
    let fstype = after.split(' ').next()?.to_owned();
    Some(Entry {
        root,
        path,
        read_only,
        fstype,
    })
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], octal) {
            (b'\\', Some(d)) => {
                let v = d.iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
                out.push(v as u8);
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `ctr run --mount …` gave a container here (containerd 1.6,
    /// libcontainer 0.6), trimmed to the kinds of line.
    const CONTAINER: &str = "\
1201 1150 0:60 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
1202 1201 0:64 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
1203 1201 0:65 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
1204 1203 0:66 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620
1205 1203 0:67 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
1206 1203 0:63 / /dev/mqueue rw,nosuid,nodev,noexec,relatime - mqueue mqueue rw
1207 1201 0:68 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
1208 1207 0:30 /ctr/x /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
1209 1201 0:69 / /run rw,nosuid,nodev,noexec - tmpfs tmpfs rw
1210 1201 254:1 /tmp/t1/data /data rw,relatime - ext4 /dev/vda rw
1211 1201 254:1 /tmp/t1/ro /config ro,relatime - ext4 /dev/vda rw
1212 1201 254:1 /etc/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw
1213 1201 0:70 /scratch /with\\040space rw,relatime - tmpfs tmpfs rw
";

    #[test]
    fn bind_mounts_are_granted_at_their_container_paths() {
        let got = granted(CONTAINER);
        let want = [
            ("/data", false),
            ("/config", true),
            ("/etc/resolv.conf", false),
            ("/with space", false),
        ];
        let want: Vec<Mount> = want
            .iter()
            .map(|(p, ro)| Mount {
                path: p.to_string(),
                read_only: *ro,
            })
            .collect();
        // (/etc/resolv.conf is a file: the sandbox skips what is not a
        // directory when it preopens.)
        assert_eq!(got, want);
    }

    #[test]
    fn the_root_pseudo_filesystems_and_runtime_paths_are_not() {
        let got = granted(CONTAINER);
        for p in [
            "/",
            "/proc",
            "/dev",
            "/dev/shm",
            "/sys",
            "/sys/fs/cgroup/memory",
            "/run",
        ] {
            assert!(got.iter().all(|m| m.path != p), "{p} granted");
        }
    }

    #[test]
    fn a_later_mount_on_the_same_path_wins() {
        let table = "\
1 0 0:1 / / rw - overlay o rw
2 1 8:1 /a /data rw - ext4 /dev/sda rw
3 1 8:1 /b /data ro - ext4 /dev/sda rw
4 1 0:9 / /gone rw - ext4 /dev/sdb rw
5 1 0:9 / /gone rw - tmpfs tmpfs rw
";
        assert_eq!(
            granted(table),
            vec![Mount {
                path: "/data".into(),
                read_only: true
            }]
        );
    }

    #[test]
    fn malformed_lines_are_skipped_not_trusted() {
        let table = "garbage\n1 2\n1 0 0:1 /x /y rw\n\n6 1 8:1 /a /ok rw - ext4 d rw\n";
        assert_eq!(granted(table).len(), 1);
        assert_eq!(unescape("a\\040b\\\\c\\9"), "a b\\\\c\\9");
    }
}
