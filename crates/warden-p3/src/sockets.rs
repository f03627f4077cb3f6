//! wasi:sockets@0.3 — types (tcp-socket, udp-socket) and ip-name-lookup —
//! over the kernel's WIT-neutral socket rules
//! ([`warden_kernel::ipsock`], shared with the WASI 0.2 layer) and its
//! [`NetworkPolicy`](warden_kernel::net::NetworkPolicy).
//!
//! Deny by default, as for 0.2: creating a socket and its options need no
//! grant; bind, listen (its implicit bind), connect, sending to an address
//! and looking a name up are checked first and fail with `access-denied`.
//!
//! How the async ABI maps onto the kernel: sockets are non-blocking host
//! sockets, and every wait is an [`AsyncFd`] readiness wait (tokio's on
//! Unix, `crate::readiness`'s on Windows)
//! on the socket's descriptor, on the current-thread runtime that runs the
//! guest. A waiting `connect`, `receive` (TCP stream or UDP), `send` or
//! accept costs nothing until the descriptor is ready, and waits on several
//! sockets progress together. Cancelling a wait (the guest drops the
//! future or the stream) drops the waiter and, with the last reference,
//! the descriptor.
//!
//! A TCP socket's descriptor is registered with the reactor only once it
//! is connecting, connected or listening: a fresh TCP socket polls as
//! "hung up", which the reactor would remember for good.

use crate::bindings::wasi::sockets::ip_name_lookup;
use crate::bindings::wasi::sockets::types::{
    self, ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use crate::readiness::AsyncFd;
use crate::{done_future, Done, WasiP3, WasiP3Ctx};
use rustix::net::{RecvFlags, SendFlags};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::Interest;
use warden_kernel::ipsock::{self, Family, KeepAlive, Lookup, LookupError, MAX_DATAGRAM};
use warden_kernel::net::{Direction, NetworkPolicy, Protocol};
use warden_kernel::sys::{BorrowedFd, OwnedFd};
use warden_kernel::Errno;
use wasmtime::component::{
    Access, Accessor, Destination, FutureReader, Resource, Source, StreamConsumer, StreamProducer,
    StreamReader, StreamResult,
};
use wasmtime::StoreContextMut;

type NetResult<T> = wasmtime::Result<Result<T, ErrorCode>>;

/// A socket descriptor registered with the runtime's reactor; shared by a
/// socket and the streams and futures derived from it (the WIT's shared
/// ownership: the descriptor closes with the last of them).
type Registered = Arc<AsyncFd<OwnedFd>>;

/// The WIT error code for a kernel error.
pub fn error_code(e: Errno) -> ErrorCode {
    match e {
        Errno::Acces | Errno::Perm => ErrorCode::AccessDenied,
        Errno::Notsup | Errno::Afnosupport | Errno::Protonosupport | Errno::Noprotoopt => {
            ErrorCode::NotSupported
        }
        Errno::Inval => ErrorCode::InvalidArgument,
        Errno::Nomem | Errno::Nobufs => ErrorCode::OutOfMemory,
        Errno::Timedout => ErrorCode::Timeout,
        Errno::Isconn | Errno::Notconn | Errno::Already => ErrorCode::InvalidState,
        Errno::Addrnotavail => ErrorCode::AddressNotBindable,
        Errno::Addrinuse => ErrorCode::AddressInUse,
        Errno::Hostunreach | Errno::Netunreach | Errno::Netdown => ErrorCode::RemoteUnreachable,
        Errno::Connrefused => ErrorCode::ConnectionRefused,
        Errno::Pipe => ErrorCode::ConnectionBroken,
        Errno::Connreset => ErrorCode::ConnectionReset,
        Errno::Connaborted => ErrorCode::ConnectionAborted,
        Errno::Msgsize => ErrorCode::DatagramTooLarge,
        e => ErrorCode::Other(Some(format!("{e:?}"))),
    }
}

fn kernel<T>(r: warden_kernel::Result<T>) -> Result<T, ErrorCode> {
    r.map_err(error_code)
}

fn io_error(e: io::Error) -> ErrorCode {
    error_code(Errno::from(e))
}

fn family(f: IpAddressFamily) -> Family {
    match f {
        IpAddressFamily::Ipv4 => Family::Ipv4,
        IpAddressFamily::Ipv6 => Family::Ipv6,
    }
}

fn wit_family(f: Family) -> IpAddressFamily {
    match f {
        Family::Ipv4 => IpAddressFamily::Ipv4,
        Family::Ipv6 => IpAddressFamily::Ipv6,
    }
}

fn to_std(addr: IpSocketAddress) -> SocketAddr {
    match addr {
        IpSocketAddress::Ipv4(a) => {
            let (x, y, z, w) = a.address;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(x, y, z, w), a.port))
        }
        IpSocketAddress::Ipv6(a) => {
            let (p0, p1, p2, p3, p4, p5, p6, p7) = a.address;
            let ip = Ipv6Addr::new(p0, p1, p2, p3, p4, p5, p6, p7);
            SocketAddr::V6(SocketAddrV6::new(ip, a.port, a.flow_info, a.scope_id))
        }
    }
}

