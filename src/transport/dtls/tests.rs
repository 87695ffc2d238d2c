//! In-memory peers: a client `DtlsConn` and a server context shuttling
//! datagrams through `listen` / `on_datagram`.
use super::*;
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509Name, X509};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex as StdMutex;

const PEER: &[u8] = b"\x02\x00\x16\x34\x7f\x00\x00\x01";

/// Both ends and everything they reported.
struct Run {
    client: DtlsConn,
    server: Option<DtlsConn>,
    c_events: Vec<DtlsEvent>,
    s_events: Vec<DtlsEvent>,
    c_app: Vec<Vec<u8>>,
    s_app: Vec<Vec<u8>>,
    /// Datagrams in flight.
    to_server: Vec<Vec<u8>>,
    to_client: Vec<Vec<u8>>,
    replies: usize,
    mtu: usize,
}

impl Run {
    fn start(cctx: &DtlsContext) -> Run {
        let (client, first) = DtlsConn::client(cctx, DEFAULT_MTU, 1).unwrap();
        assert!(!first.is_empty(), "a ClientHello is sent at once");
        Run {
            client,
            server: None,
            c_events: vec![],
            s_events: vec![],
            c_app: vec![],
            s_app: vec![],
            to_server: first,
            to_client: vec![],
            replies: 0,
            mtu: DEFAULT_MTU,
        }
    }

    /// Delivers what is in flight, both ways, until nothing moves.
    fn shuttle(&mut self, sctx: &mut DtlsContext) {
        for _ in 0..50 {
            if self.to_server.is_empty() && self.to_client.is_empty() {
                return;
            }
            for (dir, d) in self.to_server.iter().map(|d| ("c->s", d)).chain(self.to_client.iter().map(|d| ("s->c", d))) {
                // OpenSSL 3.0 packs a flight slightly past the MTU when it
                // ends in an AEAD-protected Finished (its overhead estimate).
                assert!(d.len() <= self.mtu + SLACK, "{dir}: {} byte datagram over the MTU {}: {:02x?}", d.len(), self.mtu, &d[..30.min(d.len())]);
            }
            for d in std::mem::take(&mut self.to_server) {
                match &mut self.server {
                    Some(s) => s.on_datagram(&d, &mut self.to_client, &mut self.s_app, &mut self.s_events),
                    None => match sctx.listen(PEER, &d) {
                        Listen::Reply(h) => {
                            self.replies += 1;
                            self.to_client.push(h)
                        }
                        Listen::Accept(mut c) => {
                            c.set_tag(2);
                            c.drive(&mut self.to_client, &mut self.s_app, &mut self.s_events);
                            self.server = Some(*c);
                        }
                        Listen::Drop => {}
                    },
                }
            }
            for d in std::mem::take(&mut self.to_client) {
                self.client.on_datagram(&d, &mut self.to_server, &mut self.c_app, &mut self.c_events);
            }
        }
        panic!("the peers never went quiet");
    }

    fn server(&mut self) -> &mut DtlsConn {
        self.server.as_mut().unwrap()
    }

    fn connected(&self) -> bool {
        self.client.is_connected() && self.server.as_ref().is_some_and(|s| s.is_connected())
    }

    fn errored(events: &[DtlsEvent]) -> bool {
        events.iter().any(|e| matches!(e, DtlsEvent::Error(_)))
    }

    /// Lets timers expire (fast schedule) until both sides failed or `n` rounds passed.
    fn expire_until_errors(&mut self, sctx: &mut DtlsContext, n: usize) {
        for _ in 0..n {
            if Run::errored(&self.c_events) && Run::errored(&self.s_events) {
                return;
            }
            std::thread::sleep(TICK + Duration::from_millis(2));
            self.client.on_timeout(&mut self.to_server, &mut self.c_events);
            if let Some(s) = &mut self.server {
                s.on_timeout(&mut self.to_client, &mut self.s_events);
            }
            self.shuttle(sctx);
        }
    }
}

fn psk_server(key: &[u8]) -> PskServerConfig {
    PskServerConfig { hint: b"hint".to_vec(), key: key.to_vec(), ..Default::default() }
}

fn psk_client(id: &[u8], key: &[u8]) -> PskClientConfig {
    PskClientConfig { identity: id.to_vec(), key: key.to_vec(), ..Default::default() }
}

const SLACK: usize = 32;

const TICK: Duration = MIN_RETRANSMIT;

fn fast(ctx: &mut DtlsContext) {
    ctx.set_retransmit(TICK, TICK);
}

