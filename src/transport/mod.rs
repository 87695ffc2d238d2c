//! Sockets, the event loop and OS interfaces (and, later, DTLS/TLS).

pub mod poller;
pub mod random;
pub mod udp;
