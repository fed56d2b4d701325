#![doc = include_str!("../README.md")]

pub mod api;
pub mod config;
pub mod db;
mod error;
pub mod events;
mod heads;
pub mod manifests;
pub mod metrics;
pub mod service;
pub mod settings;
pub mod sync;

pub use error::{Error, Result};
pub use sync::{BlockRef, Indexer, Step, StreamsSource, SyncConfig, SyncStatus};
