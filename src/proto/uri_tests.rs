use super::*;

fn ok(s: &str) -> Uri<'_> {
    split_uri(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}
fn err(s: &str) -> UriError {
    split_uri(s.as_bytes()).unwrap_err()
}
fn segs(v: Vec<Vec<u8>>) -> Vec<String> {
    v.into_iter().map(|s| String::from_utf8(s).unwrap()).collect()
}

#[test]
fn schemes_and_default_ports() {
    for (u, scheme, port) in [
        ("coap://h", Scheme::Coap, 5683),
        ("coaps://h", Scheme::Coaps, 5684),
        ("coap+tcp://h", Scheme::CoapTcp, 5683),
        ("coaps+tcp://h", Scheme::CoapsTcp, 5684),
        ("coap+ws://h", Scheme::CoapWs, 80),
        ("coaps+ws://h", Scheme::CoapsWs, 443),
        ("COAP://h", Scheme::Coap, 5683),
        ("CoAPs+TCP://h", Scheme::CoapsTcp, 5684),
    ] {
        let x = ok(u);
        assert_eq!((x.scheme, x.port, x.host), (scheme, port, &b"h"[..]), "{u}");
        assert_eq!((x.path, x.query), (None, None));
    }
    assert!(Scheme::CoapsWs.is_secure() && !Scheme::CoapWs.is_secure());
    for v in 0..8 {
        assert_eq!(Scheme::from_u8(v).unwrap() as u8, v);
    }
    assert_eq!(Scheme::from_u8(8), None);
}

#[test]
fn proxy_uri_allows_http() {
    assert_eq!(err("http://h"), UriError::BadScheme);
    assert_eq!(err("https://h"), UriError::BadScheme);
    let x = split_proxy_uri(b"http://h").unwrap();
    assert_eq!((x.scheme, x.port), (Scheme::Http, 80));
    let x = split_proxy_uri(b"HTTPS://h/a?b").unwrap();
    assert_eq!((x.scheme, x.port, x.path, x.query), (Scheme::Https, 443, Some(&b"a"[..]), Some(&b"b"[..])));
    assert_eq!(split_proxy_uri(b"HTTP://h:8080/x").unwrap().port, 8080);
    assert_eq!(split_proxy_uri(b"ftp://h"), Err(UriError::BadScheme));
    assert_eq!(split_proxy_uri(b"coap+ws://h").unwrap().scheme, Scheme::CoapWs);
}

#[test]
fn results_match_libcoap_experiments() {
    let x = ok("coap://p://");
    assert_eq!((x.host, x.port, x.path), (&b"p"[..], 5683, Some(&b"/"[..])));
    assert_eq!(ok("coap://h/").path, None);
    assert_eq!(ok("coap://h:").port, 5683);
    assert_eq!(ok("coap://h:/p").path, Some(&b"p"[..]));
    assert_eq!(ok("coap://h:0").port, 0);
    assert_eq!(ok("coap://h:65535").port, 65535);
    let x = ok("coap://[::1]:7/a");
    assert_eq!((x.host, x.port, x.path), (&b"::1"[..], 7, Some(&b"a"[..])));
    assert_eq!(ok("coap://[::1]:/p").port, 5683);
    assert_eq!(ok("coap://[fe80::1%25eth0]/").host, b"fe80::1%25eth0");
    let x = ok("coap://h/a/b?x=1&y");
    assert_eq!((x.path, x.query), (Some(&b"a/b"[..]), Some(&b"x=1&y"[..])));
    assert_eq!(ok("coap://h/?").query, Some(&b""[..]));
    assert_eq!(ok("coap://h:5?q").query, Some(&b"q"[..]));
    assert_eq!(ok("coap://h/a%2").path, Some(&b"a%2"[..]), "escapes are checked when splitting the path");
    assert_eq!(ok("coap://h/p#frag").path, Some(&b"p#frag"[..]));
    assert_eq!(ok("coap://1.2.3.4:5/a").host, b"1.2.3.4");
    assert_eq!(ok("coap://h//").path, Some(&b"/"[..]));
    // libcoap 4.3.1 rejects this (-1); RFC 3986 allows a query with no path.
    assert_eq!(ok("coap://h?q").query, Some(&b"q"[..]));
}

