#![doc = include_str!("../README.md")]

pub mod api;
pub mod config;
pub mod creators;
pub mod db;
mod error;
pub mod ledger;
pub mod payouts;
pub mod sender;
pub mod stripe;
pub mod worker;

pub use error::{Error, Result};
pub use payouts::{PayStep, PayoutConfig, Payouts};
pub use sender::{Sender, SenderConfig};
pub use worker::{Step, Worker, WorkerConfig};