#[test]
fn psk_handshake_and_data_both_ways() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"secretPSK")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"Client_identity", b"secretPSK")).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected(), "client {:?} server {:?}", r.c_events, r.s_events);
    assert_eq!(r.c_events, vec![DtlsEvent::Connected]);
    assert_eq!(r.s_events, vec![DtlsEvent::Connected]);
    assert_eq!(r.replies, 1, "one HelloVerifyRequest");

    let mut out = vec![];
    r.client.send(b"\x40\x01\x12\x34", &mut out).unwrap();
    r.to_server = out;
    r.shuttle(&mut sctx);
    assert_eq!(r.s_app, vec![b"\x40\x01\x12\x34".to_vec()]);
    let mut out = vec![];
    r.server().send(b"\x60\x45\x12\x34\xffhello", &mut out).unwrap();
    r.to_client = out;
    r.shuttle(&mut sctx);
    assert_eq!(r.c_app, vec![b"\x60\x45\x12\x34\xffhello".to_vec()]);

    assert_eq!(r.client.psk_identity().as_deref(), Some(&b"Client_identity"[..]));
    assert_eq!(r.client.psk_hint().as_deref(), Some(&b"hint"[..]));
    assert_eq!(r.client.psk_key().as_deref(), Some(&b"secretPSK"[..]));
    assert_eq!(r.server().psk_identity().as_deref(), Some(&b"Client_identity"[..]));
    assert_eq!(r.server().psk_key().as_deref(), Some(&b"secretPSK"[..]));
    assert_eq!(r.server().peer(), PEER);
    assert_eq!(r.server().tag(), 2);
    assert_eq!(r.client.tag(), 1);
    assert_eq!(r.client.timeout(), None, "no timer once connected");
}

#[test]
fn every_record_of_a_datagram_is_read() {
    // RFC 6347 4.1.1: a datagram may carry several records. After a record
    // the server stops reading only when OpenSSL holds nothing more.
    let mut sctx = DtlsContext::server_psk(psk_server(b"secretPSK")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"Client_identity", b"secretPSK")).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected());
    for round in 0..3u8 {
        let mut out = vec![];
        for i in 0..3u8 {
            r.client.send(&[0x50, 0x01, round, i], &mut out).unwrap();
        }
        assert_eq!(out.len(), 3, "one datagram per record");
        r.to_server = vec![out.concat()];
        r.shuttle(&mut sctx);
        let want: Vec<Vec<u8>> = (0..3u8).map(|i| vec![0x50, 0x01, round, i]).collect();
        assert_eq!(std::mem::take(&mut r.s_app), want, "round {round}");
    }
}

#[test]
fn send_before_connected_is_refused() {
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    let (mut c, _) = DtlsConn::client(&cctx, DEFAULT_MTU, 0).unwrap();
    assert!(c.send(b"x", &mut vec![]).is_err());
    assert!(c.timeout().is_some(), "ClientHello retransmission timer runs");
}

#[test]
fn psk_identity_callback_chooses_the_key() {
    let seen = Arc::new(StdMutex::new(Vec::new()));
    let s2 = seen.clone();
    let mut cfg = psk_server(b"default-key");
    cfg.id_callback = Some(Box::new(move |tag, id| {
        s2.lock().unwrap().push((tag, id.to_vec()));
        match id {
            b"alice" => Some(b"alice-key".to_vec()),
            b"bob" => Some(b"bob-key".to_vec()),
            _ => None,
        }
    }));
    let mut sctx = DtlsContext::server_psk(cfg).unwrap();
    for (id, key) in [(&b"alice"[..], &b"alice-key"[..]), (b"bob", b"bob-key")] {
        let cctx = DtlsContext::client_psk(psk_client(id, key)).unwrap();
        let mut r = Run::start(&cctx);
        r.shuttle(&mut sctx);
        assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
        assert_eq!(r.server().psk_key().as_deref(), Some(key));
    }
    assert_eq!(*seen.lock().unwrap(), vec![(2, b"alice".to_vec()), (2, b"bob".to_vec())]);

    // An identity the callback rejects: unknown_psk_identity alert, both fail at once.
    let cctx = DtlsContext::client_psk(psk_client(b"mallory", b"default-key")).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(Run::errored(&r.s_events), "{:?}", r.s_events);
    assert!(Run::errored(&r.c_events), "{:?}", r.c_events);
    assert!(!r.client.is_connected());
}

