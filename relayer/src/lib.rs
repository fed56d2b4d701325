#![doc = include_str!("../README.md")]

pub mod api;
pub mod config;
pub mod db;
mod error;
pub mod sender;
pub mod stripe;
pub mod worker;

pub use error::{Error, Result};
pub use sender::{Sender, SenderConfig};
pub use worker::{Step, Worker, WorkerConfig};
