//! Tributary's dataset registry, as an Arbitrum Stylus contract.
//!
//! Implements `contracts/interfaces/ITributaryRegistry.sol` with the semantics of
//! `contracts/modules/Registry.sol`: datasets with a creator, a status and a version count;
//! manifest hashes, URIs, splits and offers carried by events, storage keeping only the terms
//! hash; changes by the creator or by anyone carrying the creator's EIP-712 signature (nonce,
//! deadline; ERC-1271 for contract wallets, as OpenZeppelin's `SignatureChecker`); batches of
//! manifests anchored under a Merkle root, with OpenZeppelin `MerkleProof` inclusion proofs;
//! `eip712Domain()` (ERC-5267) for the signers.
//!
//! The module layout follows the Solidity file: this file holds the storage and every external
//! function; [`terms`] the validation and hashing of splits and offers (`_checkTerms`);
//! [`signature`] EIP-712, nonces and signature checks (`_checkSignature`); `events` the
//! events' encoding. Ten functions (those taking a split and offers, a string or bytes) are
//! reached through the fallback and decoded by [`calldata`], to fit Arbitrum's 24 KiB.
//!
//! In the Stylus suite (`docs/stylus.md`) the registry checks no role. It reads one thing of
//! another contract: whether an ERC-20 is allow-listed, which the Solidity build's
//! `_checkOffers` reads from its own `Splits` storage and which lives in the splits contract
//! here (a static call to `isTokenAllowed`; splits' address is the constructor argument).
//!
//! Reverts are byte-for-byte the Solidity build's, in the same order of checks, including
//! `Panic(0x11)` on a 2^64-th dataset or a 2^32-th version and the empty revert of an enum out
//! of range.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK generates undocumented functions in wasm (`user_entrypoint`) and export-abi builds.
#![cfg_attr(
    any(target_arch = "wasm32", feature = "export-abi"),
    allow(missing_docs)
)]

extern crate alloc;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{keccak256, Address, FixedBytes, B256, U256};
use alloy_sol_types::sol;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{
    StorageAddress, StorageB256, StorageMap, StorageU256, StorageU32, StorageU64, StorageU8,
};
use tributary_stylus_common::{panic_data, split_hash, Offer, Split, PANIC_OVERFLOW};

pub mod calldata;
mod events;
pub mod signature;
pub mod terms;

sol! {
    /// The errors and events of `contracts/interfaces/ITributaryRegistry.sol`, exactly, but for
    /// `DatasetRegistered` and `TermsSet`, which carry a split and offers and so are declared
    /// with them in `tributary_stylus_common`. `DatasetStatus` is its ABI type, `uint8`.
    interface ITributaryRegistryAbi {
        error UnknownDataset(uint256 datasetId);
        error NotCreator(uint256 datasetId, address account);
        error InvalidStatusTransition(uint8 from, uint8 to);
        error DatasetNotActive(uint256 datasetId, uint8 status);
        error ZeroManifestHash();
        error SignatureExpired(uint256 deadline);
        error InvalidSignature();
        error InvalidSplitLength();
        error TooManyPayees(uint256 count);
        error PayeesNotSorted(uint256 index);
        error ZeroShare(uint256 index);
        error InvalidOfferCount(uint256 count);
        error InvalidOffer(uint256 index);
        error TermsMismatch(uint256 datasetId);
        error OfferIndexOutOfRange(uint256 index);
        error BatchAlreadyAnchored(bytes32 root);
        error EmptyBatch();

        event VersionPublished(uint256 indexed datasetId, uint32 indexed version, bytes32 indexed manifestHash, string uri);
        event StatusChanged(uint256 indexed datasetId, uint8 status);
        event BatchAnchored(bytes32 indexed root, address indexed anchorer, uint32 count, string uri);
    }

    /// ERC-5267's event (OpenZeppelin `EIP712` declares it; never emitted: the domain is fixed).
    interface IEip712Abi {
        event EIP712DomainChanged();
    }
}

