//! Tributary's licences, as an Arbitrum Stylus contract.
//!
//! Implements `contracts/interfaces/ITributaryLicences.sol` with the semantics of
//! `contracts/modules/Licences.sol`: one ERC-721 token per licence sold (a purchase in ETH or
//! an allow-listed ERC-20, a purchase with fiat credits, or a creator-issued custom deal),
//! royalty reports by royalty-linked licensees, and the per-holder index behind `isLicensed`;
//! plus the suite's pause switch (`PAUSER_ROLE`, `pause`, `unpause`, `paused()`) and a lean
//! ERC-721 with Solady's checks, order and errors (the Solidity build's token).
//!
//! Layout: this file holds the storage and every function (the SDK's router dispatches only
//! the constructor and `ownerOf`); [`calldata`] decodes the calldata of the others word by word
//! and dispatches them from the fallback, to fit Arbitrum's 24 KiB; [`suite`] makes the calls
//! to the other contracts.
//!
//! In the Stylus suite (`docs/stylus.md`) licences is the only contract that changes another:
//! it reads a dataset from the registry (`dataset(id)`, a static call) where the Solidity
//! build reads its own storage, pays through splits (`receivePayment`, the Solidity `_collect`
//! and `_receivePayment` in one call, carrying `msg.value`), spends credits in credits
//! (`spendCredits`), mirrors the pause switch to credits (`setPaused`) and reads a licence's
//! `flagged` bit there (`licenceFlagged`). Revert data of those calls is bubbled unchanged.
//!
//! Reverts are byte-for-byte the Solidity build's, in the same order of checks, including the
//! errors licences raises that other interfaces declare (`UnknownDataset`, `DatasetNotActive`,
//! `TermsMismatch`, `OfferIndexOutOfRange`, `NotCreator`, `WrongPayment`): those are encoded
//! as raw revert data, so that they stay out of this contract's exported ABI.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK generates undocumented functions in wasm (`user_entrypoint`) and export-abi builds.
#![cfg_attr(
    any(target_arch = "wasm32", feature = "export-abi"),
    allow(missing_docs)
)]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolError};
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{
    StorageAddress, StorageBool, StorageMap, StorageU16, StorageU256, StorageU32, StorageU64,
    StorageU8,
};
use tributary_stylus_common::calldata::Malformed;
use tributary_stylus_common::{
    emit, panic_data, AccessControl, AccessControlBadConfirmation,
    AccessControlUnauthorizedAccount, CREDITS, DEFAULT_ADMIN_ROLE, OFFER_CUSTOM,
    OFFER_ROYALTY_LINKED, PANIC_OVERFLOW, PAUSER_ROLE,
};

pub mod calldata;
mod suite;

use calldata::{Offer, Terms};

sol! {
    /// What a licence token records (`ITributaryTypes.Licence`).
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct Licence {
        uint64 datasetId;
        uint32 version;
        uint64 expiresAt;
        uint8 kind;
        bool transferable;
        bool flagged;
        uint16 royaltyBps;
    }
}

sol! {
    /// The errors and events of `contracts/interfaces/ITributaryLicences.sol`, but for
    /// `LicenceFlagged`, which credits emits in the Stylus suite. `OfferKind` is its ABI
    /// type, `uint8`.
    interface ITributaryLicencesAbi {
        error OfferSoldOut(uint256 datasetId, bytes32 offerHash);
        error WrongOfferKind(uint8 kind);
        error WrongPaymentToken(address token);
        error NonTransferable(uint256 tokenId);
        error NotLicenceHolder(uint256 tokenId, address account);
        error InvalidRecipient();
        error MissingReceipt();

        event LicenceIssued(
            uint256 indexed tokenId,
            uint256 indexed datasetId,
            address indexed holder,
            bytes32 offerHash,
            uint32 version,
            uint64 expiresAt,
            bytes32 paymentRef
        );
        event RevenueReported(
            uint256 indexed tokenId,
            uint256 indexed datasetId,
            address indexed token,
            uint256 revenue,
            uint256 royalty,
            bytes32 evidenceHash
        );
    }

    /// Solady `ERC721`'s errors and events, as the Solidity build's token raises and emits them.
    interface IERC721Abi {
        error NotOwnerNorApproved();
        error TokenDoesNotExist();
        error TokenAlreadyExists();
        error BalanceQueryForZeroAddress();
        error TransferToZeroAddress();
        error TransferFromIncorrectOwner();
        error AccountBalanceOverflow();
        error TransferToNonERC721ReceiverImplementer();

        event Transfer(address indexed from, address indexed to, uint256 indexed id);
        event Approval(address indexed owner, address indexed account, uint256 indexed id);
        event ApprovalForAll(address indexed owner, address indexed operator, bool isApproved);
    }

    /// The pause switch's events and errors (OpenZeppelin `Pausable`'s, as `TributaryBase`).
    interface IPausableAbi {
        error EnforcedPause();
        error ExpectedPause();

        event Paused(address account);
        event Unpaused(address account);
    }

    /// Errors declared by other interfaces that licences raises when it checks the same thing
    /// (`docs/stylus.md`). Encoded as raw revert data: they belong to the registry's and
    /// splits' ABI, not to this contract's.
    interface IRaisedErrors {
        error UnknownDataset(uint256 datasetId);
        error NotCreator(uint256 datasetId, address account);
        error DatasetNotActive(uint256 datasetId, uint8 status);
        error TermsMismatch(uint256 datasetId);
        error OfferIndexOutOfRange(uint256 index);
        error WrongPayment(uint256 expected, uint256 sent);
    }
}

