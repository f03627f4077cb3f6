//! A backend-independent listing of a directory tree, made through the
//! kernel's own [`Dir`] trait so one walker serves the host and the
//! in-memory backends alike.
//!
//! The listing keeps what a guest can rely on being the same on both:
//! names, kinds, file sizes and contents, link counts of files (and which
//! names are hard links of one file), symlink targets. It leaves out what
//! legitimately differs: times, inode and device numbers, directory sizes
//! (the host's are block counts, the in-memory backend's entry counts) and
//! directory link counts (some host filesystems always report 1).

use std::collections::{BTreeMap, HashMap};
use std::io::IoSliceMut;
use warden_kernel::fs::{Dir, Opened};
use warden_kernel::types::{FileType, OpenOptions};
use warden_kernel::Result;

/// Each entry's path below the listed directory (`a/b`) and what it is.
pub type Listing = BTreeMap<String, String>;

/// Lists everything below `dir`.
pub fn list(dir: &dyn Dir) -> Result<Listing> {
    let mut out = Listing::new();
    walk(dir, "", &mut out, &mut HashMap::new())?;
    Ok(out)
}

fn walk(
    dir: &dyn Dir,
    prefix: &str,
    out: &mut Listing,
    files: &mut HashMap<u64, String>,
) -> Result<()> {
    let mut names: Vec<String> = dir
        .read_dir()?
        .into_iter()
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .filter(|n| n != "." && n != "..")
        .collect();
    // Both backends' listings in one order, so the first name of a hard
    // linked file is the same on both.
    names.sort();
    for name in names {
        let path = format!("{prefix}{name}");
        let st = dir.stat_at(&name, false)?;
        let what = match st.file_type() {
            FileType::Directory => {
                let opts = OpenOptions {
                    read: true,
                    directory: true,
                    ..Default::default()
                };
                let Opened::Dir(sub) = dir.open_at(&name, &opts)? else {
                    return Err(warden_kernel::Errno::Notdir);
                };
                walk(&*sub, &format!("{path}/"), out, files)?;
                "dir".to_string()
            }
            FileType::SymbolicLink => {
                let target = dir.readlink_at(&name)?;
                format!("symlink -> {:?}", String::from_utf8_lossy(&target))
            }
            FileType::RegularFile => {
                let (len, hash, head) = read_file(dir, &name)?;
                let mut what = format!(
                    "file, {} bytes (read {len}), fnv {hash:016x}, {head:?}, nlink {}",
                    st.size, st.nlink
                );
                match files.get(&st.ino) {
                    Some(first) => what.push_str(&format!(", the file of {first}")),
                    None => {
                        files.insert(st.ino, path.clone());
                    }
                }
                what
            }
            other => format!("{other:?}"),
        };
        out.insert(path, what);
    }
    Ok(())
}

/// A file's length as read, FNV-1a hash of its bytes, and its first 24
/// bytes as text.
fn read_file(dir: &dyn Dir, name: &str) -> Result<(u64, u64, String)> {
    let opts = OpenOptions {
        read: true,
        ..Default::default()
    };
    let Opened::File(f) = dir.open_at(name, &opts)? else {
        return Err(warden_kernel::Errno::Isdir);
    };
    let mut buf = vec![0u8; 65536];
    let (mut at, mut hash) = (0u64, 0xcbf2_9ce4_8422_2325u64);
    let mut head = Vec::new();
    loop {
        let n = f.pread(&mut [IoSliceMut::new(&mut buf)], at)?;
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        if head.len() < 24 {
            let take = n.min(24 - head.len());
            head.extend_from_slice(&buf[..take]);
        }
        at += n as u64;
    }
    Ok((at, hash, String::from_utf8_lossy(&head).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::IoSlice;
    use warden_kernel::fs::host::HostDir;
    use warden_kernel::fs::memory::MemoryFs;

    fn fill(dir: &dyn Dir) {
        dir.create_dir_at("d").unwrap();
        let opts = OpenOptions {
            write: true,
            create: true,
            ..Default::default()
        };
        let Ok(Opened::File(f)) = dir.open_at("d/f", &opts) else {
            panic!("a file")
        };
        f.write(&[IoSlice::new(b"contents")]).unwrap();
        dir.link_at("d/f", false, dir, "g").unwrap();
        dir.symlink_at("d/../g", "l").unwrap();
    }

    /// The same tree made on both backends lists the same, and the listing
    /// sees hard links.
    #[test]
    fn both_backends_list_one_tree_alike() {
        let tmp = tempfile::tempdir().unwrap();
        let host = HostDir::open_ambient(tmp.path()).unwrap();
        let fs = MemoryFs::new();
        let memory = fs.root();
        fill(&host);
        fill(&memory);
        let (a, b) = (list(&host).unwrap(), list(&memory).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.len(), 4, "{a:?}");
        assert!(a["g"].ends_with("the file of d/f"), "{a:?}");
        assert_eq!(a["l"], "symlink -> \"d/../g\"");
    }
}
