//! CoAP's variable-length unsigned integers (RFC 7252 §3.2, "uint"): the
//! value in network byte order with no leading zero bytes, so 0 is the empty
//! string. Also the find-last-set helpers libcoap exports next to them.

/// Bytes needed for `v` in the minimal encoding (0 for 0).
pub fn encoded_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).div_ceil(8)
}

/// Writes `v` minimally at the start of `buf`; the number of bytes written,
/// or `None` (nothing written) when `buf` is too short.
pub fn encode_var_u64(buf: &mut [u8], v: u64) -> Option<usize> {
    let n = encoded_len(v);
    let out = buf.get_mut(..n)?;
    // Byte by byte (at most 8): a variable-length copy would be a memcpy call.
    for (i, o) in out.iter_mut().enumerate() {
        *o = (v >> (8 * (n - 1 - i))) as u8;
    }
    Some(n)
}

/// As [`encode_var_u64`] for a 32-bit value (at most 4 bytes).
pub fn encode_var_u32(buf: &mut [u8], v: u32) -> Option<usize> {
    encode_var_u64(buf, u64::from(v))
}

/// Reads a big-endian unsigned integer. Longer input than 4 bytes keeps the
/// last 4 (the leading bytes shift out), as libcoap does.
pub fn decode_var_u32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

/// Reads a big-endian unsigned integer; of more than 8 bytes the last 8
/// count.
pub fn decode_var_u64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Position of the most significant set bit, counted from 1; 0 for 0.
pub fn fls_u32(v: u32) -> u32 {
    32 - v.leading_zeros()
}

/// As [`fls_u32`] for 64 bits.
pub fn fls_u64(v: u64) -> u32 {
    64 - v.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc32(v: u32) -> Vec<u8> {
        let mut b = [0xeeu8; 8];
        let n = encode_var_u32(&mut b, v).expect("room");
        b[..n].to_vec()
    }

    #[test]
    fn encodes_minimal_big_endian() {
        assert_eq!(enc32(0), Vec::<u8>::new());
        assert_eq!(enc32(1), [1]);
        assert_eq!(enc32(0xff), [0xff]);
        assert_eq!(enc32(0x100), [1, 0]);
        assert_eq!(enc32(0xffff), [0xff, 0xff]);
        assert_eq!(enc32(0x10000), [1, 0, 0]);
        assert_eq!(enc32(0x0100_0000), [1, 0, 0, 0]);
        assert_eq!(enc32(u32::MAX), [0xff; 4]);
    }

    #[test]
    fn encodes_64_bit_values() {
        let mut b = [0u8; 8];
        assert_eq!(encode_var_u64(&mut b, 0x1_0000_0000), Some(5));
        assert_eq!(b[..5], [1, 0, 0, 0, 0]);
        assert_eq!(encode_var_u64(&mut b, u64::MAX), Some(8));
        assert_eq!(b, [0xff; 8]);
        assert_eq!(encode_var_u64(&mut b, 1 << 56), Some(8));
        assert_eq!(b, [1, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn too_small_buffer_is_refused_untouched() {
        let mut b = [0xeeu8; 3];
        assert_eq!(encode_var_u32(&mut b, 0x0100_0000), None);
        assert_eq!(b, [0xee; 3]);
        assert_eq!(encode_var_u32(&mut [], 1), None);
        assert_eq!(encode_var_u32(&mut [], 0), Some(0));
        assert_eq!(encode_var_u64(&mut b, 0xff_ffff), Some(3));
        assert_eq!(encode_var_u64(&mut b, 0x100_0000), None);
    }

    #[test]
    fn lengths() {
        assert_eq!(encoded_len(0), 0);
        assert_eq!(encoded_len(1), 1);
        assert_eq!(encoded_len(0xff), 1);
        assert_eq!(encoded_len(0x100), 2);
        assert_eq!(encoded_len(u64::MAX), 8);
    }

    #[test]
    fn decodes_and_keeps_low_bytes_of_long_input() {
        let d = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(decode_var_u32(&[]), 0);
        assert_eq!(decode_var_u32(&d[..1]), 1);
        assert_eq!(decode_var_u32(&d[..4]), 0x0102_0304);
        assert_eq!(decode_var_u32(&d[..5]), 0x0203_0405);
        assert_eq!(decode_var_u32(&d), 0x0708_090a);
        assert_eq!(decode_var_u64(&d[..5]), 0x01_0203_0405);
        assert_eq!(decode_var_u64(&d[..8]), 0x0102_0304_0506_0708);
        assert_eq!(decode_var_u64(&d), 0x0304_0506_0708_090a);
    }

    #[test]
    fn round_trip() {
        for v in [0u64, 1, 0x7f, 0x80, 0xffff, 0x12_3456, 0xdead_beef, 0x1234_5678_9abc_def0, u64::MAX] {
            let mut b = [0u8; 8];
            let n = encode_var_u64(&mut b, v).expect("room");
            assert_eq!(decode_var_u64(&b[..n]), v);
            if let Ok(v32) = u32::try_from(v) {
                assert_eq!(decode_var_u32(&b[..n]), v32);
            }
        }
    }

    #[test]
    fn find_last_set() {
        assert_eq!(fls_u32(0), 0);
        assert_eq!(fls_u32(1), 1);
        assert_eq!(fls_u32(3), 2);
        assert_eq!(fls_u32(0x100), 9);
        assert_eq!(fls_u32(0x8000_0000), 32);
        assert_eq!(fls_u64(0), 0);
        assert_eq!(fls_u64(0x1_0000_0000), 33);
        assert_eq!(fls_u64(u64::MAX), 64);
    }
}
