//! Types, roles and helpers shared by the Tributary Stylus contracts (see `docs/stylus.md`).
//!
//! - [`Split`]: the ABI struct of `ITributaryTypes`, and [`split_hash`], its on-chain identity.
//! - [`AccessControl`]: OpenZeppelin 5's role table, events and errors, one per contract that
//!   checks a role.
//! - [`calldata`]: word-by-word decoding for functions dispatched by a contract's fallback.
//! - [`panic_data`]: the revert data of Solidity's checked arithmetic, so overflows revert as the
//!   Solidity build does rather than trap.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]

extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{address, b256, keccak256, Address, B256, U256};
use alloy_sol_types::abi::token::WordToken;
use alloy_sol_types::{sol, SolEvent, TopicList};
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{StorageBool, StorageMap};
use stylus_sdk::stylus_core::host::RawLogAccess;

pub mod calldata;

// One `sol!` scope for the ABI structs and the registry's events that carry them: alloy's macro
// resolves a struct used in an event only within the same invocation.
sol! {
    /// Royalty split: payees strictly ascending by address and their shares
    /// (`ITributaryTypes.Split`).
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct Split {
        address[] payees;
        uint32[] shares;
    }

    /// One licence offer of a dataset (`ITributaryTypes.Offer`). `kind` is the `OfferKind`
    /// enum's ABI type, `uint8`: the contracts check its range where Solidity does.
    #[derive(Debug, PartialEq, Eq, AbiType)]
    struct Offer {
        uint8 kind;
        address paymentToken;
        uint128 price;
        uint64 duration;
        bool transferable;
        uint16 royaltyBps;
        uint32 supplyCap;
        bytes32 termsHash;
    }

    /// The events of `ITributaryRegistry` that carry a split and offers (emitted by the registry).
    interface ITributaryRegistryTermsEvents {
        /// A dataset was registered (`ITributaryRegistry.DatasetRegistered`).
        event DatasetRegistered(
            uint256 indexed datasetId,
            address indexed creator,
            bytes32 indexed manifestHash,
            string uri,
            Split split,
            Offer[] offers
        );
        /// A dataset's terms were replaced (`ITributaryRegistry.TermsSet`).
        event TermsSet(uint256 indexed datasetId, Split split, Offer[] offers);
    }
}

/// `OfferKind.RoyaltyLinked`.
pub const OFFER_ROYALTY_LINKED: u8 = 1;
/// `OfferKind.Custom`, the last kind.
pub const OFFER_CUSTOM: u8 = 3;

sol! {
    /// OpenZeppelin 5 `AccessControl`'s events and errors, as the Solidity build emits them.
    interface IAccessControlAbi {
        /// `account` was granted `role`.
        event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
        /// `account` lost `role`.
        event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);
        /// The admin role of `role` changed (never emitted by the suite, declared for the ABI).
        event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole);

        /// `account` lacks `neededRole`.
        error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
        /// `renounceRole` was not confirmed by the caller's own address.
        error AccessControlBadConfirmation();
    }
}

pub use IAccessControlAbi::{
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, RoleAdminChanged, RoleGranted,
    RoleRevoked,
};

/// Payment-token sentinel for fiat credits: `address(uint160(0xC4ED175))`.
pub const CREDITS: Address = address!("000000000000000000000000000000000c4ed175");

/// OpenZeppelin's `DEFAULT_ADMIN_ROLE`: admin of every role.
pub const DEFAULT_ADMIN_ROLE: B256 = B256::ZERO;
/// `keccak256("SUITE_ROLE")`: held by the suite contracts allowed to call suite-internal functions.
pub const SUITE_ROLE: B256 =
    b256!("4fb11790be5fc805f8280afdd45ddf6ce45433ee2014f05c81e02c535baea931");
/// `keccak256("RELAYER_ROLE")`.
pub const RELAYER_ROLE: B256 =
    b256!("e2b7fb3b832174769106daebcfd6d1970523240dda11281102db9363b83b0dc4");
/// `keccak256("PAUSER_ROLE")`.
pub const PAUSER_ROLE: B256 =
    b256!("65d7a28e3265b37a6474929f336521b332c1681b933f6cb9f3376673440d862a");

