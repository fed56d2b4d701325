//! Signing keys, the creator's EIP-712 signatures, and the hashes the
//! contract stores for splits and terms.
//!
//! A creator who cannot or will not pay gas signs a registry action and
//! anyone relays it (`registerWithSig`, `publishVersionWithSig`,
//! `setStatusWithSig`, `setTermsWithSig`). The typed messages here are the
//! type strings of `contracts/modules/Registry.sol`, under the domain
//! `Tributary`/`1` bound to the chain id and the contract's address; each
//! signature uses the creator's next nonce (`nonces(creator)`) and is valid
//! through its deadline (unix seconds).
//!
//! ```
//! use alloy::primitives::{Address, B256, U256};
//! use tributary_core::signing::{self, Key, PublishVersion};
//!
//! // anvil's first test account: a public key, never for real funds.
//! let key = Key::from_hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")?;
//! let domain = signing::domain(31337, Address::repeat_byte(0x11));
//! let message = PublishVersion {
//!     datasetId: U256::from(1),
//!     manifestHash: B256::repeat_byte(0xab),
//!     uri: "ipfs://bafy...".into(),
//!     nonce: U256::ZERO,
//!     deadline: U256::from(u64::MAX),
//! };
//! let signature = key.sign_typed(&message, &domain)?;
//! assert_eq!(signing::recover_signer(&message, &domain, &signature)?, key.address());
//! # Ok::<(), tributary_core::Error>(())
//! ```

use std::{fmt, path::Path, str::FromStr};

use alloy::{
    primitives::{Address, B256, Signature, U256, keccak256},
    signers::{
        SignerSync,
        local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English},
    },
    sol_types::{Eip712Domain, SolStruct, SolType, SolValue, sol_data},
};
use zeroize::Zeroizing;

use crate::{
    Error, Result,
    chain::{DatasetStatus, Offer, Split},
};

/// The EIP-712 domain name of the Tributary contract.
pub const DOMAIN_NAME: &str = "Tributary";
/// The EIP-712 domain version of the Tributary contract.
pub const DOMAIN_VERSION: &str = "1";

/// The EIP-712 domain of the Tributary contract at `verifying_contract` on
/// chain `chain_id` (the contract's `eip712Domain()` answers the same).
pub fn domain(chain_id: u64, verifying_contract: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(DOMAIN_NAME.into()),
        Some(DOMAIN_VERSION.into()),
        Some(U256::from(chain_id)),
        Some(verifying_contract),
        None,
    )
}

pub use messages::{PublishVersion, Register, SetStatus, SetTerms};

mod messages {
    // Field docs: the names are the type strings' own, explained on each struct.
    #![allow(missing_docs)]

    alloy::sol! {
        /// `registerWithSig`: `creator` registers `manifestHash` at `uri` with the
        /// split and offers whose [`terms_hash`](super::terms_hash) is `termsHash`.
        #[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
        struct Register {
            address creator;
            bytes32 manifestHash;
            string uri;
            bytes32 termsHash;
            uint256 nonce;
            uint256 deadline;
        }

        /// `publishVersionWithSig`: a new version `manifestHash` at `uri`.
        #[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
        struct PublishVersion {
            uint256 datasetId;
            bytes32 manifestHash;
            string uri;
            uint256 nonce;
            uint256 deadline;
        }

        /// `setStatusWithSig`: `status` is a [`DatasetStatus`](crate::chain::DatasetStatus) byte.
        #[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
        struct SetStatus {
            uint256 datasetId;
            uint8 status;
            uint256 nonce;
            uint256 deadline;
        }

        /// `setTermsWithSig`: new terms, by [`terms_hash`](super::terms_hash).
        #[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
        struct SetTerms {
            uint256 datasetId;
            bytes32 termsHash;
            uint256 nonce;
            uint256 deadline;
        }
    }
}

