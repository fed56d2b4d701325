//! What the relayer takes from Stripe: signed webhook deliveries, and the
//! events in them.

pub mod event;
pub mod signature;

pub use signature::{SignatureError, Verifier};
