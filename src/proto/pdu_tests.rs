use super::*;
use crate::proto::msg::{Framing, GET};
use crate::proto::option::{CONTENT_FORMAT, URI_HOST, URI_PATH, URI_QUERY};
use crate::proto::wire::to_vec;

fn get() -> Pdu {
    Pdu::new(MsgType::Con, GET, 1, 0)
}

fn opts(p: &Pdu) -> Vec<(u16, Vec<u8>)> {
    p.options().map(|o| o.unwrap()).map(|o| (o.number, o.value.to_vec())).collect()
}

#[test]
fn new_pdu_is_empty() {
    let p = get();
    assert_eq!(p.used_size(), 0);
    assert_eq!(p.buffer().len(), MAX_HEADER);
    assert_eq!(p.token(), b"");
    assert_eq!(p.payload(), None);
    assert_eq!(p.options_area(), b"");
    assert_eq!(p.max_opt(), 0);
}

#[test]
fn out_of_order_options_match_libcoap_bytes() {
    // Same sequence as the libcoap 4.3.1 experiment; expected bytes from it.
    let mut p = get();
    assert_eq!(p.add_option(URI_PATH, b"a"), Ok(2));
    assert_eq!(p.add_option(URI_QUERY, b"q"), Ok(2));
    assert_eq!(p.add_option(URI_HOST, b"h"), Ok(2));
    assert_eq!(p.add_option(URI_PATH, b"b"), Ok(2));
    assert_eq!(p.add_option(300, b""), Ok(3));
    assert_eq!(p.add_option(CONTENT_FORMAT, b""), Ok(1));
    assert_eq!(p.options_area(), [0x31, 0x68, 0x81, 0x61, 0x01, 0x62, 0x10, 0x31, 0x71, 0xE0, 0x00, 0x10]);
    assert_eq!(p.max_opt(), 300);
    p.add_payload(b"xyz").unwrap();
    assert_eq!(p.add_payload(b"zz"), Err(PduError::HasPayload));
    assert_eq!(p.add_option(1, b""), Err(PduError::HasPayload));
    assert_eq!(p.payload(), Some(&b"xyz"[..]));
}

#[test]
fn insert_reencodes_following_delta_across_size_classes() {
    let mut p = get();
    p.add_option(300, b"x").unwrap(); // delta 300: 3-byte header
    p.add_option(20, b"y").unwrap(); // following delta becomes 280
    p.add_option(1, b"").unwrap(); // following delta becomes 19 (1 ext byte)
    assert_eq!(opts(&p), vec![(1, vec![]), (20, b"y".to_vec()), (300, b"x".to_vec())]);
    assert_eq!(p.options_area(), [0x10, 0xD1, 0x06, b'y', 0xE1, 0x00, 0x0B, b'x']);
}

#[test]
fn remove_option_first_occurrence() {
    let mut p = get();
    for (n, v) in [(3, &b"h"[..]), (11, b"a"), (11, b"b"), (300, b"x")] {
        p.add_option(n, v).unwrap();
    }
    assert_eq!(p.options_area(), [0x31, 0x68, 0x81, 0x61, 0x01, 0x62, 0xE1, 0x00, 0x14, 0x78]);
    p.add_payload(b"P").unwrap();
    assert!(p.remove_option(11));
    assert_eq!(opts(&p), vec![(3, b"h".to_vec()), (11, b"b".to_vec()), (300, b"x".to_vec())]);
    assert!(p.remove_option(3));
    assert_eq!(opts(&p), vec![(11, b"b".to_vec()), (300, b"x".to_vec())]);
    assert_eq!(p.payload(), Some(&b"P"[..]));
    assert!(p.remove_option(300));
    assert_eq!(p.max_opt(), 11);
    assert!(!p.remove_option(300));
    assert!(p.remove_option(11));
    assert_eq!(p.max_opt(), 0);
    assert_eq!(p.options_area(), b"");
    assert_eq!(p.payload(), Some(&b"P"[..]));
    assert_eq!(to_vec(&p, Framing::Udp).unwrap(), [0x40, 1, 0, 1, 0xFF, b'P']);
}

#[test]
fn token_rules() {
    let mut p = get();
    assert_eq!(p.add_token(&[1, 2]), Ok(()));
    assert_eq!(p.add_token(&[3]), Err(PduError::TokenNotFirst));
    let mut q = get();
    q.add_payload(b"").unwrap();
    assert_eq!(q.add_token(b"tt"), Ok(()), "empty payload adds nothing");
    assert_eq!(q.add_token(&vec![0; TOKEN_EXT_MAX + 1]), Err(PduError::TokenNotFirst));
    let mut r = get();
    assert_eq!(r.add_token(&vec![0; TOKEN_EXT_MAX + 1]), Err(PduError::TokenTooLong));
    assert_eq!(r.add_token(&vec![7; TOKEN_EXT_MAX]), Ok(()));
    assert_eq!(r.token_len(), TOKEN_EXT_MAX);
    assert_eq!(r.e_token_len(), TOKEN_EXT_MAX + 2);
}

