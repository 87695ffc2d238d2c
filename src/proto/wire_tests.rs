use super::*;
use crate::proto::msg::{code, CONTENT, CSM, EMPTY, GET, PING, TOKEN_DEFAULT_MAX, TOKEN_EXT_MAX};
use crate::proto::option::{CONTENT_FORMAT, ETAG, OBSERVE, URI_PATH};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn udp(s: &str) -> Result<Pdu, ParseError> {
    parse_udp(&hex(s), TOKEN_DEFAULT_MAX)
}

#[test]
fn rfc7252_appendix_a_get_temperature() {
    // CON [0x7d34] GET /temperature, and the piggybacked 2.05 "22.3 C".
    let req = hex("40 01 7d 34 bb 74 65 6d 70 65 72 61 74 75 72 65");
    let p = parse_udp(&req, 8).unwrap();
    assert_eq!((p.typ, p.code, p.mid), (MsgType::Con, GET, 0x7d34));
    assert_eq!(p.option(URI_PATH).unwrap().value, b"temperature");
    let mut b = Pdu::new(MsgType::Con, GET, 0x7d34, 0);
    b.add_option(URI_PATH, b"temperature").unwrap();
    assert_eq!(serialize(&mut b, Framing::Udp).unwrap(), &req[..]);

    let resp = hex("60 45 7d 34 ff 32 32 2e 33 20 43");
    let p = parse_udp(&resp, 8).unwrap();
    assert_eq!((p.typ, p.code), (MsgType::Ack, CONTENT));
    assert_eq!(p.payload(), Some(&b"22.3 C"[..]));
    assert_eq!(to_vec(&p, Framing::Udp).unwrap(), resp);
}

#[test]
fn rfc7252_token_and_observe_example() {
    // CON [0x7a10] GET /temperature, token 0x73 0x3a, Observe 0.
    let mut b = Pdu::new(MsgType::Con, GET, 0x7a10, 0);
    b.add_token(&[0x73, 0x3a]).unwrap();
    b.add_option(OBSERVE, b"").unwrap();
    b.add_option(URI_PATH, b"temperature").unwrap();
    let wire = to_vec(&b, Framing::Udp).unwrap();
    assert_eq!(wire, hex("42 01 7a 10 73 3a 60 5b 74 65 6d 70 65 72 61 74 75 72 65"));
    let p = parse_udp(&wire, 8).unwrap();
    assert_eq!(p.token(), [0x73, 0x3a]);
    assert_eq!(p, parse_udp(&to_vec(&p, Framing::Udp).unwrap(), 8).unwrap());
}

#[test]
fn empty_messages() {
    let p = udp("60 00 12 34").unwrap();
    assert_eq!((p.typ, p.code, p.mid, p.used_size()), (MsgType::Ack, EMPTY, 0x1234, 0));
    assert!(udp("70 00 12 34").is_ok(), "RST");
    for bad in ["40 00 00 01 00", "41 00 00 01 aa", "50 00 00 01 61", "40 00 00 01 ff 41"] {
        assert_eq!(udp(bad), Err(ParseError::EmptyNotEmpty), "{bad}");
    }
}

#[test]
fn udp_header_errors() {
    assert_eq!(udp(""), Err(ParseError::Truncated));
    assert_eq!(udp("40 01 00"), Err(ParseError::Truncated));
    assert_eq!(udp("00 01 00 01"), Err(ParseError::BadVersion));
    assert_eq!(udp("80 01 00 01"), Err(ParseError::BadVersion));
    assert_eq!(udp("c0 01 00 01"), Err(ParseError::BadVersion));
    for tkl in 9..=12 {
        let mut m = vec![0x40 | tkl, 1, 0, 1];
        m.extend(vec![0u8; 20]);
        assert_eq!(parse_udp(&m, TOKEN_EXT_MAX), Err(ParseError::BadTokenLength));
    }
    assert_eq!(udp("4f 01 00 01"), Err(ParseError::BadTokenLength));
    assert_eq!(udp("41 01 00 01"), Err(ParseError::TokenOverrun));
    assert_eq!(udp("48 01 00 01 01 02 03 04 05 06 07"), Err(ParseError::TokenOverrun));
    assert_eq!(udp("4d 01 00 01"), Err(ParseError::TokenOverrun));
    assert_eq!(udp("4e 01 00 01 00"), Err(ParseError::TokenOverrun));
    // oss-fuzz: 5a 0a 5b 5b (TKL 10) must fail cleanly.
    assert_eq!(udp("5a 0a 5b 5b"), Err(ParseError::BadTokenLength));
}