/// Solidity's `Panic(uint256)` code for arithmetic overflow or underflow.
pub const PANIC_OVERFLOW: u8 = 0x11;
/// Solidity's `Panic(uint256)` code for division or modulo by zero.
pub const PANIC_DIVISION_BY_ZERO: u8 = 0x12;

/// The revert data of Solidity's `Panic(code)`, as checked arithmetic produces it.
pub fn panic_data(code: u8) -> Vec<u8> {
    let mut data = Vec::with_capacity(36);
    data.extend_from_slice(&[0x4e, 0x48, 0x7b, 0x71]);
    data.extend_from_slice(&[0u8; 31]);
    data.push(code);
    data
}

/// Emits `event` from the running contract. The SDK's `log` does the same but unwraps an
/// `alloy_sol_types::Error` on a path that cannot fail, which links `Debug` formatting (about
/// 3 KB compressed) into every contract.
pub fn emit<H: RawLogAccess + ?Sized, E: SolEvent>(host: &H, event: &E) {
    let mut topics = [WordToken::default(); 4];
    // Fails only if the array is shorter than the event's topic count (at most four).
    let _ = event.encode_topics_raw(&mut topics);
    let count = E::TopicList::COUNT;
    let mut bytes = Vec::with_capacity(32 * count + event.abi_encoded_size());
    for topic in &topics[..count] {
        bytes.extend_from_slice(topic.as_slice());
    }
    event.encode_data_to(&mut bytes);
    host.emit_log(&bytes, count);
}

/// `a × b`, or `None` past `2^256`. For a small factor, without ruint's general multiplication.
pub fn mul_small(a: U256, b: u64) -> Option<U256> {
    let mut product = [0u64; 4];
    let mut carry = 0u128;
    for (out, limb) in product.iter_mut().zip(a.as_limbs()) {
        let wide = u128::from(*limb) * u128::from(b) + carry;
        *out = wide as u64;
        carry = wide >> 64;
    }
    (carry == 0).then(|| U256::from_limbs(product))
}

/// `floor(a / d)` for `d > 0`. ruint's general division weighs about 8 KB of wasm; a divisor
/// below `2^64` (total shares, basis points) needs only schoolbook division by limbs.
pub fn div_small(a: U256, d: u64) -> U256 {
    debug_assert!(d != 0);
    let mut quotient = [0u64; 4];
    let mut remainder = 0u128;
    for (out, limb) in quotient.iter_mut().zip(a.as_limbs()).rev() {
        let current = (remainder << 64) | u128::from(*limb);
        *out = (current / u128::from(d)) as u64;
        remainder = current % u128::from(d);
    }
    U256::from_limbs(quotient)
}

/// A split's identity: `keccak256(abi.encode(payees, shares))`.
pub fn split_hash(split: &Split) -> B256 {
    let mut encoded = Vec::new();
    abi::split(&mut encoded, split);
    keccak256(encoded)
}

/// ABI encoding of the suite's structs, word by word. The same bytes as alloy's encoder, whose
/// generic token machinery costs several KB of wasm per type encoded.
pub mod abi {
    use super::*;

    /// Appends a 32-byte word.
    pub fn word(out: &mut Vec<u8>, word: impl Into<B256>) {
        out.extend_from_slice(word.into().as_slice());
    }

    /// Appends a number as a word.
    pub fn uint(out: &mut Vec<u8>, value: impl Into<U256>) {
        word(out, value.into());
    }

    /// Appends an address as a word.
    pub fn address(out: &mut Vec<u8>, value: Address) {
        word(out, value.into_word());
    }

    /// The tail of `bytes` or `string`: length, then the data padded to whole words.
    pub fn bytes(out: &mut Vec<u8>, data: &[u8]) {
        uint(out, U256::from(data.len()));
        out.extend_from_slice(data);
        out.resize(out.len() + (32 - data.len() % 32) % 32, 0);
    }

    /// The encoding of a `Split` (a dynamic tuple of two arrays) = `abi.encode(payees, shares)`.
    pub fn split(out: &mut Vec<u8>, split: &Split) {
        uint(out, U256::from(0x40));
        uint(out, U256::from(0x60 + 32 * split.payees.len()));
        uint(out, U256::from(split.payees.len()));
        for payee in &split.payees {
            address(out, *payee);
        }
        uint(out, U256::from(split.shares.len()));
        for share in &split.shares {
            uint(out, U256::from(*share));
        }
    }

