//! coap_cache(3): cache keys and the per-context table of cache entries.
//!
//! The key is what libcoap computes, byte for byte (found by experiment
//! against Debian's 4.3.1): SHA-256 over the session handle's pointer value
//! (session-based keys only), then for each option that is part of the
//! cache key its number as a native-endian u16 and its value (no length),
//! then the payload of a FETCH (RFC 8132 §2).
//!
//! The table maps a key to entries; the newest entry with a key wins a
//! lookup, as in libcoap. Entries refer to the C handle that represents them
//! (`handle`); freeing that handle is the caller's business, so every
//! removal hands the handles back.
use crate::proto::msg::FETCH;
use crate::proto::option::{self, OptNum};
use crate::proto::pdu::Pdu;
use openssl::sha::Sha256;
use std::collections::HashMap;

pub type Key = [u8; 32];

/// Most entries one context holds; more are refused with a log line.
pub const MAX_ENTRIES: usize = 65_536;
/// Most bytes of recorded PDUs one context holds.
pub const MAX_RECORDED_BYTES: usize = 64 * 1024 * 1024;

/// Observe (RFC 7641 §2) and NoCacheKey options (RFC 7252 §5.4.6) are never
/// part of a key; `ignore` lists further options to leave out.
pub fn in_key(number: OptNum, ignore: &[OptNum]) -> bool {
    !(option::is_no_cache_key(number) || number == option::OBSERVE || ignore.contains(&number))
}

/// Why a PDU has no cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoKey {
    /// Nothing follows the token (libcoap's option iterator refuses such a
    /// PDU, so libcoap derives no key for it either).
    Empty,
    /// The options are malformed.
    BadOptions,
}

/// The cache key of `pdu`; `session` is the session handle's pointer value
/// for session-based keys.
pub fn derive_key(pdu: &Pdu, session: Option<usize>, ignore: &[OptNum]) -> Result<Key, NoKey> {
    if pdu.used_size() <= pdu.e_token_len() {
        return Err(NoKey::Empty);
    }
    let mut sha = Sha256::new();
    if let Some(s) = session {
        sha.update(&s.to_ne_bytes());
    }
    for o in pdu.options() {
        let o = o.map_err(|_| NoKey::BadOptions)?;
        if in_key(o.number, ignore) {
            sha.update(&o.number.to_ne_bytes());
            sha.update(o.value);
        }
    }
    if pdu.code == FETCH {
        if let Some(body) = pdu.payload() {
            sha.update(body);
        }
    }
    Ok(sha.finish())
}

struct Entry {
    key: Key,
    /// The session handle the entry was made on: it dies with it.
    session: usize,
    idle_ms: u64,
    expires: u64,
    handle: usize,
    recorded: usize,
}

/// Why an entry was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    Entries,
    Bytes,
}

#[derive(Default)]
pub struct Cache {
    entries: HashMap<u64, Entry>,
    /// Entry ids per key, oldest first.
    by_key: HashMap<Key, Vec<u64>>,
    next_id: u64,
    recorded: usize,
    /// Options coap_cache_ignore_options() left out of keys.
    pub ignore: Vec<OptNum>,
}

impl Cache {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an entry for `handle`; `recorded` is the size of the PDU copy it
    /// keeps (0 if none). Idle timeout 0 never expires.
    pub fn add(&mut self, key: Key, session: usize, idle_secs: u32, recorded: usize, handle: usize, now: u64) -> Result<u64, Full> {
        if self.entries.len() >= MAX_ENTRIES {
            return Err(Full::Entries);
        }
        if self.recorded.saturating_add(recorded) > MAX_RECORDED_BYTES {
            return Err(Full::Bytes);
        }
        let id = self.next_id;
        self.next_id += 1;
        let idle_ms = u64::from(idle_secs) * super::clock::TICKS_PER_SECOND;
        self.entries.insert(id, Entry { key, session, idle_ms, expires: now.saturating_add(idle_ms), handle, recorded });
        self.by_key.entry(key).or_default().push(id);
        self.recorded += recorded;
        Ok(id)
    }

    /// The newest entry with `key` (its handle), its idle time restarted.
    pub fn get(&mut self, key: &Key, now: u64) -> Option<usize> {
        let id = *self.by_key.get(key)?.last()?;
        let e = self.entries.get_mut(&id)?;
        e.expires = now.saturating_add(e.idle_ms);
        Some(e.handle)
    }

    /// Removes entry `id`; its handle, if it was there.
    pub fn remove(&mut self, id: u64) -> Option<usize> {
        let e = self.entries.remove(&id)?;
        if let Some(ids) = self.by_key.get_mut(&e.key) {
            ids.retain(|&i| i != id);
            if ids.is_empty() {
                self.by_key.remove(&e.key);
            }
        }
        self.recorded -= e.recorded;
        Some(e.handle)
    }

