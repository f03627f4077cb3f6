//! Bodies of wasi:http@0.3: a `stream<u8>` and a trailers `future`.
//!
//! - **Guest → hyper** (a request the guest sends, a response it serves):
//!   the guest's stream is piped into a [`GuestBodyConsumer`] that queues
//!   each chunk, and its trailers future into a [`TrailersConsumer`]; a task
//!   on the HTTP runtime moves the chunks, then the trailers, into the frame
//!   channel hyper reads ([`crate::body::ChannelBody`]), with the same
//!   length and trailer rules as 0.2 ([`BodyRules`]).
//! - **hyper → guest** (a response received, a request served): a task
//!   reads hyper's frames within the between-bytes timeout and size limit
//!   and queues them; a [`HostBodyProducer`] hands them to the guest's
//!   reads, and a [`TrailersProducer`] resolves the trailers future.

use super::{ErrorCode as P3, Getter};
use crate::body::{
    channel, BodyError, BodyErrorCode, BodyLimit, BodyRules, ChannelBody, FieldList, FrameSender,
};
use crate::client::Done;
use crate::fields::Fields;
use crate::ErrorCode as P2;
use bytes::Bytes;
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::PollSender;
use wasmtime::component::{
    Destination, FutureConsumer, FutureProducer, FutureReader, Resource, Source, StreamConsumer,
    StreamProducer, StreamReader, StreamResult,
};
use wasmtime::{AsContextMut, StoreContextMut};

/// The guest's trailers: `future<result<option<trailers>, error-code>>`.
pub type Trailers = Result<Option<Resource<Fields>>, P3>;

/// Trailers as the host keeps them.
type HostTrailers = Result<Option<FieldList>, P2>;

/// Chunks queued between a guest's stream and hyper (either way).
const QUEUED: usize = 16;
/// The largest chunk taken from a guest's write at once.
const MAX_CHUNK: usize = 64 << 10;
/// After a guest stops reading a body, how much more is drained to reach
/// its trailers.
const DRAIN_LIMIT: u64 = 256 << 10;

/// A request's or response's body.
pub enum Body {
    /// Given by the guest (`request.new`, `response.new`).
    Guest {
        contents: Option<StreamReader<u8>>,
        trailers: FutureReader<Trailers>,
        /// Resolves the `future<result<_, error-code>>` `new` returned
        /// (taken by `client.send`, which resolves it only once it knows
        /// whether the request went out).
        result: Option<oneshot::Sender<Result<(), P3>>>,
    },
    /// From hyper (a served request, a received response).
    Host(HostBody),
    /// Already consumed.
    Taken,
}

/// A body hyper gives, with the limits to read it under.
pub struct HostBody {
    pub body: UnsyncBoxBody<Bytes, P2>,
    pub between_bytes: Duration,
    pub limit: Option<BodyLimit>,
    /// Runs when the body has ended cleanly.
    pub done: Option<Done>,
}

impl Body {
    /// Closes the guest's ends of a body that is dropped unread.
    pub fn close(self, mut store: impl AsContextMut) -> wasmtime::Result<()> {
        if let Body::Guest {
            contents,
            mut trailers,
            ..
        } = self
        {
            if let Some(mut c) = contents {
                c.close(&mut store)?;
            }
            trailers.close(&mut store)?;
        }
        Ok(())
    }

    /// Takes the sender of the guest's outcome future, for a caller that
    /// resolves it itself.
    pub fn take_outcome(&mut self) -> Option<oneshot::Sender<Result<(), P3>>> {
        match self {
            Body::Guest { result, .. } => result.take(),
            _ => None,
        }
    }

