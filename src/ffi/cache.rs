//! coap_cache(3): cache keys and cache entries. The key derivation and the
//! per-context table live in engine/cache.rs; this file keeps the C side:
//! key allocations, entry handles, recorded PDUs and app data.
//!
//! Entries die with the session they were made on (session-based or not,
//! as libcoap 4.3.1 does), on idle timeout and with their context; their
//! app-data callback runs once, when the entry goes, if the data is not NULL.
use crate::engine::cache::{self, Full, Key, NoKey};
use crate::engine::clock;
use crate::engine::pdu::PduObj;
use crate::ffi::boundary::guard;
use crate::ffi::context::ContextObj;
use crate::ffi::handle::{Handle, Pool};
use crate::ffi::session::SessionCell;
use crate::ffi::types::*;
use std::collections::HashSet;
use std::ffi::{c_int, c_uint, c_void};
use std::sync::{Mutex, PoisonError};

/// What a `coap_cache_entry_t *` points at.
pub struct CacheEntryCell {
    ctx: *mut coap_context_t,
    id: u64,
    pdu: *mut coap_pdu_t,
    app_data: usize,
    callback: coap_cache_app_data_free_callback_t,
}

static ENTRIES: Pool<CacheEntryCell> = Pool::new();

impl Handle for CacheEntryCell {
    type C = coap_cache_entry_t;
    const NAME: &'static str = "coap_cache_entry_t";
    const TAG: u64 = 0x6361_6368_6c69_7665; // "cachlive"
    fn pool() -> &'static Pool<Self> {
        &ENTRIES
    }
    fn recycle(&mut self) {
        self.ctx = std::ptr::null_mut();
        self.pdu = std::ptr::null_mut();
        self.app_data = 0;
        self.callback = None;
    }
}

/// Keys are plain 32-byte allocations, libcoap's `coap_cache_key_t` layout;
/// the set of live ones lets a deleted or foreign key be refused.
static KEYS: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn new_key(k: Key) -> *mut coap_cache_key_t {
    let p = Box::into_raw(Box::new(k));
    KEYS.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert_with(HashSet::new).insert(p as usize);
    p.cast()
}

/// The bytes of a live key, or a logged refusal.
fn read_key(func: &str, k: *const coap_cache_key_t) -> Option<Key> {
    if k.is_null() {
        crate::ffi::boundary::null_arg(func, "cache_key");
        return None;
    }
    let live = KEYS.lock().unwrap_or_else(PoisonError::into_inner).as_ref().is_some_and(|s| s.contains(&(k as usize)));
    if !live {
        log::error!("{func}: cache_key is not a live coap_cache_key_t (already deleted?)");
        return None;
    }
    // SAFETY: the pointer is in the live set: a Box<Key> we made and have not freed.
    Some(unsafe { *k.cast::<Key>() })
}

/// The session-based selector: only COAP_CACHE_IS_SESSION_BASED (1) counts,
/// as in libcoap.
fn is_session_based(v: CacheSessionBased) -> bool {
    v == coap_cache_session_based_t::COAP_CACHE_IS_SESSION_BASED as CacheSessionBased
}

/// Derives a key; `session` must be live when non-NULL, and is required
/// when the key is session based.
fn derive(func: &str, session: *const coap_session_t, pdu: *const coap_pdu_t, session_based: CacheSessionBased, ignore: &[u16]) -> Option<Key> {
    let with_session = is_session_based(session_based);
    if !session.is_null() || with_session {
        handle!(func, session, SessionCell, else None);
    }
    let obj = handle!(func, pdu, PduObj, else None);
    match cache::derive_key(&obj.pdu, with_session.then_some(session as usize), ignore) {
        Ok(key) => Some(key),
        Err(NoKey::Empty) => {
            log::debug!("{func}: the PDU has neither options nor payload to key on");
            None
        }
        Err(NoKey::BadOptions) => {
            log::warn!("{func}: the PDU's options are malformed");
            None
        }
    }
}

/// The context of a session handle and its ignore list, or a logged refusal.
fn session_ctx(func: &str, session: *const coap_session_t) -> Option<(*mut coap_context_t, Vec<u16>)> {
    let ctx = handle!(func, session, SessionCell, else None).ctx;
    let obj = handle!(func, ctx, ContextObj, else None);
    Some((ctx, obj.cache.ignore.clone()))
}

#[no_mangle]
pub unsafe extern "C" fn coap_cache_derive_key(session: *const coap_session_t, pdu: *const coap_pdu_t, session_based: CacheSessionBased) -> *mut coap_cache_key_t {
    guard("coap_cache_derive_key", || {
        let Some((_, ignore)) = session_ctx("coap_cache_derive_key", session) else { return std::ptr::null_mut() };
        derive("coap_cache_derive_key", session, pdu, session_based, &ignore).map_or(std::ptr::null_mut(), new_key)
    })
}

