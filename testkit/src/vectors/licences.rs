//! Licence vectors: purchases in ETH and ERC-20, custom deals, royalties, expiry, supply caps,
//! the holder index, the ERC-721 surface and the pause switch.

use alloy::{
    primitives::{Address, B256, Bytes, FixedBytes, U256, keccak256},
    sol_types::SolValue,
};
use tributary_core::chain::{
    CREDITS, ETH,
    ITributary::*,
    ITributaryTypes::{Licence, Offer, Split, Terms},
    TributaryInherited::{
        AccessControlUnauthorizedAccount, Approval, ApprovalForAll, BalanceQueryForZeroAddress,
        EnforcedPause, ExpectedPause, NotOwnerNorApproved, Paused, TokenDoesNotExist, Transfer,
        TransferFromIncorrectOwner, TransferToZeroAddress, Unpaused, approveCall, balanceOfCall,
        getApprovedCall, isApprovedForAllCall, nameCall, ownerOfCall, pausedCall,
        safeTransferFrom_0Call, safeTransferFrom_1Call, setApprovalForAllCall,
        supportsInterfaceCall, symbolCall, tokenURICall, transferFromCall,
    },
};

use super::{
    VectorFile,
    actors::{
        Actor, FEE_TOKEN, USDC, admin, alice, bob, carol, creator, creator2, pauser, relayer, tag,
    },
    fixtures::*,
    scenario::{Scenario, ether},
};

pub(super) fn file() -> VectorFile {
    VectorFile {
        name: "licences",
        description: "Licences: purchases in ETH and ERC-20 and their checks, dataset state, \
                      offer kinds, custom deals, royalty reports and their rounding, expiry at \
                      the exact second, supply caps, the isLicensed index and refreshLicence, \
                      ERC-721 transfers and approvals, the pause switch.",
        scenarios: vec![
            purchase_with_eth(),
            wrong_payments(),
            purchase_with_erc20(),
            dataset_state_and_terms(),
            expiry_at_the_exact_second(),
            supply_cap(),
            offer_kinds(),
            custom_licence(),
            royalty_reports(),
            royalty_in_eth(),
            transfers_move_the_licence(),
            holder_index_and_refresh(),
            approvals(),
            pause_switch(),
            collection_metadata(),
        ],
    }
}

/// The usual dataset 1 of `creator`: split creator 3 / carol 1, with `offers`.
pub(super) fn dataset(s: &mut Scenario, offers: &[Offer]) -> (Split, Terms) {
    let payees = split(&[(&creator(), 3), (&carol(), 1)]);
    register(s, &creator(), 1, tag("manifest"), &payees, offers);
    let terms = terms(&payees, offers);
    (payees, terms)
}

/// The protocol fee the scenario was deployed with, on `amount`.
pub(super) fn fee(s: &Scenario, amount: u128) -> u128 {
    amount * u128::from(s.setup.fee_bps) / 10_000
}

/// `buyer` buys `terms.offers[index]` of dataset 1 version 1 for `recipient`, getting licence
/// `serial`; expects the payment, the licence and the mint.
#[allow(clippy::too_many_arguments)]
pub(super) fn buy(
    s: &mut Scenario,
    buyer: &Actor,
    terms: &Terms,
    index: usize,
    recipient: &Actor,
    serial: u64,
    expires_at: u64,
) -> U256 {
    let offer = terms.offers[index].clone();
    let id = token_id(1, 1, serial);
    let fee = fee(s, offer.price);
    let call = s
        .call(
            buyer,
            purchaseCall {
                datasetId: U256::from(1),
                terms: terms.clone(),
                offerIndex: U256::from(index),
                recipient: recipient.address(),
            },
        )
        .value(if offer.paymentToken == ETH {
            U256::from(offer.price)
        } else {
            U256::ZERO
        })
        .returns((id,));
    call.emits(PaymentReceived {
        splitHash: terms.splitHash,
        token: offer.paymentToken,
        datasetId: U256::from(1),
        payer: buyer.address(),
        amount: U256::from(offer.price - fee),
        fee: U256::from(fee),
    })
    .emits(LicenceIssued {
        tokenId: id,
        datasetId: U256::from(1),
        holder: recipient.address(),
        offerHash: keccak256(offer.abi_encode()),
        version: 1,
        expiresAt: expires_at,
        paymentRef: B256::ZERO,
    })
    .emits(Transfer {
        from: Address::ZERO,
        to: recipient.address(),
        id,
    });
    id
}

