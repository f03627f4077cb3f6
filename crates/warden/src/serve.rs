//! `warden serve`: an HTTP server that hands every request to a fresh
//! instance of a `wasi:http/proxy` component.
//!
//! hyper (HTTP/1.1 and h2c on one port) runs on the shared tokio runtime;
//! each request is instantiated from one `InstancePre` and run on a thread
//! of a [`WorkerPool`] (as many threads as requests in flight), so guests
//! run on all cores and a slow guest never holds up
//! the event loop. A ticker advances the engine's epoch every
//! [`TICK`]; each store's deadline is its request timeout in ticks.

use crate::cache::{compile_cached, Compiled};
use crate::sandbox::{deadline_after, new_store_untimed, Host, Sandbox, MAX_CONCURRENT_REQUESTS};
use crate::worker_pool::WorkerPool;
use anyhow::{bail, Context as _};
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use warden_http::bindings::wasi::http::types::ErrorCode;
use warden_http::server::{prepare, RequestLimits};
use warden_http::types::{IncomingRequest, ResponseOutparam};
use warden_kernel::cancel::Cancel;
use wasmtime::component::{Component, InstancePre, Linker, Resource};

/// How often the epoch advances: the resolution of request timeouts.
pub const TICK: Duration = Duration::from_millis(10);

/// How often (in ticks: 2 s) freed heap memory is given back to the system
/// (see [`crate::heap`]).
const TRIM_EVERY_TICKS: u64 = 200;

/// Settings of `warden serve`.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// Most bytes of request body (more: 413).
    pub max_body_size: u64,
    /// Most bytes of request head (more: 431).
    pub max_header_size: usize,
    /// Wall time one request may take in the guest (more: 504).
    pub request_timeout: Duration,
    /// How long a graceful shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// Header fields set on every request before the guest sees it
    /// (`--header 'NAME: VALUE'`): each replaces any field of that name the
    /// client sent; an empty value removes the field.
    pub request_headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            addr: "0.0.0.0:8080".parse().expect("a valid address"),
            max_body_size: 64 << 20,
            max_header_size: 64 << 10,
            request_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            request_headers: Vec::new(),
        }
    }
}

type ResponseBody = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Everything a request needs, shared by all of them.
struct Shared {
    sandbox_kernel: warden_kernel::Kernel,
    http: warden_http::WasiHttp,
    engine: wasmtime::Engine,
    limits: crate::Limits,
    pre: InstancePre<Host>,
    /// Export index path of `wasi:http/incoming-handler@0.2.x#handle`,
    /// or of `wasi:http/handler@0.3.x#handle`.
    handler: String,
    /// A wasi:http@0.3 component (run on the concurrency engine).
    p3: bool,
    options: ServeOptions,
    next_id: AtomicU64,
    /// One permit per pooled instance slot.
    slots: Arc<tokio::sync::Semaphore>,
    /// The threads guests run on.
    workers: WorkerPool,
}

