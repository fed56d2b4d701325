//! Tributary's Superfluid subscriptions, as an Arbitrum Stylus contract: the Stylus mirror of
//! `contracts/streams/TributaryStreams.sol`.
//!
//! Implements `contracts/interfaces/ITributaryStreams.sol` exactly (functions, events, errors),
//! with the Solidity contract's checks in its order and its revert data: one GDA pool per
//! (dataset, Super Token), created by this contract (its admin); member units mirroring the
//! split and the protocol fee; a licence view that reads the buyer's flow to the pool
//! (docs/streaming.md). Where the Solidity contract reads the one `Tributary` suite, this one
//! reads the Stylus suite (docs/stylus.md): `dataset` on the registry, `protocolFee` on splits,
//! `isLicensed` on licences. `hashSplit` and `hashTerms` are pure functions of the registry;
//! they are computed here with the functions the registry itself computes them with
//! ([`tributary_stylus_common::split_hash`], [`tributary_stylus_common::terms_hash`]), which
//! saves two calls and gives the same hashes.
//!
//! Every function but the constructor and `sweep` is dispatched by the fallback and decoded
//! word by word ([`calldata`]); [`calls`] makes the calls to the suite and to Superfluid, with
//! calldata written word by word and return data checked as Solidity's decoder checks it.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK generates undocumented functions in wasm (`user_entrypoint`) and export-abi builds.
#![cfg_attr(
    any(target_arch = "wasm32", feature = "export-abi"),
    allow(missing_docs)
)]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolEvent};
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{
    Erase, StorageAddress, StorageB256, StorageMap, StorageU128, StorageU96, StorageVec,
};
use tributary_stylus_common::calldata::Malformed;
use tributary_stylus_common::{
    panic_data, Offer, Split, CREDITS, PANIC_DIVISION_BY_ZERO, PANIC_OVERFLOW,
};

pub mod calldata;
pub mod calls;

sol! {
    /// The errors and events of `contracts/interfaces/ITributaryStreams.sol`, exactly.
    interface ITributaryStreamsAbi {
        error UnknownDataset(uint256 datasetId);
        error TermsMismatch(uint256 datasetId);
        error InvalidSubscriptionOffer(uint256 index);

        event PoolCreated(uint256 indexed datasetId, address indexed token, address pool);
        event SubscriptionSynced(uint256 indexed datasetId, address indexed token, address pool, int96 minFlowRate);
        event MemberUnitsUpdated(uint256 indexed datasetId, address indexed token, address indexed member, address pool, uint128 units);
        event TermsSynced(uint256 indexed datasetId, bytes32 termsHash);
        event DustSwept(address indexed token, address indexed treasury, uint256 amount);
    }
}

pub use ITributaryStreamsAbi::*;

/// `OfferKind.Subscription`.
pub const OFFER_SUBSCRIPTION: u8 = 2;
/// `DatasetStatus.Active`.
pub const STATUS_ACTIVE: u8 = 1;
/// `type(int96).max`: the largest flow rate Superfluid takes.
pub const INT96_MAX: u128 = (1 << 95) - 1;
/// Basis points in a whole.
const BPS: u64 = 10_000;

/// Every way a call to this contract reverts.
#[derive(SolidityError)]
pub enum StreamsError {
    /// `UnknownDataset(datasetId)`.
    UnknownDataset(UnknownDataset),
    /// `TermsMismatch(datasetId)`.
    TermsMismatch(TermsMismatch),
    /// `InvalidSubscriptionOffer(index)`.
    InvalidSubscriptionOffer(InvalidSubscriptionOffer),
    /// Revert data as it is: a callee's revert bubbled, the empty revert of Solidity's ABI
    /// decoder (calldata or return data) or of a failed `require`, or a `Panic`. Absent from
    /// the exported ABI, which lists declared errors only.
    #[cfg(not(feature = "export-abi"))]
    Raw(stylus_sdk::stylus_core::calls::errors::Error),
}

