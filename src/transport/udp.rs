//! Non-blocking UDP sockets for endpoints (bound, many peers) and client
//! sessions (bound and connected to one server).
use mio::net::UdpSocket;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

/// Receive buffer asked of the kernel: its default holds only ~200 small
/// datagrams, which a burst of clients overflows.
const RCVBUF: libc::c_int = 4 * 1024 * 1024;

pub struct Udp {
    pub(crate) sock: UdpSocket,
}

impl Udp {
    /// A socket bound to `local` (port 0: any).
    pub fn bind(local: SocketAddr) -> io::Result<Udp> {
        let sock = UdpSocket::bind(local)?;
        enlarge_rcvbuf(&sock);
        Ok(Udp { sock })
    }

    /// A socket bound to `local` (or the unspecified address of the
    /// server's family) and connected to `server`.
    pub fn connect(local: Option<SocketAddr>, server: SocketAddr) -> io::Result<Udp> {
        let local = local.unwrap_or(match server {
            SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
            SocketAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
        });
        let udp = Udp::bind(local)?;
        udp.sock.connect(server)?;
        Ok(udp)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.local_addr()
    }

    /// One datagram, or `WouldBlock` when drained.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.sock.recv_from(buf)
    }

    pub fn send_to(&self, data: &[u8], to: SocketAddr) -> io::Result<usize> {
        self.sock.send_to(data, to)
    }

    /// For connected sockets.
    pub fn send(&self, data: &[u8]) -> io::Result<usize> {
        self.sock.send(data)
    }

    pub fn fd(&self) -> i32 {
        self.sock.as_raw_fd()
    }
}

fn enlarge_rcvbuf(sock: &UdpSocket) {
    let size = RCVBUF;
    // SAFETY: setsockopt reads sizeof(int) bytes from `size`; a failure only
    // leaves the kernel's default, which is fine.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
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

impl Udp {
    /// Joins a multicast group on this socket; `ifindex` 0 lets the kernel
    /// pick the interface.
    pub fn join_multicast(&self, group: std::net::IpAddr, ifindex: u32) -> io::Result<()> {
        match group {
            std::net::IpAddr::V6(g) => self.sock.join_multicast_v6(&g, ifindex),
            std::net::IpAddr::V4(g) => {
                let mreq = libc::ip_mreqn {
                    imr_multiaddr: libc::in_addr { s_addr: u32::from(g).to_be() },
                    imr_address: libc::in_addr { s_addr: 0 },
                    imr_ifindex: ifindex as libc::c_int,
                };
                // SAFETY: setsockopt reads sizeof(ip_mreqn) bytes from mreq.
                let rc = unsafe {
                    libc::setsockopt(
                        self.sock.as_raw_fd(),
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

/// The index of a network interface by name; None if there is none.
pub fn interface_index(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: if_nametoindex reads a NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i)
}
