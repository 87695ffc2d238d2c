//! coap_persist(3): what a server keeps over a restart. Observers (the
//! registering request and the addresses it came on), the Observe number of
//! each resource, and resources made through the unknown-resource handler.
//!
//! The engine only *records* changes in a [`Journal`] while tracking is on;
//! the FFI layer drains it after each engine call (no engine borrow alive)
//! and hands the changes to the application's call-backs or to a [`Store`],
//! which keeps the state in files of our own format (see [`encode`]).
//!
//! This file is a child module of `context.rs` (as `blockwise.rs` is), so
//! the `impl Context` below reaches the context's private parts; the hooks
//! in `context.rs` are one line each.
use super::Context;
use crate::engine::address::{Address, UnixPath};
use crate::engine::observe::Observer;
use crate::engine::resource::Found;
use crate::engine::session::{Role, Route, Session};
use crate::engine::slab::Id;
use crate::proto::msg::{self, Framing};
use crate::proto::option;
use crate::proto::pdu::Pdu;
use crate::proto::wire;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};

/// coap_proto_t value of plain UDP, the only protocol observers are kept for.
pub const PROTO_UDP: u8 = 1;

/// One change the application (or the store) must hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    ObserveAdded { session: Id, key: u64, saved: SavedObserver },
    /// `handle`: the session's C handle when it had one (0 otherwise).
    ObserveDeleted { session: Id, handle: usize, key: u64 },
    ObserveValue { path: Vec<u8>, value: u32 },
    ResourceDeleted { path: Vec<u8> },
}

/// What the engine records; all off until the FFI layer turns tracking on.
#[derive(Debug, Default)]
pub struct Journal {
    observers: bool,
    values: bool,
    resources: bool,
    save_freq: u32,
    changes: Vec<Change>,
}

impl Journal {
    /// Which kinds of change to record; `save_freq` 0 counts as 1.
    pub fn configure(&mut self, observers: bool, values: bool, resources: bool, save_freq: u32) {
        self.observers = observers;
        self.values = values;
        self.resources = resources;
        self.save_freq = save_freq.max(1);
        if !(observers || values || resources) {
            self.changes.clear();
        }
    }

    pub fn save_freq(&self) -> u32 {
        self.save_freq.max(1)
    }

    pub fn is_tracking(&self) -> bool {
        self.observers || self.values || self.resources
    }

    pub fn take(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    pub fn push(&mut self, c: Change) {
        self.changes.push(c);
    }
}

/// Why coap_persist_observe_add() refused an entry.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    NoEndpoint,
    Malformed(&'static str),
    NoResource(String),
    NotObservable(String),
}

impl std::fmt::Display for AddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddError::NoEndpoint => write!(f, "no UDP endpoint listens on that address"),
            AddError::Malformed(why) => write!(f, "discard malformed PDU ({why})"),
            AddError::NoResource(p) => write!(f, "resource '{p}' not defined"),
            AddError::NotObservable(p) => write!(f, "resource '{p}' not observable"),
        }
    }
}

impl Context {
    /// Hook: an observer (session, token) was just added to `rid`.
    pub(super) fn persist_observer_added(&mut self, rid: Id, sid: Id, token: &[u8]) {
        if !(self.persist.observers || self.persist.values) {
            return;
        }
        let Some(r) = self.resources.get(rid) else { return };
        let (path, seq) = (r.path.clone(), r.obs_seq);
        let found = r.observers.iter().find(|o| o.session == sid && o.token == token).map(|o| (o.key, o.request.clone()));
        if let (true, Some((key, request))) = (self.persist.observers, found) {
            if let Some(saved) = self.saved_observer(sid, &request) {
                self.persist.push(Change::ObserveAdded { session: sid, key, saved });
            }
        }
        if self.persist.values {
            // As libcoap: the value in use when an observer registers.
            self.persist.push(Change::ObserveValue { path, value: seq });
        }
    }

