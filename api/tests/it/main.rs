//! The `tributary-api` binary as a separate process, against anvil and PostgreSQL: one test
//! binary for the crate (one link, one process start-up shared by the modules).

mod card;
mod downloads;
mod product;
mod support;