#[test]
fn unix_socket_hosts() {
    let x = ok("coap+tcp://%2Ftmp%2Fsock/path");
    assert_eq!((x.host, x.path), (&b"%2Ftmp%2Fsock"[..], Some(&b"path"[..])));
    assert!(is_unix_host(x.host));
    assert_eq!(percent_decode(x.host).unwrap(), b"/tmp/sock");
    assert!(is_unix_host(ok("coap://%2ftmp%2fs/p").host));
    assert!(!is_unix_host(b"h%2F"));
    assert!(!is_unix_host(b"%2"));
}

#[test]
fn bad_uris() {
    assert_eq!(err(""), UriError::BadScheme);
    assert_eq!(err("coap://"), UriError::BadHost);
    assert_eq!(err("coap:///p"), UriError::BadHost);
    assert_eq!(err("coap://:5/p"), UriError::BadHost);
    assert_eq!(err("coap://[::1"), UriError::BadHost);
    assert_eq!(err("coap://[]/"), UriError::BadHost);
    assert_eq!(err("coap://[::1]x/p"), UriError::BadPort);
    assert_eq!(err("coap://h:12a"), UriError::BadPort);
    assert_eq!(err("coap://h:-1"), UriError::BadPort);
    assert_eq!(err("coap://h:+5"), UriError::BadPort);
    assert_eq!(err("coap://h:65536"), UriError::PortRange);
    assert_eq!(err("coap://h:99999999999999999999"), UriError::PortRange);
    assert_eq!(err("foo://h"), UriError::BadScheme);
    assert_eq!(err("coap+udp://h"), UriError::BadScheme);
    assert_eq!(err("coaps+wss://h"), UriError::NoAuthority);
    assert_eq!(err("coap:/h"), UriError::NoAuthority);
    assert_eq!(err("coap:h"), UriError::NoAuthority);
    assert_eq!(err("coaps"), UriError::NoAuthority);
    assert_eq!(err("coap+tcp:/"), UriError::NoAuthority);
    assert_eq!(err("c"), UriError::BadScheme);
    // CVE-2025-34468: an over-long host must be refused, never copied.
    let long = format!("coap://{}/p", "a".repeat(256));
    assert_eq!(err(&long), UriError::HostTooLong);
    let edge = format!("coap://{}/p", "a".repeat(255));
    assert_eq!(ok(&edge).host.len(), 255);
    let long6 = format!("coap://[{}]/p", "1:".repeat(200));
    assert_eq!(err(&long6), UriError::HostTooLong);
    assert_eq!(
        [UriError::BadScheme, UriError::NoAuthority, UriError::BadHost, UriError::PortRange].map(UriError::code),
        [-1, -2, -3, -4]
    );
}

#[test]
fn path_splitting_like_libcoap() {
    let cases: &[(&str, &[&str])] = &[
        ("a/b/c", &["a", "b", "c"]),
        ("/a/b", &["", "a", "b"]),
        ("a//b", &["a", "", "b"]),
        ("a/b/", &["a", "b", ""]),
        ("", &[""]),
        ("/", &["", ""]),
        (".", &[]),
        ("..", &[]),
        ("a/./b", &["a", "b"]),
        ("a/../b", &["a", "b"]),
        ("../a", &["a"]),
        ("a/b/../../..", &["a", "b"]),
        ("%41%2fb", &["A/b"]),
        ("a%2", &[]),
        ("a%zz/b", &["b"]),
        ("a%", &[]),
        ("a?b", &["a"]),
        ("a#b", &["a"]),
        ("a%00b", &["a\0b"]),
        ("a/%2e/b", &["a", ".", "b"]),
        ("a/%2E%2E/b", &["a", "..", "b"]),
        ("a/.../b", &["a", "...", "b"]),
        ("//", &["", "", ""]),
        ("a b", &["a b"]),
    ];
    for (p, want) in cases {
        assert_eq!(segs(split_path(p.as_bytes())), *want, "{p}");
    }
}

