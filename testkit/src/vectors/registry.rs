//! Registry vectors: registration, versions, status, terms, creators' signatures, batch anchors.

use alloy::primitives::{Address, B256, Bytes, FixedBytes, U256, keccak256};
use tributary_core::{
    chain::{
        CREDITS, ETH,
        ITributary::*,
        ITributaryTypes::{Offer, Split},
        TributaryInherited::{DEFAULT_ADMIN_ROLECall, eip712DomainCall},
    },
    merkle::Tree,
    signing::{self, PublishVersion, Register, SetStatus, SetTerms},
};

use super::{
    VectorFile,
    actors::{FEE_TOKEN, SUITE, USDC, admin, alice, bob, carol, creator, creator2, tag},
    fixtures::*,
    scenario::{Owner, Scenario},
};

pub(super) fn file() -> VectorFile {
    VectorFile {
        name: "registry",
        description: "Dataset registry: registration and its checks, versions, status, terms, \
                      creators' EIP-712 signatures (replay, expiry, wrong signer, malleability), \
                      batch anchors with inclusion proofs, constants.",
        scenarios: vec![
            register_and_read(),
            invalid_splits(),
            invalid_offers(),
            erc20_offers_need_the_allow_list(),
            versions(),
            status_transitions(),
            replace_terms(),
            register_with_signature(),
            signatures_that_fail(),
            publish_version_with_signature(),
            status_and_terms_with_signature(),
            batch_anchors(),
            domain_and_constants(),
        ],
    }
}

fn eth_split() -> (Split, Vec<Offer>) {
    (
        split(&[(&creator(), 3), (&carol(), 1)]),
        vec![offer(ETH, 1_000_000_000_000_000_000)],
    )
}

fn register_and_read() -> Scenario {
    let mut s = Scenario::new(
        "register and read back",
        "Two creators register; ids count from 1; dataset(), datasetCount(), hashSplit() and \
         hashTerms() answer what was registered; an unknown id reads as zeros.",
    );
    let (split1, offers1) = eth_split();
    register(&mut s, &creator(), 1, tag("manifest-1"), &split1, &offers1);
    let split2 = split(&[(&creator2(), 1)]);
    let offers2 = vec![offer(USDC, 5_000_000), offer(CREDITS, 500)];
    register(&mut s, &creator2(), 2, tag("manifest-2"), &split2, &offers2);
    s.call(
        &bob(),
        datasetCall {
            datasetId: U256::from(1),
        },
    )
    .returns((
        creator().address(),
        U256::from(ACTIVE),
        1u32,
        terms_hash(&split1, &offers1),
    ));
    s.call(
        &bob(),
        datasetCall {
            datasetId: U256::from(2),
        },
    )
    .returns((
        creator2().address(),
        U256::from(ACTIVE),
        1u32,
        terms_hash(&split2, &offers2),
    ));
    s.call(
        &bob(),
        datasetCall {
            datasetId: U256::from(3),
        },
    )
    .returns((Address::ZERO, U256::from(NONE), 0u32, B256::ZERO));
    s.call(&bob(), datasetCountCall {})
        .returns((U256::from(2),));
    s.call(
        &bob(),
        hashSplitCall {
            split: split1.clone(),
        },
    )
    .returns((signing::split_hash(&split1),));
    s.call(
        &bob(),
        hashTermsCall {
            splitHash: signing::split_hash(&split1),
            offers: offers1.clone(),
        },
    )
    .returns((terms_hash(&split1, &offers1),));
    // The same manifest may be registered again (by anyone): ids differ.
    register(&mut s, &creator2(), 3, tag("manifest-1"), &split2, &offers2);
    s
}

