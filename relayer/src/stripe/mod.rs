//! What the relayer takes from Stripe: signed webhook deliveries, and the
//! events in them; and the one call it (through `tributary-api`) makes to
//! Stripe: opening a Checkout Session for a card purchase.

pub mod checkout;
pub mod connect;
pub mod event;
pub mod signature;

pub use checkout::{CheckoutError, CheckoutRequest, CheckoutSession, StripeClient};
pub use connect::{Account, AccountLink, StripeError, Transfer, TransferRequest};
pub use signature::{SignatureError, Verifier};
