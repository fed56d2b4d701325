//! Tributary's fiat credits ledger, as an Arbitrum Stylus contract.
//!
//! Implements `contracts/interfaces/ITributaryCredits.sol` with the semantics of
//! `contracts/modules/Credits.sol`: the relayer mints non-transferable credits keyed by a fiat
//! payment id (one payment id, one credit, ever); credits buy licences; a reversal burns the
//! unspent credits and flags every licence bought with the spent ones.
//!
//! In the Stylus suite (`docs/stylus.md`) the licences contract calls three suite-internal
//! functions here, restricted to `SUITE_ROLE`: [`Credits::spend_credits`] (the Solidity
//! `_spendCredits`, with the buyer passed as `spender` since `msg.sender` is licences),
//! [`Credits::set_paused`] (credits' copy of the suite's pause switch, read by `mintCredits`)
//! and the unrestricted view [`Credits::licence_flagged`] (the `flagged` bit that the Solidity
//! build keeps in the token's extra data, set here by `reverseCredits`).
//!
//! Roles: OpenZeppelin 5 `AccessControl` semantics in this contract's own role table:
//! `DEFAULT_ADMIN_ROLE` grants roles, `RELAYER_ROLE` mints, reverses and spends for card buyers,
//! `SUITE_ROLE` may call the suite-internal functions.
//!
//! Reverts are byte-for-byte the Solidity build's, in the same order of checks.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK generates undocumented functions in wasm (`user_entrypoint`) and export-abi builds.
#![cfg_attr(
    any(target_arch = "wasm32", feature = "export-abi"),
    allow(missing_docs)
)]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U96, Address, B256, U256};
use alloy_sol_types::sol;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{
    StorageAddress, StorageBool, StorageMap, StorageU256, StorageUint, StorageVec,
};
use tributary_stylus_common::{
    emit, panic_data, AccessControl, AccessControlBadConfirmation,
    AccessControlUnauthorizedAccount, DEFAULT_ADMIN_ROLE, PANIC_OVERFLOW, RELAYER_ROLE, SUITE_ROLE,
};

sol! {
    /// A fiat payment credited on-chain (`ITributaryTypes.CreditPayment`).
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct CreditPayment {
        address account;
        uint96 amount;
        uint96 spent;
        bool reversed;
    }
}

sol! {
    /// The errors and events of `contracts/interfaces/ITributaryCredits.sol`, exactly, and
    /// `LicenceFlagged` of `ITributaryLicences.sol`, which the Stylus suite emits here.
    interface ITributaryCreditsAbi {
        error PaymentAlreadyCredited(bytes32 paymentId);
        error PaymentAlreadyReversed(bytes32 paymentId);
        error UnknownPayment(bytes32 paymentId);
        error InsufficientCredits(bytes32 paymentId, uint256 available, uint256 needed);
        error NotPaymentAccount(bytes32 paymentId, address caller);
        error InvalidCredit();
        error TooManyLicencesForPayment(bytes32 paymentId);

        event CreditsMinted(bytes32 indexed paymentId, address indexed account, uint256 amount);
        event CreditsSpent(bytes32 indexed paymentId, uint256 indexed tokenId, uint256 amount);
        event CreditsReversed(
            bytes32 indexed paymentId,
            address indexed account,
            uint256 burned,
            uint256 spent,
            uint256[] flaggedTokenIds
        );
        event LicenceFlagged(uint256 indexed tokenId, bytes32 indexed paymentId);
    }

    /// OpenZeppelin `Pausable`'s error, raised by `mintCredits` while the suite is paused.
    interface IPauseErrors {
        error EnforcedPause();
    }
}

pub use IPauseErrors::EnforcedPause;
pub use ITributaryCreditsAbi::*;

/// Largest number of licences one payment's credits may buy (`MAX_LICENCES_PER_PAYMENT`).
pub const MAX_LICENCES_PER_PAYMENT: usize = 32;

/// Every way a call to this contract reverts.
#[derive(SolidityError)]
pub enum CreditsError {
    /// `PaymentAlreadyCredited(paymentId)`.
    PaymentAlreadyCredited(PaymentAlreadyCredited),
    /// `PaymentAlreadyReversed(paymentId)`.
    PaymentAlreadyReversed(PaymentAlreadyReversed),
    /// `UnknownPayment(paymentId)`.
    UnknownPayment(UnknownPayment),
    /// `InsufficientCredits(paymentId, available, needed)`.
    InsufficientCredits(InsufficientCredits),
    /// `NotPaymentAccount(paymentId, caller)`.
    NotPaymentAccount(NotPaymentAccount),
    /// `InvalidCredit()`.
    InvalidCredit(InvalidCredit),
    /// `TooManyLicencesForPayment(paymentId)`.
    TooManyLicencesForPayment(TooManyLicencesForPayment),
    /// `EnforcedPause()`.
    EnforcedPause(EnforcedPause),
    /// `AccessControlUnauthorizedAccount(account, neededRole)`.
    AccessControlUnauthorizedAccount(AccessControlUnauthorizedAccount),
    /// `AccessControlBadConfirmation()`.
    AccessControlBadConfirmation(AccessControlBadConfirmation),
    /// Solidity's `Panic(0x11)` on a checked overflow. Absent from the exported ABI, which
    /// lists declared errors only.
    #[cfg(not(feature = "export-abi"))]
    Raw(stylus_sdk::stylus_core::calls::errors::Error),
}

