//! The random source behind coap_prng(3): the operating system's, unless the
//! application installed its own with coap_set_prng().
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Fills the buffer; false on failure.
pub type Source = dyn Fn(&mut [u8]) -> bool + Send + Sync;

static CUSTOM: Mutex<Option<Arc<Source>>> = Mutex::new(None);
/// Whether CUSTOM holds a source: lets `jitter` skip the lock.
static HAS_CUSTOM: AtomicBool = AtomicBool::new(false);

/// Installs (Some) or removes (None) the application's source.
pub fn set_source(source: Option<Arc<Source>>) {
    let mut custom = CUSTOM.lock().unwrap_or_else(PoisonError::into_inner);
    HAS_CUSTOM.store(source.is_some(), Ordering::Release);
    *custom = source;
}

thread_local! {
    /// SplitMix64 state, seeded from the kernel on first use (0: unseeded).
    static JITTER: Cell<u64> = const { Cell::new(0) };
}

/// 16 random bits for retransmission jitter and packet-loss simulation.
/// They need no secrecy, so without an application source they come from
/// a per-thread generator seeded once by the kernel, not from a
/// getrandom(2) call per confirmable message.
pub fn jitter() -> u16 {
    if HAS_CUSTOM.load(Ordering::Acquire) {
        let mut r = [0u8; 2];
        fill(&mut r);
        return u16::from_be_bytes(r);
    }
    JITTER.with(|state| {
        let mut x = state.get();
        if x == 0 {
            let mut seed = [0u8; 8];
            crate::transport::random::os_fill(&mut seed);
            x = u64::from_ne_bytes(seed) | 1;
        }
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 48) as u16
    })
}

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) -> bool {
    // Clone out of the lock: the source is application code and may call
    // back into coap_set_prng().
    let custom = CUSTOM.lock().unwrap_or_else(PoisonError::into_inner).clone();
    match custom {
        Some(source) => source(buf),
        None => crate::transport::random::os_fill(buf),
    }
}

#[cfg(test)]
mod jitter_tests {
    #[test]
    fn jitter_spreads_over_the_range() {
        let vals: Vec<u16> = (0..4096).map(|_| super::jitter()).collect();
        let high = vals.iter().filter(|&&v| v >= 0x8000).count();
        assert!((1500..2600).contains(&high), "{high} of 4096 in the upper half");
        let distinct: std::collections::HashSet<_> = vals.iter().collect();
        assert!(distinct.len() > 3500);
    }
}
