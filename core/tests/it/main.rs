//! Integration tests of `tributary-core`, compiled as one binary.

mod chain;
mod cid;
mod croissant;
mod crypto;
mod folder;
mod hash;
mod kubo_standin;
mod manifest_rules;
mod manifest_vectors;
mod meter;
mod schema;
mod signing;
mod storage;
mod support;
