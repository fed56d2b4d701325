#![doc = include_str!("../README.md")]

pub mod chain;
pub mod cid;
pub mod crypto;
mod error;
pub mod hash;
pub mod manifest;
pub mod merkle;
mod parallel;
pub mod publication;
pub mod shutdown;
pub mod signing;
pub mod storage;
mod walk;

pub use error::{Error, Result};
