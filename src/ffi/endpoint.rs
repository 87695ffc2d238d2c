//! coap_endpoint_server(3): listening endpoints (UDP so far), and
//! coap_endpoint_str() of coap_logging(3).
use crate::engine::slab::Id;
use crate::ffi::boundary::guard;
use crate::ffi::context::ContextObj;
use crate::ffi::handle::{Handle, Pool};
use crate::ffi::types::*;
use std::ffi::{c_char, c_int, c_uint};

/// What a `coap_endpoint_t *` points at: its context and engine id.
pub struct EndpointCell {
    pub ctx: *mut coap_context_t,
    pub id: Id,
}

static ENDPOINTS: Pool<EndpointCell> = Pool::new();

impl Handle for EndpointCell {
    type C = coap_endpoint_t;
    const NAME: &'static str = "coap_endpoint_t";
    const TAG: u64 = 0x6570_5f5f_6c69_7665; // "ep__live"
    fn pool() -> &'static Pool<Self> {
        &ENDPOINTS
    }
    fn recycle(&mut self) {
        self.ctx = std::ptr::null_mut();
    }
}

fn new_cell(ctx: *mut coap_context_t, id: Id) -> *mut coap_endpoint_t {
    ENDPOINTS.alloc(|| EndpointCell { ctx, id }, |c| {
        c.ctx = ctx;
        c.id = id;
    })
}

/// Gives handles to endpoints the engine made on its own (coap_new_context
/// with a listen address).
pub(crate) fn adopt_endpoints(ctx: *mut coap_context_t) {
    // SAFETY: called with a live context handle and no other borrow of it.
    let Some(obj) = (unsafe { crate::ffi::handle::get::<ContextObj>(ctx) }) else { return };
    let Some(engine) = obj.engine.as_mut() else { return };
    for id in engine.endpoint_ids() {
        if let Some(ep) = engine.endpoint_mut(id) {
            if ep.handle == 0 {
                ep.handle = new_cell(ctx, id) as usize;
            }
        }
    }
}

