//! Block1/Block2 (RFC 7959) and Q-Block1/Q-Block2 (RFC 9177) option values:
//! `NUM << 4 | M << 3 | SZX`, with SZX 7 meaning BERT (RFC 8323 §6).

/// Largest block number (20 bits).
pub const MAX_NUM: u32 = 0xF_FFFF;
/// Largest regular SZX (1024-byte blocks).
pub const MAX_SZX: u8 = 6;
/// SZX value that marks a BERT block (reliable transports only).
pub const BERT_SZX: u8 = 7;

/// Why a block option value is unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockError {
    /// Value longer than 3 bytes.
    TooLong,
    /// NUM above 20 bits.
    NumTooLarge,
    /// SZX 7 (BERT) on a transport that does not allow it.
    BertNotAllowed,
    /// SZX above 7.
    BadSzx,
}

/// A decoded block option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Block {
    pub num: u32,
    pub more: bool,
    pub szx: u8,
}

/// Block size for an SZX (16..1024); BERT counts in 1024-byte units.
pub fn szx_size(szx: u8) -> Option<usize> {
    match szx {
        0..=6 => Some(16usize << szx),
        7 => Some(1024),
        _ => None,
    }
}

/// Largest regular SZX whose block fits in `size` bytes; `None` below 16.
pub fn szx_for_size(size: usize) -> Option<u8> {
    (0..=MAX_SZX).rev().find(|&s| (16usize << s) <= size)
}

/// True if a body of `total` bytes has data after block `num` of size `szx`.
pub fn more_after(total: u64, num: u32, szx: u8) -> bool {
    let size = szx_size(szx).unwrap_or(1024) as u64;
    (u64::from(num) + 1) * size < total
}

/// Number of blocks a body of `total` bytes needs (at least one).
pub fn block_count(total: u64, szx: u8) -> u64 {
    let size = szx_size(szx).unwrap_or(1024) as u64;
    total.div_ceil(size).max(1)
}

/// The slice of `body` that block `num` of size `szx` carries; `None` if it
/// starts past the end (block 0 of an empty body is empty).
pub fn block_slice(body: &[u8], num: u32, szx: u8) -> Option<&[u8]> {
    let size = szx_size(szx)?;
    let start = usize::try_from(num).ok()?.checked_mul(size)?;
    if start > body.len() || (start == body.len() && num != 0) {
        return None;
    }
    let end = start.saturating_add(size).min(body.len());
    body.get(start..end)
}

impl Block {
    /// A block; fails if `num` needs more than 20 bits or `szx` > 7.
    pub fn new(num: u32, more: bool, szx: u8) -> Result<Block, BlockError> {
        if num > MAX_NUM {
            return Err(BlockError::NumTooLarge);
        }
        if szx > BERT_SZX {
            return Err(BlockError::BadSzx);
        }
        Ok(Block { num, more, szx })
    }

    /// Decodes an option value; `bert_ok` allows SZX 7 (reliable transports with BERT).
    pub fn decode(value: &[u8], bert_ok: bool) -> Result<Block, BlockError> {
        if value.len() > 3 {
            return Err(BlockError::TooLong);
        }
        let v = value.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
        let b = Block { num: v >> 4, more: v & 0x08 != 0, szx: (v & 0x07) as u8 };
        if b.szx == BERT_SZX && !bert_ok {
            return Err(BlockError::BertNotAllowed);
        }
        Ok(b)
    }

    /// The option value as an integer.
    pub fn value(&self) -> u32 {
        (self.num.min(MAX_NUM) << 4) | (u32::from(self.more) << 3) | u32::from(self.szx & 0x07)
    }

    /// Minimal big-endian encoding (0 bytes for value 0) and its length.
    pub fn encode(&self) -> ([u8; 3], usize) {
        let v = self.value();
        let len = match v {
            0 => 0,
            1..=0xFF => 1,
            0x100..=0xFFFF => 2,
            _ => 3,
        };
        let bytes = v.to_be_bytes();
        let mut out = [0u8; 3];
        out[..len].copy_from_slice(&bytes[4 - len..]);
        (out, len)
    }