pub use IERC721Abi::*;
pub use IPausableAbi::*;
pub use ITributaryLicencesAbi::*;

/// The ERC-721 collection name.
pub const NAME: &str = "Tributary Licence";
/// The ERC-721 collection symbol.
pub const SYMBOL: &str = "TRIBL";

/// Token id layout: `datasetId << 192 | version << 160 | serial`.
const DATASET_SHIFT: usize = 192;
const VERSION_SHIFT: usize = 160;
/// Basis points in a whole.
const BPS: u64 = 10_000;
/// `OfferKind.OneOff`.
const OFFER_ONE_OFF: u8 = 0;
/// `DatasetStatus.Active` and `DatasetStatus.None`.
const STATUS_ACTIVE: u8 = 1;
const STATUS_NONE: u8 = 0;
/// Solady's `_MAX_ACCOUNT_BALANCE`: balances are 32 bits.
const MAX_BALANCE: u32 = u32::MAX;
/// ERC-165 ids: ERC-165, ERC-721, ERC-721 metadata (Solady), `IAccessControl` (OpenZeppelin).
const INTERFACES: [[u8; 4]; 4] = [
    [0x01, 0xff, 0xc9, 0xa7],
    [0x80, 0xac, 0x58, 0xcd],
    [0x5b, 0x5e, 0x13, 0x9f],
    [0x79, 0x65, 0xdb, 0x0b],
];

/// Every way a call to this contract reverts.
#[derive(SolidityError)]
pub enum LicencesError {
    /// `OfferSoldOut(datasetId, offerHash)`.
    OfferSoldOut(OfferSoldOut),
    /// `WrongOfferKind(kind)`.
    WrongOfferKind(WrongOfferKind),
    /// `WrongPaymentToken(token)`.
    WrongPaymentToken(WrongPaymentToken),
    /// `NonTransferable(tokenId)`.
    NonTransferable(NonTransferable),
    /// `NotLicenceHolder(tokenId, account)`.
    NotLicenceHolder(NotLicenceHolder),
    /// `InvalidRecipient()`.
    InvalidRecipient(InvalidRecipient),
    /// `MissingReceipt()`.
    MissingReceipt(MissingReceipt),
    /// Solady's `NotOwnerNorApproved()`.
    NotOwnerNorApproved(NotOwnerNorApproved),
    /// Solady's `TokenDoesNotExist()`.
    TokenDoesNotExist(TokenDoesNotExist),
    /// Solady's `TokenAlreadyExists()` (serials never repeat, so never raised; declared).
    TokenAlreadyExists(TokenAlreadyExists),
    /// Solady's `BalanceQueryForZeroAddress()`.
    BalanceQueryForZeroAddress(BalanceQueryForZeroAddress),
    /// Solady's `TransferToZeroAddress()`.
    TransferToZeroAddress(TransferToZeroAddress),
    /// Solady's `TransferFromIncorrectOwner()`.
    TransferFromIncorrectOwner(TransferFromIncorrectOwner),
    /// Solady's `AccountBalanceOverflow()`: a balance would pass 2^32 - 1.
    AccountBalanceOverflow(AccountBalanceOverflow),
    /// Solady's `TransferToNonERC721ReceiverImplementer()`.
    TransferToNonERC721ReceiverImplementer(TransferToNonERC721ReceiverImplementer),
    /// `EnforcedPause()`.
    EnforcedPause(EnforcedPause),
    /// `ExpectedPause()`.
    ExpectedPause(ExpectedPause),
    /// `AccessControlUnauthorizedAccount(account, neededRole)`.
    AccessControlUnauthorizedAccount(AccessControlUnauthorizedAccount),
    /// `AccessControlBadConfirmation()`.
    AccessControlBadConfirmation(AccessControlBadConfirmation),
    /// Revert data as it is: a callee's revert bubbled, an error of another interface
    /// ([`IRaisedErrors`]), Solidity's `Panic(0x11)`, or the empty revert of its calldata
    /// validation. Absent from the exported ABI, which lists declared errors only.
    #[cfg(not(feature = "export-abi"))]
    Raw(stylus_sdk::stylus_core::calls::errors::Error),
}