    /// Hook: observers of `rid` (every resource when None) held by `sid`
    /// (with `token` when Some) are about to go.
    pub(super) fn persist_observers_gone(&mut self, rid: Option<Id>, sid: Id, token: Option<&[u8]>) {
        if !self.persist.observers {
            return;
        }
        let handle = self.sessions.get(sid).map_or(0, |s| s.handle);
        let matches = |o: &Observer| o.session == sid && token.map_or(true, |t| o.token == t);
        let keys: Vec<u64> = match rid {
            Some(rid) => self.resources.get(rid).map_or(Vec::new(), |r| r.observers.iter().filter(|o| matches(o)).map(|o| o.key).collect()),
            None => self.resources.iter_mut().flat_map(|(_, r)| r.observers.iter().filter(|o| matches(o)).map(|o| o.key).collect::<Vec<_>>()).collect(),
        };
        for key in keys {
            self.persist.push(Change::ObserveDeleted { session: sid, handle, key });
        }
    }

    /// Hook: `rid`'s Observe number just moved on; recorded every
    /// `save_freq` values.
    pub(super) fn persist_value(&mut self, rid: Id) {
        if !self.persist.values {
            return;
        }
        let freq = self.persist.save_freq();
        if let Some(r) = self.resources.get(rid) {
            if r.obs_seq % freq == 0 {
                let change = Change::ObserveValue { path: r.path.clone(), value: r.obs_seq };
                self.persist.push(change);
            }
        }
    }

    /// A resource is about to be deleted: its observers go with it.
    pub fn persist_resource_deleting(&mut self, rid: Id) {
        if !self.persist.is_tracking() {
            return;
        }
        let Some(r) = self.resources.get(rid) else { return };
        let path = r.path.clone();
        let sessions: Vec<Id> = r.observers.iter().map(|o| o.session).collect();
        let mut sessions_seen = Vec::new();
        for sid in sessions {
            if !sessions_seen.contains(&sid) {
                sessions_seen.push(sid);
                self.persist_observers_gone(Some(rid), sid, None);
            }
        }
        if self.persist.resources {
            self.persist.push(Change::ResourceDeleted { path });
        }
    }

    /// A resource was replaced by one with its path (coap_add_resource):
    /// the old one counts as deleted.
    pub fn persist_resource_replaced(&mut self, old: &super::super::resource::Resource) {
        if self.persist.observers {
            for o in &old.observers {
                let handle = self.sessions.get(o.session).map_or(0, |s| s.handle);
                self.persist.push(Change::ObserveDeleted { session: o.session, handle, key: o.key });
            }
        }
        if self.persist.resources {
            self.persist.push(Change::ResourceDeleted { path: old.path.clone() });
        }
    }

    /// The saved form of an observer registered on `sid` with `request`
    /// (plain UDP server sessions only, as libcoap).
    fn saved_observer(&self, sid: Id, request: &Pdu) -> Option<SavedObserver> {
        let s = self.sessions.get(sid)?;
        let Route::Endpoint(ep) = s.route else { return None };
        let ep = self.endpoints.get(ep)?;
        if ep.dtls || s.dtls.is_some() {
            return None;
        }
        let raw = wire::to_vec(request, Framing::Udp).ok()?;
        Some(SavedObserver { proto: PROTO_UDP, listen: ep.local, remote: s.remote, local: ep.local, raw, oscore: None })
    }