impl StreamsError {
    /// Reverts with `data` as it is.
    pub(crate) fn raw(data: Vec<u8>) -> Self {
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

    /// The empty revert: Solidity's decoder refusing data, or a `require` without a message.
    pub(crate) fn empty() -> Self {
        Self::raw(Vec::new())
    }
}

impl From<Malformed> for StreamsError {
    /// Calldata Solidity's decoder refuses: an empty revert.
    fn from(_: Malformed) -> Self {
        Self::empty()
    }
}

type Result<T, E = StreamsError> = core::result::Result<T, E>;

/// A (dataset, Super Token): its pool (kept once created) and the minimum rate now offered
/// (0: not offered at the last sync). One slot, as the Solidity struct packs it.
#[storage]
pub struct Subscription {
    pool: StorageAddress,
    min_flow_rate: StorageU96,
}

/// The streams contract. Storage: the suite contracts it reads and the GDA forwarder; per
/// dataset and token the subscription; per dataset the tokens offered at the last sync, the
/// tokens with a pool, the members and their units at the last sync, and the synced terms hash.
#[storage]
#[entrypoint]
pub struct Streams {
    registry: StorageAddress,
    splits: StorageAddress,
    licences: StorageAddress,
    gda: StorageAddress,
    subscriptions: StorageMap<U256, StorageMap<Address, Subscription>>,
    offered: StorageMap<U256, StorageVec<StorageAddress>>,
    pooled: StorageMap<U256, StorageVec<StorageAddress>>,
    member_accounts: StorageMap<U256, StorageVec<StorageAddress>>,
    member_units: StorageMap<U256, StorageVec<StorageU128>>,
    synced_terms_hashes: StorageMap<U256, StorageB256>,
}

#[public]
impl Streams {
    /// Records the Stylus suite's registry, splits and licences contracts and Superfluid's
    /// `GDAv1Forwarder`. Each must have code (an empty revert otherwise), as the Solidity
    /// constructor requires of the suite and the forwarder.
    #[constructor]
    pub fn constructor(
        &mut self,
        registry: Address,
        splits: Address,
        licences: Address,
        gda_forwarder: Address,
    ) -> Result<()> {
        for contract in [registry, splits, licences, gda_forwarder] {
            if self.vm().code_size(contract) == 0 {
                return Err(StreamsError::empty());
            }
        }
        self.registry.set(registry);
        self.splits.set(splits);
        self.licences.set(licences);
        self.gda.set(gda_forwarder);
        Ok(())
    }

    /// Send this contract's whole balance of `token` to the protocol treasury (splits'
    /// `protocolFee`), emitting `DustSwept` if it is not zero.
    pub fn sweep(&mut self, token: Address) -> Result<U256> {
        let (_, treasury) = self.protocol_fee()?;
        let this = self.vm().contract_address();
        let amount = self.token_balance(token, this)?;
        if !amount.is_zero() {
            if !self.token_transfer(token, treasury, amount)? {
                return Err(StreamsError::empty());
            }
            self.log(
                &[
                    DustSwept::SIGNATURE_HASH,
                    token.into_word(),
                    treasury.into_word(),
                ],
                &[amount.into()],
            );
        }
        Ok(amount)
    }