impl Register {
    /// The message for registering `manifest_hash` at `uri` with `split` and
    /// `offers` (hashed into `termsHash` here).
    pub fn new(
        creator: Address,
        manifest_hash: B256,
        uri: impl Into<String>,
        split: &Split,
        offers: &[Offer],
        nonce: U256,
        deadline: U256,
    ) -> Self {
        Self {
            creator,
            manifestHash: manifest_hash,
            uri: uri.into(),
            termsHash: terms_hash(split_hash(split), offers),
            nonce,
            deadline,
        }
    }
}

impl SetStatus {
    /// The message for moving dataset `dataset_id` to `status`.
    pub fn new(dataset_id: U256, status: DatasetStatus, nonce: U256, deadline: U256) -> Self {
        Self {
            datasetId: dataset_id,
            status: status.into(),
            nonce,
            deadline,
        }
    }
}

impl SetTerms {
    /// The message for replacing dataset `dataset_id`'s terms with `split` and `offers`.
    pub fn new(
        dataset_id: U256,
        split: &Split,
        offers: &[Offer],
        nonce: U256,
        deadline: U256,
    ) -> Self {
        Self {
            datasetId: dataset_id,
            termsHash: terms_hash(split_hash(split), offers),
            nonce,
            deadline,
        }
    }
}

/// The identifier of a split: `keccak256(abi.encode(payees, shares))`, as the
/// contract's `hashSplit`.
pub fn split_hash(split: &Split) -> B256 {
    // A struct's parameter encoding is `abi.encode` of its fields in order.
    keccak256(split.abi_encode_params())
}

/// `keccak256(abi.encode(offers))`, the second half of a terms hash.
pub fn offers_hash(offers: &[Offer]) -> B256 {
    keccak256(sol_data::Array::<Offer>::abi_encode(offers))
}

/// The terms hash the registry stores:
/// `keccak256(abi.encode(splitHash, keccak256(abi.encode(offers))))`, as the
/// contract's `hashTerms`.
pub fn terms_hash(split_hash: B256, offers: &[Offer]) -> B256 {
    let mut words = [0u8; 64];
    words[..32].copy_from_slice(split_hash.as_slice());
    words[32..].copy_from_slice(offers_hash(offers).as_slice());
    keccak256(words)
}

/// The address whose key signed `message` under `domain`.
///
/// Like the contract (OpenZeppelin `ECDSA`), this refuses the malleable
/// high-`s` form of a signature, so a signature it accepts is one the
/// contract accepts from that signer.
pub fn recover_signer<T: SolStruct>(
    message: &T,
    domain: &Eip712Domain,
    signature: &Signature,
) -> Result<Address> {
    if signature.normalize_s().is_some() {
        return Err(Error::InvalidSignature("high-s (malleable) form"));
    }
    signature
        .recover_address_from_prehash(&message.eip712_signing_hash(domain))
        .map_err(|_| Error::InvalidSignature("recovers no public key"))
}

/// Whether `signature` is `signer`'s over `message` under `domain`.
pub fn verify<T: SolStruct>(
    message: &T,
    domain: &Eip712Domain,
    signature: &Signature,
    signer: Address,
) -> bool {
    recover_signer(message, domain, signature).is_ok_and(|recovered| recovered == signer)
}

/// A local secp256k1 signing key: a creator's, a buyer's or a relayer's.
///
/// Loaded from a hex private key (in an environment variable or a key file)
/// or derived from a BIP-39 mnemonic. The secret never appears in `Debug`
/// output or error messages; the text it was read from is wiped after use.
#[derive(Clone)]
pub struct Key {
    signer: PrivateKeySigner,
}

impl Key {
    /// A key from a 32-byte hex private key, with or without `0x`.
    pub fn from_hex(hex: &str) -> Result<Self> {
        PrivateKeySigner::from_str(hex.trim())
            .map(|signer| Self { signer })
            .map_err(|_| Error::InvalidKey("not a 32-byte hex secp256k1 private key".into()))
    }