fn invalid_splits() -> Scenario {
    let mut s = Scenario::new(
        "register rejects malformed splits",
        "Empty, mismatched, unsorted, duplicate, zero-payee, zero-share and oversized splits, \
         and a zero manifest hash, each revert with their error; nothing is registered.",
    );
    let offers = vec![offer(ETH, 1000)];
    let attempt = |s: &mut Scenario, split: Split, manifest: B256| {
        s.call(
            &creator(),
            registerCall {
                manifestHash: manifest,
                uri: "ipfs://bad".into(),
                split,
                offers: offers.clone(),
            },
        );
    };
    let (a, b, c) = sorted3();
    attempt(
        &mut s,
        Split {
            payees: vec![],
            shares: vec![],
        },
        tag("m"),
    );
    last(&mut s).reverts(InvalidSplitLength {});
    attempt(
        &mut s,
        Split {
            payees: vec![a, b],
            shares: vec![1],
        },
        tag("m"),
    );
    last(&mut s).reverts(InvalidSplitLength {});
    attempt(
        &mut s,
        Split {
            payees: vec![a, c, b],
            shares: vec![1, 1, 1],
        },
        tag("m"),
    );
    last(&mut s).reverts(PayeesNotSorted {
        index: U256::from(2),
    });
    attempt(
        &mut s,
        Split {
            payees: vec![a, a],
            shares: vec![1, 1],
        },
        tag("m"),
    );
    last(&mut s).reverts(PayeesNotSorted {
        index: U256::from(1),
    });
    attempt(
        &mut s,
        Split {
            payees: vec![Address::ZERO, a],
            shares: vec![1, 1],
        },
        tag("m"),
    );
    last(&mut s).reverts(PayeesNotSorted { index: U256::ZERO });
    attempt(
        &mut s,
        Split {
            payees: vec![a, b, c],
            shares: vec![1, 0, 1],
        },
        tag("m"),
    );
    last(&mut s).reverts(ZeroShare {
        index: U256::from(1),
    });
    let many: Vec<Address> = (1..=257u64)
        .map(|i| Address::left_padding_from(&(i + 0x1000).to_be_bytes()))
        .collect();
    attempt(
        &mut s,
        Split {
            payees: many.clone(),
            shares: vec![1; 257],
        },
        tag("m"),
    );
    last(&mut s).reverts(TooManyPayees {
        count: U256::from(257),
    });
    // 256 payees is the limit, and is accepted.
    let split256 = Split {
        payees: many[..256].to_vec(),
        shares: vec![1; 256],
    };
    attempt(&mut s, split(&[(&creator(), 1)]), B256::ZERO);
    last(&mut s).reverts(ZeroManifestHash {});
    s.call(&bob(), datasetCountCall {}).returns((U256::ZERO,));
    register(&mut s, &creator(), 1, tag("m"), &split256, &offers);
    s
}

/// Three addresses in ascending order.
fn sorted3() -> (Address, Address, Address) {
    let mut three = [alice().address(), bob().address(), carol().address()];
    three.sort();
    (three[0], three[1], three[2])
}

fn last(s: &mut Scenario) -> &mut super::scenario::Call {
    s.last_call()
}

