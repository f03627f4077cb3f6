//! wasi:sockets — network, instance-network, tcp, udp, ip-name-lookup.
//!
//! Deny by default. Creating a socket and reading or setting its options
//! touch no network and need no grant. What reaches the network — bind,
//! listen, connect, sending to an address, name lookup — is checked against
//! the kernel's [`NetworkPolicy`](warden_kernel::net::NetworkPolicy) first
//! and fails with `access-denied` at once when not granted.
//!
//! Sockets are non-blocking host sockets; `start-*`/`finish-*` follow the
//! WIT state machine, and a blocking stream call waits in `poll(2)`.

use crate::bindings::wasi::sockets::{
    instance_network, ip_name_lookup, network, tcp, tcp_create_socket, udp, udp_create_socket,
};
use crate::io::{
    InputStream, IoError, OutputStream, Pollable, WATCH_READ, WATCH_READY, WATCH_WRITE,
};
use crate::WasiP2;
use network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use rustix::net::{sockopt, RecvFlags, SendFlags, SocketAddrAny, SocketType};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use warden_kernel::fs::host::HostSocket;
use warden_kernel::fs::File;
use warden_kernel::ipsock::{self, Family, KeepAlive, Lookup, LookupError};
use warden_kernel::net::{Direction, Protocol};
use warden_kernel::sys::{AsFd, BorrowedFd, OwnedFd};
use warden_kernel::types::FileType;
use warden_kernel::Errno;
use wasmtime::component::Resource;

/// The network capability handed to a component; what it allows is the
/// kernel's network policy.
pub struct Network;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TcpState {
    Unbound,
    BindStarted,
    Bound,
    ListenStarted,
    Listening,
    Connecting,
    Connected,
    /// A connect failed; the socket cannot be used again.
    Closed,
}

/// A TCP socket.
pub struct TcpSocket {
    /// The host socket, as a kernel file so streams and pollables use it.
    file: Arc<HostSocket>,
    family: IpAddressFamily,
    state: TcpState,
    backlog: u32,
    /// What the socket's pollable waits for, kept in step with `state`.
    interest: Arc<AtomicU8>,
}

impl TcpSocket {
    fn new(file: Arc<HostSocket>, family: IpAddressFamily, state: TcpState) -> TcpSocket {
        let mut s = TcpSocket {
            file,
            family,
            state,
            backlog: 128,
            interest: Arc::new(AtomicU8::new(WATCH_READY)),
        };
        s.set_state(state);
        s
    }