#[test]
fn extended_token_prefix() {
    for (len, prefix) in [(0, vec![]), (8, vec![]), (12, vec![]), (13, vec![0]), (268, vec![255]), (269, vec![0, 0]), (65804, vec![255, 255])] {
        let mut p = get();
        let tok: Vec<u8> = (0..len).map(|i| i as u8).collect();
        p.add_token(&tok).unwrap();
        assert_eq!(p.token(), &tok[..]);
        assert_eq!(&p.body_bytes()[..prefix.len()], &prefix[..], "len {len}");
        assert_eq!(p.token_offset(), MAX_HEADER + prefix.len());
    }
}

#[test]
fn update_token_moves_options_and_payload_never_header() {
    let mut p = get();
    p.add_token(&[1; 8]).unwrap();
    p.add_option(URI_PATH, b"abc").unwrap();
    p.add_payload(b"data").unwrap();
    for len in [0usize, 1, 8, 13, 300, 2, 0, 269, 5] {
        let tok = vec![0xA5u8; len];
        p.update_token(&tok).unwrap();
        assert_eq!(p.token(), &tok[..]);
        assert_eq!(opts(&p), vec![(URI_PATH, b"abc".to_vec())]);
        assert_eq!(p.payload(), Some(&b"data"[..]));
        assert_eq!(p.buffer().len(), MAX_HEADER + p.used_size());
        assert!(p.options_offset() >= MAX_HEADER);
        let wire = to_vec(&p, Framing::Udp).unwrap();
        let back = crate::proto::wire::parse_udp(&wire, TOKEN_EXT_MAX).unwrap();
        assert_eq!(back.token(), &tok[..]);
        assert_eq!(back.payload(), Some(&b"data"[..]));
    }
}

#[test]
fn update_token_respects_max_size() {
    let mut p = Pdu::new(MsgType::Con, GET, 1, 10);
    p.add_token(&[1; 8]).unwrap();
    assert_eq!(p.update_token(&[1; 11]), Err(PduError::TooLarge));
    assert_eq!(p.token(), &[1; 8]);
    assert_eq!(p.update_token(&[2; 2]), Ok(()));
}

#[test]
fn max_size_matches_libcoap() {
    // libcoap 4.3.1: max 10, token 8 => a 6-byte option fails, a 2-byte fits,
    // then any payload fails.
    let mut r = Pdu::new(MsgType::Con, GET, 1, 10);
    r.add_token(b"12345678").unwrap();
    assert_eq!(r.add_option(URI_PATH, b"abcde"), Err(PduError::TooLarge));
    assert_eq!(r.add_option(URI_PATH, b"a"), Ok(2));
    assert_eq!(r.add_payload(b"z"), Err(PduError::TooLarge));
    assert_eq!(r.used_size(), 10);
    assert_eq!(r.set_max_size(9), Err(PduError::TooLarge));
    assert_eq!(r.set_max_size(0), Ok(()));
    assert_eq!(r.add_payload(b"zz"), Ok(()));
    // Out-of-order insert that grows the following header also counts.
    let mut s = Pdu::new(MsgType::Con, GET, 1, 3);
    s.add_option(20, b"").unwrap(); // d0 07
    assert_eq!(s.add_option(1, b""), Ok(1)); // 10 + d0 06 = 3 bytes
    assert_eq!(s.add_option(2, b""), Err(PduError::TooLarge));
}

#[test]
fn option_sizes() {
    let mut p = get();
    let v = [b'v'; 300];
    assert_eq!(p.add_option(URI_PATH, &v[..13]), Ok(15));
    assert_eq!(p.add_option(URI_PATH, &v[..269]), Ok(272));
    assert_eq!(p.add_option(2000, b""), Ok(3));
    let huge = vec![0u8; option::MAX_EXT_VALUE as usize + 1];
    assert_eq!(p.add_option(3000, &huge), Err(PduError::Option(OptError::TooLarge)));
    assert_eq!(p.option(URI_PATH).unwrap().value.len(), 13);
}