    /// Encoded option value as a vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let (b, n) = self.encode();
        b.get(..n).unwrap_or_default().to_vec()
    }

    /// True for BERT (SZX 7).
    pub fn is_bert(&self) -> bool {
        self.szx == BERT_SZX
    }
    /// Block size in bytes (1024 for BERT).
    pub fn size(&self) -> usize {
        szx_size(self.szx).unwrap_or(1024)
    }
    /// Byte offset of this block in the body.
    pub fn offset(&self) -> u64 {
        u64::from(self.num) * self.size() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7959_examples() {
        // Figure 2: Block2 2:0/1/128 .. 2:2/0/128 (SZX 3).
        let b = Block::new(0, true, 3).unwrap();
        assert_eq!(b.to_vec(), [0x0B]);
        assert_eq!(Block::new(1, true, 3).unwrap().to_vec(), [0x1B]);
        assert_eq!(Block::new(2, false, 3).unwrap().to_vec(), [0x23]);
        // Figure 3: late negotiation to 2:1/1/64 style values.
        assert_eq!(Block::decode(&[0x1A], false).unwrap(), Block { num: 1, more: true, szx: 2 });
        assert_eq!(Block::new(0, false, 0).unwrap().to_vec(), Vec::<u8>::new());
        assert_eq!(Block::decode(&[], false).unwrap(), Block::default());
        assert_eq!(Block::new(16, false, 6).unwrap().to_vec(), [0x01, 0x06]);
    }

    #[test]
    fn num_boundaries() {
        let b = Block::new(MAX_NUM, true, 6).unwrap();
        assert_eq!(b.to_vec(), [0xFF, 0xFF, 0xFE]);
        assert_eq!(Block::decode(&b.to_vec(), false).unwrap(), b);
        assert_eq!(Block::new(MAX_NUM + 1, false, 0), Err(BlockError::NumTooLarge));
        assert_eq!(Block::new(0, false, 8), Err(BlockError::BadSzx));
        assert_eq!(Block::decode(&[0, 0, 0, 1], false), Err(BlockError::TooLong));
        assert_eq!(Block::decode(&[0x00, 0x00, 0x16], false).unwrap().num, 1);
        assert_eq!(Block::decode(&[0x10, 0x00], false).unwrap().num, 0x100);
        for num in [0u32, 1, 15, 16, 4095, 4096, MAX_NUM] {
            for szx in 0..=7 {
                for more in [false, true] {
                    let b = Block::new(num, more, szx).unwrap();
                    let (bytes, n) = b.encode();
                    assert!(n <= 3);
                    assert_eq!(Block::decode(&bytes[..n], true).unwrap(), b);
                }
            }
        }
    }

    #[test]
    fn bert_only_when_allowed() {
        assert_eq!(Block::decode(&[0x0F], false), Err(BlockError::BertNotAllowed));
        let b = Block::decode(&[0x1F], true).unwrap();
        assert!(b.is_bert() && b.more);
        assert_eq!((b.size(), b.offset()), (1024, 1024));
    }

    #[test]
    fn sizes_and_offsets() {
        assert_eq!(szx_size(0), Some(16));
        assert_eq!(szx_size(6), Some(1024));
        assert_eq!(szx_size(8), None);
        assert_eq!(szx_for_size(15), None);
        assert_eq!(szx_for_size(16), Some(0));
        assert_eq!(szx_for_size(1023), Some(5));
        assert_eq!(szx_for_size(1152), Some(6));
        assert_eq!(Block::new(3, false, 2).unwrap().offset(), 192);
        assert_eq!(Block::new(MAX_NUM, false, 6).unwrap().offset(), u64::from(MAX_NUM) * 1024);
        assert!(more_after(129, 0, 3) && !more_after(128, 0, 3) && !more_after(0, 0, 0));
        assert_eq!(block_count(0, 3), 1);
        assert_eq!(block_count(128, 3), 1);
        assert_eq!(block_count(129, 3), 2);
        let body: Vec<u8> = (0..40).collect();
        assert_eq!(block_slice(&body, 0, 0), Some(&body[..16]));
        assert_eq!(block_slice(&body, 2, 0), Some(&body[32..]));
        assert_eq!(block_slice(&body, 3, 0), None);
        assert_eq!(block_slice(&[], 0, 0), Some(&[][..]));
        assert_eq!(block_slice(&body[..32], 2, 0), None);
        assert_eq!(block_slice(&body, u32::MAX, 6), None);
    }
}
