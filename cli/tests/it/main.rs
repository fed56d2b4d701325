//! End-to-end tests of the `tributary` binary, run as a separate process.

mod cid;
mod support;
mod verify;
