#![doc = include_str!("../README.md")]

pub mod api;
pub mod db;
mod error;
pub mod stripe;

pub use error::{Error, Result};