    /// Dispatches every other function (see [`calldata`]); an unknown selector reverts empty,
    /// as the router does.
    #[fallback]
    pub fn fallback(&mut self, input: &[u8]) -> stylus_sdk::ArbResult {
        calldata::dispatch(self, input)
    }
}

/// The functions dispatched by the fallback ([`calldata`]).
impl Streams {
    /// `sync(datasetId, split, offers)`, the split and offers decoded by `decode` after the
    /// dataset check (Solidity validates a `calldata` struct's words when it reads them).
    pub fn sync(
        &mut self,
        dataset_id: U256,
        decode: impl FnOnce() -> Result<(Split, Vec<Offer>), Malformed>,
    ) -> Result<()> {
        let (status, terms_hash) = self.dataset(dataset_id)?;
        if status == 0 {
            return Err(UnknownDataset {
                datasetId: dataset_id,
            }
            .into());
        }
        let (split, offers) = decode()?;
        let resent = tributary_stylus_common::terms_hash(
            tributary_stylus_common::split_hash(&split),
            &offers,
        );
        if resent != terms_hash {
            return Err(TermsMismatch {
                datasetId: dataset_id,
            }
            .into());
        }
        self.sync_offers(dataset_id, &offers)?;
        let (accounts, units) = self.members_for(&split)?;
        self.sync_units(dataset_id, &split.payees, &accounts, &units)?;
        let mut stored_accounts = self.member_accounts.setter(dataset_id);
        stored_accounts.erase();
        stored_accounts.extend(accounts.iter().copied());
        let mut stored_units = self.member_units.setter(dataset_id);
        stored_units.erase();
        stored_units.extend(units.iter().map(|&u| alloy_primitives::U128::from(u)));
        self.synced_terms_hashes.setter(dataset_id).set(terms_hash);
        self.log(
            &[TermsSynced::SIGNATURE_HASH, dataset_id.into()],
            &[terms_hash],
        );
        Ok(())
    }

    /// `tributary()`: the registry, which holds the datasets and their terms (see docs/stylus.md).
    pub fn tributary(&self) -> Address {
        self.registry.get()
    }

    /// `gdaForwarder()`.
    pub fn gda_forwarder(&self) -> Address {
        self.gda.get()
    }

    /// `subscriptionTerms(datasetId, token)`: the pool and the minimum rate.
    pub fn subscription_terms(&self, dataset_id: U256, token: Address) -> (Address, u128) {
        let subscriptions = self.subscriptions.getter(dataset_id);
        let s = subscriptions.getter(token);
        (s.pool.get(), s.min_flow_rate.get().to::<u128>())
    }

    /// `subscriptionTokens(datasetId)`.
    pub fn subscription_tokens(&self, dataset_id: U256) -> Vec<Address> {
        addresses(&self.offered.getter(dataset_id))
    }

    /// `poolTokens(datasetId)`.
    pub fn pool_tokens(&self, dataset_id: U256) -> Vec<Address> {
        addresses(&self.pooled.getter(dataset_id))
    }

    /// `members(datasetId)`: accounts and units at the last sync.
    pub fn members(&self, dataset_id: U256) -> (Vec<Address>, Vec<u128>) {
        let units = self.member_units.getter(dataset_id);
        let units = (0..units.len())
            .map(|i| units.get(i).unwrap_or_default().to::<u128>())
            .collect();
        (addresses(&self.member_accounts.getter(dataset_id)), units)
    }

    /// `syncedTermsHash(datasetId)`.
    pub fn synced_terms_hash(&self, dataset_id: U256) -> B256 {
        self.synced_terms_hashes.get(dataset_id)
    }

    /// `flowRate(account, datasetId, token)`: the GDA's recorded rate, 0 without a pool.
    pub fn flow_rate(&self, account: Address, dataset_id: U256, token: Address) -> Result<i128> {
        let (pool, _) = self.subscription_terms(dataset_id, token);
        if pool.is_zero() {
            return Ok(0);
        }
        self.distribution_flow_rate(token, account, pool)
    }

    /// `requiredFlowRate(datasetId, token)`: `minFlowRate + totalUnits - 1`, capped at the
    /// int96 maximum; 0 when the token is not offered.
    pub fn required_flow_rate(&self, dataset_id: U256, token: Address) -> Result<u128> {
        let (pool, minimum) = self.subscription_terms(dataset_id, token);
        if minimum == 0 {
            return Ok(0);
        }
        let total = self.pool_total_units(pool)?;
        // At most 2^95 + 2^128: no overflow in 256 bits, as in the Solidity build.
        let required = U256::from(minimum) + U256::from(total) - U256::from(1);
        Ok(if required > U256::from(INT96_MAX) {
            INT96_MAX
        } else {
            required.to::<u128>()
        })
    }

