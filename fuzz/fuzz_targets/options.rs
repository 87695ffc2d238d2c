//! Option encoding and PDU editing: a random sequence of add/remove/token/
//! payload operations must keep the PDU equal to a simple model, and the
//! option filter must agree with a model set.
#![no_main]
use coap_3_openssl::proto::msg::{Framing, MsgType, TOKEN_EXT_MAX};
use coap_3_openssl::proto::option::{decode, encode, OptFilter, OptIter};
use coap_3_openssl::proto::pdu::Pdu;
use coap_3_openssl::proto::wire::{parse_udp, to_vec};
use libfuzzer_sys::fuzz_target;

fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if data.len() < n {
        return None;
    }
    let (a, b) = data.split_at(n);
    *data = b;
    Some(a)
}

fuzz_target!(|input: &[u8]| {
    // Any bytes as an option area: iteration must end without panicking.
    for o in OptIter::new(input) {
        if o.is_err() {
            break;
        }
    }
    let _ = decode(input);

    let mut data = input;
    let max_size = usize::from(take(&mut data, 1).map_or(0, |b| b[0])) * 4;
    let mut pdu = Pdu::new(MsgType::Con, 1, 7, max_size);
    let mut model: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut token: Vec<u8> = Vec::new();
    let mut payload: Option<Vec<u8>> = None;
    let mut filter = OptFilter::new();
    let mut fmodel: Vec<u16> = Vec::new();
    while let Some(op) = take(&mut data, 1) {
        let Some(arg) = take(&mut data, 3) else { break };
        let num = u16::from_be_bytes([arg[0], arg[1]]) >> (op[0] & 0x0F);
        let len = usize::from(arg[2]);
        match op[0] >> 4 {
            0..=5 => {
                let value: Vec<u8> = (0..len).map(|i| i as u8).collect();
                if pdu.add_option(num, &value).is_ok() {
                    let at = model.iter().position(|(n, _)| *n > num).unwrap_or(model.len());
                    model.insert(at, (num, value));
                }
            }
            6 | 7 => {
                let found = model.iter().position(|(n, _)| *n == num);
                assert_eq!(pdu.remove_option(num), found.is_some());
                if let Some(i) = found {
                    model.remove(i);
                }
            }
            8 => {
                let t = vec![0xA5; len * (usize::from(arg[0]) + 1)];
                if pdu.update_token(&t).is_ok() {
                    token = t;
                }
            }
            9 => {
                let p = vec![0x5A; len];
                if pdu.add_payload(&p).is_ok() && !p.is_empty() {
                    payload = Some(p);
                }
            }
            10 => {
                let want = fmodel.contains(&num)
                    || fmodel.iter().filter(|&&n| (n > 255) == (num > 255)).count() < if num > 255 { 2 } else { 6 };
                assert_eq!(filter.set(num), want);
                if want && !fmodel.contains(&num) {
                    fmodel.push(num);
                }
            }
            11 => {
                let had = fmodel.contains(&num);
                assert_eq!(filter.unset(num), had);
                fmodel.retain(|&n| n != num);
            }
            12 => {
                let mut buf = [0u8; 8];
                let value = [0u8; 3];
                let v = &value[..len.min(3)];
                if let Ok(n) = encode(&mut buf, u32::from(num), v) {
                    let (h, got) = decode(&buf[..n]).unwrap();
                    assert_eq!((h.delta, got), (u32::from(num), v));
                }
            }
            _ => {}
        }
        for n in 0..=300u16 {
            assert_eq!(filter.get(n), fmodel.contains(&n));
        }
        if max_size != 0 {
            assert!(pdu.used_size() <= max_size);
        }
    }
    let got: Vec<(u16, Vec<u8>)> = pdu.options().map(|o| o.unwrap()).map(|o| (o.number, o.value.to_vec())).collect();
    assert_eq!(got, model);
    assert_eq!(pdu.max_opt(), model.last().map_or(0, |(n, _)| *n));
    assert_eq!(pdu.token(), &token[..]);
    assert_eq!(pdu.payload().map(<[u8]>::to_vec), payload);
    let wire = to_vec(&pdu, Framing::Udp).unwrap();
    if let Ok(back) = parse_udp(&wire, TOKEN_EXT_MAX) {
        assert_eq!(back.body_bytes(), pdu.body_bytes());
    }
});