impl CreditsError {
    fn overflow() -> Self {
        #[cfg(not(feature = "export-abi"))]
        {
            Self::Raw(stylus_sdk::stylus_core::calls::errors::Error::Revert(
                panic_data(PANIC_OVERFLOW),
            ))
        }
        #[cfg(feature = "export-abi")]
        {
            // An export-abi build prints the ABI and runs no contract code.
            let _ = panic_data(PANIC_OVERFLOW);
            unreachable!("contract code does not run in an export-abi build")
        }
    }
}

type Result<T, E = CreditsError> = core::result::Result<T, E>;

/// Solidity's `uint96(value)` for a value already checked to fit.
fn low_96(value: U256) -> U96 {
    let [low, high, ..] = *value.as_limbs();
    U96::from_limbs([low, high & 0xffff_ffff])
}

/// The record of a payment id: the storage form of [`CreditPayment`], packed as Solidity packs
/// it (account and amount in one slot, spent and reversed in the next).
#[storage]
pub struct PaymentRecord {
    account: StorageAddress,
    amount: StorageUint<96, 2>,
    spent: StorageUint<96, 2>,
    reversed: StorageBool,
}

/// The credits contract. Storage: the role table, the pause switch's copy, per payment id its
/// record and the licences its credits bought, per account its unspent credits, per licence
/// whether a reversal flagged it.
#[storage]
#[entrypoint]
pub struct Credits {
    access: AccessControl,
    paused: StorageBool,
    payments: StorageMap<B256, PaymentRecord>,
    payment_licences: StorageMap<B256, StorageVec<StorageU256>>,
    credit_balances: StorageMap<Address, StorageU256>,
    flagged: StorageMap<U256, StorageBool>,
}

#[public]
impl Credits {
    /// Grants `DEFAULT_ADMIN_ROLE` to `admin`, as the Solidity build's constructor does.
    #[constructor]
    pub fn constructor(&mut self, admin: Address) {
        let sender = self.vm().msg_sender();
        self.access.grant(DEFAULT_ADMIN_ROLE, admin, sender);
    }

    // ------------------------------------------------------------------ relayer actions

    /// Credit `amount` to `account` for the fiat payment `paymentId`. Relayer only, not while
    /// paused (checked in that order, as `onlyRole(RELAYER_ROLE) whenNotPaused`).
    pub fn mint_credits(&mut self, payment_id: B256, account: Address, amount: U256) -> Result<()> {
        self.only_role(RELAYER_ROLE)?;
        if self.paused.get() {
            return Err(EnforcedPause {}.into());
        }
        if payment_id.is_zero()
            || account.is_zero()
            || amount.is_zero()
            || amount > U256::from(U96::MAX)
        {
            return Err(InvalidCredit {}.into());
        }
        let mut payment = self.payments.setter(payment_id);
        if payment.reversed.get() {
            return Err(PaymentAlreadyReversed {
                paymentId: payment_id,
            }
            .into());
        }
        if !payment.account.get().is_zero() {
            return Err(PaymentAlreadyCredited {
                paymentId: payment_id,
            }
            .into());
        }
        payment.account.set(account);
        payment.amount.set(low_96(amount));
        let balance = self
            .credit_balances
            .get(account)
            .checked_add(amount)
            .ok_or_else(CreditsError::overflow)?;
        self.credit_balances.insert(account, balance);
        emit(
            self.vm(),
            &CreditsMinted {
                paymentId: payment_id,
                account,
                amount,
            },
        );
        Ok(())
    }

    /// Reverse a refunded or disputed payment: burn its unspent credits and flag every licence
    /// bought with its spent ones (`LicenceFlagged` each, then `CreditsReversed`). Relayer only;
    /// open while paused. A payment id not yet credited is recorded as reversed, so its late
    /// credit is refused.
    pub fn reverse_credits(&mut self, payment_id: B256) -> Result<()> {
        self.only_role(RELAYER_ROLE)?;
        if payment_id.is_zero() {
            return Err(InvalidCredit {}.into());
        }
        let mut payment = self.payments.setter(payment_id);
        if payment.reversed.get() {
            return Err(PaymentAlreadyReversed {
                paymentId: payment_id,
            }
            .into());
        }
        payment.reversed.set(true);
        let account = payment.account.get();
        let spent = U256::from(payment.spent.get());
        // `spent <= amount` always: `spendCredits` never spends beyond the amount.
        let burned = U256::from(payment.amount.get()) - spent;
        if !burned.is_zero() {
            let balance = self.credit_balances.get(account) - burned;
            self.credit_balances.insert(account, balance);
        }
        let licences = self.licences_of(payment_id);
        for &token_id in &licences {
            self.flagged.insert(token_id, true);
            emit(
                self.vm(),
                &LicenceFlagged {
                    tokenId: token_id,
                    paymentId: payment_id,
                },
            );
        }
        emit(
            self.vm(),
            &CreditsReversed {
                paymentId: payment_id,
                account,
                burned,
                spent,
                flaggedTokenIds: licences,
            },
        );
        Ok(())
    }