    /// A key from the hex private key in the environment variable `var`.
    pub fn from_env(var: &str) -> Result<Self> {
        let value =
            Zeroizing::new(std::env::var(var).map_err(|_| {
                Error::InvalidKey(format!("environment variable {var} is not set"))
            })?);
        Self::from_hex(&value)
            .map_err(|_| Error::InvalidKey(format!("{var} holds no hex private key")))
    }

    /// A key from a file holding a hex private key (surrounding whitespace ignored).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text =
            Zeroizing::new(std::fs::read_to_string(path).map_err(|err| Error::io(path, err))?);
        Self::from_hex(&text)
            .map_err(|_| Error::InvalidKey(format!("{} holds no hex private key", path.display())))
    }

    /// The key at `m/44'/60'/0'/0/{index}` of a BIP-39 English mnemonic (the
    /// path wallets and anvil use).
    pub fn from_mnemonic(phrase: &str, index: u32) -> Result<Self> {
        MnemonicBuilder::<English>::default()
            .phrase(phrase.trim())
            .index(index)
            .and_then(|builder| builder.build())
            .map(|signer| Self { signer })
            // The library's message may quote a word of the phrase: not repeated here.
            .map_err(|_| Error::InvalidKey("not a valid BIP-39 English mnemonic".into()))
    }

    /// The key at `index` of the mnemonic in the environment variable `var`.
    pub fn from_mnemonic_env(var: &str, index: u32) -> Result<Self> {
        let phrase =
            Zeroizing::new(std::env::var(var).map_err(|_| {
                Error::InvalidKey(format!("environment variable {var} is not set"))
            })?);
        Self::from_mnemonic(&phrase, index)
            .map_err(|_| Error::InvalidKey(format!("{var} holds no valid BIP-39 mnemonic")))
    }

    /// Creates a new random key and writes it, as hex, to a new file at
    /// `path` readable by its owner only (mode 0600). Refuses to replace an
    /// existing file: that would lose the key it holds.
    pub fn create_file(path: impl AsRef<Path>) -> Result<Self> {
        use std::io::Write;

        let path = path.as_ref();
        let mut secret = Zeroizing::new([0u8; 32]);
        // Rejection sampling: 32 random bytes are a valid secp256k1 scalar
        // except with probability about 2^-128.
        let signer = loop {
            getrandom::fill(secret.as_mut_slice()).map_err(Error::Random)?;
            if let Ok(signer) = PrivateKeySigner::from_slice(secret.as_slice()) {
                break signer;
            }
        };
        let hex = Zeroizing::new(alloy::hex::encode(secret.as_slice()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|err| Error::io(path, err))?;
        file.write_all(hex.as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(|err| Error::io(path, err))?;
        Ok(Self { signer })
    }

    /// The key's Ethereum address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The alloy signer, for building wallets.
    pub fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }

    /// Signs `message` under `domain` (EIP-712). The signature's
    /// [`as_bytes`](Signature::as_bytes) (`r ‖ s ‖ v`, `v` 27 or 28) is the
    /// `signature` argument of the contract's `…WithSig` functions.
    pub fn sign_typed<T: SolStruct>(
        &self,
        message: &T,
        domain: &Eip712Domain,
    ) -> Result<Signature> {
        Ok(self
            .signer
            .sign_hash_sync(&message.eip712_signing_hash(domain))?)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("address", &format_args!("{}", self.address()))
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let key = Key::from_hex(secret).expect("valid key");
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains(&secret[..16]), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(shown.contains(&key.address().to_string()), "{shown}");
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        for bad in [
            "",
            "0x",
            "zz",
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ffXX",
        ] {
            let err = Key::from_hex(bad).expect_err(bad).to_string();
            assert!(bad.len() < 4 || !err.contains(bad), "{err}");
        }
        let err = Key::from_mnemonic("test test test secretword", 0).expect_err("bad phrase");
        assert!(!err.to_string().contains("secretword"), "{err}");
    }
}
