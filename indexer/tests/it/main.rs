//! Integration tests of `tributary-indexer`, compiled as one binary. Every
//! test starts what it needs: a fresh PostgreSQL database on 127.0.0.1:5432
//! and its own anvil; a missing one fails the test, loudly.

// Rows read back as tuples are spelled out where they are read.
#![allow(clippy::type_complexity)]

mod api;
mod config;
mod crash;
mod manifests;
mod mirror;
mod process;
mod proxy;
mod random;
mod reorg;
mod rpc;
mod streams;
mod support;
mod views;