fn invalid_offers() -> Scenario {
    let mut s = Scenario::new(
        "register rejects malformed offers",
        "No offers or more than 16; a royalty on a one-off offer; a royalty-linked offer \
         without royalty, above 100 %, or owed in credits; each reverts naming the first bad \
         offer. Sixteen offers, a subscription offer and a 100 % royalty are accepted.",
    );
    let payees = split(&[(&creator(), 1)]);
    let attempt = |s: &mut Scenario, offers: Vec<Offer>| {
        s.call(
            &creator(),
            registerCall {
                manifestHash: tag("m"),
                uri: String::new(),
                split: payees.clone(),
                offers,
            },
        );
    };
    let eth = offer(ETH, 1);
    attempt(&mut s, vec![]);
    last(&mut s).reverts(InvalidOfferCount { count: U256::ZERO });
    attempt(&mut s, vec![eth.clone(); 17]);
    last(&mut s).reverts(InvalidOfferCount {
        count: U256::from(17),
    });
    let royalty_on_one_off = Offer {
        royaltyBps: 100,
        ..eth.clone()
    };
    attempt(&mut s, vec![eth.clone(), royalty_on_one_off]);
    last(&mut s).reverts(InvalidOffer {
        index: U256::from(1),
    });
    let royalty = Offer {
        kind: ROYALTY_LINKED,
        royaltyBps: 500,
        ..eth.clone()
    };
    attempt(
        &mut s,
        vec![Offer {
            royaltyBps: 0,
            ..royalty.clone()
        }],
    );
    last(&mut s).reverts(InvalidOffer { index: U256::ZERO });
    attempt(
        &mut s,
        vec![
            royalty.clone(),
            Offer {
                royaltyBps: 10_001,
                ..royalty.clone()
            },
        ],
    );
    last(&mut s).reverts(InvalidOffer {
        index: U256::from(1),
    });
    attempt(
        &mut s,
        vec![Offer {
            paymentToken: CREDITS,
            ..royalty.clone()
        }],
    );
    last(&mut s).reverts(InvalidOffer { index: U256::ZERO });
    s.call(&bob(), datasetCountCall {}).returns((U256::ZERO,));
    let subscription = Offer {
        kind: SUBSCRIPTION,
        ..eth.clone()
    };
    let full_royalty = Offer {
        royaltyBps: 10_000,
        ..royalty
    };
    let mut sixteen = vec![eth; 14];
    sixteen.push(subscription);
    sixteen.push(full_royalty);
    register(&mut s, &creator(), 1, tag("m"), &payees, &sixteen);
    s
}

fn erc20_offers_need_the_allow_list() -> Scenario {
    let mut s = Scenario::new(
        "ERC-20 offers need the allow-list",
        "An offer in a token the admin has not allowed reverts InvalidOffer (after the \
         offers before it); allowing the token (TokenAllowed) admits it; disallowing it again \
         refuses new offers.",
    );
    let payees = split(&[(&creator(), 1)]);
    let offers = vec![offer(USDC, 10), offer(FEE_TOKEN, 10)];
    s.call(
        &creator(),
        registerCall {
            manifestHash: tag("m"),
            uri: "u".into(),
            split: payees.clone(),
            offers: offers.clone(),
        },
    )
    .reverts(InvalidOffer {
        index: U256::from(1),
    });
    s.call(&bob(), isTokenAllowedCall { token: FEE_TOKEN })
        .returns((false,));
    s.call(
        &admin(),
        setTokenAllowedCall {
            token: FEE_TOKEN,
            allowed: true,
        },
    )
    .emits(TokenAllowed {
        token: FEE_TOKEN,
        allowed: true,
    });
    s.call(&bob(), isTokenAllowedCall { token: FEE_TOKEN })
        .returns((true,));
    register(&mut s, &creator(), 1, tag("m"), &payees, &offers);
    s.call(
        &admin(),
        setTokenAllowedCall {
            token: FEE_TOKEN,
            allowed: false,
        },
    )
    .emits(TokenAllowed {
        token: FEE_TOKEN,
        allowed: false,
    });
    s.call(
        &creator(),
        registerCall {
            manifestHash: tag("m2"),
            uri: "u".into(),
            split: payees,
            offers,
        },
    )
    .reverts(InvalidOffer {
        index: U256::from(1),
    });
    s
}