pub use tributary_stylus_common::ITributaryRegistryTermsEvents::{DatasetRegistered, TermsSet};
pub use ITributaryRegistryAbi::*;

/// Largest number of payees in a split (`MAX_PAYEES`).
pub const MAX_PAYEES: usize = 256;
/// Largest number of offers per dataset (`MAX_OFFERS`).
pub const MAX_OFFERS: usize = 16;

/// `DatasetStatus` values.
pub mod status {
    /// Never registered.
    pub const NONE: u8 = 0;
    /// On sale.
    pub const ACTIVE: u8 = 1;
    /// Not on sale for now.
    pub const PAUSED: u8 = 2;
    /// Terminal.
    pub const RETIRED: u8 = 3;
}

/// Every way a call to this contract reverts.
#[derive(SolidityError)]
pub enum RegistryError {
    /// `UnknownDataset(datasetId)`.
    UnknownDataset(UnknownDataset),
    /// `NotCreator(datasetId, account)`.
    NotCreator(NotCreator),
    /// `InvalidStatusTransition(from, to)`.
    InvalidStatusTransition(InvalidStatusTransition),
    /// `DatasetNotActive(datasetId, status)`.
    DatasetNotActive(DatasetNotActive),
    /// `ZeroManifestHash()`.
    ZeroManifestHash(ZeroManifestHash),
    /// `SignatureExpired(deadline)`.
    SignatureExpired(SignatureExpired),
    /// `InvalidSignature()`.
    InvalidSignature(InvalidSignature),
    /// `InvalidSplitLength()`.
    InvalidSplitLength(InvalidSplitLength),
    /// `TooManyPayees(count)`.
    TooManyPayees(TooManyPayees),
    /// `PayeesNotSorted(index)`.
    PayeesNotSorted(PayeesNotSorted),
    /// `ZeroShare(index)`.
    ZeroShare(ZeroShare),
    /// `InvalidOfferCount(count)`.
    InvalidOfferCount(InvalidOfferCount),
    /// `InvalidOffer(index)`.
    InvalidOffer(InvalidOffer),
    /// `TermsMismatch(datasetId)`: declared here, raised by licences.
    TermsMismatch(TermsMismatch),
    /// `OfferIndexOutOfRange(index)`: declared here, raised by licences.
    OfferIndexOutOfRange(OfferIndexOutOfRange),
    /// `BatchAlreadyAnchored(root)`.
    BatchAlreadyAnchored(BatchAlreadyAnchored),
    /// `EmptyBatch()`.
    EmptyBatch(EmptyBatch),
    /// Revert data as it is: Solidity's `Panic(0x11)`, the empty revert of Solidity's calldata
    /// validation, or a callee's revert bubbled. Absent from the exported ABI, which lists
    /// declared errors only.
    #[cfg(not(feature = "export-abi"))]
    Raw(stylus_sdk::stylus_core::calls::errors::Error),
}

impl RegistryError {
    /// Reverts with `data` as it is.
    fn raw(data: Vec<u8>) -> Self {
        #[cfg(not(feature = "export-abi"))]
        {
            Self::Raw(stylus_sdk::stylus_core::calls::errors::Error::Revert(data))
        }
        #[cfg(feature = "export-abi")]
        {
            // An export-abi build prints the ABI and runs no contract code.
            let _ = data;
            unreachable!("contract code does not run in an export-abi build")
        }
    }

    /// Solidity's checked arithmetic overflowing.
    fn overflow() -> Self {
        Self::raw(panic_data(PANIC_OVERFLOW))
    }

    /// The empty revert of Solidity's ABI decoder, e.g. for an enum value out of range.
    fn invalid_calldata() -> Self {
        Self::raw(Vec::new())
    }
}

type Result<T, E = RegistryError> = core::result::Result<T, E>;

/// A dataset's record (`DatasetRecord`): creator, status and version count in one slot, as
/// Solidity packs them.
#[storage]
pub struct DatasetRecord {
    creator: StorageAddress,
    status: StorageU8,
    version_count: StorageU32,
}