#[test]
fn wrong_psk_key_errors_on_both_sides() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"right-key")).unwrap();
    fast(&mut sctx);
    let mut cctx = DtlsContext::client_psk(psk_client(b"id", b"wrong-key")).unwrap();
    fast(&mut cctx);
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(!r.connected());
    // DTLS drops records it cannot authenticate, so both sides give up by timer.
    r.expire_until_errors(&mut sctx, 40);
    assert!(Run::errored(&r.c_events), "client: {:?}", r.c_events);
    assert!(Run::errored(&r.s_events), "server: {:?}", r.s_events);
    assert!(r.client.timeout().is_none());
    let mut out = vec![];
    assert!(r.client.send(b"x", &mut out).is_err());
}

#[test]
fn client_hint_callback_picks_identity_and_key() {
    let mut cfg = psk_server(b"");
    cfg.hint = b"server-7".to_vec();
    cfg.id_callback = Some(Box::new(|_, id| (id == b"dev-7").then(|| b"key-7".to_vec())));
    let mut sctx = DtlsContext::server_psk(cfg).unwrap();
    let hints = Arc::new(StdMutex::new(Vec::new()));
    let h2 = hints.clone();
    let mut c = psk_client(b"unused", b"unused");
    c.hint_callback = Some(Box::new(move |tag, hint| {
        h2.lock().unwrap().push((tag, hint.to_vec()));
        (hint == b"server-7").then(|| PskClientInfo { identity: b"dev-7".to_vec(), key: b"key-7".to_vec() })
    }));
    let cctx = DtlsContext::client_psk(c).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
    assert_eq!(*hints.lock().unwrap(), vec![(1, b"server-7".to_vec())]);
    assert_eq!(r.client.psk_identity().as_deref(), Some(&b"dev-7"[..]));
    assert_eq!(r.client.psk_hint().as_deref(), Some(&b"server-7"[..]));
}

#[test]
fn server_sni_callback_selects_psk_once_per_name() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let mut cfg = psk_server(b"default");
    cfg.sni_callback = Some(Box::new(move |_, sni| {
        c2.fetch_add(1, Ordering::SeqCst);
        match sni {
            "a.example" => Some(PskServerInfo { hint: b"hint-a".to_vec(), key: b"key-a".to_vec() }),
            "" => Some(PskServerInfo { hint: vec![], key: b"default".to_vec() }),
            _ => None,
        }
    }));
    let mut sctx = DtlsContext::server_psk(cfg).unwrap();
    for _ in 0..2 {
        let mut c = psk_client(b"id", b"key-a");
        c.sni = Some("a.example".into());
        let cctx = DtlsContext::client_psk(c).unwrap();
        let mut r = Run::start(&cctx);
        r.shuttle(&mut sctx);
        assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
        assert_eq!(r.client.psk_hint().as_deref(), Some(&b"hint-a"[..]));
        assert_eq!(r.server().psk_key().as_deref(), Some(&b"key-a"[..]));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "answers are cached per name");

    // An unknown name is refused with a fatal alert.
    let mut c = psk_client(b"id", b"key-a");
    c.sni = Some("b.example".into());
    let cctx = DtlsContext::client_psk(c).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(Run::errored(&r.c_events) && Run::errored(&r.s_events), "{:?} {:?}", r.c_events, r.s_events);
}

/// Record type 22, handshake type 3 (HelloVerifyRequest).
fn is_hello_verify_request(d: &[u8]) -> bool {
    d.len() > 13 && d[0] == 22 && d[13] == 3
}

#[test]
fn cookie_exchange_then_accept() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"k")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    let (mut c, hello) = DtlsConn::client(&cctx, DEFAULT_MTU, 0).unwrap();
    assert_eq!(hello.len(), 1);
    let Listen::Reply(hvr) = sctx.listen(PEER, &hello[0]) else { panic!("first ClientHello must get a HelloVerifyRequest") };
    assert!(is_hello_verify_request(&hvr));
    // The same ClientHello again (no cookie) gets the same answer.
    let Listen::Reply(hvr2) = sctx.listen(PEER, &hello[0]) else { panic!() };
    assert_eq!(hvr, hvr2, "cookie depends only on secret and peer");
    let (mut out, mut app, mut ev) = (vec![], vec![], vec![]);
    c.on_datagram(&hvr, &mut out, &mut app, &mut ev);
    assert_eq!(out.len(), 1, "ClientHello with cookie");
    // From another peer the cookie is wrong: a fresh HelloVerifyRequest.
    assert!(matches!(sctx.listen(b"other peer", &out[0]), Listen::Reply(_)));
    // From the right peer: accepted.
    let Listen::Accept(mut conn) = sctx.listen(PEER, &out[0]) else { panic!("cookie must be accepted") };
    let (mut sout, mut sapp, mut sev) = (vec![], vec![], vec![]);
    conn.drive(&mut sout, &mut sapp, &mut sev);
    assert!(!sout.is_empty(), "ServerHello flight");
    assert!(sev.is_empty());
}