fn versions() -> Scenario {
    let mut s = Scenario::new(
        "publish versions",
        "The creator publishes versions 2 and 3; another account, an unknown dataset, a zero \
         manifest hash and a retired dataset are refused.",
    );
    let (payees, offers) = eth_split();
    register(&mut s, &creator(), 1, tag("v1"), &payees, &offers);
    for version in [2u32, 3] {
        let manifest = tag(&format!("v{version}"));
        let uri = format!("ipfs://v{version}");
        s.call(
            &creator(),
            publishVersionCall {
                datasetId: U256::from(1),
                manifestHash: manifest,
                uri: uri.clone(),
            },
        )
        .returns((version,))
        .emits(VersionPublished {
            datasetId: U256::from(1),
            version,
            manifestHash: manifest,
            uri,
        });
    }
    s.call(
        &creator2(),
        publishVersionCall {
            datasetId: U256::from(1),
            manifestHash: tag("x"),
            uri: "x".into(),
        },
    )
    .reverts(NotCreator {
        datasetId: U256::from(1),
        account: creator2().address(),
    });
    s.call(
        &creator(),
        publishVersionCall {
            datasetId: U256::from(9),
            manifestHash: tag("x"),
            uri: "x".into(),
        },
    )
    .reverts(UnknownDataset {
        datasetId: U256::from(9),
    });
    s.call(
        &creator(),
        publishVersionCall {
            datasetId: U256::from(1),
            manifestHash: B256::ZERO,
            uri: "x".into(),
        },
    )
    .reverts(ZeroManifestHash {});
    s.call(
        &bob(),
        datasetCall {
            datasetId: U256::from(1),
        },
    )
    .returns((
        creator().address(),
        U256::from(ACTIVE),
        3u32,
        terms_hash(&payees, &offers),
    ));
    s.call(
        &creator(),
        setStatusCall {
            datasetId: U256::from(1),
            status: RETIRED,
        },
    )
    .emits(StatusChanged {
        datasetId: U256::from(1),
        status: RETIRED,
    });
    s.call(
        &creator(),
        publishVersionCall {
            datasetId: U256::from(1),
            manifestHash: tag("v4"),
            uri: "x".into(),
        },
    )
    .reverts(DatasetNotActive {
        datasetId: U256::from(1),
        status: RETIRED,
    });
    s
}

fn status_transitions() -> Scenario {
    let mut s = Scenario::new(
        "status transitions",
        "Active → Paused → Active → Retired; a transition to the same status or to None, out \
         of Retired, by another account or on an unknown dataset is refused.",
    );
    let (payees, offers) = eth_split();
    register(&mut s, &creator(), 1, tag("m"), &payees, &offers);
    let id = U256::from(1);
    s.call(
        &creator(),
        setStatusCall {
            datasetId: id,
            status: PAUSED,
        },
    )
    .emits(StatusChanged {
        datasetId: id,
        status: PAUSED,
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: id,
            status: PAUSED,
        },
    )
    .reverts(InvalidStatusTransition {
        from: PAUSED,
        to: PAUSED,
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: id,
            status: ACTIVE,
        },
    )
    .emits(StatusChanged {
        datasetId: id,
        status: ACTIVE,
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: id,
            status: NONE,
        },
    )
    .reverts(InvalidStatusTransition {
        from: ACTIVE,
        to: NONE,
    });
    s.call(
        &creator2(),
        setStatusCall {
            datasetId: id,
            status: PAUSED,
        },
    )
    .reverts(NotCreator {
        datasetId: id,
        account: creator2().address(),
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: U256::from(2),
            status: PAUSED,
        },
    )
    .reverts(UnknownDataset {
        datasetId: U256::from(2),
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: id,
            status: RETIRED,
        },
    )
    .emits(StatusChanged {
        datasetId: id,
        status: RETIRED,
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: id,
            status: ACTIVE,
        },
    )
    .reverts(InvalidStatusTransition {
        from: RETIRED,
        to: ACTIVE,
    });
    s.call(&bob(), datasetCall { datasetId: id }).returns((
        creator().address(),
        U256::from(RETIRED),
        1u32,
        terms_hash(&payees, &offers),
    ));
    s
}

