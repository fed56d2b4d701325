//! Tributary's royalty splits and the suite's payment vault, as an Arbitrum Stylus contract.
//!
//! Implements `contracts/interfaces/ITributarySplits.sol` with the semantics of
//! `contracts/modules/Splits.sol`: PaymentSplitter-style pull accounting per split hash and
//! token, where a payee's cumulative entitlement is `floor(received × share / totalShares)`;
//! a protocol fee (at most `MAX_FEE_BPS`) taken at payment time; ETH (`address(0)`),
//! allow-listed ERC-20s and the fiat-credits sentinel `CREDITS`.
//!
//! In the Stylus suite (`docs/stylus.md`) this contract is also the vault: it holds every
//! payment and is the ERC-20 spender buyers approve. Licences pays in through
//! [`Splits::receive_payment`], restricted to `SUITE_ROLE`.
//!
//! Roles: OpenZeppelin 5 `AccessControl` semantics in this contract's own role table
//! (`tributary_stylus_common::AccessControl`): `DEFAULT_ADMIN_ROLE` sets the fee and the token
//! allow-list and grants roles; `SUITE_ROLE` may call `receivePayment`.
//!
//! Reverts are byte-for-byte the Solidity build's, including `Panic(0x11)` where Solidity's
//! checked arithmetic overflows, `Panic(0x32)` for a split with fewer shares than payees, and
//! revert data bubbled from a token or a payee as OpenZeppelin's `SafeERC20` and `Address` do.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// The SDK generates undocumented functions in wasm (`user_entrypoint`) and export-abi builds.
#![cfg_attr(
    any(target_arch = "wasm32", feature = "export-abi"),
    allow(missing_docs)
)]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::call::RawCall;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{StorageAddress, StorageBool, StorageMap, StorageU16, StorageU256};
use tributary_stylus_common::{
    div_small, emit, mul_small, panic_data, split_hash, AccessControl,
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, Split, CREDITS,
    DEFAULT_ADMIN_ROLE, PANIC_OVERFLOW, SUITE_ROLE,
};

sol! {
    /// The errors and events of `contracts/interfaces/ITributarySplits.sol`, exactly.
    interface ITributarySplitsAbi {
        error NotPayee(address account);
        error NothingToRelease();
        error InvalidProtocolFee(uint16 bps, address treasury);
        error TokenNotAllowed(address token);
        error WrongPayment(uint256 expected, uint256 sent);
        error ShortDelivery(uint256 expected, uint256 delivered);
        error InvalidToken(address token);

        event PaymentReceived(
            bytes32 indexed splitHash,
            address indexed token,
            uint256 indexed datasetId,
            address payer,
            uint256 amount,
            uint256 fee
        );
        event PaymentReleased(address indexed payee, bytes32 splitHash, address token, uint256 amount);
        event ProtocolFeeSet(uint16 bps, address treasury);
        event ProtocolFeesReleased(address indexed token, address indexed treasury, uint256 amount);
        event TokenAllowed(address indexed token, bool allowed);
    }

    /// OpenZeppelin 5's `Address` and `SafeERC20` errors, raised when paying out.
    interface IPayoutErrors {
        error InsufficientBalance(uint256 balance, uint256 needed);
        error FailedCall();
        error SafeERC20FailedOperation(address token);
    }

    /// The ERC-20 calls the vault makes.
    interface IERC20 {
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
    }
}

pub use IPayoutErrors::{FailedCall, InsufficientBalance, SafeERC20FailedOperation};
pub use ITributarySplitsAbi::*;

/// The cap on the protocol fee, in basis points (`MAX_FEE_BPS`).
pub const MAX_FEE_BPS: u16 = 1000;
const BPS: u64 = 10_000;
/// Solidity's `Panic(uint256)` code for an array index out of bounds.
const PANIC_ARRAY_INDEX: u8 = 0x32;

