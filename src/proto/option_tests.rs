use super::*;

fn enc(delta: u32, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    push(&mut v, delta, value).unwrap();
    v
}

#[test]
fn header_boundaries() {
    let cases: &[(u32, usize, &[u8])] = &[
        (0, 0, &[0x00]),
        (12, 12, &[0xCC]),
        (13, 0, &[0xD0, 0x00]),
        (268, 0, &[0xD0, 0xFF]),
        (269, 0, &[0xE0, 0x00, 0x00]),
        (65804, 0, &[0xE0, 0xFF, 0xFF]),
        (0, 13, &[0x0D, 0x00]),
        (0, 268, &[0x0D, 0xFF]),
        (0, 269, &[0x0E, 0x00, 0x00]),
        (300, 300, &[0xEE, 0x00, 0x1F, 0x00, 0x1F]),
        (13, 269, &[0xDE, 0x00, 0x00, 0x00]),
    ];
    for &(d, l, want) in cases {
        let mut buf = [0u8; 8];
        let n = encode_header(&mut buf, d, l).unwrap();
        assert_eq!(&buf[..n], want, "delta {d} len {l}");
        assert_eq!(header_size(d, l), n);
        let h = decode_header(want).unwrap();
        assert_eq!((h.delta, h.length as usize, h.header_len), (d, l, n));
    }
}

#[test]
fn encode_rejects_too_large_and_small_buffers() {
    let mut buf = [0u8; 8];
    assert_eq!(encode_header(&mut buf, MAX_EXT_VALUE + 1, 0), Err(OptError::TooLarge));
    assert_eq!(encode_header(&mut buf, 0, MAX_EXT_VALUE as usize + 1), Err(OptError::TooLarge));
    let mut small = [0u8; 2];
    assert_eq!(encode_header(&mut small, 300, 0), Err(OptError::TooLarge));
    assert_eq!(encode(&mut small, 1, b"ab"), Err(OptError::TooLarge));
    assert_eq!(encode(&mut [], 0, b""), Err(OptError::TooLarge));
    assert_eq!(encode(&mut buf, 11, b"abc"), Ok(4));
    assert_eq!(&buf[..4], b"\xB3abc");
    assert_eq!(encoded_size(11, 3), 4);
    assert_eq!(encoded_size(300, 269), 5 + 269);
}

#[test]
fn decode_errors() {
    assert_eq!(decode_header(&[]), Err(OptError::Truncated));
    assert_eq!(decode_header(&[0xFF]), Err(OptError::PayloadMarker));
    assert_eq!(decode_header(&[0xF0]), Err(OptError::ReservedDelta));
    assert_eq!(decode_header(&[0x0F]), Err(OptError::ReservedLength));
    assert_eq!(decode_header(&[0xD0]), Err(OptError::Truncated));
    assert_eq!(decode_header(&[0xE0, 0x00]), Err(OptError::Truncated));
    assert_eq!(decode_header(&[0x0E, 0x01]), Err(OptError::Truncated));
    assert_eq!(decode_header(&[0xDD, 0x01]), Err(OptError::Truncated));
    assert_eq!(decode(&[0x13, 0x41]), Err(OptError::Truncated));
    assert_eq!(decode(&[0x0E, 0xFF, 0xFF]), Err(OptError::Truncated));
    let (h, v) = decode(&[0x31, 0x41, 0x99]).unwrap();
    assert_eq!((h.delta, v), (3, &b"A"[..]));
}

#[test]
fn iterate_rfc_style_area() {
    // Uri-Host "h", Uri-Path "a", Uri-Path "b", Content-Format 0, Size1 300, payload.
    let mut area = Vec::new();
    area.extend(enc(3, b"h"));
    area.extend(enc(8, b"a"));
    area.extend(enc(0, b"b"));
    area.extend(enc(1, b""));
    area.extend(enc(48, &[1, 44]));
    area.extend([0xFF, b'x']);
    let got: Vec<_> = OptIter::new(&area).map(|o| o.unwrap()).map(|o| (o.number, o.value.to_vec())).collect();
    assert_eq!(
        got,
        vec![(3, b"h".to_vec()), (11, b"a".to_vec()), (11, b"b".to_vec()), (12, vec![]), (60, vec![1, 44])]
    );
    assert_eq!(scan(&area), Ok((area.len() - 2, 60)));
    let mut f = OptFilter::new();
    assert!(f.set(URI_PATH));
    let paths: Vec<_> = OptIter::with_filter(&area, f).map(|o| o.unwrap().value.to_vec()).collect();
    assert_eq!(paths, vec![b"a".to_vec(), b"b".to_vec()]);
    let o = OptIter::new(&area).nth(1).unwrap().unwrap();
    assert_eq!((o.offset, o.size), (2, 2));
}

#[test]
fn iterator_reports_errors_once() {
    for bad in [&[0x31u8, 0x41, 0xF0][..], &[0x0F], &[0xD1], &[0x13, 0x41], &[0xE1, 0xFF, 0xFF, 0x41]] {
        let mut it = OptIter::new(bad);
        let mut errs = 0;
        for o in it.by_ref() {
            if o.is_err() {
                errs += 1;
            }
        }
        assert_eq!(errs, 1, "{bad:02x?}");
        assert!(it.is_bad());
        assert!(scan(bad).is_err());
    }
    // 65535 is the highest allowed number; one more overflows.
    let ok = [0xE0, 0xFE, 0xF2];
    assert_eq!(scan(&ok), Ok((3, 65535)));
    let over = [0xE0, 0xFE, 0xF2, 0x10];
    assert_eq!(scan(&over), Err(OptError::NumberOverflow));
    assert_eq!(scan(&[0xE1, 0xFE, 0xFF, 0x41]), Err(OptError::NumberOverflow));
    assert_eq!(scan(&[]), Ok((0, 0)));
}