fn text(status: u16, body: &str) -> http::Response<ResponseBody> {
    let mut r = http::Response::new(
        Full::new(Bytes::from(body.to_owned()))
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

impl Sandbox {
    /// Serves `bytes` (a `wasi:http/proxy` component) on `options.addr`
    /// until SIGINT or SIGTERM. `ready` is called with the bound address
    /// once the server listens.
    pub fn serve(
        mut self,
        bytes: &[u8],
        options: ServeOptions,
        ready: impl FnOnce(SocketAddr),
    ) -> anyhow::Result<()> {
        let bytes = &*crate::sandbox::to_binary(bytes)?;
        // A wasi:http@0.3 service names its handler export in the binary.
        let p3 = memchr::memmem::find(bytes, b"wasi:http/handler@0.3.").is_some();
        if p3 {
            self.use_async_engine()?;
        }
        // Code compiled ahead of time for a serving engine (the containerd
        // shim's precompiled layers) loads as it is; anything else compiles.
        let compiled = if bytes.starts_with(crate::cache::CWASM_MAGIC) {
            crate::cache::load_precompiled(&self.engine, bytes)?
        } else {
            compile_cached(&self.engine, bytes, self.cache_dir.as_deref())?
        };
        let component = match compiled {
            Compiled::Component(c) => c,
            Compiled::Module(_) => bail!(
                "`warden serve` runs components of the wasi:http/proxy world; this is a core module"
            ),
        };
        let handler = find_handler(&self.engine, &component, p3)?;
        let http = match self.http.clone() {
            Some(h) => h,
            None => warden_http::WasiHttp::new(Arc::new(warden_http::client::Client::new(
                Default::default(),
                &[],
            )?)),
        };
        let mut linker: Linker<Host> = Linker::new(&self.engine);
        warden_p2::add_to_linker(&mut linker, |h| &mut h.wasi)?;
        warden_http::add_to_linker(&mut linker, Host::http_view)?;
        self.link_proposals(&mut linker)?;
        if p3 {
            warden_p3::add_to_linker(&mut linker, |h| warden_p3::WasiP3Ctx {
                kernel: &mut h.wasi.kernel,
                table: &mut h.wasi.table,
            })?;
            warden_http::p3::add_to_linker(&mut linker, Host::http_p3_view)?;
        }
        let pre = linker.instantiate_pre(&component).map_err(|e| {
            anyhow::anyhow!("{e}; Warden serves components that import wasi:http, wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem and wasi:sockets 0.2.x")
        })?;
        let shared = Arc::new(Shared {
            sandbox_kernel: self.kernel,
            http,
            engine: self.engine.clone(),
            limits: self.limits,
            pre,
            handler,
            p3,
            options: options.clone(),
            next_id: AtomicU64::new(1),
            slots: Arc::new(tokio::sync::Semaphore::new(
                MAX_CONCURRENT_REQUESTS as usize,
            )),
            workers: WorkerPool::new(
                "warden-guest",
                warden_http::runtime::runtime().handle().clone(),
            ),
        });
        crate::heap::limit_arenas();
        let engine = self.engine.clone();
        std::thread::Builder::new()
            .name("warden-epoch".into())
            .spawn(move || {
                for tick in 1u64.. {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                    if tick % TRIM_EVERY_TICKS == 0 {
                        crate::heap::release_free_memory();
                    }
                }
            })?;
        let rt = warden_http::runtime::runtime();
        let listener = std::net::TcpListener::bind(options.addr)
            .with_context(|| format!("cannot listen on {}", options.addr))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            ready(addr);
            accept_loop(listener, shared).await
        })
    }
}

/// The name of the component's `wasi:http/incoming-handler@0.2.x` (or
/// `wasi:http/handler@0.3.x`) export.
fn find_handler(
    engine: &wasmtime::Engine,
    component: &Component,
    p3: bool,
) -> anyhow::Result<String> {
    if p3 {
        return component
            .component_type()
            .exports(engine)
            .map(|(name, _)| name.to_owned())
            .find(|name| name.starts_with("wasi:http/handler@0.3."))
            .context("the component exports no `wasi:http/handler@0.3` interface");
    }
    component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .find(|name| name.starts_with("wasi:http/incoming-handler@0.2."))
        .context("the component exports no `wasi:http/incoming-handler` interface (WASI 0.2): it is not a wasi:http/proxy component")
}

/// What stops `warden serve` gracefully: SIGINT or SIGTERM on Unix,
/// Ctrl-C (or Ctrl-Break) on Windows, which has no SIGTERM.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(windows)]
        Ok(StopSignals {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(windows)]
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let mut stop = StopSignals::new()?;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive(true)
        .max_buf_size(shared.options.max_header_size.max(8192))
        .header_read_timeout(Duration::from_secs(30));
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .max_header_list_size(shared.options.max_header_size.min(u32::MAX as usize) as u32);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(target: "warden::serve", "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.recv() => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
            let shared = shared.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(shared, req, peer).await) }
        });
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(target: "warden::serve", "connection from {peer}: {e}");
            }
        });
    }
    drop(listener);
    tracing::info!(target: "warden::serve", "shutting down: finishing requests in flight");
    let grace = shared.options.shutdown_grace;
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(target: "warden::serve", "requests still running after {grace:?}; stopping anyway");
    }
    Ok(())
}