/// An anchored batch (`BatchRecord`), packed in one slot.
#[storage]
pub struct BatchRecord {
    anchorer: StorageAddress,
    anchored_at: StorageU64,
    count: StorageU32,
}

/// The registry contract. Storage: the splits contract (for its token allow-list), the dataset
/// count, per dataset its record and terms hash, per Merkle root its batch, per account its
/// next signature nonce.
#[storage]
#[entrypoint]
pub struct Registry {
    splits: StorageAddress,
    dataset_count: StorageU64,
    datasets: StorageMap<U256, DatasetRecord>,
    terms_hashes: StorageMap<U256, StorageB256>,
    batches: StorageMap<B256, BatchRecord>,
    nonces: StorageMap<Address, StorageU256>,
}

#[public]
impl Registry {
    /// Records the splits contract whose allow-list decides which ERC-20s offers may name.
    #[constructor]
    pub fn constructor(&mut self, splits: Address) {
        self.splits.set(splits);
    }

    // ------------------------------------------------------------------ creator actions

    /// Pause, reactivate or retire a dataset. Retiring is final.
    pub fn set_status(&mut self, dataset_id: U256, status: u8) -> Result<()> {
        check_status_range(status)?;
        let creator = self.vm().msg_sender();
        self.set_status_for(creator, dataset_id, status)
    }

    /// Dispatches the functions that take a split and offers, a string or bytes (see
    /// [`calldata`]); any other
    /// unknown selector reverts empty, as the router does.
    #[fallback]
    pub fn fallback(&mut self, input: &[u8]) -> stylus_sdk::ArbResult {
        calldata::dispatch(self, input)
    }

    // ------------------------------------------------------------------ views

    /// A dataset's on-chain record: creator, status, version count, terms hash.
    pub fn dataset(&self, dataset_id: U256) -> (Address, u8, u32, B256) {
        let record = self.datasets.getter(dataset_id);
        (
            record.creator.get(),
            low_u8(record.status.get()),
            low_u32(record.version_count.get()),
            self.terms_hashes.get(dataset_id),
        )
    }

    /// How many datasets exist (the highest id).
    pub fn dataset_count(&self) -> U256 {
        U256::from(self.dataset_count.get())
    }

    /// Who anchored a batch root, when, and how many manifests it holds (zeros if never).
    pub fn batch_anchor(&self, root: B256) -> (Address, u64, u32) {
        let batch = self.batches.getter(root);
        (
            batch.anchorer.get(),
            batch.anchored_at.get().as_limbs()[0],
            low_u32(batch.count.get()),
        )
    }

    /// Whether `manifestHash` is included in the anchored batch `root`: OpenZeppelin
    /// `MerkleProof.verifyCalldata` (sorted pairs) over the leaf
    /// `keccak256(bytes.concat(keccak256(abi.encode(manifestHash))))`.
    pub fn verify_batch_inclusion(
        &self,
        root: B256,
        manifest_hash: B256,
        proof: Vec<B256>,
    ) -> bool {
        if self.batches.getter(root).anchored_at.get() == 0 {
            return false;
        }
        let leaf = keccak256(keccak256(manifest_hash));
        let computed = proof.iter().fold(leaf, |node, sibling| {
            let (a, b) = if node < *sibling {
                (node, *sibling)
            } else {
                (*sibling, node)
            };
            signature::hash_words(&[a, b])
        });
        computed == root
    }

    /// The next signature nonce of `account`.
    pub fn nonces(&self, account: Address) -> U256 {
        self.nonces.get(account)
    }

    /// Largest number of payees in a split.
    #[selector(name = "MAX_PAYEES")]
    pub fn max_payees(&self) -> U256 {
        U256::from(MAX_PAYEES)
    }

    /// Largest number of offers per dataset.
    #[selector(name = "MAX_OFFERS")]
    pub fn max_offers(&self) -> U256 {
        U256::from(MAX_OFFERS)
    }