impl LicencesError {
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

    /// An error of [`IRaisedErrors`]: its selector and its arguments as words.
    fn raised(selector: [u8; 4], words: &[B256]) -> Self {
        let mut data = Vec::with_capacity(4 + 32 * words.len());
        data.extend_from_slice(&selector);
        for word in words {
            data.extend_from_slice(word.as_slice());
        }
        Self::raw(data)
    }

    /// Solidity's checked arithmetic overflowing.
    fn overflow() -> Self {
        Self::raw(panic_data(PANIC_OVERFLOW))
    }

    /// `WrongPayment(0, sent)`: ETH sent with a call that takes none.
    fn wrong_payment(sent: U256) -> Self {
        Self::raised(
            IRaisedErrors::WrongPayment::SELECTOR,
            &[B256::ZERO, sent.into()],
        )
    }
}

impl From<Malformed> for LicencesError {
    /// Calldata Solidity's decoder refuses: an empty revert.
    fn from(_: Malformed) -> Self {
        Self::raw(Vec::new())
    }
}

type Result<T, E = LicencesError> = core::result::Result<T, E>;

/// A licence token: its holder and what the Solidity build keeps in the 96 bits of extra data
/// beside the owner (the `flagged` bit lives in credits here). 20 + 8 + 2 + 1 + 1 bytes: one
/// slot, as in Solady.
#[storage]
pub struct TokenRecord {
    owner: StorageAddress,
    expires_at: StorageU64,
    royalty_bps: StorageU16,
    kind: StorageU8,
    transferable: StorageBool,
}

/// One entry of the holder index (`HolderIndex`): the latest expiry among the licences a
/// holder holds for a dataset, and how many of them share it.
#[storage]
pub struct HolderEntry {
    until: StorageU64,
    count: StorageU32,
}

/// The licences contract. Storage: the role table; the registry, splits and credits it
/// calls; the pause switch and the last serial; the ERC-721 (per token its record and
/// approval, per holder its balance and operators); the holder index; the royalty token of
/// royalty-linked licences paid in an ERC-20; the licences sold under each capped offer.
#[storage]
#[entrypoint]
pub struct Licences {
    access: AccessControl,
    registry: StorageAddress,
    splits: StorageAddress,
    credits: StorageAddress,
    paused: StorageBool,
    last_serial: StorageU64,
    tokens: StorageMap<U256, TokenRecord>,
    approvals: StorageMap<U256, StorageAddress>,
    balances: StorageMap<Address, StorageU32>,
    operators: StorageMap<Address, StorageMap<Address, StorageBool>>,
    holder_index: StorageMap<Address, StorageMap<U256, HolderEntry>>,
    royalty_tokens: StorageMap<U256, StorageAddress>,
    offer_sold: StorageMap<U256, StorageMap<B256, StorageU256>>,
}

#[public]
impl Licences {
    /// Grants `DEFAULT_ADMIN_ROLE` to `admin` and records the suite contracts it calls.
    #[constructor]
    pub fn constructor(
        &mut self,
        admin: Address,
        registry: Address,
        splits: Address,
        credits: Address,
    ) {
        let sender = self.vm().msg_sender();
        self.access.grant(DEFAULT_ADMIN_ROLE, admin, sender);
        self.registry.set(registry);
        self.splits.set(splits);
        self.credits.set(credits);
    }

    /// Dispatches every other function (see [`calldata`]); an unknown selector reverts empty,
    /// as the router does. Payable: the payable functions take the value, the others refuse it.
    #[fallback]
    #[payable]
    pub fn fallback(&mut self, input: &[u8]) -> stylus_sdk::ArbResult {
        calldata::dispatch(self, input)
    }

    /// The holder of `id`. The one ERC-721 function the SDK's router dispatches: its
    /// `Result` carries [`LicencesError`] into the exported ABI; the others are dispatched by
    /// the fallback ([`calldata`]).
    pub fn owner_of(&self, id: U256) -> Result<Address> {
        let owner = self.tokens.getter(id).owner.get();
        if owner.is_zero() {
            return Err(TokenDoesNotExist {}.into());
        }
        Ok(owner)
    }
}

/// The functions dispatched by the fallback with simple arguments ([`calldata`]), in the
/// order of the ABI: licence actions and views, pause, ERC-721, AccessControl.
impl Licences {
    // ------------------------------------------------------------------ licence actions

    /// Re-index a held licence for `isLicensed`: raises the holder's entry for the dataset to
    /// the licence's expiry (never lowers it, so a licence is never counted twice).
    pub fn refresh_licence(&mut self, token_id: U256) -> Result<()> {
        let holder = self.owner_of(token_id)?;
        let dataset_id = token_id >> DATASET_SHIFT;
        let expires_at = self.tokens.getter(token_id).expires_at.get().as_limbs()[0];
        let mut entry = self.holder_index.setter(holder);
        let mut entry = entry.setter(dataset_id);
        if expires_at > entry.until.get().as_limbs()[0] {
            entry.until.set(alloy_primitives::Uint::from(expires_at));
            entry.count.set(alloy_primitives::Uint::from(1u32));
        }
        Ok(())
    }

