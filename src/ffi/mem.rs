//! coap_mem.h: libcoap's allocator entry points. On POSIX libcoap maps them
//! to malloc/realloc/free; the tag only feeds memory statistics, which this
//! build does not keep. Memory from here may be released with free() and
//! vice versa, as with libcoap.
use crate::ffi::boundary::guard;
use crate::ffi::types::MemoryTag;
use std::ffi::c_void;

/// Larger requests than PTRDIFF_MAX, which malloc refuses anyway, are
/// refused before reaching it.
fn too_large(func: &str, tag: MemoryTag, size: usize) -> bool {
    let refuse = size > isize::MAX as usize;
    if refuse {
        log::warn!("{func}: size {size} too large (tag {tag})");
    }
    refuse
}

/// malloc(size). NULL (with a log line) when the memory is not there.
#[no_mangle]
pub extern "C" fn coap_malloc_type(tag: MemoryTag, size: usize) -> *mut c_void {
    guard("coap_malloc_type", || {
        if too_large("coap_malloc_type", tag, size) {
            return std::ptr::null_mut();
        }
        // SAFETY: malloc has no preconditions.
        let p = unsafe { libc::malloc(size) };
        if p.is_null() && size != 0 {
            log::warn!("coap_malloc_type: cannot allocate {size} bytes (tag {tag})");
        }
        p
    })
}

/// realloc(p, size). A `size` of 0 frees `p` and returns NULL (glibc's
/// realloc does the same); on failure NULL is returned and `p` stays valid.
#[no_mangle]
pub unsafe extern "C" fn coap_realloc_type(tag: MemoryTag, p: *mut c_void, size: usize) -> *mut c_void {
    guard("coap_realloc_type", || {
        if size == 0 {
            // SAFETY: `p` is NULL or came from this allocator (the caller's
            // contract, as for realloc).
            unsafe { libc::free(p) };
            return std::ptr::null_mut();
        }
        if too_large("coap_realloc_type", tag, size) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above; realloc leaves `p` intact when it fails.
        let q = unsafe { libc::realloc(p, size) };
        if q.is_null() {
            log::warn!("coap_realloc_type: cannot allocate {size} bytes (tag {tag})");
        }
        q
    })
}

/// free(p); NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn coap_free_type(tag: MemoryTag, p: *mut c_void) {
    let _ = tag;
    guard("coap_free_type", || {
        // SAFETY: `p` is NULL or came from this allocator (the caller's
        // contract, as for free).
        unsafe { libc::free(p) }
    })
}

/// Nothing to set up: on POSIX the allocator is malloc, as in libcoap.
#[no_mangle]
pub extern "C" fn coap_memory_init() {}