    /// ERC-5267: the EIP-712 domain, as OpenZeppelin's `EIP712.eip712Domain()` returns it
    /// (fields `0x0f`: name, version, chain id, verifying contract; no salt, no extensions).
    #[selector(name = "eip712Domain")]
    pub fn eip712_domain(
        &self,
    ) -> (
        FixedBytes<1>,
        String,
        String,
        U256,
        Address,
        B256,
        Vec<U256>,
    ) {
        (
            FixedBytes([0x0f]),
            String::from(signature::NAME),
            String::from(signature::VERSION),
            U256::from(self.vm().chain_id()),
            self.vm().contract_address(),
            B256::ZERO,
            Vec::new(),
        )
    }
}

/// The functions that take a split and offers, a string or bytes. The contract's fallback
/// dispatches them (`calldata::dispatch`) instead of the SDK's router: the router's generic
/// decoding of `Split`, `Offer[]`, `string` and `bytes` in each would make the contract too big
/// for Arbitrum's 24 KiB.
impl Registry {
    /// Register a dataset with its first manifest, royalty split and licence offers; the caller
    /// is its creator. Returns the new id (ids count from 1).
    pub(crate) fn register(
        &mut self,
        manifest_hash: B256,
        uri: &[u8],
        split: Split,
        offers: Vec<Offer>,
    ) -> Result<U256> {
        let terms_hash = self.check_terms(&split, &offers)?;
        let creator = self.vm().msg_sender();
        self.register_for(creator, manifest_hash, uri, split, offers, terms_hash)
    }