    /// The tail of an `Offer[]`: length, then eight static words per offer.
    pub fn offers(out: &mut Vec<u8>, offers: &[Offer]) {
        uint(out, U256::from(offers.len()));
        for offer in offers {
            uint(out, U256::from(offer.kind));
            address(out, offer.paymentToken);
            uint(out, U256::from(offer.price));
            uint(out, U256::from(offer.duration));
            uint(out, U256::from(offer.transferable as u8));
            uint(out, U256::from(offer.royaltyBps));
            uint(out, U256::from(offer.supplyCap));
            word(out, offer.termsHash);
        }
    }
}

/// The terms hash the registry stores: `keccak256(abi.encode(splitHash, keccak256(abi.encode(offers))))`.
pub fn terms_hash(split_hash: B256, offers: &[Offer]) -> B256 {
    let mut encoded = Vec::with_capacity(64 + 256 * offers.len());
    abi::uint(&mut encoded, U256::from(0x20));
    abi::offers(&mut encoded, offers);
    let offers_hash = keccak256(encoded);
    let mut words = [0u8; 64];
    words[..32].copy_from_slice(split_hash.as_slice());
    words[32..].copy_from_slice(offers_hash.as_slice());
    keccak256(words)
}

/// OpenZeppelin 5 `AccessControl` without `_setRoleAdmin`: `DEFAULT_ADMIN_ROLE` admins every
/// role. The owning contract exposes `hasRole`, `getRoleAdmin`, `grantRole`, `revokeRole` and
/// `renounceRole` by calling these methods with its `msg.sender`.
#[storage]
pub struct AccessControl {
    roles: StorageMap<B256, StorageMap<Address, StorageBool>>,
}

impl AccessControl {
    /// Whether `account` holds `role`.
    pub fn has_role(&self, role: B256, account: Address) -> bool {
        self.roles.getter(role).get(account)
    }

    /// The role that administers `role`: always `DEFAULT_ADMIN_ROLE`.
    pub fn role_admin(&self, _role: B256) -> B256 {
        DEFAULT_ADMIN_ROLE
    }

    /// Solidity's `onlyRole(role)` for `account`.
    pub fn check_role(
        &self,
        role: B256,
        account: Address,
    ) -> Result<(), AccessControlUnauthorizedAccount> {
        if self.has_role(role, account) {
            Ok(())
        } else {
            Err(AccessControlUnauthorizedAccount {
                account,
                neededRole: role,
            })
        }
    }

    /// `grantRole` called by `caller`.
    pub fn grant_role(
        &mut self,
        role: B256,
        account: Address,
        caller: Address,
    ) -> Result<(), AccessControlUnauthorizedAccount> {
        self.check_role(self.role_admin(role), caller)?;
        self.grant(role, account, caller);
        Ok(())
    }

    /// `revokeRole` called by `caller`.
    pub fn revoke_role(
        &mut self,
        role: B256,
        account: Address,
        caller: Address,
    ) -> Result<(), AccessControlUnauthorizedAccount> {
        self.check_role(self.role_admin(role), caller)?;
        self.revoke(role, account, caller);
        Ok(())
    }

    /// `renounceRole(role, callerConfirmation)` called by `caller`.
    pub fn renounce_role(
        &mut self,
        role: B256,
        caller_confirmation: Address,
        caller: Address,
    ) -> Result<(), AccessControlBadConfirmation> {
        if caller_confirmation != caller {
            return Err(AccessControlBadConfirmation {});
        }
        self.revoke(role, caller, caller);
        Ok(())
    }

    /// OpenZeppelin's `_grantRole`: grants and emits `RoleGranted` unless already held.
    pub fn grant(&mut self, role: B256, account: Address, sender: Address) -> bool {
        if self.has_role(role, account) {
            return false;
        }
        self.roles.setter(role).insert(account, true);
        emit(
            self.vm(),
            &RoleGranted {
                role,
                account,
                sender,
            },
        );
        true
    }

