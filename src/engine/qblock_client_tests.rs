//! The Q-Block client against a scripted server on a loopback socket:
//! the probe either way, bursts and 2.31, missing lists (including
//! nonsense ones), reassembly from pieces in any order, refusals.
use super::*;
use crate::engine::block::{TRY_Q_BLOCK, USE_LIBCOAP};
use crate::proto::block::Block;
use crate::proto::wire;
use crate::proto::option::OptNum;
use std::net::{SocketAddr, UdpSocket};

struct Rig {
    ctx: Context,
    id: Id,
    server: UdpSocket,
    client_addr: Option<SocketAddr>,
}

impl Rig {
    fn new() -> Rig {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        server.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        let SocketAddr::V4(a) = server.local_addr().unwrap() else { unreachable!() };
        let mut ctx = Context::new().unwrap();
        ctx.cfg.block_mode = USE_LIBCOAP | TRY_Q_BLOCK;
        let id = ctx.new_client_session(None, Address::V4(a)).unwrap();
        Rig { ctx, id, server, client_addr: None }
    }

    /// The next datagram the client sent, parsed.
    fn recv(&mut self) -> Option<Pdu> {
        let mut buf = [0u8; 2048];
        let (n, from) = self.server.recv_from(&mut buf).ok()?;
        self.client_addr = Some(from);
        wire::parse_udp(&buf[..n], 8).ok()
    }

    fn send(&mut self, pdu: &Pdu) {
        let to = self.client_addr.unwrap();
        self.server.send_to(&wire::to_vec(pdu, msg::Framing::Udp).unwrap(), to).unwrap();
        self.pump();
    }

    fn pump(&mut self) {
        for _ in 0..3 {
            self.ctx.process(Some(Duration::from_millis(5))).unwrap();
        }
    }

    fn events(&mut self) -> Vec<Event> {
        let mut v = Vec::new();
        while let Some(e) = self.ctx.next_event() {
            let s = e.session();
            v.push(e);
            self.ctx.finish_event(s);
        }
        v
    }

    /// Answers the probe: `q` true with Q-Block2 in a 2.05, else 4.02.
    fn answer_probe(&mut self, q: bool) {
        let probe = self.recv().expect("a probe");
        assert_eq!((probe.typ, probe.code), (MsgType::Con, msg::GET));
        assert!(probe.option(option::Q_BLOCK2).is_some() && probe.option(option::URI_PATH).is_none());
        let mut a = Pdu::new(MsgType::Ack, if q { msg::CONTENT } else { msg::BAD_OPTION }, probe.mid, 0);
        a.add_token(probe.token()).unwrap();
        a.add_option(option::Q_BLOCK2, &Block::new(0, q, 0).unwrap().to_vec()).unwrap();
        self.send(&a);
    }
}

fn request(code: u8, typ: MsgType, token: &[u8]) -> Pdu {
    let mut p = Pdu::new(typ, code, 0x100, 0);
    p.add_token(token).unwrap();
    p.add_option(option::URI_PATH, b"data").unwrap();
    p
}

/// A PUT of `body` as coap_add_data_large_request() leaves it.
fn large_put(body: &[u8], szx: u8, typ: MsgType) -> (Pdu, Option<(Vec<u8>, u8)>) {
    let mut p = request(msg::PUT, typ, &[0xAA]);
    let size = crate::proto::block::szx_size(szx).unwrap();
    p.add_option(option::BLOCK1, &Block::new(0, true, szx).unwrap().to_vec()).unwrap();
    p.add_payload(&body[..size]).unwrap();
    (p, Some((body.to_vec(), szx)))
}

fn q_num(p: &Pdu, n: OptNum) -> u32 {
    Block::decode(p.option(n).expect("a Q-Block option").value, false).unwrap().num
}

fn response_for(req: &Pdu, typ: MsgType, code: u8) -> Pdu {
    let mut r = Pdu::new(typ, code, req.mid.wrapping_add(0x4000), 0);
    r.add_token(req.token()).unwrap();
    r
}

#[test]
fn a_server_without_q_block_gets_plain_block1() {
    let mut rig = Rig::new();
    let body = vec![7u8; 100];
    let (p, large) = large_put(&body, 0, MsgType::Non);
    rig.ctx.app_send(rig.id, p, large).unwrap();
    rig.answer_probe(false);
    let first = rig.recv().expect("the held request, sent after the probe");
    assert!(first.option(option::BLOCK1).is_some() && first.option(option::Q_BLOCK1).is_none());
    assert_eq!(first.token(), [0xAA]);
    assert!(rig.events().is_empty(), "the probe's answer is not the application's");
}