#[test]
fn data_after_and_clear() {
    let mut p = get();
    assert_eq!(p.add_data_after(0).unwrap().len(), 0);
    assert_eq!(p.payload(), None);
    p.add_data_after(3).unwrap().copy_from_slice(b"abc");
    assert_eq!(p.payload(), Some(&b"abc"[..]));
    assert_eq!(p.payload_offset(), Some(MAX_HEADER + 1));
    assert!(p.add_data_after(1).is_err());
    p.clear();
    assert_eq!(p.used_size(), 0);
    assert_eq!(p.payload(), None);
    p.add_token(b"t").unwrap();
}

#[test]
fn option_added_after_payload_goes_before_the_marker() {
    let mut p = Pdu::new(MsgType::Ack, crate::proto::msg::CONTENT, 1, 0);
    p.add_token(b"t").unwrap();
    p.add_option(crate::proto::option::CONTENT_FORMAT, &[0]).unwrap();
    p.add_payload(b"body").unwrap();
    p.add_option_before_payload(crate::proto::option::OBSERVE, &[7]).unwrap();
    p.add_option_before_payload(crate::proto::option::MAX_AGE, &[9]).unwrap();
    let nums: Vec<_> = p.options().map(|o| o.unwrap().number).collect();
    assert_eq!(nums, vec![6, 12, 14]);
    assert_eq!(p.payload(), Some(&b"body"[..]));
    let wire = crate::proto::wire::to_vec(&p, crate::proto::msg::Framing::Udp).unwrap();
    let back = crate::proto::wire::parse_udp(&wire, 8).unwrap();
    assert_eq!(back.payload(), Some(&b"body"[..]));
    assert_eq!(back.option(crate::proto::option::OBSERVE).map(|o| o.value), Some(&[7u8][..]));
}

#[test]
fn copy_short_copies_every_short_length_exactly() {
    let src: Vec<u8> = (1..=12).collect();
    for n in 0..=12 {
        let mut dst = [0u8; 15];
        super::copy_short(&mut dst, &src[..n]);
        assert_eq!(&dst[..n], &src[..n], "len {n}");
        assert!(dst[n..].iter().all(|&b| b == 0), "len {n}");
    }
}

#[test]
fn short_options_and_tokens_encode_the_same_near_full_capacity() {
    // max 0 starts with 16 bytes of room, so both the whole-array append
    // and the exact-length fallback run; 20 also hits the size limit.
    for max in [0usize, 20, 40] {
        for tok in 0..=12usize {
            let token: Vec<u8> = (1..=tok as u8).collect();
            let mut p = Pdu::new(MsgType::Con, 1, 1, max);
            if p.add_token(&token).is_err() {
                assert!(max != 0 && tok > max);
                continue;
            }
            assert_eq!(p.token(), &token[..]);
            let mut want = Vec::new();
            let mut last = 0u16;
            for (num, len) in [(1u16, 0usize), (4, 3), (11, 12), (12, 1), (14, 4), (15, 8)] {
                let v: Vec<u8> = (0..len as u8).map(|b| b ^ 0x5a).collect();
                match p.add_option(num, &v) {
                    Ok(n) => {
                        assert_eq!(n, 1 + len);
                        crate::proto::option::push(&mut want, u32::from(num - last), &v).unwrap();
                        last = num;
                    }
                    Err(e) => assert_eq!(e, PduError::TooLarge),
                }
                assert_eq!(p.options_area(), &want[..], "max {max} token {tok} option {num}");
                assert_eq!(p.token(), &token[..]);
            }
        }
    }
}

#[test]
fn option_lookup_in_built_parsed_and_edited_pdus() {
    let mut p = get();
    for (n, v) in [(300, &b"x"[..]), (3, b"h"), (11, b"a"), (11, b"b"), (12, b"")] {
        p.add_option(n, v).unwrap();
    }
    let find = |p: &Pdu, n| p.option(n).map(|o| o.value.to_vec());
    for p in [p.clone(), crate::proto::wire::parse_udp(&to_vec(&p, Framing::Udp).unwrap(), 8).unwrap()] {
        assert_eq!(find(&p, 3), Some(b"h".to_vec()));
        assert_eq!(find(&p, 11), Some(b"a".to_vec()), "the first of repeated options");
        assert_eq!(find(&p, 12), Some(vec![]));
        assert_eq!(find(&p, 300), Some(b"x".to_vec()));
        for absent in [0, 1, 4, 13, 299, 301, 65535] {
            assert_eq!(find(&p, absent), None, "option {absent}");
        }
    }
    assert!(p.remove_option(300));
    assert_eq!(find(&p, 300), None);
    assert_eq!(find(&p, 12), Some(vec![]));
    p.add_option(60, b"z").unwrap();
    assert_eq!(find(&p, 60), Some(b"z".to_vec()));
}