    // ------------------------------------------------------------------ licence views

    /// Whether `account` holds an unexpired licence for `datasetId` now.
    pub fn is_licensed(&self, account: Address, dataset_id: U256) -> bool {
        self.licensed_until(account, dataset_id) > self.vm().block_timestamp()
    }

    /// Until when `account` is licensed for `datasetId` (0 if not; `2^64 - 1` perpetual).
    pub fn licensed_until(&self, account: Address, dataset_id: U256) -> u64 {
        self.holder_index
            .getter(account)
            .getter(dataset_id)
            .until
            .get()
            .as_limbs()[0]
    }

    /// What a licence token records; `flagged` is read from credits.
    pub fn licence(&self, token_id: U256) -> Result<Licence> {
        self.owner_of(token_id)?;
        let token = self.tokens.getter(token_id);
        Ok(Licence {
            datasetId: (token_id >> DATASET_SHIFT).as_limbs()[0],
            version: (token_id >> VERSION_SHIFT).as_limbs()[0] as u32,
            expiresAt: token.expires_at.get().as_limbs()[0],
            kind: token.kind.get().as_limbs()[0] as u8,
            transferable: token.transferable.get(),
            flagged: self.licence_flagged(token_id)?,
            royaltyBps: token.royalty_bps.get().as_limbs()[0] as u16,
        })
    }

    /// The payment token of a licence (where royalties are paid).
    pub fn licence_payment_token(&self, token_id: U256) -> Result<Address> {
        self.owner_of(token_id)?;
        Ok(self.royalty_tokens.get(token_id))
    }

    /// Licences sold so far under a capped offer of a dataset.
    pub fn offer_sold(&self, dataset_id: U256, offer_hash: B256) -> U256 {
        self.offer_sold.getter(dataset_id).get(offer_hash)
    }

    // ------------------------------------------------------------------ pause

    /// `keccak256("PAUSER_ROLE")`.
    pub fn pauser_role(&self) -> B256 {
        PAUSER_ROLE
    }

    /// Pause purchases, custom issues, revenue reports and (through credits' copy of the
    /// switch) credit minting. `PAUSER_ROLE` only.
    pub fn pause(&mut self) -> Result<()> {
        self.set_paused(true)
    }

    /// Lift the pause. `PAUSER_ROLE` only.
    pub fn unpause(&mut self) -> Result<()> {
        self.set_paused(false)
    }

    /// Whether the suite is paused (as OpenZeppelin `Pausable`).
    pub fn paused(&self) -> bool {
        self.paused.get()
    }

    // ------------------------------------------------------------------ ERC-721