#[test]
fn spoofed_client_hello_flood_keeps_no_state() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"k")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    let (_c, hello) = DtlsConn::client(&cctx, DEFAULT_MTU, 0).unwrap();
    let mut replies = std::collections::HashSet::new();
    for i in 0u32..2000 {
        let peer = [&i.to_be_bytes()[..], b"spoofed"].concat();
        match sctx.listen(&peer, &hello[0]) {
            Listen::Reply(h) => {
                assert!(is_hello_verify_request(&h));
                replies.insert(h);
            }
            Listen::Accept(_) => panic!("a ClientHello without cookie was accepted"),
            Listen::Drop => panic!("a ClientHello without cookie was dropped"),
        }
    }
    assert_eq!(replies.len(), 2000, "each peer gets its own cookie");
    // Distinct ClientHellos from many clients, each from a new address.
    for i in 0u32..200 {
        let (_c, hello) = DtlsConn::client(&cctx, DEFAULT_MTU, 0).unwrap();
        assert!(matches!(sctx.listen(&i.to_le_bytes(), &hello[0]), Listen::Reply(_)));
    }
    assert_eq!(sctx.ssl_objects_created(), 1, "one reusable listener SSL, nothing per peer");
    // The context still works for a real peer.
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected());
}

#[test]
fn garbage_never_panics_and_creates_nothing() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"k")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    let (_c, hello) = DtlsConn::client(&cctx, DEFAULT_MTU, 0).unwrap();
    let h = &hello[0];
    let mut inputs: Vec<Vec<u8>> = vec![vec![], vec![22], vec![0xff; 13], vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]];
    for n in 0..h.len() {
        inputs.push(h[..n].to_vec()); // every truncation
    }
    let mut seed = 0x1234_5678u32;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for _ in 0..500 {
        let mut m = h.clone();
        for _ in 0..(rnd() % 4 + 1) {
            let i = rnd() as usize % m.len();
            m[i] = rnd() as u8; // bit rot, including lengths
        }
        inputs.push(m);
        let len = rnd() as usize % 200;
        let mut g: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
        if g.len() > 5 {
            g[0] = 22;
            g[1] = 0xfe;
            g[3] = 0;
            g[4] = 0;
        }
        inputs.push(g);
    }
    let mut accepted = 0;
    for d in &inputs {
        if let Listen::Accept(_) = sctx.listen(b"x", d) {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 0);
    assert!(sctx.ssl_objects_created() <= 1);

    // The same to both ends of an established connection: ignored.
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected());
    for d in &inputs {
        let (mut out, mut app, mut ev) = (vec![], vec![], vec![]);
        r.client.on_datagram(d, &mut out, &mut app, &mut ev);
        assert!(app.is_empty());
        r.server().on_datagram(d, &mut out, &mut app, &mut ev);
        assert!(app.is_empty());
    }
    assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
    let mut out = vec![];
    r.client.send(b"still fine", &mut out).unwrap();
    r.to_server = out;
    r.shuttle(&mut sctx);
    assert_eq!(r.s_app, vec![b"still fine".to_vec()]);
}

#[test]
fn close_reaches_the_peer() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"k")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected());
    let mut out = vec![];
    r.client.close(&mut out);
    assert_eq!(out.len(), 1, "close_notify");
    assert!(!r.client.is_connected());
    r.to_server = out;
    r.shuttle(&mut sctx);
    assert_eq!(r.s_events.last(), Some(&DtlsEvent::Closed));
    assert!(!r.server().is_connected());
    assert!(r.server().send(b"x", &mut vec![]).is_err());
}

