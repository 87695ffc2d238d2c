//! RFC 7252 §4.8 transmission parameters and the retransmission schedule,
//! in milliseconds (libcoap's ticks). Pure arithmetic: randomness and the
//! clock are passed in.

/// A libcoap fixed-point value: integer part and thousandths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed {
    pub integer: u16,
    pub thousandths: u16,
}

impl Fixed {
    pub const fn new(integer: u16, thousandths: u16) -> Fixed {
        Fixed { integer, thousandths }
    }
    /// The value times 1000.
    pub fn milli(self) -> u64 {
        u64::from(self.integer) * 1000 + u64::from(self.thousandths)
    }
}

/// The per-session parameters of coap_recovery(3), with libcoap's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxParams {
    pub ack_timeout: Fixed,
    pub ack_random_factor: Fixed,
    pub max_retransmit: u16,
    pub nstart: u16,
    pub default_leisure: Fixed,
    /// Bytes per second allowed towards a peer that does not respond.
    pub probing_rate: u32,
    pub max_payloads: u16,
    pub non_max_retransmit: u16,
    pub non_timeout: Fixed,
    pub non_receive_timeout: Fixed,
}

impl Default for TxParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TxParams {
    /// libcoap's defaults (RFC 7252 §4.8 and RFC 9177).
    pub const DEFAULT: TxParams = TxParams {
            ack_timeout: Fixed::new(2, 0),
            ack_random_factor: Fixed::new(1, 500),
            max_retransmit: 4,
            nstart: 1,
            default_leisure: Fixed::new(5, 0),
            probing_rate: 1,
            max_payloads: 10,
            non_max_retransmit: 4,
            non_timeout: Fixed::new(2, 0),
            non_receive_timeout: Fixed::new(4, 0),
    };
}

/// MAX_LATENCY of RFC 7252 §4.8.2, in ms.
pub const MAX_LATENCY_MS: u64 = 100_000;

impl TxParams {
    /// The first retransmission timeout: ACK_TIMEOUT scaled by a random
    /// point between 1 and ACK_RANDOM_FACTOR (`random` is uniform in u16).
    pub fn first_timeout(&self, random: u16) -> u64 {
        let base = u128::from(self.ack_timeout.milli());
        let spread = u128::from(self.ack_random_factor.milli().saturating_sub(1000));
        let t = base + base * spread * u128::from(random) / 65536 / 1000;
        u64::try_from(t).unwrap_or(u64::MAX)
    }

    /// The timeout before retransmission number `attempt` (0 = first send),
    /// doubling each time.
    pub fn timeout(&self, first: u64, attempt: u16) -> u64 {
        first.saturating_mul(1u64 << attempt.min(32))
    }

    /// MAX_TRANSMIT_SPAN: from the first send to the last retransmission.
    pub fn max_transmit_span(&self) -> u64 {
        let ack = self.ack_timeout.milli();
        let tries = (1u64 << self.max_retransmit.min(32)).saturating_sub(1);
        ack.saturating_mul(tries).saturating_mul(self.ack_random_factor.milli()) / 1000
    }

    /// EXCHANGE_LIFETIME: how long a message id stays in use (247 s with
    /// the defaults).
    pub fn exchange_lifetime(&self) -> u64 {
        self.max_transmit_span().saturating_add(2 * MAX_LATENCY_MS).saturating_add(self.ack_timeout.milli())
    }

    /// NON_LIFETIME: how long a NON message id stays in use (145 s).
    pub fn non_lifetime(&self) -> u64 {
        self.max_transmit_span().saturating_add(MAX_LATENCY_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7252_derived_values() {
        let p = TxParams::default();
        assert_eq!(p.max_transmit_span(), 45_000);
        assert_eq!(p.exchange_lifetime(), 247_000);
        assert_eq!(p.non_lifetime(), 145_000);
    }

    #[test]
    fn first_timeout_spans_ack_timeout_to_factor() {
        let p = TxParams::default();
        assert_eq!(p.first_timeout(0), 2000);
        assert!(p.first_timeout(u16::MAX) < 3000);
        assert!(p.first_timeout(u16::MAX) >= 2999);
        assert_eq!(p.timeout(2000, 0), 2000);
        assert_eq!(p.timeout(2000, 4), 32_000);
    }

    #[test]
    fn extreme_parameters_do_not_overflow() {
        let p = TxParams {
            ack_timeout: Fixed::new(u16::MAX, 999),
            ack_random_factor: Fixed::new(u16::MAX, 999),
            max_retransmit: u16::MAX,
            ..TxParams::default()
        };
        let _ = p.exchange_lifetime();
        let _ = p.first_timeout(u16::MAX);
        assert_eq!(p.timeout(u64::MAX, 40), u64::MAX);
    }
}
