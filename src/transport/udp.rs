//! Non-blocking datagram sockets: UDP over IPv4/IPv6 and AF_UNIX datagram
//! sockets, for endpoints (bound, many peers) and client sessions (bound and
//! connected to one server).
use crate::engine::address::{Address, UnixPath};
use mio::net::{UdpSocket, UnixDatagram};
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;

/// Receive buffer asked of the kernel: its default holds only ~200 small
/// datagrams, which a burst of clients overflows.
const RCVBUF: libc::c_int = 4 * 1024 * 1024;

pub(crate) enum Inner {
    Udp(UdpSocket),
    Unix(UnixDatagram),
}

pub struct Udp {
    pub(crate) sock: Inner,
    /// A client socket towards a multicast group is left unconnected (the
    /// members answer from their own unicast addresses); it sends here.
    mcast_to: Option<SocketAddr>,
}

fn ip(a: &Address) -> Option<SocketAddr> {
    match a {
        Address::V4(v4) => Some(SocketAddr::V4(*v4)),
        Address::V6(v6) => Some(SocketAddr::V6(*v6)),
        Address::Unix(_) => None,
    }
}

fn from_ip(a: SocketAddr) -> Address {
    match a {
        SocketAddr::V4(v4) => Address::V4(v4),
        SocketAddr::V6(v6) => Address::V6(v6),
    }
}

fn unix_path(p: &UnixPath) -> std::path::PathBuf {
    std::path::PathBuf::from(std::ffi::OsStr::from_bytes(p.as_bytes()))
}

fn from_unix(a: &std::os::unix::net::SocketAddr) -> Address {
    let bytes = a.as_pathname().map(|p| p.as_os_str().as_bytes()).unwrap_or_default();
    Address::Unix(UnixPath::from_sun_path(bytes))
}

impl Udp {
    /// A socket bound to `local` (port 0: any). A Unix path must not exist.
    pub fn bind(local: &Address) -> io::Result<Udp> {
        let sock = match (ip(local), local) {
            (Some(sa), _) => {
                let s = UdpSocket::bind(sa)?;
                ask_for_pktinfo(s.as_raw_fd(), sa.is_ipv6());
                Inner::Udp(s)
            }
            (None, Address::Unix(p)) => Inner::Unix(UnixDatagram::bind(unix_path(p))?),
            (None, _) => return Err(io::ErrorKind::InvalidInput.into()),
        };
        let udp = Udp { sock, mcast_to: None };
        udp.enlarge_rcvbuf();
        Ok(udp)
    }

    /// A socket bound to `local` (or, for IP, the unspecified address of
    /// the server's family) and connected to `server`. An AF_UNIX client
    /// needs its own path to be answered.
    pub fn connect(local: Option<&Address>, server: &Address) -> io::Result<Udp> {
        let local = match (local, server) {
            (Some(l), _) => *l,
            (None, Address::V4(_)) => from_ip(SocketAddr::from(([0, 0, 0, 0], 0))),
            (None, Address::V6(_)) => from_ip(SocketAddr::from(([0u16; 8], 0))),
            (None, Address::Unix(_)) => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "an AF_UNIX client needs a local path"))
            }
        };
        let mut udp = Udp::bind(&local)?;
        match (&udp.sock, server) {
            (Inner::Udp(_), _) if ip(server).is_some_and(|a| a.ip().is_multicast()) => udp.mcast_to = ip(server),
            (Inner::Udp(s), _) => s.connect(ip(server).ok_or(io::ErrorKind::InvalidInput)?)?,
            (Inner::Unix(s), Address::Unix(p)) => s.connect(unix_path(p))?,
            (Inner::Unix(_), _) => return Err(io::ErrorKind::InvalidInput.into()),
        }
        Ok(udp)
    }

    pub fn local_addr(&self) -> io::Result<Address> {
        match &self.sock {
            Inner::Udp(s) => s.local_addr().map(from_ip),
            Inner::Unix(s) => s.local_addr().map(|a| from_unix(&a)),
        }
    }

    /// One datagram, its sender, the index of the interface it came in
    /// on (-1 when unknown) and the multicast group it was sent to (None for
    /// unicast), or `WouldBlock` when drained.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Address, i32, Option<std::net::IpAddr>)> {
        match &self.sock {
            Inner::Udp(s) => recv_with_ifindex(s.as_raw_fd(), buf),
            Inner::Unix(s) => s.recv_from(buf).map(|(n, a)| (n, from_unix(&a), -1, None)),
        }
    }

    /// The multicast group an unconnected client socket sends to.
    pub fn mcast_group(&self) -> Option<SocketAddr> {
        self.mcast_to
    }

    pub fn send_to(&self, data: &[u8], to: &Address) -> io::Result<usize> {
        match (&self.sock, to) {
            (Inner::Udp(s), _) => s.send_to(data, ip(to).ok_or(io::ErrorKind::InvalidInput)?),
            (Inner::Unix(s), Address::Unix(p)) => s.send_to(data, unix_path(p)),
            (Inner::Unix(_), _) => Err(io::ErrorKind::InvalidInput.into()),
        }
    }

    /// For client sockets: connected, or sending to their multicast group.
    pub fn send(&self, data: &[u8]) -> io::Result<usize> {
        match &self.sock {
            Inner::Udp(s) => match self.mcast_to {
                Some(group) => s.send_to(data, group),
                None => s.send(data),
            },
            Inner::Unix(s) => s.send(data),
        }
    }

    pub fn fd(&self) -> i32 {
        match &self.sock {
            Inner::Udp(s) => s.as_raw_fd(),
            Inner::Unix(s) => s.as_raw_fd(),
        }
    }

    fn enlarge_rcvbuf(&self) {
        let size = RCVBUF;
        // SAFETY: setsockopt reads sizeof(int) bytes from `size`; a failure
        // only leaves the kernel's default, which is fine.
        let rc = unsafe {
            libc::setsockopt(
                self.fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            log::debug!("SO_RCVBUF: {}", io::Error::last_os_error());
        }
    }

    /// Joins a multicast group on this socket; `ifindex` 0 lets the kernel
    /// pick the interface.
    pub fn join_multicast(&self, group: std::net::IpAddr, ifindex: u32) -> io::Result<()> {
        let Inner::Udp(sock) = &self.sock else { return Err(io::ErrorKind::InvalidInput.into()) };
        match group {
            std::net::IpAddr::V6(g) => sock.join_multicast_v6(&g, ifindex),
            std::net::IpAddr::V4(g) => {
                let mreq = libc::ip_mreqn {
                    imr_multiaddr: libc::in_addr { s_addr: u32::from(g).to_be() },
                    imr_address: libc::in_addr { s_addr: 0 },
                    imr_ifindex: ifindex as libc::c_int,
                };
                // SAFETY: setsockopt reads sizeof(ip_mreqn) bytes from mreq.
                let rc = unsafe {
                    libc::setsockopt(
                        sock.as_raw_fd(),
                        libc::IPPROTO_IP,
                        libc::IP_ADD_MEMBERSHIP,
                        (&mreq as *const libc::ip_mreqn).cast(),
                        std::mem::size_of::<libc::ip_mreqn>() as libc::socklen_t,
                    )
                };
                if rc == 0 {
                    Ok(())
                } else {
                    Err(io::Error::last_os_error())
                }
            }
        }
    }
}

