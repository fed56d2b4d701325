//! Signing keys and EIP-712 messages, checked against the Solidity sources
//! (type strings, enums, the credits sentinel) and known key derivations.

use std::{fs, io::Write};

use alloy::{
    primitives::{Address, B256, Signature, U256, address, keccak256},
    sol_types::SolStruct,
};
use tributary_core::{
    Error,
    chain::{CREDITS, DatasetStatus, OfferKind, Split},
    signing::{self, Key, PublishVersion, Register, SetStatus, SetTerms},
};

use tributary_testkit::MNEMONIC;

use crate::support::repo_root;

fn solidity(path: &str) -> String {
    fs::read_to_string(repo_root().join(path)).expect("read Solidity source")
}

/// Every string literal in `source` that starts with `prefix`.
fn literals_starting(source: &str, prefix: &str) -> Vec<String> {
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|literal| literal.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn type_strings_are_the_contracts() {
    let registry = solidity("contracts/modules/Registry.sol");
    let ours = [
        Register::eip712_encode_type(),
        PublishVersion::eip712_encode_type(),
        SetStatus::eip712_encode_type(),
        SetTerms::eip712_encode_type(),
    ];
    for ours in ours {
        let name = &ours[..ours.find('(').expect("a type string")];
        let theirs = literals_starting(&registry, &format!("{name}("));
        assert_eq!(theirs, [ours.to_string()], "type string of {name}");
    }
    assert_eq!(
        Register::eip712_type_hash(&Register::default()),
        keccak256(
            "Register(address creator,bytes32 manifestHash,string uri,bytes32 termsHash,uint256 nonce,uint256 deadline)"
        )
    );
}

#[test]
fn enums_and_credits_sentinel_are_the_interfaces() {
    let types = solidity("contracts/interfaces/ITributaryTypes.sol");
    let variants = |name: &str| -> Vec<String> {
        let start = types
            .find(&format!("enum {name} {{"))
            .expect("enum declared");
        let body = &types[start..];
        let body = &body[body.find('{').expect("{") + 1..body.find('}').expect("}")];
        body.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("//"))
            .map(|line| line.trim_end_matches(',').to_owned())
            .collect()
    };
    let ours: Vec<&str> = DatasetStatus::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(variants("DatasetStatus"), ours);
    let ours: Vec<&str> = OfferKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(variants("OfferKind"), ours);
    for (byte, kind) in OfferKind::ALL.iter().enumerate() {
        assert_eq!(u8::from(*kind) as usize, byte);
        assert_eq!(OfferKind::try_from(byte as u8), Ok(*kind));
    }
    assert_eq!(DatasetStatus::try_from(4), Err(4));

    assert!(types.contains("address constant CREDITS = address(uint160(0xC4ED175));"));
    assert_eq!(
        CREDITS,
        Address::left_padding_from(&[0x0c, 0x4e, 0xd1, 0x75])
    );
}

#[test]
fn mnemonic_keys_are_the_standard_derivation() {
    // anvil's (and hardhat's) well-known test accounts.
    let expected = [
        address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
    ];
    for (index, expected) in expected.into_iter().enumerate() {
        let key = Key::from_mnemonic(MNEMONIC, index as u32).expect("derive");
        assert_eq!(key.address(), expected);
    }
    let first = Key::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        .expect("hex key");
    assert_eq!(first.address(), expected[0]);

    let err = Key::from_mnemonic("test test test", 0).expect_err("too short");
    assert!(matches!(err, Error::InvalidKey(_)), "{err}");
}

