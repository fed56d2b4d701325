//! End-to-end tests of the `tributary` binary, run as a separate process.

mod chain;
mod cid;
mod support;
mod verify;