    /// coap_persist_observe_add(): a server session for `remote` on the
    /// UDP endpoint bound to `listen`, observing what `raw` asks for.
    /// Returns the observer's key.
    pub fn persist_observe_add(&mut self, listen: &Address, remote: Address, raw: &[u8]) -> Result<u64, AddError> {
        let ep = self
            .endpoints
            .iter()
            .find(|(_, e)| !e.dtls && e.local == *listen)
            .map(|(id, _)| id)
            .ok_or(AddError::NoEndpoint)?;
        if raw.len() < 4 {
            return Err(AddError::Malformed("shorter than a header"));
        }
        let request = wire::parse_udp(raw, self.cfg.max_token_size.max(msg::TOKEN_DEFAULT_MAX)).map_err(|_| AddError::Malformed("does not parse"))?;
        if request.code != msg::GET && request.code != msg::FETCH {
            return Err(AddError::Malformed("not GET or FETCH"));
        }
        let observe = request.option(option::OBSERVE).ok_or(AddError::Malformed("no Observe option"))?;
        if observe.value.iter().any(|&b| b != 0) {
            return Err(AddError::Malformed("Observe is not 0 (register)"));
        }
        let path = super::request_path(&request);
        let shown = String::from_utf8_lossy(&path).into_owned();
        let rid = match self.resources.find(&path) {
            Found::Resource(rid) => rid,
            _ => return Err(AddError::NoResource(shown)),
        };
        if !self.resources.get(rid).is_some_and(|r| r.observable && r.handler(request.code).is_some()) {
            return Err(AddError::NotObservable(shown));
        }
        let sid = self.server_session(ep, remote);
        let token = request.token().to_vec();
        let Some(r) = self.resources.get_mut(rid) else { return Err(AddError::NoResource(shown)) };
        if let Some(o) = r.observers.iter().find(|o| o.session == sid && o.token == token) {
            // Already observing: that subscription, unchanged (as libcoap).
            return Ok(o.key);
        }
        r.observers.push(Observer::new(sid, token.clone(), request));
        // The observer holds its session (one reference per observer).
        self.reference(sid);
        let key = self.resources.get(rid).and_then(|r| r.observers.last()).map_or(0, |o| o.key);
        self.persist_observer_added(rid, sid, &token);
        Ok(key)
    }

    /// A session that exists only while a saved dynamic resource is
    /// re-created through the unknown-resource handler (libcoap hands that
    /// handler a bare session too). Its peer is the unspecified address.
    pub fn persist_scratch_session(&mut self) -> Id {
        let route = match self.endpoints.ids().first() {
            Some(&ep) => Route::Endpoint(ep),
            None => Route::Endpoint(Id::placeholder()),
        };
        let nowhere = Address::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        let mut seed = [0u8; 10];
        crate::engine::prng::fill(&mut seed);
        self.sessions.insert(Session::new(Role::Server, route, None, nowhere, super::now(), seed))
    }

    /// Ends a scratch session; returns its C handle to release.
    pub fn persist_drop_scratch(&mut self, sid: Id) -> Option<usize> {
        self.events.retain(|e| e.session() != sid);
        self.drop_session(sid)
    }

    /// The request handler for `code` of the unknown resource, if any.
    pub fn persist_unknown_handler(&self, code: u8) -> Option<(Id, usize)> {
        let rid = self.resources.unknown?;
        self.resources.get(rid)?.handler(code).map(|h| (rid, h))
    }

    /// Whether `rid` is the unknown-resource handler's resource.
    pub fn is_unknown_resource(&self, rid: Id) -> bool {
        self.resources.unknown == Some(rid)
    }
}

// ------------------------------------------------------------ saved forms

/// An observer as kept over a restart: what coap_observe_added_t gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedObserver {
    pub proto: u8,
    /// The endpoint's bound address.
    pub listen: Address,
    pub remote: Address,
    pub local: Address,
    /// The registering request as sent on the wire (UDP framing).
    pub raw: Vec<u8>,
    /// OSCORE association (never made by this build; kept if given).
    pub oscore: Option<Vec<u8>>,
}

/// A resource made by the unknown-resource handler, and the request that
/// made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedResource {
    pub proto: u8,
    pub name: Vec<u8>,
    pub raw: Vec<u8>,
}

// ------------------------------------------------------------ file format
//
// Every file: magic "COAPPST" | kind (1 byte: 'O' observers, 'N' Observe
// numbers, 'D' dynamic resources) | version 1 (1 byte) | record count (u32)
// | records | FNV-1a 32-bit checksum of everything before it (u32).
// Integers are big-endian; a byte string is a u32 length and the bytes.
//   O record: proto u8, listen addr, remote addr, local addr, raw bytes,
//             oscore flag u8 (0/1) [+ bytes]
//   N record: resource name bytes, number u32
//   D record: proto u8, resource name bytes, raw bytes
//   addr: family u8 — 4: IPv4 (4 bytes, port u16); 6: IPv6 (16 bytes, port
//         u16, flowinfo u32, scope id u32); 1: AF_UNIX (path bytes)
// Reads are bounded (file, record count, each string); anything short,
// long, unknown or failing its checksum rejects the whole file.

