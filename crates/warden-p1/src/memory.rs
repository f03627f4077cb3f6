//! Guest memory, seen through bounds checks.
//!
//! Every pointer and length a guest passes is hostile: each access here is
//! checked and fails with `fault` instead of panicking. Slices borrow guest
//! memory directly, so reads and writes of file data go between the guest's
//! buffers and the syscall with no copy in between.

use smallvec::SmallVec;
use std::io::{IoSlice, IoSliceMut};
use warden_kernel::{Errno, Result};

/// Most iovecs handled without a heap allocation.
const INLINE_IOVS: usize = 8;

/// One (pointer, length) pair of a guest `iovec` array.
pub type Iov = (u32, u32);

pub struct GuestMemory<'a>(pub &'a mut [u8]);

fn range(ptr: u32, len: u32, size: usize) -> Result<std::ops::Range<usize>> {
    let start = ptr as usize;
    let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
    if end > size {
        return Err(Errno::Fault);
    }
    Ok(start..end)
}

impl GuestMemory<'_> {
    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8]> {
        Ok(&self.0[range(ptr, len, self.0.len())?])
    }

    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8]> {
        let r = range(ptr, len, self.0.len())?;
        Ok(&mut self.0[r])
    }

    fn array<const N: usize>(&self, ptr: u32) -> Result<[u8; N]> {
        let s = self.slice(ptr, N as u32)?;
        Ok(s.try_into().expect("slice has length N"))
    }

    pub fn read_u8(&self, ptr: u32) -> Result<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }
    pub fn read_u16(&self, ptr: u32) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }
    pub fn read_u32(&self, ptr: u32) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }
    pub fn read_u64(&self, ptr: u32) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<()> {
        let len = u32::try_from(bytes.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(bytes);
        Ok(())
    }
    pub fn write_u8(&mut self, ptr: u32, v: u8) -> Result<()> {
        self.write(ptr, &[v])
    }
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> Result<()> {
        self.write(ptr, &v.to_le_bytes())
    }
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<()> {
        self.write(ptr, &v.to_le_bytes())
    }
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Reads an array of `count` iovecs (8 bytes each) and checks that each
    /// buffer lies inside memory.
    pub fn iovs(&self, ptr: u32, count: u32) -> Result<SmallVec<[Iov; INLINE_IOVS]>> {
        let size = count.checked_mul(8).ok_or(Errno::Fault)?;
        let raw = self.slice(ptr, size)?;
        let mut out = SmallVec::with_capacity(count as usize);
        for chunk in raw.chunks_exact(8) {
            let p = u32::from_le_bytes(chunk[..4].try_into().expect("4 bytes"));
            let l = u32::from_le_bytes(chunk[4..].try_into().expect("4 bytes"));
            range(p, l, self.0.len())?;
            out.push((p, l));
        }
        Ok(out)
    }

    /// The buffer of the one iovec at `ptr`.
    pub fn single_iov(&self, ptr: u32) -> Result<&[u8]> {
        let (p, l) = (
            self.read_u32(ptr)?,
            self.read_u32(ptr.checked_add(4).ok_or(Errno::Fault)?)?,
        );
        self.slice(p, l)
    }

    /// The buffer of the one iovec at `ptr`, to read into.
    pub fn single_iov_mut(&mut self, ptr: u32) -> Result<&mut [u8]> {
        let (p, l) = (
            self.read_u32(ptr)?,
            self.read_u32(ptr.checked_add(4).ok_or(Errno::Fault)?)?,
        );
        self.slice_mut(p, l)
    }

    /// Borrows the buffers of `iovs` for a gather write.
    pub fn io_slices(&self, iovs: &[Iov]) -> Result<SmallVec<[IoSlice<'_>; INLINE_IOVS]>> {
        iovs.iter()
            .map(|&(p, l)| Ok(IoSlice::new(self.slice(p, l)?)))
            .collect()
    }

    /// Borrows the buffers of `iovs` mutably for a scatter read, when they
    /// do not overlap. Overlapping iovecs (legal, but pointless) get `None`
    /// and the caller reads through a bounce buffer.
    pub fn io_slices_mut(
        &mut self,
        iovs: &[Iov],
    ) -> Result<Option<SmallVec<[IoSliceMut<'_>; INLINE_IOVS]>>> {
        // Empty iovecs take no memory; order the others by address.
        let mut order: SmallVec<[usize; INLINE_IOVS]> =
            (0..iovs.len()).filter(|&i| iovs[i].1 != 0).collect();
        order.sort_by_key(|&i| iovs[i].0);
        for w in order.windows(2) {
            let (a, b) = (iovs[w[0]], iovs[w[1]]);
            if a.0 as u64 + a.1 as u64 > b.0 as u64 {
                return Ok(None);
            }
        }
        // Split memory into disjoint pieces in address order, then put them
        // back in the guest's order.
        let mut pieces: SmallVec<[Option<&mut [u8]>; INLINE_IOVS]> = (0..iovs.len())
            .map(|i| {
                if iovs[i].1 == 0 {
                    Some(&mut [][..])
                } else {
                    None
                }
            })
            .collect();
        let mut rest: &mut [u8] = self.0;
        let mut base = 0usize;
        for &i in &order {
            let (p, l) = (iovs[i].0 as usize, iovs[i].1 as usize);
            let tail = std::mem::take(&mut rest);
            let (_, tail) = tail.split_at_mut(p - base);
            let (piece, tail) = tail.split_at_mut(l);
            pieces[i] = Some(piece);
            rest = tail;
            base = p + l;
        }
        Ok(Some(
            pieces
                .into_iter()
                .map(|p| IoSliceMut::new(p.expect("every iovec got a piece")))
                .collect(),
        ))
    }

    /// Runs a scatter read `read` into the buffers of `iovs`, straight into
    /// guest memory. Overlapping iovecs (legal, but pointless) read into the
    /// first non-empty one alone: a short read, as `readv` may return, and
    /// nothing is lost (the rest stays unread). The host never holds more
    /// than the guest's own buffers: a bounce buffer of the iovecs' summed
    /// lengths once let a guest with 32 MiB make the host allocate 16 TB.
    pub fn read_into<R>(
        &mut self,
        iovs: &[Iov],
        read: impl FnOnce(&mut [IoSliceMut<'_>]) -> Result<R>,
    ) -> Result<R> {
        if let Some(mut bufs) = self.io_slices_mut(iovs)? {
            return read(&mut bufs);
        }
        let first: SmallVec<[Iov; 1]> = iovs
            .iter()
            .copied()
            .filter(|&(_, l)| l != 0)
            .take(1)
            .collect();
        let mut bufs = self
            .io_slices_mut(&first)?
            .expect("one iovec never overlaps itself");
        read(&mut bufs)
    }

    /// A guest string as bytes.
    pub fn bytes(&self, ptr: u32, len: u32) -> Result<&[u8]> {
        self.slice(ptr, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_bounds_is_fault() {
        let mut mem = vec![0u8; 64];
        let mut g = GuestMemory(&mut mem);
        assert_eq!(g.read_u32(62), Err(Errno::Fault));
        assert_eq!(g.write_u64(u32::MAX, 1), Err(Errno::Fault));
        assert!(g.slice(60, 4).is_ok());
        assert_eq!(g.slice(60, 5).err(), Some(Errno::Fault));
    }

    #[test]
    fn disjoint_iovecs_split_in_guest_order() {
        let mut mem = vec![0u8; 64];
        let mut g = GuestMemory(&mut mem);
        let iovs = [(32, 4), (0, 4), (10, 0)];
        let mut s = g.io_slices_mut(&iovs).unwrap().unwrap();
        s[0].copy_from_slice(b"abcd");
        s[1].copy_from_slice(b"wxyz");
        drop(s);
        assert_eq!(&mem[32..36], b"abcd");
        assert_eq!(&mem[0..4], b"wxyz");
        let mut g = GuestMemory(&mut mem);
        assert!(g.io_slices_mut(&[(0, 8), (4, 8)]).unwrap().is_none());
        assert!(g
            .io_slices_mut(&[(0, 8), (2, 0), (4, 8)])
            .unwrap()
            .is_none());
    }
}
