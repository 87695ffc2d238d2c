//! The context's event loop: one mio `Poll` (an epoll instance, whose fd is
//! what coap_context_get_coap_fd() returns) with the sockets registered
//! edge-triggered: every readable socket must be drained to `WouldBlock`.
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// The token of the timer fd; sockets use their slab index.
pub const TIMER_TOKEN: usize = usize::MAX;

/// A timerfd in the same epoll set, armed to the next protocol deadline, so
/// an application waiting on the epoll fd itself (coap_context_get_coap_fd)
/// also wakes for retransmissions and other timers.
struct Timer {
    fd: OwnedFd,
    /// The deadline armed, on the engine's millisecond clock.
    armed_due: Option<u64>,
}

pub struct Poller {
    poll: Poll,
    events: Events,
    timer: Timer,
}

impl Poller {
    pub fn new() -> io::Result<Poller> {
        let poll = Poll::new()?;
        // SAFETY: timerfd_create returns a new fd or -1, checked below.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        poll.registry().register(&mut SourceFd(&fd.as_raw_fd()), Token(TIMER_TOKEN), Interest::READABLE)?;
        Ok(Poller { poll, events: Events::with_capacity(256), timer: Timer { fd, armed_due: None } })
    }

    /// Arms the timer for the deadline `due` (None: disarm), `now` being
    /// the same clock's present. Only a changed deadline reaches the kernel:
    /// comparing deadlines rather than delays keeps a busy loop, whose
    /// next deadline stays put while the clock runs, from re-arming the
    /// timer on every pass.
    pub fn arm_timer(&mut self, due: Option<u64>, now: u64) {
        if self.timer.armed_due == due {
            return;
        }
        let mut spec: libc::itimerspec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec { tv_sec: 0, tv_nsec: 0 },
        };
        if let Some(due) = due {
            // 0 would disarm: fire as soon as possible instead.
            let ms = due.saturating_sub(now).max(1);
            spec.it_value.tv_sec = (ms / 1000) as libc::time_t;
            spec.it_value.tv_nsec = ((ms % 1000) * 1_000_000) as libc::c_long;
        }
        // SAFETY: timerfd_settime reads `spec`; the old value is not asked for.
        let rc = unsafe { libc::timerfd_settime(self.timer.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if rc == 0 {
            self.timer.armed_due = due;
        } else {
            log::debug!("timerfd_settime: {}", io::Error::last_os_error());
        }
    }

    /// Clears a fired timer (edge-triggered: it must be read).
    /// Tokens an application's own epoll_wait() on our fd reported (it took
    /// the edge-triggered events, so our next wait will not see them):
    /// socket tokens go to `ready`, the timer is acknowledged.
    pub fn take_reported(&mut self, tokens: &[u64], ready: &mut Vec<usize>) {
        for &t in tokens {
            match usize::try_from(t) {
                Ok(TIMER_TOKEN) => self.ack_timer(),
                Ok(t) if !ready.contains(&t) => ready.push(t),
                _ => {}
            }
        }
    }

    fn ack_timer(&mut self) {
        let mut buf = [0u8; 8];
        // SAFETY: read writes at most 8 bytes into `buf`.
        let _ = unsafe { libc::read(self.timer.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        self.timer.armed_due = None;
    }

    pub fn fd(&self) -> i32 {
        self.poll.as_raw_fd()
    }

    pub fn register(&self, udp: &mut super::udp::Udp, token: usize) -> io::Result<()> {
        let r = self.poll.registry();
        match &mut udp.sock {
            super::udp::Inner::Udp(s) => r.register(s, Token(token), Interest::READABLE),
            super::udp::Inner::Unix(s) => r.register(s, Token(token), Interest::READABLE),
        }
    }

    pub fn deregister(&self, udp: &mut super::udp::Udp) {
        let r = self.poll.registry();
        let result = match &mut udp.sock {
            super::udp::Inner::Udp(s) => r.deregister(s),
            super::udp::Inner::Unix(s) => r.deregister(s),
        };
        if let Err(e) = result {
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
        let mut fired = false;
        for e in self.events.iter() {
            if e.token().0 == TIMER_TOKEN {
                fired = true;
            } else {
                ready.push(e.token().0);
            }
        }
        if fired {
            self.ack_timer();
        }
        Ok(())
    }
}
