//! The context's event loop: one mio `Poll` (an epoll instance, whose fd is
//! what coap_context_get_coap_fd() returns) with the sockets registered
//! edge-triggered: every readable socket must be drained to `WouldBlock`.
use mio::{Events, Interest, Poll, Token};
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

pub struct Poller {
    poll: Poll,
    events: Events,
}

impl Poller {
    pub fn new() -> io::Result<Poller> {
        Ok(Poller { poll: Poll::new()?, events: Events::with_capacity(256) })
    }

    pub fn fd(&self) -> i32 {
        self.poll.as_raw_fd()
    }

    pub fn register(&self, udp: &mut super::udp::Udp, token: usize) -> io::Result<()> {
        self.poll.registry().register(&mut udp.sock, Token(token), Interest::READABLE)
    }

    pub fn deregister(&self, udp: &mut super::udp::Udp) {
        if let Err(e) = self.poll.registry().deregister(&mut udp.sock) {
            log::debug!("deregister: {e}");
        }
    }

    /// Waits up to `timeout` (None: forever) and appends the tokens of the
    /// sockets that became readable to `ready`.
    pub fn wait(&mut self, timeout: Option<Duration>, ready: &mut Vec<usize>) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        ready.extend(self.events.iter().map(|e| e.token().0));
        Ok(())
    }
}
