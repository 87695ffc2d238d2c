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
    /// The AF_UNIX path this socket bound, removed when it closes (as
    /// libcoap does), so the next run can bind it again.
    bound_path: Option<std::path::PathBuf>,
}

impl Drop for Udp {
    fn drop(&mut self) {
        if let Some(p) = self.bound_path.take() {
            if let Err(e) = std::fs::remove_file(&p) {
                log::debug!("AF_UNIX socket {}: not removed ({e})", p.display());
            }
        }
    }
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
        let mut bound_path = None;
        let sock = match (ip(local), local) {
            (Some(sa), _) => {
                let s = UdpSocket::bind(sa)?;
                ask_for_pktinfo(s.as_raw_fd(), sa.is_ipv6());
                Inner::Udp(s)
            }
            (None, Address::Unix(p)) => {
                let path = unix_path(p);
                let s = UnixDatagram::bind(&path)?;
                bound_path = Some(path);
                Inner::Unix(s)
            }
            (None, _) => return Err(io::ErrorKind::InvalidInput.into()),
        };
        let udp = Udp { sock, mcast_to: None, bound_path };
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

/// Datagrams read or written per system call when batching.
pub const BATCH: usize = 16;
/// Room per datagram in a receive batch: the largest UDP payload.
const SLOT: usize = 65536;

/// Buffers for one recvmmsg(2): `BATCH` datagrams with their senders and
/// arrival interfaces. The buffer is allocated zeroed and untouched, so
/// only the pages datagrams land in become resident.
pub struct RecvBatch {
    buf: Vec<u8>,
    pub lens: [usize; BATCH],
    pub from: [Option<Address>; BATCH],
    pub ifindex: [i32; BATCH],
    /// The multicast group each was sent to (None: unicast).
    pub group: [Option<std::net::IpAddr>; BATCH],
}

impl Default for RecvBatch {
    fn default() -> Self {
        RecvBatch { buf: vec![0; BATCH * SLOT], lens: [0; BATCH], from: [None; BATCH], ifindex: [-1; BATCH], group: [None; BATCH] }
    }
}

impl RecvBatch {
    /// The `i`th datagram of the last receive.
    pub fn datagram(&self, i: usize) -> &[u8] {
        let len = self.lens.get(i).copied().unwrap_or(0).min(SLOT);
        self.buf.get(i * SLOT..i * SLOT + len).unwrap_or_default()
    }
}

impl Udp {
    /// Reads up to `BATCH` datagrams. Returns how many, and whether the
    /// socket's queue is known to be empty now (fewer than asked for came
    /// back): with edge-triggered polling, a later arrival raises a new
    /// event, so the caller need not read again until WouldBlock.
    pub fn recv_many(&self, batch: &mut RecvBatch) -> io::Result<(usize, bool)> {
        match &self.sock {
            Inner::Udp(s) => recv_batch(s.as_raw_fd(), batch).map(|n| (n, n < BATCH)),
            Inner::Unix(s) => {
                let slot = batch.buf.get_mut(..SLOT).unwrap_or_default();
                let (n, a) = s.recv_from(slot)?;
                batch.lens[0] = n;
                batch.from[0] = Some(from_unix(&a));
                batch.ifindex[0] = -1;
                batch.group[0] = None;
                Ok((1, false))
            }
        }
    }

    /// Sends datagrams to their addresses, `BATCH` per sendmmsg(2) on UDP
    /// sockets; `to` None uses the connected peer. Returns how many went;
    /// stops at the first error (WouldBlock included) if none went.
    pub fn send_many(&self, items: &[(Vec<u8>, Option<Address>)]) -> io::Result<usize> {
        let Inner::Udp(s) = &self.sock else {
            let mut sent = 0;
            for (data, to) in items {
                let r = match to {
                    Some(to) => self.send_to(data, to),
                    None => self.send(data),
                };
                match r {
                    Ok(_) => sent += 1,
                    Err(e) if sent == 0 => return Err(e),
                    Err(_) => break,
                }
            }
            return Ok(sent);
        };
        match self.mcast_to {
            // An unconnected socket towards a group: each goes to the group.
            Some(group) => {
                let to = Some(from_ip(group));
                let items: Vec<(Vec<u8>, Option<Address>)> = items.iter().map(|(d, t)| (d.clone(), t.or(to))).collect();
                send_batch(s.as_raw_fd(), &items)
            }
            None => send_batch(s.as_raw_fd(), items),
        }
    }
}

/// An IP address as the sockaddr the kernel takes; None for AF_UNIX.
fn to_sockaddr(a: &Address) -> Option<(libc::sockaddr_storage, libc::socklen_t)> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match ip(a)? {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            Some((ss, std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t))
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo().to_be(),
                sin6_addr: libc::in6_addr { s6_addr: v6.ip().octets() },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: as above, for sockaddr_in6.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            Some((ss, std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t))
        }
    }
}