#[test]
fn bursts_continue_on_2_31_and_resend_only_real_missing_pieces() {
    let mut rig = Rig::new();
    let body: Vec<u8> = (0..(16 * 25)).map(|i| i as u8).collect(); // 25 pieces of 16
    let (p, large) = large_put(&body, 0, MsgType::Non);
    rig.ctx.app_send(rig.id, p, large).unwrap();
    rig.answer_probe(true);
    let burst: Vec<Pdu> = (0..10).filter_map(|_| rig.recv()).collect();
    assert_eq!(burst.iter().map(|p| q_num(p, option::Q_BLOCK1)).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    assert_eq!(burst[0].token(), [0xAA], "the first piece keeps the application's token");
    assert!(burst.iter().all(|p| p.option(option::BLOCK1).is_none()));
    let mut cont = response_for(&burst[9], MsgType::Non, msg::CONTINUE);
    cont.add_option(option::Q_BLOCK1, &Block::new(9, true, 0).unwrap().to_vec()).unwrap();
    rig.send(&cont);
    let next: Vec<u32> = (0..10).filter_map(|_| rig.recv()).map(|p| q_num(&p, option::Q_BLOCK1)).collect();
    assert_eq!(next, (10..20).collect::<Vec<_>>());
    // A missing list naming a real piece and one never sent: only the
    // real one goes again.
    rig.send(&missing_list(&burst[3], &[4, 900]));
    let again = rig.recv().expect("piece 4 again");
    assert_eq!(q_num(&again, option::Q_BLOCK1), 4);
    assert_eq!(again.payload().unwrap(), &body[64..80]);
    assert!(rig.events().is_empty());
    let done = response_for(&again, MsgType::Non, msg::code(2, 4));
    rig.send(&done);
    let evs = rig.events();
    assert!(
        evs.iter().any(|e| matches!(e, Event::Response { received, .. } if received.code == msg::code(2, 4) && received.token() == [0xAA])),
        "the final answer reaches the application with its token: {evs:?}"
    );
}

fn missing_list(answering: &Pdu, nums: &[u32]) -> Pdu {
    let mut m = response_for(answering, MsgType::Non, msg::REQUEST_ENTITY_INCOMPLETE);
    m.add_option(option::CONTENT_FORMAT, &[0x01, 0x10]).unwrap();
    m.add_payload(&crate::proto::missing::encode(nums, 64)).unwrap();
    m
}

#[test]
fn a_malformed_missing_list_ends_the_upload() {
    let mut rig = Rig::new();
    let (p, large) = large_put(&[1u8; 64], 0, MsgType::Non);
    rig.ctx.app_send(rig.id, p, large).unwrap();
    rig.answer_probe(true);
    let burst: Vec<Pdu> = (0..4).filter_map(|_| rig.recv()).collect();
    assert_eq!(burst.len(), 4);
    rig.send(&missing_list(&burst[1], &[1 << 21])); // beyond 20 bits
    let evs = rig.events();
    assert!(evs.iter().any(|e| matches!(e, Event::Session { event, .. } if *event == event::XMIT_BLOCK_FAIL)));
    assert!(evs.iter().any(|e| matches!(e, Event::Response { received, .. }
        if received.code == msg::REQUEST_ENTITY_INCOMPLETE && received.token() == [0xAA])));
    assert!(rig.ctx.session(rig.id).unwrap().flight().unwrap().q.uploads.is_empty());
}

#[test]
fn pieces_in_any_order_make_one_body_and_bad_ones_are_refused() {
    let mut rig = Rig::new();
    let get = request(msg::GET, MsgType::Non, &[0xBB]);
    rig.ctx.app_send(rig.id, get, None).unwrap();
    rig.answer_probe(true);
    let req = rig.recv().expect("the GET");
    let body: Vec<u8> = (0..40).collect(); // 16 + 16 + 8
    let piece = |num: u32, szx: u8, data: &[u8], more: bool| {
        let mut r = response_for(&req, MsgType::Non, msg::CONTENT);
        r.add_option(option::ETAG, &[1]).unwrap();
        r.add_option(option::Q_BLOCK2, &Block::new(num, more, szx).unwrap().to_vec()).unwrap();
        r.add_payload(data).unwrap();
        r
    };
    rig.send(&piece(0, 0, &body[..16], true));
    rig.send(&piece(2, 0, &body[32..], false));
    rig.send(&piece(2, 0, &body[32..], false)); // duplicate
    rig.send(&piece(1, 1, &[9; 32], true)); // another block size: refused
    let mut wild = piece(0, 0, b"", true); // NUM beyond 2^20 is no block at all
    wild.remove_option(option::Q_BLOCK2);
    wild.add_option(option::Q_BLOCK2, &[0xFF, 0xFF, 0xFF, 0x08]).unwrap();
    rig.send(&wild);
    assert!(!rig.events().iter().any(|e| matches!(e, Event::Response { .. })), "piece 1 is still missing");
    rig.send(&piece(1, 0, &body[16..32], true));
    let evs = rig.events();
    let got = evs.iter().find_map(|e| match e {
        Event::Response { received, .. } => Some(received.clone()),
        _ => None,
    });
    let got = got.expect("the whole body");
    assert_eq!(got.payload().unwrap(), &body[..]);
    assert_eq!(got.token(), [0xBB]);
    assert!(got.option(option::Q_BLOCK2).is_none(), "one body, no block option");
    assert!(rig.ctx.session(rig.id).unwrap().flight().unwrap().q.downloads.is_empty());
}

#[test]
fn gaps_are_asked_for_after_the_receive_timeout() {
    let mut rig = Rig::new();
    rig.ctx.session_mut(rig.id).unwrap().tx_mut().non_receive_timeout = crate::proto::reliability::Fixed::new(0, 50);
    let get = request(msg::GET, MsgType::Non, &[0xCC]);
    rig.ctx.app_send(rig.id, get, None).unwrap();
    rig.answer_probe(true);
    let req = rig.recv().expect("the GET");
    for num in [0u32, 3] {
        let mut r = response_for(&req, MsgType::Non, msg::CONTENT);
        r.add_option(option::Q_BLOCK2, &Block::new(num, num != 3, 0).unwrap().to_vec()).unwrap();
        r.add_payload(&[num as u8; 16][..if num == 3 { 4 } else { 16 }]).unwrap();
        rig.send(&r);
    }
    std::thread::sleep(Duration::from_millis(60));
    rig.pump();
    let ask = rig.recv().expect("a request for the gaps");
    let nums: Vec<u32> = ask
        .options()
        .map_while(Result::ok)
        .filter(|o| o.number == option::Q_BLOCK2)
        .map(|o| Block::decode(o.value, false).unwrap().num)
        .collect();
    assert_eq!(nums, vec![1, 2]);
    assert_eq!(ask.option(option::URI_PATH).map(|o| o.value.to_vec()), Some(b"data".to_vec()));
}

#[test]
fn unknown_tokens_start_nothing() {
    let mut rig = Rig::new();
    rig.ctx.app_send(rig.id, request(msg::GET, MsgType::Con, &[1]), None).unwrap();
    rig.answer_probe(true);
    let req = rig.recv().expect("the GET");
    for t in 0..50u8 {
        let mut r = Pdu::new(MsgType::Non, msg::CONTENT, 0x2000 + u16::from(t), 0);
        r.add_token(&[0x50, t]).unwrap();
        r.add_option(option::Q_BLOCK2, &Block::new(0, true, 0).unwrap().to_vec()).unwrap();
        r.add_payload(&[0; 16]).unwrap();
        rig.send(&r);
    }
    assert!(rig.ctx.session(rig.id).unwrap().flight().unwrap().q.downloads.is_empty());
    let _ = req;
}

#[test]
fn a_probe_refused_with_rst_falls_back() {
    let mut rig = Rig::new();
    rig.ctx.app_send(rig.id, request(msg::GET, MsgType::Con, &[2]), None).unwrap();
    let probe = rig.recv().expect("a probe");
    rig.send(&Pdu::new(MsgType::Rst, msg::EMPTY, probe.mid, 0));
    let held = rig.recv().expect("the held GET");
    assert_eq!(held.token(), [2]);
    assert!(rig.events().iter().all(|e| !matches!(e, Event::Nack { .. })), "the application's request did not fail");
    assert_eq!(rig.ctx.session(rig.id).unwrap().flight().unwrap().q.support, crate::engine::qclient::Support::No);
}

#[test]
fn con_pieces_go_one_per_ack() {
    let mut rig = Rig::new();
    let (p, large) = large_put(&[3u8; 40], 0, MsgType::Con);
    rig.ctx.app_send(rig.id, p, large).unwrap();
    rig.answer_probe(true);
    for num in 0..3u32 {
        let piece = rig.recv().expect("a piece");
        assert_eq!((piece.typ, q_num(&piece, option::Q_BLOCK1)), (MsgType::Con, num));
        if num < 2 {
            rig.send(&Pdu::new(MsgType::Ack, msg::EMPTY, piece.mid, 0));
        } else {
            let mut done = response_for(&piece, MsgType::Ack, msg::code(2, 4));
            done.mid = piece.mid;
            rig.send(&done);
        }
    }
    assert!(rig.events().iter().any(|e| matches!(e, Event::Response { received, .. } if received.token() == [0xAA])));
}
