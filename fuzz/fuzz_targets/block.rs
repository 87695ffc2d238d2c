//! Block option values: no panics; decode/encode round-trips minimally.
#![no_main]
use coap_3_openssl::proto::block::{block_count, block_slice, more_after, Block};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte: value length (0..=4), then the value, then a body.
    let Some((&n, data)) = data.split_first() else { return };
    let (value, rest) = data.split_at(usize::from(n % 5).min(data.len()));
    for bert in [false, true] {
        if let Ok(b) = Block::decode(value, bert) {
            assert!(value.len() <= 3);
            let enc = b.to_vec();
            let first = value.iter().position(|&c| c != 0).unwrap_or(value.len());
            assert_eq!(enc, &value[first..]);
            assert_eq!(Block::decode(&enc, bert), Ok(b));
            assert_eq!(b.is_bert(), b.szx == 7);
            let total = rest.len() as u64;
            let _ = more_after(total, b.num, b.szx);
            let _ = block_count(total, b.szx);
            if let Some(s) = block_slice(rest, b.num, b.szx) {
                assert!(s.len() <= b.size());
            }
        }
    }
});