#[test]
fn dropped_flights_are_retransmitted() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"k")).unwrap();
    fast(&mut sctx);
    let mut cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    fast(&mut cctx);
    let mut r = Run::start(&cctx);
    // The first ClientHello is lost.
    r.to_server.clear();
    let t = r.client.timeout().expect("timer armed");
    assert!(t <= TICK);
    // Early: nothing to resend.
    r.client.on_timeout(&mut r.to_server, &mut r.c_events);
    assert!(r.to_server.is_empty());
    std::thread::sleep(TICK + Duration::from_millis(2));
    r.client.on_timeout(&mut r.to_server, &mut r.c_events);
    assert_eq!(r.to_server.len(), 1, "ClientHello resent");
    // HelloVerifyRequest, then ClientHello+cookie, then the server's flight is lost.
    let Listen::Reply(h) = sctx.listen(PEER, &r.to_server.remove(0)) else { panic!() };
    r.client.on_datagram(&h, &mut r.to_server, &mut r.c_app, &mut r.c_events);
    let Listen::Accept(mut s) = sctx.listen(PEER, &r.to_server.remove(0)) else { panic!() };
    let mut lost = vec![];
    s.drive(&mut lost, &mut r.s_app, &mut r.s_events);
    assert!(!lost.is_empty());
    r.server = Some(*s);
    std::thread::sleep(TICK + Duration::from_millis(2));
    r.server.as_mut().unwrap().on_timeout(&mut r.to_client, &mut r.s_events);
    // (The first flight was packed into MTU-sized datagrams; resends go record by record.)
    assert!(!r.to_client.is_empty(), "server flight resent");
    r.shuttle(&mut sctx);
    assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
}

#[test]
fn ssl_ptr_is_live_dtls_1_2() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"k")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    for p in [r.client.ssl_ptr(), r.server().ssl_ptr()] {
        assert!(!p.is_null());
        // SAFETY: a live SSL; SSL_get_version returns a static string.
        let v = unsafe { std::ffi::CStr::from_ptr(openssl_sys::SSL_get_version(p)) };
        assert_eq!(v.to_str().unwrap(), "DTLSv1.2");
    }
}

#[test]
fn mtu_limits_datagrams() {
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    assert!(DtlsConn::client(&cctx, 100, 0).is_err(), "below OpenSSL's minimum");
    let (mut c, _) = DtlsConn::client(&cctx, 300, 0).unwrap();
    c.set_mtu(1400).unwrap();
    assert!(c.set_mtu(10).is_err());
}

// ---- certificates -------------------------------------------------------

fn ec_key() -> PKey<Private> {
    let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap()
}

fn name(cn: &str) -> X509Name {
    let mut n = X509Name::builder().unwrap();
    n.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    n.build()
}

/// A certificate for `cn`, signed by `issuer` (None: self-signed), valid
/// from `from` to `to` (days relative to now, may be negative).
fn cert(cn: &str, key: &PKey<Private>, issuer: Option<(&X509, &PKey<Private>)>, ca: bool, from: i64, to: i64) -> X509 {
    static SERIAL: AtomicUsize = AtomicUsize::new(1);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(SERIAL.fetch_add(1, Ordering::SeqCst) as u32).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&serial).unwrap()).unwrap();
    b.set_subject_name(&name(cn)).unwrap();
    match issuer {
        Some((c, _)) => b.set_issuer_name(c.subject_name()).unwrap(),
        None => b.set_issuer_name(&name(cn)).unwrap(),
    }
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(now + from * 86400).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + to * 86400).unwrap()).unwrap();
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap()).unwrap();
        b.append_extension(KeyUsage::new().key_cert_sign().crl_sign().build().unwrap()).unwrap();
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    b.sign(signer, MessageDigest::sha256()).unwrap();
    b.build()
}

struct Pki {
    ca: X509,
    ca_key: PKey<Private>,
}

impl Pki {
    fn new(cn: &str) -> Pki {
        let ca_key = ec_key();
        Pki { ca: cert(cn, &ca_key, None, true, -1, 365), ca_key }
    }

    /// Keys for an end entity, as PEM buffers (cert), DER (key) and DER (CA).
    fn keys(&self, cn: &str, from: i64, to: i64) -> PkiKeys {
        let k = ec_key();
        let c = cert(cn, &k, Some((&self.ca, &self.ca_key)), false, from, to);
        PkiKeys {
            cert: Some(KeyMaterial::PemBuf(c.to_pem().unwrap())),
            key: Some(KeyMaterial::Asn1(k.private_key_to_der().unwrap())),
            ca: Some(KeyMaterial::Asn1(self.ca.to_der().unwrap())),
        }
    }
}

fn verify_cfg(keys: PkiKeys) -> PkiConfig {
    PkiConfig { keys, verify_peer_cert: true, cert_chain_validation: true, cert_chain_verify_depth: 2, ..Default::default() }
}

type Seen = Arc<StdMutex<Vec<(u64, String, u32, bool)>>>;