const MAGIC: &[u8; 7] = b"COAPPST";
const VERSION: u8 = 1;
pub const KIND_OBSERVERS: u8 = b'O';
pub const KIND_NUMBERS: u8 = b'N';
pub const KIND_RESOURCES: u8 = b'D';
/// Largest file read back.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;
/// Most records a file may hold.
const MAX_RECORDS: u32 = 1 << 20;
/// Largest byte string in a record (a UDP datagram, or a resource name).
const MAX_BYTES: usize = 65536;

fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

struct Writer(Vec<u8>);

impl Writer {
    fn new(kind: u8, count: usize) -> Writer {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(MAGIC);
        v.push(kind);
        v.push(VERSION);
        v.extend_from_slice(&(count as u32).to_be_bytes());
        Writer(v)
    }
    fn u8(&mut self, x: u8) {
        self.0.push(x);
    }
    fn u16(&mut self, x: u16) {
        self.0.extend_from_slice(&x.to_be_bytes());
    }
    fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_be_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    fn addr(&mut self, a: &Address) {
        match a {
            Address::V4(s) => {
                self.u8(4);
                self.0.extend_from_slice(&s.ip().octets());
                self.u16(s.port());
            }
            Address::V6(s) => {
                self.u8(6);
                self.0.extend_from_slice(&s.ip().octets());
                self.u16(s.port());
                self.u32(s.flowinfo());
                self.u32(s.scope_id());
            }
            Address::Unix(p) => {
                self.u8(1);
                self.bytes(p.as_bytes());
            }
        }
    }
    fn finish(mut self) -> Vec<u8> {
        let sum = fnv1a(&self.0);
        self.u32(sum);
        self.0
    }
}

/// A file of `kind` whose record area (count, then records) is `records`,
/// with a valid header and checksum: lets the fuzzer reach the record
/// decoders, which a random checksum would almost never let it do.
pub fn seal(kind: u8, records: &[u8]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(MAGIC.len() + 2 + records.len() + 4));
    w.0.extend_from_slice(MAGIC);
    w.0.push(kind);
    w.0.push(VERSION);
    w.0.extend_from_slice(records);
    w.finish()
}

/// Why a saved file was rejected.
pub type FormatError = &'static str;

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self.pos.checked_add(n).ok_or("length overflow")?;
        let s = self.data.get(self.pos..end).ok_or("truncated record")?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, FormatError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn bytes(&mut self) -> Result<Vec<u8>, FormatError> {
        let n = self.u32()? as usize;
        if n > MAX_BYTES {
            return Err("byte string too long");
        }
        Ok(self.take(n)?.to_vec())
    }
    fn addr(&mut self) -> Result<Address, FormatError> {
        match self.u8()? {
            4 => {
                let b = self.take(4)?;
                let ip = Ipv4Addr::new(b[0], b[1], b[2], b[3]);
                Ok(Address::V4(SocketAddrV4::new(ip, self.u16()?)))
            }
            6 => {
                let mut o = [0u8; 16];
                o.copy_from_slice(self.take(16)?);
                let port = self.u16()?;
                let (flow, scope) = (self.u32()?, self.u32()?);
                Ok(Address::V6(SocketAddrV6::new(Ipv6Addr::from(o), port, flow, scope)))
            }
            1 => {
                let p = self.bytes()?;
                UnixPath::new(&p).map(Address::Unix).map_err(|_| "bad AF_UNIX path")
            }
            _ => Err("unknown address family"),
        }
    }
}

/// Checks the frame of a file of `kind`; returns a reader at the first
/// record and the record count.
fn open(kind: u8, data: &[u8]) -> Result<(Reader<'_>, u32), FormatError> {
    if data.len() < MAGIC.len() + 2 + 4 + 4 {
        return Err("too short");
    }
    let (body, sum) = data.split_at(data.len() - 4);
    if &body[..MAGIC.len()] != MAGIC {
        return Err("not a persist file (bad magic)");
    }
    if body[MAGIC.len()] != kind {
        return Err("a persist file of another kind");
    }
    if body[MAGIC.len() + 1] != VERSION {
        return Err("unsupported format version");
    }
    if fnv1a(body) != u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]) {
        return Err("checksum mismatch (corrupt or truncated)");
    }
    let mut r = Reader { data: body, pos: MAGIC.len() + 2 };
    let count = r.u32()?;
    if count > MAX_RECORDS {
        return Err("too many records");
    }
    Ok((r, count))
}