fn from_std(addr: SocketAddr) -> IpSocketAddress {
    match addr {
        SocketAddr::V4(a) => {
            let [x, y, z, w] = a.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: a.port(),
                address: (x, y, z, w),
            })
        }
        SocketAddr::V6(a) => {
            let s = a.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: a.port(),
                flow_info: a.flowinfo(),
                address: (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
                scope_id: a.scope_id(),
            })
        }
    }
}

fn ip_address(ip: IpAddr) -> types::IpAddress {
    match ip {
        IpAddr::V4(v4) => {
            let [x, y, z, w] = v4.octets();
            types::IpAddress::Ipv4((x, y, z, w))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            types::IpAddress::Ipv6((s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]))
        }
    }
}

fn allows(
    policy: &NetworkPolicy,
    protocol: Protocol,
    direction: Direction,
    addr: SocketAddr,
) -> Result<(), ErrorCode> {
    if policy.allows(protocol, direction, addr) {
        Ok(())
    } else {
        Err(ErrorCode::AccessDenied)
    }
}

/// Registers a descriptor with the current runtime's reactor; on failure
/// the descriptor comes back with the error.
fn try_register(fd: OwnedFd) -> Result<Registered, (OwnedFd, ErrorCode)> {
    if tokio::runtime::Handle::try_current().is_err() {
        let e = ErrorCode::Other(Some("no async runtime to wait on sockets".into()));
        return Err((fd, e));
    }
    // SAFETY: the `OwnedFd` is open, and owned by the `AsyncFd` (so it
    // stays the same descriptor) for the `AsyncFd`'s whole life.
    match unsafe { AsyncFd::register(fd) } {
        Ok(r) => Ok(Arc::new(r)),
        Err(e) => {
            let (fd, e) = e.into_parts();
            Err((fd, io_error(e)))
        }
    }
}

fn register(fd: OwnedFd) -> Result<Registered, ErrorCode> {
    try_register(fd).map_err(|(_, e)| e)
}

/// The descriptor of a socket: plain until it must be waited on.
enum SocketFd {
    Plain(OwnedFd),
    Registered(Registered),
    /// Only while switching from one to the other.
    Moving,
}