/// Every way a call to this contract reverts.
#[derive(SolidityError)]
pub enum SplitsError {
    /// `NotPayee(account)`.
    NotPayee(NotPayee),
    /// `NothingToRelease()`.
    NothingToRelease(NothingToRelease),
    /// `InvalidProtocolFee(bps, treasury)`.
    InvalidProtocolFee(InvalidProtocolFee),
    /// `TokenNotAllowed(token)`.
    TokenNotAllowed(TokenNotAllowed),
    /// `WrongPayment(expected, sent)`.
    WrongPayment(WrongPayment),
    /// `ShortDelivery(expected, delivered)`.
    ShortDelivery(ShortDelivery),
    /// `InvalidToken(token)`.
    InvalidToken(InvalidToken),
    /// `AccessControlUnauthorizedAccount(account, neededRole)`.
    AccessControlUnauthorizedAccount(AccessControlUnauthorizedAccount),
    /// `AccessControlBadConfirmation()`.
    AccessControlBadConfirmation(AccessControlBadConfirmation),
    /// `InsufficientBalance(balance, needed)`: the vault holds less ETH than it owes.
    InsufficientBalance(InsufficientBalance),
    /// `FailedCall()`: an ETH payee refused the payment without a reason.
    FailedCall(FailedCall),
    /// `SafeERC20FailedOperation(token)`: a token call returned `false` (or nothing, from an
    /// address without code).
    SafeERC20FailedOperation(SafeERC20FailedOperation),
    /// Revert data passed through unchanged: a token's or a payee's own revert, or Solidity's
    /// `Panic(code)`. Absent from the exported ABI, which lists declared errors only.
    #[cfg(not(feature = "export-abi"))]
    Raw(stylus_sdk::stylus_core::calls::errors::Error),
}

impl SplitsError {
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

    fn panic(code: u8) -> Self {
        Self::raw(panic_data(code))
    }
}

type Result<T, E = SplitsError> = core::result::Result<T, E>;

/// Solidity's checked `a + b`.
fn add(a: U256, b: U256) -> Result<U256> {
    a.checked_add(b)
        .ok_or_else(|| SplitsError::panic(PANIC_OVERFLOW))
}

/// Solidity's checked `a - b`.
fn sub(a: U256, b: U256) -> Result<U256> {
    a.checked_sub(b)
        .ok_or_else(|| SplitsError::panic(PANIC_OVERFLOW))
}

/// Solidity's checked `a * b`, for a small `b`.
fn mul(a: U256, b: u64) -> Result<U256> {
    mul_small(a, b).ok_or_else(|| SplitsError::panic(PANIC_OVERFLOW))
}

/// The splits contract. Storage: the role table, the fee and treasury, and per split hash and
/// token what was received, per payee what was released, per token the fees owed and whether
/// it is allowed.
#[storage]
#[entrypoint]
pub struct Splits {
    access: AccessControl,
    fee_bps: StorageU16,
    treasury: StorageAddress,
    received: StorageMap<B256, StorageMap<Address, StorageU256>>,
    released: StorageMap<B256, StorageMap<Address, StorageMap<Address, StorageU256>>>,
    fees_owed: StorageMap<Address, StorageU256>,
    allowed_tokens: StorageMap<Address, StorageBool>,
}

#[public]
impl Splits {
    /// Grants `DEFAULT_ADMIN_ROLE` to `admin` and sets the protocol fee, as the Solidity
    /// build's constructor does.
    #[constructor]
    pub fn constructor(&mut self, admin: Address, treasury: Address, fee_bps: u16) -> Result<()> {
        let sender = self.vm().msg_sender();
        self.access.grant(DEFAULT_ADMIN_ROLE, admin, sender);
        self.set_fee(fee_bps, treasury)
    }

    // ------------------------------------------------------------------ actions

    /// Pay `payee` what the split owes them in `token`. Anyone may call; funds go to the payee.
    /// For `CREDITS` no token moves: the event is the fiat payout order.
    pub fn release(&mut self, token: Address, split: Split, payee: Address) -> Result<U256> {
        let hash = split_hash(&split);
        let amount = self.releasable_of(hash, token, &split, payee)?;
        if amount.is_zero() {
            return Err(NothingToRelease {}.into());
        }
        let released = add(self.released_of(hash, token, payee), amount)?;
        self.released
            .setter(hash)
            .setter(token)
            .insert(payee, released);
        emit(
            self.vm(),
            &PaymentReleased {
                payee,
                splitHash: hash,
                token,
                amount,
            },
        );
        self.pay(token, payee, amount)?;
        Ok(amount)
    }

    /// Pay the treasury the protocol fees owed in `token`.
    pub fn release_protocol_fees(&mut self, token: Address) -> Result<U256> {
        let amount = self.fees_owed.get(token);
        if amount.is_zero() {
            return Err(NothingToRelease {}.into());
        }
        self.fees_owed.insert(token, U256::ZERO);
        let treasury = self.treasury.get();
        emit(
            self.vm(),
            &ProtocolFeesReleased {
                token,
                treasury,
                amount,
            },
        );
        self.pay(token, treasury, amount)?;
        Ok(amount)
    }

    /// Set the protocol fee (basis points, at most `MAX_FEE_BPS`) and treasury. Admin only.
    pub fn set_protocol_fee(&mut self, bps: u16, treasury: Address) -> Result<()> {
        self.only_role(DEFAULT_ADMIN_ROLE)?;
        self.set_fee(bps, treasury)
    }