fn send_batch(fd: i32, items: &[(Vec<u8>, Option<Address>)]) -> io::Result<usize> {
    let mut total = 0;
    for chunk in items.chunks(BATCH) {
        let mut names: Vec<(libc::sockaddr_storage, libc::socklen_t)> = Vec::with_capacity(chunk.len());
        let mut iovs: Vec<libc::iovec> = Vec::with_capacity(chunk.len());
        for (data, to) in chunk {
            // SAFETY: all-zero is a valid sockaddr_storage.
            names.push(to.as_ref().and_then(to_sockaddr).unwrap_or((unsafe { std::mem::zeroed() }, 0)));
            iovs.push(libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() });
        }
        // SAFETY: all-zero is a valid mmsghdr.
        let mut msgs: Vec<libc::mmsghdr> = (0..chunk.len()).map(|_| unsafe { std::mem::zeroed() }).collect();
        for (i, m) in msgs.iter_mut().enumerate() {
            let (Some(name), Some(iov)) = (names.get_mut(i), iovs.get_mut(i)) else { break };
            if name.1 != 0 {
                m.msg_hdr.msg_name = (&mut name.0 as *mut libc::sockaddr_storage).cast();
                m.msg_hdr.msg_namelen = name.1;
            }
            m.msg_hdr.msg_iov = iov;
            m.msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every header points at live locals (names, iovs, the
        // items' data) that outlive the call; the kernel only reads them.
        let n = unsafe { libc::sendmmsg(fd, msgs.as_mut_ptr(), msgs.len() as libc::c_uint, libc::MSG_NOSIGNAL) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if total == 0 { Err(e) } else { Ok(total) };
        }
        total += n as usize;
        if (n as usize) < chunk.len() {
            break;
        }
    }
    Ok(total)
}

/// recvmmsg(2) into the batch's slots, with packet info per datagram.
fn recv_batch(fd: i32, batch: &mut RecvBatch) -> io::Result<usize> {
    // SAFETY: all-zero is valid for these plain C structs.
    let mut names: [libc::sockaddr_storage; BATCH] = unsafe { std::mem::zeroed() };
    let mut controls = [[0u64; 16]; BATCH];
    let base = batch.buf.as_mut_ptr();
    let mut iovs: [libc::iovec; BATCH] = std::array::from_fn(|i| libc::iovec {
        // SAFETY: slot i lies within the BATCH * SLOT bytes of `buf`.
        iov_base: unsafe { base.add(i * SLOT) }.cast(),
        iov_len: SLOT,
    });
    // SAFETY: as above.
    let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
    for (i, m) in msgs.iter_mut().enumerate() {
        m.msg_hdr.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
        m.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        m.msg_hdr.msg_iov = &mut iovs[i];
        m.msg_hdr.msg_iovlen = 1;
        m.msg_hdr.msg_control = controls[i].as_mut_ptr().cast();
        m.msg_hdr.msg_controllen = std::mem::size_of_val(&controls[i]);
    }
    // SAFETY: every pointer in `msgs` refers to a live buffer of the stated
    // size for the duration of the call.
    let n = unsafe { libc::recvmmsg(fd, msgs.as_mut_ptr(), BATCH as libc::c_uint, 0, std::ptr::null_mut()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    for i in 0..n.min(BATCH) {
        let m = &msgs[i];
        batch.lens[i] = (m.msg_len as usize).min(SLOT);
        batch.from[i] = sockaddr_to_address(&names[i]);
        (batch.ifindex[i], batch.group[i]) = pktinfo(&m.msg_hdr);
    }
    Ok(n.min(BATCH))
}

/// The arrival interface and, for a datagram sent to a multicast group,
/// that group, from a received message's control data.
fn pktinfo(msg: &libc::msghdr) -> (i32, Option<std::net::IpAddr>) {
    let mut ifindex = -1;
    let mut dst: Option<std::net::IpAddr> = None;
    // SAFETY: the CMSG_* macros walk the control buffer the kernel filled,
    // within msg_controllen; each payload is read unaligned.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
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
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    (ifindex, dst.filter(|d| d.is_multicast()))
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
    let (ifindex, group) = pktinfo(&msg);
    let addr = sockaddr_to_address(&from).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidData))?;
    Ok((n as usize, addr, ifindex, group))
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
