//! The registry contract, run through its ABI router on the native test chain
//! (`tributary-stylus-testchain`), beside the real splits contract whose allow-list it reads.
//! Calldata, return values, events and errors are encoded from `abi/ITributary.json` and
//! `abi/TributaryInherited.json` (the Solidity build's ABI); EIP-712 digests are computed
//! independently with alloy's `SolStruct::eip712_signing_hash` and signed with k256 keys.

use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{
    eip712_domain, sol, Eip712Domain, SolCall, SolError, SolEvent, SolStruct, SolValue,
};
use k256::ecdsa::SigningKey;
use tributary_stylus_common::{panic_data, CREDITS, PANIC_OVERFLOW};
use tributary_stylus_testchain::{Chain, Log, Receipt};

sol!(
    #[allow(missing_docs)]
    #[sol(all_derives)]
    ITributary,
    "../../abi/ITributary.json"
);
sol!(
    #[allow(missing_docs)]
    #[sol(all_derives)]
    TributaryInherited,
    "../../abi/TributaryInherited.json"
);
sol! {
    /// The signed requests, as `contracts/interfaces/ITributaryRegistry.sol` documents them.
    struct Register { address creator; bytes32 manifestHash; string uri; bytes32 termsHash; uint256 nonce; uint256 deadline; }
    struct PublishVersion { uint256 datasetId; bytes32 manifestHash; string uri; uint256 nonce; uint256 deadline; }
    struct SetStatus { uint256 datasetId; uint8 status; uint256 nonce; uint256 deadline; }
    struct SetTerms { uint256 datasetId; bytes32 termsHash; uint256 nonce; uint256 deadline; }

    /// ERC-1271, answered by the test wallet.
    function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4);
    /// The splits admin call the tests use to allow a token.
    function setTokenAllowed(address token, bool allowed) external;
}

use ITributary::*;
use ITributaryTypes::{Offer, Split};
use TributaryInherited::eip712DomainCall;

const DEPLOYER: Address = address!("00000000000000000000000000000000000d3910");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const TREASURY: Address = address!("0000000000000000000000000000000000007ea5");
const RELAYER: Address = address!("000000000000000000000000000000000000e1a7");
const ALICE: Address = address!("0000000000000000000000000000000000a11ce0");
const BOB: Address = address!("0000000000000000000000000000000000b0b000");
const USDC: Address = address!("000000000000000000000000000000000000d5dc");
const DAI: Address = address!("0000000000000000000000000000000000000da1");

const ONE_OFF: u8 = 0;
const ROYALTY_LINKED: u8 = 1;
const SUBSCRIPTION: u8 = 2;
const CUSTOM: u8 = 3;
const ACTIVE: u8 = 1;
const PAUSED: u8 = 2;
const RETIRED: u8 = 3;

fn registry_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    stylus_sdk::abi::router_entrypoint::<crate::Registry, crate::Registry>(input, vm)
}

fn splits_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    stylus_sdk::abi::router_entrypoint::<
        tributary_stylus_splits::Splits,
        tributary_stylus_splits::Splits,
    >(input, vm)
}

/// An ERC-1271 wallet that approves exactly one digest (stored at slot 0 by the test) and
/// answers anything else with a wrong magic value; it reverts while slot 1 is non-zero.
fn wallet_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use stylus_sdk::stylus_core::host::StorageAccess;
    let call = isValidSignatureCall::abi_decode(&input).map_err(|_| Vec::new())?;
    if !vm.storage_load_bytes32(U256::from(1)).is_zero() {
        return Err(b"wallet says no".to_vec());
    }
    let approved = vm.storage_load_bytes32(U256::ZERO);
    let magic = if call.hash == approved {
        isValidSignatureCall::SELECTOR
    } else {
        [0xde, 0xad, 0xbe, 0xef]
    };
    Ok(alloy_primitives::FixedBytes::<4>::from(magic).abi_encode())
}

fn n(value: u64) -> U256 {
    U256::from(value)
}

fn error<E: SolError>(error: E) -> Vec<u8> {
    error.abi_encode()
}

fn manifest(k: u8) -> B256 {
    B256::repeat_byte(k)
}

fn payee(k: u64) -> Address {
    Address::from_word(B256::from(n(k)))
}

fn split(payees: &[Address], shares: &[u32]) -> Split {
    Split {
        payees: payees.to_vec(),
        shares: shares.to_vec(),
    }
}

fn thirds() -> Split {
    split(&[ALICE, BOB], &[1, 2])
}

fn offer(kind: u8, token: Address, bps: u16) -> Offer {
    Offer {
        kind,
        paymentToken: token,
        price: 1_000,
        duration: 86_400,
        transferable: kind != CUSTOM,
        royaltyBps: bps,
        supplyCap: 10,
        termsHash: B256::repeat_byte(0x7e),
    }
}

fn offers() -> Vec<Offer> {
    vec![
        offer(ONE_OFF, Address::ZERO, 0),
        offer(ROYALTY_LINKED, USDC, 500),
        offer(ONE_OFF, CREDITS, 0),
        offer(CUSTOM, Address::ZERO, 0),
    ]
}

/// `keccak256(abi.encode(payees, shares))`.
fn split_hash(split: &Split) -> B256 {
    keccak256((split.payees.clone(), split.shares.clone()).abi_encode_params())
}

/// `keccak256(abi.encode(splitHash, keccak256(abi.encode(offers))))`.
fn terms_hash(split: &Split, offers: &[Offer]) -> B256 {
    keccak256((split_hash(split), keccak256(offers.to_vec().abi_encode())).abi_encode())
}

/// A creator's key and address.
struct Signer {
    key: SigningKey,
    address: Address,
}

impl Signer {
    fn new(seed: u8) -> Self {
        let key = SigningKey::from_slice(&[seed; 32]).unwrap();
        let point = key.verifying_key().to_encoded_point(false);
        let address = Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..]);
        Self { key, address }
    }

    /// `r ‖ s ‖ v` over an EIP-712 digest, low `s` as every wallet produces.
    fn sign(&self, digest: B256) -> Vec<u8> {
        let (signature, recid) = self
            .key
            .sign_prehash_recoverable(digest.as_slice())
            .unwrap();
        let mut bytes = signature.to_bytes().to_vec();
        bytes.push(27 + recid.to_byte());
        bytes
    }
}