impl SocketFd {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            SocketFd::Plain(fd) => warden_kernel::sys::borrow(fd),
            SocketFd::Registered(r) => warden_kernel::sys::borrow(r.get_ref()),
            SocketFd::Moving => unreachable!("a socket descriptor is never left moving"),
        }
    }

    /// Registers the descriptor (once) and returns the shared handle.
    fn registered(&mut self) -> Result<Registered, ErrorCode> {
        match std::mem::replace(self, SocketFd::Moving) {
            SocketFd::Plain(fd) => match try_register(fd) {
                Ok(r) => {
                    *self = SocketFd::Registered(r.clone());
                    Ok(r)
                }
                Err((fd, e)) => {
                    *self = SocketFd::Plain(fd);
                    Err(e)
                }
            },
            SocketFd::Registered(r) => {
                *self = SocketFd::Registered(r.clone());
                Ok(r)
            }
            SocketFd::Moving => unreachable!("a socket descriptor is never left moving"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TcpState {
    Unbound,
    Bound,
    Listening,
    Connecting,
    Connected,
    /// A connect failed; only dropping the socket is left.
    Closed,
}

/// A TCP socket.
pub struct TcpSocket {
    fd: SocketFd,
    family: Family,
    state: TcpState,
    backlog: u32,
    /// `send` / `receive` were called (each may be called once).
    sending: bool,
    receiving: bool,
}

impl TcpSocket {
    fn new(fd: SocketFd, family: Family, state: TcpState) -> TcpSocket {
        TcpSocket {
            fd,
            family,
            state,
            backlog: 128,
            sending: false,
            receiving: false,
        }
    }
}

/// A UDP socket.
pub struct UdpSocket {
    fd: Registered,
    family: Family,
    bound: bool,
    /// The peer `connect` associated the socket with.
    remote: Option<SocketAddr>,
}

impl WasiP3Ctx<'_> {
    fn tcp(&mut self, s: &Resource<TcpSocket>) -> wasmtime::Result<&mut TcpSocket> {
        Ok(self.table.get_mut(s)?)
    }

    fn udp(&mut self, s: &Resource<UdpSocket>) -> wasmtime::Result<&mut UdpSocket> {
        Ok(self.table.get_mut(s)?)
    }
}

impl types::Host for WasiP3Ctx<'_> {}

impl types::HostTcpSocket for WasiP3Ctx<'_> {
    fn create(&mut self, address_family: IpAddressFamily) -> NetResult<Resource<TcpSocket>> {
        if self.kernel.network.tcp_disabled {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        let f = family(address_family);
        match kernel(ipsock::new_socket(f, true)) {
            Ok(fd) => Ok(Ok(self.table.push(TcpSocket::new(
                SocketFd::Plain(fd),
                f,
                TcpState::Unbound,
            ))?)),
            Err(e) => Ok(Err(e)),
        }
    }

    fn bind(&mut self, s: Resource<TcpSocket>, local_address: IpSocketAddress) -> NetResult<()> {
        let addr = to_std(local_address);
        let policy = self.kernel.network.clone();
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::Unbound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let r = kernel(ipsock::check_local(sock.family, &addr))
            .and_then(|()| allows(&policy, Protocol::Tcp, Direction::Bind, addr))
            .and_then(|()| kernel(ipsock::bind(sock.fd.fd(), &addr, true)));
        if r.is_ok() {
            sock.state = TcpState::Bound;
        }
        Ok(r)
    }

    fn get_local_address(&mut self, s: Resource<TcpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.tcp(&s)?;
        if matches!(sock.state, TcpState::Unbound | TcpState::Closed) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(kernel(ipsock::local_addr(sock.fd.fd())).map(from_std))
    }

    fn get_remote_address(&mut self, s: Resource<TcpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::Connected {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(kernel(ipsock::peer_addr(sock.fd.fd())).map(from_std))
    }

    fn get_is_listening(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<bool> {
        Ok(self.tcp(&s)?.state == TcpState::Listening)
    }

    fn get_address_family(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<IpAddressFamily> {
        Ok(wit_family(self.tcp(&s)?.family))
    }

    fn set_listen_backlog_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let sock = self.tcp(&s)?;
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        if matches!(sock.state, TcpState::Connecting | TcpState::Connected) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        sock.backlog = value.min(i32::MAX as u64) as u32;
        if sock.state == TcpState::Listening {
            // Linux takes a new backlog by listening again.
            return Ok(kernel(
                rustix::net::listen(sock.fd.fd(), sock.backlog as i32).map_err(Errno::from),
            ));
        }
        Ok(Ok(()))
    }

    fn get_keep_alive_enabled(&mut self, s: Resource<TcpSocket>) -> NetResult<bool> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::keep_alive(fd, KeepAlive::Enabled)).map(|v| v != 0))
    }
    fn set_keep_alive_enabled(&mut self, s: Resource<TcpSocket>, value: bool) -> NetResult<()> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::set_keep_alive(
            fd,
            KeepAlive::Enabled,
            value.into(),
        )))
    }
    fn get_keep_alive_idle_time(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::keep_alive(fd, KeepAlive::IdleTime)))
    }
    fn set_keep_alive_idle_time(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::set_keep_alive(
            fd,
            KeepAlive::IdleTime,
            value,
        )))
    }
    fn get_keep_alive_interval(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::keep_alive(fd, KeepAlive::Interval)))
    }
    fn set_keep_alive_interval(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::set_keep_alive(
            fd,
            KeepAlive::Interval,
            value,
        )))
    }
    fn get_keep_alive_count(&mut self, s: Resource<TcpSocket>) -> NetResult<u32> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::keep_alive(fd, KeepAlive::Count)).map(|v| v as u32))
    }
    fn set_keep_alive_count(&mut self, s: Resource<TcpSocket>, value: u32) -> NetResult<()> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::set_keep_alive(
            fd,
            KeepAlive::Count,
            value.into(),
        )))
    }
    fn get_hop_limit(&mut self, s: Resource<TcpSocket>) -> NetResult<u8> {
        let sock = self.tcp(&s)?;
        Ok(kernel(ipsock::hop_limit(sock.fd.fd(), sock.family)))
    }
    fn set_hop_limit(&mut self, s: Resource<TcpSocket>, value: u8) -> NetResult<()> {
        let sock = self.tcp(&s)?;
        Ok(kernel(ipsock::set_hop_limit(
            sock.fd.fd(),
            sock.family,
            value,
        )))
    }
    fn get_receive_buffer_size(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(kernel(ipsock::buffer_size(self.tcp(&s)?.fd.fd(), true)))
    }
    fn set_receive_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::set_buffer_size(fd, value, true)))
    }
    fn get_send_buffer_size(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(kernel(ipsock::buffer_size(self.tcp(&s)?.fd.fd(), false)))
    }
    fn set_send_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let fd = self.tcp(&s)?.fd.fd();
        Ok(kernel(ipsock::set_buffer_size(fd, value, false)))
    }

    fn drop(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

/// Waits until a connect started on `fd` has ended.
async fn finish_connect(fd: &Registered) -> Result<(), ErrorCode> {
    loop {
        let mut guard = fd.writable().await.map_err(io_error)?;
        kernel(ipsock::take_error(fd.get_ref()))?;
        match ipsock::peer_addr(fd.get_ref()) {
            Ok(_) => return Ok(()),
            // Still in progress (an earlier readiness): wait again.
            Err(Errno::Notconn) => guard.clear_ready(),
            Err(e) => return Err(error_code(e)),
        }
    }
}

impl<T: Send + 'static> types::HostTcpSocketWithStore<T> for WasiP3 {
    async fn connect(
        accessor: &Accessor<T, Self>,
        s: Resource<TcpSocket>,
        remote_address: IpSocketAddress,
    ) -> NetResult<()> {
        let addr = to_std(remote_address);
        let started = accessor.with(|mut access| -> wasmtime::Result<_> {
            let ctx = access.get();
            let policy = &ctx.kernel.network;
            let sock: &mut TcpSocket = ctx.table.get_mut(&s)?;
            if !matches!(sock.state, TcpState::Unbound | TcpState::Bound) {
                return Ok(Err(ErrorCode::InvalidState));
            }
            if let Err(e) = kernel(ipsock::check_remote(sock.family, &addr))
                .and_then(|()| allows(policy, Protocol::Tcp, Direction::Connect, addr))
            {
                return Ok(Err(e));
            }
            match rustix::net::connect(sock.fd.fd(), &addr) {
                Ok(()) | Err(rustix::io::Errno::INPROGRESS) => {}
                Err(e) => {
                    sock.state = TcpState::Closed;
                    return Ok(Err(error_code(e.into())));
                }
            }
            match sock.fd.registered() {
                Ok(fd) => {
                    sock.state = TcpState::Connecting;
                    Ok(Ok(fd))
                }
                Err(e) => {
                    sock.state = TcpState::Closed;
                    Ok(Err(e))
                }
            }
        })?;
        let fd = match started {
            Ok(fd) => fd,
            Err(e) => return Ok(Err(e)),
        };
        let r = finish_connect(&fd).await;
        accessor.with(|mut access| -> wasmtime::Result<()> {
            let sock: &mut TcpSocket = access.get().table.get_mut(&s)?;
            sock.state = if r.is_ok() {
                TcpState::Connected
            } else {
                TcpState::Closed
            };
            Ok(())
        })?;
        Ok(r)
    }

    fn listen(
        mut access: Access<'_, T, Self>,
        s: Resource<TcpSocket>,
    ) -> NetResult<StreamReader<Resource<TcpSocket>>> {
        let getter = access.getter();
        let ctx = access.get();
        let policy = ctx.kernel.network.clone();
        let sock: &mut TcpSocket = ctx.table.get_mut(&s)?;
        let listening = (|| {
            match sock.state {
                TcpState::Bound => {}
                TcpState::Unbound => {
                    // The implicit bind: any address, any port.
                    let any = ipsock::unspecified(sock.family);
                    allows(&policy, Protocol::Tcp, Direction::Bind, any)?;
                    kernel(ipsock::bind(sock.fd.fd(), &any, true))?;
                    sock.state = TcpState::Bound;
                }
                _ => return Err(ErrorCode::InvalidState),
            }
            let backlog = sock.backlog.min(i32::MAX as u32) as i32;
            kernel(rustix::net::listen(sock.fd.fd(), backlog).map_err(Errno::from))?;
            let fd = sock.fd.registered()?;
            sock.state = TcpState::Listening;
            Ok(fd)
        })();
        let family = sock.family;
        let fd = match listening {
            Ok(fd) => fd,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(StreamReader::new(
            &mut access,
            Acceptor { fd, family, getter },
        )?))
    }

    fn send(
        mut access: Access<'_, T, Self>,
        s: Resource<TcpSocket>,
        mut data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        let sock: &mut TcpSocket = access.get().table.get_mut(&s)?;
        let fd = if sock.state != TcpState::Connected || sock.sending {
            Err(ErrorCode::InvalidState)
        } else {
            sock.registered_for_io()
        };
        let (done, future) = done_future(&mut access)?;
        match fd {
            Ok(fd) => {
                sock_mut(&mut access, &s)?.sending = true;
                data.pipe(
                    &mut access,
                    Sender {
                        fd,
                        done: Some(done),
                    },
                )?;
            }
            Err(e) => {
                data.close(&mut access)?;
                let _ = done.send(Err(e));
            }
        }
        Ok(future)
    }

    fn receive(
        mut access: Access<'_, T, Self>,
        s: Resource<TcpSocket>,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
        let sock: &mut TcpSocket = access.get().table.get_mut(&s)?;
        let fd = if sock.state != TcpState::Connected || sock.receiving {
            Err(ErrorCode::InvalidState)
        } else {
            sock.registered_for_io()
        };
        let (done, future) = done_future(&mut access)?;
        let stream = match fd {
            Ok(fd) => {
                sock_mut(&mut access, &s)?.receiving = true;
                StreamReader::new(
                    &mut access,
                    Receiver {
                        fd,
                        done: Some(done),
                    },
                )?
            }
            Err(e) => {
                let _ = done.send(Err(e));
                StreamReader::new(&mut access, std::iter::empty())?
            }
        };
        Ok((stream, future))
    }
}