fn end(r: &Reader<'_>) -> Result<(), FormatError> {
    if r.pos == r.data.len() {
        Ok(())
    } else {
        Err("trailing bytes after the last record")
    }
}

pub fn encode_observers(list: &[SavedObserver]) -> Vec<u8> {
    let mut w = Writer::new(KIND_OBSERVERS, list.len());
    for o in list {
        w.u8(o.proto);
        w.addr(&o.listen);
        w.addr(&o.remote);
        w.addr(&o.local);
        w.bytes(&o.raw);
        match &o.oscore {
            Some(b) => {
                w.u8(1);
                w.bytes(b);
            }
            None => w.u8(0),
        }
    }
    w.finish()
}

pub fn decode_observers(data: &[u8]) -> Result<Vec<SavedObserver>, FormatError> {
    let (mut r, count) = open(KIND_OBSERVERS, data)?;
    let mut list = Vec::new();
    for _ in 0..count {
        let proto = r.u8()?;
        let (listen, remote, local) = (r.addr()?, r.addr()?, r.addr()?);
        let raw = r.bytes()?;
        let oscore = match r.u8()? {
            0 => None,
            1 => Some(r.bytes()?),
            _ => return Err("bad OSCORE flag"),
        };
        list.push(SavedObserver { proto, listen, remote, local, raw, oscore });
    }
    end(&r)?;
    Ok(list)
}

pub fn encode_numbers(list: &[(Vec<u8>, u32)]) -> Vec<u8> {
    let mut w = Writer::new(KIND_NUMBERS, list.len());
    for (name, n) in list {
        w.bytes(name);
        w.u32(*n);
    }
    w.finish()
}

pub fn decode_numbers(data: &[u8]) -> Result<Vec<(Vec<u8>, u32)>, FormatError> {
    let (mut r, count) = open(KIND_NUMBERS, data)?;
    let mut list = Vec::new();
    for _ in 0..count {
        let name = r.bytes()?;
        let n = r.u32()?;
        if n > 0x00FF_FFFF {
            return Err("Observe number beyond 24 bits");
        }
        list.push((name, n));
    }
    end(&r)?;
    Ok(list)
}

pub fn encode_resources(list: &[SavedResource]) -> Vec<u8> {
    let mut w = Writer::new(KIND_RESOURCES, list.len());
    for d in list {
        w.u8(d.proto);
        w.bytes(&d.name);
        w.bytes(&d.raw);
    }
    w.finish()
}

pub fn decode_resources(data: &[u8]) -> Result<Vec<SavedResource>, FormatError> {
    let (mut r, count) = open(KIND_RESOURCES, data)?;
    let mut list = Vec::new();
    for _ in 0..count {
        let proto = r.u8()?;
        let (name, raw) = (r.bytes()?, r.bytes()?);
        list.push(SavedResource { proto, name, raw });
    }
    end(&r)?;
    Ok(list)
}

/// The Observe number to start from after a restart when `saved` was the
/// last one recorded and values are recorded every `freq`: up to `freq - 1`
/// more may have gone out unrecorded, so start at the last of those (the
/// next notification then carries a number no client has seen).
pub fn resume_number(saved: u32, freq: u32) -> u32 {
    let freq = u64::from(freq.max(1));
    let n = (u64::from(saved) + freq) / freq * freq - 1;
    (n & 0x00FF_FFFF) as u32
}

/// Reads a saved file: Ok(None) when it does not exist or is empty.
pub fn read_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut data = Vec::new();
    f.take(MAX_FILE + 1).read_to_end(&mut data)?;
    if data.len() as u64 > MAX_FILE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "larger than 16 MiB"));
    }
    Ok((!data.is_empty()).then_some(data))
}