fn replace_terms() -> Scenario {
    let mut s = Scenario::new(
        "replace terms",
        "setTerms stores the new terms hash and emits the full terms; malformed terms are \
         refused before the dataset is looked up; another account, an unknown or a retired \
         dataset is refused.",
    );
    let (payees, offers) = eth_split();
    register(&mut s, &creator(), 1, tag("m"), &payees, &offers);
    let id = U256::from(1);
    let new_split = split(&[(&creator(), 1), (&carol(), 1), (&bob(), 2)]);
    let new_offers = vec![offer(ETH, 2), offer(USDC, 3)];
    s.call(
        &creator(),
        setTermsCall {
            datasetId: id,
            split: new_split.clone(),
            offers: new_offers.clone(),
        },
    )
    .emits(TermsSet {
        datasetId: id,
        split: new_split.clone(),
        offers: new_offers.clone(),
    });
    s.call(&bob(), datasetCall { datasetId: id }).returns((
        creator().address(),
        U256::from(ACTIVE),
        1u32,
        terms_hash(&new_split, &new_offers),
    ));
    s.call(
        &creator(),
        setTermsCall {
            datasetId: U256::from(7),
            split: new_split.clone(),
            offers: vec![],
        },
    )
    .reverts(InvalidOfferCount { count: U256::ZERO });
    s.call(
        &creator(),
        setTermsCall {
            datasetId: U256::from(7),
            split: new_split.clone(),
            offers: offers.clone(),
        },
    )
    .reverts(UnknownDataset {
        datasetId: U256::from(7),
    });
    s.call(
        &creator2(),
        setTermsCall {
            datasetId: id,
            split: new_split.clone(),
            offers: offers.clone(),
        },
    )
    .reverts(NotCreator {
        datasetId: id,
        account: creator2().address(),
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: id,
            status: RETIRED,
        },
    )
    .emits(StatusChanged {
        datasetId: id,
        status: RETIRED,
    });
    s.call(
        &creator(),
        setTermsCall {
            datasetId: id,
            split: new_split,
            offers,
        },
    )
    .reverts(DatasetNotActive {
        datasetId: id,
        status: RETIRED,
    });
    s
}

fn register_with_signature() -> Scenario {
    let mut s = Scenario::new(
        "register with the creator's signature",
        "Anyone relays a creator's signed registration; the nonce advances; the same \
         signature replayed is invalid; a deadline equal to the block time is still valid.",
    );
    let (payees, offers) = eth_split();
    let manifest = tag("signed");
    let uri = "ipfs://signed".to_string();
    let deadline = U256::from(s.now() + 3600);
    let message = Register::new(
        creator().address(),
        manifest,
        uri.clone(),
        &payees,
        &offers,
        U256::ZERO,
        deadline,
    );
    let signature = sign(&creator(), &message);
    s.call(
        &alice(),
        noncesCall {
            account: creator().address(),
        },
    )
    .returns((U256::ZERO,));
    let call = registerWithSigCall {
        creator: creator().address(),
        manifestHash: manifest,
        uri: uri.clone(),
        split: payees.clone(),
        offers: offers.clone(),
        deadline,
        signature: signature.clone(),
    };
    s.call(&alice(), call.clone())
        .returns((U256::from(1),))
        .emits(DatasetRegistered {
            datasetId: U256::from(1),
            creator: creator().address(),
            manifestHash: manifest,
            uri: uri.clone(),
            split: payees.clone(),
            offers: offers.clone(),
        });
    s.call(
        &alice(),
        noncesCall {
            account: creator().address(),
        },
    )
    .returns((U256::from(1),));
    s.call(&bob(), call).reverts(InvalidSignature {});
    // Nonce 1, deadline = the block time of the call.
    let deadline = U256::from(s.now());
    let message = Register::new(
        creator().address(),
        manifest,
        uri.clone(),
        &payees,
        &offers,
        U256::from(1),
        deadline,
    );
    s.call(
        &bob(),
        registerWithSigCall {
            creator: creator().address(),
            manifestHash: manifest,
            uri: uri.clone(),
            split: payees.clone(),
            offers: offers.clone(),
            deadline,
            signature: sign(&creator(), &message),
        },
    )
    .returns((U256::from(2),))
    .emits(DatasetRegistered {
        datasetId: U256::from(2),
        creator: creator().address(),
        manifestHash: manifest,
        uri,
        split: payees,
        offers,
    });
    s
}

