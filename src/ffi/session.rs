//! coap_session(3), coap_endpoint_client(3) and coap_recovery(3): client
//! sessions, reference counting, addresses and transmission parameters.
use crate::engine::context::Released;
use crate::engine::session::Role;
use crate::engine::slab::Id;
use crate::ffi::boundary::guard;
use crate::ffi::context::ContextObj;
use crate::ffi::handle::{Handle, Pool};
use crate::ffi::types::*;
use crate::proto::reliability::{Fixed, TxParams};
use std::ffi::{c_char, c_int, c_uint, c_void};

/// What a `coap_session_t *` points at. The addresses are copies made on
/// first request (most sessions are never asked), kept so the pointers
/// coap_session_get_addr_*() return stay valid.
/// A PSK value handed to C, with the bytes its view points into.
pub(crate) type PskAnswer = (Vec<u8>, coap_bin_const_t);

pub struct SessionCell {
    pub ctx: *mut coap_context_t,
    pub id: Id,
    addrs: Option<Box<[coap_address_t; 3]>>,
    /// Storage behind coap_session_get_psk_hint/_identity/_key() (0, 1, 2).
    psk: Option<Box<[PskAnswer; 3]>>,
}

impl SessionCell {
    /// Keeps `value` for the psk getter `which` and points at it.
    fn psk_slot(&mut self, which: usize, value: Option<Vec<u8>>) -> *const coap_bin_const_t {
        let Some(v) = value else { return std::ptr::null() };
        let slots = self.psk.get_or_insert_with(|| {
            let empty = || (Vec::new(), coap_bin_const_t { length: 0, s: std::ptr::null() });
            Box::new([empty(), empty(), empty()])
        });
        let slot = &mut slots[which.min(2)];
        slot.0 = v;
        slot.1 = coap_bin_const_t { length: slot.0.len(), s: slot.0.as_ptr() };
        &slot.1
    }
}

impl SessionCell {
    /// Storage for the local (0), remote (1) or multicast group (2) address.
    fn addr_slot(&mut self, which: usize) -> &mut coap_address_t {
        let addrs = self.addrs.get_or_insert_with(|| Box::new([zero_addr(), zero_addr(), zero_addr()]));
        &mut addrs[which.min(2)]
    }
}

static SESSIONS: Pool<SessionCell> = Pool::new();

impl Handle for SessionCell {
    type C = coap_session_t;
    const NAME: &'static str = "coap_session_t";
    const TAG: u64 = 0x7365_7373_6c69_7665; // "sesslive"
    fn pool() -> &'static Pool<Self> {
        &SESSIONS
    }
    fn recycle(&mut self) {
        self.ctx = std::ptr::null_mut();
        self.psk = None;
    }
}

/// A handle for an engine session (the engine stores it).
pub(crate) fn new_cell(ctx: *mut coap_context_t, id: Id) -> *mut coap_session_t {
    SESSIONS.alloc(
        || SessionCell { ctx, id, addrs: None, psk: None },
        |c| {
            c.ctx = ctx;
            c.id = id;
        },
    )
}

fn zero_addr() -> coap_address_t {
    // SAFETY: all-zero is a valid coap_address_t (AF_UNSPEC).
    unsafe { std::mem::zeroed() }
}

/// The C handle of an engine session, made on first use.
pub(crate) fn handle_of(ctx: *mut coap_context_t, id: Id) -> *mut coap_session_t {
    // SAFETY: called with a live context handle and no other borrow of it.
    let Some(obj) = (unsafe { crate::ffi::handle::get::<ContextObj>(ctx) }) else { return std::ptr::null_mut() };
    let Some(s) = obj.engine.as_mut().and_then(|e| e.session_mut(id)) else { return std::ptr::null_mut() };
    if s.handle == 0 {
        s.handle = new_cell(ctx, id) as usize;
    }
    s.handle as *mut coap_session_t
}

/// Releases the handles of sessions the engine freed, and the cache
/// entries made on them.
pub(crate) fn release_cells(handles: &[usize]) {
    for &h in handles {
        // SAFETY: engine sessions only hold handles made by handle_of.
        if let Some(cell) = unsafe { crate::ffi::handle::get::<SessionCell>(h as *mut coap_session_t) } {
            crate::ffi::cache::session_gone(cell.ctx, h);
        }
        if h != 0 {
            // SAFETY: engine sessions only hold handles made by handle_of.
            unsafe { SESSIONS.release(h as *mut coap_session_t) };
        }
    }
}