fn purchase_with_eth() -> Scenario {
    let mut s = Scenario::new(
        "purchase with ETH",
        "alice buys a perpetual licence for bob: the split is credited net of the 2.5 % fee, \
         the licence is minted to bob, and every view agrees.",
    );
    let price = 1_000_000_000_000_000_000u128;
    let (payees, terms) = dataset(&mut s, &[offer(ETH, price)]);
    let id = buy(&mut s, &alice(), &terms, 0, &bob(), 1, PERPETUAL);
    let paid_fee = fee(&s, price);
    s.call(
        &carol(),
        isLicensedCall {
            account: bob().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((true,));
    s.call(
        &carol(),
        isLicensedCall {
            account: alice().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((false,));
    s.call(
        &carol(),
        licensedUntilCall {
            account: bob().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((PERPETUAL,));
    s.call(&carol(), licenceCall { tokenId: id })
        .returns((Licence {
            datasetId: 1,
            version: 1,
            expiresAt: PERPETUAL,
            kind: ONE_OFF,
            transferable: false,
            flagged: false,
            royaltyBps: 0,
        },));
    s.call(&carol(), licencePaymentTokenCall { tokenId: id })
        .returns((Address::ZERO,));
    s.call(&carol(), ownerOfCall { id })
        .returns((bob().address(),));
    s.call(
        &carol(),
        balanceOfCall {
            owner: bob().address(),
        },
    )
    .returns((U256::from(1),));
    s.call(
        &carol(),
        balanceOfCall {
            owner: alice().address(),
        },
    )
    .returns((U256::ZERO,));
    s.call(
        &carol(),
        totalReceivedCall {
            splitHash: terms.splitHash,
            token: ETH,
        },
    )
    .returns((U256::from(price - paid_fee),));
    s.call(&carol(), protocolFeesOwedCall { token: ETH })
        .returns((U256::from(paid_fee),));
    s.call(
        &carol(),
        releasableCall {
            token: ETH,
            split: payees,
            payee: creator().address(),
        },
    )
    .returns((U256::from((price - paid_fee) * 3 / 4),));
    s.suite_balance(ETH, U256::from(price));
    s.balance(ETH, &alice(), ether(100) - U256::from(price));
    // A second purchase takes the next serial.
    buy(&mut s, &bob(), &terms, 0, &bob(), 2, PERPETUAL);
    s.call(
        &carol(),
        balanceOfCall {
            owner: bob().address(),
        },
    )
    .returns((U256::from(2),));
    s
}

fn wrong_payments() -> Scenario {
    let mut s = Scenario::new(
        "purchase: wrong payments",
        "Too little or too much ETH, ETH sent to an ERC-20 offer, a credits offer bought \
         with purchase(), and the zero recipient are refused; nothing is minted.",
    );
    let price = 1000u128;
    let offers = [offer(ETH, price), offer(USDC, 5), offer(CREDITS, 5)];
    let (_, terms) = dataset(&mut s, &offers);
    let attempt = |s: &mut Scenario, index: u64, value: u64, recipient: Address| {
        s.call(
            &alice(),
            purchaseCall {
                datasetId: U256::from(1),
                terms: terms.clone(),
                offerIndex: U256::from(index),
                recipient,
            },
        )
        .value(U256::from(value));
    };
    let bob = bob().address();
    attempt(&mut s, 0, 0, bob);
    s.last_call().reverts(WrongPayment {
        expected: U256::from(price),
        sent: U256::ZERO,
    });
    attempt(&mut s, 0, 1001, bob);
    s.last_call().reverts(WrongPayment {
        expected: U256::from(price),
        sent: U256::from(1001),
    });
    attempt(&mut s, 1, 1, bob);
    s.last_call().reverts(WrongPayment {
        expected: U256::ZERO,
        sent: U256::from(1),
    });
    attempt(&mut s, 2, 0, bob);
    s.last_call().reverts(WrongPaymentToken { token: CREDITS });
    attempt(&mut s, 0, 1000, Address::ZERO);
    s.last_call().reverts(InvalidRecipient {});
    s.call(&carol(), balanceOfCall { owner: bob })
        .returns((U256::ZERO,));
    s.suite_balance(ETH, U256::ZERO);
    s
}

fn purchase_with_erc20() -> Scenario {
    let mut s = Scenario::new(
        "purchase with ERC-20",
        "An allow-listed token is pulled from the buyer; a token removed from the allow-list \
         is refused; a fee-on-transfer token delivers short and is refused; a zero price \
         moves nothing.",
    );
    s.setup.allowed_tokens.push(FEE_TOKEN);
    s.setup.token_grants.push((
        FEE_TOKEN,
        alice().address(),
        U256::from(1_000_000),
        U256::from(1_000_000),
    ));
    let offers = [
        offer(USDC, 5_000_000),
        offer(FEE_TOKEN, 10_000),
        offer(USDC, 0),
    ];
    let (_, terms) = dataset(&mut s, &offers);
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    s.suite_balance(USDC, U256::from(5_000_000));
    s.balance(USDC, &alice(), U256::from(1_000_000_000_000u64 - 5_000_000));
    s.call(
        &alice(),
        purchaseCall {
            datasetId: U256::from(1),
            terms: terms.clone(),
            offerIndex: U256::from(1),
            recipient: alice().address(),
        },
    )
    .reverts(ShortDelivery {
        expected: U256::from(10_000),
        delivered: U256::from(9_900),
    });
    s.balance(FEE_TOKEN, &alice(), U256::from(1_000_000));
    // A free licence in a token: nothing moves, the payment of zero is still recorded.
    buy(&mut s, &bob(), &terms, 2, &bob(), 2, PERPETUAL);
    s.call(
        &admin(),
        setTokenAllowedCall {
            token: USDC,
            allowed: false,
        },
    )
    .emits(TokenAllowed {
        token: USDC,
        allowed: false,
    });
    s.call(
        &bob(),
        purchaseCall {
            datasetId: U256::from(1),
            terms,
            offerIndex: U256::ZERO,
            recipient: bob().address(),
        },
    )
    .reverts(TokenNotAllowed { token: USDC });
    s.suite_balance(USDC, U256::from(5_000_000));
    s
}

fn dataset_state_and_terms() -> Scenario {
    let mut s = Scenario::new(
        "purchase: dataset state and resent terms",
        "An unknown dataset, a paused one, resent terms that differ, an offer index past the \
         offers, terms replaced since, and a retired dataset are refused in that order of \
         checks; reactivated, the dataset sells again.",
    );
    let (payees, terms) = dataset(&mut s, &[offer(ETH, 10)]);
    let attempt = |s: &mut Scenario, dataset: u64, terms: &Terms, index: u64| {
        s.call(
            &alice(),
            purchaseCall {
                datasetId: U256::from(dataset),
                terms: terms.clone(),
                offerIndex: U256::from(index),
                recipient: alice().address(),
            },
        )
        .value(U256::from(10));
    };
    attempt(&mut s, 9, &terms, 0);
    s.last_call().reverts(UnknownDataset {
        datasetId: U256::from(9),
    });
    let other_terms = Terms {
        splitHash: B256::ZERO,
        ..terms.clone()
    };
    attempt(&mut s, 1, &other_terms, 0);
    s.last_call().reverts(TermsMismatch {
        datasetId: U256::from(1),
    });
    attempt(&mut s, 1, &terms, 1);
    s.last_call().reverts(OfferIndexOutOfRange {
        index: U256::from(1),
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: U256::from(1),
            status: PAUSED,
        },
    )
    .emits(StatusChanged {
        datasetId: U256::from(1),
        status: PAUSED,
    });
    attempt(&mut s, 1, &other_terms, 0);
    s.last_call().reverts(DatasetNotActive {
        datasetId: U256::from(1),
        status: PAUSED,
    });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: U256::from(1),
            status: ACTIVE,
        },
    )
    .emits(StatusChanged {
        datasetId: U256::from(1),
        status: ACTIVE,
    });
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    let new_offers = vec![offer(ETH, 20)];
    s.call(
        &creator(),
        setTermsCall {
            datasetId: U256::from(1),
            split: payees.clone(),
            offers: new_offers.clone(),
        },
    )
    .emits(TermsSet {
        datasetId: U256::from(1),
        split: payees.clone(),
        offers: new_offers.clone(),
    });
    attempt(&mut s, 1, &terms, 0);
    s.last_call().reverts(TermsMismatch {
        datasetId: U256::from(1),
    });
    let new_terms = super::fixtures::terms(&payees, &new_offers);
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
    attempt(&mut s, 1, &new_terms, 0);
    s.last_call().reverts(DatasetNotActive {
        datasetId: U256::from(1),
        status: RETIRED,
    });
    s
}

fn expiry_at_the_exact_second() -> Scenario {
    let mut s = Scenario::new(
        "expiry at the exact second",
        "A 1000-second licence bought at T is valid through T + 999 and not at T + 1000; \
         licensedUntil keeps answering T + 1000; a duration that would pass 2^64 is perpetual.",
    );
    let timed = Offer {
        duration: 1000,
        ..offer(ETH, 10)
    };
    let huge = Offer {
        duration: u64::MAX - 5,
        ..offer(ETH, 11)
    };
    let (_, terms) = dataset(&mut s, &[timed.clone(), huge]);
    let start = s.now();
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, start + 1000);
    s.warp(999);
    s.call(
        &carol(),
        isLicensedCall {
            account: alice().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((true,));
    s.warp(1);
    s.call(
        &carol(),
        isLicensedCall {
            account: alice().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((false,));
    s.call(
        &carol(),
        licensedUntilCall {
            account: alice().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((start + 1000,));
    s.call(
        &carol(),
        licenceCall {
            tokenId: token_id(1, 1, 1),
        },
    )
    .returns((Licence {
        datasetId: 1,
        version: 1,
        expiresAt: start + 1000,
        kind: ONE_OFF,
        transferable: false,
        flagged: false,
        royaltyBps: 0,
    },));
    // Bought again at T + 1000: a new licence to T + 2000.
    buy(&mut s, &alice(), &terms, 0, &alice(), 2, start + 2000);
    s.call(
        &carol(),
        isLicensedCall {
            account: alice().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((true,));
    buy(&mut s, &bob(), &terms, 1, &bob(), 3, PERPETUAL);
    s
}

fn supply_cap() -> Scenario {
    let mut s = Scenario::new(
        "supply cap",
        "An offer capped at 2 sells twice, then reverts OfferSoldOut; offerSold counts capped \
         offers only; an uncapped offer of the same dataset still sells.",
    );
    let capped = Offer {
        supplyCap: 2,
        ..offer(ETH, 10)
    };
    let uncapped = offer(ETH, 20);
    let (_, terms) = dataset(&mut s, &[capped.clone(), uncapped.clone()]);
    let capped_hash = keccak256(capped.abi_encode());
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    s.call(
        &carol(),
        offerSoldCall {
            datasetId: U256::from(1),
            offerHash: capped_hash,
        },
    )
    .returns((U256::from(1),));
    buy(&mut s, &bob(), &terms, 0, &bob(), 2, PERPETUAL);
    s.call(
        &alice(),
        purchaseCall {
            datasetId: U256::from(1),
            terms: terms.clone(),
            offerIndex: U256::ZERO,
            recipient: carol().address(),
        },
    )
    .value(U256::from(10))
    .reverts(OfferSoldOut {
        datasetId: U256::from(1),
        offerHash: capped_hash,
    });
    s.call(
        &carol(),
        offerSoldCall {
            datasetId: U256::from(1),
            offerHash: capped_hash,
        },
    )
    .returns((U256::from(2),));
    buy(&mut s, &alice(), &terms, 1, &carol(), 3, PERPETUAL);
    s.call(
        &carol(),
        offerSoldCall {
            datasetId: U256::from(1),
            offerHash: keccak256(uncapped.abi_encode()),
        },
    )
    .returns((U256::ZERO,));
    s
}

fn offer_kinds() -> Scenario {
    let mut s = Scenario::new(
        "offer kinds",
        "purchase() sells one-off and royalty-linked offers only; a subscription or custom \
         offer reverts WrongOfferKind; a custom licence needs a custom offer.",
    );
    let subscription = Offer {
        kind: SUBSCRIPTION,
        ..offer(ETH, 10)
    };
    let custom = Offer {
        kind: CUSTOM,
        ..offer(ETH, 0)
    };
    let (_, terms) = dataset(&mut s, &[subscription, custom, offer(ETH, 0)]);
    for (index, kind) in [(0u64, SUBSCRIPTION), (1, CUSTOM)] {
        s.call(
            &alice(),
            purchaseCall {
                datasetId: U256::from(1),
                terms: terms.clone(),
                offerIndex: U256::from(index),
                recipient: alice().address(),
            },
        )
        .value(if index == 0 {
            U256::from(10)
        } else {
            U256::ZERO
        })
        .reverts(WrongOfferKind { kind });
    }
    s.call(
        &creator(),
        issueCustomLicenceCall {
            datasetId: U256::from(1),
            terms: terms.clone(),
            offerIndex: U256::from(2),
            recipient: alice().address(),
            receiptHash: tag("receipt"),
        },
    )
    .reverts(WrongOfferKind { kind: ONE_OFF });
    // A free one-off licence in ETH: the zero payment is still booked.
    buy(&mut s, &alice(), &terms, 2, &alice(), 1, PERPETUAL);
    s
}

fn custom_licence() -> Scenario {
    let mut s = Scenario::new(
        "custom licence",
        "The creator issues a licence for an off-chain deal against a receipt hash: no \
         payment, the receipt is the payment reference; another account, a zero receipt and \
         the zero recipient are refused.",
    );
    let custom = Offer {
        kind: CUSTOM,
        duration: 86_400,
        transferable: true,
        ..offer(ETH, 0)
    };
    let (_, terms) = dataset(&mut s, &[offer(ETH, 10), custom.clone()]);
    let issue = |receipt: B256, recipient: Address| issueCustomLicenceCall {
        datasetId: U256::from(1),
        terms: terms.clone(),
        offerIndex: U256::from(1),
        recipient,
        receiptHash: receipt,
    };
    s.call(&alice(), issue(tag("receipt"), alice().address()))
        .reverts(NotCreator {
            datasetId: U256::from(1),
            account: alice().address(),
        });
    s.call(&creator(), issue(B256::ZERO, alice().address()))
        .reverts(MissingReceipt {});
    s.call(&creator(), issue(tag("receipt"), Address::ZERO))
        .reverts(InvalidRecipient {});
    let id = token_id(1, 1, 1);
    let expires = s.now() + 86_400;
    s.call(&creator(), issue(tag("receipt"), bob().address()))
        .returns((id,))
        .emits(LicenceIssued {
            tokenId: id,
            datasetId: U256::from(1),
            holder: bob().address(),
            offerHash: keccak256(custom.abi_encode()),
            version: 1,
            expiresAt: expires,
            paymentRef: tag("receipt"),
        })
        .emits(Transfer {
            from: Address::ZERO,
            to: bob().address(),
            id,
        });
    s.call(&carol(), licenceCall { tokenId: id })
        .returns((Licence {
            datasetId: 1,
            version: 1,
            expiresAt: expires,
            kind: CUSTOM,
            transferable: true,
            flagged: false,
            royaltyBps: 0,
        },));
    s.call(
        &carol(),
        isLicensedCall {
            account: bob().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((true,));
    s
}

fn royalty_reports() -> Scenario {
    let mut s = Scenario::new(
        "royalty reports in an ERC-20",
        "A royalty-linked licence in USDC at 12.34 %: reported revenue pays floor(revenue × bps \
         / 10,000) into the current split, net of the protocol fee; the licence's payment token \
         is USDC; only the holder reports, only for royalty-linked licences, with the current \
         terms, and also while the dataset is paused.",
    );
    let royalty = Offer {
        kind: ROYALTY_LINKED,
        royaltyBps: 1234,
        ..offer(USDC, 1_000_000)
    };
    let (_, terms) = dataset(&mut s, &[royalty, offer(ETH, 5)]);
    let id = buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    let one_off = buy(&mut s, &alice(), &terms, 1, &alice(), 2, PERPETUAL);
    s.call(&carol(), licencePaymentTokenCall { tokenId: id })
        .returns((USDC,));
    s.call(&carol(), licencePaymentTokenCall { tokenId: one_off })
        .returns((Address::ZERO,));
    let report = |token: U256, revenue: u64, terms: &Terms| reportRevenueCall {
        tokenId: token,
        revenue: U256::from(revenue),
        evidenceHash: tag("evidence"),
        terms: terms.clone(),
    };
    // 1,000,001 × 1234 / 10,000 = 123,400.12… → 123,400; the fee 2.5 % of it is 3,085.
    s.call(&alice(), report(id, 1_000_001, &terms))
        .returns((U256::from(123_400),))
        .emits(PaymentReceived {
            splitHash: terms.splitHash,
            token: USDC,
            datasetId: U256::from(1),
            payer: alice().address(),
            amount: U256::from(123_400 - 3_085),
            fee: U256::from(3_085),
        })
        .emits(RevenueReported {
            tokenId: id,
            datasetId: U256::from(1),
            token: USDC,
            revenue: U256::from(1_000_001),
            royalty: U256::from(123_400),
            evidenceHash: tag("evidence"),
        });
    s.suite_balance(USDC, U256::from(1_000_000 + 123_400));
    s.call(&bob(), report(id, 10, &terms))
        .reverts(NotLicenceHolder {
            tokenId: id,
            account: bob().address(),
        });
    s.call(&alice(), report(one_off, 10, &terms))
        .reverts(WrongOfferKind { kind: ONE_OFF });
    let stale = Terms {
        splitHash: tag("other split"),
        ..terms.clone()
    };
    s.call(&alice(), report(id, 10, &stale))
        .reverts(TermsMismatch {
            datasetId: U256::from(1),
        });
    s.call(
        &creator(),
        setStatusCall {
            datasetId: U256::from(1),
            status: PAUSED,
        },
    )
    .emits(StatusChanged {
        datasetId: U256::from(1),
        status: PAUSED,
    });
    // 7 × 1234 / 10,000 rounds to zero: nothing moves, the report is still recorded.
    s.call(&alice(), report(id, 7, &terms))
        .returns((U256::ZERO,))
        .emits(PaymentReceived {
            splitHash: terms.splitHash,
            token: USDC,
            datasetId: U256::from(1),
            payer: alice().address(),
            amount: U256::ZERO,
            fee: U256::ZERO,
        })
        .emits(RevenueReported {
            tokenId: id,
            datasetId: U256::from(1),
            token: USDC,
            revenue: U256::from(7),
            royalty: U256::ZERO,
            evidenceHash: tag("evidence"),
        });
    s.call(&alice(), report(U256::from(77), 7, &terms))
        .reverts(NotLicenceHolder {
            tokenId: U256::from(77),
            account: alice().address(),
        });
    s
}

fn royalty_in_eth() -> Scenario {
    let mut s = Scenario::new(
        "royalty reports in ETH",
        "A royalty-linked licence in ETH at 5 % with a zero price: the royalty is paid as \
         msg.value and must match exactly.",
    );
    let royalty = Offer {
        kind: ROYALTY_LINKED,
        royaltyBps: 500,
        ..offer(ETH, 0)
    };
    let (_, terms) = dataset(&mut s, &[royalty]);
    let id = buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    let report = reportRevenueCall {
        tokenId: id,
        revenue: U256::from(1_000_000),
        evidenceHash: B256::ZERO,
        terms: terms.clone(),
    };
    s.call(&alice(), report.clone())
        .value(U256::from(49_999))
        .reverts(WrongPayment {
            expected: U256::from(50_000),
            sent: U256::from(49_999),
        });
    s.call(&alice(), report)
        .value(U256::from(50_000))
        .returns((U256::from(50_000),))
        .emits(PaymentReceived {
            splitHash: terms.splitHash,
            token: ETH,
            datasetId: U256::from(1),
            payer: alice().address(),
            amount: U256::from(48_750),
            fee: U256::from(1_250),
        })
        .emits(RevenueReported {
            tokenId: id,
            datasetId: U256::from(1),
            token: ETH,
            revenue: U256::from(1_000_000),
            royalty: U256::from(50_000),
            evidenceHash: B256::ZERO,
        });
    s.suite_balance(ETH, U256::from(50_000));
    s
}

fn transfers_move_the_licence() -> Scenario {
    let mut s = Scenario::new(
        "transfers move the licence",
        "A transferable licence moves with transferFrom and both safeTransferFrom forms to \
         accounts, and isLicensed follows it; a non-transferable one reverts NonTransferable, \
         even for its holder; ETH sent with a transfer is refused.",
    );
    let transferable = Offer {
        transferable: true,
        ..offer(ETH, 10)
    };
    let (_, terms) = dataset(&mut s, &[transferable, offer(ETH, 11)]);
    let id = buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    let fixed = buy(&mut s, &alice(), &terms, 1, &alice(), 2, PERPETUAL);
    let licensed = |s: &mut Scenario, who: &Actor, yes: bool| {
        s.call(
            &carol(),
            isLicensedCall {
                account: who.address(),
                datasetId: U256::from(1),
            },
        )
        .returns((yes,));
    };
    s.call(
        &alice(),
        transferFromCall {
            from: alice().address(),
            to: bob().address(),
            id: fixed,
        },
    )
    .reverts(NonTransferable { tokenId: fixed });
    s.call(
        &alice(),
        transferFromCall {
            from: alice().address(),
            to: bob().address(),
            id,
        },
    )
    .value(U256::from(1))
    .reverts(WrongPayment {
        expected: U256::ZERO,
        sent: U256::from(1),
    });
    s.call(
        &alice(),
        transferFromCall {
            from: alice().address(),
            to: bob().address(),
            id,
        },
    )
    .emits(Transfer {
        from: alice().address(),
        to: bob().address(),
        id,
    });
    licensed(&mut s, &bob(), true);
    // alice still holds the non-transferable licence.
    licensed(&mut s, &alice(), true);
    s.call(
        &bob(),
        safeTransferFrom_0Call {
            from: bob().address(),
            to: creator2().address(),
            id,
        },
    )
    .emits(Transfer {
        from: bob().address(),
        to: creator2().address(),
        id,
    });
    licensed(&mut s, &bob(), false);
    licensed(&mut s, &creator2(), true);
    s.call(
        &creator2(),
        safeTransferFrom_1Call {
            from: creator2().address(),
            to: carol().address(),
            id,
            data: Bytes::from_static(b"hello"),
        },
    )
    .emits(Transfer {
        from: creator2().address(),
        to: carol().address(),
        id,
    });
    licensed(&mut s, &creator2(), false);
    licensed(&mut s, &carol(), true);
    s.call(&carol(), ownerOfCall { id })
        .returns((carol().address(),));
    s
}

fn holder_index_and_refresh() -> Scenario {
    let mut s = Scenario::new(
        "holder index: under-state and refreshLicence",
        "bob holds a 1000-second and a perpetual licence of one dataset; giving the perpetual \
         one away resets his entry to zero although he still holds the other (the documented \
         under-statement); refreshLicence with the kept token restores it; refreshing never \
         lowers an entry; an unknown token reverts.",
    );
    let timed = Offer {
        duration: 1000,
        transferable: true,
        ..offer(ETH, 10)
    };
    let forever = Offer {
        transferable: true,
        ..offer(ETH, 20)
    };
    let (_, terms) = dataset(&mut s, &[timed, forever]);
    let start = s.now();
    let short = buy(&mut s, &alice(), &terms, 0, &bob(), 1, start + 1000);
    let long = buy(&mut s, &alice(), &terms, 1, &bob(), 2, PERPETUAL);
    let until = |s: &mut Scenario, who: &Actor, expected: u64| {
        s.call(
            &carol(),
            licensedUntilCall {
                account: who.address(),
                datasetId: U256::from(1),
            },
        )
        .returns((expected,));
    };
    until(&mut s, &bob(), PERPETUAL);
    s.call(
        &bob(),
        transferFromCall {
            from: bob().address(),
            to: carol().address(),
            id: long,
        },
    )
    .emits(Transfer {
        from: bob().address(),
        to: carol().address(),
        id: long,
    });
    until(&mut s, &bob(), 0);
    until(&mut s, &carol(), PERPETUAL);
    s.call(&alice(), refreshLicenceCall { tokenId: short });
    until(&mut s, &bob(), start + 1000);
    s.call(&alice(), refreshLicenceCall { tokenId: long });
    until(&mut s, &carol(), PERPETUAL);
    s.call(
        &alice(),
        refreshLicenceCall {
            tokenId: U256::from(12345),
        },
    )
    .reverts(TokenDoesNotExist {});
    // A second dataset for bob lives in the index's mapping rather than his balance slot.
    let payees = split(&[(&creator2(), 1)]);
    let offers = vec![Offer {
        duration: 50,
        ..offer(ETH, 1)
    }];
    register(&mut s, &creator2(), 2, tag("second"), &payees, &offers);
    let second_terms = super::fixtures::terms(&payees, &offers);
    let id2 = token_id(2, 1, 3);
    s.call(
        &bob(),
        purchaseCall {
            datasetId: U256::from(2),
            terms: second_terms.clone(),
            offerIndex: U256::ZERO,
            recipient: bob().address(),
        },
    )
    .value(U256::from(1))
    .returns((id2,))
    .emits(PaymentReceived {
        splitHash: second_terms.splitHash,
        token: ETH,
        datasetId: U256::from(2),
        payer: bob().address(),
        amount: U256::from(1),
        fee: U256::ZERO,
    })
    .emits(LicenceIssued {
        tokenId: id2,
        datasetId: U256::from(2),
        holder: bob().address(),
        offerHash: keccak256(offers[0].abi_encode()),
        version: 1,
        expiresAt: start + 50,
        paymentRef: B256::ZERO,
    })
    .emits(Transfer {
        from: Address::ZERO,
        to: bob().address(),
        id: id2,
    });
    s.call(
        &carol(),
        licensedUntilCall {
            account: bob().address(),
            datasetId: U256::from(2),
        },
    )
    .returns((start + 50,));
    until(&mut s, &bob(), start + 1000);
    s
}

fn approvals() -> Scenario {
    let mut s = Scenario::new(
        "ERC-721 approvals and transfer checks",
        "approve / getApproved, setApprovalForAll / isApprovedForAll; an approved account and \
         an operator may transfer, a stranger may not; a transfer clears the approval; wrong \
         owner, zero recipient, unknown token and the zero owner's balance revert as Solady's \
         ERC-721 does; ETH sent with approve is refused.",
    );
    let transferable = Offer {
        transferable: true,
        ..offer(ETH, 10)
    };
    let (_, terms) = dataset(&mut s, &[transferable]);
    let id = buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    let (a, b, c) = (alice().address(), bob().address(), carol().address());
    s.call(&bob(), transferFromCall { from: a, to: b, id })
        .reverts(NotOwnerNorApproved {});
    s.call(&bob(), approveCall { account: b, id })
        .reverts(NotOwnerNorApproved {});
    s.call(&alice(), approveCall { account: b, id })
        .value(U256::from(1))
        .reverts(WrongPayment {
            expected: U256::ZERO,
            sent: U256::from(1),
        });
    s.call(&alice(), approveCall { account: b, id })
        .emits(Approval {
            owner: a,
            account: b,
            id,
        });
    s.call(&carol(), getApprovedCall { id }).returns((b,));
    s.call(&bob(), transferFromCall { from: b, to: c, id })
        .reverts(TransferFromIncorrectOwner {});
    s.call(
        &bob(),
        transferFromCall {
            from: a,
            to: Address::ZERO,
            id,
        },
    )
    .reverts(TransferToZeroAddress {});
    s.call(&bob(), transferFromCall { from: a, to: c, id })
        .emits(Transfer { from: a, to: c, id });
    s.call(&carol(), getApprovedCall { id })
        .returns((Address::ZERO,));
    s.call(
        &carol(),
        setApprovalForAllCall {
            operator: a,
            isApproved: true,
        },
    )
    .emits(ApprovalForAll {
        owner: c,
        operator: a,
        isApproved: true,
    });
    s.call(
        &bob(),
        isApprovedForAllCall {
            owner: c,
            operator: a,
        },
    )
    .returns((true,));
    s.call(&alice(), transferFromCall { from: c, to: a, id })
        .emits(Transfer { from: c, to: a, id });
    s.call(
        &carol(),
        setApprovalForAllCall {
            operator: a,
            isApproved: false,
        },
    )
    .emits(ApprovalForAll {
        owner: c,
        operator: a,
        isApproved: false,
    });
    s.call(
        &bob(),
        isApprovedForAllCall {
            owner: c,
            operator: a,
        },
    )
    .returns((false,));
    let unknown = token_id(1, 1, 99);
    s.call(&bob(), ownerOfCall { id: unknown })
        .reverts(TokenDoesNotExist {});
    s.call(&bob(), getApprovedCall { id: unknown })
        .reverts(TokenDoesNotExist {});
    s.call(
        &bob(),
        transferFromCall {
            from: a,
            to: b,
            id: unknown,
        },
    )
    .reverts(TokenDoesNotExist {});
    s.call(&bob(), licenceCall { tokenId: unknown })
        .reverts(TokenDoesNotExist {});
    s.call(&bob(), licencePaymentTokenCall { tokenId: unknown })
        .reverts(TokenDoesNotExist {});
    s.call(
        &bob(),
        balanceOfCall {
            owner: Address::ZERO,
        },
    )
    .reverts(BalanceQueryForZeroAddress {});
    s
}

fn pause_switch() -> Scenario {
    let mut s = Scenario::new(
        "pause switch",
        "The pauser pauses: purchases, credited purchases, custom licences, royalty reports \
         and credit mints revert EnforcedPause, while transfers, releases and reversals go \
         on; only the pauser switches, once each way.",
    );
    let royalty = Offer {
        kind: ROYALTY_LINKED,
        royaltyBps: 100,
        transferable: true,
        ..offer(ETH, 0)
    };
    let custom = Offer {
        kind: CUSTOM,
        ..offer(ETH, 0)
    };
    let (payees, terms) = dataset(
        &mut s,
        &[offer(ETH, 1000), royalty, custom, offer(CREDITS, 5)],
    );
    let id = buy(&mut s, &alice(), &terms, 1, &alice(), 1, PERPETUAL);
    s.call(
        &relayer(),
        mintCreditsCall {
            paymentId: tag("pay"),
            account: bob().address(),
            amount: U256::from(10),
        },
    )
    .emits(CreditsMinted {
        paymentId: tag("pay"),
        account: bob().address(),
        amount: U256::from(10),
    });
    let pauser_role = keccak256("PAUSER_ROLE");
    s.call(&alice(), pauseCall {})
        .reverts(AccessControlUnauthorizedAccount {
            account: alice().address(),
            neededRole: pauser_role,
        });
    s.call(&pauser(), unpauseCall {}).reverts(ExpectedPause {});
    s.call(&pauser(), pauseCall {}).emits(Paused {
        account: pauser().address(),
    });
    s.call(&pauser(), pauseCall {}).reverts(EnforcedPause {});
    s.call(&carol(), pausedCall {}).returns((true,));
    s.call(
        &alice(),
        purchaseCall {
            datasetId: U256::from(1),
            terms: terms.clone(),
            offerIndex: U256::ZERO,
            recipient: alice().address(),
        },
    )
    .value(U256::from(1000))
    .reverts(EnforcedPause {});
    s.call(
        &bob(),
        purchaseWithCreditsCall {
            paymentId: tag("pay"),
            datasetId: U256::from(1),
            terms: terms.clone(),
            offerIndex: U256::from(3),
            recipient: bob().address(),
        },
    )
    .reverts(EnforcedPause {});
    s.call(
        &creator(),
        issueCustomLicenceCall {
            datasetId: U256::from(1),
            terms: terms.clone(),
            offerIndex: U256::from(2),
            recipient: bob().address(),
            receiptHash: tag("r"),
        },
    )
    .reverts(EnforcedPause {});
    s.call(
        &alice(),
        reportRevenueCall {
            tokenId: id,
            revenue: U256::ZERO,
            evidenceHash: B256::ZERO,
            terms: terms.clone(),
        },
    )
    .reverts(EnforcedPause {});
    s.call(
        &relayer(),
        mintCreditsCall {
            paymentId: tag("pay2"),
            account: bob().address(),
            amount: U256::from(10),
        },
    )
    .reverts(EnforcedPause {});
    s.call(
        &alice(),
        transferFromCall {
            from: alice().address(),
            to: bob().address(),
            id,
        },
    )
    .emits(Transfer {
        from: alice().address(),
        to: bob().address(),
        id,
    });
    s.call(
        &relayer(),
        reverseCreditsCall {
            paymentId: tag("pay"),
        },
    )
    .emits(CreditsReversed {
        paymentId: tag("pay"),
        account: bob().address(),
        burned: U256::from(10),
        spent: U256::ZERO,
        flaggedTokenIds: vec![],
    });
    s.call(
        &creator(),
        releaseCall {
            token: ETH,
            split: payees.clone(),
            payee: creator().address(),
        },
    )
    .reverts(NothingToRelease {});
    s.call(&bob(), pauseCall {})
        .reverts(AccessControlUnauthorizedAccount {
            account: bob().address(),
            neededRole: pauser_role,
        });
    s.call(&pauser(), unpauseCall {}).emits(Unpaused {
        account: pauser().address(),
    });
    s.call(&carol(), pausedCall {}).returns((false,));
    buy(&mut s, &alice(), &terms, 0, &alice(), 2, PERPETUAL);
    s
}

fn collection_metadata() -> Scenario {
    let mut s = Scenario::new(
        "collection metadata and ERC-165",
        "name, symbol, an empty tokenURI for an existing token (reverting for an unknown \
         one), and supportsInterface for ERC-165, ERC-721, ERC-721 metadata and \
         AccessControl, not for ERC-721 enumerable or 0xffffffff.",
    );
    let (_, terms) = dataset(&mut s, &[offer(ETH, 1)]);
    let id = buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    s.call(&bob(), nameCall {})
        .returns(("Tributary Licence".to_string(),));
    s.call(&bob(), symbolCall {})
        .returns(("TRIBL".to_string(),));
    s.call(&bob(), tokenURICall { tokenId: id })
        .returns((String::new(),));
    s.call(
        &bob(),
        tokenURICall {
            tokenId: U256::from(5),
        },
    )
    .reverts(TokenDoesNotExist {});
    for (interface, supported) in [
        ([0x01, 0xff, 0xc9, 0xa7], true),  // ERC-165
        ([0x80, 0xac, 0x58, 0xcd], true),  // ERC-721
        ([0x5b, 0x5e, 0x13, 0x9f], true),  // ERC-721 metadata
        ([0x79, 0x65, 0xdb, 0x0b], true),  // AccessControl
        ([0x78, 0x0e, 0x9d, 0x63], false), // ERC-721 enumerable
        ([0xff, 0xff, 0xff, 0xff], false),
    ] {
        s.call(
            &bob(),
            supportsInterfaceCall {
                interfaceId: FixedBytes(interface),
            },
        )
        .returns((supported,));
    }
    s
}
