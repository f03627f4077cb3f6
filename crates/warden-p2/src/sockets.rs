//! wasi:sockets — network, instance-network, tcp, udp, ip-name-lookup.
//!
//! Deny by default: a component may create sockets and read or set their
//! options (that touches no network), but everything that reaches the
//! network — bind, listen, connect, sending to an address, name lookup —
//! needs a network grant, and this Warden has no network grants for
//! components yet, so those calls fail with `access-denied`, at once.

use crate::bindings::wasi::sockets::{
    instance_network, ip_name_lookup, network, tcp, tcp_create_socket, udp, udp_create_socket,
};
use crate::io::{InputStream, IoError, OutputStream, Pollable};
use crate::WasiP2;
use network::{ErrorCode, IpAddressFamily, IpSocketAddress};
use rustix::net::{sockopt, AddressFamily, SocketType};
use std::os::fd::OwnedFd;
use std::time::Duration;
use warden_kernel::Errno;
use wasmtime::component::Resource;

/// The network capability a component is handed (empty: no grants).
pub struct Network;

/// A TCP socket, not connected (connections need a grant).
pub struct TcpSocket {
    fd: OwnedFd,
    family: IpAddressFamily,
}

/// A UDP socket, not bound (binding needs a grant).
pub struct UdpSocket {
    fd: OwnedFd,
    family: IpAddressFamily,
}

/// Never created without a network grant.
pub struct IncomingDatagramStream;
/// Never created without a network grant.
pub struct OutgoingDatagramStream;
/// Never created without a network grant.
pub struct ResolveAddressStream;

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
        Errno::Connreset => ErrorCode::ConnectionReset,
        Errno::Connaborted => ErrorCode::ConnectionAborted,
        Errno::Msgsize => ErrorCode::DatagramTooLarge,
        _ => ErrorCode::Unknown,
    }
}

fn sys<T>(r: rustix::io::Result<T>) -> Result<T, ErrorCode> {
    r.map_err(|e| net_error(Errno::from(e)))
}

fn new_socket(family: IpAddressFamily, kind: SocketType) -> Result<OwnedFd, ErrorCode> {
    let af = match family {
        IpAddressFamily::Ipv4 => AddressFamily::INET,
        IpAddressFamily::Ipv6 => AddressFamily::INET6,
    };
    sys(rustix::net::socket_with(
        af,
        kind,
        rustix::net::SocketFlags::CLOEXEC | rustix::net::SocketFlags::NONBLOCK,
        None,
    ))
}

/// The grant check every network-reaching call makes. No grants exist yet.
fn network_denied() -> Result<(), ErrorCode> {
    Err(ErrorCode::AccessDenied)
}

fn hop_limit(fd: &OwnedFd, family: IpAddressFamily) -> Result<u8, ErrorCode> {
    match family {
        IpAddressFamily::Ipv4 => sys(sockopt::ip_ttl(fd)).map(|t| t.min(255) as u8),
        IpAddressFamily::Ipv6 => sys(sockopt::ipv6_unicast_hops(fd)),
    }
}

fn set_hop_limit(fd: &OwnedFd, family: IpAddressFamily, value: u8) -> Result<(), ErrorCode> {
    if value == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    match family {
        IpAddressFamily::Ipv4 => sys(sockopt::set_ip_ttl(fd, value.into())),
        IpAddressFamily::Ipv6 => sys(sockopt::set_ipv6_unicast_hops(fd, Some(value))),
    }
}

fn buffer_size(r: rustix::io::Result<usize>) -> Result<u64, ErrorCode> {
    sys(r).map(|n| n as u64)
}

fn set_buffer_size(fd: &OwnedFd, value: u64, recv: bool) -> Result<(), ErrorCode> {
    if value == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    let v = usize::try_from(value)
        .unwrap_or(usize::MAX)
        .min(i32::MAX as usize / 2);
    sys(if recv {
        sockopt::set_socket_recv_buffer_size(fd, v)
    } else {
        sockopt::set_socket_send_buffer_size(fd, v)
    })
}

