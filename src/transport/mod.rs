//! Sockets, the event loop and OS interfaces, and sans-IO DTLS 1.2 (`dtls`).

pub mod poller;
pub mod random;
pub mod dtls;
pub mod udp;