    /// `consume-body`: the stream and trailers future the guest reads.
    pub fn consume<T: 'static>(
        self,
        mut store: impl AsContextMut<Data = T>,
        getter: Getter<T>,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Trailers>)> {
        match self {
            Body::Guest {
                contents,
                trailers,
                result,
            } => {
                if let Some(result) = result {
                    let _ = result.send(Ok(()));
                }
                let contents = match contents {
                    Some(c) => c,
                    None => StreamReader::new(&mut store, Vec::<u8>::new())?,
                };
                Ok((contents, trailers))
            }
            Body::Host(host) => {
                let (tx, rx) = mpsc::channel(QUEUED);
                let (ttx, trx) = oneshot::channel();
                crate::runtime::runtime().spawn(pump_in(host, tx, ttx));
                let stream = StreamReader::new(
                    &mut store,
                    HostBodyProducer {
                        rx,
                        left: Bytes::new(),
                    },
                )?;
                let trailers = FutureReader::new(&mut store, TrailersProducer { rx: trx, getter })?;
                Ok((stream, trailers))
            }
            Body::Taken => wasmtime::bail!("the body was already consumed"),
        }
    }

    /// The body as hyper sends it, for a message with `headers`. `ended`
    /// learns how the body ended (the guest's `result` future too).
    pub fn into_hyper<T: 'static>(
        self,
        mut store: impl AsContextMut<Data = T>,
        getter: Getter<T>,
        headers: &FieldList,
        ended: Option<oneshot::Sender<Result<(), P2>>>,
    ) -> wasmtime::Result<ChannelBody> {
        let rules = BodyRules::of(headers);
        let (frames, mut body) = channel(&rules);
        if matches!(self, Body::Guest { contents: None, .. }) {
            // No contents: a message without a body (trailers, if the
            // guest sends any, cannot go without one and fail the body).
            body = ChannelBody::empty();
        }
        match self {
            Body::Guest {
                contents,
                trailers,
                result,
            } => {
                let (data_tx, data_rx) = mpsc::channel(QUEUED);
                if let Some(c) = contents {
                    c.pipe(
                        &mut store,
                        GuestBodyConsumer {
                            tx: PollSender::new(data_tx),
                        },
                    )?;
                }
                let (ttx, trx) = oneshot::channel();
                trailers.pipe(
                    &mut store,
                    TrailersConsumer {
                        tx: Some(ttx),
                        getter,
                    },
                )?;
                crate::runtime::runtime()
                    .spawn(pump_out(data_rx, trx, frames, rules, result, ended));
            }
            Body::Host(host) => {
                let (data_tx, data_rx) = mpsc::channel(QUEUED);
                let (ttx, trx) = oneshot::channel();
                let rt = crate::runtime::runtime();
                rt.spawn(pump_in(host, data_tx, ttx));
                rt.spawn(pump_out(data_rx, trx, frames, rules, None, ended));
            }
            Body::Taken => wasmtime::bail!("the body was already consumed"),
        }
        Ok(body)
    }
}

/// Moves a guest body's chunks, then its trailers, into hyper's frames.
async fn pump_out(
    mut data: mpsc::Receiver<Bytes>,
    trailers: oneshot::Receiver<HostTrailers>,
    frames: FrameSender,
    rules: BodyRules,
    result: Option<oneshot::Sender<Result<(), P3>>>,
    ended: Option<oneshot::Sender<Result<(), P2>>>,
) {
    let mut written = 0u64;
    let outcome = async {
        while let Some(chunk) = data.recv().await {
            written += chunk.len() as u64;
            if rules.content_length.is_some_and(|n| written > n) {
                return Err(P2::HttpRequestBodySize(Some(written)));
            }
            if frames.send(Ok(Frame::data(chunk))).await.is_err() {
                return Err(P2::ConnectionTerminated);
            }
        }
        let tr = trailers.await.unwrap_or(Ok(None))?;
        rules.check_end(written, tr.as_ref())?;
        if let Some(t) = tr {
            let map = crate::fields::to_header_map(&t);
            if frames.send(Ok(Frame::trailers(map))).await.is_err() {
                return Err(P2::ConnectionTerminated);
            }
        }
        Ok(())
    }
    .await;
    if let Err(code) = &outcome {
        let _ = frames.send(Err(BodyError(code.clone()))).await;
    }
    drop(frames);
    if let Some(r) = result {
        let _ = r.send(outcome.clone().map_err(Into::into));
    }
    if let Some(e) = ended {
        let _ = e.send(outcome);
    }
}

/// Reads hyper's frames into the queue the guest's stream is fed from,
/// then gives the trailers (or the error).
async fn pump_in(host: HostBody, tx: mpsc::Sender<Bytes>, trailers: oneshot::Sender<HostTrailers>) {
    let HostBody {
        mut body,
        between_bytes,
        limit,
        done,
    } = host;
    let mut tx = Some(tx);
    let mut total = 0u64;
    let mut drained = 0u64;
    let outcome = loop {
        let frame = match tokio::time::timeout(between_bytes, body.frame()).await {
            Err(_) => break Err(P2::ConnectionReadTimeout),
            Ok(None) => break Ok(None),
            Ok(Some(Err(code))) => break Err(code),
            Ok(Some(Ok(f))) => f,
        };
        match frame.into_data() {
            Ok(data) => {
                total += data.len() as u64;
                if let Some((max, too_big)) = limit {
                    if total > max {
                        break Err(too_big(max));
                    }
                }
                let sent = match &tx {
                    Some(s) => s.send(data.clone()).await.is_ok(),
                    None => false,
                };
                if !sent {
                    tx = None;
                    drained += data.len() as u64;
                    if drained > DRAIN_LIMIT {
                        break Err(P2::ConnectionTerminated);
                    }
                }
            }
            Err(frame) => {
                if let Ok(map) = frame.into_trailers() {
                    break Ok(Some(crate::fields::from_header_map(&map)));
                }
            }
        }
    };
    if outcome.is_ok() {
        if let Some(done) = done {
            done();
        }
    }
    // The trailers first: the guest sees the stream end after them.
    let _ = trailers.send(outcome);
    drop(tx);
}