/// Replaces `path` with `data` atomically: a temporary file beside it,
/// flushed to disk, renamed over it. A reader sees the old or the new
/// content, never a mix.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The file-backed state of coap_persist_startup(): the current content of
/// each file, rewritten whole on every change.
#[derive(Debug, Default)]
pub struct Store {
    pub observe_file: Option<PathBuf>,
    pub number_file: Option<PathBuf>,
    pub resource_file: Option<PathBuf>,
    /// Live observers by key.
    pub observers: Vec<(u64, SavedObserver)>,
    pub numbers: Vec<(Vec<u8>, u32)>,
    pub resources: Vec<SavedResource>,
}

impl Store {
    fn save(path: &Option<PathBuf>, data: Vec<u8>) {
        if let Some(p) = path {
            if let Err(e) = write_atomic(p, &data) {
                log::warn!("persist: cannot write {}: {e}", p.display());
            }
        }
    }

    pub fn save_observers(&self) {
        let list: Vec<SavedObserver> = self.observers.iter().map(|(_, o)| o.clone()).collect();
        Self::save(&self.observe_file, encode_observers(&list));
    }

    pub fn save_numbers(&self) {
        Self::save(&self.number_file, encode_numbers(&self.numbers));
    }

    pub fn save_resources(&self) {
        Self::save(&self.resource_file, encode_resources(&self.resources));
    }

    /// Applies a change to the files it concerns.
    pub fn apply(&mut self, c: &Change) {
        match c {
            Change::ObserveAdded { key, saved, .. } if self.observe_file.is_some() => {
                self.observers.retain(|(k, _)| k != key);
                self.observers.push((*key, saved.clone()));
                self.save_observers();
            }
            Change::ObserveDeleted { key, .. } if self.observe_file.is_some() => {
                let before = self.observers.len();
                self.observers.retain(|(k, _)| k != key);
                if self.observers.len() != before {
                    self.save_observers();
                }
            }
            Change::ObserveValue { path, value } if self.number_file.is_some() => {
                self.numbers.retain(|(p, _)| p != path);
                self.numbers.push((path.clone(), *value));
                self.save_numbers();
            }
            Change::ResourceDeleted { path } => {
                if self.number_file.is_some() && self.numbers.iter().any(|(p, _)| p == path) {
                    self.numbers.retain(|(p, _)| p != path);
                    self.save_numbers();
                }
                if self.resource_file.is_some() && self.resources.iter().any(|d| d.name == *path) {
                    self.resources.retain(|d| d.name != *path);
                    self.save_resources();
                }
            }
            _ => {}
        }
    }

    /// A dynamic resource was made: kept (replacing one of that name).
    pub fn resource_added(&mut self, saved: SavedResource) {
        if self.resource_file.is_none() {
            return;
        }
        self.resources.retain(|d| d.name != saved.name);
        self.resources.push(saved);
        self.save_resources();
    }
}

