//! The payload of a 4.08 (Request Entity Incomplete) answering Q-Block1
//! (RFC 9177 §5): Content-Format 272, application/missing-blocks+cbor-seq,
//! a CBOR sequence of unsigned integers, the missing block numbers in
//! ascending order.

/// Content-Format of the missing-blocks list.
pub const CONTENT_FORMAT: u16 = 272;

/// Appends `n` as a CBOR unsigned integer (major type 0).
fn put_uint(out: &mut Vec<u8>, n: u32) {
    match n {
        0..=23 => out.push(n as u8),
        24..=0xFF => out.extend_from_slice(&[24, n as u8]),
        0x100..=0xFFFF => {
            out.push(25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            out.push(26);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// The payload listing `nums`, at most `max_len` bytes of it (a list that
/// does not fit is cut, as RFC 9177 §5 allows: the rest is asked later).
pub fn encode(nums: &[u32], max_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(nums.len().min(max_len));
    let mut one = Vec::with_capacity(5);
    for &n in nums {
        one.clear();
        put_uint(&mut one, n);
        if out.len() + one.len() > max_len {
            break;
        }
        out.extend_from_slice(&one);
    }
    out
}

/// Why a missing-blocks payload is unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingError {
    /// Not an unsigned integer, or a length that runs past the end.
    Malformed,
    /// A number beyond the 20 bits of a block number.
    TooLarge,
}

/// The block numbers a missing-blocks payload lists, at most `limit` of
/// them (the rest is ignored: a peer may list more than was ever sent).
pub fn decode(payload: &[u8], limit: usize) -> Result<Vec<u32>, MissingError> {
    let mut nums = Vec::new();
    let mut rest = payload;
    while let Some((&head, tail)) = rest.split_first() {
        if head >> 5 != 0 {
            return Err(MissingError::Malformed);
        }
        let (value, used) = match head & 0x1f {
            n @ 0..=23 => (u64::from(n), 0),
            24 => (u64::from(*tail.first().ok_or(MissingError::Malformed)?), 1),
            25 => {
                let b = tail.get(..2).ok_or(MissingError::Malformed)?;
                (u64::from(u16::from_be_bytes([b[0], b[1]])), 2)
            }
            26 => {
                let b = tail.get(..4).ok_or(MissingError::Malformed)?;
                (u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])), 4)
            }
            27 => {
                let b = tail.get(..8).ok_or(MissingError::Malformed)?;
                let mut v = [0u8; 8];
                v.copy_from_slice(b);
                (u64::from_be_bytes(v), 8)
            }
            _ => return Err(MissingError::Malformed),
        };
        rest = tail.get(used..).ok_or(MissingError::Malformed)?;
        let n = u32::try_from(value).ok().filter(|&n| n <= super::block::MAX_NUM).ok_or(MissingError::TooLarge)?;
        if nums.len() < limit {
            nums.push(n);
        }
    }
    Ok(nums)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_across_integer_widths() {
        let nums = [0, 1, 23, 24, 255, 256, 65535, 65536, super::super::block::MAX_NUM];
        let bytes = encode(&nums, 1024);
        assert_eq!(&bytes[..5], &[0x00, 0x01, 0x17, 0x18, 0x18]);
        assert_eq!(decode(&bytes, 100), Ok(nums.to_vec()));
    }

    #[test]
    fn a_list_is_cut_to_the_room_given() {
        let nums: Vec<u32> = (0..100).collect();
        let bytes = encode(&nums, 30);
        // 0..=23 take a byte each, 24.. two: 24 + 3 * 2 bytes.
        assert_eq!(bytes.len(), 30);
        assert_eq!(decode(&bytes, 1000).unwrap(), (0..27).collect::<Vec<u32>>());
    }

    #[test]
    fn bad_payloads_are_refused() {
        assert_eq!(decode(&[0x18], 10), Err(MissingError::Malformed));
        assert_eq!(decode(&[0x19, 0x01], 10), Err(MissingError::Malformed));
        assert_eq!(decode(&[0x20], 10), Err(MissingError::Malformed));
        assert_eq!(decode(&[0x1c], 10), Err(MissingError::Malformed));
        assert_eq!(decode(&[0x1a, 0x00, 0x10, 0x00, 0x00], 10), Err(MissingError::TooLarge));
        assert_eq!(decode(&[0x1b, 0, 0, 0, 1, 0, 0, 0, 0], 10), Err(MissingError::TooLarge));
        assert_eq!(decode(&[], 10), Ok(vec![]));
        assert_eq!(decode(&[1, 2, 3], 2), Ok(vec![1, 2]));
    }
}
