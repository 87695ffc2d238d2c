//! Duplicate detection for received confirmable requests (RFC 7252 §4.5):
//! the response sent to a request is remembered, so a retransmitted request
//! gets the same answer instead of running its handler again. One cache per
//! context, bounded in entries, so idle sessions cost nothing here.
use super::slab::Id;
use foldhash::HashMap;
use std::collections::VecDeque;

/// At most this many exchanges are remembered (oldest forgotten first).
pub const MAX_ENTRIES: usize = 4096;

struct Entry {
    expires: u64,
    /// None: still being handled, or answered with nothing to repeat.
    wire: Option<Box<[u8]>>,
}

#[derive(Default)]
pub struct Dedup {
    map: HashMap<(Id, u16), Entry>,
    order: VecDeque<(Id, u16)>,
}

/// What a received message id is.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen<'a> {
    New,
    /// A duplicate whose request is still being handled.
    InProgress,
    /// A duplicate; send this again.
    Answered(&'a [u8]),
}

impl Dedup {
    pub fn check(&self, session: Id, mid: u16, now: u64) -> Seen<'_> {
        match self.map.get(&(session, mid)) {
            Some(e) if e.expires > now => e.wire.as_deref().map_or(Seen::InProgress, Seen::Answered),
            _ => Seen::New,
        }
    }

    /// Starts remembering an exchange until `expires`.
    pub fn remember(&mut self, session: Id, mid: u16, now: u64, expires: u64) {
        while let Some(&key) = self.order.front() {
            let stale = self.map.get(&key).map_or(true, |e| e.expires <= now);
            if !stale && self.order.len() < MAX_ENTRIES {
                break;
            }
            self.order.pop_front();
            self.map.remove(&key);
        }
        if self.map.insert((session, mid), Entry { expires, wire: None }).is_none() {
            self.order.push_back((session, mid));
        }
    }

    /// The response sent for a remembered exchange.
    pub fn record(&mut self, session: Id, mid: u16, wire: &[u8]) {
        if let Some(e) = self.map.get_mut(&(session, mid)) {
            e.wire = Some(wire.into());
        }
    }

    /// Stops remembering an exchange (its duplicates are processed again).
    pub fn forget(&mut self, session: Id, mid: u16) {
        // Its slot in `order` goes when it reaches the front.
        self.map.remove(&(session, mid));
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::slab::Slab;

    #[test]
    fn answers_duplicates_until_expiry() {
        let mut slab = Slab::default();
        let s = slab.insert(());
        let mut d = Dedup::default();
        assert_eq!(d.check(s, 7, 0), Seen::New);
        d.remember(s, 7, 0, 100);
        assert_eq!(d.check(s, 7, 1), Seen::InProgress);
        d.record(s, 7, b"resp");
        assert_eq!(d.check(s, 7, 50), Seen::Answered(b"resp"));
        assert_eq!(d.check(s, 7, 100), Seen::New);
        assert_eq!(d.check(s, 8, 50), Seen::New);
    }

    #[test]
    fn bounded_in_entries_and_by_expiry() {
        let mut slab = Slab::default();
        let s = slab.insert(());
        let mut d = Dedup::default();
        for mid in 0..(MAX_ENTRIES as u32 + 100) {
            d.remember(s, mid as u16, 0, 1_000);
        }
        assert_eq!(d.len(), MAX_ENTRIES);
        assert_eq!(d.check(s, 0, 1), Seen::New); // the oldest went first
        d.remember(s, 1, 2_000, 3_000); // everything else expired by now
        assert_eq!(d.len(), 1);
    }
}