fn sock_mut<'a, T: 'static>(
    access: &'a mut Access<'_, T, WasiP3>,
    s: &Resource<TcpSocket>,
) -> wasmtime::Result<&'a mut TcpSocket> {
    Ok(access.get().table.get_mut(s)?)
}

impl TcpSocket {
    fn registered_for_io(&mut self) -> Result<Registered, ErrorCode> {
        self.fd.registered()
    }
}

/// The stream of connections a listening socket accepts.
struct Acceptor<T: 'static> {
    fd: Registered,
    family: Family,
    getter: fn(&mut T) -> WasiP3Ctx<'_>,
}

impl<D: 'static> StreamProducer<D> for Acceptor<D> {
    type Item = Resource<TcpSocket>;
    type Buffer = Option<Resource<TcpSocket>>;

    fn poll_produce<'a>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        mut dst: Destination<'a, Self::Item, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let probe = dst.remaining(&mut store) == Some(0);
        loop {
            let mut guard = match self.fd.poll_read_ready(cx) {
                Poll::Pending if finish => return Poll::Ready(Ok(StreamResult::Cancelled)),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(g)) => g,
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(StreamResult::Dropped)),
            };
            if probe {
                return Poll::Ready(Ok(StreamResult::Completed));
            }
            let accepted = guard.try_io(|fd| {
                warden_kernel::sys::accept(warden_kernel::sys::borrow(fd.get_ref()))
                    .map_err(io::Error::from)
            });
            let conn = match accepted {
                Err(_would_block) => continue,
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => {
                    let errno = rustix::io::Errno::from_io_error(&e);
                    if errno.is_some_and(warden_kernel::sys::transient_accept_error) {
                        continue;
                    }
                    // Out of descriptors or memory: the stream ends.
                    return Poll::Ready(Ok(StreamResult::Dropped));
                }
            };
            // An accepted connection is established: safe to register.
            let fd = match register(conn) {
                Ok(fd) => fd,
                Err(_) => continue,
            };
            let socket = TcpSocket::new(SocketFd::Registered(fd), self.family, TcpState::Connected);
            let ctx = (self.getter)(store.data_mut());
            let socket = ctx.table.push(socket)?;
            dst.set_buffer(Some(socket));
            return Poll::Ready(Ok(StreamResult::Completed));
        }
    }
}