fn recording_cn(seen: &Seen, reject: Option<&'static str>) -> CnCallback {
    let s = seen.clone();
    Box::new(move |tag, cn, der, depth, ok| {
        assert!(X509::from_der(der).is_ok());
        s.lock().unwrap().push((tag, cn.to_owned(), depth, ok));
        Some(cn) != reject
    })
}

#[test]
fn pki_handshake_with_verification_and_cn_callback() {
    let pki = Pki::new("Test CA");
    let seen_s: Seen = Default::default();
    let seen_c: Seen = Default::default();
    let mut scfg = verify_cfg(pki.keys("server.example", -1, 30));
    scfg.cn_callback = Some(recording_cn(&seen_s, None));
    let mut sctx = DtlsContext::server_pki(scfg).unwrap();
    let mut ccfg = verify_cfg(pki.keys("client-1", -1, 30));
    ccfg.cn_callback = Some(recording_cn(&seen_c, None));
    ccfg.sni = Some("server.example".into());
    let cctx = DtlsContext::client_pki(ccfg).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
    let s = seen_s.lock().unwrap().clone();
    assert!(s.contains(&(2, "client-1".into(), 0, true)), "{s:?}");
    assert!(s.contains(&(2, "Test CA".into(), 1, true)), "{s:?}");
    let c = seen_c.lock().unwrap().clone();
    assert!(c.contains(&(1, "server.example".into(), 0, true)), "{c:?}");
    assert_eq!(r.client.psk_identity(), None);
    let mut out = vec![];
    r.client.send(b"pki data", &mut out).unwrap();
    r.to_server = out;
    r.shuttle(&mut sctx);
    assert_eq!(r.s_app, vec![b"pki data".to_vec()]);
}

#[test]
fn pki_untrusted_ca_fails() {
    let pki = Pki::new("Test CA");
    let rogue = Pki::new("Rogue CA");
    let mut sctx = DtlsContext::server_pki(verify_cfg(pki.keys("server", -1, 30))).unwrap();
    // Client trusts only its own (rogue) CA: the server's certificate fails.
    let cctx = DtlsContext::client_pki(verify_cfg(rogue.keys("client", -1, 30))).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(!r.connected());
    assert!(Run::errored(&r.c_events) && Run::errored(&r.s_events), "{:?} {:?}", r.c_events, r.s_events);
}

#[test]
fn pki_expired_certificate_rejected_unless_allowed() {
    let pki = Pki::new("Test CA");
    for allow in [false, true] {
        let mut scfg = verify_cfg(pki.keys("server", -1, 30));
        scfg.allow_expired_certs = allow;
        let mut sctx = DtlsContext::server_pki(scfg).unwrap();
        let seen: Seen = Default::default();
        let mut ccfg = verify_cfg(pki.keys("old-client", -30, -1));
        ccfg.cn_callback = Some(recording_cn(&seen, None));
        let cctx = DtlsContext::client_pki(ccfg).unwrap();
        let mut r = Run::start(&cctx);
        r.shuttle(&mut sctx);
        assert_eq!(r.connected(), allow, "allow_expired_certs={allow}: {:?} {:?}", r.c_events, r.s_events);
        if !allow {
            assert!(Run::errored(&r.s_events) && Run::errored(&r.c_events));
        }
    }
}

/// As libcoap: the CN call-back hears of each certificate once, when
/// OpenSSL reports it good, not also for an error that was overridden
/// (here: no CRL, with check_cert_revocation and allow_no_crl, as
/// coap-server sets them).
#[test]
fn cn_callback_once_per_depth_when_an_error_is_overridden() {
    let pki = Pki::new("Test CA");
    let seen: Seen = Default::default();
    let mut scfg = verify_cfg(pki.keys("server", -1, 30));
    scfg.check_cert_revocation = true;
    scfg.allow_no_crl = true;
    scfg.cn_callback = Some(recording_cn(&seen, None));
    let mut sctx = DtlsContext::server_pki(scfg).unwrap();
    let cctx = DtlsContext::client_pki(verify_cfg(pki.keys("client-1", -1, 30))).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
    let calls: Vec<(String, u32, bool)> = seen.lock().unwrap().iter().map(|(_, cn, d, ok)| (cn.clone(), *d, *ok)).collect();
    assert_eq!(calls, vec![("Test CA".to_owned(), 1, true), ("client-1".to_owned(), 0, true)]);
}

