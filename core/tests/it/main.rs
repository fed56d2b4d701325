//! Integration tests of `tributary-core`, compiled as one binary.

mod cid;
mod croissant;
mod folder;
mod hash;
mod manifest_rules;
mod manifest_vectors;
mod schema;
mod support;