    /// The collection name.
    pub fn name() -> &'static str {
        NAME
    }

    /// The collection symbol.
    pub fn symbol() -> &'static str {
        SYMBOL
    }

    /// No metadata URI: empty for every existing token.
    pub fn token_uri(&self, token_id: U256) -> Result<&'static str> {
        self.owner_of(token_id)?;
        Ok("")
    }

    /// ERC-165: ERC-721, its metadata extension, and AccessControl.
    pub fn supports_interface(&self, interface_id: [u8; 4]) -> bool {
        INTERFACES.contains(&interface_id)
    }

    /// How many licences `owner` holds.
    pub fn balance_of(&self, owner: Address) -> Result<U256> {
        if owner.is_zero() {
            return Err(BalanceQueryForZeroAddress {}.into());
        }
        Ok(U256::from(self.balance(owner)))
    }

    /// The address approved for `id`.
    pub fn get_approved(&self, id: U256) -> Result<Address> {
        self.owner_of(id)?;
        Ok(self.approvals.get(id))
    }

    /// Whether `operator` may move every licence of `owner`.
    pub fn is_approved_for_all(&self, owner: Address, operator: Address) -> bool {
        self.operators.getter(owner).get(operator)
    }

    /// Approve `account` for `id`. Payable in the ABI (Solady's), but refuses ETH.
    pub fn approve(&mut self, account: Address, id: U256) -> Result<()> {
        let sent = self.vm().msg_value();
        if !sent.is_zero() {
            return Err(LicencesError::wrong_payment(sent));
        }
        let owner = self.owner_of(id)?;
        let caller = self.vm().msg_sender();
        if caller != owner && !self.is_approved_for_all(owner, caller) {
            return Err(NotOwnerNorApproved {}.into());
        }
        self.approvals.insert(id, account);
        emit(self.vm(), &Approval { owner, account, id });
        Ok(())
    }

    /// Let `operator` move every licence of the caller (or stop it).
    pub fn set_approval_for_all(&mut self, operator: Address, is_approved: bool) {
        let owner = self.vm().msg_sender();
        self.operators.setter(owner).insert(operator, is_approved);
        emit(
            self.vm(),
            &ApprovalForAll {
                owner,
                operator,
                isApproved: is_approved,
            },
        );
    }

    /// Move licence `id` from `from` to `to`. Payable in the ABI (Solady's), but refuses ETH.
    pub fn transfer_from(&mut self, from: Address, to: Address, id: U256) -> Result<()> {
        self.transfer(from, to, id)
    }

    /// `transferFrom`, then `onERC721Received` if `to` is a contract.
    pub fn safe_transfer_from(&mut self, from: Address, to: Address, id: U256) -> Result<()> {
        self.transfer(from, to, id)?;
        self.check_received(from, to, id, &[])
    }

    /// `transferFrom`, then `onERC721Received(operator, from, id, data)` if `to` is a contract.
    pub fn safe_transfer_from_with_data(
        &mut self,
        from: Address,
        to: Address,
        id: U256,
        data: &[u8],
    ) -> Result<()> {
        self.transfer(from, to, id)?;
        self.check_received(from, to, id, data)
    }

    // ------------------------------------------------------------------ AccessControl

    /// `bytes32(0)`: the role that administers every role.
    pub fn default_admin_role(&self) -> B256 {
        DEFAULT_ADMIN_ROLE
    }

    /// Whether `account` holds `role`.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.access.has_role(role, account)
    }

    /// The admin role of `role`: always `DEFAULT_ADMIN_ROLE`.
    pub fn get_role_admin(&self, role: B256) -> B256 {
        self.access.role_admin(role)
    }

    /// Grant `role` to `account`. Admin of the role only.
    pub fn grant_role(&mut self, role: B256, account: Address) -> Result<()> {
        let sender = self.vm().msg_sender();
        Ok(self.access.grant_role(role, account, sender)?)
    }

    /// Revoke `role` from `account`. Admin of the role only.
    pub fn revoke_role(&mut self, role: B256, account: Address) -> Result<()> {
        let sender = self.vm().msg_sender();
        Ok(self.access.revoke_role(role, account, sender)?)
    }

    /// Give up `role`; `caller_confirmation` must be the caller.
    pub fn renounce_role(&mut self, role: B256, caller_confirmation: Address) -> Result<()> {
        let sender = self.vm().msg_sender();
        Ok(self
            .access
            .renounce_role(role, caller_confirmation, sender)?)
    }
}

/// The functions that take a `Terms`, reached through the fallback (`calldata::dispatch`).
impl Licences {
    /// Buy a licence with ETH (`msg.value` = price) or an allow-listed ERC-20 (approved to
    /// splits beforehand), minted to `recipient`.
    pub(crate) fn purchase(
        &mut self,
        dataset_id: U256,
        terms: Terms,
        offer_index: U256,
        recipient: Address,
    ) -> Result<U256> {
        self.when_not_paused()?;
        let (offer, version, _) = self.current_offer(dataset_id, &terms, offer_index)?;
        if offer.kind != OFFER_ONE_OFF && offer.kind != OFFER_ROYALTY_LINKED {
            return Err(WrongOfferKind { kind: offer.kind }.into());
        }
        if offer.payment_token == CREDITS {
            return Err(WrongPaymentToken {
                token: offer.payment_token,
            }
            .into());
        }
        let buyer = self.vm().msg_sender();
        let value = self.vm().msg_value();
        self.receive_payment(
            value,
            terms.split_hash,
            offer.payment_token,
            dataset_id,
            buyer,
            U256::from(offer.price),
        )?;
        let token_id = self.new_token_id(dataset_id, version)?;
        self.issue(token_id, recipient, dataset_id, version, &offer, B256::ZERO)?;
        Ok(token_id)
    }

    /// Buy a licence priced in `CREDITS` with the credits of one payment (its account or a
    /// relayer calls).
    pub(crate) fn purchase_with_credits(
        &mut self,
        payment_id: B256,
        dataset_id: U256,
        terms: Terms,
        offer_index: U256,
        recipient: Address,
    ) -> Result<U256> {
        self.when_not_paused()?;
        let (offer, version, _) = self.current_offer(dataset_id, &terms, offer_index)?;
        if offer.kind != OFFER_ONE_OFF {
            return Err(WrongOfferKind { kind: offer.kind }.into());
        }
        if offer.payment_token != CREDITS {
            return Err(WrongPaymentToken {
                token: offer.payment_token,
            }
            .into());
        }
        let token_id = self.new_token_id(dataset_id, version)?;
        let price = U256::from(offer.price);
        let account = self.spend_credits(payment_id, price, token_id)?;
        self.receive_payment(
            U256::ZERO,
            terms.split_hash,
            CREDITS,
            dataset_id,
            account,
            price,
        )?;
        self.issue(token_id, recipient, dataset_id, version, &offer, payment_id)?;
        Ok(token_id)
    }