fn family_matches(family: IpAddressFamily, addr: &IpSocketAddress) -> bool {
    matches!(
        (family, addr),
        (IpAddressFamily::Ipv4, IpSocketAddress::Ipv4(_))
            | (IpAddressFamily::Ipv6, IpSocketAddress::Ipv6(_))
    )
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
    fn create_tcp_socket(
        &mut self,
        family: IpAddressFamily,
    ) -> NetResult<Resource<tcp::TcpSocket>> {
        match new_socket(family, SocketType::STREAM) {
            Ok(fd) => Ok(Ok(self.table.push(TcpSocket { fd, family })?)),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl udp_create_socket::Host for WasiP2 {
    fn create_udp_socket(
        &mut self,
        family: IpAddressFamily,
    ) -> NetResult<Resource<udp::UdpSocket>> {
        match new_socket(family, SocketType::DGRAM) {
            Ok(fd) => Ok(Ok(self.table.push(UdpSocket { fd, family })?)),
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
        let sock = self.table.get(&s)?;
        if !family_matches(sock.family, &addr) {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(network_denied())
    }
    fn finish_bind(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::NotInProgress))
    }
    fn start_connect(
        &mut self,
        s: Resource<TcpSocket>,
        net: Resource<Network>,
        addr: IpSocketAddress,
    ) -> NetResult<()> {
        self.table.get(&net)?;
        let sock = self.table.get(&s)?;
        if !family_matches(sock.family, &addr) {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(network_denied())
    }
    fn finish_connect(
        &mut self,
        s: Resource<TcpSocket>,
    ) -> NetResult<(Resource<InputStream>, Resource<OutputStream>)> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::NotInProgress))
    }
    fn start_listen(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        self.table.get(&s)?;
        // Listening needs a bound socket, and binding needs a grant.
        Ok(Err(ErrorCode::InvalidState))
    }
    fn finish_listen(&mut self, s: Resource<TcpSocket>) -> NetResult<()> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::NotInProgress))
    }
    fn accept(
        &mut self,
        s: Resource<TcpSocket>,
    ) -> NetResult<(
        Resource<TcpSocket>,
        Resource<InputStream>,
        Resource<OutputStream>,
    )> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
    }
    fn local_address(&mut self, s: Resource<TcpSocket>) -> NetResult<IpSocketAddress> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
    }
    fn remote_address(&mut self, s: Resource<TcpSocket>) -> NetResult<IpSocketAddress> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
    }
    fn is_listening(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<bool> {
        self.table.get(&s)?;
        Ok(false)
    }
    fn address_family(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<IpAddressFamily> {
        Ok(self.table.get(&s)?.family)
    }
    fn set_listen_backlog_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        self.table.get(&s)?;
        Ok(if value == 0 {
            Err(ErrorCode::InvalidArgument)
        } else {
            Ok(())
        })
    }
    fn keep_alive_enabled(&mut self, s: Resource<TcpSocket>) -> NetResult<bool> {
        Ok(sys(sockopt::socket_keepalive(&self.table.get(&s)?.fd)))
    }
    fn set_keep_alive_enabled(&mut self, s: Resource<TcpSocket>, value: bool) -> NetResult<()> {
        Ok(sys(sockopt::set_socket_keepalive(
            &self.table.get(&s)?.fd,
            value,
        )))
    }
    fn keep_alive_idle_time(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(sys(sockopt::tcp_keepidle(&self.table.get(&s)?.fd)).map(|d| d.as_nanos() as u64))
    }
    fn set_keep_alive_idle_time(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let fd = &self.table.get(&s)?.fd;
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        // The host counts in whole seconds; round up so it is never zero.
        let secs = value.div_ceil(1_000_000_000).min(i16::MAX as u64);
        Ok(sys(sockopt::set_tcp_keepidle(
            fd,
            Duration::from_secs(secs),
        )))
    }
    fn keep_alive_interval(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(sys(sockopt::tcp_keepintvl(&self.table.get(&s)?.fd)).map(|d| d.as_nanos() as u64))
    }
    fn set_keep_alive_interval(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        let fd = &self.table.get(&s)?.fd;
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let secs = value.div_ceil(1_000_000_000).min(i16::MAX as u64);
        Ok(sys(sockopt::set_tcp_keepintvl(
            fd,
            Duration::from_secs(secs),
        )))
    }
    fn keep_alive_count(&mut self, s: Resource<TcpSocket>) -> NetResult<u32> {
        Ok(sys(sockopt::tcp_keepcnt(&self.table.get(&s)?.fd)))
    }
    fn set_keep_alive_count(&mut self, s: Resource<TcpSocket>, value: u32) -> NetResult<()> {
        let fd = &self.table.get(&s)?.fd;
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(sys(sockopt::set_tcp_keepcnt(
            fd,
            value.min(i16::MAX as u32),
        )))
    }
    fn hop_limit(&mut self, s: Resource<TcpSocket>) -> NetResult<u8> {
        let sock = self.table.get(&s)?;
        Ok(hop_limit(&sock.fd, sock.family))
    }
    fn set_hop_limit(&mut self, s: Resource<TcpSocket>, value: u8) -> NetResult<()> {
        let sock = self.table.get(&s)?;
        Ok(set_hop_limit(&sock.fd, sock.family, value))
    }
    fn receive_buffer_size(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(buffer_size(sockopt::socket_recv_buffer_size(
            &self.table.get(&s)?.fd,
        )))
    }
    fn set_receive_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        Ok(set_buffer_size(&self.table.get(&s)?.fd, value, true))
    }
    fn send_buffer_size(&mut self, s: Resource<TcpSocket>) -> NetResult<u64> {
        Ok(buffer_size(sockopt::socket_send_buffer_size(
            &self.table.get(&s)?.fd,
        )))
    }
    fn set_send_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> NetResult<()> {
        Ok(set_buffer_size(&self.table.get(&s)?.fd, value, false))
    }
    fn subscribe(&mut self, s: Resource<TcpSocket>) -> wasmtime::Result<Resource<Pollable>> {
        self.table.get(&s)?;
        self.push_pollable(Pollable::Ready)
    }
    fn shutdown(&mut self, s: Resource<TcpSocket>, _how: tcp::ShutdownType) -> NetResult<()> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
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
        let sock = self.table.get(&s)?;
        if !family_matches(sock.family, &addr) {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(network_denied())
    }
    fn finish_bind(&mut self, s: Resource<UdpSocket>) -> NetResult<()> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::NotInProgress))
    }
    fn stream(
        &mut self,
        s: Resource<UdpSocket>,
        _remote: Option<IpSocketAddress>,
    ) -> NetResult<(
        Resource<udp::IncomingDatagramStream>,
        Resource<udp::OutgoingDatagramStream>,
    )> {
        self.table.get(&s)?;
        // Streams need a bound socket, and binding needs a grant.
        Ok(Err(ErrorCode::InvalidState))
    }
    fn local_address(&mut self, s: Resource<UdpSocket>) -> NetResult<IpSocketAddress> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
    }
    fn remote_address(&mut self, s: Resource<UdpSocket>) -> NetResult<IpSocketAddress> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
    }
    fn address_family(&mut self, s: Resource<UdpSocket>) -> wasmtime::Result<IpAddressFamily> {
        Ok(self.table.get(&s)?.family)
    }
    fn unicast_hop_limit(&mut self, s: Resource<UdpSocket>) -> NetResult<u8> {
        let sock = self.table.get(&s)?;
        Ok(hop_limit(&sock.fd, sock.family))
    }
    fn set_unicast_hop_limit(&mut self, s: Resource<UdpSocket>, value: u8) -> NetResult<()> {
        let sock = self.table.get(&s)?;
        Ok(set_hop_limit(&sock.fd, sock.family, value))
    }
    fn receive_buffer_size(&mut self, s: Resource<UdpSocket>) -> NetResult<u64> {
        Ok(buffer_size(sockopt::socket_recv_buffer_size(
            &self.table.get(&s)?.fd,
        )))
    }
    fn set_receive_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> NetResult<()> {
        Ok(set_buffer_size(&self.table.get(&s)?.fd, value, true))
    }
    fn send_buffer_size(&mut self, s: Resource<UdpSocket>) -> NetResult<u64> {
        Ok(buffer_size(sockopt::socket_send_buffer_size(
            &self.table.get(&s)?.fd,
        )))
    }
    fn set_send_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> NetResult<()> {
        Ok(set_buffer_size(&self.table.get(&s)?.fd, value, false))
    }
    fn subscribe(&mut self, s: Resource<UdpSocket>) -> wasmtime::Result<Resource<Pollable>> {
        self.table.get(&s)?;
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
        _max: u64,
    ) -> NetResult<Vec<udp::IncomingDatagram>> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
    }
    fn subscribe(
        &mut self,
        s: Resource<IncomingDatagramStream>,
    ) -> wasmtime::Result<Resource<Pollable>> {
        self.table.get(&s)?;
        self.push_pollable(Pollable::Ready)
    }
    fn drop(&mut self, s: Resource<IncomingDatagramStream>) -> wasmtime::Result<()> {
        self.table.delete(s)?;
        Ok(())
    }
}

impl udp::HostOutgoingDatagramStream for WasiP2 {
    fn check_send(&mut self, s: Resource<OutgoingDatagramStream>) -> NetResult<u64> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
    }
    fn send(
        &mut self,
        s: Resource<OutgoingDatagramStream>,
        _d: Vec<udp::OutgoingDatagram>,
    ) -> NetResult<u64> {
        self.table.get(&s)?;
        Ok(Err(ErrorCode::InvalidState))
    }
    fn subscribe(
        &mut self,
        s: Resource<OutgoingDatagramStream>,
    ) -> wasmtime::Result<Resource<Pollable>> {
        self.table.get(&s)?;
        self.push_pollable(Pollable::Ready)
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
        if name.is_empty() {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(Err(ErrorCode::AccessDenied))
    }
}

impl ip_name_lookup::HostResolveAddressStream for WasiP2 {
    fn resolve_next_address(
        &mut self,
        s: Resource<ResolveAddressStream>,
    ) -> NetResult<Option<network::IpAddress>> {
        self.table.get(&s)?;
        Ok(Ok(None))
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
