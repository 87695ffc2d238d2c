//! A server putting a Block1 body together from pieces in any order, of
//! any size, at any offset: never panics, never exceeds the body limit,
//! and reports complete only when every byte up to the end arrived.
#![no_main]
use coap_3_openssl::engine::block::{complete, place, Incoming, MAX_BODY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut inc = Incoming { path: vec![], rtag: None, body: vec![], ranges: vec![], touched: 0 };
    let mut filled = vec![false; 0];
    // Each piece: 3 bytes of offset (scaled), 1 byte of length.
    for piece in data.chunks_exact(4) {
        let offset = (usize::from(piece[0]) << 16 | usize::from(piece[1]) << 8 | usize::from(piece[2])) * 16;
        let len = usize::from(piece[3]);
        let bytes = vec![piece[3]; len];
        if place(&mut inc, offset, &bytes) {
            assert!(inc.body.len() <= MAX_BODY);
            if filled.len() < offset + len {
                filled.resize(offset + len, false);
            }
            filled[offset..offset + len].iter_mut().for_each(|f| *f = true);
        }
    }
    assert_eq!(complete(&inc), filled.iter().all(|&f| f) && filled.len() == inc.body.len());
});
