//! coap_persist(3) files are read back at start-up: whatever is on disk,
//! decoding never panics, and what decodes re-encodes to the same bytes.
//! The input is tried as a whole file and, sealed with a valid header and
//! checksum, as the record area of each kind of file.
#![no_main]
use coap_3_openssl::engine::context::persist::{
    decode_numbers, decode_observers, decode_resources, encode_numbers, encode_observers, encode_resources, seal,
    KIND_NUMBERS, KIND_OBSERVERS, KIND_RESOURCES,
};
use libfuzzer_sys::fuzz_target;

fn check(file: &[u8]) {
    if let Ok(list) = decode_observers(file) {
        assert_eq!(decode_observers(&encode_observers(&list)).as_ref(), Ok(&list));
    }
    if let Ok(list) = decode_numbers(file) {
        assert_eq!(decode_numbers(&encode_numbers(&list)), Ok(list));
    }
    if let Ok(list) = decode_resources(file) {
        assert_eq!(decode_resources(&encode_resources(&list)).as_ref(), Ok(&list));
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    for kind in [KIND_OBSERVERS, KIND_NUMBERS, KIND_RESOURCES] {
        check(&seal(kind, data));
    }
});