fn signatures_that_fail() -> Scenario {
    let mut s = Scenario::new(
        "signatures that must fail",
        "Expired (one second past the deadline), signed by another key, the malleable high-s \
         form of a valid signature, a 64-byte signature, a signature over other terms, and \
         invalid terms (checked before the signature): none registers, the nonce stays 0.",
    );
    let (payees, offers) = eth_split();
    let manifest = tag("signed");
    let uri = "ipfs://signed".to_string();
    let start = s.now();
    let sign_with = |signer: &super::actors::Actor, deadline: u64, offers: &[Offer]| {
        sign(
            signer,
            &Register::new(
                creator().address(),
                manifest,
                uri.clone(),
                &payees,
                offers,
                U256::ZERO,
                U256::from(deadline),
            ),
        )
    };
    let attempt = |s: &mut Scenario, offers: Vec<Offer>, deadline: u64, signature: Bytes| {
        s.call(
            &alice(),
            registerWithSigCall {
                creator: creator().address(),
                manifestHash: manifest,
                uri: uri.clone(),
                split: payees.clone(),
                offers,
                deadline: U256::from(deadline),
                signature,
            },
        );
    };
    let expiring = sign_with(&creator(), start + 10, &offers);
    s.warp(11);
    attempt(&mut s, offers.clone(), start + 10, expiring);
    last(&mut s).reverts(SignatureExpired {
        deadline: U256::from(start + 10),
    });
    let deadline = s.now() + 100;
    attempt(
        &mut s,
        offers.clone(),
        deadline,
        sign_with(&alice(), deadline, &offers),
    );
    last(&mut s).reverts(InvalidSignature {});
    let valid = sign_with(&creator(), deadline, &offers);
    attempt(&mut s, offers.clone(), deadline, high_s(&valid));
    last(&mut s).reverts(InvalidSignature {});
    attempt(
        &mut s,
        offers.clone(),
        deadline,
        Bytes::from(valid[..64].to_vec()),
    );
    last(&mut s).reverts(InvalidSignature {});
    let other_offers = vec![offer(ETH, 1)];
    attempt(&mut s, other_offers, deadline, valid.clone());
    last(&mut s).reverts(InvalidSignature {});
    attempt(&mut s, vec![], deadline, valid);
    last(&mut s).reverts(InvalidOfferCount { count: U256::ZERO });
    s.call(
        &alice(),
        noncesCall {
            account: creator().address(),
        },
    )
    .returns((U256::ZERO,));
    s.call(&alice(), datasetCountCall {}).returns((U256::ZERO,));
    s
}

/// The other valid-looking form of a 65-byte signature: `s' = n - s`, `v` flipped, which
/// `ecrecover` accepts and OpenZeppelin's ECDSA rejects.
fn high_s(signature: &Bytes) -> Bytes {
    const N: U256 = U256::from_be_slice(&[
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ]);
    let s = U256::from_be_slice(&signature[32..64]);
    let mut out = signature.to_vec();
    out[32..64].copy_from_slice(&(N - s).to_be_bytes::<32>());
    out[64] = if signature[64] == 27 { 28 } else { 27 };
    Bytes::from(out)
}