#[test]
fn cn_callback_can_reject() {
    let pki = Pki::new("Test CA");
    let seen: Seen = Default::default();
    let mut scfg = verify_cfg(pki.keys("server", -1, 30));
    scfg.cn_callback = Some(recording_cn(&seen, Some("evil-client")));
    let mut sctx = DtlsContext::server_pki(scfg).unwrap();
    let cctx = DtlsContext::client_pki(verify_cfg(pki.keys("evil-client", -1, 30))).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(!r.connected());
    assert!(Run::errored(&r.s_events) && Run::errored(&r.c_events));
    assert!(seen.lock().unwrap().iter().any(|(_, cn, depth, _)| cn == "evil-client" && *depth == 0));
}

#[test]
fn pki_server_sni_callback_picks_certificates() {
    let pki = Pki::new("Test CA");
    let other = pki.keys("other.example", -1, 30);
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let mut scfg = verify_cfg(pki.keys("default.example", -1, 30));
    scfg.sni_callback = Some(Box::new(move |sni| {
        c2.fetch_add(1, Ordering::SeqCst);
        (sni == "other.example").then(|| other.clone())
    }));
    let mut sctx = DtlsContext::server_pki(scfg).unwrap();
    let seen: Seen = Default::default();
    let mut ccfg = verify_cfg(pki.keys("client", -1, 30));
    ccfg.sni = Some("other.example".into());
    ccfg.cn_callback = Some(recording_cn(&seen, None));
    let cctx = DtlsContext::client_pki(ccfg).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
    assert!(seen.lock().unwrap().iter().any(|(_, cn, d, _)| cn == "other.example" && *d == 0));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn server_with_psk_and_pki_serves_both() {
    let pki = Pki::new("Test CA");
    let mut sctx = DtlsContext::server(ServerConfig {
        psk: Some(psk_server(b"both-key")),
        pki: Some(verify_cfg(pki.keys("server", -1, 30))),
    })
    .unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"both-key")).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected(), "PSK: {:?} {:?}", r.c_events, r.s_events);
    let cctx = DtlsContext::client_pki(verify_cfg(pki.keys("client", -1, 30))).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected(), "PKI: {:?} {:?}", r.c_events, r.s_events);
}

/// Captures log lines when no other logger was installed first.
struct Capture(StdMutex<Vec<String>>);
impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        self.0.lock().unwrap().push(r.args().to_string());
    }
    fn flush(&self) {}
}
static CAPTURE: Capture = Capture(StdMutex::new(Vec::new()));

#[test]
fn missing_pem_file_is_a_clear_error() {
    let ours = log::set_logger(&CAPTURE).is_ok();
    if ours {
        log::set_max_level(log::LevelFilter::Warn);
    }
    let keys = PkiKeys {
        cert: Some(KeyMaterial::PemFile("/nonexistent/dir/server.crt".into())),
        key: Some(KeyMaterial::PemFile("/nonexistent/dir/server.key".into())),
        ca: None,
    };
    let Err(err) = DtlsContext::server_pki(PkiConfig { keys, ..Default::default() }) else { panic!() };
    assert!(err.0.contains("/nonexistent/dir/server.crt"), "{err}");
    assert!(err.0.contains("cannot read"), "{err}");
    if ours {
        assert!(CAPTURE.0.lock().unwrap().iter().any(|l| l.contains("/nonexistent/dir/server.crt")));
    }
    // A server without certificates, a key that does not match: refused too.
    assert!(DtlsContext::server_pki(PkiConfig::default()).is_err());
    let pki = Pki::new("CA");
    let mut keys = pki.keys("a", -1, 1);
    keys.key = pki.keys("b", -1, 1).key;
    assert!(DtlsContext::server_pki(PkiConfig { keys, ..Default::default() }).is_err());
    assert!(DtlsContext::server(ServerConfig::default()).is_err());
    assert!(DtlsContext::client_psk(psk_client(b"nul\0id", b"k")).is_err());
}

#[test]
fn pki_flights_fragment_to_a_small_mtu() {
    let pki = Pki::new("Test CA");
    let mut sctx = DtlsContext::server_pki(verify_cfg(pki.keys("server", -1, 30))).unwrap();
    sctx.set_default_mtu(300);
    let cctx = DtlsContext::client_pki(verify_cfg(pki.keys("client", -1, 30))).unwrap();
    let (client, first) = DtlsConn::client(&cctx, 300, 1).unwrap();
    let mut r = Run::start(&cctx);
    r.client = client;
    r.to_server = first;
    r.mtu = 300;
    r.shuttle(&mut sctx);
    assert!(r.connected(), "{:?} {:?}", r.c_events, r.s_events);
}