    fn set_state(&mut self, state: TcpState) {
        self.state = state;
        let interest = match state {
            TcpState::Listening => WATCH_READ,
            TcpState::Connecting => WATCH_WRITE,
            _ => WATCH_READY,
        };
        self.interest.store(interest, Ordering::Relaxed);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UdpState {
    Unbound,
    BindStarted,
    Bound,
}

/// A UDP socket.
pub struct UdpSocket {
    file: Arc<HostSocket>,
    family: IpAddressFamily,
    state: UdpState,
    /// The address `stream` connected the socket to, if any.
    remote: Option<SocketAddr>,
}

/// Datagrams arriving on a UDP socket.
pub struct IncomingDatagramStream {
    file: Arc<HostSocket>,
    remote: Option<SocketAddr>,
}

/// Datagrams leaving a UDP socket.
pub struct OutgoingDatagramStream {
    file: Arc<HostSocket>,
    remote: Option<SocketAddr>,
    /// Datagrams the last `check-send` allowed.
    permit: u64,
}

/// The answers of a name lookup, handed out one at a time.
pub struct ResolveAddressStream {
    addrs: std::vec::IntoIter<IpAddr>,
}

/// Datagrams `check-send` allows at once.
const SEND_PERMIT: u64 = 64;
/// Largest datagram received.
const MAX_DATAGRAM: usize = 65_536;

type NetResult<T> = wasmtime::Result<Result<T, ErrorCode>>;

fn net_error(e: Errno) -> ErrorCode {
    match e {
        Errno::Acces | Errno::Perm => ErrorCode::AccessDenied,
        Errno::Notsup | Errno::Afnosupport | Errno::Protonosupport => ErrorCode::NotSupported,
        Errno::Inval => ErrorCode::InvalidArgument,
        Errno::Nomem | Errno::Nobufs => ErrorCode::OutOfMemory,
        Errno::Timedout => ErrorCode::Timeout,
        Errno::Again => ErrorCode::WouldBlock,
        Errno::Mfile | Errno::Nfile => ErrorCode::NewSocketLimit,
        Errno::Addrnotavail => ErrorCode::AddressNotBindable,
        Errno::Addrinuse => ErrorCode::AddressInUse,
        Errno::Hostunreach | Errno::Netunreach | Errno::Netdown => ErrorCode::RemoteUnreachable,
        Errno::Connrefused => ErrorCode::ConnectionRefused,
        Errno::Connreset | Errno::Pipe => ErrorCode::ConnectionReset,
        Errno::Connaborted => ErrorCode::ConnectionAborted,
        Errno::Msgsize => ErrorCode::DatagramTooLarge,
        _ => ErrorCode::Unknown,
    }
}

fn sys<T>(r: rustix::io::Result<T>) -> Result<T, ErrorCode> {
    r.map_err(|e| net_error(Errno::from(e)))
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

fn ip_address(ip: IpAddr) -> IpAddress {
    match ip {
        IpAddr::V4(v4) => {
            let [x, y, z, w] = v4.octets();
            IpAddress::Ipv4((x, y, z, w))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddress::Ipv6((s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]))
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

fn any_to_std(a: SocketAddrAny) -> Result<SocketAddr, ErrorCode> {
    SocketAddr::try_from(a).map_err(|_| ErrorCode::Unknown)
}

fn family(f: IpAddressFamily) -> Family {
    match f {
        IpAddressFamily::Ipv4 => Family::Ipv4,
        IpAddressFamily::Ipv6 => Family::Ipv6,
    }
}

fn kernel<T>(r: warden_kernel::Result<T>) -> Result<T, ErrorCode> {
    r.map_err(net_error)
}

fn new_socket(family: IpAddressFamily, kind: SocketType) -> Result<Arc<HostSocket>, ErrorCode> {
    let stream = kind == SocketType::STREAM;
    let fd: OwnedFd = kernel(ipsock::new_socket(self::family(family), stream))?;
    let ft = if stream {
        FileType::SocketStream
    } else {
        FileType::SocketDgram
    };
    Ok(Arc::new(HostSocket::new(fd, ft)))
}

fn check_family(f: IpAddressFamily, addr: &SocketAddr) -> Result<(), ErrorCode> {
    kernel(ipsock::check_family(family(f), addr))
}

fn check_remote(f: IpAddressFamily, addr: &SocketAddr) -> Result<(), ErrorCode> {
    kernel(ipsock::check_remote(family(f), addr))
}

fn fd_of(f: &Arc<HostSocket>) -> BorrowedFd<'_> {
    f.host_fd().expect("a socket has a host descriptor")
}

fn ready_now(f: &Arc<HostSocket>, read: bool) -> bool {
    crate::io::ready_now(&**f, read).unwrap_or(false)
}

fn hop_limit(fd: &impl AsFd, f: IpAddressFamily) -> Result<u8, ErrorCode> {
    kernel(ipsock::hop_limit(fd, family(f)))
}

fn set_hop_limit(fd: &impl AsFd, f: IpAddressFamily, value: u8) -> Result<(), ErrorCode> {
    kernel(ipsock::set_hop_limit(fd, family(f), value))
}

fn buffer_size(fd: &impl AsFd, recv: bool) -> Result<u64, ErrorCode> {
    kernel(ipsock::buffer_size(fd, recv))
}

fn set_buffer_size(fd: &impl AsFd, value: u64, recv: bool) -> Result<(), ErrorCode> {
    kernel(ipsock::set_buffer_size(fd, value, recv))
}

fn keep_alive(fd: &impl AsFd, which: KeepAlive) -> Result<u64, ErrorCode> {
    kernel(ipsock::keep_alive(fd, which))
}

fn set_keep_alive(fd: &impl AsFd, which: KeepAlive, value: u64) -> Result<(), ErrorCode> {
    kernel(ipsock::set_keep_alive(fd, which, value))
}

impl WasiP2 {
    fn allows(
        &self,
        protocol: Protocol,
        direction: Direction,
        addr: SocketAddr,
    ) -> Result<(), ErrorCode> {
        if self.kernel.network.allows(protocol, direction, addr) {
            Ok(())
        } else {
            Err(ErrorCode::AccessDenied)
        }
    }

    fn tcp(&mut self, s: &Resource<TcpSocket>) -> wasmtime::Result<&mut TcpSocket> {
        Ok(self.table.get_mut(s)?)
    }

    fn udp(&mut self, s: &Resource<UdpSocket>) -> wasmtime::Result<&mut UdpSocket> {
        Ok(self.table.get_mut(s)?)
    }

    fn tcp_streams(
        &mut self,
        file: &Arc<HostSocket>,
    ) -> wasmtime::Result<(Resource<InputStream>, Resource<OutputStream>)> {
        let f: Arc<dyn File> = file.clone();
        let input = self.push_input(InputStream::Stream(f.clone()))?;
        let output = self.push_output(OutputStream::stream(f))?;
        Ok((input, output))
    }
}

impl network::Host for WasiP2 {
    fn network_error_code(
        &mut self,
        err: Resource<IoError>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        Ok(Some(net_error(self.table.get(&err)?.0)))
    }
}

impl network::HostNetwork for WasiP2 {
    fn drop(&mut self, r: Resource<Network>) -> wasmtime::Result<()> {
        self.table.delete(r)?;
        Ok(())
    }
}

impl instance_network::Host for WasiP2 {
    fn instance_network(&mut self) -> wasmtime::Result<Resource<Network>> {
        Ok(self.table.push(Network)?)
    }
}

impl tcp_create_socket::Host for WasiP2 {
    fn create_tcp_socket(&mut self, family: IpAddressFamily) -> NetResult<Resource<TcpSocket>> {
        if self.kernel.network.tcp_disabled {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        match new_socket(family, SocketType::STREAM) {
            Ok(file) => Ok(Ok(self.table.push(TcpSocket::new(
                file,
                family,
                TcpState::Unbound,
            ))?)),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl udp_create_socket::Host for WasiP2 {
    fn create_udp_socket(&mut self, family: IpAddressFamily) -> NetResult<Resource<UdpSocket>> {
        if self.kernel.network.udp_disabled {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        match new_socket(family, SocketType::DGRAM) {
            Ok(file) => Ok(Ok(self.table.push(UdpSocket {
                file,
                family,
                state: UdpState::Unbound,
                remote: None,
            })?)),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl tcp::Host for WasiP2 {}

impl tcp::HostTcpSocket for WasiP2 {
    fn start_bind(
        &mut self,
        s: Resource<TcpSocket>,
        net: Resource<Network>,
        addr: IpSocketAddress,
    ) -> NetResult<()> {
        self.table.get(&net)?;
        let addr = to_std(addr);
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::Unbound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        if let Err(e) = kernel(ipsock::check_local(family(sock.family), &addr)) {
            return Ok(Err(e));
        }
        if let Err(e) = self.allows(Protocol::Tcp, Direction::Bind, addr) {
            return Ok(Err(e));
        }
        let sock = self.tcp(&s)?;
        match ipsock::bind(fd_of(&sock.file), &addr, true) {
            Ok(()) => {
                sock.set_state(TcpState::BindStarted);
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(net_error(e))),
        }
    }

    fn finish_bind(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::BindStarted {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        sock.set_state(TcpState::Bound);
        Ok(Ok(()))
    }

    fn start_connect(
        &mut self,
        s: Resource<TcpSocket>,
        net: Resource<Network>,
        addr: IpSocketAddress,
    ) -> NetResult<()> {
        self.table.get(&net)?;
        let addr = to_std(addr);
        let sock = self.tcp(&s)?;
        if !matches!(sock.state, TcpState::Unbound | TcpState::Bound) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        if let Err(e) = check_remote(sock.family, &addr) {
            return Ok(Err(e));
        }
        if let Err(e) = self.allows(Protocol::Tcp, Direction::Connect, addr) {
            return Ok(Err(e));
        }
        let sock = self.tcp(&s)?;
        match rustix::net::connect(fd_of(&sock.file), &addr) {
            Ok(()) | Err(rustix::io::Errno::INPROGRESS) => {
                sock.set_state(TcpState::Connecting);
                Ok(Ok(()))
            }
            Err(e) => {
                sock.set_state(TcpState::Closed);
                Ok(Err(net_error(e.into())))
            }
        }
    }

    fn finish_connect(
        &mut self,
        s: Resource<TcpSocket>,
    ) -> NetResult<(Resource<InputStream>, Resource<OutputStream>)> {
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::Connecting {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        if !ready_now(&sock.file, false) {
            return Ok(Err(ErrorCode::WouldBlock));
        }
        match sockopt::socket_error(fd_of(&sock.file)) {
            Ok(Ok(())) => {
                sock.set_state(TcpState::Connected);
                let file = sock.file.clone();
                Ok(Ok(self.tcp_streams(&file)?))
            }
            Ok(Err(e)) | Err(e) => {
                sock.set_state(TcpState::Closed);
                Ok(Err(net_error(e.into())))
            }
        }
    }

    fn start_listen(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        let sock = self.tcp(&s)?;
        match sock.state {
            TcpState::Bound => {}
            TcpState::ListenStarted
            | TcpState::Listening
            | TcpState::Connecting
            | TcpState::Connected => {
                return Ok(Err(ErrorCode::InvalidState));
            }
            _ => return Ok(Err(ErrorCode::InvalidState)),
        }
        match rustix::net::listen(fd_of(&sock.file), sock.backlog.min(i32::MAX as u32) as i32) {
            Ok(()) => {
                sock.set_state(TcpState::ListenStarted);
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(net_error(e.into()))),
        }
    }

    fn finish_listen(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::ListenStarted {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        sock.set_state(TcpState::Listening);
        Ok(Ok(()))
    }

    fn accept(
        &mut self,
        s: Resource<TcpSocket>,
    ) -> NetResult<(
        Resource<TcpSocket>,
        Resource<InputStream>,
        Resource<OutputStream>,
    )> {
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::Listening {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let family = sock.family;
        let fd = match warden_kernel::sys::accept(fd_of(&sock.file)) {
            Ok(fd) => fd,
            Err(e) => return Ok(Err(net_error(e.into()))),
        };
        let file = Arc::new(HostSocket::new(fd, FileType::SocketStream));
        let (input, output) = self.tcp_streams(&file)?;
        let conn = self
            .table
            .push(TcpSocket::new(file, family, TcpState::Connected))?;
        Ok(Ok((conn, input, output)))
    }

    fn local_address(&mut self, s: Resource<TcpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.tcp(&s)?;
        if matches!(
            sock.state,
            TcpState::Unbound | TcpState::BindStarted | TcpState::Closed
        ) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(sys(rustix::net::getsockname(fd_of(&sock.file)))
            .and_then(any_to_std)
            .map(from_std))
    }

    fn remote_address(&mut self, s: Resource<TcpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::Connected {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(sys(rustix::net::getpeername(fd_of(&sock.file)))
            .and_then(|a| a.ok_or(ErrorCode::InvalidState))
            .and_then(any_to_std)
            .map(from_std))
    }

    fn is_listening(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<bool> {
        Ok(self.tcp(&s)?.state == TcpState::Listening)
    }

    fn address_family(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<IpAddressFamily> {
        Ok(self.tcp(&s)?.family)
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
            return Ok(sys(rustix::net::listen(
                fd_of(&sock.file),
                sock.backlog as i32,
            )));
        }
        Ok(Ok(()))
    }

    fn keep_alive_enabled(&mut self, s: Resource<TcpSocket>) -> NetResult<bool> {
        Ok(keep_alive(&fd_of(&self.tcp(&s)?.file), KeepAlive::Enabled).map(|v| v != 0))
    }
    fn set_keep_alive_enabled(&mut self, s: Resource<TcpSocket>, value: bool) -> NetResult<()> {
        let fd = fd_of(&self.tcp(&s)?.file);
        Ok(set_keep_alive(&fd, KeepAlive::Enabled, value.into()))
    }
    fn keep_alive_idle_time(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(keep_alive(&fd_of(&self.tcp(&s)?.file), KeepAlive::IdleTime))
    }
    fn set_keep_alive_idle_time(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let fd = fd_of(&self.tcp(&s)?.file);
        Ok(set_keep_alive(&fd, KeepAlive::IdleTime, value))
    }
    fn keep_alive_interval(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(keep_alive(&fd_of(&self.tcp(&s)?.file), KeepAlive::Interval))
    }
    fn set_keep_alive_interval(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let fd = fd_of(&self.tcp(&s)?.file);
        Ok(set_keep_alive(&fd, KeepAlive::Interval, value))
    }
    fn keep_alive_count(&mut self, s: Resource<TcpSocket>) -> NetResult<u32> {
        Ok(keep_alive(&fd_of(&self.tcp(&s)?.file), KeepAlive::Count).map(|v| v as u32))
    }
    fn set_keep_alive_count(&mut self, s: Resource<TcpSocket>, value: u32) -> NetResult<()> {
        let fd = fd_of(&self.tcp(&s)?.file);
        Ok(set_keep_alive(&fd, KeepAlive::Count, value.into()))
    }
    fn hop_limit(&mut self, s: Resource<TcpSocket>) -> NetResult<u8> {
        let sock = self.tcp(&s)?;
        Ok(hop_limit(&fd_of(&sock.file), sock.family))
    }
    fn set_hop_limit(&mut self, s: Resource<TcpSocket>, value: u8) -> NetResult<()> {
        let sock = self.tcp(&s)?;
        Ok(set_hop_limit(&fd_of(&sock.file), sock.family, value))
    }
    fn receive_buffer_size(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(buffer_size(&fd_of(&self.tcp(&s)?.file), true))
    }
    fn set_receive_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        Ok(set_buffer_size(&fd_of(&self.tcp(&s)?.file), value, true))
    }
    fn send_buffer_size(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(buffer_size(&fd_of(&self.tcp(&s)?.file), false))
    }
    fn set_send_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        Ok(set_buffer_size(&fd_of(&self.tcp(&s)?.file), value, false))
    }

    fn subscribe(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<Resource<Pollable>> {
        let sock = self.tcp(&s)?;
        let file: Arc<dyn File> = sock.file.clone();
        // Follows the socket's state for its whole life (WIT: subscribe
        // once, reuse the pollable).
        let p = Pollable::Watch {
            file,
            interest: sock.interest.clone(),
        };
        self.push_pollable(p)
    }

    fn shutdown(&mut self, s: Resource<TcpSocket>, how: tcp::ShutdownType) -> NetResult<()> {
        let sock = self.tcp(&s)?;
        if sock.state != TcpState::Connected {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let how = match how {
            tcp::ShutdownType::Receive => rustix::net::Shutdown::Read,
            tcp::ShutdownType::Send => rustix::net::Shutdown::Write,
            tcp::ShutdownType::Both => rustix::net::Shutdown::Both,
        };
        Ok(sys(rustix::net::shutdown(fd_of(&sock.file), how)))
    }

    fn drop(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

impl udp::Host for WasiP2 {}

impl udp::HostUdpSocket for WasiP2 {
    fn start_bind(
        &mut self,
        s: Resource<UdpSocket>,
        net: Resource<Network>,
        addr: IpSocketAddress,
    ) -> NetResult<()> {
        self.table.get(&net)?;
        let addr = to_std(addr);
        let sock = self.udp(&s)?;
        if sock.state != UdpState::Unbound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        if let Err(e) = check_family(sock.family, &addr) {
            return Ok(Err(e));
        }
        if let Err(e) = self.allows(Protocol::Udp, Direction::Bind, addr) {
            return Ok(Err(e));
        }
        let sock = self.udp(&s)?;
        match rustix::net::bind(fd_of(&sock.file), &addr) {
            Ok(()) => {
                sock.state = UdpState::BindStarted;
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(net_error(e.into()))),
        }
    }

    fn finish_bind(&mut self, s: Resource<UdpSocket>) -> NetResult<()> {
        let sock = self.udp(&s)?;
        if sock.state != UdpState::BindStarted {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        sock.state = UdpState::Bound;
        Ok(Ok(()))
    }

    fn stream(
        &mut self,
        s: Resource<UdpSocket>,
        remote: Option<IpSocketAddress>,
    ) -> NetResult<(
        Resource<IncomingDatagramStream>,
        Resource<OutgoingDatagramStream>,
    )> {
        let remote = remote.map(to_std);
        let sock = self.udp(&s)?;
        if sock.state != UdpState::Bound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let family = sock.family;
        if let Some(addr) = remote {
            if let Err(e) = check_remote(family, &addr) {
                return Ok(Err(e));
            }
            if let Err(e) = self.allows(Protocol::Udp, Direction::Connect, addr) {
                return Ok(Err(e));
            }
        }
        let sock = self.udp(&s)?;
        let fd = fd_of(&sock.file);
        let r = match remote {
            Some(addr) => rustix::net::connect(fd, &addr).map_err(Errno::from),
            None if sock.remote.is_some() => ipsock::udp_disconnect(fd),
            None => Ok(()),
        };
        if let Err(e) = r {
            return Ok(Err(net_error(e)));
        }
        sock.remote = remote;
        let file = sock.file.clone();
        let incoming = self.table.push(IncomingDatagramStream {
            file: file.clone(),
            remote,
        })?;
        let outgoing = self.table.push(OutgoingDatagramStream {
            file,
            remote,
            permit: 0,
        })?;
        Ok(Ok((incoming, outgoing)))
    }

    fn local_address(&mut self, s: Resource<UdpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.udp(&s)?;
        if sock.state != UdpState::Bound {
            return Ok(Err(ErrorCode::InvalidState));
        }
        Ok(sys(rustix::net::getsockname(fd_of(&sock.file)))
            .and_then(any_to_std)
            .map(from_std))
    }

    fn remote_address(&mut self, s: Resource<UdpSocket>) -> NetResult<IpSocketAddress> {
        let sock = self.udp(&s)?;
        Ok(sock.remote.map(from_std).ok_or(ErrorCode::InvalidState))
    }

    fn address_family(&mut self, s: Resource<UdpSocket>) -> wasmtime::Result<IpAddressFamily> {
        Ok(self.udp(&s)?.family)
    }
    fn unicast_hop_limit(&mut self, s: Resource<UdpSocket>) -> NetResult<u8> {
        let sock = self.udp(&s)?;
        Ok(hop_limit(&fd_of(&sock.file), sock.family))
    }
    fn set_unicast_hop_limit(&mut self, s: Resource<UdpSocket>, value: u8) -> NetResult<()> {
        let sock = self.udp(&s)?;
        Ok(set_hop_limit(&fd_of(&sock.file), sock.family, value))
    }
    fn receive_buffer_size(&mut self, s: Resource<UdpSocket>) -> NetResult<u64> {
        Ok(buffer_size(&fd_of(&self.udp(&s)?.file), true))
    }
    fn set_receive_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> NetResult<()> {
        Ok(set_buffer_size(&fd_of(&self.udp(&s)?.file), value, true))
    }
    fn send_buffer_size(&mut self, s: Resource<UdpSocket>) -> NetResult<u64> {
        Ok(buffer_size(&fd_of(&self.udp(&s)?.file), false))
    }
    fn set_send_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> NetResult<()> {
        Ok(set_buffer_size(&fd_of(&self.udp(&s)?.file), value, false))
    }
    fn subscribe(&mut self, s: Resource<UdpSocket>) -> wasmtime::Result<Resource<Pollable>> {
        self.udp(&s)?;
        self.push_pollable(Pollable::Ready)
    }
    fn drop(&mut self, s: Resource<UdpSocket>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

impl udp::HostIncomingDatagramStream for WasiP2 {
    fn receive(
        &mut self,
        s: Resource<IncomingDatagramStream>,
        max: u64,
    ) -> NetResult<Vec<udp::IncomingDatagram>> {
        let stream = self.table.get(&s)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; MAX_DATAGRAM];
        while (out.len() as u64) < max.min(SEND_PERMIT) {
            match rustix::net::recvfrom(fd_of(&stream.file), &mut buf, RecvFlags::empty()) {
                Ok((n, _, from)) => {
                    let from = match from.map(any_to_std) {
                        Some(Ok(a)) => a,
                        _ => match stream.remote {
                            Some(r) => r,
                            None => continue,
                        },
                    };
                    if stream.remote.is_some_and(|r| r != from) {
                        continue; // not from the connected peer
                    }
                    out.push(udp::IncomingDatagram {
                        data: buf[..n].to_vec(),
                        remote_address: from_std(from),
                    });
                }
                Err(rustix::io::Errno::AGAIN) => break,
                Err(e) if out.is_empty() => return Ok(Err(net_error(e.into()))),
                Err(_) => break,
            }
        }
        Ok(Ok(out))
    }
    fn subscribe(
        &mut self,
        s: Resource<IncomingDatagramStream>,
    ) -> wasmtime::Result<Resource<Pollable>> {
        let file: Arc<dyn File> = self.table.get(&s)?.file.clone();
        self.push_pollable(Pollable::Host { file, read: true })
    }
    fn drop(&mut self, s: Resource<IncomingDatagramStream>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

impl udp::HostOutgoingDatagramStream for WasiP2 {
    fn check_send(&mut self, s: Resource<OutgoingDatagramStream>) -> NetResult<u64> {
        let stream = self.table.get_mut(&s)?;
        stream.permit = if ready_now(&stream.file, false) {
            SEND_PERMIT
        } else {
            0
        };
        Ok(Ok(stream.permit))
    }

    fn send(
        &mut self,
        s: Resource<OutgoingDatagramStream>,
        datagrams: Vec<udp::OutgoingDatagram>,
    ) -> NetResult<u64> {
        let (remote, permit) = {
            let stream = self.table.get(&s)?;
            (stream.remote, stream.permit)
        };
        if datagrams.len() as u64 > permit {
            wasmtime::bail!(
                "wasi:sockets/udp.outgoing-datagram-stream.send of {} datagrams exceeds the check-send permit of {permit}",
                datagrams.len()
            );
        }
        let family = {
            // The family of the socket, from the stream's own descriptor.
            let stream = self.table.get(&s)?;
            match rustix::net::getsockname(fd_of(&stream.file))
                .ok()
                .and_then(|a| SocketAddr::try_from(a).ok())
            {
                Some(SocketAddr::V6(_)) => IpAddressFamily::Ipv6,
                _ => IpAddressFamily::Ipv4,
            }
        };
        let mut sent = 0u64;
        for d in datagrams {
            let to = d.remote_address.map(to_std);
            let target = match (remote, to) {
                (Some(r), Some(t)) if r != t => {
                    return Ok(if sent > 0 {
                        Ok(sent)
                    } else {
                        Err(ErrorCode::InvalidArgument)
                    })
                }
                (Some(r), _) => r,
                (None, Some(t)) => t,
                (None, None) => {
                    return Ok(if sent > 0 {
                        Ok(sent)
                    } else {
                        Err(ErrorCode::InvalidArgument)
                    })
                }
            };
            if let Err(e) = check_remote(family, &target)
                .and_then(|()| self.allows(Protocol::Udp, Direction::Connect, target))
            {
                return Ok(if sent > 0 { Ok(sent) } else { Err(e) });
            }
            let stream = self.table.get(&s)?;
            let fd = fd_of(&stream.file);
            let r = if remote.is_some() {
                rustix::net::send(fd, &d.data, SendFlags::empty())
            } else {
                rustix::net::sendto(fd, &d.data, SendFlags::empty(), &target)
            };
            match r {
                Ok(_) => sent += 1,
                Err(rustix::io::Errno::AGAIN) => break,
                Err(e) => {
                    return Ok(if sent > 0 {
                        Ok(sent)
                    } else {
                        Err(net_error(e.into()))
                    })
                }
            }
        }
        self.table.get_mut(&s)?.permit = permit - sent;
        Ok(Ok(sent))
    }

    fn subscribe(
        &mut self,
        s: Resource<OutgoingDatagramStream>,
    ) -> wasmtime::Result<Resource<Pollable>> {
        let file: Arc<dyn File> = self.table.get(&s)?.file.clone();
        self.push_pollable(Pollable::Host { file, read: false })
    }

    fn drop(&mut self, s: Resource<OutgoingDatagramStream>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

impl ip_name_lookup::Host for WasiP2 {
    fn resolve_addresses(
        &mut self,
        net: Resource<Network>,
        name: String,
    ) -> NetResult<Resource<ResolveAddressStream>> {
        self.table.get(&net)?;
        let found = match ipsock::lookup_request(&self.kernel.network, &name) {
            Ok(Lookup::Literal(ip)) => Ok(vec![ip]),
            Ok(Lookup::Name(name)) => ipsock::resolve(&name),
            Err(e) => Err(e),
        };
        let addrs = match found {
            Ok(addrs) => addrs,
            // Not granted: the resolver is not there for this guest
            // (Wasmtime answers the same).
            Err(LookupError::Denied) => return Ok(Err(ErrorCode::PermanentResolverFailure)),
            Err(LookupError::Invalid) => return Ok(Err(ErrorCode::InvalidArgument)),
            Err(LookupError::Unresolvable) => return Ok(Err(ErrorCode::NameUnresolvable)),
        };
        Ok(Ok(self.table.push(ResolveAddressStream {
            addrs: addrs.into_iter(),
        })?))
    }
}

impl ip_name_lookup::HostResolveAddressStream for WasiP2 {
    fn resolve_next_address(
        &mut self,
        s: Resource<ResolveAddressStream>,
    ) -> NetResult<Option<IpAddress>> {
        Ok(Ok(self.table.get_mut(&s)?.addrs.next().map(ip_address)))
    }
    fn subscribe(
        &mut self,
        s: Resource<ResolveAddressStream>,
    ) -> wasmtime::Result<Resource<Pollable>> {
        self.table.get(&s)?;
        self.push_pollable(Pollable::Ready)
    }
    fn drop(&mut self, s: Resource<ResolveAddressStream>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}
