//! Verification of Stripe's webhook signatures (`Stripe-Signature` header).
//!
//! Stripe signs each delivery with the endpoint's secret (`whsec_…`):
//! `v1 = hex(HMAC-SHA256(secret, "{t}.{raw body}"))`, sent as
//! `Stripe-Signature: t=1700000000,v1=5257a8…[,v1=…][,v0=…]`. While a secret
//! is being rolled, Stripe sends one `v1` per active secret; any one that
//! matches is enough. `v0` (and any other scheme) is ignored.
//!
//! The signature covers the exact bytes received: the body must be verified
//! before it is parsed, never after a parse and re-serialization.
//!
//! Hand-written rather than taken from `async-stripe` 1.0: its webhook crate
//! (`async-stripe-webhook` 1.0.0-rc.10, the newest) always pulls
//! `async-stripe-shared`, the generated types of the whole Stripe API (an
//! 860 KB crate of 1,100 files) plus `chrono` and `miniserde`, to parse the
//! event into typed structs this relayer does not need. The check itself is
//! twenty lines over `hmac` and `sha2`, already in the workspace; the tests
//! compare it with the npm `stripe` package's signer.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Stripe's default tolerance between the signed timestamp and now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The header Stripe signs deliveries in.
pub const HEADER: &str = "Stripe-Signature";

/// Why a delivery is refused. The messages are safe to return to the caller:
/// they never repeat the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `Stripe-Signature` header.
    #[error("no Stripe-Signature header")]
    MissingHeader,
    /// The header is not `t=<unix seconds>,v1=<hex>[,…]`.
    #[error("malformed Stripe-Signature header: {0}")]
    Malformed(&'static str),
    /// No `v1` value is the HMAC of this body and timestamp under the secret.
    #[error("no v1 signature matches the payload")]
    NoMatch,
    /// The signed timestamp is older than the tolerance (a replay, or a
    /// delivery held up for too long).
    #[error("the signed timestamp is {age_secs} s old (tolerance {tolerance_secs} s)")]
    TooOld {
        /// Seconds between the signed timestamp and now.
        age_secs: u64,
        /// The tolerance in force.
        tolerance_secs: u64,
    },
    /// The signed timestamp lies further in the future than the tolerance.
    #[error("the signed timestamp is {ahead_secs} s in the future (tolerance {tolerance_secs} s)")]
    TooNew {
        /// Seconds between now and the signed timestamp.
        ahead_secs: u64,
        /// The tolerance in force.
        tolerance_secs: u64,
    },
}

/// A webhook endpoint's secret and the clock tolerance it accepts.
#[derive(Clone)]
pub struct Verifier {
    secret: Vec<u8>,
    tolerance: Duration,
}

impl std::fmt::Debug for Verifier {
    // The secret is left out: it must never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for the endpoint secret `secret` (the whole `whsec_…`
    /// string is the HMAC key, as Stripe uses it), with the default 300 s
    /// tolerance.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            secret: secret.as_ref().to_vec(),
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// This verifier, accepting timestamps at most `tolerance` from now
    /// (either way).
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The tolerance in force.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Checks `header` (the `Stripe-Signature` value; `None` when absent)
    /// against the raw `body`, at the current time. Returns the signed timestamp.
    pub fn verify(&self, header: Option<&str>, body: &[u8]) -> Result<i64, SignatureError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() as i64);
        self.verify_at(header, body, now)
    }

    /// [`verify`](Self::verify) at the Unix time `now` (seconds).
    ///
    /// The signature is checked before the timestamp, so a forged request
    /// learns nothing about the clock.
    pub fn verify_at(
        &self,
        header: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<i64, SignatureError> {
        let header = header.ok_or(SignatureError::MissingHeader)?;
        let parsed = parse(header)?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts keys of any length");
        mac.update(parsed.timestamp_text.as_bytes());
        mac.update(b".");
        mac.update(body);
        // `verify_slice` compares in constant time (the `subtle` crate).
        let matched = parsed
            .v1
            .iter()
            .any(|candidate| mac.clone().verify_slice(candidate).is_ok());
        if !matched {
            return Err(SignatureError::NoMatch);
        }
        let tolerance_secs = self.tolerance.as_secs();
        let delta = now.saturating_sub(parsed.timestamp);
        if delta > 0 && delta.unsigned_abs() > tolerance_secs {
            return Err(SignatureError::TooOld {
                age_secs: delta.unsigned_abs(),
                tolerance_secs,
            });
        }
        if delta < 0 && delta.unsigned_abs() > tolerance_secs {
            return Err(SignatureError::TooNew {
                ahead_secs: delta.unsigned_abs(),
                tolerance_secs,
            });
        }
        Ok(parsed.timestamp)
    }
}