pub(crate) fn release_cells(handles: &[usize]) {
    for &h in handles {
        if h != 0 {
            // SAFETY: engine endpoints only hold handles made by new_cell.
            unsafe { ENDPOINTS.release(h as *mut coap_endpoint_t) };
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_endpoint(context: *mut coap_context_t, listen_addr: *const coap_address_t, proto: Proto) -> *mut coap_endpoint_t {
    guard("coap_new_endpoint", || {
        let addr = arg_ref!("coap_new_endpoint", listen_addr);
        let engine = engine!("coap_new_endpoint", context);
        let dtls = proto == coap_proto_t::COAP_PROTO_DTLS as Proto;
        if proto != coap_proto_t::COAP_PROTO_UDP as Proto && !dtls {
            log::warn!("coap_new_endpoint: protocol {proto} is not supported by this build (UDP and DTLS only)");
            return std::ptr::null_mut();
        }
        if dtls && !engine.dtls_has_server_keys() {
            log::info!("coap_new_endpoint: one of coap_context_set_psk() or coap_context_set_pki() not called");
            return std::ptr::null_mut();
        }
        let Some(sa) = crate::ffi::address::from_c(addr) else {
            log::warn!("coap_new_endpoint: listen address has no usable family");
            return std::ptr::null_mut();
        };
        let made = if dtls { engine.new_dtls_endpoint(sa) } else { engine.new_endpoint(sa) };
        match made {
            Ok(id) => {
                // libcoap's line, which scripts wait for before they start
                // their clients ("created DTLS endpoint [::]:5684").
                if let Some(local) = engine.endpoint(id).map(|e| e.local) {
                    log::debug!("created {} endpoint {local}", if dtls { "DTLS" } else { "UDP " });
                }
                let h = new_cell(context, id);
                if let Some(ep) = engine.endpoint_mut(id) {
                    ep.handle = h as usize;
                }
                h
            }
            Err(e) => {
                log::error!("coap_new_endpoint: cannot listen on {sa}: {e}");
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_free_endpoint(endpoint: *mut coap_endpoint_t) {
    guard("coap_free_endpoint", || {
        if endpoint.is_null() {
            return;
        }
        let cell = handle!("coap_free_endpoint", endpoint, EndpointCell);
        let (ctx, id) = (cell.ctx, cell.id);
        let sessions = engine!("coap_free_endpoint", ctx).free_endpoint(id);
        crate::ffi::session::release_cells(&sessions);
        // SAFETY: a live endpoint handle, no borrow of it remains.
        unsafe { ENDPOINTS.release(endpoint) };
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_endpoint_set_default_mtu(endpoint: *mut coap_endpoint_t, mtu: c_uint) {
    guard("coap_endpoint_set_default_mtu", || {
        let cell = handle!("coap_endpoint_set_default_mtu", endpoint, EndpointCell);
        let (ctx, id) = (cell.ctx, cell.id);
        if let Some(ep) = engine!("coap_endpoint_set_default_mtu", ctx).endpoint_mut(id) {
            ep.mtu = mtu as usize;
        }
    })
}

/// Text for coap_endpoint_str()/coap_session_str(): per-thread storage, as
/// libcoap's static buffer, valid until the next call on the same thread.
pub(crate) fn describe(text: String) -> *const c_char {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        b.extend_from_slice(text.as_bytes());
        b.push(0);
        b.as_ptr().cast()
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_endpoint_str(endpoint: *const coap_endpoint_t) -> *const c_char {
    guard("coap_endpoint_str", || {
        let cell = handle!("coap_endpoint_str", endpoint, EndpointCell);
        let (ctx, id) = (cell.ctx, cell.id);
        let local = engine!("coap_endpoint_str", ctx).endpoint(id).map(|e| (e.local, e.dtls));
        match local {
            Some((a, dtls)) => describe(format!("{a} {}", if dtls { "DTLS" } else { "UDP" })),
            None => std::ptr::null(),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_join_mcast_group_intf(context: *mut coap_context_t, group: *const c_char, ifname: *const c_char) -> c_int {
    guard("coap_join_mcast_group_intf", || {
        let engine = engine!("coap_join_mcast_group_intf", context, else -1);
        if group.is_null() {
            crate::ffi::boundary::null_arg("coap_join_mcast_group_intf", "group_name");
            return -1;
        }
        // SAFETY: NUL-terminated strings (C contract).
        let name = unsafe { std::ffi::CStr::from_ptr(group) }.to_string_lossy().into_owned();
        let ifindex = if ifname.is_null() {
            0
        } else {
            // SAFETY: as above.
            let n = unsafe { std::ffi::CStr::from_ptr(ifname) }.to_string_lossy();
            match crate::transport::udp::interface_index(&n) {
                Some(i) => i,
                None => {
                    log::warn!("coap_join_mcast_group_intf: no interface {n}");
                    return -1;
                }
            }
        };
        use std::net::ToSocketAddrs;
        let addrs: Vec<std::net::IpAddr> = match (name.as_str(), 0).to_socket_addrs() {
            Ok(a) => a.map(|a| a.ip()).filter(|ip| ip.is_multicast()).collect(),
            Err(e) => {
                log::warn!("coap_join_mcast_group_intf: cannot resolve {name}: {e}");
                return -1;
            }
        };
        let Some(&ip) = addrs.first() else {
            log::warn!("coap_join_mcast_group_intf: {name} is not a multicast address");
            return -1;
        };
        if engine.join_multicast(ip, ifindex) {
            0
        } else {
            log::warn!("coap_join_mcast_group_intf: no endpoint could join {name}");
            -1
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_mcast_per_resource(context: *mut coap_context_t) {
    guard("coap_mcast_per_resource", || engine!("coap_mcast_per_resource", context).cfg.mcast_per_resource = true)
}

/// coap_mcast_set_hops(): the IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS of a
/// client session towards a multicast group; 1 on success, 0 otherwise.
#[no_mangle]
pub unsafe extern "C" fn coap_mcast_set_hops(session: *mut coap_session_t, hops: usize) -> c_int {
    guard("coap_mcast_set_hops", || {
        let (ctx, id) = session!("coap_mcast_set_hops", session, else 0);
        let engine = engine!("coap_mcast_set_hops", ctx, else 0);
        if engine.session(id).and_then(crate::engine::context::multicast::group_of).is_none() {
            log::info!("coap_mcast_set_hops: not a multicast session");
            return 0;
        }
        let Ok(h) = u8::try_from(hops) else {
            log::info!("coap_mcast_set_hops: {hops}: setsockopt: Invalid argument (at most 255 hops)");
            return 0;
        };
        match engine.mcast_set_hops(id, h) {
            Ok(()) => 1,
            Err(e) => {
                log::info!("coap_mcast_set_hops: {hops}: setsockopt: {e}");
                0
            }
        }
    })
}