/// Most bytes one receive takes when the reader is not a guest buffer.
const CHUNK: usize = 64 * 1024;

/// The host's write end of a TCP `receive` stream: each guest read is one
/// `recv` straight into the guest's buffer, after a readiness wait.
struct Receiver {
    fd: Registered,
    done: Option<Done<ErrorCode>>,
}

impl Receiver {
    fn finish(&mut self, r: Result<(), ErrorCode>) -> Poll<wasmtime::Result<StreamResult>> {
        if let Some(done) = self.done.take() {
            let _ = done.send(r);
        }
        Poll::Ready(Ok(StreamResult::Dropped))
    }
}

impl Drop for Receiver {
    /// The guest dropped the stream before its end: nothing more will be
    /// read (POSIX `shutdown(SHUT_RD)`), and the outcome is `ok`.
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = rustix::net::shutdown(self.fd.get_ref(), rustix::net::Shutdown::Read);
            let _ = done.send(Ok(()));
        }
    }
}

impl<D> StreamProducer<D> for Receiver {
    type Item = u8;
    type Buffer = Option<u8>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        dst: Destination<'a, u8, Option<u8>>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        if self.done.is_none() {
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        let this = &mut *self;
        if dst.remaining(&mut store) == Some(0) {
            // A readiness probe.
            return match this.fd.poll_read_ready(cx) {
                Poll::Ready(_) => Poll::Ready(Ok(StreamResult::Completed)),
                Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
                Poll::Pending => Poll::Pending,
            };
        }
        let mut direct = dst.as_direct(store, CHUNK);
        loop {
            let mut guard = match this.fd.poll_read_ready(cx) {
                Poll::Pending if finish => return Poll::Ready(Ok(StreamResult::Cancelled)),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(g)) => g,
                Poll::Ready(Err(e)) => return this.finish(Err(io_error(e))),
            };
            let buf = direct.remaining();
            let r = guard.try_io(|fd| {
                rustix::net::recv(fd.get_ref(), &mut *buf, RecvFlags::empty())
                    .map(|(n, _)| n)
                    .map_err(io::Error::from)
            });
            match r {
                Err(_would_block) => continue,
                Ok(Ok(0)) => return this.finish(Ok(())),
                Ok(Ok(n)) => {
                    direct.mark_written(n);
                    return Poll::Ready(Ok(StreamResult::Completed));
                }
                Ok(Err(e)) => return this.finish(Err(io_error(e))),
            }
        }
    }
}

