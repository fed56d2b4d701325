//! Integration tests of `tributary-relayer`, compiled as one binary. Every
//! test starts what it needs (node with the npm `stripe` package, a fresh
//! PostgreSQL database, its own anvil); a missing one fails the test, loudly.

// Rows read back as tuples are spelled out where they are read.
#![allow(clippy::type_complexity)]

mod chain;
mod checkout;
mod faults;
mod licence;
mod payouts;
mod payouts_process;
mod process;
mod reversals;
mod signature;
mod stripe_js;
mod support;
mod webhook;
