//! EIP-712 signatures of a dataset's creator: OpenZeppelin's `EIP712` (domain "Tributary",
//! version "1", this chain, this contract), `Nonces` (`_useNonce`) and
//! `SignatureChecker.isValidSignatureNow`: ECDSA through the `ecrecover` precompile with
//! `ECDSA.tryRecover`'s rules (65 bytes, `s` in the lower half) for an account without code,
//! ERC-1271 `isValidSignature` for a contract.

use alloc::vec::Vec;

use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::call::RawCall;
use stylus_sdk::keccak_const::Keccak256;
use stylus_sdk::prelude::*;

use tributary_stylus_common::abi;

use crate::{InvalidSignature, Registry, RegistryError, Result, SignatureExpired};

sol! {
    /// ERC-1271, as `SignatureChecker.isValidERC1271SignatureNow` calls it.
    interface IERC1271 {
        function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4);
    }
}

/// The EIP-712 domain's name, as the Solidity build's `EIP712("Tributary", "1")`.
pub const NAME: &str = "Tributary";
/// The EIP-712 domain's version.
pub const VERSION: &str = "1";

const fn hash(text: &str) -> B256 {
    B256::new(Keccak256::new().update(text.as_bytes()).finalize())
}

/// `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
pub const DOMAIN_TYPEHASH: B256 =
    hash("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
const NAME_HASH: B256 = hash(NAME);
const VERSION_HASH: B256 = hash(VERSION);
/// `REGISTER_TYPEHASH`.
pub const REGISTER_TYPEHASH: B256 = hash(
    "Register(address creator,bytes32 manifestHash,string uri,bytes32 termsHash,uint256 nonce,uint256 deadline)",
);
/// `PUBLISH_VERSION_TYPEHASH`.
pub const PUBLISH_VERSION_TYPEHASH: B256 = hash(
    "PublishVersion(uint256 datasetId,bytes32 manifestHash,string uri,uint256 nonce,uint256 deadline)",
);
/// `SET_STATUS_TYPEHASH`.
pub const SET_STATUS_TYPEHASH: B256 =
    hash("SetStatus(uint256 datasetId,uint8 status,uint256 nonce,uint256 deadline)");
/// `SET_TERMS_TYPEHASH`.
pub const SET_TERMS_TYPEHASH: B256 =
    hash("SetTerms(uint256 datasetId,bytes32 termsHash,uint256 nonce,uint256 deadline)");

/// The `ecrecover` precompile.
const ECRECOVER: Address = address!("0000000000000000000000000000000000000001");
/// The largest `s` OpenZeppelin's `ECDSA` accepts: `secp256k1n / 2`.
const HALF_ORDER: B256 = B256::new([
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// `keccak256(abi.encode(words...))` for static words.
pub fn hash_words(words: &[B256]) -> B256 {
    let mut encoded = Vec::with_capacity(32 * words.len());
    for word in words {
        encoded.extend_from_slice(word.as_slice());
    }
    keccak256(encoded)
}

impl Registry {
    /// `_useNonce`: the account's current nonce, then one more (unchecked, as OpenZeppelin).
    pub(crate) fn use_nonce(&mut self, account: Address) -> U256 {
        let nonce = self.nonces.get(account);
        self.nonces
            .insert(account, nonce.wrapping_add(U256::from(1)));
        nonce
    }

    /// `_domainSeparatorV4()`.
    fn domain_separator(&self) -> B256 {
        hash_words(&[
            DOMAIN_TYPEHASH,
            NAME_HASH,
            VERSION_HASH,
            U256::from(self.vm().chain_id()).into(),
            self.vm().contract_address().into_word(),
        ])
    }

    /// `_checkSignature`: the deadline first, then the signature over
    /// `_hashTypedDataV4(structHash)`.
    pub(crate) fn check_signature(
        &self,
        signer: Address,
        struct_hash: B256,
        deadline: U256,
        signature: &[u8],
    ) -> Result<()> {
        if U256::from(self.vm().block_timestamp()) > deadline {
            return Err(SignatureExpired { deadline }.into());
        }
        let mut typed = Vec::with_capacity(66);
        typed.extend_from_slice(&[0x19, 0x01]);
        typed.extend_from_slice(self.domain_separator().as_slice());
        typed.extend_from_slice(struct_hash.as_slice());
        let digest = keccak256(typed);
        let valid = if self.vm().code_size(signer) == 0 {
            self.recover(digest, signature)? == Some(signer)
        } else {
            self.erc1271_approves(signer, digest, signature)
        };
        if !valid {
            return Err(InvalidSignature {}.into());
        }
        Ok(())
    }

    /// `ECDSA.tryRecover(hash, signature)`: the signer, or `None` for a signature of another
    /// length, a high `s` (malleable form) or one `ecrecover` rejects.
    fn recover(&self, digest: B256, signature: &[u8]) -> Result<Option<Address>> {
        if signature.len() != 65 {
            return Ok(None);
        }
        let (r, s, v) = (&signature[..32], &signature[32..64], signature[64]);
        if s > HALF_ORDER.as_slice() {
            return Ok(None);
        }
        let mut input = Vec::with_capacity(128);
        input.extend_from_slice(digest.as_slice());
        input.extend_from_slice(&U256::from(v).to_be_bytes::<32>());
        input.extend_from_slice(r);
        input.extend_from_slice(s);
        // SAFETY: a static call changes no state.
        let output = unsafe { RawCall::new_static(self.vm()).call(ECRECOVER, &input) }
            .map_err(RegistryError::raw)?;
        // Solidity's `ecrecover` reads the output word, zero when the precompile returns none.
        if output.len() < 32 {
            return Ok(None);
        }
        let recovered = Address::from_slice(&output[12..32]);
        Ok((!recovered.is_zero()).then_some(recovered))
    }

    /// `SignatureChecker.isValidERC1271SignatureNow`: the call succeeds and returns at least a
    /// word that is `isValidSignature`'s selector.
    fn erc1271_approves(&self, signer: Address, digest: B256, signature: &[u8]) -> bool {
        let mut calldata = IERC1271::isValidSignatureCall::SELECTOR.to_vec();
        abi::word(&mut calldata, digest);
        abi::uint(&mut calldata, U256::from(0x40));
        abi::bytes(&mut calldata, signature);
        // SAFETY: a static call changes no state.
        let Ok(output) = (unsafe { RawCall::new_static(self.vm()).call(signer, &calldata) }) else {
            return false;
        };
        let mut magic = [0u8; 32];
        magic[..4].copy_from_slice(&IERC1271::isValidSignatureCall::SELECTOR);
        output.len() >= 32 && output[..32] == magic
    }
}
