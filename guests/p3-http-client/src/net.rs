//! Helpers: the URL the test passes, building requests, bounded waits
//! (every wait has a monotonic-clock deadline) and reading bodies.

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::task::Poll;
use wasip3::clocks::monotonic_clock;
use wasip3::http::client;
use wasip3::http::types::{ErrorCode, Fields, Request, RequestOptions, Response, Scheme};
use wasip3::wit_bindgen::rt::async_support::{FutureReader, StreamReader, StreamWriter};
use wasip3::{wit_future, wit_stream};

pub const MS: u64 = 1_000_000;
pub const SEC: u64 = 1_000 * MS;

/// `http://AUTHORITY` or `https://AUTHORITY`.
pub struct Target {
    pub scheme: Scheme,
    pub authority: String,
}

impl Target {
    pub fn parse(url: &str) -> Target {
        let (scheme, rest) = match url.split_once("://") {
            Some(("http", r)) => (Scheme::Http, r),
            Some(("https", r)) => (Scheme::Https, r),
            _ => panic!("bad URL {url:?}"),
        };
        Target {
            scheme,
            authority: rest.trim_end_matches('/').to_string(),
        }
    }
}

pub type TrailersResult = Result<Option<Fields>, ErrorCode>;

/// `request.new` with no trailers (the future resolves to `ok(none)`).
pub fn new_request(
    headers: Fields,
    contents: Option<StreamReader<u8>>,
    options: Option<RequestOptions>,
) -> (Request, FutureReader<Result<(), ErrorCode>>) {
    let (tx, rx) = wit_future::new::<TrailersResult>(|| Ok(None));
    drop(tx);
    Request::new(headers, contents, rx, options)
}

pub fn fields(list: &[(&str, &[u8])]) -> Fields {
    let l: Vec<(String, Vec<u8>)> = list
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    Fields::from_list(&l).expect("valid fields")
}

/// A request to `t` with `path` and `headers`, no body.
pub fn request(
    t: &Target,
    path: &str,
    headers: &[(&str, &[u8])],
    options: Option<RequestOptions>,
) -> Request {
    let (req, _sent) = new_request(fields(headers), None, options);
    aim(&req, t, path);
    req
}

/// Sets scheme, authority and path of `req`.
pub fn aim(req: &Request, t: &Target, path: &str) {
    req.set_scheme(Some(&t.scheme)).expect("scheme");
    req.set_authority(Some(&t.authority)).expect("authority");
    req.set_path_with_query(Some(path)).expect("path");
}

/// `f`, or `None` when `ns` pass first.
pub async fn deadline<F: IntoFuture>(ns: u64, f: F) -> Option<F::Output> {
    let mut f = pin!(f.into_future());
    let mut timer = pin!(monotonic_clock::wait_for(ns));
    std::future::poll_fn(|cx| {
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

/// Both futures, polled together.
pub async fn join<A: IntoFuture, B: IntoFuture>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a.into_future());
    let mut b = pin!(b.into_future());
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
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

/// What went wrong waiting for something.
#[derive(Debug)]
#[allow(dead_code)]
pub enum Fault {
    /// The deadline passed.
    Timeout(&'static str),
    Code(ErrorCode),
}

/// `client.send` within `ns`.
pub async fn send(req: Request, ns: u64) -> Result<Response, Fault> {
    match deadline(ns, client::send(req)).await {
        None => Err(Fault::Timeout("send")),
        Some(Ok(r)) => Ok(r),
        Some(Err(e)) => Err(Fault::Code(e)),
    }
}

/// A response body read to its end.
pub struct Body {
    pub bytes: Vec<u8>,
    /// The trailers future's value (`None`: it did not resolve in time).
    pub trailers: Option<Result<Option<Vec<(String, Vec<u8>)>>, ErrorCode>>,
    /// The trailers themselves, to check their immutability.
    pub trailer_fields: Option<Fields>,
    /// The stream did not end in time.
    pub stalled: bool,
}

/// `response.consume-body`, then the stream to its end and the trailers,
/// all within `ns`.
pub async fn read_body(resp: Response, ns: u64) -> Body {
    let (res_tx, res_rx) = wit_future::new::<Result<(), ErrorCode>>(|| Ok(()));
    let (mut stream, trailers) = Response::consume_body(resp, res_rx);
    let mut bytes = Vec::new();
    let mut stalled = false;
    let read_all = async {
        while let Some(b) = {
            let (status, chunk) = stream.read(Vec::with_capacity(16 * 1024)).await;
            match status {
                wasip3::wit_bindgen::StreamResult::Complete(_) => Some(chunk),
                _ => None,
            }
        } {
            bytes.extend_from_slice(&b);
        }
    };
    if deadline(ns, read_all).await.is_none() {
        stalled = true;
    }
    let got = deadline(ns, trailers).await;
    let (trailers, trailer_fields) = match got {
        None => (None, None),
        Some(Ok(Some(f))) => (Some(Ok(Some(f.copy_all()))), Some(f)),
        Some(Ok(None)) => (Some(Ok(None)), None),
        Some(Err(e)) => (Some(Err(e)), None),
    };
    drop(res_tx);
    Body {
        bytes,
        trailers,
        trailer_fields,
        stalled,
    }
}

/// Writes `chunks` into `tx` with `pause_ns` between them, then closes it;
/// returns how many bytes were accepted.
pub async fn write_chunks(mut tx: StreamWriter<u8>, chunks: Vec<Vec<u8>>, pause_ns: u64) -> usize {
    let mut n = 0;
    let count = chunks.len();
    for (i, c) in chunks.into_iter().enumerate() {
        let len = c.len();
        let left = tx.write_all(c).await;
        n += len - left.len();
        if !left.is_empty() {
            break;
        }
        if i + 1 < count && pause_ns > 0 {
            monotonic_clock::wait_for(pause_ns).await;
        }
    }
    drop(tx);
    n
}

/// A stream for a request body.
pub fn body_stream() -> (StreamWriter<u8>, StreamReader<u8>) {
    wit_stream::new()
}
