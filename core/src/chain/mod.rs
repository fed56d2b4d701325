//! Typed bindings of the Tributary contracts and a chain client, on alloy.
//!
//! The Rust types come from the committed ABI in `abi/` (exported from
//! `contracts/interfaces/` by `scripts/abi.sh`): [`ITributary`] holds the
//! calls, events and custom errors of the interfaces, [`TributaryInherited`]
//! what the deployable adds beyond them (constructor, Solady's ERC-721,
//! OpenZeppelin's AccessControl and EIP-5267, the pause switch). A revert comes back as
//! [`Error::Reverted`](crate::Error::Reverted) with a [`Revert`] that reads
//! like the Solidity error, e.g. `TermsMismatch(datasetId=3)`.
//!
//! [`Client`] holds one HTTP(S) JSON-RPC connection and, optionally, the key
//! that signs its transactions; [`Tributary`] is a deployed contract reached
//! through it. Writes wait for the configured number of confirmations.
//!
//! Superfluid subscriptions (docs/streaming.md): [`ITributaryStreams`] from its ABI,
//! [`superfluid`] the few Superfluid interfaces the Rust side calls (the `GDAv1Forwarder`,
//! pools, Super Tokens, the host's governance) written with `sol!` from their Solidity
//! signatures, and [`Streams`] the typed handle on both ([`Client::streams`]).
//!
//! ```no_run
//! use alloy::primitives::{Address, B256, U256};
//! use tributary_core::{
//!     chain::{Client, Config, ETH, Offer, OfferKind, Split, Terms},
//!     signing::Key,
//! };
//!
//! # async fn run(contract: Address, manifest_hash: B256) -> tributary_core::Result<()> {
//! let creator = Key::from_env("TRIBUTARY_PRIVATE_KEY")?;
//! let client = Client::connect("http://127.0.0.1:8545", Some(&creator), Config::default()).await?;
//! let tributary = client.tributary(contract);
//!
//! let split = Split::from_shares([(creator.address(), 1)]);
//! let offers = vec![Offer {
//!     kind: OfferKind::OneOff.into(),
//!     paymentToken: ETH,
//!     price: 10u128.pow(16),
//!     duration: 0,
//!     transferable: false,
//!     royaltyBps: 0,
//!     supplyCap: 0,
//!     termsHash: B256::ZERO,
//! }];
//! let id = tributary.register(manifest_hash, "ipfs://bafy...", &split, &offers).await?.value;
//! let terms = Terms::new(&split, offers);
//! tributary.purchase(id, &terms, 0, creator.address()).await?;
//! assert!(tributary.is_licensed(creator.address(), id).await?);
//! # Ok(()) }
//! ```

mod bindings;
mod client;
mod deployment;
mod history;
mod pools;
mod revert;
mod streams;

pub use bindings::{
    CREDITS, CreditPayment, DatasetStatus, ETH, IERC20, ITributary, ITributaryStreams,
    ITributaryTypes, Licence, Offer, OfferKind, Split, Terms, TributaryInherited, streams_abi,
    superfluid,
};
pub use client::{Client, Config, Confirmed, Dataset, Tributary, creation_code};
pub use deployment::{Deployment, DeploymentError, StreamsDeployment};
pub use history::{Anchor, DatasetTerms, Emitted, LogScan, PayeeSplit, VersionRecord};
pub use pools::MemberPool;
pub use revert::Revert;
pub use streams::{RealtimeBalance, Streams};