#[test]
fn extended_tokens_rfc8974() {
    let mut m = hex("4d 01 00 01 00");
    m.extend(0..13u8);
    assert_eq!(parse_udp(&m, 8), Err(ParseError::TokenTooLong));
    let p = parse_udp(&m, TOKEN_EXT_MAX).unwrap();
    assert_eq!(p.token(), (0..13).collect::<Vec<u8>>());
    assert_eq!(to_vec(&p, Framing::Udp).unwrap(), m);
    let mut m = hex("4e 01 00 01 00 00");
    m.extend(vec![9u8; 269]);
    m.extend(hex("b1 61 ff 50"));
    let p = parse_udp(&m, TOKEN_EXT_MAX).unwrap();
    assert_eq!((p.token_len(), p.option(URI_PATH).unwrap().value, p.payload()), (269, &b"a"[..], Some(&b"P"[..])));
    assert_eq!(to_vec(&p, Framing::Udp).unwrap(), m);
    let mut m = hex("4e 01 00 01 ff ff");
    m.extend(vec![1u8; 65804]);
    assert_eq!(parse_udp(&m, TOKEN_EXT_MAX).unwrap().token_len(), 65804);
    m.pop();
    assert_eq!(parse_udp(&m, TOKEN_EXT_MAX), Err(ParseError::TokenOverrun));
}

#[test]
fn option_errors_like_libcoap() {
    use OptError::*;
    let cases = [
        ("40 01 00 01 03", ParseError::Option(Truncated)),
        ("40 01 00 01 93", ParseError::Option(Truncated)),
        ("40 01 00 01 f0", ParseError::Option(ReservedDelta)),
        ("40 01 00 01 0f", ParseError::Option(ReservedLength)),
        ("40 01 00 01 d1", ParseError::Option(Truncated)),
        ("40 01 00 01 d1 00", ParseError::Option(Truncated)),
        ("40 01 00 01 e1 ff", ParseError::Option(Truncated)),
        ("40 01 00 01 e1 ff ff 41", ParseError::Option(NumberOverflow)),
        // libcoap 4.3.1 wraps these to options 12 and 11; we refuse the overflow.
        ("40 01 00 01 e1 fe ff 41", ParseError::Option(NumberOverflow)),
        ("40 01 00 01 e1 fe fe 41", ParseError::Option(NumberOverflow)),
        ("40 01 00 01 e1 fe f2 41 10", ParseError::Option(NumberOverflow)),
        ("40 01 00 01 ff", ParseError::MarkerWithoutPayload),
        ("40 01 00 01 b1 61 ff", ParseError::MarkerWithoutPayload),
        ("40 01 00 01 30", ParseError::BadOptionLength(3)),
        ("40 01 00 01 40", ParseError::BadOptionLength(4)),
        ("40 01 00 01 c3 41 42 43", ParseError::BadOptionLength(12)),
        ("40 01 00 01 64 00 00 00 00", ParseError::BadOptionLength(6)),
        ("40 01 00 01 d1 03 00 00", ParseError::BadOptionLength(16)),
        ("40 01 00 01 51 aa", ParseError::BadOptionLength(5)),
    ];
    for (m, want) in cases {
        assert_eq!(udp(m).map(|_| ()), Err(want), "{m}");
    }
}

