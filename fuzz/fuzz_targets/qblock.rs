//! Q-Block (RFC 9177) input a client or server takes from the network:
//! the 4.08 missing-blocks list (decoding never panics, what decodes
//! encodes back to the same numbers) and Q-Block2 pieces of any number,
//! size and order (never beyond the body limit; complete only when every
//! piece up to the last is in).
#![no_main]
use coap_3_openssl::engine::block::MAX_BODY;
use coap_3_openssl::engine::qclient::QDownload;
use coap_3_openssl::proto::{missing, msg, pdu::Pdu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode & 1 == 0 {
        if let Ok(nums) = missing::decode(rest, usize::MAX) {
            let again = missing::encode(&nums, usize::MAX);
            assert_eq!(missing::decode(&again, usize::MAX), Ok(nums));
        }
        return;
    }
    let p = Pdu::new(msg::MsgType::Non, msg::GET, 1, 0);
    let mut d = QDownload::new(vec![], p.clone(), None, p, mode >> 5, 0);
    // Each piece: 3 bytes of NUM, 1 byte: M in the top bit, length below.
    for piece in rest.chunks_exact(4) {
        let num = u32::from(piece[0]) << 16 | u32::from(piece[1]) << 8 | u32::from(piece[2]);
        let more = piece[3] & 0x80 != 0;
        let len = usize::from(piece[3] & 0x7f) * 16;
        d.place(num, more, &vec![piece[0]; len]);
        assert!(d.body.len() <= MAX_BODY);
        assert!(d.last.map_or(true, |l| d.have.len() <= l as usize + 1));
        if d.complete() {
            assert!(d.have.iter().all(|&h| h));
        }
        let _ = d.wanted(10);
    }
});