    fn remove_where(&mut self, pred: impl Fn(&Entry) -> bool) -> Vec<usize> {
        let mut ids: Vec<u64> = self.entries.iter().filter(|(_, e)| pred(e)).map(|(&id, _)| id).collect();
        ids.sort_unstable();
        ids.into_iter().filter_map(|id| self.remove(id)).collect()
    }

    /// Removes entries idle past their timeout; their handles.
    pub fn expire(&mut self, now: u64) -> Vec<usize> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        self.remove_where(|e| e.idle_ms > 0 && e.expires <= now)
    }

    /// Removes the entries made on `session`; their handles.
    pub fn remove_session(&mut self, session: usize) -> Vec<usize> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        self.remove_where(|e| e.session == session)
    }

    /// Removes every entry; their handles, oldest first.
    pub fn drain(&mut self) -> Vec<usize> {
        let mut all: Vec<(u64, usize)> = self.entries.drain().map(|(id, e)| (id, e.handle)).collect();
        self.by_key.clear();
        self.recorded = 0;
        all.sort_unstable();
        all.into_iter().map(|(_, h)| h).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::msg::MsgType;

    fn get_a() -> Pdu {
        let mut p = Pdu::new(MsgType::Con, 1, 1, 100);
        p.add_option(11, b"a").unwrap();
        p
    }

    #[test]
    fn key_is_sha256_of_numbers_and_values() {
        // Debian's libcoap gives this key for GET with Uri-Path "a".
        let k = derive_key(&get_a(), None, &[]).unwrap();
        assert_eq!(hex(&k), "603843c6bb5777de78b5eefba9e6d4e0acc29cfd7f2441b9c3026b6deaea21c2");
        // Everything ignored: the digest of nothing.
        let k = derive_key(&get_a(), None, &[11]).unwrap();
        assert_eq!(hex(&k), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        // Nothing after the token: no key, as in libcoap.
        let mut p = Pdu::new(MsgType::Con, 1, 1, 100);
        p.add_token(b"tok").unwrap();
        assert_eq!(derive_key(&p, None, &[]), Err(NoKey::Empty));
    }

    #[test]
    fn no_cache_key_and_observe_are_left_out() {
        let mut p = Pdu::new(MsgType::Con, 1, 1, 100);
        p.add_option(6, b"\x00").unwrap();
        p.add_option(11, b"a").unwrap();
        p.add_option(60, b"\x10").unwrap();
        assert!(!in_key(60, &[]) && !in_key(6, &[]) && in_key(11, &[]));
        assert_eq!(derive_key(&p, None, &[]), derive_key(&get_a(), None, &[]));
    }

    #[test]
    fn fetch_body_counts_other_bodies_do_not() {
        let mut get = get_a();
        get.add_payload(b"x").unwrap();
        assert_eq!(derive_key(&get, None, &[]), derive_key(&get_a(), None, &[]));
        let mut f1 = Pdu::new(MsgType::Con, FETCH, 1, 100);
        f1.add_payload(b"x").unwrap();
        let mut f2 = Pdu::new(MsgType::Con, FETCH, 1, 100);
        f2.add_payload(b"y").unwrap();
        assert_ne!(derive_key(&f1, None, &[]), derive_key(&f2, None, &[]));
    }

    #[test]
    fn newest_wins_and_idle_entries_expire() {
        let mut c = Cache::default();
        let k = [1u8; 32];
        let a = c.add(k, 7, 0, 0, 100, 0).unwrap();
        let b = c.add(k, 7, 2, 10, 200, 0).unwrap();
        assert_eq!(c.get(&k, 0), Some(200));
        assert_eq!(c.remove(b), Some(200));
        assert_eq!(c.get(&k, 0), Some(100));
        c.add(k, 8, 1, 0, 300, 0).unwrap();
        assert_eq!(c.get(&k, 500), Some(300)); // restarts the idle time
        assert!(c.expire(1400).is_empty());
        assert_eq!(c.expire(1500), vec![300]);
        assert_eq!(c.remove_session(7), vec![100]);
        assert!(c.is_empty() && c.remove(a).is_none());
        assert_eq!(c.recorded, 0);
    }

    #[test]
    fn bounded() {
        let mut c = Cache::default();
        assert_eq!(c.add([0; 32], 1, 0, MAX_RECORDED_BYTES + 1, 1, 0), Err(Full::Bytes));
        for i in 0..MAX_ENTRIES {
            let mut k = [0; 32];
            k[..8].copy_from_slice(&i.to_ne_bytes());
            c.add(k, 1, 0, 0, i, 0).unwrap();
        }
        assert_eq!(c.add([0; 32], 1, 0, 0, 0, 0), Err(Full::Entries));
        assert_eq!(c.drain().len(), MAX_ENTRIES);
    }

    fn hex(k: &Key) -> String {
        k.iter().map(|b| format!("{b:02x}")).collect()
    }
}
