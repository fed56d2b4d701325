//! End-to-end tests of the `tributary` binary, run as a separate process.

mod chain;
mod cid;
mod services;
mod streams;
mod support;
mod verify;
