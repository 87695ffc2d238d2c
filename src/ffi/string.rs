//! coap_string(3): strings and binary data handed across the API.
//!
//! Each object is one malloc() block: the two-field header followed by the
//! data and a trailing NUL byte, so the matching delete is a single free()
//! and C code may release them with coap_free() too, as with libcoap.
use crate::ffi::boundary::guard;
use crate::ffi::types::{coap_bin_const_t, coap_binary_t, coap_str_const_t, coap_string_t};
use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_char, CStr};
use std::mem::size_of;

// All four types share one layout: a length and a data pointer.
const HEADER: usize = size_of::<coap_string_t>();
const _: () = assert!(
    size_of::<coap_str_const_t>() == HEADER
        && size_of::<coap_binary_t>() == HEADER
        && size_of::<coap_bin_const_t>() == HEADER
);

/// Bytes for a block holding `size` data bytes and the NUL, if that fits
/// what an allocation may be.
fn block_size(func: &str, size: usize) -> Option<usize> {
    let total = size.checked_add(HEADER + 1).filter(|&t| t <= isize::MAX as usize);
    if total.is_none() {
        log::warn!("{func}: size {size} too large");
    }
    total
}

/// Allocates a block for `size` data bytes and fills in the header; the data
/// is uninitialised except for the trailing NUL.
fn alloc_block(func: &str, size: usize) -> *mut coap_string_t {
    let Some(total) = block_size(func, size) else {
        return std::ptr::null_mut();
    };
    // SAFETY: malloc has no preconditions.
    let base = unsafe { libc::malloc(total) }.cast::<coap_string_t>();
    if base.is_null() {
        log::warn!("{func}: cannot allocate {size} bytes");
        return base;
    }
    // SAFETY: `base` is a fresh block of HEADER + size + 1 bytes, aligned
    // for the header by malloc.
    unsafe { init_block(base, size) };
    base
}

/// Points the header at the data that follows it and writes the NUL.
///
/// # Safety
/// `base` is a malloc'ed block of at least HEADER + size + 1 bytes.
unsafe fn init_block(base: *mut coap_string_t, size: usize) {
    // SAFETY: all offsets stay inside the block (see the contract).
    unsafe {
        let data = base.cast::<u8>().add(HEADER);
        *data.add(size) = 0;
        base.write(coap_string_t { length: size, s: data });
    }
}

/// Copies `data` into a new block (the shared part of the *_const news).
fn copy_block(func: &str, data: &[u8]) -> *mut coap_string_t {
    let block = alloc_block(func, data.len());
    if !block.is_null() {
        // SAFETY: the block has room for data.len() bytes at `s`; the
        // regions cannot overlap (the block is fresh).
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), (*block).s, data.len()) };
    }
    block
}