/// The options to ignore as a slice; NULL is allowed with a count of 0.
fn ignore_list<'a>(func: &str, options: *const u16, count: usize) -> Option<&'a [u16]> {
    if count == 0 {
        return Some(&[]);
    }
    if options.is_null() {
        crate::ffi::boundary::null_arg(func, "options");
        return None;
    }
    if count > usize::from(u16::MAX) + 1 {
        log::warn!("{func}: {count} options to ignore is more than there are option numbers");
        return None;
    }
    // SAFETY: the C contract: `options` points to `count` readable u16s.
    Some(unsafe { std::slice::from_raw_parts(options, count) })
}

#[no_mangle]
pub unsafe extern "C" fn coap_cache_derive_key_w_ignore(
    session: *const coap_session_t,
    pdu: *const coap_pdu_t,
    session_based: CacheSessionBased,
    ignore_options: *const u16,
    ignore_count: usize,
) -> *mut coap_cache_key_t {
    guard("coap_cache_derive_key_w_ignore", || {
        let func = "coap_cache_derive_key_w_ignore";
        let Some(ignore) = ignore_list(func, ignore_options, ignore_count) else { return std::ptr::null_mut() };
        derive(func, session, pdu, session_based, ignore).map_or(std::ptr::null_mut(), new_key)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_cache_key(cache_key: *mut coap_cache_key_t) {
    guard("coap_delete_cache_key", || {
        if cache_key.is_null() {
            return;
        }
        let removed = KEYS.lock().unwrap_or_else(PoisonError::into_inner).as_mut().is_some_and(|s| s.remove(&(cache_key as usize)));
        if !removed {
            log::error!("coap_delete_cache_key: cache_key is not a live coap_cache_key_t (deleted twice?)");
            return;
        }
        // SAFETY: it was in the live set, so it is a Box<Key> from new_key,
        // and removing it from the set makes this the only free.
        drop(unsafe { Box::from_raw(cache_key.cast::<Key>()) });
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_cache_ignore_options(context: *mut coap_context_t, options: *const u16, count: usize) -> c_int {
    guard("coap_cache_ignore_options", || {
        let obj = handle!("coap_cache_ignore_options", context, ContextObj);
        let Some(list) = ignore_list("coap_cache_ignore_options", options, count) else { return 0 };
        obj.cache.ignore = list.to_vec();
        1
    })
}

/// Frees entry handles the table let go of: the recorded PDU, the slot, then
/// the app-data callback (last, so it may call back into the library).
fn free_entries(handles: &[usize]) {
    for &h in handles {
        let h = h as *mut coap_cache_entry_t;
        // SAFETY: the table only holds handles made by coap_new_cache_entry.
        let Some(cell) = (unsafe { crate::ffi::handle::get::<CacheEntryCell>(h) }) else { continue };
        let (pdu, data, callback) = (cell.pdu, cell.app_data, cell.callback);
        if !pdu.is_null() {
            // SAFETY: the recorded PDU is a handle we made for this entry.
            unsafe { crate::ffi::pdu_setup::release_pdu(pdu) };
        }
        // SAFETY: as above; the borrow of the cell has ended.
        unsafe { ENTRIES.release(h) };
        if let (Some(cb), true) = (callback, data != 0) {
            // SAFETY: the application's callback, given its own data.
            unsafe { cb(data as *mut c_void) };
        }
    }
}

/// Removes the entries of `ctx` idle past their timeout (quietly does
/// nothing for a context that is gone).
pub(crate) fn expire(ctx: *mut coap_context_t) {
    // SAFETY: `ctx` came through the API; get() checks the tag.
    let Some(obj) = (unsafe { crate::ffi::handle::get::<ContextObj>(ctx) }) else { return };
    let gone = obj.cache.expire(clock::ticks());
    free_entries(&gone);
}

/// Removes the entries made on a session that is being freed.
pub(crate) fn session_gone(ctx: *mut coap_context_t, session: usize) {
    // SAFETY: as in expire().
    let Some(obj) = (unsafe { crate::ffi::handle::get::<ContextObj>(ctx) }) else { return };
    let gone = obj.cache.remove_session(session);
    free_entries(&gone);
}

/// Removes every entry of a context being freed.
pub(crate) fn clear(ctx: *mut coap_context_t) {
    // SAFETY: as in expire().
    let Some(obj) = (unsafe { crate::ffi::handle::get::<ContextObj>(ctx) }) else { return };
    let gone = obj.cache.drain();
    free_entries(&gone);
}

#[no_mangle]
pub unsafe extern "C" fn coap_new_cache_entry(
    session: *mut coap_session_t,
    pdu: *const coap_pdu_t,
    record_pdu: CacheRecordPdu,
    session_based: CacheSessionBased,
    idle_timeout: c_uint,
) -> *mut coap_cache_entry_t {
    guard("coap_new_cache_entry", || {
        let func = "coap_new_cache_entry";
        let Some((ctx, ignore)) = session_ctx(func, session) else { return std::ptr::null_mut() };
        let Some(key) = derive(func, session, pdu, session_based, &ignore) else { return std::ptr::null_mut() };
        expire(ctx);
        let copy = if record_pdu == coap_cache_record_pdu_t::COAP_CACHE_RECORD_PDU as CacheRecordPdu {
            let src = handle!(func, pdu, PduObj);
            Some((src.pdu.clone(), src.framing))
        } else {
            None
        };
        let recorded = copy.as_ref().map_or(0, |(p, _)| p.buffer().len());
        let entry = ENTRIES.alloc(
            || CacheEntryCell { ctx, id: 0, pdu: std::ptr::null_mut(), app_data: 0, callback: None },
            |c| c.ctx = ctx,
        );
        let obj = handle!(func, ctx, ContextObj);
        match obj.cache.add(key, session as usize, idle_timeout, recorded, entry as usize, clock::ticks()) {
            Ok(id) => {
                let pdu_handle = copy.map_or(std::ptr::null_mut(), |(p, framing)| {
                    let h = crate::ffi::pdu_setup::wrap_pdu(p);
                    // SAFETY: `h` was just made and is not in use elsewhere.
                    if let Some(o) = unsafe { crate::ffi::handle::get::<PduObj>(h) } {
                        o.framing = framing;
                    }
                    h
                });
                let cell = handle!(func, entry, CacheEntryCell);
                cell.id = id;
                cell.pdu = pdu_handle;
                entry
            }
            Err(full) => {
                match full {
                    Full::Entries => log::warn!("{func}: the cache already holds {} entries", cache::MAX_ENTRIES),
                    Full::Bytes => log::warn!("{func}: recorded PDUs would exceed {} bytes", cache::MAX_RECORDED_BYTES),
                }
                // SAFETY: just allocated, never handed out.
                unsafe { ENTRIES.release(entry) };
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_delete_cache_entry(context: *mut coap_context_t, cache_entry: *mut coap_cache_entry_t) {
    guard("coap_delete_cache_entry", || {
        let func = "coap_delete_cache_entry";
        let (ctx, id) = {
            let cell = handle!(func, cache_entry, CacheEntryCell);
            (cell.ctx, cell.id)
        };
        if ctx != context {
            log::error!("{func}: cache_entry belongs to another context");
            return;
        }
        let obj = handle!(func, context, ContextObj);
        if let Some(h) = obj.cache.remove(id) {
            free_entries(&[h]);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_cache_get_by_key(context: *mut coap_context_t, cache_key: *const coap_cache_key_t) -> *mut coap_cache_entry_t {
    guard("coap_cache_get_by_key", || {
        handle!("coap_cache_get_by_key", context, ContextObj);
        let Some(key) = read_key("coap_cache_get_by_key", cache_key) else { return std::ptr::null_mut() };
        lookup(context, &key)
    })
}

/// The newest live entry of `ctx` with `key`, after expiring idle ones.
fn lookup(ctx: *mut coap_context_t, key: &Key) -> *mut coap_cache_entry_t {
    expire(ctx);
    // SAFETY: `ctx` came through the API; get() checks the tag.
    let Some(obj) = (unsafe { crate::ffi::handle::get::<ContextObj>(ctx) }) else { return std::ptr::null_mut() };
    obj.cache.get(key, clock::ticks()).map_or(std::ptr::null_mut(), |h| h as *mut coap_cache_entry_t)
}

#[no_mangle]
pub unsafe extern "C" fn coap_cache_get_by_pdu(session: *mut coap_session_t, request: *const coap_pdu_t, session_based: CacheSessionBased) -> *mut coap_cache_entry_t {
    guard("coap_cache_get_by_pdu", || {
        let func = "coap_cache_get_by_pdu";
        let Some((ctx, ignore)) = session_ctx(func, session) else { return std::ptr::null_mut() };
        let Some(key) = derive(func, session, request, session_based, &ignore) else { return std::ptr::null_mut() };
        lookup(ctx, &key)
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_cache_get_pdu(cache_entry: *const coap_cache_entry_t) -> *const coap_pdu_t {
    guard("coap_cache_get_pdu", || handle!("coap_cache_get_pdu", cache_entry, CacheEntryCell).pdu.cast_const())
}

#[no_mangle]
pub unsafe extern "C" fn coap_cache_set_app_data(cache_entry: *mut coap_cache_entry_t, data: *mut c_void, callback: coap_cache_app_data_free_callback_t) {
    guard("coap_cache_set_app_data", || {
        let cell = handle!("coap_cache_set_app_data", cache_entry, CacheEntryCell);
        cell.app_data = data as usize;
        cell.callback = callback;
    })
}

#[no_mangle]
pub unsafe extern "C" fn coap_cache_get_app_data(cache_entry: *const coap_cache_entry_t) -> *mut c_void {
    guard("coap_cache_get_app_data", || handle!("coap_cache_get_app_data", cache_entry, CacheEntryCell).app_data as *mut c_void)
}
