//! The objects behind the opaque C handles, their lifetimes, and the
//! library-wide state (clock, random numbers).

pub mod block;
pub mod qclient;
pub mod clock;
pub mod observe;
pub mod pdu;
pub mod prng;
pub mod context;
pub mod dedup;
pub mod resource;
pub mod session;
pub mod slab;
pub mod address;
pub mod cache;