#[test]
fn filter_semantics() {
    let mut f = OptFilter::new();
    for n in [1, 3, 4, 5, 6, 7] {
        assert!(f.set(n));
    }
    assert!(!f.set(8), "seventh short number does not fit");
    assert!(f.set(3), "setting a present number succeeds");
    assert!(f.set(300) && f.set(65535));
    assert!(!f.set(1000));
    assert!(f.get(300) && f.get(65535) && f.get(7) && !f.get(8));
    // 300 is long: it must not match short 300 & 0xFF = 44.
    assert!(!f.get(44));
    // First set takes the highest free bit in its class.
    assert_eq!(f.mask, 0xFF);
    assert_eq!(f.short_opts, [7, 6, 5, 4, 3, 1]);
    assert_eq!(f.long_opts, [65535, 300]);
    assert!(f.unset(4) && !f.unset(4) && !f.get(4));
    assert!(f.set(8) && f.get(8));
    f.clear();
    assert_eq!(f, OptFilter::default());
    assert!(!f.get(0) && !f.unset(0));
}

#[test]
fn property_bits() {
    assert!(is_critical(IF_MATCH) && is_critical(URI_HOST) && is_critical(BLOCK2) && !is_critical(ETAG));
    assert!(is_unsafe(URI_HOST) && is_unsafe(BLOCK1) && !is_unsafe(ETAG) && is_unsafe(OBSERVE));
    assert!(is_no_cache_key(SIZE1) && is_no_cache_key(SIZE2) && is_no_cache_key(ECHO));
    assert!(!is_no_cache_key(ETAG) && !is_no_cache_key(CONTENT_FORMAT));
    assert!(!is_critical(NO_RESPONSE) && is_unsafe(NO_RESPONSE));
}

#[test]
fn registry_sorted_and_lengths() {
    assert!(REGISTRY.windows(2).all(|w| w[0].number < w[1].number));
    assert_eq!(lookup(URI_HOST).unwrap().name, "Uri-Host");
    assert_eq!(lookup(2), None);
    assert_eq!(check(URI_HOST, 0), OptCheck::BadLength);
    assert_eq!(check(URI_HOST, 255), OptCheck::Ok);
    assert_eq!(check(URI_HOST, 256), OptCheck::BadLength);
    assert_eq!(check(ETAG, 0), OptCheck::BadLength);
    assert_eq!(check(IF_NONE_MATCH, 1), OptCheck::BadLength);
    assert_eq!(check(OBSERVE, 4), OptCheck::BadLength);
    assert_eq!(check(HOP_LIMIT, 0), OptCheck::BadLength);
    assert_eq!(check(HOP_LIMIT, 1), OptCheck::Ok);
    assert_eq!(check(PROXY_URI, 1034), OptCheck::Ok);
    assert_eq!(check(PROXY_URI, 1035), OptCheck::BadLength);
    assert_eq!(check(ECHO, 41), OptCheck::BadLength);
    assert_eq!(check(Q_BLOCK2, 3), OptCheck::Ok);
    assert_eq!(check(999, 5000), OptCheck::Unknown);
    assert!(lookup(URI_PATH).unwrap().repeatable && !lookup(URI_HOST).unwrap().repeatable);
}

#[test]
fn lookup_table_finds_every_registered_option_and_nothing_else() {
    for d in REGISTRY {
        assert_eq!(lookup(d.number).map(|x| x.number), Some(d.number));
    }
    let known: Vec<OptNum> = REGISTRY.iter().map(|d| d.number).collect();
    for n in 0..=u16::MAX {
        if !known.contains(&n) {
            assert!(lookup(n).is_none(), "{n}");
        }
    }
}

#[test]
fn locate_agrees_with_decode_on_short_inputs() {
    // Every first byte, with a few tails: truncated, 13/14 extensions, values.
    let tails: [&[u8]; 6] = [&[], &[0], &[7, 1], &[0, 0, 9], &[1, 2, 3, 4, 5], &[0xff; 300]];
    for first in 0..=255u8 {
        for tail in tails {
            let mut b = vec![first];
            b.extend_from_slice(tail);
            let want = decode(&b).map(|(h, v)| (h.delta, h.header_len, h.header_len + v.len()));
            assert_eq!(locate(&b, 0), want, "{b:?}");
            // At an offset too.
            let mut c = vec![0xAA, 0xBB];
            c.extend_from_slice(&b);
            assert_eq!(locate(&c, 2), want.map(|(d, s, e)| (d, s + 2, e + 2)), "{c:?}");
        }
    }
}

#[test]
fn push_matches_encode_across_the_extension_boundaries() {
    let value = vec![0x5a; 300];
    for delta in [0u32, 1, 12, 13, 14, 268, 269, 270, 1000, MAX_EXT_VALUE, MAX_EXT_VALUE + 1] {
        for len in [0usize, 1, 12, 13, 14, 268, 269, 270] {
            let mut want = vec![0u8; MAX_OPT_HEADER + len];
            let expect = encode(&mut want, delta, &value[..len]).map(|n| {
                want.truncate(n);
                want
            });
            let mut got = vec![7u8];
            let r = push(&mut got, delta, &value[..len]);
            match expect {
                Ok(w) => {
                    assert_eq!(r, Ok(w.len()), "{delta} {len}");
                    assert_eq!(&got[1..], &w[..], "{delta} {len}");
                }
                Err(e) => {
                    assert_eq!(r, Err(e), "{delta} {len}");
                    assert_eq!(got, [7u8], "{delta} {len}");
                }
            }
        }
    }
}