    /// The creator issues a `Custom` licence for an off-chain deal, recorded by receipt hash.
    pub(crate) fn issue_custom_licence(
        &mut self,
        dataset_id: U256,
        terms: Terms,
        offer_index: U256,
        recipient: Address,
        receipt_hash: B256,
    ) -> Result<U256> {
        self.when_not_paused()?;
        let (offer, version, creator) = self.current_offer(dataset_id, &terms, offer_index)?;
        let caller = self.vm().msg_sender();
        if caller != creator {
            return Err(LicencesError::raised(
                IRaisedErrors::NotCreator::SELECTOR,
                &[dataset_id.into(), caller.into_word()],
            ));
        }
        if offer.kind != OFFER_CUSTOM {
            return Err(WrongOfferKind { kind: offer.kind }.into());
        }
        if receipt_hash.is_zero() {
            return Err(MissingReceipt {}.into());
        }
        let token_id = self.new_token_id(dataset_id, version)?;
        self.issue(
            token_id,
            recipient,
            dataset_id,
            version,
            &offer,
            receipt_hash,
        )?;
        Ok(token_id)
    }

    /// A royalty-linked licensee reports downstream `revenue` and pays
    /// `revenue × royaltyBps / 10 000` into the dataset's current split.
    pub(crate) fn report_revenue(
        &mut self,
        token_id: U256,
        revenue: U256,
        evidence_hash: B256,
        terms: Terms,
    ) -> Result<U256> {
        self.when_not_paused()?;
        let caller = self.vm().msg_sender();
        if self.tokens.getter(token_id).owner.get() != caller {
            return Err(NotLicenceHolder {
                tokenId: token_id,
                account: caller,
            }
            .into());
        }
        let token = self.tokens.getter(token_id);
        let kind = token.kind.get().as_limbs()[0] as u8;
        if kind != OFFER_ROYALTY_LINKED {
            return Err(WrongOfferKind { kind }.into());
        }
        let bps = token.royalty_bps.get().as_limbs()[0];
        let dataset_id = token_id >> DATASET_SHIFT;
        // Royalties stay owed whatever the dataset's status, so only the terms are checked.
        let record = self.dataset(dataset_id)?;
        self.check_terms(dataset_id, &terms, record.terms_hash)?;
        let payment_token = self.royalty_tokens.get(token_id);
        let royalty = royalty_of(revenue, bps)?;
        let value = self.vm().msg_value();
        self.receive_payment(
            value,
            terms.split_hash,
            payment_token,
            dataset_id,
            caller,
            royalty,
        )?;
        emit(
            self.vm(),
            &RevenueReported {
                tokenId: token_id,
                datasetId: dataset_id,
                token: payment_token,
                revenue,
                royalty,
                evidenceHash: evidence_hash,
            },
        );
        Ok(royalty)
    }
}

impl Licences {
    fn when_not_paused(&self) -> Result<()> {
        if self.paused.get() {
            return Err(EnforcedPause {}.into());
        }
        Ok(())
    }

    /// `pause`/`unpause`: role, state check, the switch here and credits' copy, the event.
    fn set_paused(&mut self, paused: bool) -> Result<()> {
        let caller = self.vm().msg_sender();
        self.access.check_role(PAUSER_ROLE, caller)?;
        if self.paused.get() {
            if paused {
                return Err(EnforcedPause {}.into());
            }
        } else if !paused {
            return Err(ExpectedPause {}.into());
        }
        self.paused.set(paused);
        self.mirror_pause(paused)?;
        if paused {
            emit(self.vm(), &Paused { account: caller });
        } else {
            emit(self.vm(), &Unpaused { account: caller });
        }
        Ok(())
    }

    /// `_currentOffer`: the dataset is active, the resent terms are its current ones, and the
    /// index names one of their offers. Returns the offer, the dataset's version count and its
    /// creator.
    fn current_offer(
        &self,
        dataset_id: U256,
        terms: &Terms,
        offer_index: U256,
    ) -> Result<(Offer, u32, Address)> {
        let record = self.dataset(dataset_id)?;
        if record.status != STATUS_ACTIVE {
            if record.status == STATUS_NONE {
                return Err(LicencesError::raised(
                    IRaisedErrors::UnknownDataset::SELECTOR,
                    &[dataset_id.into()],
                ));
            }
            return Err(LicencesError::raised(
                IRaisedErrors::DatasetNotActive::SELECTOR,
                &[dataset_id.into(), U256::from(record.status).into()],
            ));
        }
        let count = self.check_terms(dataset_id, terms, record.terms_hash)?;
        if offer_index >= U256::from(count) {
            return Err(LicencesError::raised(
                IRaisedErrors::OfferIndexOutOfRange::SELECTOR,
                &[offer_index.into()],
            ));
        }
        let offer = terms.offer(offer_index.as_limbs()[0] as usize)?;
        Ok((offer, record.version_count, record.creator))
    }

