//! coap_persist(3) files are read back at start-up: whatever is on disk,
//! decoding never panics, and what decodes re-encodes to the same bytes.
#![no_main]
use coap_3_openssl::engine::context::persist::{
    decode_numbers, decode_observers, decode_resources, encode_numbers, encode_observers, encode_resources,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = decode_observers(data) {
        assert_eq!(decode_observers(&encode_observers(&list)).map(|l| l.len()), Ok(list.len()));
    }
    if let Ok(list) = decode_numbers(data) {
        assert_eq!(decode_numbers(&encode_numbers(&list)), Ok(list));
    }
    if let Ok(list) = decode_resources(data) {
        assert_eq!(decode_resources(&encode_resources(&list)).map(|l| l.len()), Ok(list.len()));
    }
});