/// The same signature in its malleable form: `s' = n - s`, `v` flipped.
fn high_s(signature: &[u8]) -> Vec<u8> {
    let order = U256::from_be_slice(&alloy_primitives::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let s = U256::from_be_slice(&signature[32..64]);
    let mut malleable = signature.to_vec();
    malleable[32..64].copy_from_slice(&(order - s).to_be_bytes::<32>());
    malleable[64] ^= 27 ^ 28;
    malleable
}

struct Suite {
    chain: Chain,
    registry: Address,
    splits: Address,
}

impl Suite {
    fn new() -> Self {
        let chain = Chain::new();
        let splits = chain
            .deploy(
                splits_entrypoint,
                DEPLOYER,
                Some((ADMIN, TREASURY, 100u16).abi_encode_params()),
            )
            .expect("splits deploys");
        let registry = chain
            .deploy(
                registry_entrypoint,
                DEPLOYER,
                Some((splits,).abi_encode_params()),
            )
            .expect("registry deploys");
        let suite = Self {
            chain,
            registry,
            splits,
        };
        suite.allow(USDC, true);
        suite
    }

    fn allow(&self, token: Address, allowed: bool) {
        self.chain
            .send(
                ADMIN,
                self.splits,
                U256::ZERO,
                &setTokenAllowedCall { token, allowed },
            )
            .unwrap();
    }

    fn send<C: SolCall>(&self, from: Address, call: &C) -> Receipt<C::Return> {
        self.chain.send(from, self.registry, U256::ZERO, call)
    }

    fn view<C: SolCall>(&self, call: &C) -> C::Return {
        self.chain.view(self.registry, call)
    }

    fn log<E: SolEvent>(&self, event: E) -> Log {
        Log::of(self.registry, &event)
    }

    fn domain(&self) -> Eip712Domain {
        eip712_domain! {
            name: "Tributary",
            version: "1",
            chain_id: 42_161,
            verifying_contract: self.registry,
        }
    }

    fn register_as(&self, creator: Address, split: &Split, offers: &[Offer]) -> Receipt<U256> {
        self.send(
            creator,
            &registerCall {
                manifestHash: manifest(1),
                uri: "ipfs://manifest-1".into(),
                split: split.clone(),
                offers: offers.to_vec(),
            },
        )
    }

    /// A dataset of `creator` with the default terms; returns its id.
    fn dataset_of(&self, creator: Address) -> U256 {
        self.register_as(creator, &thirds(), &offers()).unwrap()
    }

    fn record(&self, dataset_id: U256) -> datasetReturn {
        self.view(&datasetCall {
            datasetId: dataset_id,
        })
    }

    fn nonce(&self, account: Address) -> U256 {
        self.view(&noncesCall { account })
    }

    fn deadline(&self) -> U256 {
        n(self.chain.timestamp() + 3_600)
    }

    fn set_status(&self, from: Address, dataset_id: U256, status: u8) -> Receipt<setStatusReturn> {
        self.send(
            from,
            &setStatusCall {
                datasetId: dataset_id,
                status,
            },
        )
    }

    /// `registerWithSig` by the relayer for `signer`, with `signature` (or the signer's own).
    fn register_signed(
        &self,
        signer: &Signer,
        manifest_hash: B256,
        deadline: U256,
        signature: Option<Vec<u8>>,
    ) -> Receipt<U256> {
        let request = Register {
            creator: signer.address,
            manifestHash: manifest_hash,
            uri: "ipfs://signed".into(),
            termsHash: terms_hash(&thirds(), &offers()),
            nonce: self.nonce(signer.address),
            deadline,
        };
        let signature =
            signature.unwrap_or_else(|| signer.sign(request.eip712_signing_hash(&self.domain())));
        self.send(
            RELAYER,
            &registerWithSigCall {
                creator: signer.address,
                manifestHash: manifest_hash,
                uri: "ipfs://signed".into(),
                split: thirds(),
                offers: offers(),
                deadline,
                signature: signature.into(),
            },
        )
    }

    fn register_digest(&self, creator: Address, deadline: U256) -> B256 {
        Register {
            creator,
            manifestHash: manifest(9),
            uri: "ipfs://signed".into(),
            termsHash: terms_hash(&thirds(), &offers()),
            nonce: self.nonce(creator),
            deadline,
        }
        .eip712_signing_hash(&self.domain())
    }
}

// ---------------------------------------------------------------------- views and pure helpers

#[test]
fn a_new_registry_is_empty() {
    let suite = Suite::new();
    assert_eq!(suite.view(&datasetCountCall {}), U256::ZERO);
    assert_eq!(suite.view(&MAX_PAYEESCall {}), n(256));
    assert_eq!(suite.view(&MAX_OFFERSCall {}), n(16));
    let record = suite.record(n(1));
    assert_eq!(
        (
            record.creator,
            record.status,
            record.versionCount,
            record.termsHash
        ),
        (Address::ZERO, 0, 0, B256::ZERO)
    );
    let batch = suite.view(&batchAnchorCall {
        root: B256::repeat_byte(1),
    });
    assert_eq!(
        (batch.anchorer, batch.anchoredAt, batch.count),
        (Address::ZERO, 0, 0)
    );
    assert_eq!(suite.nonce(ALICE), U256::ZERO);
}

#[test]
fn eip712_domain_is_erc5267() {
    let suite = Suite::new();
    let domain = suite.view(&eip712DomainCall {});
    assert_eq!(domain.fields.0, [0x0f]);
    assert_eq!(domain.name, "Tributary");
    assert_eq!(domain.version, "1");
    assert_eq!(domain.chainId, n(42_161));
    assert_eq!(domain.verifyingContract, suite.registry);
    assert_eq!(domain.salt, B256::ZERO);
    assert!(domain.extensions.is_empty());
}

#[test]
fn hash_split_and_hash_terms_are_the_abi_encode_hashes() {
    let suite = Suite::new();
    let thirds = thirds();
    assert_eq!(
        suite.view(&hashSplitCall {
            split: thirds.clone()
        }),
        split_hash(&thirds)
    );
    assert_eq!(
        suite.view(&hashTermsCall {
            splitHash: split_hash(&thirds),
            offers: offers(),
        }),
        terms_hash(&thirds, &offers())
    );
    // Pure: no validation, any split hashes.
    let unsorted = split_hash(&Split {
        payees: vec![BOB, ALICE],
        shares: vec![0],
    });
    assert_eq!(
        suite.view(&hashSplitCall {
            split: split(&[BOB, ALICE], &[0])
        }),
        unsorted
    );
}

// ---------------------------------------------------------------------- register

#[test]
fn register_records_the_dataset_and_emits_its_terms() {
    let suite = Suite::new();
    let receipt = suite.register_as(ALICE, &thirds(), &offers());
    assert_eq!(
        receipt.logs,
        [suite.log(DatasetRegistered {
            datasetId: n(1),
            creator: ALICE,
            manifestHash: manifest(1),
            uri: "ipfs://manifest-1".into(),
            split: thirds(),
            offers: offers(),
        })]
    );
    assert_eq!(receipt.unwrap(), n(1));
    let record = suite.record(n(1));
    assert_eq!(record.creator, ALICE);
    assert_eq!(record.status, ACTIVE);
    assert_eq!(record.versionCount, 1);
    assert_eq!(record.termsHash, terms_hash(&thirds(), &offers()));
    // Ids count from 1; the same manifest may be registered again by anyone.
    assert_eq!(suite.register_as(BOB, &thirds(), &offers()).unwrap(), n(2));
    assert_eq!(suite.view(&datasetCountCall {}), n(2));
    assert_eq!(suite.record(n(2)).creator, BOB);
}

#[test]
fn register_refuses_a_zero_manifest_after_checking_the_terms() {
    let suite = Suite::new();
    let call = |split: Split| registerCall {
        manifestHash: B256::ZERO,
        uri: String::new(),
        split,
        offers: offers(),
    };
    assert_eq!(
        suite.send(ALICE, &call(thirds())).unwrap_revert(),
        error(ZeroManifestHash {})
    );
    assert_eq!(
        suite.send(ALICE, &call(split(&[], &[]))).unwrap_revert(),
        error(InvalidSplitLength {})
    );
    assert_eq!(suite.view(&datasetCountCall {}), U256::ZERO);
}

#[test]
fn a_split_needs_matching_lengths_and_at_most_256_payees() {
    let suite = Suite::new();
    for bad in [
        split(&[], &[]),
        split(&[ALICE], &[]),
        split(&[ALICE, BOB], &[1]),
    ] {
        assert_eq!(
            suite.register_as(ALICE, &bad, &offers()).unwrap_revert(),
            error(InvalidSplitLength {})
        );
    }
    let payees: Vec<Address> = (1..=257).map(payee).collect();
    let shares = vec![1u32; 257];
    assert_eq!(
        suite
            .register_as(ALICE, &split(&payees, &shares), &offers())
            .unwrap_revert(),
        error(TooManyPayees { count: n(257) })
    );
    suite
        .register_as(ALICE, &split(&payees[..256], &shares[..256]), &offers())
        .unwrap();
}

#[test]
fn payees_must_ascend_strictly_and_shares_be_non_zero() {
    let suite = Suite::new();
    let cases = [
        (
            split(&[Address::ZERO, ALICE], &[1, 1]),
            error(PayeesNotSorted { index: n(0) }),
        ),
        (
            split(&[ALICE, ALICE], &[1, 1]),
            error(PayeesNotSorted { index: n(1) }),
        ),
        (
            split(&[BOB, ALICE], &[1, 1]),
            error(PayeesNotSorted { index: n(1) }),
        ),
        (
            split(&[ALICE, BOB], &[0, 1]),
            error(ZeroShare { index: n(0) }),
        ),
        (
            split(&[ALICE, BOB], &[1, 0]),
            error(ZeroShare { index: n(1) }),
        ),
        // The first bad index wins; at one index the payee is checked before the share.
        (
            split(&[ALICE, BOB, ALICE], &[0, 1, 1]),
            error(ZeroShare { index: n(0) }),
        ),
        (
            split(&[ALICE, ALICE], &[1, 0]),
            error(PayeesNotSorted { index: n(1) }),
        ),
    ];
    for (bad, expected) in cases {
        assert_eq!(
            suite.register_as(ALICE, &bad, &offers()).unwrap_revert(),
            expected
        );
    }
}

#[test]
fn offers_number_one_to_sixteen() {
    let suite = Suite::new();
    assert_eq!(
        suite.register_as(ALICE, &thirds(), &[]).unwrap_revert(),
        error(InvalidOfferCount { count: n(0) })
    );
    let many = vec![offer(ONE_OFF, Address::ZERO, 0); 17];
    assert_eq!(
        suite.register_as(ALICE, &thirds(), &many).unwrap_revert(),
        error(InvalidOfferCount { count: n(17) })
    );
    suite.register_as(ALICE, &thirds(), &many[..16]).unwrap();
}

#[test]
fn malformed_offers_are_refused_by_index() {
    let suite = Suite::new();
    let good = offer(ONE_OFF, Address::ZERO, 0);
    let malformed = [
        offer(ONE_OFF, Address::ZERO, 1),
        offer(SUBSCRIPTION, Address::ZERO, 100),
        offer(CUSTOM, Address::ZERO, 100),
        offer(ROYALTY_LINKED, Address::ZERO, 0),
        offer(ROYALTY_LINKED, Address::ZERO, 10_001),
        offer(ROYALTY_LINKED, CREDITS, 500),
        offer(ONE_OFF, DAI, 0),
    ];
    for bad in malformed {
        let receipt = suite.register_as(ALICE, &thirds(), &[good.clone(), bad.clone()]);
        assert_eq!(
            receipt.unwrap_revert(),
            error(InvalidOffer { index: n(1) }),
            "{bad:?}"
        );
    }
    // Royalty at exactly 100 %, credits for a one-off and an allowed token are fine.
    suite
        .register_as(
            ALICE,
            &thirds(),
            &[
                offer(ROYALTY_LINKED, USDC, 10_000),
                offer(ONE_OFF, CREDITS, 0),
                offer(SUBSCRIPTION, USDC, 0),
            ],
        )
        .unwrap();
    // A disallowed token is refused again.
    suite.allow(USDC, false);
    assert_eq!(
        suite
            .register_as(ALICE, &thirds(), &offers())
            .unwrap_revert(),
        error(InvalidOffer { index: n(1) })
    );
}

#[test]
fn the_first_bad_offer_wins_whichever_check_finds_it() {
    let suite = Suite::new();
    let disallowed = offer(ONE_OFF, DAI, 0);
    let royalty_on_one_off = offer(ONE_OFF, Address::ZERO, 5);
    assert_eq!(
        suite
            .register_as(
                ALICE,
                &thirds(),
                &[disallowed.clone(), royalty_on_one_off.clone()]
            )
            .unwrap_revert(),
        error(InvalidOffer { index: n(0) })
    );
    assert_eq!(
        suite
            .register_as(ALICE, &thirds(), &[royalty_on_one_off.clone(), disallowed])
            .unwrap_revert(),
        error(InvalidOffer { index: n(0) })
    );
    // A kind past `Custom` (4, which the ABI encoder cannot produce, so it is written into the
    // calldata) reverts empty when the check reaches it, and not after a malformed offer.
    let with_second_kind_4 = |first: Offer| {
        let mut calldata = registerCall {
            manifestHash: manifest(1),
            uri: String::new(),
            split: thirds(),
            offers: vec![first, offer(ONE_OFF, Address::ZERO, 0)],
        }
        .abi_encode();
        // The offers are the calldata's last words, eight per offer, the kind first.
        let second_kind = calldata.len() - 32 * 8;
        calldata[second_kind + 31] = 4;
        calldata
    };
    let receipt = suite.chain.call_raw(
        ALICE,
        suite.registry,
        U256::ZERO,
        with_second_kind_4(offer(ONE_OFF, Address::ZERO, 0)),
    );
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
    let receipt = suite.chain.call_raw(
        ALICE,
        suite.registry,
        U256::ZERO,
        with_second_kind_4(royalty_on_one_off),
    );
    assert_eq!(
        receipt.result.unwrap_err(),
        error(InvalidOffer { index: n(0) })
    );
}

#[test]
fn a_2_to_the_64th_dataset_panics_as_solidity() {
    let suite = Suite::new();
    suite.dataset_of(ALICE);
    // Slot 0 packs the splits address (low 20 bytes) and the 64-bit dataset count above it.
    let mut word = suite.chain.storage(suite.registry, U256::ZERO).0;
    assert_eq!(&word[12..], suite.splits.as_slice());
    assert_eq!(word[4..12], 1u64.to_be_bytes());
    word[4..12].copy_from_slice(&u64::MAX.to_be_bytes());
    suite
        .chain
        .set_storage(suite.registry, U256::ZERO, B256::from(word));
    assert_eq!(
        suite
            .register_as(ALICE, &thirds(), &offers())
            .unwrap_revert(),
        panic_data(PANIC_OVERFLOW)
    );
}

// ---------------------------------------------------------------------- publishVersion

#[test]
fn publish_version_counts_versions_and_emits_the_manifest() {
    let suite = Suite::new();
    let id = suite.dataset_of(ALICE);
    let receipt = suite.send(
        ALICE,
        &publishVersionCall {
            datasetId: id,
            manifestHash: manifest(2),
            uri: "ipfs://v2".into(),
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(VersionPublished {
            datasetId: id,
            version: 2,
            manifestHash: manifest(2),
            uri: "ipfs://v2".into(),
        })]
    );
    assert_eq!(receipt.unwrap(), 2);
    assert_eq!(suite.record(id).versionCount, 2);
    // A paused dataset still takes versions.
    suite.set_status(ALICE, id, PAUSED).unwrap();
    let version = suite
        .send(
            ALICE,
            &publishVersionCall {
                datasetId: id,
                manifestHash: manifest(3),
                uri: String::new(),
            },
        )
        .unwrap();
    assert_eq!(version, 3);
}

#[test]
fn publish_version_checks_manifest_dataset_creator_and_retirement_in_order() {
    let suite = Suite::new();
    let id = suite.dataset_of(ALICE);
    let publish = |from: Address, dataset_id: U256, hash: B256| {
        suite
            .send(
                from,
                &publishVersionCall {
                    datasetId: dataset_id,
                    manifestHash: hash,
                    uri: String::new(),
                },
            )
            .unwrap_revert()
    };
    assert_eq!(publish(BOB, n(9), B256::ZERO), error(ZeroManifestHash {}));
    assert_eq!(
        publish(BOB, n(9), manifest(2)),
        error(UnknownDataset { datasetId: n(9) })
    );
    assert_eq!(
        publish(BOB, id, manifest(2)),
        error(NotCreator {
            datasetId: id,
            account: BOB
        })
    );
    suite.set_status(ALICE, id, RETIRED).unwrap();
    assert_eq!(
        publish(ALICE, id, manifest(2)),
        error(DatasetNotActive {
            datasetId: id,
            status: RETIRED
        })
    );
}

#[test]
fn a_2_to_the_32nd_version_panics_as_solidity() {
    let suite = Suite::new();
    let id = suite.dataset_of(ALICE);
    // The record packs creator (low 20 bytes), status (1 byte) and version count (4 bytes)
    // in the slot of `datasets[id]`, a mapping at slot 1.
    let slot = U256::from_be_bytes(keccak256((id, n(1)).abi_encode()).0);
    let mut word = suite.chain.storage(suite.registry, slot).0;
    assert_eq!(&word[12..], ALICE.as_slice());
    assert_eq!((word[11], &word[7..11]), (ACTIVE, &1u32.to_be_bytes()[..]));
    word[7..11].copy_from_slice(&u32::MAX.to_be_bytes());
    suite
        .chain
        .set_storage(suite.registry, slot, B256::from(word));
    let receipt = suite.send(
        ALICE,
        &publishVersionCall {
            datasetId: id,
            manifestHash: manifest(2),
            uri: String::new(),
        },
    );
    assert_eq!(receipt.unwrap_revert(), panic_data(PANIC_OVERFLOW));
}

// ---------------------------------------------------------------------- setStatus

#[test]
fn status_moves_between_active_and_paused_until_retired() {
    let suite = Suite::new();
    let id = suite.dataset_of(ALICE);
    for status in [PAUSED, ACTIVE, PAUSED, RETIRED] {
        let receipt = suite.set_status(ALICE, id, status);
        assert_eq!(
            receipt.logs,
            [suite.log(StatusChanged {
                datasetId: id,
                status,
            })]
        );
        assert_eq!(suite.record(id).status, status);
    }
    for status in [ACTIVE, PAUSED, RETIRED, 0] {
        assert_eq!(
            suite.set_status(ALICE, id, status).unwrap_revert(),
            error(InvalidStatusTransition {
                from: RETIRED,
                to: status
            })
        );
    }
}

#[test]
fn set_status_refuses_none_the_same_status_strangers_and_unknown_ids() {
    let suite = Suite::new();
    let id = suite.dataset_of(ALICE);
    for status in [0, ACTIVE] {
        assert_eq!(
            suite.set_status(ALICE, id, status).unwrap_revert(),
            error(InvalidStatusTransition {
                from: ACTIVE,
                to: status
            })
        );
    }
    assert_eq!(
        suite.set_status(BOB, id, PAUSED).unwrap_revert(),
        error(NotCreator {
            datasetId: id,
            account: BOB
        })
    );
    assert_eq!(
        suite.set_status(ALICE, n(5), PAUSED).unwrap_revert(),
        error(UnknownDataset { datasetId: n(5) })
    );
}

#[test]
fn a_status_past_retired_reverts_empty_as_solidity_decoding() {
    let suite = Suite::new();
    suite.dataset_of(ALICE);
    let mut calldata = setStatusCall {
        datasetId: n(99),
        status: ACTIVE,
    }
    .abi_encode();
    // Before any other check: even for an unknown dataset.
    calldata[4 + 63] = 4;
    let receipt = suite
        .chain
        .call_raw(ALICE, suite.registry, U256::ZERO, calldata);
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
    // And for a dataset that exists.
    let mut calldata = setStatusCall {
        datasetId: n(1),
        status: ACTIVE,
    }
    .abi_encode();
    calldata[4 + 63] = 4;
    let receipt = suite
        .chain
        .call_raw(ALICE, suite.registry, U256::ZERO, calldata);
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
}

// ---------------------------------------------------------------------- setTerms

#[test]
fn set_terms_replaces_the_terms_hash_and_emits_the_terms() {
    let suite = Suite::new();
    let id = suite.dataset_of(ALICE);
    let new_split = split(&[ALICE, BOB, payee(0xca7010)], &[5, 3, 2]);
    let new_offers = vec![offer(ONE_OFF, USDC, 0)];
    let receipt = suite.send(
        ALICE,
        &setTermsCall {
            datasetId: id,
            split: new_split.clone(),
            offers: new_offers.clone(),
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(TermsSet {
            datasetId: id,
            split: new_split.clone(),
            offers: new_offers.clone(),
        })]
    );
    assert_eq!(
        suite.record(id).termsHash,
        terms_hash(&new_split, &new_offers)
    );
}

#[test]
fn set_terms_checks_the_terms_before_the_dataset() {
    let suite = Suite::new();
    let id = suite.dataset_of(ALICE);
    let set = |from: Address, dataset_id: U256, split: Split| {
        suite
            .send(
                from,
                &setTermsCall {
                    datasetId: dataset_id,
                    split,
                    offers: offers(),
                },
            )
            .unwrap_revert()
    };
    assert_eq!(
        set(BOB, n(9), split(&[], &[])),
        error(InvalidSplitLength {})
    );
    assert_eq!(
        set(BOB, n(9), thirds()),
        error(UnknownDataset { datasetId: n(9) })
    );
    assert_eq!(
        set(BOB, id, thirds()),
        error(NotCreator {
            datasetId: id,
            account: BOB
        })
    );
    suite.set_status(ALICE, id, RETIRED).unwrap();
    assert_eq!(
        set(ALICE, id, thirds()),
        error(DatasetNotActive {
            datasetId: id,
            status: RETIRED
        })
    );
}

// ---------------------------------------------------------------------- batches

/// OpenZeppelin's sorted-pair hash.
fn pair(a: B256, b: B256) -> B256 {
    if a < b {
        keccak256([a.0, b.0].concat())
    } else {
        keccak256([b.0, a.0].concat())
    }
}

fn leaf(manifest_hash: B256) -> B256 {
    keccak256(keccak256(manifest_hash.abi_encode()))
}

#[test]
fn anchor_batch_records_who_when_and_how_many() {
    let suite = Suite::new();
    let root = B256::repeat_byte(0x88);
    suite.chain.set_timestamp(1_800_000_000);
    let receipt = suite.send(
        BOB,
        &anchorBatchCall {
            root,
            count: 3,
            uri: "ipfs://batch".into(),
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(BatchAnchored {
            root,
            anchorer: BOB,
            count: 3,
            uri: "ipfs://batch".into(),
        })]
    );
    let batch = suite.view(&batchAnchorCall { root });
    assert_eq!(
        (batch.anchorer, batch.anchoredAt, batch.count),
        (BOB, 1_800_000_000, 3)
    );
    assert_eq!(
        suite
            .send(
                ALICE,
                &anchorBatchCall {
                    root,
                    count: 1,
                    uri: String::new()
                }
            )
            .unwrap_revert(),
        error(BatchAlreadyAnchored { root })
    );
    for (root, count) in [(B256::ZERO, 1), (B256::repeat_byte(1), 0)] {
        assert_eq!(
            suite
                .send(
                    ALICE,
                    &anchorBatchCall {
                        root,
                        count,
                        uri: String::new()
                    }
                )
                .unwrap_revert(),
            error(EmptyBatch {})
        );
    }
}

#[test]
fn batch_inclusion_follows_openzeppelin_merkle_proofs() {
    let suite = Suite::new();
    // Five manifests: leaves l0..l4, tree ((l0 l1) (l2 l3)) l4.
    let leaves: Vec<B256> = (1..=5).map(|k| leaf(manifest(k))).collect();
    let n01 = pair(leaves[0], leaves[1]);
    let n23 = pair(leaves[2], leaves[3]);
    let n0123 = pair(n01, n23);
    let root = pair(n0123, leaves[4]);
    let proofs = [
        vec![leaves[1], n23, leaves[4]],
        vec![leaves[0], n23, leaves[4]],
        vec![leaves[3], n01, leaves[4]],
        vec![leaves[2], n01, leaves[4]],
        vec![n0123],
    ];
    let verify = |manifest_hash: B256, proof: &[B256]| {
        suite.view(&verifyBatchInclusionCall {
            root,
            manifestHash: manifest_hash,
            proof: proof.to_vec(),
        })
    };
    assert!(!verify(manifest(1), &proofs[0]), "not anchored yet");
    suite
        .send(
            ALICE,
            &anchorBatchCall {
                root,
                count: 5,
                uri: String::new(),
            },
        )
        .unwrap();
    for (k, proof) in (1..=5).zip(&proofs) {
        assert!(verify(manifest(k), proof), "manifest {k}");
    }
    assert!(!verify(manifest(6), &proofs[0]));
    assert!(!verify(manifest(2), &proofs[0]));
    assert!(!verify(manifest(1), &proofs[0][..2]));
    // A one-manifest batch: the root is the leaf, the proof empty.
    let single = leaf(manifest(7));
    suite
        .send(
            ALICE,
            &anchorBatchCall {
                root: single,
                count: 1,
                uri: String::new(),
            },
        )
        .unwrap();
    assert!(suite.view(&verifyBatchInclusionCall {
        root: single,
        manifestHash: manifest(7),
        proof: vec![],
    }));
}

// ---------------------------------------------------------------------- signatures

#[test]
fn the_typehashes_are_the_documented_ones() {
    use crate::signature::*;
    for (constant, text) in [
        (DOMAIN_TYPEHASH, "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
        (REGISTER_TYPEHASH, "Register(address creator,bytes32 manifestHash,string uri,bytes32 termsHash,uint256 nonce,uint256 deadline)"),
        (PUBLISH_VERSION_TYPEHASH, "PublishVersion(uint256 datasetId,bytes32 manifestHash,string uri,uint256 nonce,uint256 deadline)"),
        (SET_STATUS_TYPEHASH, "SetStatus(uint256 datasetId,uint8 status,uint256 nonce,uint256 deadline)"),
        (SET_TERMS_TYPEHASH, "SetTerms(uint256 datasetId,bytes32 termsHash,uint256 nonce,uint256 deadline)"),
    ] {
        assert_eq!(constant, keccak256(text));
    }
    // And alloy's EIP-712 type strings for the same structs agree.
    for (constant, encoded_type) in [
        (REGISTER_TYPEHASH, Register::eip712_encode_type()),
        (
            PUBLISH_VERSION_TYPEHASH,
            PublishVersion::eip712_encode_type(),
        ),
        (SET_STATUS_TYPEHASH, SetStatus::eip712_encode_type()),
        (SET_TERMS_TYPEHASH, SetTerms::eip712_encode_type()),
    ] {
        assert_eq!(constant, keccak256(encoded_type.as_bytes()));
    }
}

#[test]
fn register_with_sig_registers_for_the_signer_once() {
    let suite = Suite::new();
    let creator = Signer::new(7);
    let deadline = suite.deadline();
    let request = Register {
        creator: creator.address,
        manifestHash: manifest(9),
        uri: "ipfs://signed".into(),
        termsHash: terms_hash(&thirds(), &offers()),
        nonce: U256::ZERO,
        deadline,
    };
    let signature = creator.sign(request.eip712_signing_hash(&suite.domain()));
    let receipt = suite.register_signed(&creator, manifest(9), deadline, Some(signature.clone()));
    assert_eq!(
        receipt.logs,
        [suite.log(DatasetRegistered {
            datasetId: n(1),
            creator: creator.address,
            manifestHash: manifest(9),
            uri: "ipfs://signed".into(),
            split: thirds(),
            offers: offers(),
        })]
    );
    assert_eq!(receipt.unwrap(), n(1));
    assert_eq!(suite.record(n(1)).creator, creator.address);
    assert_eq!(suite.nonce(creator.address), n(1));
    // Replay: the nonce moved on, so the same signature no longer matches.
    assert_eq!(
        suite
            .register_signed(&creator, manifest(9), deadline, Some(signature))
            .unwrap_revert(),
        error(InvalidSignature {})
    );
    assert_eq!(
        suite.nonce(creator.address),
        n(1),
        "a failed call keeps the nonce"
    );
    // A fresh signature over the next nonce works.
    assert_eq!(
        suite
            .register_signed(&creator, manifest(9), deadline, None)
            .unwrap(),
        n(2)
    );
}

#[test]
fn an_expired_signature_is_refused_and_the_deadline_second_is_valid() {
    let suite = Suite::new();
    let creator = Signer::new(7);
    let now = n(suite.chain.timestamp());
    assert_eq!(
        suite
            .register_signed(&creator, manifest(9), now - n(1), None)
            .unwrap_revert(),
        error(SignatureExpired {
            deadline: now - n(1)
        })
    );
    // The deadline is checked before the signature.
    assert_eq!(
        suite
            .register_signed(&creator, manifest(9), now - n(1), Some(vec![0; 65]))
            .unwrap_revert(),
        error(SignatureExpired {
            deadline: now - n(1)
        })
    );
    suite
        .register_signed(&creator, manifest(9), now, None)
        .unwrap();
}

#[test]
fn wrong_signers_and_malformed_signatures_are_refused() {
    let suite = Suite::new();
    let creator = Signer::new(7);
    let other = Signer::new(8);
    let deadline = suite.deadline();
    let digest = suite.register_digest(creator.address, deadline);
    let good = creator.sign(digest);
    let mut wrong_v = good.clone();
    wrong_v[64] = if good[64] == 27 { 28 } else { 27 };
    let mut v_01 = good.clone();
    v_01[64] -= 27;
    let mut compact = good[..64].to_vec();
    // EIP-2098 compact form: OpenZeppelin 5.4's `tryRecover(bytes)` takes 65 bytes only.
    if good[64] == 28 {
        compact[32] |= 0x80;
    }
    let other_domain = Eip712Domain {
        chain_id: Some(n(1)),
        ..suite.domain()
    };
    let other_chain = Register {
        creator: creator.address,
        manifestHash: manifest(9),
        uri: "ipfs://signed".into(),
        termsHash: terms_hash(&thirds(), &offers()),
        nonce: U256::ZERO,
        deadline,
    }
    .eip712_signing_hash(&other_domain);
    let mut longer = good.clone();
    longer.push(0);
    for signature in [
        other.sign(digest),
        high_s(&good),
        wrong_v,
        v_01,
        compact,
        longer,
        vec![],
        vec![0; 65],
        creator.sign(other_chain),
    ] {
        assert_eq!(
            suite
                .register_signed(&creator, manifest(9), deadline, Some(signature.clone()))
                .unwrap_revert(),
            error(InvalidSignature {}),
            "{}",
            alloy_primitives::hex::encode(&signature)
        );
    }
    assert_eq!(suite.nonce(creator.address), U256::ZERO);
    suite
        .register_signed(&creator, manifest(9), deadline, Some(good))
        .unwrap();
}

#[test]
fn the_zero_address_never_signs() {
    let suite = Suite::new();
    let deadline = suite.deadline();
    // A signature ecrecover rejects recovers the zero address; it must not pass for creator 0.
    let mut garbage = vec![0x11; 64];
    garbage.push(27);
    let receipt = suite.send(
        RELAYER,
        &registerWithSigCall {
            creator: Address::ZERO,
            manifestHash: manifest(9),
            uri: String::new(),
            split: thirds(),
            offers: offers(),
            deadline,
            signature: garbage.into(),
        },
    );
    assert_eq!(receipt.unwrap_revert(), error(InvalidSignature {}));
}

#[test]
fn register_with_sig_checks_terms_then_signature_then_manifest() {
    let suite = Suite::new();
    let creator = Signer::new(7);
    let deadline = suite.deadline();
    let call = |split: Split, manifest_hash: B256, signature: Vec<u8>| registerWithSigCall {
        creator: creator.address,
        manifestHash: manifest_hash,
        uri: "ipfs://signed".into(),
        split,
        offers: offers(),
        deadline,
        signature: signature.into(),
    };
    assert_eq!(
        suite
            .send(
                RELAYER,
                &call(split(&[BOB, ALICE], &[1, 1]), B256::ZERO, vec![])
            )
            .unwrap_revert(),
        error(PayeesNotSorted { index: n(1) })
    );
    assert_eq!(
        suite
            .send(RELAYER, &call(thirds(), B256::ZERO, vec![]))
            .unwrap_revert(),
        error(InvalidSignature {})
    );
    let digest = Register {
        creator: creator.address,
        manifestHash: B256::ZERO,
        uri: "ipfs://signed".into(),
        termsHash: terms_hash(&thirds(), &offers()),
        nonce: U256::ZERO,
        deadline,
    }
    .eip712_signing_hash(&suite.domain());
    assert_eq!(
        suite
            .send(RELAYER, &call(thirds(), B256::ZERO, creator.sign(digest)))
            .unwrap_revert(),
        error(ZeroManifestHash {})
    );
}

#[test]
fn publish_version_with_sig_publishes_for_the_creator() {
    let suite = Suite::new();
    let creator = Signer::new(7);
    let id = suite.dataset_of(creator.address);
    let deadline = suite.deadline();
    let sign = |signer: &Signer, nonce: u64| {
        signer.sign(
            PublishVersion {
                datasetId: id,
                manifestHash: manifest(2),
                uri: "ipfs://v2".into(),
                nonce: n(nonce),
                deadline,
            }
            .eip712_signing_hash(&suite.domain()),
        )
    };
    let call = |dataset_id: U256, signature: Vec<u8>| publishVersionWithSigCall {
        datasetId: dataset_id,
        manifestHash: manifest(2),
        uri: "ipfs://v2".into(),
        deadline,
        signature: signature.into(),
    };
    assert_eq!(
        suite
            .send(RELAYER, &call(n(9), sign(&creator, 0)))
            .unwrap_revert(),
        error(UnknownDataset { datasetId: n(9) })
    );
    assert_eq!(
        suite
            .send(RELAYER, &call(id, sign(&Signer::new(8), 0)))
            .unwrap_revert(),
        error(InvalidSignature {})
    );
    let signature = sign(&creator, 0);
    let receipt = suite.send(RELAYER, &call(id, signature.clone()));
    assert_eq!(
        receipt.logs,
        [suite.log(VersionPublished {
            datasetId: id,
            version: 2,
            manifestHash: manifest(2),
            uri: "ipfs://v2".into(),
        })]
    );
    assert_eq!(receipt.unwrap(), 2);
    assert_eq!(
        suite.send(RELAYER, &call(id, signature)).unwrap_revert(),
        error(InvalidSignature {})
    );
    suite.send(RELAYER, &call(id, sign(&creator, 1))).unwrap();
    assert_eq!(suite.record(id).versionCount, 3);
    // A retired dataset takes no version, even with a valid signature; the check follows it.
    suite.set_status(creator.address, id, RETIRED).unwrap();
    assert_eq!(
        suite
            .send(RELAYER, &call(id, sign(&creator, 2)))
            .unwrap_revert(),
        error(DatasetNotActive {
            datasetId: id,
            status: RETIRED
        })
    );
    let past = n(suite.chain.timestamp() - 1);
    let mut expired = call(id, sign(&creator, 2));
    expired.deadline = past;
    assert_eq!(
        suite.send(RELAYER, &expired).unwrap_revert(),
        error(SignatureExpired { deadline: past })
    );
}

#[test]
fn set_status_with_sig_sets_it_for_the_creator() {
    let suite = Suite::new();
    let creator = Signer::new(7);
    let id = suite.dataset_of(creator.address);
    let deadline = suite.deadline();
    let sign = |status: u8, nonce: u64| {
        creator.sign(
            SetStatus {
                datasetId: id,
                status,
                nonce: n(nonce),
                deadline,
            }
            .eip712_signing_hash(&suite.domain()),
        )
    };
    let call = |status: u8, signature: Vec<u8>, deadline: U256| setStatusWithSigCall {
        datasetId: id,
        status,
        deadline,
        signature: signature.into(),
    };
    let receipt = suite.send(RELAYER, &call(PAUSED, sign(PAUSED, 0), deadline));
    assert_eq!(
        receipt.logs,
        [suite.log(StatusChanged {
            datasetId: id,
            status: PAUSED,
        })]
    );
    // Signed for another status: refused.
    assert_eq!(
        suite
            .send(RELAYER, &call(RETIRED, sign(ACTIVE, 1), deadline))
            .unwrap_revert(),
        error(InvalidSignature {})
    );
    // A valid signature for a transition that is not allowed reverts with the transition.
    assert_eq!(
        suite
            .send(RELAYER, &call(PAUSED, sign(PAUSED, 1), deadline))
            .unwrap_revert(),
        error(InvalidStatusTransition {
            from: PAUSED,
            to: PAUSED
        })
    );
    let past = n(suite.chain.timestamp() - 1);
    assert_eq!(
        suite
            .send(RELAYER, &call(RETIRED, sign(RETIRED, 1), past))
            .unwrap_revert(),
        error(SignatureExpired { deadline: past })
    );
    suite
        .send(RELAYER, &call(RETIRED, sign(RETIRED, 1), deadline))
        .unwrap();
    assert_eq!(suite.record(id).status, RETIRED);
    assert_eq!(suite.nonce(creator.address), n(2));
}

#[test]
fn set_terms_with_sig_sets_them_for_the_creator() {
    let suite = Suite::new();
    let creator = Signer::new(7);
    let id = suite.dataset_of(creator.address);
    let deadline = suite.deadline();
    let new_offers = vec![offer(ONE_OFF, CREDITS, 0)];
    let signature = creator.sign(
        SetTerms {
            datasetId: id,
            termsHash: terms_hash(&thirds(), &new_offers),
            nonce: U256::ZERO,
            deadline,
        }
        .eip712_signing_hash(&suite.domain()),
    );
    let call = |offers: Vec<Offer>, signature: Vec<u8>| setTermsWithSigCall {
        datasetId: id,
        split: thirds(),
        offers,
        deadline,
        signature: signature.into(),
    };
    // Other terms than signed: refused.
    assert_eq!(
        suite
            .send(RELAYER, &call(offers(), signature.clone()))
            .unwrap_revert(),
        error(InvalidSignature {})
    );
    // Terms are checked before the signature.
    assert_eq!(
        suite
            .send(RELAYER, &call(vec![], signature.clone()))
            .unwrap_revert(),
        error(InvalidOfferCount { count: n(0) })
    );
    let receipt = suite.send(RELAYER, &call(new_offers.clone(), signature.clone()));
    assert_eq!(
        receipt.logs,
        [suite.log(TermsSet {
            datasetId: id,
            split: thirds(),
            offers: new_offers.clone(),
        })]
    );
    assert_eq!(
        suite.record(id).termsHash,
        terms_hash(&thirds(), &new_offers)
    );
    assert_eq!(
        suite
            .send(RELAYER, &call(new_offers.clone(), signature.clone()))
            .unwrap_revert(),
        error(InvalidSignature {})
    );
    // An unknown dataset is refused after the terms and before the signature.
    let mut unknown = call(new_offers, signature);
    unknown.datasetId = n(9);
    assert_eq!(
        suite.send(RELAYER, &unknown).unwrap_revert(),
        error(UnknownDataset { datasetId: n(9) })
    );
}

#[test]
fn contract_wallets_sign_with_erc1271() {
    let suite = Suite::new();
    let wallet = suite.chain.deploy_plain(wallet_entrypoint);
    let deadline = suite.deadline();
    let digest = suite.register_digest(wallet, deadline);
    let call = || registerWithSigCall {
        creator: wallet,
        manifestHash: manifest(9),
        uri: "ipfs://signed".into(),
        split: thirds(),
        offers: offers(),
        deadline,
        signature: Bytes::from_static(b"any wallet-defined proof"),
    };
    // The wallet does not approve this digest yet: wrong magic value.
    assert_eq!(
        suite.send(RELAYER, &call()).unwrap_revert(),
        error(InvalidSignature {})
    );
    suite.chain.set_storage(wallet, U256::ZERO, digest);
    assert_eq!(suite.send(RELAYER, &call()).unwrap(), n(1));
    assert_eq!(suite.record(n(1)).creator, wallet);
    // An ECDSA signature does not stand in for a contract: ERC-1271 decides alone.
    let key_signed = Signer::new(7).sign(suite.register_digest(wallet, deadline));
    let mut by_key = call();
    by_key.signature = key_signed.into();
    assert_eq!(
        suite.send(RELAYER, &by_key).unwrap_revert(),
        error(InvalidSignature {})
    );
    // A wallet that reverts refuses, whatever it would answer otherwise.
    suite
        .chain
        .set_storage(wallet, U256::ZERO, suite.register_digest(wallet, deadline));
    suite
        .chain
        .set_storage(wallet, U256::from(1), B256::repeat_byte(1));
    assert_eq!(
        suite.send(RELAYER, &call()).unwrap_revert(),
        error(InvalidSignature {})
    );
    suite.chain.set_storage(wallet, U256::from(1), B256::ZERO);
    assert_eq!(suite.send(RELAYER, &call()).unwrap(), n(2));
}

// ---------------------------------------------------------------------- calls without value

#[test]
fn functions_refuse_value_and_unknown_selectors() {
    let suite = Suite::new();
    suite.chain.set_balance(ALICE, n(10));
    let receipt = suite.chain.send(
        ALICE,
        suite.registry,
        n(1),
        &anchorBatchCall {
            root: B256::repeat_byte(1),
            count: 1,
            uri: String::new(),
        },
    );
    assert_eq!(receipt.unwrap_revert(), Vec::<u8>::new());
    let receipt = suite.chain.call_raw(
        ALICE,
        suite.registry,
        U256::ZERO,
        vec![0xde, 0xad, 0xbe, 0xef],
    );
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
}

// ---------------------------------------------------------------------- calldata decoding

/// `registerCall`'s calldata with the first occurrence of `find` replaced by `with`.
fn patched(call: &impl SolCall, find: &[u8], with: &[u8]) -> Vec<u8> {
    let mut calldata = call.abi_encode();
    let at = calldata
        .windows(find.len())
        .position(|window| window == find)
        .expect("pattern in calldata");
    calldata[at..at + with.len()].copy_from_slice(with);
    calldata
}

fn register_call(uri: &str) -> registerCall {
    registerCall {
        manifestHash: manifest(1),
        uri: uri.into(),
        split: thirds(),
        offers: offers(),
    }
}

#[test]
fn malformed_calldata_reverts_empty_as_the_router_does() {
    let suite = Suite::new();
    let valid = register_call("ipfs://m").abi_encode();
    let mut cases = vec![
        valid[..valid.len() - 1].to_vec(),
        valid[..4 + 32 * 3].to_vec(),
        valid[..3].to_vec(),
    ];
    // A payee with high bits set.
    cases.push(patched(
        &register_call("ipfs://m"),
        &ALICE.into_word()[..],
        &[0x01],
    ));
    // An offset past the end, and an array length past the end.
    let mut far = valid.clone();
    far[4 + 32 + 31] = 0xff;
    far[4 + 32 + 30] = 0xff;
    cases.push(far);
    let mut long = valid.clone();
    let uri_len_at = 4 + 32 * 4;
    long[uri_len_at + 28..uri_len_at + 32].copy_from_slice(&[0x7f, 0xff, 0xff, 0xff]);
    cases.push(long);
    // A boolean that is 2, a uint32 share with high bits, a uint8 kind above 255.
    let offers_at = valid.len() - 32 * 8 * 4;
    let mut two = valid.clone();
    two[offers_at + 4 * 32 + 31] = 2;
    cases.push(two);
    let mut kind = valid.clone();
    kind[offers_at + 30] = 1;
    cases.push(kind);
    let mut share = valid.clone();
    let shares_at = offers_at - 32 * 3;
    share[shares_at + 27] = 1;
    cases.push(share);
    for (i, calldata) in cases.into_iter().enumerate() {
        let receipt = suite
            .chain
            .call_raw(ALICE, suite.registry, U256::ZERO, calldata);
        assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new(), "case {i}");
    }
    assert_eq!(suite.view(&datasetCountCall {}), U256::ZERO);
    // The untouched calldata registers.
    suite
        .chain
        .call_raw(ALICE, suite.registry, U256::ZERO, valid)
        .result
        .unwrap();
    assert_eq!(suite.view(&datasetCountCall {}), n(1));
}

#[test]
fn a_status_or_count_past_its_width_reverts_empty() {
    let suite = Suite::new();
    let id = suite.dataset_of(ALICE);
    let mut calldata = setStatusWithSigCall {
        datasetId: id,
        status: PAUSED,
        deadline: suite.deadline(),
        signature: Bytes::new(),
    }
    .abi_encode();
    calldata[4 + 32 + 30] = 1;
    let receipt = suite
        .chain
        .call_raw(ALICE, suite.registry, U256::ZERO, calldata);
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
    let mut calldata = anchorBatchCall {
        root: B256::repeat_byte(1),
        count: 1,
        uri: String::new(),
    }
    .abi_encode();
    calldata[4 + 32 + 27] = 1;
    let receipt = suite
        .chain
        .call_raw(ALICE, suite.registry, U256::ZERO, calldata);
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
}

#[test]
fn a_uri_is_taken_as_bytes_as_solidity_does() {
    let suite = Suite::new();
    // Not UTF-8: Solidity's `string calldata` is bytes; the event carries them unchanged.
    let calldata = patched(&register_call("ipfs://ok"), b"ok", &[0xff, 0xfe]);
    let receipt = suite
        .chain
        .call_raw(ALICE, suite.registry, U256::ZERO, calldata);
    assert!(receipt.result.is_ok());
    let mut expected = suite.log(DatasetRegistered {
        datasetId: n(1),
        creator: ALICE,
        manifestHash: manifest(1),
        uri: "ipfs://ok".into(),
        split: thirds(),
        offers: offers(),
    });
    let mut data = expected.data.to_vec();
    let at = data.windows(2).position(|w| w == b"ok").unwrap();
    data[at..at + 2].copy_from_slice(&[0xff, 0xfe]);
    expected.data = data.into();
    assert_eq!(receipt.logs, [expected]);
}

#[test]
fn functions_behind_the_fallback_refuse_value() {
    let suite = Suite::new();
    suite.chain.set_balance(ALICE, n(10));
    let receipt = suite
        .chain
        .send(ALICE, suite.registry, n(1), &register_call("ipfs://m"));
    assert_eq!(receipt.unwrap_revert(), Vec::<u8>::new());
    let receipt = suite.chain.send(
        ALICE,
        suite.registry,
        n(1),
        &hashSplitCall { split: thirds() },
    );
    assert_eq!(receipt.unwrap_revert(), Vec::<u8>::new());
    assert_eq!(suite.chain.balance(suite.registry), U256::ZERO);
}