#[test]
fn accepted_like_libcoap() {
    let p = udp("40 01 00 01 e1 fe f2 41").unwrap();
    assert_eq!(p.max_opt(), 65535);
    let p = udp("40 01 00 01 60 20 00").unwrap();
    let nums: Vec<u16> = p.options().map(|o| o.unwrap().number).collect();
    assert_eq!(nums, [6, 8, 8]);
    assert_eq!(udp("40 01 00 01 d0 e8").unwrap().max_opt(), 245);
    assert_eq!(udp("40 01 00 01 e0 00 0a").unwrap().max_opt(), 279);
    assert_eq!(udp("40 01 00 01 ff 41").unwrap().payload(), Some(&b"A"[..]));
    // The codec accepts every code class; msg::code_allowed decides.
    for c in [code(1, 1), code(6, 0), CSM, PING, code(3, 3)] {
        let m = [0x40, c, 0, 1];
        assert_eq!(parse_udp(&m, 8).unwrap().code, c);
    }
}

#[test]
fn tcp_framing_rfc8323() {
    // 7.02 Ping with no token or options.
    let mut p = Pdu::new(MsgType::Con, PING, 0, 0);
    assert_eq!(serialize(&mut p, Framing::Tcp).unwrap(), [0x00, 0xE2]);
    assert_eq!(serialize(&mut p, Framing::Ws).unwrap(), [0x00, 0xE2]);
    // CSM with Max-Message-Size 1152 (option 2) and token 1 byte.
    let mut c = Pdu::new(MsgType::Con, CSM, 0, 0);
    c.add_token(&[0x42]).unwrap();
    c.add_option(2, &[0x04, 0x80]).unwrap();
    let wire = to_vec(&c, Framing::Tcp).unwrap();
    assert_eq!(wire, [0x31, 0xE1, 0x42, 0x22, 0x04, 0x80]);
    let back = parse_reliable(&wire, Framing::Tcp, 8).unwrap();
    assert_eq!((back.code, back.token(), back.max_opt()), (CSM, &[0x42][..], 2));
    assert_eq!(tcp_frame_size(&wire), Ok(Some(6)));
    let ws = to_vec(&c, Framing::Ws).unwrap();
    assert_eq!(ws, [0x01, 0xE1, 0x42, 0x22, 0x04, 0x80]);
    assert_eq!(parse_reliable(&ws, Framing::Ws, 8).unwrap(), back);
}

#[test]
fn tcp_length_boundaries() {
    for (len, hdr) in [(0usize, 2usize), (12, 2), (13, 3), (268, 3), (269, 4), (65804, 4), (65805, 6), (70000, 6)] {
        let mut p = Pdu::new(MsgType::Con, CONTENT, 0, 0);
        p.add_token(&[1, 2, 3]).unwrap();
        if len > 0 {
            p.add_data_after(len - 1).unwrap().fill(7);
        }
        assert_eq!(header_len(&p, Framing::Tcp), hdr, "len {len}");
        let wire = to_vec(&p, Framing::Tcp).unwrap();
        assert_eq!(wire.len(), hdr + 3 + len);
        assert_eq!(tcp_frame_size(&wire), Ok(Some(wire.len())));
        for cut in 0..hdr.min(wire.len()) {
            assert_eq!(tcp_frame_size(&wire[..cut]), Ok(None), "cut {cut}");
        }
        let back = parse_reliable(&wire, Framing::Tcp, 8).unwrap();
        assert_eq!(back.payload().map(<[u8]>::len), len.checked_sub(1).filter(|&n| n > 0));
        assert_eq!(back.token(), [1, 2, 3]);
    }
    let wire = hex("d0 00 45");
    assert_eq!(tcp_frame_size(&wire), Ok(Some(16)));
    assert_eq!(parse_reliable(&wire, Framing::Tcp, 8), Err(ParseError::LengthMismatch));
    assert_eq!(tcp_frame_size(&hex("f0 ff ff ff ff")), Ok(None));
    assert!(tcp_frame_size(&hex("f0 ff ff ff ff 45")).unwrap().unwrap() > 0xFFFF_FFFF);
}

