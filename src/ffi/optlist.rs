//! Option lists of coap_pdu_setup(3): coap_new_optlist, coap_insert_optlist,
//! coap_add_optlist_pdu, coap_delete_optlist. The nodes are C structs the
//! application may walk, each allocated as one block with its data, as in
//! libcoap.
use crate::engine::pdu::PduObj;
use crate::ffi::boundary::guard;
use crate::ffi::pdu_setup::add_option;
use crate::ffi::types::*;
use std::ffi::c_int;
use std::mem::size_of;

#[no_mangle]
pub unsafe extern "C" fn coap_new_optlist(number: u16, length: usize, data: *const u8) -> *mut coap_optlist_t {
    guard("coap_new_optlist", || {
        let value = arg_bytes!("coap_new_optlist", data, length);
        let Some(size) = size_of::<coap_optlist_t>().checked_add(length) else {
            log::warn!("coap_new_optlist: length {length} too large");
            return std::ptr::null_mut();
        };
        // SAFETY: plain allocation; checked for NULL below.
        let node = unsafe { libc::malloc(size) }.cast::<coap_optlist_t>();
        if node.is_null() {
            log::error!(target: "coap::crit", "coap_new_optlist: out of memory");
            return node;
        }
        // SAFETY: `node` has room for the struct followed by `length` bytes.
        unsafe {
            let bytes = node.add(1).cast::<u8>();
            std::ptr::copy_nonoverlapping(value.as_ptr(), bytes, length);
            node.write(coap_optlist_t { next: std::ptr::null_mut(), number, length, data: bytes });
        }
        node
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_insert_optlist(chain: *mut *mut coap_optlist_t, optlist: *mut coap_optlist_t) -> c_int {
    guard("coap_insert_optlist", || {
        let head = arg_mut!("coap_insert_optlist", chain);
        if optlist.is_null() {
            crate::ffi::boundary::null_arg("coap_insert_optlist", "optlist");
            return 0;
        }
        // SAFETY: the chain is made of nodes from coap_new_optlist (C contract).
        unsafe {
            let mut link: *mut *mut coap_optlist_t = head;
            while !(*link).is_null() {
                if *link == optlist {
                    log::warn!("coap_insert_optlist: optlist is already in the chain");
                    return 0;
                }
                link = &mut (**link).next;
            }
            *link = optlist;
        }
        1
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_optlist(chain: *mut coap_optlist_t) {
    guard("coap_delete_optlist", || {
        let mut node = chain;
        while !node.is_null() {
            // SAFETY: nodes come from coap_new_optlist (libc malloc), each
            // freed once as we walk the chain.
            unsafe {
                let next = (*node).next;
                libc::free(node.cast());
                node = next;
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_add_optlist_pdu(pdu: *mut coap_pdu_t, chain: *mut *mut coap_optlist_t) -> c_int {
    guard("coap_add_optlist_pdu", || {
        let obj = handle!("coap_add_optlist_pdu", pdu, PduObj);
        let head = arg_mut!("coap_add_optlist_pdu", chain);
        if head.is_null() {
            return 0; // nothing to add: libcoap's answer
        }
        if obj.pdu.payload_offset().is_some() {
            log::warn!("coap_add_optlist_pdu: the PDU already has its payload");
            return 0;
        }
        // Collect, sort stably by number (as libcoap leaves the chain
        // sorted), relink, then add.
        let mut nodes = Vec::new();
        let mut node = *head;
        while !node.is_null() {
            nodes.push(node);
            // SAFETY: a chain of coap_new_optlist nodes (C contract).
            node = unsafe { (*node).next };
        }
        // SAFETY: as above, for every read of a node below.
        nodes.sort_by_key(|&n| unsafe { (*n).number });
        let mut link: *mut *mut coap_optlist_t = head;
        for &n in &nodes {
            // SAFETY: as above; relinking nodes we own through the chain.
            unsafe {
                *link = n;
                link = &mut (*n).next;
            }
        }
        // SAFETY: `link` points at the last node's `next` (or the head).
        unsafe { *link = std::ptr::null_mut() };
        for &n in &nodes {
            // SAFETY: as above; `data` has `length` bytes.
            let (number, value) = unsafe {
                let n = &*n;
                let value = if n.data.is_null() { &[][..] } else { std::slice::from_raw_parts(n.data, n.length) };
                (n.number, value)
            };
            // As libcoap: an option that cannot go in (logged) does not
            // stop the others.
            add_option(obj, "coap_add_optlist_pdu", number, value);
        }
        1
    })
}
