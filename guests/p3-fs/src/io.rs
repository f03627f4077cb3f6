//! Small async tools (join, timeout) and the stream round trips every group
//! uses: write/append a byte vector through a `stream<u8>`, read a file or
//! a directory to the end, always together with the call's result future.

use crate::check::show;
use core::future::{poll_fn, Future, IntoFuture};
use core::pin::pin;
use core::task::Poll;
use wasip3::clocks::monotonic_clock;
use wasip3::filesystem::types::{Descriptor, DescriptorType, ErrorCode};

pub type Res<T> = Result<T, ErrorCode>;

/// Both futures, polled concurrently, to completion.
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            Poll::Ready((ra.take().unwrap(), rb.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// `f`'s output, or `None` when `ms` milliseconds of the monotonic clock
/// pass first (then `f` is dropped, i.e. cancelled).
pub async fn within<F: Future>(ms: u64, f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    let mut timer = pin!(monotonic_clock::wait_for(ms * 1_000_000));
    poll_fn(|cx| {
        if let Poll::Ready(v) = f.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// An `ok` result that hides a stream which did not take every byte.
fn short_write(r: Res<()>, len: usize, rest: usize) -> Res<()> {
    match r {
        Ok(()) if rest != 0 => Err(ErrorCode::Other(Some(format!(
            "result ok, but the stream took only {} of {len} bytes",
            len - rest
        )))),
        r => r,
    }
}

/// Writes `data` into a new stream (then closes it), concurrently with
/// awaiting `done`, the future the host returned for that stream.
async fn feed<F>(
    data: Vec<u8>,
    make: impl FnOnce(wasip3::wit_bindgen::StreamReader<u8>) -> F,
) -> Res<()>
where
    F: IntoFuture<Output = Res<()>>,
{
    let (mut tx, rx) = wasip3::wit_stream::new::<u8>();
    let done = make(rx);
    let len = data.len();
    let (rest, r) = join(
        async move {
            // An empty write would wait for the reader; closing is enough.
            let rest = if data.is_empty() {
                Vec::new()
            } else {
                tx.write_all(data).await
            };
            drop(tx);
            rest.len()
        },
        done.into_future(),
    )
    .await;
    short_write(r, len, rest)
}

/// `write-via-stream` of `data` at `offset`; the result future's value.
pub async fn write_at(f: &Descriptor, data: &[u8], offset: u64) -> Res<()> {
    feed(data.to_vec(), |rx| f.write_via_stream(rx, offset)).await
}

/// `write-via-stream` at `offset` of `chunks`, one stream write each.
pub async fn write_chunks(f: &Descriptor, chunks: &[&[u8]], offset: u64) -> Res<()> {
    let (mut tx, rx) = wasip3::wit_stream::new::<u8>();
    let done = f.write_via_stream(rx, offset);
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    let (rest, r) = join(
        async move {
            let mut rest = 0;
            for c in chunks {
                rest += tx.write_all(c.to_vec()).await.len();
            }
            drop(tx);
            rest
        },
        done.into_future(),
    )
    .await;
    short_write(r, total, rest)
}

/// `append-via-stream` of `data`; the result future's value.
pub async fn append(f: &Descriptor, data: &[u8]) -> Res<()> {
    feed(data.to_vec(), |rx| f.append_via_stream(rx)).await
}

/// `read-via-stream` at `offset` read to its end, and the result future's
/// value (both awaited together).
pub async fn read_from(f: &Descriptor, offset: u64) -> (Vec<u8>, Res<()>) {
    let (rx, done) = f.read_via_stream(offset);
    join(rx.collect(), done.into_future()).await
}

/// The whole file through `read-via-stream`, when the future says ok.
pub async fn contents(f: &Descriptor) -> Res<Vec<u8>> {
    let (data, r) = read_from(f, 0).await;
    r.map(|()| data)
}

/// A directory entry in comparable form: (name, type as printed).
pub fn entry(name: &str, t: DescriptorType) -> (String, String) {
    (name.to_string(), show(&t))
}

/// `read-directory` read to its end, sorted by name, and the result
/// future's value.
pub async fn list(d: &Descriptor) -> (Vec<(String, String)>, Res<()>) {
    let (rx, done) = d.read_directory();
    let (entries, r) = join(rx.collect(), done.into_future()).await;
    let mut v: Vec<_> = entries
        .into_iter()
        .map(|e| (e.name, show(&e.type_)))
        .collect();
    v.sort();
    (v, r)
}

/// Deterministic test bytes; `crates/warden-cli/tests/p3_fs.rs` has the
/// same function for the files it creates and checks.
pub fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let i = i as u32;
            (i.wrapping_mul(31) ^ (i >> 9) ^ u32::from(seed)) as u8
        })
        .collect()
}