    /// Allow or disallow an ERC-20 as a payment token. Admin only.
    pub fn set_token_allowed(&mut self, token: Address, allowed: bool) -> Result<()> {
        self.only_role(DEFAULT_ADMIN_ROLE)?;
        if token == Address::ZERO || token == CREDITS {
            return Err(InvalidToken { token }.into());
        }
        self.allowed_tokens.insert(token, allowed);
        emit(self.vm(), &TokenAllowed { token, allowed });
        Ok(())
    }

    /// Suite-internal (`SUITE_ROLE`): take a payment into `splitHash`'s account. The Solidity
    /// build's `_collect` and `_receivePayment` in one call: `msg.value` must equal `amount`
    /// for ETH and be zero otherwise; an allow-listed ERC-20 is pulled from `payer` (who
    /// approved this contract) and its delivery measured; `CREDITS` moves nothing. The fee at
    /// the current rate goes to the treasury's account, the rest to the split.
    #[payable]
    pub fn receive_payment(
        &mut self,
        split_hash: B256,
        token: Address,
        dataset_id: U256,
        payer: Address,
        amount: U256,
    ) -> Result<()> {
        self.only_role(SUITE_ROLE)?;
        if token == CREDITS {
            let sent = self.vm().msg_value();
            if !sent.is_zero() {
                return Err(WrongPayment {
                    expected: U256::ZERO,
                    sent,
                }
                .into());
            }
        } else {
            self.collect(token, payer, amount)?;
        }
        let fee = div_small(mul(amount, u64::from(self.fee()))?, BPS);
        if !fee.is_zero() {
            let owed = add(self.fees_owed.get(token), fee)?;
            self.fees_owed.insert(token, owed);
        }
        let net = amount - fee;
        let received = add(self.received.getter(split_hash).get(token), net)?;
        self.received.setter(split_hash).insert(token, received);
        emit(
            self.vm(),
            &PaymentReceived {
                splitHash: split_hash,
                token,
                datasetId: dataset_id,
                payer,
                amount: net,
                fee,
            },
        );
        Ok(())
    }

    // ------------------------------------------------------------------ views

    /// What `payee` could release from the split in `token` now.
    pub fn releasable(&self, token: Address, split: Split, payee: Address) -> Result<U256> {
        self.releasable_of(split_hash(&split), token, &split, payee)
    }

    /// Total received by a split in a token, after protocol fees.
    pub fn total_received(&self, split_hash: B256, token: Address) -> U256 {
        self.received.getter(split_hash).get(token)
    }

    /// Total released to a payee from a split in a token.
    pub fn released(&self, split_hash: B256, token: Address, payee: Address) -> U256 {
        self.released_of(split_hash, token, payee)
    }

    /// Protocol fees owed to the treasury in a token.
    pub fn protocol_fees_owed(&self, token: Address) -> U256 {
        self.fees_owed.get(token)
    }

    /// The protocol fee in basis points and the treasury that receives it.
    pub fn protocol_fee(&self) -> (u16, Address) {
        (self.fee(), self.treasury.get())
    }

    /// Whether an ERC-20 is allow-listed as a payment token.
    pub fn is_token_allowed(&self, token: Address) -> bool {
        self.allowed_tokens.get(token)
    }

