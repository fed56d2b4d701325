//! Where the contract comes from when the configuration does not name it:
//! `deployments/<chainId>.json`, written by `scripts/deploy.sh` (read by
//! `tributary_core`, as the CLI and the indexer read it).

use std::path::Path;

pub use tributary_core::chain::Deployment;
use tributary_core::chain::DeploymentError;

use crate::error::{Error, Result};

/// The deployment file of `chain_id` in `dir`, or a configuration error
/// saying what to pass instead.
pub fn deployment(dir: &Path, chain_id: u64) -> Result<Deployment> {
    Deployment::read(dir, chain_id).map_err(|error| match error {
        DeploymentError::Unreadable { .. } => Error::Config(format!(
            "no contract address given and {error}: pass --contract, or deploy with \
             scripts/deploy.sh"
        )),
        other => Error::Config(other.to_string()),
    })
}
