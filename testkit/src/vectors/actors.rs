//! The accounts and fixed addresses every vector uses.
//!
//! Accounts are plain keys derived from their names, so that signing accounts (creators) and
//! the rest are alike, and the files show their addresses. The two runners place the suite and
//! the test tokens at the fixed addresses below, so calldata, events and signatures are the same
//! bytes in both builds: in particular the EIP-712 `verifyingContract`, which is `Tributary` in
//! the Solidity build and the registry in the Stylus build, is [`SUITE`] in both.

use alloy::{
    primitives::{Address, B256, address, keccak256},
    signers::local::PrivateKeySigner,
};

/// Where the runners deploy the contract that checks creators' signatures (`Tributary`; the
/// Stylus registry).
pub const SUITE: Address = address!("0000000000000000000000000000000000007121");
/// A standard ERC-20 (OpenZeppelin 5 semantics), allow-listed in every scenario.
pub const USDC: Address = address!("000000000000000000000000000000000000d5dc");
/// An ERC-20 that keeps 1 % of every transfer (the recipient receives 99 %).
pub const FEE_TOKEN: Address = address!("000000000000000000000000000000000000fee0");
/// The chain id both runners set: EIP-712 domains bind it.
pub(crate) const CHAIN_ID: u64 = 42_161;
/// The block time every scenario starts at.
pub(crate) const START_TIME: u64 = 1_700_000_000;

/// A named account with a private key.
#[derive(Clone)]
pub(crate) struct Actor {
    pub(crate) name: &'static str,
    pub(crate) signer: PrivateKeySigner,
}

impl Actor {
    /// The account whose private key is `keccak256("tributary.vectors." + name)`.
    pub(crate) fn named(name: &'static str) -> Self {
        let key = keccak256(format!("tributary.vectors.{name}"));
        let signer = PrivateKeySigner::from_bytes(&key).unwrap_or_else(|_| {
            // Cannot happen: a keccak output is a valid secp256k1 key with overwhelming
            // probability, and these names are fixed; a new name that failed would be renamed.
            panic!("the key of {name} is not a valid secp256k1 scalar")
        });
        Self { name, signer }
    }

    pub(crate) fn address(&self) -> Address {
        self.signer.address()
    }
}

/// The deployer's admin (`DEFAULT_ADMIN_ROLE` everywhere).
pub(crate) fn admin() -> Actor {
    Actor::named("admin")
}
/// Receives protocol fees.
pub(crate) fn treasury() -> Actor {
    Actor::named("treasury")
}
/// Holds `RELAYER_ROLE`.
pub(crate) fn relayer() -> Actor {
    Actor::named("relayer")
}
/// Holds `PAUSER_ROLE`.
pub(crate) fn pauser() -> Actor {
    Actor::named("pauser")
}
/// A dataset creator.
pub(crate) fn creator() -> Actor {
    Actor::named("creator")
}
/// A second creator.
pub(crate) fn creator2() -> Actor {
    Actor::named("creator2")
}
/// A buyer.
pub(crate) fn alice() -> Actor {
    Actor::named("alice")
}
/// Another buyer.
pub(crate) fn bob() -> Actor {
    Actor::named("bob")
}
/// A contributor named in splits.
pub(crate) fn carol() -> Actor {
    Actor::named("carol")
}

/// A distinct 32-byte value for manifests, receipts and payment ids.
pub(crate) fn tag(label: &str) -> B256 {
    keccak256(label.as_bytes())
}
