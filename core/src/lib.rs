#![doc = include_str!("../README.md")]

pub mod cid;
mod error;
pub mod hash;
pub mod manifest;
mod parallel;
mod walk;

pub use error::{Error, Result};
