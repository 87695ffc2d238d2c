//! The random source behind coap_prng(3): the operating system's, unless the
//! application installed its own with coap_set_prng().
use std::sync::{Arc, Mutex, PoisonError};

/// Fills the buffer; false on failure.
pub type Source = dyn Fn(&mut [u8]) -> bool + Send + Sync;

static CUSTOM: Mutex<Option<Arc<Source>>> = Mutex::new(None);

/// Installs (Some) or removes (None) the application's source.
pub fn set_source(source: Option<Arc<Source>>) {
    *CUSTOM.lock().unwrap_or_else(PoisonError::into_inner) = source;
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