    // ------------------------------------------------------------------ suite-internal

    /// Suite-internal (`SUITE_ROLE`): spend `amount` credits of a payment on licence `tokenId`
    /// for `spender` (the buyer who called licences); returns the payment's account. The
    /// Solidity build's `_spendCredits`, with `spender` in place of its `msg.sender`.
    pub fn spend_credits(
        &mut self,
        payment_id: B256,
        amount: U256,
        token_id: U256,
        spender: Address,
    ) -> Result<Address> {
        self.only_role(SUITE_ROLE)?;
        let relayer = self.access.has_role(RELAYER_ROLE, spender);
        let mut payment = self.payments.setter(payment_id);
        let account = payment.account.get();
        if account.is_zero() {
            return Err(UnknownPayment {
                paymentId: payment_id,
            }
            .into());
        }
        if payment.reversed.get() {
            return Err(PaymentAlreadyReversed {
                paymentId: payment_id,
            }
            .into());
        }
        if spender != account && !relayer {
            return Err(NotPaymentAccount {
                paymentId: payment_id,
                caller: spender,
            }
            .into());
        }
        let spent = payment.spent.get();
        let available = U256::from(payment.amount.get() - spent);
        if amount > available {
            return Err(InsufficientCredits {
                paymentId: payment_id,
                available,
                needed: amount,
            }
            .into());
        }
        let mut licences = self.payment_licences.setter(payment_id);
        if licences.len() == MAX_LICENCES_PER_PAYMENT {
            return Err(TooManyLicencesForPayment {
                paymentId: payment_id,
            }
            .into());
        }
        licences.push(token_id);
        // `amount <= available < 2^96`, checked above.
        payment.spent.set(spent + low_96(amount));
        // The account's balance includes this payment's unspent credits, so it covers `amount`.
        let balance = self.credit_balances.get(account) - amount;
        self.credit_balances.insert(account, balance);
        emit(
            self.vm(),
            &CreditsSpent {
                paymentId: payment_id,
                tokenId: token_id,
                amount,
            },
        );
        Ok(account)
    }

    /// Suite-internal (`SUITE_ROLE`): the licences contract's `pause`/`unpause` set credits'
    /// copy of the switch, which `mintCredits` reads. No event: licences emits `Paused` and
    /// `Unpaused`, as the Solidity build does once.
    pub fn set_paused(&mut self, paused: bool) -> Result<()> {
        self.only_role(SUITE_ROLE)?;
        self.paused.set(paused);
        Ok(())
    }

    /// Whether a reversal flagged licence `tokenId` (the `flagged` field of
    /// `licence(tokenId)` on the licences contract).
    pub fn licence_flagged(&self, token_id: U256) -> bool {
        self.flagged.get(token_id)
    }

    // ------------------------------------------------------------------ views

    /// Unspent credits of an account, across its payments.
    pub fn credit_balance(&self, account: Address) -> U256 {
        self.credit_balances.get(account)
    }

    /// The record of a payment id (all zero if never seen).
    pub fn credit_payment(&self, payment_id: B256) -> CreditPayment {
        let payment = self.payments.getter(payment_id);
        CreditPayment {
            account: payment.account.get(),
            amount: payment.amount.get(),
            spent: payment.spent.get(),
            reversed: payment.reversed.get(),
        }
    }

    /// Licences bought with a payment's credits, in the order they were bought.
    pub fn licences_of_payment(&self, payment_id: B256) -> Vec<U256> {
        self.licences_of(payment_id)
    }

    /// Largest number of licences one payment's credits may buy.
    #[selector(name = "MAX_LICENCES_PER_PAYMENT")]
    pub fn max_licences_per_payment(&self) -> U256 {
        U256::from(MAX_LICENCES_PER_PAYMENT)
    }

    /// `keccak256("RELAYER_ROLE")`.
    #[selector(name = "RELAYER_ROLE")]
    pub fn relayer_role(&self) -> B256 {
        RELAYER_ROLE
    }

    // ------------------------------------------------------------------ AccessControl

    /// `bytes32(0)`: the role that administers every role.
    #[selector(name = "DEFAULT_ADMIN_ROLE")]
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

impl Credits {
    fn only_role(&self, role: B256) -> Result<()> {
        Ok(self.access.check_role(role, self.vm().msg_sender())?)
    }

    fn licences_of(&self, payment_id: B256) -> Vec<U256> {
        let licences = self.payment_licences.getter(payment_id);
        (0..licences.len())
            .filter_map(|i| licences.get(i))
            .collect()
    }
}

#[cfg(test)]
mod tests;