fn publish_version_with_signature() -> Scenario {
    let mut s = Scenario::new(
        "publish a version with the creator's signature",
        "A relayed, signed version is published under the creator's nonce; replaying it is \
         invalid; an unknown dataset is refused before the signature is checked.",
    );
    let (payees, offers) = eth_split();
    register(&mut s, &creator(), 1, tag("v1"), &payees, &offers);
    let id = U256::from(1);
    let deadline = U256::from(s.now() + 60);
    let message = PublishVersion {
        datasetId: id,
        manifestHash: tag("v2"),
        uri: "ipfs://v2".into(),
        nonce: U256::ZERO,
        deadline,
    };
    let call = publishVersionWithSigCall {
        datasetId: id,
        manifestHash: tag("v2"),
        uri: "ipfs://v2".into(),
        deadline,
        signature: sign(&creator(), &message),
    };
    s.call(&bob(), call.clone())
        .returns((2u32,))
        .emits(VersionPublished {
            datasetId: id,
            version: 2,
            manifestHash: tag("v2"),
            uri: "ipfs://v2".into(),
        });
    s.call(&bob(), call.clone()).reverts(InvalidSignature {});
    s.call(
        &bob(),
        publishVersionWithSigCall {
            datasetId: U256::from(5),
            ..call
        },
    )
    .reverts(UnknownDataset {
        datasetId: U256::from(5),
    });
    s.call(
        &bob(),
        noncesCall {
            account: creator().address(),
        },
    )
    .returns((U256::from(1),));
    s
}

fn status_and_terms_with_signature() -> Scenario {
    let mut s = Scenario::new(
        "status and terms with the creator's signature",
        "Signed status and terms changes apply in nonce order; a signature for one dataset \
         does not apply to another of the same creator; an expired one is refused.",
    );
    let (payees, offers) = eth_split();
    register(&mut s, &creator(), 1, tag("a"), &payees, &offers);
    register(&mut s, &creator(), 2, tag("b"), &payees, &offers);
    let deadline = U256::from(s.now() + 60);
    let pause = SetStatus {
        datasetId: U256::from(1),
        status: PAUSED,
        nonce: U256::ZERO,
        deadline,
    };
    let signature = sign(&creator(), &pause);
    s.call(
        &bob(),
        setStatusWithSigCall {
            datasetId: U256::from(2),
            status: PAUSED,
            deadline,
            signature: signature.clone(),
        },
    )
    .reverts(InvalidSignature {});
    s.call(
        &bob(),
        setStatusWithSigCall {
            datasetId: U256::from(1),
            status: PAUSED,
            deadline,
            signature,
        },
    )
    .emits(StatusChanged {
        datasetId: U256::from(1),
        status: PAUSED,
    });
    let new_split = split(&[(&carol(), 1)]);
    let new_offers = vec![offer(USDC, 7)];
    let set_terms = SetTerms {
        datasetId: U256::from(2),
        termsHash: terms_hash(&new_split, &new_offers),
        nonce: U256::from(1),
        deadline,
    };
    let call = setTermsWithSigCall {
        datasetId: U256::from(2),
        split: new_split.clone(),
        offers: new_offers.clone(),
        deadline,
        signature: sign(&creator(), &set_terms),
    };
    s.call(&bob(), call.clone()).emits(TermsSet {
        datasetId: U256::from(2),
        split: new_split.clone(),
        offers: new_offers.clone(),
    });
    s.call(
        &bob(),
        datasetCall {
            datasetId: U256::from(2),
        },
    )
    .returns((
        creator().address(),
        U256::from(ACTIVE),
        1u32,
        terms_hash(&new_split, &new_offers),
    ));
    s.warp(61);
    s.call(&bob(), call).reverts(SignatureExpired { deadline });
    s
}