/// The parts of a header that matter.
struct Parsed<'a> {
    /// The timestamp as sent: the signed string uses these exact characters.
    timestamp_text: &'a str,
    timestamp: i64,
    /// The decoded `v1` signatures (malformed ones are dropped: they match nothing).
    v1: Vec<Vec<u8>>,
}

/// The longest header accepted: a few signatures fit with room to spare.
const MAX_HEADER: usize = 4096;

fn parse(header: &str) -> Result<Parsed<'_>, SignatureError> {
    if header.len() > MAX_HEADER {
        return Err(SignatureError::Malformed("longer than 4096 bytes"));
    }
    let mut timestamp = None;
    let mut v1 = Vec::new();
    let mut any_v1 = false;
    for item in header.split(',') {
        let item = item.trim();
        let Some((key, value)) = item.split_once('=') else {
            return Err(SignatureError::Malformed("an item is not key=value"));
        };
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one t"));
                }
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(SignatureError::Malformed("t is not a Unix timestamp"));
                }
                let seconds = value
                    .parse::<i64>()
                    .map_err(|_| SignatureError::Malformed("t is not a Unix timestamp"))?;
                timestamp = Some((value, seconds));
            }
            "v1" => {
                any_v1 = true;
                if let Ok(bytes) = alloy::hex::decode(value)
                    && bytes.len() == 32
                {
                    v1.push(bytes);
                }
            }
            // v0 (Stripe's test-mode scheme) and future schemes are ignored.
            _ => {}
        }
    }
    let Some((timestamp_text, timestamp)) = timestamp else {
        return Err(SignatureError::Malformed("no t"));
    };
    if !any_v1 {
        return Err(SignatureError::Malformed("no v1 signature"));
    }
    Ok(Parsed {
        timestamp_text,
        timestamp,
        v1,
    })
}

/// Signs `body` at `timestamp` as Stripe does (`t=…,v1=…`). For tests and
/// tools that feed the relayer; the relayer itself only verifies.
pub fn sign(secret: impl AsRef<[u8]>, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_ref()).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!("t={timestamp},v1={}", alloy::hex::encode(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;

    #[test]
    fn own_signature_verifies_and_edges_of_the_tolerance_hold() {
        let verifier = Verifier::new(SECRET);
        let header = sign(SECRET, 1_000_000, BODY);
        assert_eq!(
            verifier.verify_at(Some(&header), BODY, 1_000_000),
            Ok(1_000_000)
        );
        assert!(verifier.verify_at(Some(&header), BODY, 1_000_300).is_ok());
        assert!(verifier.verify_at(Some(&header), BODY, 999_700).is_ok());
        assert_eq!(
            verifier.verify_at(Some(&header), BODY, 1_000_301),
            Err(SignatureError::TooOld {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            verifier.verify_at(Some(&header), BODY, 999_699),
            Err(SignatureError::TooNew {
                ahead_secs: 301,
                tolerance_secs: 300
            })
        );
    }

    #[test]
    fn malformed_headers_are_named() {
        let verifier = Verifier::new(SECRET);
        for (header, expected) in [
            ("", "an item is not key=value"),
            ("garbage", "an item is not key=value"),
            ("v1=00", "no t"),
            ("t=12", "no v1 signature"),
            ("t=12,v0=00", "no v1 signature"),
            ("t=abc,v1=00", "t is not a Unix timestamp"),
            ("t=-5,v1=00", "t is not a Unix timestamp"),
            ("t=1,t=2,v1=00", "more than one t"),
        ] {
            assert_eq!(
                verifier.verify_at(Some(header), BODY, 0),
                Err(SignatureError::Malformed(expected)),
                "{header:?}"
            );
        }
        assert_eq!(
            verifier.verify_at(None, BODY, 0),
            Err(SignatureError::MissingHeader)
        );
        // A v1 that is not 32 bytes of hex matches nothing.
        assert_eq!(
            verifier.verify_at(Some("t=1,v1=zz"), BODY, 1),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let shown = format!("{:?}", Verifier::new(SECRET));
        assert!(!shown.contains("whsec"), "{shown}");
    }
}