    /// `_checkResentTerms`: the terms hash of the resent terms is the registry's. Returns the
    /// number of offers.
    fn check_terms(&self, dataset_id: U256, terms: &Terms, stored: B256) -> Result<usize> {
        let (hash, count) = terms.hash()?;
        if hash != stored {
            return Err(LicencesError::raised(
                IRaisedErrors::TermsMismatch::SELECTOR,
                &[dataset_id.into()],
            ));
        }
        Ok(count)
    }

    /// `_newTokenId`: the next serial (a checked 64-bit counter) under the dataset and version.
    fn new_token_id(&mut self, dataset_id: U256, version: u32) -> Result<U256> {
        let serial = self.last_serial.get().as_limbs()[0]
            .checked_add(1)
            .ok_or_else(LicencesError::overflow)?;
        self.last_serial.set(alloy_primitives::Uint::from(serial));
        Ok((dataset_id << DATASET_SHIFT)
            | (U256::from(version) << VERSION_SHIFT)
            | U256::from(serial))
    }

    /// `_issue`: records licence `tokenId` for `offer` and mints it to `recipient` (last, so
    /// the receiver hook sees a complete state).
    fn issue(
        &mut self,
        token_id: U256,
        recipient: Address,
        dataset_id: U256,
        version: u32,
        offer: &Offer,
        payment_ref: B256,
    ) -> Result<()> {
        if recipient.is_zero() {
            return Err(InvalidRecipient {}.into());
        }
        if offer.supply_cap != 0 {
            let mut sold = self.offer_sold.setter(dataset_id);
            let mut sold = sold.setter(offer.hash);
            let count = sold.get() + U256::from(1);
            if count > U256::from(offer.supply_cap) {
                return Err(OfferSoldOut {
                    datasetId: dataset_id,
                    offerHash: offer.hash,
                }
                .into());
            }
            sold.set(count);
        }
        let expires_at = self.expiry(offer.duration);
        if offer.kind == OFFER_ROYALTY_LINKED && !offer.payment_token.is_zero() {
            self.royalty_tokens.insert(token_id, offer.payment_token);
        }
        emit(
            self.vm(),
            &LicenceIssued {
                tokenId: token_id,
                datasetId: dataset_id,
                holder: recipient,
                offerHash: offer.hash,
                version,
                expiresAt: expires_at,
                paymentRef: payment_ref,
            },
        );
        let mut token = self.tokens.setter(token_id);
        token
            .expires_at
            .set(alloy_primitives::Uint::from(expires_at));
        token
            .royalty_bps
            .set(alloy_primitives::Uint::from(offer.royalty_bps));
        token.kind.set(alloy_primitives::Uint::from(offer.kind));
        token.transferable.set(offer.transferable);
        self.mint(recipient, token_id, dataset_id, expires_at)
    }

    /// `_expiry`: perpetual (duration 0), or a duration that would pass 64 bits, is
    /// `2^64 - 1`.
    fn expiry(&self, duration: u64) -> u64 {
        if duration == 0 {
            return u64::MAX;
        }
        self.vm()
            .block_timestamp()
            .checked_add(duration)
            .filter(|end| *end < u64::MAX)
            .unwrap_or(u64::MAX)
    }

    // ------------------------------------------------------------------ ERC-721 internals

    fn balance(&self, owner: Address) -> u32 {
        self.balances.get(owner).as_limbs()[0] as u32
    }

    /// Adds one licence to `to`'s balance: Solady's checks, `TransferToZeroAddress` before
    /// `AccountBalanceOverflow`.
    fn credit_balance(&mut self, to: Address) -> Result<()> {
        if to.is_zero() {
            return Err(TransferToZeroAddress {}.into());
        }
        let balance = self.balance(to);
        if balance == MAX_BALANCE {
            return Err(AccountBalanceOverflow {}.into());
        }
        self.balances
            .insert(to, alloy_primitives::Uint::from(balance + 1));
        Ok(())
    }

    /// Solady's `_safeMint` with its `_beforeTokenTransfer` hook (the holder index).
    fn mint(
        &mut self,
        to: Address,
        token_id: U256,
        dataset_id: U256,
        expires_at: u64,
    ) -> Result<()> {
        self.index(to, dataset_id, expires_at)?;
        if !self.tokens.getter(token_id).owner.get().is_zero() {
            return Err(TokenAlreadyExists {}.into());
        }
        self.tokens.setter(token_id).owner.set(to);
        self.credit_balance(to)?;
        emit(
            self.vm(),
            &Transfer {
                from: Address::ZERO,
                to,
                id: token_id,
            },
        );
        self.check_received(Address::ZERO, to, token_id, &[])
    }

