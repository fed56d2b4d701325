//! Contracts that refuse ETH, for payout failures.

use alloy_primitives::Address;
use alloy_sol_types::{sol, SolError};
use stylus_sdk::host::VM;
use stylus_sdk::ArbResult;

use crate::{Chain, Entrypoint};

sol! {
    /// The reason [`REJECTS_WITH_REASON`] gives.
    error NoEthAccepted();
}

/// Reverts every call with no revert data.
pub const REJECTS_SILENTLY: Entrypoint = rejects_silently;
/// Reverts every call with `NoEthAccepted()`.
pub const REJECTS_WITH_REASON: Entrypoint = rejects_with_reason;

fn rejects_silently(_input: Vec<u8>, _vm: VM) -> ArbResult {
    Err(Vec::new())
}

fn rejects_with_reason(_input: Vec<u8>, _vm: VM) -> ArbResult {
    Err(NoEthAccepted {}.abi_encode())
}

impl Chain {
    /// Deploys a contract with no constructor.
    pub fn deploy_plain(&self, entrypoint: Entrypoint) -> Address {
        self.deploy(entrypoint, Address::ZERO, None)
            .expect("deploy without a constructor cannot fail")
    }
}