impl Udp {
    /// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS of this socket (0..=255).
    pub fn set_multicast_hops(&self, hops: u8) -> io::Result<()> {
        let Inner::Udp(sock) = &self.sock else { return Err(io::ErrorKind::InvalidInput.into()) };
        let v6 = sock.local_addr()?.is_ipv6();
        let (level, name) =
            if v6 { (libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS) } else { (libc::IPPROTO_IP, libc::IP_MULTICAST_TTL) };
        let value = libc::c_int::from(hops);
        // SAFETY: setsockopt reads sizeof(int) bytes from `value`.
        let rc = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

/// The index of a network interface by name; None if there is none.
pub fn interface_index(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: if_nametoindex reads a NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i)
}

/// Asks the kernel to report each datagram's arrival interface.
fn ask_for_pktinfo(fd: i32, v6: bool) {
    let on: libc::c_int = 1;
    let opts: &[(libc::c_int, libc::c_int)] = if v6 {
        &[(libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO), (libc::IPPROTO_IP, libc::IP_PKTINFO)]
    } else {
        &[(libc::IPPROTO_IP, libc::IP_PKTINFO)]
    };
    for &(level, name) in opts {
        // SAFETY: setsockopt reads sizeof(int) bytes from `on`; failure only
        // means no interface index is reported.
        let _ = unsafe {
            libc::setsockopt(fd, level, name, (&on as *const libc::c_int).cast(), std::mem::size_of::<libc::c_int>() as libc::socklen_t)
        };
    }
}

/// recvmsg(2) with the packet-info control message: the arrival interface
/// and, when it was a multicast group, the destination address.
fn recv_with_ifindex(fd: i32, buf: &mut [u8]) -> io::Result<(usize, Address, i32, Option<std::net::IpAddr>)> {
    // SAFETY: all-zero is a valid sockaddr_storage and msghdr.
    let mut from: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    let mut control = [0u64; 16]; // 128 bytes, aligned for cmsghdr
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut from as *mut libc::sockaddr_storage).cast();
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: every pointer in `msg` refers to a live local buffer of the
    // stated size.
    let n = unsafe { libc::recvmsg(fd, &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut ifindex = -1;
    let mut dst: Option<std::net::IpAddr> = None;
    // SAFETY: the CMSG_* macros walk the control buffer the kernel filled,
    // within msg_controllen; each payload is read unaligned.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let (level, ty) = ((*cmsg).cmsg_level, (*cmsg).cmsg_type);
            if level == libc::IPPROTO_IP && ty == libc::IP_PKTINFO {
                let info = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::in_pktinfo>());
                ifindex = info.ipi_ifindex;
                dst = Some(std::net::Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr)).into());
            } else if level == libc::IPPROTO_IPV6 && ty == libc::IPV6_PKTINFO {
                let info = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::in6_pktinfo>());
                ifindex = info.ipi6_ifindex as i32;
                dst = Some(std::net::Ipv6Addr::from(info.ipi6_addr.s6_addr).into());
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    let addr = sockaddr_to_address(&from).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidData))?;
    Ok((n as usize, addr, ifindex, dst.filter(|d| d.is_multicast())))
}

fn sockaddr_to_address(s: &libc::sockaddr_storage) -> Option<Address> {
    match i32::from(s.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin = unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Some(from_ip(SocketAddr::from((
                std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                u16::from_be(sin.sin_port),
            ))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 = unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            Some(Address::V6(std::net::SocketAddrV6::new(
                std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}
