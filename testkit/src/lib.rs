//! Test support shared by the workspace's integration tests: real components started
//! by the tests themselves (anvil, an ERC-20 on it, a PostgreSQL database), and repository paths.
//!
//! Tests fail loudly, naming the fix, when a component is missing; none is skipped.

mod anvil;
mod postgres;
mod process;
pub mod stripe;
mod token;
pub mod vectors;

use std::path::{Path, PathBuf};

pub use anvil::{Anvil, MNEMONIC, account};
pub use postgres::TestDatabase;
pub use process::wait_for_listen;
pub use stripe::{STRIPE_TEST_SECRET_KEY, StripeStandIn};
pub use token::{deploy_token, mint};

/// The repository root (`testkit/..`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