/// Answers one request: runs the guest on a worker thread and waits for the
/// response it sets. The access-log line is written when the response body
/// has been sent (or abandoned), with its size.
async fn handle(
    shared: Arc<Shared>,
    req: http::Request<Incoming>,
    peer: SocketAddr,
) -> http::Response<ResponseBody> {
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let start = Instant::now();
    let mut req = req;
    for (name, value) in &shared.options.request_headers {
        req.headers_mut().remove(name);
        if !value.is_empty() {
            req.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let (response, cancel) = respond(&shared, req, id).await;
    let line = AccessLog {
        id,
        peer,
        method,
        path,
        status: response.status().as_u16(),
        start,
        bytes: 0,
    };
    response.map(|body| {
        LoggedBody {
            inner: body,
            log: line,
            cancel,
        }
        .boxed()
    })
}

/// One access-log line, written when the response body is dropped.
struct AccessLog {
    id: u64,
    peer: SocketAddr,
    method: http::Method,
    path: String,
    status: u16,
    start: Instant,
    bytes: u64,
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        tracing::info!(
            target: "warden::serve",
            "request {} {} {} {} -> {} {} bytes in {:.1} ms",
            self.id,
            self.peer,
            self.method,
            self.path,
            self.status,
            self.bytes,
            self.start.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// A response body that counts what it sends, for the access log, and
/// cancels its guest if dropped before its end (the client has gone).
struct LoggedBody {
    inner: ResponseBody,
    log: AccessLog,
    cancel: Option<CancelOnDrop>,
}

/// Cancels a served guest when dropped, unless disarmed first: held by the
/// request's future, then by its response body, so that whichever hyper
/// drops early (the client has gone) stops the guest.
struct CancelOnDrop {
    flag: Cancel,
    armed: bool,
}

impl CancelOnDrop {
    fn new() -> CancelOnDrop {
        CancelOnDrop {
            flag: Cancel::new(),
            armed: true,
        }
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.flag.cancel();
        }
    }
}

impl http_body::Body for LoggedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.log.bytes += data.len() as u64;
            }
        }
        let ended = matches!(polled, std::task::Poll::Ready(None)) || self.inner.is_end_stream();
        if let (true, Some(cancel)) = (ended, self.cancel.as_mut()) {
            cancel.armed = false;
        }
        polled
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

async fn respond(
    shared: &Arc<Shared>,
    req: http::Request<Incoming>,
    id: u64,
) -> (http::Response<ResponseBody>, Option<CancelOnDrop>) {
    let max_body = shared.options.max_body_size;
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body) {
        return (text(413, "request body too large\n"), None);
    }
    let limits = RequestLimits {
        max_body,
        between_bytes: Duration::from_secs(30),
    };
    let (prepared, rx) = if shared.p3 {
        let (p, rx) = warden_http::p3::server::prepare(req, limits);
        (Prepared::P3(p), rx)
    } else {
        match prepare(req, limits) {
            Ok((p, rx)) => (Prepared::P2(p), rx),
            Err(e) => {
                tracing::error!(target: "warden::serve", "request {id}: cannot prepare the request: {e}");
                return (text(500, "internal error\n"), None);
            }
        }
    };
    let permit = match shared.slots.clone().acquire_owned().await {
        Ok(p) => p,
        Err(_) => return (text(503, "shutting down\n"), None),
    };
    // Set if this future is dropped before the response is complete: the
    // client has gone, and the guest is stopped.
    let mut cancel = CancelOnDrop::new();
    let worker = {
        let shared2 = shared.clone();
        let cancel = cancel.flag.clone();
        shared.workers.run(move || {
            let end = if cancel.is_cancelled() {
                GuestEnd::TimedOut
            } else {
                warden_kernel::cancel::scope(&cancel, || match prepared {
                    Prepared::P2(p) => run_guest(&shared2, p, id, &cancel),
                    Prepared::P3(p) => run_guest_p3(&shared2, p, id, &cancel),
                })
            };
            if cancel.is_cancelled() {
                tracing::info!(target: "warden::serve", "request {id}: cancelled, the client has gone");
            }
            drop(permit);
            end
        })
    };
    // The response arrives when the guest sets it, usually before it
    // returns (it may go on writing the body).
    let outcome = rx.await;
    let response = match outcome {
        Ok(Ok(resp)) => {
            let (parts, body) = resp.into_parts();
            let body = body
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
                .boxed();
            return (http::Response::from_parts(parts, body), Some(cancel));
        }
        Ok(Err(code)) => {
            tracing::warn!(target: "warden::serve", "request {id}: the guest answered with error {code:?}");
            text(
                error_status(&code),
                "the component answered with an error\n",
            )
        }
        Err(_) => {
            // The guest ended without setting a response: why?
            match worker.await {
                Ok(GuestEnd::TimedOut) => {
                    tracing::warn!(target: "warden::serve", "request {id}: timed out after {:?}", shared.options.request_timeout);
                    text(504, "the component took too long\n")
                }
                Ok(GuestEnd::Trapped(e)) => {
                    tracing::error!(target: "warden::serve", "request {id}: the component trapped: {}", chain(&e));
                    text(500, "the component failed\n")
                }
                Ok(GuestEnd::Returned) => {
                    tracing::warn!(target: "warden::serve", "request {id}: the component returned without setting a response");
                    text(500, "the component set no response\n")
                }
                Err(_) => {
                    tracing::error!(target: "warden::serve", "request {id}: the worker thread panicked");
                    text(500, "internal error\n")
                }
            }
        }
    };
    // The guest has answered with an error or ended: nothing to cancel.
    cancel.armed = false;
    (response, None)
}