/// Reads and decodes one saved file; a missing or empty file is an empty
/// list, a corrupt one is logged, moved aside to `<file>.corrupt` (so the
/// evidence survives the next save) and read as empty.
pub fn load<T>(path: &Path, decode: fn(&[u8]) -> Result<Vec<T>, FormatError>) -> Vec<T> {
    let data = match read_file(path) {
        Ok(Some(d)) => d,
        Ok(None) => return Vec::new(),
        Err(e) => {
            log::warn!("persist: cannot read {}: {e}; starting without it", path.display());
            return Vec::new();
        }
    };
    match decode(&data) {
        Ok(list) => list,
        Err(why) => {
            log::warn!("persist: {} rejected: {why}; starting without it", path.display());
            let mut aside = path.as_os_str().to_owned();
            aside.push(".corrupt");
            if let Err(e) = std::fs::rename(path, PathBuf::from(aside)) {
                log::warn!("persist: cannot move {} aside: {e}", path.display());
            }
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(port: u16) -> Address {
        Address::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
    }

    fn sample() -> Vec<SavedObserver> {
        vec![
            SavedObserver { proto: 1, listen: v4(5683), remote: v4(40000), local: v4(5683), raw: vec![0x40, 1, 0, 1, 0x60], oscore: None },
            SavedObserver {
                proto: 1,
                listen: Address::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 5683, 7, 2)),
                remote: Address::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 1234, 0, 0)),
                local: Address::Unix(UnixPath::new(b"/tmp/x").unwrap()),
                raw: vec![1, 2, 3, 4],
                oscore: Some(vec![9, 9]),
            },
        ]
    }

    #[test]
    fn seal_rebuilds_what_the_encoders_write() {
        let file = encode_observers(&sample());
        let records = &file[MAGIC.len() + 2..file.len() - 4];
        assert_eq!(seal(KIND_OBSERVERS, records), file);
        assert!(decode_numbers(&seal(KIND_NUMBERS, records)).is_err());
    }

    #[test]
    fn observers_round_trip() {
        let list = sample();
        assert_eq!(decode_observers(&encode_observers(&list)).unwrap(), list);
        assert_eq!(decode_observers(&encode_observers(&[])).unwrap(), vec![]);
    }

    #[test]
    fn numbers_and_resources_round_trip() {
        let n = vec![(b"obs".to_vec(), 41), (b"a/b".to_vec(), 0xFF_FFFF)];
        assert_eq!(decode_numbers(&encode_numbers(&n)).unwrap(), n);
        let d = vec![SavedResource { proto: 1, name: b"dyn".to_vec(), raw: vec![0x40, 3, 0, 9] }];
        assert_eq!(decode_resources(&encode_resources(&d)).unwrap(), d);
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_rejected() {
        let data = encode_observers(&sample());
        for n in 0..data.len() {
            assert!(decode_observers(&data[..n]).is_err(), "prefix of {n} bytes accepted");
        }
        for i in 0..data.len() {
            let mut bad = data.clone();
            bad[i] ^= 0x20;
            assert!(decode_observers(&bad).is_err(), "flip at {i} accepted");
        }
    }

    #[test]
    fn wrong_kind_version_and_huge_lengths_are_rejected() {
        let data = encode_numbers(&[(b"x".to_vec(), 1)]);
        assert!(decode_observers(&data).is_err());
        assert!(decode_resources(&data).is_err());
        // A record claiming a 4 GiB name, with a valid checksum.
        let mut w = Writer::new(KIND_NUMBERS, 1);
        w.u32(u32::MAX);
        assert_eq!(decode_numbers(&w.finish()), Err("byte string too long"));
        let mut w = Writer::new(KIND_NUMBERS, u32::MAX as usize);
        w.u8(0);
        assert_eq!(decode_numbers(&w.finish()), Err("too many records"));
        let mut v = Writer::new(KIND_NUMBERS, 0).finish();
        v[MAGIC.len() + 1] = 2;
        let n = v.len() - 4;
        let sum = fnv1a(&v[..n]).to_be_bytes();
        v[n..].copy_from_slice(&sum);
        assert_eq!(decode_numbers(&v), Err("unsupported format version"));
    }

    #[test]
    fn resumed_numbers_pass_every_unrecorded_one() {
        assert_eq!(resume_number(0, 1), 0);
        assert_eq!(resume_number(7, 1), 7);
        assert_eq!(resume_number(10, 10), 19);
        assert_eq!(resume_number(3, 10), 9);
        assert_eq!(resume_number(0xFF_FFFF, 1), 0xFF_FFFF);
        // The next number sent after resuming is above anything sent.
        assert!(crate::engine::observe::next_seq(resume_number(10, 10)) > 19);
    }

    #[test]
    fn atomic_write_and_corrupt_file_moved_aside() {
        let dir = std::env::temp_dir().join(format!("coap-persist-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("obs");
        write_atomic(&p, &encode_numbers(&[(b"r".to_vec(), 5)])).unwrap();
        assert_eq!(load(&p, decode_numbers), vec![(b"r".to_vec(), 5)]);
        assert!(!dir.join("obs.tmp").exists());
        std::fs::write(&p, b"COAPPSTN\x01garbage").unwrap();
        assert!(load(&p, decode_numbers).is_empty());
        assert!(!p.exists());
        assert!(dir.join("obs.corrupt").exists());
        assert!(load(&dir.join("missing"), decode_numbers).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