/// The host's read end of a TCP `send` stream: each guest write is sent
/// straight from the guest's buffer, after a readiness wait. The guest
/// closing the stream shuts the sending side down (a FIN).
struct Sender {
    fd: Registered,
    done: Option<Done<ErrorCode>>,
}

impl Sender {
    fn finish(&mut self, r: Result<(), ErrorCode>) -> Poll<wasmtime::Result<StreamResult>> {
        if let Some(done) = self.done.take() {
            let _ = done.send(r);
        }
        Poll::Ready(Ok(StreamResult::Dropped))
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let r = rustix::net::shutdown(self.fd.get_ref(), rustix::net::Shutdown::Write);
            let _ = done.send(match r {
                Ok(()) | Err(rustix::io::Errno::NOTCONN) => Ok(()),
                Err(e) => Err(error_code(e.into())),
            });
        }
    }
}

impl<D> StreamConsumer<D> for Sender {
    type Item = u8;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        source: Source<'_, u8>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        if self.done.is_none() {
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        let this = &mut *self;
        let mut src = source.as_direct(store);
        loop {
            let mut guard = match this.fd.poll_write_ready(cx) {
                Poll::Pending if finish => return Poll::Ready(Ok(StreamResult::Cancelled)),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(g)) => g,
                Poll::Ready(Err(e)) => return this.finish(Err(io_error(e))),
            };
            let bytes = src.remaining();
            if bytes.is_empty() {
                // A readiness probe.
                return Poll::Ready(Ok(StreamResult::Completed));
            }
            let r = guard.try_io(|fd| {
                rustix::net::send(fd.get_ref(), bytes, warden_kernel::sys::SEND_FLAGS)
                    .map_err(io::Error::from)
            });
            match r {
                Err(_would_block) => continue,
                Ok(Ok(n)) => {
                    src.mark_read(n);
                    return Poll::Ready(Ok(StreamResult::Completed));
                }
                Ok(Err(e)) => return this.finish(Err(io_error(e))),
            }
        }
    }
}