fn error_status(code: &ErrorCode) -> u16 {
    match code {
        ErrorCode::HttpRequestBodySize(_) => 413,
        ErrorCode::HttpRequestHeaderSectionSize(_) | ErrorCode::HttpRequestHeaderSize(_) => 431,
        ErrorCode::HttpRequestUriTooLong => 414,
        ErrorCode::HttpRequestMethodInvalid
        | ErrorCode::HttpRequestUriInvalid
        | ErrorCode::HttpProtocolError => 400,
        ErrorCode::HttpRequestLengthRequired => 411,
        ErrorCode::HttpRequestDenied => 403,
        ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionTimeout
        | ErrorCode::HttpResponseTimeout => 504,
        ErrorCode::ConnectionRefused
        | ErrorCode::DnsError(_)
        | ErrorCode::DnsTimeout
        | ErrorCode::DestinationNotFound => 502,
        _ => 500,
    }
}

/// A request made ready for the guest's WASI version.
enum Prepared {
    P2(warden_http::server::PreparedRequest),
    P3(warden_http::p3::server::PreparedRequest),
}

/// Instantiates a wasi:http@0.3 component for one request and runs its
/// async `handle` on this worker thread's current-thread runtime, until
/// the response body is over or the request's time is up.
fn run_guest_p3(
    shared: &Shared,
    prepared: warden_http::p3::server::PreparedRequest,
    id: u64,
    cancel: &Cancel,
) -> GuestEnd {
    thread_local! {
        static RT: Option<tokio::runtime::Runtime> = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok();
    }
    let timeout = shared.options.request_timeout;
    let result = RT.with(|rt| -> anyhow::Result<GuestEnd> {
        let rt = rt.as_ref().context("cannot start the async runtime")?;
        rt.block_on(async {
            let mut store = new_store_untimed(
                &shared.engine,
                &shared.limits,
                shared.sandbox_kernel.clone(),
                Some(shared.http.clone()),
            )?;
            limit_request(&mut store, timeout, cancel);
            let instance = shared.pre.instantiate_async(&mut store).await?;
            let iface = instance
                .get_export_index(&mut store, None, &shared.handler)
                .context("the handler export disappeared")?;
            let func = instance
                .get_export_index(&mut store, Some(&iface), "handle")
                .with_context(|| format!("`{}` has no `handle` function", shared.handler))?;
            let handle: warden_http::p3::server::HandleFunc = instance
                .get_typed_func(&mut store, func)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("`{}#handle` has the wrong type", shared.handler))?;
            let call = store.run_concurrent(async move |a| {
                warden_http::p3::server::call_handler(a, Host::http_p3_view, handle, prepared).await
            });
            // The epoch interrupts wasm code; a guest waiting in the host
            // (a future it never completes) is stopped here, at its time
            // limit or soon after its client has gone.
            let cancelled = async {
                while !cancel.is_cancelled() {
                    tokio::time::sleep(warden_kernel::cancel::CHECK_EVERY).await;
                }
            };
            let call = async {
                tokio::select! {
                    r = call => Some(r),
                    () = cancelled => None,
                }
            };
            match tokio::time::timeout(timeout, call).await {
                Err(_) | Ok(None) => Ok(GuestEnd::TimedOut),
                Ok(Some(r)) => match r.and_then(|r| r) {
                    Ok(()) => Ok(GuestEnd::Returned),
                    Err(e) => {
                        if matches!(
                            e.downcast_ref::<wasmtime::Trap>(),
                            Some(wasmtime::Trap::Interrupt)
                        ) {
                            return Ok(GuestEnd::TimedOut);
                        }
                        Err(e.into())
                    }
                },
            }
        })
    });
    match result {
        Ok(end) => end,
        Err(e) => {
            tracing::debug!(target: "warden::serve", "request {id}: {}", chain(&e));
            GuestEnd::Trapped(e)
        }
    }
}

