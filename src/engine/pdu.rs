//! The object behind `coap_pdu_t`: a protocol PDU plus what libcoap keeps
//! beside it (the framing it travels with).
use crate::proto::msg::{Framing, MsgType};
use crate::proto::pdu::Pdu;

/// Buffers larger than this are not kept when a PDU is recycled.
const KEEP_CAPACITY: usize = 4096;

/// A body coap_add_data_large_request() keeps for coap_send(), and the
/// block size (SZX) its first block went with.
pub type LargeBody = Box<(Vec<u8>, u8)>;

pub struct PduObj {
    pub pdu: Pdu,
    /// How the PDU is framed on the wire: UDP unless it came from or is
    /// bound to a reliable session.
    pub framing: Framing,
    pub large: Option<LargeBody>,
    /// For a received PDU whose payload is part of a larger body: its
    /// (offset, total), as coap_get_data_large() reports them.
    pub span: Option<(usize, usize)>,
}

impl PduObj {
    pub fn new(typ: MsgType, code: u8, mid: u16, max_size: usize) -> PduObj {
        PduObj { pdu: Pdu::new(typ, code, mid, max_size), framing: Framing::Udp, large: None, span: None }
    }

    /// Re-initialises a recycled object, keeping its buffer.
    pub fn reset(&mut self, typ: MsgType, code: u8, mid: u16, max_size: usize) {
        self.pdu.clear();
        self.pdu.typ = typ;
        self.pdu.code = code;
        self.pdu.mid = mid;
        // Cannot fail: a cleared PDU uses no bytes.
        let _ = self.pdu.set_max_size(max_size);
        self.framing = Framing::Udp;
        self.large = None;
        self.span = None;
    }

    /// Lets go of large buffers before the object is parked for reuse.
    pub fn recycle(&mut self) {
        self.large = None;
        self.span = None;
        if self.pdu.buffer().len() > KEEP_CAPACITY {
            self.pdu = Pdu::new(MsgType::Con, 0, 0, 0);
        } else {
            self.pdu.clear();
        }
    }
}
