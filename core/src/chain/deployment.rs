//! Deployment files: `deployments/<chainId>.json`, written by
//! `scripts/deploy.sh`, say where the suite lives on a chain and from which
//! block. The CLI, the indexer and the relayer read them the same way.

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use serde::Deserialize;

/// What a deployment file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Deployment {
    /// The chain it was deployed on.
    pub chain_id: u64,
    /// The block the deploy script ran at (the suite's first block is this
    /// one or the next).
    pub block_number: u64,
    /// The suite's address.
    pub tributary: Address,
    /// Superfluid and `TributaryStreams` beside the suite, when `scripts/deploy-streams.sh`
    /// deployed them.
    #[serde(default)]
    pub streams: Option<StreamsDeployment>,
}

/// The `streams` object of a deployment file (`scripts/deploy-streams.sh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StreamsDeployment {
    /// `TributaryStreams`.
    pub tributary_streams: Address,
    /// Superfluid's host.
    pub host: Address,
    /// Superfluid's `CFAv1Forwarder`.
    pub cfa_v1_forwarder: Address,
    /// Superfluid's `GDAv1Forwarder` (the one `TributaryStreams` uses).
    pub gda_v1_forwarder: Address,
    /// Superfluid's `SuperTokenFactory`.
    pub super_token_factory: Address,
    /// The test Super Token the script deployed (a pure Super Token).
    pub super_token: Address,
    /// Whether the script allow-listed it in the suite (the deployer was the suite's admin).
    pub super_token_allowed: bool,
    /// The block the script ran at.
    pub block_number: u64,
}

/// Why a deployment file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeploymentError {
    /// The file cannot be read.
    #[error("{} cannot be read ({source})", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a deployment file of `scripts/deploy.sh`.
    #[error("{} is not a deployment file of scripts/deploy.sh ({source})", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with its JSON.
        #[source]
        source: serde_json::Error,
    },
    /// The file is for another chain than the node serves.
    #[error("{} is for chain {file_chain}, the node serves chain {chain}", path.display())]
    WrongChain {
        /// The file.
        path: PathBuf,
        /// The chain the file names.
        file_chain: u64,
        /// The chain the node serves.
        chain: u64,
    },
}

impl Deployment {
    /// The deployment file of `chain_id` in `dir`.
    pub fn path(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// Reads the deployment file at `path`.
    pub fn load(path: &Path) -> Result<Self, DeploymentError> {
        let text = std::fs::read_to_string(path).map_err(|source| DeploymentError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| DeploymentError::Malformed {
            path: path.to_owned(),
            source,
        })
    }

    /// Reads `dir/<chain_id>.json` and checks it is for `chain_id`.
    pub fn read(dir: &Path, chain_id: u64) -> Result<Self, DeploymentError> {
        let path = Self::path(dir, chain_id);
        let deployment = Self::load(&path)?;
        if deployment.chain_id != chain_id {
            return Err(DeploymentError::WrongChain {
                path,
                file_chain: deployment.chain_id,
                chain: chain_id,
            });
        }
        Ok(deployment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_checked_and_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("dir");
        let path = Deployment::path(dir.path(), 5);
        std::fs::write(
            &path,
            r#"{"chainId": 5, "blockNumber": 7, "tributary": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "admin": "0x0000000000000000000000000000000000000001"}"#,
        )
        .expect("write");
        let deployment = Deployment::read(dir.path(), 5).expect("read");
        assert_eq!((deployment.chain_id, deployment.block_number), (5, 7));
        let error = Deployment::read(dir.path(), 6).expect_err("no file for chain 6");
        assert!(
            matches!(error, DeploymentError::Unreadable { .. }),
            "{error}"
        );
        std::fs::copy(&path, Deployment::path(dir.path(), 6)).expect("copy");
        let error = Deployment::read(dir.path(), 6).expect_err("a file of chain 5");
        assert!(error.to_string().contains("is for chain 5"), "{error}");
        std::fs::write(&path, "{}").expect("write");
        let error = Deployment::load(&path).expect_err("malformed");
        assert!(
            matches!(error, DeploymentError::Malformed { .. }),
            "{error}"
        );
    }
}
