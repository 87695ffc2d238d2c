//! The objects behind the opaque C handles, their lifetimes, and the
//! library-wide state (clock, random numbers).

pub mod clock;
pub mod prng;