    /// The cap on the protocol fee, in basis points.
    #[selector(name = "MAX_FEE_BPS")]
    pub fn max_fee_bps(&self) -> u16 {
        MAX_FEE_BPS
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

impl Splits {
    fn only_role(&self, role: B256) -> Result<()> {
        Ok(self.access.check_role(role, self.vm().msg_sender())?)
    }

    /// The fee in basis points. (`Uint::to` would link ruint's `Debug` for its overflow panic.)
    fn fee(&self) -> u16 {
        self.fee_bps.get().as_limbs()[0] as u16
    }

    fn set_fee(&mut self, bps: u16, treasury: Address) -> Result<()> {
        if bps > MAX_FEE_BPS || treasury == Address::ZERO {
            return Err(InvalidProtocolFee { bps, treasury }.into());
        }
        self.fee_bps.set(alloy_primitives::Uint::from(bps));
        self.treasury.set(treasury);
        emit(self.vm(), &ProtocolFeeSet { bps, treasury });
        Ok(())
    }

    fn released_of(&self, hash: B256, token: Address, payee: Address) -> U256 {
        self.released.getter(hash).getter(token).get(payee)
    }

    /// `floor(received × share / totalShares) − released`, with Solidity's reverts: an index
    /// past the shares panics before the payee is looked for, and a payee not in the split (or
    /// with a zero share) is `NotPayee`. A payee listed twice takes the last share.
    fn releasable_of(
        &self,
        hash: B256,
        token: Address,
        split: &Split,
        payee: Address,
    ) -> Result<U256> {
        if split.shares.len() < split.payees.len() {
            return Err(SplitsError::panic(PANIC_ARRAY_INDEX));
        }
        // Below 2^64: a split would need 2^32 payees (128 GiB of calldata) to overflow it.
        let mut total_shares = 0u64;
        let mut share = 0u64;
        for (account, account_share) in split.payees.iter().zip(&split.shares) {
            if *account == payee {
                share = u64::from(*account_share);
            }
            total_shares += u64::from(*account_share);
        }
        if share == 0 {
            return Err(NotPayee { account: payee }.into());
        }
        let received = self.received.getter(hash).get(token);
        let entitled = div_small(mul(received, share)?, total_shares);
        sub(entitled, self.released_of(hash, token, payee))
    }

    /// `_collect`: the amount from the payer, checked as the Solidity build checks it.
    fn collect(&mut self, token: Address, payer: Address, amount: U256) -> Result<()> {
        let sent = self.vm().msg_value();
        if token == Address::ZERO {
            if sent != amount {
                return Err(WrongPayment {
                    expected: amount,
                    sent,
                }
                .into());
            }
            return Ok(());
        }
        if !sent.is_zero() {
            return Err(WrongPayment {
                expected: U256::ZERO,
                sent,
            }
            .into());
        }
        if !self.allowed_tokens.get(token) {
            return Err(TokenNotAllowed { token }.into());
        }
        if amount.is_zero() {
            return Ok(());
        }
        let this = self.vm().contract_address();
        let before = self.token_balance(token, this)?;
        self.call_optional_return(
            token,
            &IERC20::transferFromCall {
                from: payer,
                to: this,
                value: amount,
            }
            .abi_encode(),
        )?;
        let delivered = sub(self.token_balance(token, this)?, before)?;
        if delivered != amount {
            return Err(ShortDelivery {
                expected: amount,
                delivered,
            }
            .into());
        }
        Ok(())
    }

    /// `_pay`: nothing for `CREDITS`, OpenZeppelin's `Address.sendValue` for ETH,
    /// `SafeERC20.safeTransfer` for a token.
    fn pay(&mut self, token: Address, to: Address, amount: U256) -> Result<()> {
        if token == CREDITS {
            return Ok(());
        }
        if token != Address::ZERO {
            return self.call_optional_return(
                token,
                &IERC20::transferCall { to, value: amount }.abi_encode(),
            );
        }
        let balance = self.vm().balance(self.vm().contract_address());
        if balance < amount {
            return Err(InsufficientBalance {
                balance,
                needed: amount,
            }
            .into());
        }
        // SAFETY: the storage cache is flushed before the call, and every state change of this
        // call precedes it (checks, effects, interactions).
        let sent = unsafe {
            RawCall::new_with_value(self.vm(), amount)
                .flush_storage_cache()
                .call(to, &[])
        };
        match sent {
            Ok(_) => Ok(()),
            Err(data) if data.is_empty() => Err(FailedCall {}.into()),
            Err(data) => Err(SplitsError::raw(data)),
        }
    }

    /// `SafeERC20._callOptionalReturn`: bubble a revert; accept no return data only from an
    /// address with code; otherwise the returned word must be 1.
    fn call_optional_return(&mut self, token: Address, calldata: &[u8]) -> Result<()> {
        // SAFETY: as in `pay`.
        let returned = unsafe {
            RawCall::new(self.vm())
                .flush_storage_cache()
                .call(token, calldata)
        }
        .map_err(SplitsError::raw)?;
        let failed = if returned.is_empty() {
            self.vm().code_size(token) == 0
        } else {
            let mut word = [0u8; 32];
            let len = returned.len().min(32);
            word[..len].copy_from_slice(&returned[..len]);
            U256::from_be_bytes(word) != U256::from(1)
        };
        if failed {
            return Err(SafeERC20FailedOperation { token }.into());
        }
        Ok(())
    }

    /// `IERC20(token).balanceOf(account)` as Solidity calls it: a static call whose revert is
    /// bubbled and whose return data must hold a word (else an empty revert).
    fn token_balance(&self, token: Address, account: Address) -> Result<U256> {
        // SAFETY: a static call changes no state.
        let returned = unsafe {
            RawCall::new_static(self.vm())
                .call(token, &IERC20::balanceOfCall { account }.abi_encode())
        }
        .map_err(SplitsError::raw)?;
        if returned.len() < 32 {
            return Err(SplitsError::raw(Vec::new()));
        }
        Ok(U256::from_be_slice(&returned[..32]))
    }
}

#[cfg(test)]
mod tests;