    /// `isSubscribed(account, datasetId)`: for one of the tokens offered at the last sync, the
    /// account's flow to its pool is at least the minimum and the account is not critical.
    pub fn is_subscribed(&self, account: Address, dataset_id: U256) -> Result<bool> {
        for token in self.subscription_tokens(dataset_id) {
            let (pool, minimum) = self.subscription_terms(dataset_id, token);
            if self.distribution_flow_rate(token, account, pool)? >= minimum as i128
                && !self.account_critical(token, account)?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `isLicensed(account, datasetId)`: licences' `isLicensed` (a licence token), or the
    /// dataset is active and [`is_subscribed`](Self::is_subscribed) holds.
    pub fn is_licensed(&self, account: Address, dataset_id: U256) -> Result<bool> {
        if self.suite_is_licensed(account, dataset_id)? {
            return Ok(true);
        }
        let (status, _) = self.dataset(dataset_id)?;
        Ok(status == STATUS_ACTIVE && self.is_subscribed(account, dataset_id)?)
    }
}

fn addresses(vec: &StorageVec<StorageAddress>) -> Vec<Address> {
    (0..vec.len())
        .map(|i| vec.get(i).unwrap_or_default())
        .collect()
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The internals of `sync`, in the Solidity contract's order.
impl Streams {
    /// Emits a log of `topics` and `data` words.
    pub(crate) fn log(&self, topics: &[B256], data: &[B256]) {
        let mut bytes = Vec::with_capacity(32 * (topics.len() + data.len()));
        for word in topics.iter().chain(data) {
            bytes.extend_from_slice(word.as_slice());
        }
        self.vm().emit_log(&bytes, topics.len());
    }

    /// `_syncOffers`: zeroes the minimum of the tokens offered before, then records each
    /// subscription offer's token at its lowest rate, creating missing pools, and emits
    /// `SubscriptionSynced` for every pooled token.
    fn sync_offers(&mut self, dataset_id: U256, offers: &[Offer]) -> Result<()> {
        let previous = self.subscription_tokens(dataset_id);
        for token in previous.iter().rev() {
            self.subscriptions
                .setter(dataset_id)
                .setter(*token)
                .min_flow_rate
                .set(alloy_primitives::aliases::U96::ZERO);
        }
        self.offered.setter(dataset_id).erase();
        for (i, offer) in offers.iter().enumerate() {
            if offer.kind != OFFER_SUBSCRIPTION {
                continue;
            }
            let token = offer.paymentToken;
            let price = offer.price;
            if token.is_zero() || token == CREDITS || price == 0 || price > INT96_MAX {
                return Err(InvalidSubscriptionOffer {
                    index: U256::from(i),
                }
                .into());
            }
            let (mut pool, minimum) = self.subscription_terms(dataset_id, token);
            if pool.is_zero() {
                pool = self.create_pool(token)?;
                self.subscriptions
                    .setter(dataset_id)
                    .setter(token)
                    .pool
                    .set(pool);
                self.pooled.setter(dataset_id).push(token);
                self.log(
                    &[
                        PoolCreated::SIGNATURE_HASH,
                        dataset_id.into(),
                        token.into_word(),
                    ],
                    &[pool.into_word()],
                );
            }
            if minimum == 0 || price < minimum {
                self.subscriptions
                    .setter(dataset_id)
                    .setter(token)
                    .min_flow_rate
                    .set(alloy_primitives::aliases::U96::from(price));
                if minimum == 0 {
                    self.offered.setter(dataset_id).push(token);
                }
            }
        }
        for token in self.pool_tokens(dataset_id) {
            let (pool, minimum) = self.subscription_terms(dataset_id, token);
            self.log(
                &[
                    SubscriptionSynced::SIGNATURE_HASH,
                    dataset_id.into(),
                    token.into_word(),
                ],
                &[pool.into_word(), U256::from(minimum).into()],
            );
        }
        Ok(())
    }

    /// `_membersFor`: payee i holds `share_i * (10000 - feeBps)` units, the treasury
    /// `sum(shares) * feeBps` (added to its payee units if it is a payee, else appended), all
    /// divided by their greatest common divisor.
    fn members_for(&self, split: &Split) -> Result<(Vec<Address>, Vec<u128>)> {
        let (fee_bps, treasury) = self.protocol_fee()?;
        let count = split.payees.len();
        let mut total: u128 = 0;
        let mut treasury_index = None;
        for i in 0..count {
            // `split.shares[i]`: the registry checked the lengths when the terms were set.
            let share = *split.shares.get(i).ok_or_else(out_of_bounds)?;
            total += u128::from(share);
            if split.payees[i] == treasury {
                treasury_index = Some(i);
            }
        }
        let fee_units = if treasury.is_zero() {
            0
        } else {
            total * u128::from(fee_bps)
        };
        let append_treasury = fee_units != 0 && treasury_index.is_none();
        let payee_bps = BPS
            .checked_sub(u64::from(fee_bps))
            .ok_or_else(|| StreamsError::raw(panic_data(PANIC_OVERFLOW)))?;
        let mut accounts = split.payees.clone();
        let mut units: Vec<u128> = split
            .shares
            .iter()
            .take(count)
            .map(|&share| u128::from(share) * u128::from(payee_bps))
            .collect();
        if let Some(i) = treasury_index {
            units[i] += fee_units;
        }
        if append_treasury {
            accounts.push(treasury);
            units.push(fee_units);
        }
        let divisor = units.iter().fold(0, |d, &u| gcd(d, u));
        if divisor == 0 && !units.is_empty() {
            return Err(StreamsError::raw(panic_data(PANIC_DIVISION_BY_ZERO)));
        }
        for u in &mut units {
            *u /= divisor;
        }
        Ok((accounts, units))
    }

    /// `_syncUnits`: in every pool, members of the last sync that left the split go to zero
    /// (but the treasury appended now), then every member gets its units; unchanged members
    /// are left alone.
    fn sync_units(
        &mut self,
        dataset_id: U256,
        payees: &[Address],
        accounts: &[Address],
        units: &[u128],
    ) -> Result<()> {
        let old_accounts = addresses(&self.member_accounts.getter(dataset_id));
        let extra = if accounts.len() > payees.len() {
            accounts[accounts.len() - 1]
        } else {
            Address::ZERO
        };
        for token in self.pool_tokens(dataset_id) {
            let (pool, _) = self.subscription_terms(dataset_id, token);
            for &old in &old_accounts {
                if old != extra && payees.binary_search(&old).is_err() {
                    self.set_units(dataset_id, token, pool, old, 0)?;
                }
            }
            for (&account, &u) in accounts.iter().zip(units) {
                self.set_units(dataset_id, token, pool, account, u)?;
            }
        }
        Ok(())
    }

    /// `_setUnits`: updates a member's units in a pool if they differ.
    fn set_units(
        &mut self,
        dataset_id: U256,
        token: Address,
        pool: Address,
        member: Address,
        units: u128,
    ) -> Result<()> {
        if self.pool_units(pool, member)? == units {
            return Ok(());
        }
        self.update_member_units(pool, member, units)?;
        self.log(
            &[
                MemberUnitsUpdated::SIGNATURE_HASH,
                dataset_id.into(),
                token.into_word(),
                member.into_word(),
            ],
            &[pool.into_word(), U256::from(units).into()],
        );
        Ok(())
    }
}

/// Solidity's `Panic(0x32)`: an array index out of bounds.
fn out_of_bounds() -> StreamsError {
    StreamsError::raw(panic_data(0x32))
}

#[cfg(test)]
mod tests;