enum GuestEnd {
    Returned,
    /// Out of time, or cancelled because the client has gone.
    TimedOut,
    Trapped(anyhow::Error),
}

/// A request's bounds on its store: the epoch interrupts the guest's code
/// once `timeout` has passed or `cancel` is set (looked at every [`TICK`]),
/// and the kernel's deadline ends host waits at `timeout` (the kernel's
/// [`warden_kernel::cancel::scope`], set by the caller, ends them on
/// `cancel`).
fn limit_request(store: &mut wasmtime::Store<Host>, timeout: Duration, cancel: &Cancel) {
    let mut ticks_left = (timeout.as_millis() / TICK.as_millis()).max(1) as u64;
    let cancel = cancel.clone();
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        ticks_left -= 1;
        Ok(if ticks_left == 0 || cancel.is_cancelled() {
            wasmtime::UpdateDeadline::Interrupt
        } else {
            wasmtime::UpdateDeadline::Continue(1)
        })
    });
    store.data_mut().wasi.kernel.deadline = Some(deadline_after(timeout));
}

/// Instantiates the component for one request and calls its handler.
fn run_guest(
    shared: &Shared,
    prepared: warden_http::server::PreparedRequest,
    id: u64,
    cancel: &Cancel,
) -> GuestEnd {
    let result = (|| -> anyhow::Result<GuestEnd> {
        let mut store = new_store_untimed(
            &shared.engine,
            &shared.limits,
            shared.sandbox_kernel.clone(),
            Some(shared.http.clone()),
        )?;
        limit_request(&mut store, shared.options.request_timeout, cancel);
        let instance = shared.pre.instantiate(&mut store)?;
        let iface = instance
            .get_export_index(&mut store, None, &shared.handler)
            .context("the handler export disappeared")?;
        let func = instance
            .get_export_index(&mut store, Some(&iface), "handle")
            .with_context(|| format!("`{}` has no `handle` function", shared.handler))?;
        let handle = instance
            .get_typed_func::<(Resource<IncomingRequest>, Resource<ResponseOutparam>), ()>(
                &mut store, &func,
            )
            .map_err(anyhow::Error::from)
            .with_context(|| format!("`{}#handle` has the wrong type", shared.handler))?;
        let (req, out) = store.data_mut().http_view().push_request(prepared)?;
        if let Err(e) = handle.call(&mut store, (req, out)) {
            // Out of time in wasm code (the epoch) or while waiting in a
            // host call (the kernel's deadline).
            let interrupted = matches!(
                e.downcast_ref::<wasmtime::Trap>(),
                Some(wasmtime::Trap::Interrupt)
            );
            if interrupted || e.downcast_ref::<warden_p2::DeadlineExceeded>().is_some() {
                return Ok(GuestEnd::TimedOut);
            }
            return Err(e.into());
        }
        Ok(GuestEnd::Returned)
    })();
    match result {
        Ok(end) => end,
        Err(e) => {
            tracing::debug!(target: "warden::serve", "request {id}: {}", chain(&e));
            GuestEnd::Trapped(e)
        }
    }
}

/// An error and its causes on one line (the trap and its wasm backtrace,
/// never the host's stack).
fn chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