    /// OpenZeppelin's `_revokeRole`: revokes and emits `RoleRevoked` if held.
    pub fn revoke(&mut self, role: B256, account: Address, sender: Address) -> bool {
        if !self.has_role(role, account) {
            return false;
        }
        self.roles.setter(role).insert(account, false);
        emit(
            self.vm(),
            &RoleRevoked {
                role,
                account,
                sender,
            },
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::SolValue;

    #[test]
    fn role_ids_are_the_keccak_of_their_names() {
        assert_eq!(SUITE_ROLE, keccak256("SUITE_ROLE"));
        assert_eq!(RELAYER_ROLE, keccak256("RELAYER_ROLE"));
        assert_eq!(PAUSER_ROLE, keccak256("PAUSER_ROLE"));
    }

    #[test]
    fn credits_sentinel_is_0xc4ed175() {
        assert_eq!(
            CREDITS,
            Address::from_word(B256::left_padding_from(&[0x0c, 0x4e, 0xd1, 0x75]))
        );
    }

    #[test]
    fn panic_data_is_solidity_panic() {
        let data = panic_data(PANIC_OVERFLOW);
        assert_eq!(&data[..4], &keccak256("Panic(uint256)")[..4]);
        assert_eq!(data.len(), 36);
        assert_eq!(data[35], 0x11);
    }

    #[test]
    fn small_arithmetic_matches_ruint() {
        let values = [
            U256::ZERO,
            U256::from(1),
            U256::from(9_999),
            U256::from(u64::MAX),
            U256::from(u128::MAX) * U256::from(3),
            U256::MAX / U256::from(7),
            U256::MAX,
        ];
        for a in values {
            for d in [1u64, 3, 7, 10_000, u64::from(u32::MAX), u64::MAX] {
                assert_eq!(div_small(a, d), a / U256::from(d), "{a} / {d}");
                assert_eq!(mul_small(a, d), a.checked_mul(U256::from(d)), "{a} * {d}");
            }
        }
    }

    #[test]
    fn terms_hash_is_keccak_of_abi_encode() {
        let offer = Offer {
            kind: 1,
            paymentToken: CREDITS,
            price: 5,
            duration: 60,
            transferable: true,
            royaltyBps: 250,
            supplyCap: 3,
            termsHash: B256::repeat_byte(0xab),
        };
        let offers = vec![offer.clone(), Offer { kind: 0, ..offer }];
        let split = B256::repeat_byte(0x11);
        // abi.encode(offers) of a dynamic array of static structs: offset, length, 8 words each.
        let mut encoded = U256::from(0x20).to_be_bytes::<32>().to_vec();
        encoded.extend(U256::from(2).to_be_bytes::<32>());
        for kind in [1u8, 0] {
            for word in [
                U256::from(kind),
                U256::from(0xc4ed175u64),
                U256::from(5),
                U256::from(60),
                U256::from(1),
                U256::from(250),
                U256::from(3),
                U256::from_be_bytes([0xab; 32]),
            ] {
                encoded.extend(word.to_be_bytes::<32>());
            }
        }
        let expected = keccak256((split, keccak256(&encoded)).abi_encode());
        assert_eq!(terms_hash(split, &offers), expected);
        assert_eq!(
            keccak256(offers.abi_encode()),
            keccak256(&encoded),
            "alloy agrees"
        );
    }

    #[test]
    fn split_hash_is_keccak_of_abi_encode() {
        let split = Split {
            payees: vec![Address::repeat_byte(1), Address::repeat_byte(2)],
            shares: vec![1, 3],
        };
        // `cast keccak $(cast abi-encode "f(address[],uint32[])" "[0x0101…01,0x0202…02]" "[1,3]")`
        assert_eq!(
            split_hash(&split),
            b256!("447f729d960a40866c297a65a2387116ee558a5e6f969d05885950d5a2b7e518")
        );
        let uneven = Split {
            payees: vec![
                Address::repeat_byte(1),
                Address::repeat_byte(2),
                Address::repeat_byte(3),
            ],
            shares: vec![5],
        };
        assert_eq!(
            split_hash(&uneven),
            keccak256((uneven.payees.clone(), uneven.shares.clone()).abi_encode_params()),
            "alloy agrees"
        );
    }
}