#[test]
fn keys_load_from_files_and_the_environment() {
    let secret = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let expected = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("creator.key");
    let mut file = fs::File::create(&path).expect("create");
    writeln!(file, "  0x{secret}  ").expect("write");
    drop(file);
    assert_eq!(Key::from_file(&path).expect("key file").address(), expected);

    let err = Key::from_file(dir.path().join("missing.key")).expect_err("no file");
    assert!(matches!(err, Error::Io { .. }), "{err}");
    fs::write(&path, "not a key").expect("write");
    let err = Key::from_file(&path).expect_err("bad file").to_string();
    assert!(
        err.contains("creator.key") && !err.contains("not a key"),
        "{err}"
    );

    // Each test thread uses its own variable names, so parallel tests do not race.
    // SAFETY: no other thread reads or writes these variables.
    unsafe {
        std::env::set_var("TRIBUTARY_TEST_KEY_OK", secret);
        std::env::set_var("TRIBUTARY_TEST_KEY_BAD", "0x1234");
        std::env::set_var("TRIBUTARY_TEST_MNEMONIC", MNEMONIC);
    }
    assert_eq!(
        Key::from_env("TRIBUTARY_TEST_KEY_OK")
            .expect("env key")
            .address(),
        expected
    );
    let err = Key::from_env("TRIBUTARY_TEST_KEY_BAD")
        .expect_err("bad")
        .to_string();
    assert!(
        err.contains("TRIBUTARY_TEST_KEY_BAD") && !err.contains("1234"),
        "{err}"
    );
    let err = Key::from_env("TRIBUTARY_TEST_KEY_UNSET")
        .expect_err("unset")
        .to_string();
    assert!(err.contains("TRIBUTARY_TEST_KEY_UNSET is not set"), "{err}");
    assert_eq!(
        Key::from_mnemonic_env("TRIBUTARY_TEST_MNEMONIC", 1)
            .expect("env mnemonic")
            .address(),
        expected
    );
}

#[test]
fn signatures_recover_their_signer_and_nothing_else() {
    let key = Key::from_mnemonic(MNEMONIC, 5).expect("key");
    let domain = signing::domain(31337, Address::repeat_byte(0x11));
    let split = Split::from_shares([(key.address(), 1)]);
    let message = Register::new(
        key.address(),
        B256::repeat_byte(7),
        "ipfs://x",
        &split,
        &[],
        U256::ZERO,
        U256::from(1_900_000_000u64),
    );
    let signature = key.sign_typed(&message, &domain).expect("sign");
    assert_eq!(signature.as_bytes().len(), 65);
    assert!(matches!(signature.as_bytes()[64], 27 | 28));
    assert!(signing::verify(
        &message,
        &domain,
        &signature,
        key.address()
    ));

    // Another nonce, another chain, another contract: another signer recovered.
    let mut other = message.clone();
    other.nonce = U256::from(1);
    assert!(!signing::verify(&other, &domain, &signature, key.address()));
    let other_chain = signing::domain(1, Address::repeat_byte(0x11));
    assert!(!signing::verify(
        &message,
        &other_chain,
        &signature,
        key.address()
    ));
    let other_contract = signing::domain(31337, Address::repeat_byte(0x12));
    assert!(!signing::verify(
        &message,
        &other_contract,
        &signature,
        key.address()
    ));

    // The malleable twin (s' = n - s, parity flipped) recovers the same key in
    // plain ECDSA, but the contract refuses it, and so do we.
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .expect("secp256k1 order");
    let twin = Signature::new(signature.r(), n - signature.s(), !signature.v());
    let err = signing::recover_signer(&message, &domain, &twin).expect_err("high s");
    assert!(matches!(err, Error::InvalidSignature(_)), "{err}");
    assert!(!signing::verify(&message, &domain, &twin, key.address()));
}

#[test]
fn hashes_follow_abi_encode() {
    // keccak256(abi.encode([0x…01], [uint32(1)])), spelled out word by word.
    let payee = Address::repeat_byte(1);
    let split = Split::from_shares([(payee, 1)]);
    let mut encoded = Vec::new();
    for word in [U256::from(0x40), U256::from(0x80), U256::from(1)] {
        encoded.extend(word.to_be_bytes::<32>());
    }
    encoded.extend(payee.into_word());
    for word in [U256::from(1), U256::from(1)] {
        encoded.extend(word.to_be_bytes::<32>());
    }
    assert_eq!(signing::split_hash(&split), keccak256(&encoded));
    assert_eq!(split.hash(), signing::split_hash(&split));

    // abi.encode(new Offer[](0)) is an offset and a zero length.
    let mut empty = [0u8; 64];
    empty[31] = 0x20;
    assert_eq!(signing::offers_hash(&[]), keccak256(empty));
    let mut terms = [0u8; 64];
    terms[..32].copy_from_slice(split.hash().as_slice());
    terms[32..].copy_from_slice(keccak256(empty).as_slice());
    assert_eq!(signing::terms_hash(split.hash(), &[]), keccak256(terms));
}