    /// `register` on behalf of `creator`, who signed `Register(address creator,bytes32
    /// manifestHash,string uri,bytes32 termsHash,uint256 nonce,uint256 deadline)`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn register_with_sig(
        &mut self,
        creator: Address,
        manifest_hash: B256,
        uri: &[u8],
        split: Split,
        offers: Vec<Offer>,
        deadline: U256,
        signature: &[u8],
    ) -> Result<U256> {
        let terms_hash = self.check_terms(&split, &offers)?;
        let nonce = self.use_nonce(creator);
        let struct_hash = signature::hash_words(&[
            signature::REGISTER_TYPEHASH,
            creator.into_word(),
            manifest_hash,
            keccak256(uri),
            terms_hash,
            nonce.into(),
            deadline.into(),
        ]);
        self.check_signature(creator, struct_hash, deadline, signature)?;
        self.register_for(creator, manifest_hash, uri, split, offers, terms_hash)
    }

    /// Publish a new version of a dataset; returns its number.
    pub(crate) fn publish_version(
        &mut self,
        dataset_id: U256,
        manifest_hash: B256,
        uri: &[u8],
    ) -> Result<u32> {
        let creator = self.vm().msg_sender();
        self.publish_for(creator, dataset_id, manifest_hash, uri)
    }

    /// `publishVersion` on behalf of the creator, who signed `PublishVersion(uint256
    /// datasetId,bytes32 manifestHash,string uri,uint256 nonce,uint256 deadline)`.
    pub(crate) fn publish_version_with_sig(
        &mut self,
        dataset_id: U256,
        manifest_hash: B256,
        uri: &[u8],
        deadline: U256,
        signature: &[u8],
    ) -> Result<u32> {
        let (creator, _) = self.existing(dataset_id)?;
        let nonce = self.use_nonce(creator);
        let struct_hash = signature::hash_words(&[
            signature::PUBLISH_VERSION_TYPEHASH,
            dataset_id.into(),
            manifest_hash,
            keccak256(uri),
            nonce.into(),
            deadline.into(),
        ]);
        self.check_signature(creator, struct_hash, deadline, signature)?;
        self.publish_for(creator, dataset_id, manifest_hash, uri)
    }

    /// `setStatus` on behalf of the creator, who signed `SetStatus(uint256 datasetId,uint8
    /// status,uint256 nonce,uint256 deadline)`.
    pub(crate) fn set_status_with_sig(
        &mut self,
        dataset_id: U256,
        status: u8,
        deadline: U256,
        signature: &[u8],
    ) -> Result<()> {
        check_status_range(status)?;
        let (creator, _) = self.existing(dataset_id)?;
        let nonce = self.use_nonce(creator);
        let struct_hash = signature::hash_words(&[
            signature::SET_STATUS_TYPEHASH,
            dataset_id.into(),
            U256::from(status).into(),
            nonce.into(),
            deadline.into(),
        ]);
        self.check_signature(creator, struct_hash, deadline, signature)?;
        self.set_status_for(creator, dataset_id, status)
    }

    /// Replace the dataset's split and offers (future payments only).
    pub(crate) fn set_terms(
        &mut self,
        dataset_id: U256,
        split: Split,
        offers: Vec<Offer>,
    ) -> Result<()> {
        let terms_hash = self.check_terms(&split, &offers)?;
        let creator = self.vm().msg_sender();
        self.set_terms_for(creator, dataset_id, split, offers, terms_hash)
    }

    /// `setTerms` on behalf of the creator, who signed `SetTerms(uint256 datasetId,bytes32
    /// termsHash,uint256 nonce,uint256 deadline)`.
    pub(crate) fn set_terms_with_sig(
        &mut self,
        dataset_id: U256,
        split: Split,
        offers: Vec<Offer>,
        deadline: U256,
        signature: &[u8],
    ) -> Result<()> {
        let terms_hash = self.check_terms(&split, &offers)?;
        let (creator, _) = self.existing(dataset_id)?;
        let nonce = self.use_nonce(creator);
        let struct_hash = signature::hash_words(&[
            signature::SET_TERMS_TYPEHASH,
            dataset_id.into(),
            terms_hash,
            nonce.into(),
            deadline.into(),
        ]);
        self.check_signature(creator, struct_hash, deadline, signature)?;
        self.set_terms_for(creator, dataset_id, split, offers, terms_hash)
    }

    /// Anchor many manifest hashes at once under a Merkle root, attributed to the caller.
    pub(crate) fn anchor_batch(&mut self, root: B256, count: u32, uri: &[u8]) -> Result<()> {
        if root.is_zero() || count == 0 {
            return Err(EmptyBatch {}.into());
        }
        if self.batches.getter(root).anchored_at.get() != 0 {
            return Err(BatchAlreadyAnchored { root }.into());
        }
        let anchorer = self.vm().msg_sender();
        let now = self.vm().block_timestamp();
        let mut batch = self.batches.setter(root);
        batch.anchorer.set(anchorer);
        batch.anchored_at.set(alloy_primitives::Uint::from(now));
        batch.count.set(alloy_primitives::Uint::from(count));
        events::batch_anchored(self.vm(), root, anchorer, count, uri);
        Ok(())
    }

    /// The identifier of a split: `keccak256(abi.encode(payees, shares))`.
    pub(crate) fn hash_split(split: &Split) -> B256 {
        split_hash(split)
    }

    /// The terms hash the registry stores for a split hash and offers.
    pub(crate) fn hash_terms(split_hash: B256, offers: &[Offer]) -> B256 {
        tributary_stylus_common::terms_hash(split_hash, offers)
    }
}

impl Registry {
    /// `_register`: the record (creator, `Active`, one version) and terms hash of the next id.
    fn register_for(
        &mut self,
        creator: Address,
        manifest_hash: B256,
        uri: &[u8],
        split: Split,
        offers: Vec<Offer>,
        terms_hash: B256,
    ) -> Result<U256> {
        if manifest_hash.is_zero() {
            return Err(ZeroManifestHash {}.into());
        }
        // 64 bits, checked: a dataset id fits a licence's token id.
        let count = self.dataset_count.get().as_limbs()[0]
            .checked_add(1)
            .ok_or_else(RegistryError::overflow)?;
        self.dataset_count.set(alloy_primitives::Uint::from(count));
        let dataset_id = U256::from(count);
        let mut record = self.datasets.setter(dataset_id);
        record.creator.set(creator);
        record
            .status
            .set(alloy_primitives::Uint::from(status::ACTIVE));
        record.version_count.set(alloy_primitives::Uint::from(1u32));
        self.terms_hashes.insert(dataset_id, terms_hash);
        events::dataset_registered(
            self.vm(),
            dataset_id,
            creator,
            manifest_hash,
            uri,
            &split,
            &offers,
        );
        Ok(dataset_id)
    }

