//! Test support shared by the workspace's integration tests: real components started
//! by the tests themselves (anvil today), and repository paths.
//!
//! Tests fail loudly, naming the fix, when a component is missing; none is skipped.

mod anvil;

use std::path::{Path, PathBuf};

pub use anvil::{Anvil, MNEMONIC, account};

/// The repository root (`testkit/..`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