fn batch_anchors() -> Scenario {
    let mut s = Scenario::new(
        "batch anchors",
        "Anyone anchors a Merkle root of manifest hashes; batchAnchor() records who, when and \
         how many; every proof verifies, a wrong hash or an unanchored root does not; a root \
         anchors once; a zero root or count is an empty batch.",
    );
    let hashes: Vec<B256> = (0..5).map(|i| tag(&format!("batch-{i}"))).collect();
    let tree = Tree::new(&hashes).unwrap_or_else(|| unreachable!("five leaves"));
    let root = tree.root();
    s.warp(100);
    s.call(
        &alice(),
        anchorBatchCall {
            root,
            count: 5,
            uri: "ipfs://batch".into(),
        },
    )
    .emits(BatchAnchored {
        root,
        anchorer: alice().address(),
        count: 5,
        uri: "ipfs://batch".into(),
    });
    let anchored_at = s.now();
    s.call(&bob(), batchAnchorCall { root })
        .returns((alice().address(), anchored_at, 5u32));
    for (index, hash) in hashes.iter().enumerate() {
        let proof = tree.proof(index).unwrap_or_default();
        s.call(
            &bob(),
            verifyBatchInclusionCall {
                root,
                manifestHash: *hash,
                proof,
            },
        )
        .returns((true,));
    }
    let proof = tree.proof(0).unwrap_or_default();
    s.call(
        &bob(),
        verifyBatchInclusionCall {
            root,
            manifestHash: tag("other"),
            proof: proof.clone(),
        },
    )
    .returns((false,));
    let unanchored = keccak256(root);
    s.call(
        &bob(),
        verifyBatchInclusionCall {
            root: unanchored,
            manifestHash: hashes[0],
            proof,
        },
    )
    .returns((false,));
    s.call(&bob(), batchAnchorCall { root: unanchored })
        .returns((Address::ZERO, 0u64, 0u32));
    s.call(
        &bob(),
        anchorBatchCall {
            root,
            count: 5,
            uri: String::new(),
        },
    )
    .reverts(BatchAlreadyAnchored { root });
    s.call(
        &bob(),
        anchorBatchCall {
            root: B256::ZERO,
            count: 5,
            uri: String::new(),
        },
    )
    .reverts(EmptyBatch {});
    s.call(
        &bob(),
        anchorBatchCall {
            root: unanchored,
            count: 0,
            uri: String::new(),
        },
    )
    .reverts(EmptyBatch {});
    // A one-leaf batch: the root is the leaf, the proof empty.
    let single = Tree::new(&hashes[..1]).unwrap_or_else(|| unreachable!("one leaf"));
    s.call(
        &carol(),
        anchorBatchCall {
            root: single.root(),
            count: 1,
            uri: "one".into(),
        },
    )
    .emits(BatchAnchored {
        root: single.root(),
        anchorer: carol().address(),
        count: 1,
        uri: "one".into(),
    });
    s.call(
        &bob(),
        verifyBatchInclusionCall {
            root: single.root(),
            manifestHash: hashes[0],
            proof: vec![],
        },
    )
    .returns((true,));
    s
}

fn domain_and_constants() -> Scenario {
    let mut s = Scenario::new(
        "EIP-712 domain and constants",
        "eip712Domain() (ERC-5267) names the domain creators sign under; the limits and role \
         identifiers are the Solidity build's.",
    );
    s.call(&bob(), eip712DomainCall {}).returns((
        FixedBytes::<1>::from([0x0f]),
        "Tributary".to_string(),
        "1".to_string(),
        U256::from(super::actors::CHAIN_ID),
        SUITE,
        B256::ZERO,
        Vec::<U256>::new(),
    ));
    s.call(&bob(), MAX_PAYEESCall {})
        .returns((U256::from(256),));
    s.call(&bob(), MAX_OFFERSCall {}).returns((U256::from(16),));
    s.call(&bob(), MAX_FEE_BPSCall {}).returns((1000u16,));
    s.call(&bob(), MAX_LICENCES_PER_PAYMENTCall {})
        .returns((U256::from(32),));
    s.call(&bob(), RELAYER_ROLECall {})
        .returns((keccak256("RELAYER_ROLE"),));
    s.call(&bob(), PAUSER_ROLECall {})
        .returns((keccak256("PAUSER_ROLE"),));
    for owner in [Owner::Licences, Owner::Splits, Owner::Credits] {
        s.call(&bob(), DEFAULT_ADMIN_ROLECall {})
            .on(owner)
            .returns((B256::ZERO,));
    }
    s
}
