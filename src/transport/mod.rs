//! Sockets and, later, DTLS/TLS.

pub mod random;
