//! What the relayer takes from Stripe: signed webhook deliveries.

pub mod signature;

pub use signature::{SignatureError, Verifier};