#[test]
fn root_cas_and_check_common_ca() {
    let ours = Pki::new("Our CA");
    let theirs = Pki::new("Their CA");
    let dir = std::env::temp_dir().join(format!("dtls-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let roots = dir.join("roots.pem");
    std::fs::write(&roots, theirs.ca.to_pem().unwrap()).unwrap();
    for common in [false, true] {
        let mut scfg = verify_cfg(ours.keys("server", -1, 30));
        scfg.check_common_ca = common;
        let mut sctx = DtlsContext::server_pki(scfg).unwrap();
        sctx.add_root_cas(Some(&roots), None).unwrap();
        // The client's certificate comes from the other (now trusted) CA.
        let mut ccfg = verify_cfg(theirs.keys("client", -1, 30));
        ccfg.root_ca_file = Some(roots.clone());
        ccfg.keys.ca = Some(KeyMaterial::Asn1(ours.ca.to_der().unwrap()));
        let cctx = DtlsContext::client_pki(ccfg).unwrap();
        let mut r = Run::start(&cctx);
        r.shuttle(&mut sctx);
        assert_eq!(r.connected(), !common, "check_common_ca={common}: {:?} {:?}", r.c_events, r.s_events);
    }
    assert!(DtlsContext::server_psk(psk_server(b"k")).unwrap().add_root_cas(Some(&dir.join("missing.pem")), None).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Heap held per server connection (run with --ignored --nocapture).
#[test]
#[ignore]
fn memory_per_connection() {
    fn heap() -> usize {
        // SAFETY: glibc's mallinfo2 only reads allocator statistics.
        unsafe { libc::mallinfo2() }.uordblks
    }
    let mut sctx = DtlsContext::server_psk(psk_server(b"k")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    let n = 200;
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx); // warm up caches
    for _ in 0..n {
        let mut r = Run::start(&cctx);
        r.shuttle(&mut sctx);
        assert!(r.connected());
        clients.push(r.client);
        servers.push(r.server.unwrap());
    }
    let before = heap();
    drop(servers);
    let after_servers = heap();
    drop(clients);
    let after_clients = heap();
    println!(
        "per server conn: {} B, per client conn: {} B",
        (before - after_servers) / n,
        (after_servers - after_clients) / n
    );
}

extern "C" {
    fn SSL_renegotiate(s: *mut openssl_sys::SSL) -> std::ffi::c_int;
    fn SSL_clear_options(s: *mut openssl_sys::SSL, op: u64) -> u64;
}

#[test]
fn renegotiation_is_refused_and_reported() {
    let mut sctx = DtlsContext::server_psk(psk_server(b"k")).unwrap();
    let cctx = DtlsContext::client_psk(psk_client(b"id", b"k")).unwrap();
    let mut r = Run::start(&cctx);
    r.shuttle(&mut sctx);
    assert!(r.connected());
    // A peer that does renegotiate (ours never would).
    // SAFETY: live SSL owned by r.client.
    unsafe {
        SSL_clear_options(r.client.ssl_ptr(), openssl_sys::SSL_OP_NO_RENEGOTIATION);
        assert_eq!(SSL_renegotiate(r.client.ssl_ptr()), 1);
    }
    r.client.drive(&mut r.to_server, &mut r.c_app, &mut r.c_events);
    assert!(!r.to_server.is_empty(), "ClientHello for renegotiation");
    r.shuttle(&mut sctx);
    // OpenSSL 3.0 refuses a DTLS renegotiation with a fatal alert.
    assert!(r.s_events.contains(&DtlsEvent::Renegotiate), "{:?}", r.s_events);
    assert!(Run::errored(&r.s_events) && Run::errored(&r.c_events));
    assert!(!r.server().is_connected());
}

/// The cookie MAC with pre-keyed hash states is plain HMAC-SHA256.
#[test]
fn cookie_key_is_hmac_sha256() {
    let secret: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0xa5);
    let key = context::CookieKey::new(&secret);
    let hmac = PKey::hmac(&secret).unwrap();
    for msg in [&b""[..], b"127.0.0.1:5684|127.0.0.1:40000", &[0xffu8; 200][..]] {
        let mut s = openssl::sign::Signer::new(MessageDigest::sha256(), &hmac).unwrap();
        s.update(msg).unwrap();
        assert_eq!(key.mac(msg).to_vec(), s.sign_to_vec().unwrap());
    }
}
