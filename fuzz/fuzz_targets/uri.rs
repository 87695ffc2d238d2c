//! URI splitting: no panics; a split URI written back splits the same way.
#![no_main]
use coap_3_openssl::proto::uri::{split_path, split_proxy_uri, split_query, split_uri, to_string, uri_options, MAX_HOST};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = split_path(data);
    let _ = split_query(data);
    for split in [split_uri, split_proxy_uri] {
        if let Ok(u) = split(data) {
            assert!(!u.host.is_empty() && u.host.len() <= MAX_HOST);
            let text = to_string(&u);
            assert_eq!(split(&text), Ok(u), "{:?}", String::from_utf8_lossy(&text));
            let _ = uri_options(&u, true, true);
        }
    }
});