/// Takes the chunks a guest writes into a body.
struct GuestBodyConsumer {
    tx: PollSender<Bytes>,
}

impl<D> StreamConsumer<D> for GuestBodyConsumer {
    type Item = u8;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        src: Source<'_, u8>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        match self.tx.poll_reserve(cx) {
            Poll::Ready(Ok(())) => {
                let mut src = src.as_direct(store);
                let buf = src.remaining();
                let n = buf.len().min(MAX_CHUNK);
                if n == 0 {
                    return Poll::Ready(Ok(StreamResult::Completed));
                }
                let chunk = Bytes::copy_from_slice(&buf[..n]);
                src.mark_read(n);
                match self.tx.send_item(chunk) {
                    Ok(()) => Poll::Ready(Ok(StreamResult::Completed)),
                    Err(_) => Poll::Ready(Ok(StreamResult::Dropped)),
                }
            }
            Poll::Ready(Err(_)) => Poll::Ready(Ok(StreamResult::Dropped)),
            Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Takes the trailers a guest gives, out of the store's table.
struct TrailersConsumer<T: 'static> {
    tx: Option<oneshot::Sender<HostTrailers>>,
    getter: Getter<T>,
}

impl<T: 'static> FutureConsumer<T> for TrailersConsumer<T> {
    type Item = Trailers;

    fn poll_consume(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        mut store: StoreContextMut<T>,
        mut source: Source<'_, Trailers>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<()>> {
        let this = self.get_mut();
        let mut value: Option<Trailers> = None;
        source.read(&mut store, &mut value)?;
        let got = match value {
            None => return Poll::Ready(Ok(())),
            Some(Ok(Some(fields))) => {
                let fields = (this.getter)(store.data_mut()).table.delete(fields)?;
                Ok(Some(fields.entries))
            }
            Some(Ok(None)) => Ok(None),
            Some(Err(code)) => Err(code.into()),
        };
        if let Some(tx) = this.tx.take() {
            let _ = tx.send(got);
        }
        Poll::Ready(Ok(()))
    }
}

/// Hands queued chunks of a host body to the guest's reads, copying
/// straight into the reader's buffer.
struct HostBodyProducer {
    rx: mpsc::Receiver<Bytes>,
    /// What the last read had no room for.
    left: Bytes,
}

impl<D> StreamProducer<D> for HostBodyProducer {
    type Item = u8;
    type Buffer = Option<u8>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        dst: Destination<'a, u8, Option<u8>>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let room = dst.remaining(&mut store);
        if room == Some(0) {
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        if self.left.is_empty() {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(chunk)) => self.left = chunk,
                Poll::Ready(None) => return Poll::Ready(Ok(StreamResult::Dropped)),
                Poll::Pending if finish => return Poll::Ready(Ok(StreamResult::Cancelled)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let mut dst = dst.as_direct(store, room.unwrap_or(self.left.len()));
        let buf = dst.remaining();
        let n = buf.len().min(self.left.len());
        buf[..n].copy_from_slice(&self.left[..n]);
        dst.mark_written(n);
        let _ = self.left.split_to(n);
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// Resolves the guest's trailers future of a host body, putting the
/// trailers (immutable) into the store's table.
struct TrailersProducer<T: 'static> {
    rx: oneshot::Receiver<HostTrailers>,
    getter: Getter<T>,
}

impl<T: 'static> FutureProducer<T> for TrailersProducer<T> {
    type Item = Trailers;

    fn poll_produce(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<T>,
        finish: bool,
    ) -> Poll<wasmtime::Result<Option<Trailers>>> {
        let this = self.get_mut();
        let got = match Pin::new(&mut this.rx).poll(cx) {
            Poll::Ready(r) => r.unwrap_or(Ok(None)),
            Poll::Pending if finish => return Poll::Ready(Ok(None)),
            Poll::Pending => return Poll::Pending,
        };
        let item = match got {
            Ok(Some(list)) => {
                let table = &mut (this.getter)(store.data_mut()).table;
                Ok(Some(table.push(Fields::immutable(list))?))
            }
            Ok(None) => Ok(None),
            Err(code) => Err(code.into()),
        };
        Poll::Ready(Ok(Some(item)))
    }
}

/// A host body from hyper (or any body whose errors map to an error code).
pub fn host_body<B>(
    body: B,
    between_bytes: Duration,
    limit: Option<BodyLimit>,
    done: Option<Done>,
) -> HostBody
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: crate::body::BodyErrorCode,
{
    HostBody {
        body: body.map_err(|e| e.error_code()).boxed_unsync(),
        between_bytes,
        limit,
        done,
    }
}
