//! Sans-IO CoAP protocol core: no sockets, no clock reads, no FFI types.

pub mod block;
pub mod link;
pub mod missing;
pub mod msg;
pub mod option;
pub mod pdu;
pub mod reliability;
pub mod show;
pub mod uri;
pub mod wire;
pub mod encode;