    /// `_publishVersion`.
    fn publish_for(
        &mut self,
        creator: Address,
        dataset_id: U256,
        manifest_hash: B256,
        uri: &[u8],
    ) -> Result<u32> {
        if manifest_hash.is_zero() {
            return Err(ZeroManifestHash {}.into());
        }
        self.mutable(creator, dataset_id)?;
        let mut record = self.datasets.setter(dataset_id);
        let version = low_u32(record.version_count.get())
            .checked_add(1)
            .ok_or_else(RegistryError::overflow)?;
        record
            .version_count
            .set(alloy_primitives::Uint::from(version));
        events::version_published(self.vm(), dataset_id, version, manifest_hash, uri);
        Ok(version)
    }

    /// `_setStatus`: `Retired` is terminal, `None` is never a target, and a status must change.
    fn set_status_for(&mut self, creator: Address, dataset_id: U256, to: u8) -> Result<()> {
        let (owner, from) = self.existing(dataset_id)?;
        if owner != creator {
            return Err(NotCreator {
                datasetId: dataset_id,
                account: creator,
            }
            .into());
        }
        if from == status::RETIRED || to == status::NONE || to == from {
            return Err(InvalidStatusTransition { from, to }.into());
        }
        self.datasets
            .setter(dataset_id)
            .status
            .set(alloy_primitives::Uint::from(to));
        events::status_changed(self.vm(), dataset_id, to);
        Ok(())
    }

    /// `_setTerms`.
    fn set_terms_for(
        &mut self,
        creator: Address,
        dataset_id: U256,
        split: Split,
        offers: Vec<Offer>,
        terms_hash: B256,
    ) -> Result<()> {
        self.mutable(creator, dataset_id)?;
        self.terms_hashes.insert(dataset_id, terms_hash);
        events::terms_set(self.vm(), dataset_id, &split, &offers);
        Ok(())
    }

    /// `_existing`: the creator and status of a dataset that exists.
    fn existing(&self, dataset_id: U256) -> Result<(Address, u8)> {
        let record = self.datasets.getter(dataset_id);
        let status = low_u8(record.status.get());
        if status == status::NONE {
            return Err(UnknownDataset {
                datasetId: dataset_id,
            }
            .into());
        }
        Ok((record.creator.get(), status))
    }

    /// `_mutable`: the dataset exists, is `creator`'s and is not retired.
    fn mutable(&self, creator: Address, dataset_id: U256) -> Result<()> {
        let (owner, status) = self.existing(dataset_id)?;
        if owner != creator {
            return Err(NotCreator {
                datasetId: dataset_id,
                account: creator,
            }
            .into());
        }
        if status == status::RETIRED {
            return Err(DatasetNotActive {
                datasetId: dataset_id,
                status,
            }
            .into());
        }
        Ok(())
    }
}

/// Solidity's ABI decoder refuses an enum value past the last member with an empty revert.
fn check_status_range(status: u8) -> Result<()> {
    if status > status::RETIRED {
        return Err(RegistryError::invalid_calldata());
    }
    Ok(())
}

/// The value of an 8-bit storage field. (`Uint::to` would link ruint's `Debug` for its
/// overflow panic.)
fn low_u8(value: alloy_primitives::Uint<8, 1>) -> u8 {
    value.as_limbs()[0] as u8
}

/// The value of a 32-bit storage field.
fn low_u32(value: alloy_primitives::Uint<32, 1>) -> u32 {
    value.as_limbs()[0] as u32
}

#[cfg(test)]
mod tests;