    /// Solady's `transferFrom` with the Solidity build's `_beforeTokenTransfer` first.
    fn transfer(&mut self, from: Address, to: Address, id: U256) -> Result<()> {
        self.before_transfer(from, to, id)?;
        let owner = self.tokens.getter(id).owner.get();
        if owner.is_zero() {
            return Err(TokenDoesNotExist {}.into());
        }
        if owner != from {
            return Err(TransferFromIncorrectOwner {}.into());
        }
        let caller = self.vm().msg_sender();
        let approved = self.approvals.get(id);
        if caller != from && caller != approved && !self.is_approved_for_all(from, caller) {
            return Err(NotOwnerNorApproved {}.into());
        }
        if !approved.is_zero() {
            self.approvals.insert(id, Address::ZERO);
        }
        self.tokens.setter(id).owner.set(to);
        let from_balance = self.balance(from);
        self.balances
            .insert(from, alloy_primitives::Uint::from(from_balance - 1));
        self.credit_balance(to)?;
        emit(self.vm(), &Transfer { from, to, id });
        Ok(())
    }

    /// The Solidity build's `_beforeTokenTransfer` for a transfer (`from` non-zero): refuses
    /// a non-transferable licence and ETH, and moves the licence in the holder index. A
    /// transfer the ERC-721 checks will refuse (unknown token, wrong `from`) is left to them.
    /// (For `from` zero, the hook's indexing is undone by the ERC-721's revert that follows.)
    fn before_transfer(&mut self, from: Address, to: Address, id: U256) -> Result<()> {
        let token = self.tokens.getter(id);
        if from.is_zero() || token.owner.get() != from {
            return Ok(());
        }
        if !token.transferable.get() {
            return Err(NonTransferable { tokenId: id }.into());
        }
        let sent = self.vm().msg_value();
        if !sent.is_zero() {
            return Err(LicencesError::wrong_payment(sent));
        }
        if to.is_zero() {
            return Ok(());
        }
        let expires_at = token.expires_at.get().as_limbs()[0];
        let dataset_id = id >> DATASET_SHIFT;
        self.unindex(from, dataset_id, expires_at);
        self.index(to, dataset_id, expires_at)
    }

    /// `_index`: a licence expiring at `expiresAt` joins `holder`'s entry for the dataset.
    fn index(&mut self, holder: Address, dataset_id: U256, expires_at: u64) -> Result<()> {
        let mut entry = self.holder_index.setter(holder);
        let mut entry = entry.setter(dataset_id);
        let until = entry.until.get().as_limbs()[0];
        if expires_at > until {
            entry.until.set(alloy_primitives::Uint::from(expires_at));
            entry.count.set(alloy_primitives::Uint::from(1u32));
        } else if expires_at == until {
            let count = (entry.count.get().as_limbs()[0] as u32)
                .checked_add(1)
                .ok_or_else(LicencesError::overflow)?;
            entry.count.set(alloy_primitives::Uint::from(count));
        }
        Ok(())
    }

    /// `_unindex`: a licence expiring at `expiresAt` leaves `holder`'s entry. Losing the last
    /// licence at the entry's expiry resets it to zero (see `refreshLicence`).
    fn unindex(&mut self, holder: Address, dataset_id: U256, expires_at: u64) {
        let mut entry = self.holder_index.setter(holder);
        let mut entry = entry.setter(dataset_id);
        if expires_at != entry.until.get().as_limbs()[0] {
            return;
        }
        let count = entry.count.get().as_limbs()[0] as u32;
        if count > 1 {
            entry.count.set(alloy_primitives::Uint::from(count - 1));
        } else {
            entry.until.set(alloy_primitives::Uint::from(0u64));
            entry.count.set(alloy_primitives::Uint::from(0u32));
        }
    }
}

/// `Math.mulDiv(revenue, bps, 10_000)` for `bps <= 10_000` (the registry's cap): with
/// `revenue = q × 10 000 + r`, the result is `q × bps + r × bps / 10 000`, which never passes
/// `revenue`. A larger `bps` that overflows reverts `Panic(0x11)`, as `mulDiv` does.
fn royalty_of(revenue: U256, bps: u64) -> Result<U256> {
    let quotient = tributary_stylus_common::div_small(revenue, BPS);
    let remainder = (revenue
        - tributary_stylus_common::mul_small(quotient, BPS).unwrap_or_default())
    .as_limbs()[0];
    tributary_stylus_common::mul_small(quotient, bps)
        .and_then(|whole| whole.checked_add(U256::from(remainder * bps / BPS)))
        .ok_or_else(LicencesError::overflow)
}

/// A dataset's record as the registry's `dataset(id)` returns it.
struct DatasetRecord {
    creator: Address,
    status: u8,
    version_count: u32,
    terms_hash: B256,
}

#[cfg(test)]
mod tests;