#[test]
fn tcp_parse_errors() {
    let tcp = |s: &str| parse_reliable(&hex(s), Framing::Tcp, 8).map(|_| ());
    assert_eq!(tcp(""), Err(ParseError::Truncated));
    assert_eq!(tcp("00"), Err(ParseError::Truncated));
    assert_eq!(tcp("d0"), Err(ParseError::Truncated));
    assert_eq!(tcp("10 e2 ff"), Err(ParseError::MarkerWithoutPayload));
    assert_eq!(tcp("20 01 ff 41"), Ok(()));
    assert_eq!(tcp("11 01 0a"), Err(ParseError::LengthMismatch));
    assert_eq!(tcp("01 01 aa"), Ok(()));
    assert_eq!(tcp("01 01"), Err(ParseError::TokenOverrun));
    assert_eq!(tcp("09 01"), Err(ParseError::BadTokenLength));
    assert_eq!(tcp("0f 01"), Err(ParseError::BadTokenLength));
    assert_eq!(tcp("01 00 aa"), Err(ParseError::EmptyNotEmpty));
    assert_eq!(tcp("00 00"), Ok(()));
    assert_eq!(tcp_frame_size(&hex("09 01")), Err(ParseError::BadTokenLength));
    assert_eq!(tcp_frame_size(&hex("0d 01")), Ok(None));
    assert_eq!(tcp_frame_size(&hex("0d 01 00")), Ok(Some(16)));
    let ws = |s: &str| parse_reliable(&hex(s), Framing::Ws, 8).map(|_| ());
    assert_eq!(ws("10 01 ff"), Err(ParseError::LengthMismatch));
    assert_eq!(ws("00 01 b1 61"), Ok(()));
}

#[test]
fn in_place_header_leaves_body_alone() {
    let mut p = Pdu::new(MsgType::Non, CONTENT, 0xBEEF, 0);
    p.add_token(b"tok").unwrap();
    p.add_option(CONTENT_FORMAT, &[0]).unwrap();
    p.add_option(ETAG, b"e").unwrap();
    p.add_payload(b"hello").unwrap();
    let body = p.body_bytes().to_vec();
    let udp_wire = serialize(&mut p, Framing::Udp).unwrap().to_vec();
    assert_eq!(&udp_wire[4..], &body[..]);
    assert_eq!(udp_wire[..4], [0x53, 0x45, 0xBE, 0xEF]);
    let tcp_wire = serialize(&mut p, Framing::Tcp).unwrap().to_vec();
    assert_eq!(&tcp_wire[2..], &body[..]);
    let back = parse_reliable(&tcp_wire, Framing::Tcp, 8).unwrap();
    assert_eq!((back.typ, back.mid), (MsgType::Con, 0));
    assert_eq!(back.body_bytes(), &body[..]);
    assert_eq!(parse(&udp_wire, Framing::Udp, 8).unwrap(), parse_udp(&udp_wire, 8).unwrap());
}

#[test]
fn parse_into_reuses_and_matches_parse() {
    let msg = [0x44, 0x01, 0x12, 0x34, 1, 2, 3, 4, 0xb4, b't', b'i', b'm', b'e', 0xff, b'x'];
    let fresh = parse_udp(&msg, 8).unwrap();
    let mut reused = crate::proto::pdu::Pdu::new(MsgType::Con, 0, 0, 0);
    reused.add_payload(&[9; 100]).unwrap();
    parse_into(&mut reused, &msg, Framing::Udp, 8).unwrap();
    assert_eq!(reused.token(), fresh.token());
    assert_eq!(reused.payload(), Some(&b"x"[..]));
    assert_eq!(reused.options_area(), fresh.options_area());
    assert_eq!((reused.code, reused.mid, reused.typ), (fresh.code, fresh.mid, fresh.typ));
    // A bad message leaves the PDU as it was.
    assert!(parse_into(&mut reused, &[0x4f, 1, 0, 0], Framing::Udp, 8).is_err());
    assert_eq!(reused.payload(), Some(&b"x"[..]));
}