impl types::HostUdpSocket for WasiP3Ctx<'_> {
    fn create(&mut self, address_family: IpAddressFamily) -> NetResult<Resource<UdpSocket>> {
        if self.kernel.network.udp_disabled {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        let f = family(address_family);
        let fd = match kernel(ipsock::new_socket(f, false)).and_then(register) {
            Ok(fd) => fd,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(self.table.push(UdpSocket {
            fd,
            family: f,
            bound: false,
            remote: None,
        })?))
    }

    fn bind(&mut self, s: Resource<UdpSocket>, local_address: IpSocketAddress) -> NetResult<()> {
        let addr = to_std(local_address);
        let policy = self.kernel.network.clone();
        let sock = self.udp(&s)?;
        if sock.bound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let r = kernel(ipsock::check_family(sock.family, &addr))
            .and_then(|()| allows(&policy, Protocol::Udp, Direction::Bind, addr))
            .and_then(|()| kernel(ipsock::bind(sock.fd.get_ref(), &addr, false)));
        if r.is_ok() {
            sock.bound = true;
        }
        Ok(r)
    }

    fn connect(
        &mut self,
        s: Resource<UdpSocket>,
        remote_address: IpSocketAddress,
    ) -> NetResult<()> {
        let addr = to_std(remote_address);
        let policy = self.kernel.network.clone();
        let sock = self.udp(&s)?;
        let r = kernel(ipsock::check_remote(sock.family, &addr))
            .and_then(|()| allows(&policy, Protocol::Udp, Direction::Connect, addr))
            .and_then(|()| {
                kernel(rustix::net::connect(sock.fd.get_ref(), &addr).map_err(Errno::from))
            });
        if r.is_ok() {
            sock.bound = true;
            sock.remote = Some(addr);
        }
        Ok(r)
    }

    fn disconnect(&mut self, s: Resource<UdpSocket>) -> NetResult<()> {
        let sock = self.udp(&s)?;
        if sock.remote.is_none() {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let r = kernel(ipsock::udp_disconnect(sock.fd.get_ref()));
        if r.is_ok() {
            sock.remote = None;
        }
        Ok(r)
    }

    fn get_local_address(&mut self, s: Resource<UdpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.udp(&s)?;
        if !sock.bound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(kernel(ipsock::local_addr(sock.fd.get_ref())).map(from_std))
    }

    fn get_remote_address(&mut self, s: Resource<UdpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.udp(&s)?;
        Ok(sock.remote.map(from_std).ok_or(ErrorCode::InvalidState))
    }

    fn get_address_family(&mut self, s: Resource<UdpSocket>) -> wasmtime::Result<IpAddressFamily> {
        Ok(wit_family(self.udp(&s)?.family))
    }
    fn get_unicast_hop_limit(&mut self, s: Resource<UdpSocket>) -> NetResult<u8> {
        let sock = self.udp(&s)?;
        Ok(kernel(ipsock::hop_limit(sock.fd.get_ref(), sock.family)))
    }
    fn set_unicast_hop_limit(&mut self, s: Resource<UdpSocket>, value: u8) -> NetResult<()> {
        let sock = self.udp(&s)?;
        Ok(kernel(ipsock::set_hop_limit(
            sock.fd.get_ref(),
            sock.family,
            value,
        )))
    }
    fn get_receive_buffer_size(&mut self, s: Resource<UdpSocket>) -> NetResult<u64> {
        Ok(kernel(ipsock::buffer_size(
            self.udp(&s)?.fd.get_ref(),
            true,
        )))
    }
    fn set_receive_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> NetResult<()> {
        let fd = self.udp(&s)?.fd.get_ref();
        Ok(kernel(ipsock::set_buffer_size(fd, value, true)))
    }
    fn get_send_buffer_size(&mut self, s: Resource<UdpSocket>) -> NetResult<u64> {
        Ok(kernel(ipsock::buffer_size(
            self.udp(&s)?.fd.get_ref(),
            false,
        )))
    }
    fn set_send_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> NetResult<()> {
        let fd = self.udp(&s)?.fd.get_ref();
        Ok(kernel(ipsock::set_buffer_size(fd, value, false)))
    }

    fn drop(&mut self, s: Resource<UdpSocket>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

impl<T: Send + 'static> types::HostUdpSocketWithStore<T> for WasiP3 {
    async fn send(
        accessor: &Accessor<T, Self>,
        s: Resource<UdpSocket>,
        data: Vec<u8>,
        remote_address: Option<IpSocketAddress>,
    ) -> NetResult<()> {
        let to = remote_address.map(to_std);
        let checked = accessor.with(|mut access| -> wasmtime::Result<_> {
            let ctx = access.get();
            let policy = &ctx.kernel.network;
            let sock: &mut UdpSocket = ctx.table.get_mut(&s)?;
            if data.len() > MAX_DATAGRAM {
                return Ok(Err(ErrorCode::DatagramTooLarge));
            }
            let target = match (sock.remote, to) {
                (Some(r), Some(t)) if r != t => return Ok(Err(ErrorCode::InvalidArgument)),
                (Some(_), _) => None,
                (None, Some(t)) => Some(t),
                (None, None) => return Ok(Err(ErrorCode::InvalidArgument)),
            };
            if let Some(t) = target {
                if let Err(e) = kernel(ipsock::check_remote(sock.family, &t))
                    .and_then(|()| allows(policy, Protocol::Udp, Direction::Connect, t))
                {
                    return Ok(Err(e));
                }
            }
            Ok(Ok((sock.fd.clone(), target)))
        })?;
        let (fd, target) = match checked {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let r = loop {
            let mut guard = match fd.writable().await {
                Ok(g) => g,
                Err(e) => break Err(io_error(e)),
            };
            let sent = guard.try_io(|fd| {
                match target {
                    Some(t) => rustix::net::sendto(fd.get_ref(), &data, SendFlags::empty(), &t),
                    None => rustix::net::send(fd.get_ref(), &data, SendFlags::empty()),
                }
                .map_err(io::Error::from)
            });
            match sent {
                Err(_would_block) => continue,
                Ok(Ok(_)) => break Ok(()),
                Ok(Err(e)) => break Err(udp_error(io_error(e))),
            }
        };
        if r.is_ok() {
            // A send binds an unbound socket implicitly.
            accessor.with(|mut access| {
                if let Ok(sock) = access.get().table.get_mut(&s) {
                    sock.bound = true;
                }
            });
        }
        Ok(r)
    }

    async fn receive(
        accessor: &Accessor<T, Self>,
        s: Resource<UdpSocket>,
    ) -> NetResult<(Vec<u8>, IpSocketAddress)> {
        let fd = accessor.with(|mut access| -> wasmtime::Result<_> {
            let sock: &mut UdpSocket = access.get().table.get_mut(&s)?;
            Ok(if sock.bound {
                Ok(sock.fd.clone())
            } else {
                Err(ErrorCode::InvalidState)
            })
        })?;
        let fd = match fd {
            Ok(fd) => fd,
            Err(e) => return Ok(Err(e)),
        };
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            // An ICMP error (port unreachable) leaves the socket with an
            // error and nothing to read: epoll reports EPOLLERR alone, which
            // `readable()` does not wake for. Wait for either, and let the
            // recvfrom below report the error.
            let mut guard = match fd.ready(Interest::READABLE | Interest::ERROR).await {
                Ok(g) => g,
                Err(e) => return Ok(Err(io_error(e))),
            };
            let got = guard.try_io(|fd| {
                rustix::net::recvfrom(fd.get_ref(), &mut buf, RecvFlags::empty())
                    .map_err(io::Error::from)
            });
            match got {
                Err(_would_block) => continue,
                Ok(Ok((n, _, Some(from)))) => {
                    let Ok(from) = SocketAddr::try_from(from) else {
                        continue;
                    };
                    buf.truncate(n);
                    return Ok(Ok((buf, from_std(from))));
                }
                Ok(Ok((_, _, None))) => continue,
                Ok(Err(e)) => return Ok(Err(udp_error(io_error(e)))),
            }
        }
    }
}

/// UDP reports an ICMP "port unreachable" as a reset connection; the WIT
/// calls that `remote-unreachable`.
fn udp_error(e: ErrorCode) -> ErrorCode {
    match e {
        ErrorCode::ConnectionReset => ErrorCode::RemoteUnreachable,
        e => e,
    }
}

impl ip_name_lookup::Host for WasiP3Ctx<'_> {}

impl<T: Send + 'static> ip_name_lookup::HostWithStore<T> for WasiP3 {
    async fn resolve_addresses(
        accessor: &Accessor<T, Self>,
        name: String,
    ) -> wasmtime::Result<Result<Vec<types::IpAddress>, ip_name_lookup::ErrorCode>> {
        use ip_name_lookup::ErrorCode as E;
        let request =
            accessor.with(|mut access| ipsock::lookup_request(&access.get().kernel.network, &name));
        let found = match request {
            Ok(Lookup::Literal(ip)) => Ok(vec![ip]),
            // getaddrinfo blocks: it runs on the blocking pool, and the
            // guest's other tasks go on meanwhile.
            Ok(Lookup::Name(name)) => tokio::task::spawn_blocking(move || ipsock::resolve(&name))
                .await
                .unwrap_or(Err(LookupError::Unresolvable)),
            Err(e) => Err(e),
        };
        Ok(match found {
            Ok(addrs) => Ok(addrs.into_iter().map(ip_address).collect()),
            // Not granted: the resolver is not there for this guest
            // (Wasmtime answers the same).
            Err(LookupError::Denied) => Err(E::PermanentResolverFailure),
            Err(LookupError::Invalid) => Err(E::InvalidArgument),
            Err(LookupError::Unresolvable) => Err(E::NameUnresolvable),
        })
    }
}
