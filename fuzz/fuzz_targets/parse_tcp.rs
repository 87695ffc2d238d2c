//! TCP and WebSocket frame parsers: no panics; frame size agrees with the
//! parser; parsed frames re-serialise to the same bytes.
#![no_main]
use coap_3_openssl::proto::msg::{Framing, TOKEN_EXT_MAX};
use coap_3_openssl::proto::wire::{parse_reliable, tcp_frame_size, to_vec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let size = tcp_frame_size(data);
    match parse_reliable(data, Framing::Tcp, TOKEN_EXT_MAX) {
        Ok(p) => {
            assert_eq!(size, Ok(Some(data.len())));
            assert_eq!(to_vec(&p, Framing::Tcp).unwrap(), data);
        }
        Err(_) => {
            if let Ok(Some(n)) = size {
                if n < data.len() {
                    let _ = parse_reliable(&data[..n], Framing::Tcp, TOKEN_EXT_MAX);
                }
            }
        }
    }
    if let Ok(p) = parse_reliable(data, Framing::Ws, TOKEN_EXT_MAX) {
        assert_eq!(to_vec(&p, Framing::Ws).unwrap(), data);
    }
});