/// (context handle, engine id) of a session handle, or a logged refusal.
macro_rules! session {
    ($func:expr, $s:expr) => {
        session!($func, $s, else $crate::ffi::boundary::Failure::failure())
    };
    ($func:expr, $s:expr, else $fail:expr) => {{
        let cell = handle!($func, $s, $crate::ffi::session::SessionCell, else $fail);
        (cell.ctx, cell.id)
    }};
}

/// The engine session behind a handle, or a logged refusal.
macro_rules! engine_session {
    ($func:expr, $s:expr) => {
        engine_session!($func, $s, else $crate::ffi::boundary::Failure::failure())
    };
    ($func:expr, $s:expr, else $fail:expr) => {{
        let (ctx, id) = session!($func, $s, else $fail);
        match engine!($func, ctx, else $fail).session_mut(id) {
            Some(s) => s,
            None => {
                log::error!("{}: session is gone", $func);
                return $fail;
            }
        }
    }};
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_client_session(
    context: *mut coap_context_t,
    local_if: *const coap_address_t,
    server: *const coap_address_t,
    proto: Proto,
) -> *mut coap_session_t {
    guard("coap_new_client_session", || {
        if proto == coap_proto_t::COAP_PROTO_DTLS as Proto {
            // As libcoap with neither PSK nor PKI given: a certificate
            // handshake with no certificate of our own, the server's
            // checked against the context's root CAs.
            return new_dtls_client("coap_new_client_session", context, local_if, server, proto, |engine| {
                let cfg = crate::transport::dtls::PkiConfig { verify_peer_cert: true, ..Default::default() };
                crate::transport::dtls::DtlsContext::client_pki(engine.dtls_client_pki_config(cfg))
            });
        }
        let server = arg_ref!("coap_new_client_session", server);
        let engine = engine!("coap_new_client_session", context);
        if proto != coap_proto_t::COAP_PROTO_UDP as Proto {
            log::warn!("coap_new_client_session: protocol {proto} is not supported by this build (UDP and DTLS only)");
            return std::ptr::null_mut();
        }
        let Some(remote) = server_address(server, false) else {
            log::warn!("coap_new_client_session: server address has no usable family");
            return std::ptr::null_mut();
        };
        // SAFETY: NULL or a caller-owned address (C contract).
        let local = unsafe { local_if.as_ref() }.and_then(crate::ffi::address::from_c);
        match engine.new_client_session(local, remote) {
            Ok(id) => {
                engine.mcast_client(id);
                handle_of(context, id)
            }
            Err(e) => {
                log::warn!("coap_new_client_session: cannot reach {remote}: {e}");
                std::ptr::null_mut()
            }
        }
    })
}

/// A client session's server address: port 0 means the default port of
/// the protocol, 5683 or 5684 for DTLS (coap_endpoint_client(3)).
fn server_address(server: &coap_address_t, dtls: bool) -> Option<crate::engine::address::Address> {
    let mut a = crate::ffi::address::from_c(server)?;
    if a.port() == Some(0) {
        a.set_port(if dtls { COAP_DEFAULT_PORT_DTLS } else { COAP_DEFAULT_PORT_UDP });
    }
    Some(a)
}

const COAP_DEFAULT_PORT_UDP: u16 = 5683;
const COAP_DEFAULT_PORT_DTLS: u16 = 5684;

/// The DTLS variants: a UDP session whose datagrams go through DTLS, its
/// handshake started at once (data sent meanwhile waits for it). `proto`
/// UDP makes a plain session (the keys are unused), as in libcoap; TLS and
/// the other transports are not built.
fn new_dtls_client(
    func: &'static str,
    context: *mut coap_context_t,
    local_if: *const coap_address_t,
    server: *const coap_address_t,
    proto: Proto,
    make: impl FnOnce(&crate::engine::context::Context) -> Result<crate::transport::dtls::DtlsContext, crate::transport::dtls::DtlsError>,
) -> *mut coap_session_t {
    if proto == coap_proto_t::COAP_PROTO_UDP as Proto {
        // SAFETY: forwarding the caller's arguments.
        return unsafe { coap_new_client_session(context, local_if, server, proto) };
    }
    let server = arg_ref!(func, server);
    let engine = engine!(func, context);
    if proto != coap_proto_t::COAP_PROTO_DTLS as Proto {
        log::warn!("{func}: protocol {proto} is not supported by this build (UDP and DTLS only)");
        return std::ptr::null_mut();
    }
    let Some(remote) = server_address(server, true) else {
        log::warn!("{func}: server address has no usable family");
        return std::ptr::null_mut();
    };
    // SAFETY: NULL or a caller-owned address (C contract).
    let local = unsafe { local_if.as_ref() }.and_then(crate::ffi::address::from_c);
    let dtls = match make(engine) {
        Ok(d) => d,
        Err(e) => {
            log::warn!("{func}: {e}");
            return std::ptr::null_mut();
        }
    };
    crate::ffi::dtls::install(engine, context);
    let id = match engine.new_client_session(local, remote) {
        Ok(id) => id,
        Err(e) => {
            log::warn!("{func}: cannot reach {remote}: {e}");
            return std::ptr::null_mut();
        }
    };
    if let Err(e) = engine.start_dtls_client(id, dtls) {
        log::warn!("{func}: {e}");
        if let Released::Freed(h) = engine.release(id) {
            release_cells(&[h]);
        }
        return std::ptr::null_mut();
    }
    handle_of(context, id)
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_client_session_psk(
    context: *mut coap_context_t,
    local_if: *const coap_address_t,
    server: *const coap_address_t,
    proto: Proto,
    identity: *const c_char,
    key: *const u8,
    key_len: c_uint,
) -> *mut coap_session_t {
    guard("coap_new_client_session_psk", || {
        let func = "coap_new_client_session_psk";
        let key = arg_bytes!(func, key, key_len as usize).to_vec();
        // SAFETY: NULL or NUL-terminated (C contract).
        let identity = unsafe { crate::ffi::dtls::c_str(identity) }.unwrap_or_default();
        new_dtls_client(func, context, local_if, server, proto, |_| {
            crate::transport::dtls::DtlsContext::client_psk(crate::transport::dtls::PskClientConfig {
                identity,
                key,
                ..Default::default()
            })
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_client_session_psk2(
    context: *mut coap_context_t,
    local_if: *const coap_address_t,
    server: *const coap_address_t,
    proto: Proto,
    setup: *mut coap_dtls_cpsk_t,
) -> *mut coap_session_t {
    guard("coap_new_client_session_psk2", || {
        let func = "coap_new_client_session_psk2";
        let setup = arg_ref!(func, setup);
        if u32::from(setup.version) != COAP_DTLS_CPSK_SETUP_VERSION {
            log::error!("{func}: Wrong version of setup data");
            return std::ptr::null_mut();
        }
        // SAFETY: the set-up's pointers follow coap_encryption(3).
        let cfg = unsafe { crate::ffi::dtls::cpsk_config(setup) };
        new_dtls_client(func, context, local_if, server, proto, |_| crate::transport::dtls::DtlsContext::client_psk(cfg))
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_client_session_pki(
    context: *mut coap_context_t,
    local_if: *const coap_address_t,
    server: *const coap_address_t,
    proto: Proto,
    setup: *mut coap_dtls_pki_t,
) -> *mut coap_session_t {
    guard("coap_new_client_session_pki", || {
        let func = "coap_new_client_session_pki";
        let setup = arg_ref!(func, setup);
        if u32::from(setup.version) != COAP_DTLS_PKI_SETUP_VERSION {
            log::error!("{func}: Wrong version of setup data");
            return std::ptr::null_mut();
        }
        // SAFETY: the set-up's pointers follow coap_encryption(3).
        let Some(copy) = (unsafe { crate::ffi::dtls::PkiCopy::new(func, setup) }) else { return std::ptr::null_mut() };
        new_dtls_client(func, context, local_if, server, proto, |engine| {
            crate::transport::dtls::DtlsContext::client_pki(engine.dtls_client_pki_config(copy.config()))
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_reference(session: *mut coap_session_t) -> *mut coap_session_t {
    guard("coap_session_reference", || {
        let (ctx, id) = session!("coap_session_reference", session);
        if engine!("coap_session_reference", ctx).reference(id) {
            session
        } else {
            std::ptr::null_mut()
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_release(session: *mut coap_session_t) {
    guard("coap_session_release", || {
        if session.is_null() {
            return;
        }
        let (ctx, id) = session!("coap_session_release", session);
        match engine!("coap_session_release", ctx).release(id) {
            Released::Kept => {}
            Released::Freed(h) => release_cells(&[h]),
            Released::NotReferenced => {
                log::error!("coap_session_release: session released more often than referenced");
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_disconnected(session: *mut coap_session_t, reason: NackReason) {
    guard("coap_session_disconnected", || {
        let (ctx, id) = session!("coap_session_disconnected", session);
        engine!("coap_session_disconnected", ctx).disconnect(id, reason);
        crate::ffi::io::dispatch(ctx);
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_type_client(session: *mut coap_session_t) -> c_int {
    guard("coap_session_set_type_client", || {
        let (ctx, id) = session!("coap_session_set_type_client", session);
        c_int::from(engine!("coap_session_set_type_client", ctx).set_type_client(id))
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_app_data(session: *mut coap_session_t, data: *mut c_void) {
    guard("coap_session_set_app_data", || engine_session!("coap_session_set_app_data", session).app_data = data as usize)
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_app_data(session: *const coap_session_t) -> *mut c_void {
    guard("coap_session_get_app_data", || engine_session!("coap_session_get_app_data", session).app_data as *mut c_void)
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_addr_local(session: *const coap_session_t) -> *const coap_address_t {
    guard("coap_session_get_addr_local", || {
        let (ctx, id) = session!("coap_session_get_addr_local", session);
        let Some(local) = engine!("coap_session_get_addr_local", ctx).local_addr(id) else {
            return std::ptr::null();
        };
        let slot = handle!("coap_session_get_addr_local", session, SessionCell).addr_slot(0);
        *slot = crate::ffi::address::to_c(&local);
        slot as *const coap_address_t
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_addr_remote(session: *const coap_session_t) -> *const coap_address_t {
    guard("coap_session_get_addr_remote", || {
        let remote = engine_session!("coap_session_get_addr_remote", session).remote;
        let slot = handle!("coap_session_get_addr_remote", session, SessionCell).addr_slot(1);
        *slot = crate::ffi::address::to_c(&remote);
        slot as *const coap_address_t
    })
}

/// The group of a client session set up towards a multicast address;
/// NULL for every other session (server sessions too, as in libcoap 4.3.3,
/// even when their request came by multicast).
#[no_mangle]
pub unsafe extern "C" fn coap_session_get_addr_mcast(session: *const coap_session_t) -> *const coap_address_t {
    guard("coap_session_get_addr_mcast", || {
        let s = engine_session!("coap_session_get_addr_mcast", session);
        let Some(group) = crate::engine::context::multicast::group_of(s) else { return std::ptr::null() };
        let slot = handle!("coap_session_get_addr_mcast", session, SessionCell).addr_slot(2);
        *slot = crate::ffi::address::to_c(&group);
        slot as *const coap_address_t
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_context(session: *const coap_session_t) -> *mut coap_context_t {
    guard("coap_session_get_context", || session!("coap_session_get_context", session).0)
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_ifindex(session: *const coap_session_t) -> c_int {
    guard("coap_session_get_ifindex", || engine_session!("coap_session_get_ifindex", session, else -1).ifindex)
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_proto(session: *const coap_session_t) -> Proto {
    guard("coap_session_get_proto", || {
        if engine_session!("coap_session_get_proto", session).dtls.is_some() {
            coap_proto_t::COAP_PROTO_DTLS as Proto
        } else {
            coap_proto_t::COAP_PROTO_UDP as Proto
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_state(session: *const coap_session_t) -> SessionState {
    guard("coap_session_get_state", || {
        let s = engine_session!("coap_session_get_state", session);
        if s.dtls.as_deref().is_some_and(|d| d.is_handshaking()) {
            coap_session_state_t::COAP_SESSION_STATE_HANDSHAKE as SessionState
        } else if s.established {
            coap_session_state_t::COAP_SESSION_STATE_ESTABLISHED as SessionState
        } else {
            coap_session_state_t::COAP_SESSION_STATE_NONE as SessionState
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_type(session: *const coap_session_t) -> SessionType {
    guard("coap_session_get_type", || match engine_session!("coap_session_get_type", session).role {
        Role::Client => coap_session_type_t::COAP_SESSION_TYPE_CLIENT as SessionType,
        Role::Server => coap_session_type_t::COAP_SESSION_TYPE_SERVER as SessionType,
    })
}

/// The live `SSL *` of a DTLS session (and *tls_lib = OPENSSL); plain
/// sessions, and DTLS sessions whose association ended, have none: NULL.
#[no_mangle]
pub unsafe extern "C" fn coap_session_get_tls(session: *const coap_session_t, tls_lib: *mut TlsLibrary) -> *mut c_void {
    guard("coap_session_get_tls", || {
        // SAFETY: NULL or caller-owned (C contract).
        let lib = unsafe { tls_lib.as_mut() };
        let s = engine_session!("coap_session_get_tls", session);
        let (kind, ssl) = match s.dtls.as_deref() {
            Some(d) => (coap_tls_library_t::COAP_TLS_LIBRARY_OPENSSL, d.conn().map_or(std::ptr::null_mut(), |c| c.ssl_ptr().cast())),
            None => (coap_tls_library_t::COAP_TLS_LIBRARY_NOTLS, std::ptr::null_mut()),
        };
        if let Some(t) = lib {
            *t = kind as TlsLibrary;
        }
        ssl
    })
}

/// coap_session_get_psk_hint/_identity/_key(): `which` 0, 1, 2.
fn psk_value(func: &'static str, session: *const coap_session_t, which: usize) -> *const coap_bin_const_t {
    if let Some(p) = crate::ffi::dtls::psk_in_callback(session, which) {
        return p;
    }
    let (ctx, id) = session!(func, session);
    let engine = engine!(func, ctx);
    let Some(s) = engine.session(id) else { return std::ptr::null() };
    let server = s.role == Role::Server;
    let conn = s.dtls.as_deref().and_then(|d| d.conn());
    let value = match which {
        0 if server => s.dtls.as_ref().and_then(|_| engine.dtls_server_psk_hint()),
        0 => conn.and_then(|c| c.psk_hint()),
        1 => conn.and_then(|c| c.psk_identity()),
        _ => conn.and_then(|c| c.psk_key()),
    };
    handle!(func, session, SessionCell).psk_slot(which, value.filter(|v| !v.is_empty()))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_psk_hint(session: *const coap_session_t) -> *const coap_bin_const_t {
    guard("coap_session_get_psk_hint", || psk_value("coap_session_get_psk_hint", session, 0))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_psk_identity(session: *const coap_session_t) -> *const coap_bin_const_t {
    guard("coap_session_get_psk_identity", || psk_value("coap_session_get_psk_identity", session, 1))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_psk_key(session: *const coap_session_t) -> *const coap_bin_const_t {
    guard("coap_session_get_psk_key", || psk_value("coap_session_get_psk_key", session, 2))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_mtu(session: *mut coap_session_t, mtu: c_uint) {
    guard("coap_session_set_mtu", || {
        let s = engine_session!("coap_session_set_mtu", session);
        // libcoap's lower bound: a PDU needs room for header and options.
        s.mtu = (mtu as usize).max(64);
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_max_pdu_size(session: *const coap_session_t) -> usize {
    // Without the 4-byte datagram header, as libcoap: what coap_pdu_init()
    // takes as the PDU's max_size.
    guard("coap_session_max_pdu_size", || engine_session!("coap_session_max_pdu_size", session).max_pdu_size().saturating_sub(4))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_str(session: *const coap_session_t) -> *const c_char {
    guard("coap_session_str", || {
        let (ctx, id) = session!("coap_session_str", session);
        let engine = engine!("coap_session_str", ctx);
        let (Some(local), Some(s)) = (engine.local_addr(id), engine.session(id)) else { return std::ptr::null() };
        let proto = if s.dtls.is_some() { "DTLS" } else { "UDP " };
        crate::ffi::endpoint::describe(format!("{local} <-> {} {proto}", s.remote))
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_by_peer(context: *const coap_context_t, remote: *const coap_address_t, ifindex: c_int) -> *mut coap_session_t {
    let _ = ifindex;
    guard("coap_session_get_by_peer", || {
        let remote = arg_ref!("coap_session_get_by_peer", remote);
        let Some(sa) = crate::ffi::address::from_c(remote) else { return std::ptr::null_mut() };
        let engine = engine!("coap_session_get_by_peer", context);
        let found = engine.session_ids().into_iter().find(|&id| engine.session(id).is_some_and(|s| s.remote == sa));
        found.map_or(std::ptr::null_mut(), |id| handle_of(context as *mut coap_context_t, id))
    })
}

// ---------------------------------------------------------------- recovery

fn fixed_from_c(v: coap_fixed_point_t) -> Option<Fixed> {
    (v.fractional_part < 1000).then_some(Fixed::new(v.integer_part, v.fractional_part))
}

fn fixed_to_c(v: Fixed) -> coap_fixed_point_t {
    coap_fixed_point_t { integer_part: v.integer, fractional_part: v.thousandths }
}

/// Sets a fixed-point parameter; values under `min_ms` thousandths, or
/// with a fraction of 1000 or more, are refused as libcoap does.
fn set_fixed(func: &str, session: *mut coap_session_t, value: coap_fixed_point_t, min_ms: u64, field: fn(&mut TxParams) -> &mut Fixed) {
    let s = engine_session!(func, session);
    match fixed_from_c(value).filter(|f| f.milli() >= min_ms) {
        Some(f) => *field(s.tx_mut()) = f,
        None => log::warn!("{func}: invalid value {}.{:03}", value.integer_part, value.fractional_part),
    }
}

fn get_fixed(func: &str, session: *const coap_session_t, field: fn(&TxParams) -> Fixed) -> coap_fixed_point_t {
    fixed_to_c(field(engine_session!(func, session).tx()))
}

/// Sets a count parameter; 0 is refused as libcoap does.
fn set_count<T: Copy + PartialEq + Default + std::fmt::Display>(func: &str, session: *mut coap_session_t, value: T, field: fn(&mut TxParams) -> &mut T) {
    let s = engine_session!(func, session);
    if value == T::default() {
        log::warn!("{func}: 0 is not a valid value");
    } else {
        *field(s.tx_mut()) = value;
    }
}

fn get_count<T: Copy + crate::ffi::boundary::Failure>(func: &str, session: *const coap_session_t, field: fn(&TxParams) -> T) -> T {
    field(engine_session!(func, session).tx())
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_ack_timeout(session: *mut coap_session_t, value: coap_fixed_point_t) {
    guard("coap_session_set_ack_timeout", || set_fixed("coap_session_set_ack_timeout", session, value, 1, |t| &mut t.ack_timeout))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_ack_timeout(session: *const coap_session_t) -> coap_fixed_point_t {
    guard("coap_session_get_ack_timeout", || get_fixed("coap_session_get_ack_timeout", session, |t| t.ack_timeout))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_ack_random_factor(session: *mut coap_session_t, value: coap_fixed_point_t) {
    guard("coap_session_set_ack_random_factor", || set_fixed("coap_session_set_ack_random_factor", session, value, 1000, |t| &mut t.ack_random_factor))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_ack_random_factor(session: *const coap_session_t) -> coap_fixed_point_t {
    guard("coap_session_get_ack_random_factor", || get_fixed("coap_session_get_ack_random_factor", session, |t| t.ack_random_factor))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_default_leisure(session: *mut coap_session_t, value: coap_fixed_point_t) {
    guard("coap_session_set_default_leisure", || set_fixed("coap_session_set_default_leisure", session, value, 1, |t| &mut t.default_leisure))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_default_leisure(session: *const coap_session_t) -> coap_fixed_point_t {
    guard("coap_session_get_default_leisure", || get_fixed("coap_session_get_default_leisure", session, |t| t.default_leisure))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_non_timeout(session: *mut coap_session_t, value: coap_fixed_point_t) {
    guard("coap_session_set_non_timeout", || set_fixed("coap_session_set_non_timeout", session, value, 1, |t| &mut t.non_timeout))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_non_timeout(session: *const coap_session_t) -> coap_fixed_point_t {
    guard("coap_session_get_non_timeout", || get_fixed("coap_session_get_non_timeout", session, |t| t.non_timeout))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_non_receive_timeout(session: *mut coap_session_t, value: coap_fixed_point_t) {
    guard("coap_session_set_non_receive_timeout", || set_fixed("coap_session_set_non_receive_timeout", session, value, 1, |t| &mut t.non_receive_timeout))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_non_receive_timeout(session: *const coap_session_t) -> coap_fixed_point_t {
    guard("coap_session_get_non_receive_timeout", || get_fixed("coap_session_get_non_receive_timeout", session, |t| t.non_receive_timeout))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_max_retransmit(session: *mut coap_session_t, value: u16) {
    guard("coap_session_set_max_retransmit", || set_count("coap_session_set_max_retransmit", session, value, |t| &mut t.max_retransmit))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_max_retransmit(session: *const coap_session_t) -> u16 {
    guard("coap_session_get_max_retransmit", || get_count("coap_session_get_max_retransmit", session, |t| t.max_retransmit))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_nstart(session: *mut coap_session_t, value: u16) {
    guard("coap_session_set_nstart", || set_count("coap_session_set_nstart", session, value, |t| &mut t.nstart))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_nstart(session: *const coap_session_t) -> u16 {
    guard("coap_session_get_nstart", || get_count("coap_session_get_nstart", session, |t| t.nstart))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_probing_rate(session: *mut coap_session_t, value: u32) {
    guard("coap_session_set_probing_rate", || set_count("coap_session_set_probing_rate", session, value, |t| &mut t.probing_rate))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_probing_rate(session: *const coap_session_t) -> u32 {
    guard("coap_session_get_probing_rate", || get_count("coap_session_get_probing_rate", session, |t| t.probing_rate))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_max_payloads(session: *mut coap_session_t, value: u16) {
    guard("coap_session_set_max_payloads", || set_count("coap_session_set_max_payloads", session, value, |t| &mut t.max_payloads))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_max_payloads(session: *const coap_session_t) -> u16 {
    guard("coap_session_get_max_payloads", || get_count("coap_session_get_max_payloads", session, |t| t.max_payloads))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_set_non_max_retransmit(session: *mut coap_session_t, value: u16) {
    guard("coap_session_set_non_max_retransmit", || set_count("coap_session_set_non_max_retransmit", session, value, |t| &mut t.non_max_retransmit))
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_get_non_max_retransmit(session: *const coap_session_t) -> u16 {
    guard("coap_session_get_non_max_retransmit", || get_count("coap_session_get_non_max_retransmit", session, |t| t.non_max_retransmit))
}

// ----------------------------------------------------- tokens, message ids

#[no_mangle]
pub unsafe extern "C" fn coap_new_message_id(session: *mut coap_session_t) -> u16 {
    guard("coap_new_message_id", || engine_session!("coap_new_message_id", session).new_mid())
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_new_token(session: *mut coap_session_t, len: *mut usize, token: *mut u8) {
    guard("coap_session_new_token", || {
        let out_len = arg_mut!("coap_session_new_token", len);
        if token.is_null() {
            crate::ffi::boundary::null_arg("coap_session_new_token", "token");
            return;
        }
        let t = engine_session!("coap_session_new_token", session).new_token();
        // SAFETY: libcoap's contract: `token` has room for 8 bytes.
        unsafe { std::ptr::copy_nonoverlapping(t.as_ptr(), token, t.len()) };
        *out_len = t.len();
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_session_init_token(session: *mut coap_session_t, len: usize, data: *const u8) {
    guard("coap_session_init_token", || {
        let bytes = arg_bytes!("coap_session_init_token", data, len);
        let s = engine_session!("coap_session_init_token", session);
        let mut counter = [0u8; 8];
        let take = &bytes[..bytes.len().min(8)];
        counter[8 - take.len()..].copy_from_slice(take);
        // As libcoap: the next token handed out is this value plus one.
        s.token_counter = u64::from_be_bytes(counter);
    })
}