/// A string of `size` uninitialised bytes plus a NUL.
#[no_mangle]
pub extern "C" fn coap_new_string(size: usize) -> *mut coap_string_t {
    guard("coap_new_string", || alloc_block("coap_new_string", size))
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_string(string: *mut coap_string_t) {
    // SAFETY: NULL or a block from coap_new_string (the caller's contract).
    guard("coap_delete_string", || unsafe { libc::free(string.cast()) })
}

/// A read-only copy of `size` bytes at `data`, NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn coap_new_str_const(data: *const u8, size: usize) -> *mut coap_str_const_t {
    guard("coap_new_str_const", || {
        if block_size("coap_new_str_const", size).is_none() {
            return std::ptr::null_mut();
        }
        let bytes = arg_bytes!("coap_new_str_const", data, size);
        copy_block("coap_new_str_const", bytes).cast()
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_str_const(string: *mut coap_str_const_t) {
    // SAFETY: NULL or a block from coap_new_str_const.
    guard("coap_delete_str_const", || unsafe { libc::free(string.cast()) })
}

thread_local! {
    /// coap_make_str_const's two entries and which one is next. Per thread,
    /// so concurrent callers on different threads never share an entry.
    static MADE: [UnsafeCell<coap_str_const_t>; 2] = const {
        [
            UnsafeCell::new(coap_str_const_t { length: 0, s: std::ptr::null() }),
            UnsafeCell::new(coap_str_const_t { length: 0, s: std::ptr::null() }),
        ]
    };
    static NEXT_MADE: Cell<usize> = const { Cell::new(0) };
}

/// Wraps a C string in one of two static entries used in turn, so one call
/// may take two such arguments; the third call reuses the first entry. No
/// copy is made: `string` must outlive the use of the result. The entries
/// are per thread (libcoap's are global and not thread-safe); a result stays
/// valid while its thread lives.
#[no_mangle]
pub unsafe extern "C" fn coap_make_str_const(string: *const c_char) -> *mut coap_str_const_t {
    guard("coap_make_str_const", || {
        if string.is_null() {
            crate::ffi::boundary::null_arg("coap_make_str_const", "string");
            return std::ptr::null_mut();
        }
        // SAFETY: a non-NULL argument is a NUL-terminated C string.
        let len = unsafe { CStr::from_ptr(string) }.to_bytes().len();
        let i = NEXT_MADE.with(|n| {
            let i = n.get();
            n.set((i + 1) % 2);
            i
        });
        MADE.with(|slots| {
            let slot = slots[i].get();
            // SAFETY: the slot belongs to this thread and no Rust reference
            // to it exists; C may still hold the pointer from an earlier
            // call, which is the documented reuse.
            unsafe { slot.write(coap_str_const_t { length: len, s: string.cast() }) };
            slot
        })
    })
}

/// Binary data of `size` uninitialised bytes (a NUL follows, as a guard).
#[no_mangle]
pub extern "C" fn coap_new_binary(size: usize) -> *mut coap_binary_t {
    guard("coap_new_binary", || alloc_block("coap_new_binary", size).cast())
}

/// Changes the size of `binary`, keeping the data up to the smaller size;
/// NULL `binary` allocates a new one. On failure NULL is returned and
/// `binary` is left as it was.
#[no_mangle]
pub unsafe extern "C" fn coap_resize_binary(binary: *mut coap_binary_t, new_size: usize) -> *mut coap_binary_t {
    guard("coap_resize_binary", || {
        if binary.is_null() {
            return alloc_block("coap_resize_binary", new_size).cast();
        }
        let Some(total) = block_size("coap_resize_binary", new_size) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `binary` is a block from coap_new_binary or an earlier
        // resize (the caller's contract); realloc keeps it on failure.
        let base = unsafe { libc::realloc(binary.cast(), total) }.cast::<coap_string_t>();
        if base.is_null() {
            log::warn!("coap_resize_binary: cannot allocate {new_size} bytes");
            return std::ptr::null_mut();
        }
        // SAFETY: `base` is a block of HEADER + new_size + 1 bytes; the
        // data kept by realloc sits right after the header, as before.
        unsafe { init_block(base, new_size) };
        base.cast()
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_binary(binary: *mut coap_binary_t) {
    // SAFETY: NULL or a block from coap_new_binary / coap_resize_binary.
    guard("coap_delete_binary", || unsafe { libc::free(binary.cast()) })
}

/// A read-only copy of `size` bytes at `data`, followed by a NUL.
#[no_mangle]
pub unsafe extern "C" fn coap_new_bin_const(data: *const u8, size: usize) -> *mut coap_bin_const_t {
    guard("coap_new_bin_const", || {
        if block_size("coap_new_bin_const", size).is_none() {
            return std::ptr::null_mut();
        }
        let bytes = arg_bytes!("coap_new_bin_const", data, size);
        copy_block("coap_new_bin_const", bytes).cast()
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_bin_const(binary: *mut coap_bin_const_t) {
    // SAFETY: NULL or a block from coap_new_bin_const.
    guard("coap_delete_bin_const", || unsafe { libc::free(binary.cast()) })
}