#[test]
fn query_splitting_like_libcoap() {
    let cases: &[(&str, &[&str])] = &[
        ("a=1&b=2", &["a=1", "b=2"]),
        ("&", &["", ""]),
        ("a&&b", &["a", "", "b"]),
        ("", &[""]),
        ("a%26b&c", &["a&b", "c"]),
        ("a;b", &["a;b"]),
        ("a/b", &["a/b"]),
        ("&a&", &["", "a", ""]),
        ("a%2", &[]),
        ("x=%41", &["x=A"]),
        (".", &["."]),
        ("a&..&b", &["a", "..", "b"]),
        ("?a", &["?a"]),
    ];
    for (q, want) in cases {
        assert_eq!(segs(split_query(q.as_bytes())), *want, "{q}");
    }
}

#[test]
fn options_from_uri() {
    let x = ok("coap://example.net:61616/.well-known/core?rt=temp&if=sensor");
    let o = uri_options(&x, true, true);
    assert_eq!(
        o,
        vec![
            (URI_HOST, b"example.net".to_vec()),
            (URI_PORT, vec![0xF0, 0xB0]),
            (URI_PATH, b".well-known".to_vec()),
            (URI_PATH, b"core".to_vec()),
            (URI_QUERY, b"rt=temp".to_vec()),
            (URI_QUERY, b"if=sensor".to_vec()),
        ]
    );
    assert_eq!(uri_options(&ok("coap://h:5683"), true, true), vec![(URI_HOST, b"h".to_vec())]);
    assert_eq!(uri_options(&ok("coap://h:0"), false, true), vec![(URI_PORT, vec![])]);
    assert_eq!(uri_options(&ok("coap://h:80/"), false, true), vec![(URI_PORT, vec![80])]);
    assert_eq!(uri_options(&ok("coap://h:80/"), false, false), vec![]);
}

#[test]
fn round_trip_to_string() {
    for s in [
        "coap://h",
        "coaps://[::1]:7/a/b?c&d",
        "coap+tcp://%2Ftmp%2Fsock/p",
        "coaps+ws://example.com/x?",
        "coap+ws://h:8080/",
        "coap://p//",
    ] {
        let x = ok(s);
        let back = to_string(&x);
        assert_eq!(split_uri(&back).unwrap(), x, "{s}");
    }
    assert_eq!(to_string(&ok("coap://h:5683/")), b"coap://h");
    assert_eq!(to_string(&ok("COAPS://[::1]:7/a?q")), b"coaps://[::1]:7/a?q");
}

#[test]
fn fuzz_bracketed_host_with_delimiters_round_trips() {
    // Found by fuzz target `uri`: a bracketed host holding '/' was written
    // back without brackets and split differently.
    let input = b"coaps://[/.6o\x1b\x008\x03\xac\xac\xac\xac\xac\xac\xac\xac.\xaca]//b\x1b\x008/a./1";
    let u = split_uri(input).unwrap();
    assert_eq!(u.host, b"/.6o\x1b\x008\x03\xac\xac\xac\xac\xac\xac\xac\xac.\xaca");
    assert_eq!(split_uri(&to_string(&u)), Ok(u));
    for s in ["coap://[a?b]/p", "coap://[[x]/p", "coap://[a/b]"] {
        let u = ok(s);
        assert_eq!(split_uri(&to_string(&u)), Ok(u), "{s}");
    }
}

#[test]
fn a_path_alone_is_a_coap_uri_without_host() {
    let u = ok("/a/b?c");
    assert_eq!((u.scheme, u.host, u.port), (Scheme::Coap, &b""[..], 5683));
    assert_eq!((u.path, u.query), (Some(&b"a/b"[..]), Some(&b"c"[..])));
    let u = ok("/");
    assert_eq!((u.path, u.query), (None, None));
    assert_eq!(ok("/?x").query, Some(&b"x"[..]));
    // A proxy URI names a host.
    assert_eq!(split_proxy_uri(b"/a"), Err(UriError::BadScheme));
}
