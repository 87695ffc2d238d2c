//! UDP datagram parser: no panics; a parsed message re-serialises to the
//! same bytes and rebuilding it option by option gives the same bytes.
#![no_main]
use coap_3_openssl::proto::msg::{Framing, TOKEN_DEFAULT_MAX, TOKEN_EXT_MAX};
use coap_3_openssl::proto::pdu::Pdu;
use coap_3_openssl::proto::wire::{parse_udp, to_vec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = parse_udp(data, TOKEN_EXT_MAX) else {
        assert!(parse_udp(data, TOKEN_DEFAULT_MAX).is_err());
        return;
    };
    assert_eq!(to_vec(&p, Framing::Udp).unwrap(), data);
    if let Ok(short) = parse_udp(data, TOKEN_DEFAULT_MAX) {
        assert!(short.token_len() <= TOKEN_DEFAULT_MAX);
        assert_eq!(short, p);
    }
    let mut b = Pdu::new(p.typ, p.code, p.mid, 0);
    b.add_token(p.token()).unwrap();
    let mut last = 0;
    for o in p.options() {
        let o = o.unwrap();
        assert!(o.number >= last);
        last = o.number;
        b.add_option(o.number, o.value).unwrap();
    }
    assert_eq!(last, p.max_opt());
    if let Some(d) = p.payload() {
        assert!(!d.is_empty());
        b.add_payload(d).unwrap();
    }
    assert_eq!(b, p);
    // The same body must also survive the reliable framings.
    for f in [Framing::Tcp, Framing::Ws] {
        let w = to_vec(&p, f).unwrap();
        let r = coap_3_openssl::proto::wire::parse_reliable(&w, f, TOKEN_EXT_MAX).unwrap();
        assert_eq!(r.body_bytes(), p.body_bytes());
    }
});
