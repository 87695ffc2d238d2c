//! libcoap's clock: ticks are milliseconds (COAP_TICKS_PER_SECOND = 1000).
//! libcoap reads CLOCK_REALTIME for ticks, so its timers jump with the wall
//! clock; here ticks come from the monotonic clock and the real-time offset
//! is taken once, at coap_clock_init(), for the conversions.
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub const TICKS_PER_SECOND: u64 = 1000;

struct Base {
    mono: Instant,
    /// Wall-clock time at `mono`, in whole seconds, as libcoap's offset.
    rt_secs: u64,
    /// Milliseconds past `rt_secs` at `mono`, so tick 0 is a whole second.
    sub_ms: u64,
}

static BASE: OnceLock<Base> = OnceLock::new();

fn base() -> &'static Base {
    BASE.get_or_init(|| {
        let mono = Instant::now();
        let rt = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Base { mono, rt_secs: rt.as_secs(), sub_ms: u64::from(rt.subsec_millis()) }
    })
}

/// Fixes the clock's origin (first call wins, as the origin must not move
/// under running timers).
pub fn init() {
    let _ = base();
}

/// Current time in ticks.
pub fn ticks() -> u64 {
    let b = base();
    b.sub_ms + b.mono.elapsed().as_millis() as u64
}

/// Ticks to seconds since the Unix epoch.
pub fn ticks_to_rt(t: u64) -> u64 {
    base().rt_secs + t / TICKS_PER_SECOND
}

/// Ticks to microseconds since the Unix epoch.
pub fn ticks_to_rt_us(t: u64) -> u64 {
    base().rt_secs.saturating_mul(1_000_000).saturating_add(t.saturating_mul(1_000_000 / TICKS_PER_SECOND))
}

/// Microseconds since the Unix epoch to ticks (0 for times before the origin).
pub fn ticks_from_rt_us(us: u64) -> u64 {
    us.saturating_sub(base().rt_secs.saturating_mul(1_000_000)) / (1_000_000 / TICKS_PER_SECOND)
}

/// Wall-clock microseconds now, on the same scale as the tick conversions.
pub fn now_realtime_us() -> u64 {
    let b = base();
    b.rt_secs * 1_000_000 + b.sub_ms * 1000 + b.mono.elapsed().as_micros() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        let t = ticks();
        let us = ticks_to_rt_us(t);
        assert_eq!(ticks_from_rt_us(us), t);
        assert_eq!(ticks_to_rt(t), us / 1_000_000);
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert!(ticks_to_rt(ticks()).abs_diff(wall) <= 1);
    }

    #[test]
    fn ticks_never_go_back() {
        let a = ticks();
        let b = ticks();
        assert!(b >= a);
        assert_eq!(ticks_from_rt_us(0), 0);
    }
}
