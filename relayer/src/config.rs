//! Where the contract comes from when the configuration does not name it:
//! `deployments/<chainId>.json`, written by `scripts/deploy.sh` (as the
//! indexer reads it).

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The fields of a deployment file the relayer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Deployment {
    /// The chain it was deployed on.
    pub chain_id: u64,
    /// The suite's address.
    pub tributary: Address,
}

impl Deployment {
    /// The deployment file of `chain_id` in `dir`.
    pub fn path(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// Reads `dir/<chain_id>.json` and checks it is for `chain_id`.
    pub fn read(dir: &Path, chain_id: u64) -> Result<Self> {
        let path = Self::path(dir, chain_id);
        let text = std::fs::read_to_string(&path).map_err(|error| {
            Error::Config(format!(
                "no contract address given and {} cannot be read ({error}): pass --contract, \
                 or deploy with scripts/deploy.sh",
                path.display()
            ))
        })?;
        let deployment: Self = serde_json::from_str(&text)
            .map_err(|error| Error::Config(format!("{}: {error}", path.display())))?;
        if deployment.chain_id != chain_id {
            return Err(Error::Config(format!(
                "{} is for chain {}, the node serves chain {chain_id}",
                path.display(),
                deployment.chain_id
            )));
        }
        Ok(deployment)
    }
}
