//! Split vectors: pull releases in ETH, ERC-20 and credits, rounding with odd shares, protocol
//! fees, the fee and allow-list settings, and a split changed mid-way.

use alloy::primitives::{Address, B256, U256};
use tributary_core::{
    chain::{
        CREDITS, ETH,
        ITributary::*,
        ITributaryTypes::{Offer, Split},
        TributaryInherited::AccessControlUnauthorizedAccount,
    },
    signing,
};

use super::{
    VectorFile,
    actors::{Actor, USDC, admin, alice, bob, carol, creator, relayer, tag, treasury},
    fixtures::*,
    licences::{buy, dataset},
    scenario::{Scenario, ether},
};

pub(super) fn file() -> VectorFile {
    VectorFile {
        name: "splits",
        description: "Royalty splits: releases in ETH, ERC-20 and credits with cumulative \
                      floor rounding for odd shares, protocol fees and their release, fee and \
                      allow-list settings with their checks, a split replaced mid-way, a \
                      zero fee.",
        scenarios: vec![
            odd_shares_round_down(),
            erc20_release_by_anyone(),
            credits_release_is_a_payout_order(),
            protocol_fees(),
            fee_settings(),
            allow_list_settings(),
            split_changed_midway(),
            zero_fee(),
        ],
    }
}

fn release(
    s: &mut Scenario,
    caller: &Actor,
    token: Address,
    split: &Split,
    payee: &Actor,
    amount: u64,
) {
    s.call(
        caller,
        releaseCall {
            token,
            split: split.clone(),
            payee: payee.address(),
        },
    )
    .returns((U256::from(amount),))
    .emits(PaymentReleased {
        payee: payee.address(),
        splitHash: signing::split_hash(split),
        token,
        amount: U256::from(amount),
    });
}

fn odd_shares_round_down() -> Scenario {
    let mut s = Scenario::new(
        "odd shares round down, cumulatively",
        "Three equal payees of 976 wei (1001 less a 25 wei fee) get 325 each, 1 wei stays \
         unallocated; after a second payment the cumulative floor gives each 325 more; a \
         second release finds nothing; a non-payee is refused.",
    );
    let payees = split(&[(&creator(), 1), (&carol(), 1), (&bob(), 1)]);
    register(
        &mut s,
        &creator(),
        1,
        tag("m"),
        &payees,
        &[offer(ETH, 1001)],
    );
    let terms = terms(&payees, &[offer(ETH, 1001)]);
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    for payee in [creator(), carol(), bob()] {
        s.call(
            &alice(),
            releasableCall {
                token: ETH,
                split: payees.clone(),
                payee: payee.address(),
            },
        )
        .returns((U256::from(325),));
    }
    release(&mut s, &carol(), ETH, &payees, &carol(), 325);
    s.call(
        &carol(),
        releaseCall {
            token: ETH,
            split: payees.clone(),
            payee: carol().address(),
        },
    )
    .reverts(NothingToRelease {});
    buy(&mut s, &alice(), &terms, 0, &alice(), 2, PERPETUAL);
    // Received 1952: floor(1952 / 3) = 650 each in all.
    release(&mut s, &carol(), ETH, &payees, &carol(), 325);
    release(&mut s, &creator(), ETH, &payees, &creator(), 650);
    release(&mut s, &bob(), ETH, &payees, &bob(), 650);
    s.call(
        &alice(),
        releaseCall {
            token: ETH,
            split: payees.clone(),
            payee: alice().address(),
        },
    )
    .reverts(NotPayee {
        account: alice().address(),
    });
    s.call(
        &alice(),
        releasedCall {
            splitHash: terms.splitHash,
            token: ETH,
            payee: creator().address(),
        },
    )
    .returns((U256::from(650),));
    s.call(
        &alice(),
        totalReceivedCall {
            splitHash: terms.splitHash,
            token: ETH,
        },
    )
    .returns((U256::from(1952),));
    s.balance(ETH, &creator(), ether(100) + U256::from(650));
    s.balance(ETH, &carol(), U256::from(650));
    // 2002 paid in: 1950 released, 2 unallocated, 50 fees owed.
    s.suite_balance(ETH, U256::from(52));
    s
}

fn erc20_release_by_anyone() -> Scenario {
    let mut s = Scenario::new(
        "ERC-20 release, triggered by anyone",
        "A 3:1 split paid in USDC: anyone may release a payee's share, which goes to the payee.",
    );
    let (payees, terms) = dataset(&mut s, &[offer(USDC, 4_000_000)]);
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    // 4,000,000 less 100,000 fee = 3,900,000: creator 3/4, carol 1/4.
    release(&mut s, &bob(), USDC, &payees, &creator(), 2_925_000);
    release(&mut s, &bob(), USDC, &payees, &carol(), 975_000);
    s.balance(USDC, &creator(), U256::from(2_925_000));
    s.balance(USDC, &carol(), U256::from(975_000));
    s.suite_balance(USDC, U256::from(100_000));
    s.call(
        &bob(),
        releaseCall {
            token: ETH,
            split: payees,
            payee: carol().address(),
        },
    )
    .reverts(NothingToRelease {});
    s
}

fn credits_release_is_a_payout_order() -> Scenario {
    let mut s = Scenario::new(
        "credits release is a payout order",
        "Earnings in credits are released as a PaymentReleased event (paid in fiat off-chain): \
         no token moves.",
    );
    let (payees, terms) = dataset(&mut s, &[offer(CREDITS, 1000)]);
    s.call(
        &relayer(),
        mintCreditsCall {
            paymentId: tag("p"),
            account: alice().address(),
            amount: U256::from(1000),
        },
    )
    .emits(CreditsMinted {
        paymentId: tag("p"),
        account: alice().address(),
        amount: U256::from(1000),
    });
    s.call(
        &alice(),
        purchaseWithCreditsCall {
            paymentId: tag("p"),
            datasetId: U256::from(1),
            terms,
            offerIndex: U256::ZERO,
            recipient: alice().address(),
        },
    )
    .returns((token_id(1, 1, 1),));
    s.last_call()
        .emits(CreditsSpent {
            paymentId: tag("p"),
            tokenId: token_id(1, 1, 1),
            amount: U256::from(1000),
        })
        .emits(PaymentReceived {
            splitHash: signing::split_hash(&payees),
            token: CREDITS,
            datasetId: U256::from(1),
            payer: alice().address(),
            amount: U256::from(975),
            fee: U256::from(25),
        })
        .emits(LicenceIssued {
            tokenId: token_id(1, 1, 1),
            datasetId: U256::from(1),
            holder: alice().address(),
            offerHash: alloy::primitives::keccak256(alloy::sol_types::SolValue::abi_encode(
                &offer(CREDITS, 1000),
            )),
            version: 1,
            expiresAt: PERPETUAL,
            paymentRef: tag("p"),
        })
        .emits(tributary_core::chain::TributaryInherited::Transfer {
            from: Address::ZERO,
            to: alice().address(),
            id: token_id(1, 1, 1),
        });
    // 975 × 3/4 = 731.25 → 731; 975 × 1/4 = 243.75 → 243.
    release(&mut s, &creator(), CREDITS, &payees, &creator(), 731);
    release(&mut s, &carol(), CREDITS, &payees, &carol(), 243);
    s.call(&treasury(), releaseProtocolFeesCall { token: CREDITS })
        .returns((U256::from(25),))
        .emits(ProtocolFeesReleased {
            token: CREDITS,
            treasury: treasury().address(),
            amount: U256::from(25),
        });
    s.balance(ETH, &creator(), ether(100));
    s.suite_balance(ETH, U256::ZERO);
    s
}

fn protocol_fees() -> Scenario {
    let mut s = Scenario::new(
        "protocol fees",
        "Fees accrue per token and are released to the treasury by anyone, once.",
    );
    let (_, terms) = dataset(&mut s, &[offer(ETH, 10_000), offer(USDC, 20_000)]);
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    buy(&mut s, &bob(), &terms, 1, &bob(), 2, PERPETUAL);
    s.call(&carol(), protocolFeeCall {})
        .returns((250u16, treasury().address()));
    s.call(&carol(), protocolFeesOwedCall { token: ETH })
        .returns((U256::from(250),));
    s.call(&carol(), protocolFeesOwedCall { token: USDC })
        .returns((U256::from(500),));
    s.call(&carol(), releaseProtocolFeesCall { token: ETH })
        .returns((U256::from(250),))
        .emits(ProtocolFeesReleased {
            token: ETH,
            treasury: treasury().address(),
            amount: U256::from(250),
        });
    s.call(&carol(), releaseProtocolFeesCall { token: USDC })
        .returns((U256::from(500),))
        .emits(ProtocolFeesReleased {
            token: USDC,
            treasury: treasury().address(),
            amount: U256::from(500),
        });
    s.call(&carol(), releaseProtocolFeesCall { token: ETH })
        .reverts(NothingToRelease {});
    s.call(&carol(), protocolFeesOwedCall { token: ETH })
        .returns((U256::ZERO,));
    s.balance(ETH, &treasury(), U256::from(250));
    s.balance(USDC, &treasury(), U256::from(500));
    s
}

fn fee_settings() -> Scenario {
    let mut s = Scenario::new(
        "protocol fee settings",
        "The admin sets the fee up to 10 % and a non-zero treasury; above, a zero treasury, \
         or another account is refused; later payments use the new fee, fees owed go to the \
         treasury current at release.",
    );
    let (_, terms) = dataset(&mut s, &[offer(ETH, 10_000)]);
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    let new_treasury = carol().address();
    s.call(
        &admin(),
        setProtocolFeeCall {
            bps: 1001,
            treasury: new_treasury,
        },
    )
    .reverts(InvalidProtocolFee {
        bps: 1001,
        treasury: new_treasury,
    });
    s.call(
        &admin(),
        setProtocolFeeCall {
            bps: 100,
            treasury: Address::ZERO,
        },
    )
    .reverts(InvalidProtocolFee {
        bps: 100,
        treasury: Address::ZERO,
    });
    s.call(
        &alice(),
        setProtocolFeeCall {
            bps: 100,
            treasury: new_treasury,
        },
    )
    .reverts(AccessControlUnauthorizedAccount {
        account: alice().address(),
        neededRole: B256::ZERO,
    });
    s.call(
        &admin(),
        setProtocolFeeCall {
            bps: 1000,
            treasury: new_treasury,
        },
    )
    .emits(ProtocolFeeSet {
        bps: 1000,
        treasury: new_treasury,
    });
    s.call(&bob(), protocolFeeCall {})
        .returns((1000u16, new_treasury));
    s.call(
        &bob(),
        purchaseCall {
            datasetId: U256::from(1),
            terms: terms.clone(),
            offerIndex: U256::ZERO,
            recipient: bob().address(),
        },
    )
    .value(U256::from(10_000))
    .returns((token_id(1, 1, 2),))
    .emits(PaymentReceived {
        splitHash: terms.splitHash,
        token: ETH,
        datasetId: U256::from(1),
        payer: bob().address(),
        amount: U256::from(9_000),
        fee: U256::from(1_000),
    })
    .emits(LicenceIssued {
        tokenId: token_id(1, 1, 2),
        datasetId: U256::from(1),
        holder: bob().address(),
        offerHash: alloy::primitives::keccak256(alloy::sol_types::SolValue::abi_encode(
            &terms.offers[0],
        )),
        version: 1,
        expiresAt: PERPETUAL,
        paymentRef: B256::ZERO,
    })
    .emits(tributary_core::chain::TributaryInherited::Transfer {
        from: Address::ZERO,
        to: bob().address(),
        id: token_id(1, 1, 2),
    });
    s.call(&bob(), releaseProtocolFeesCall { token: ETH })
        .returns((U256::from(1_250),))
        .emits(ProtocolFeesReleased {
            token: ETH,
            treasury: new_treasury,
            amount: U256::from(1_250),
        });
    s.call(
        &admin(),
        setProtocolFeeCall {
            bps: 0,
            treasury: new_treasury,
        },
    )
    .emits(ProtocolFeeSet {
        bps: 0,
        treasury: new_treasury,
    });
    s
}

fn allow_list_settings() -> Scenario {
    let mut s = Scenario::new(
        "allow-list settings",
        "ETH (zero) and the credits sentinel cannot be allow-listed; only the admin edits the \
         list; allowing twice is harmless.",
    );
    s.call(
        &admin(),
        setTokenAllowedCall {
            token: Address::ZERO,
            allowed: true,
        },
    )
    .reverts(InvalidToken {
        token: Address::ZERO,
    });
    s.call(
        &admin(),
        setTokenAllowedCall {
            token: CREDITS,
            allowed: true,
        },
    )
    .reverts(InvalidToken { token: CREDITS });
    s.call(
        &bob(),
        setTokenAllowedCall {
            token: USDC,
            allowed: false,
        },
    )
    .reverts(AccessControlUnauthorizedAccount {
        account: bob().address(),
        neededRole: B256::ZERO,
    });
    s.call(
        &admin(),
        setTokenAllowedCall {
            token: USDC,
            allowed: true,
        },
    )
    .emits(TokenAllowed {
        token: USDC,
        allowed: true,
    });
    s.call(&bob(), isTokenAllowedCall { token: USDC })
        .returns((true,));
    s.call(
        &bob(),
        isTokenAllowedCall {
            token: Address::ZERO,
        },
    )
    .returns((false,));
    s
}

fn split_changed_midway() -> Scenario {
    let mut s = Scenario::new(
        "split changed mid-way",
        "Payments made before setTerms stay with the old split and remain releasable under \
         it; later payments go to the new split only.",
    );
    let (old_split, old_terms) = dataset(&mut s, &[offer(ETH, 4000)]);
    buy(&mut s, &alice(), &old_terms, 0, &alice(), 1, PERPETUAL);
    let new_split = split(&[(&bob(), 1)]);
    let offers: Vec<Offer> = old_terms.offers.clone();
    s.call(
        &creator(),
        setTermsCall {
            datasetId: U256::from(1),
            split: new_split.clone(),
            offers: offers.clone(),
        },
    )
    .emits(TermsSet {
        datasetId: U256::from(1),
        split: new_split.clone(),
        offers: offers.clone(),
    });
    let new_terms = terms(&new_split, &offers);
    buy(&mut s, &alice(), &new_terms, 0, &alice(), 2, PERPETUAL);
    // Old split: 3900 → creator 2925, carol 975. New split: bob 3900.
    release(&mut s, &carol(), ETH, &old_split, &carol(), 975);
    release(&mut s, &bob(), ETH, &new_split, &bob(), 3900);
    s.call(
        &bob(),
        releasableCall {
            token: ETH,
            split: old_split.clone(),
            payee: bob().address(),
        },
    )
    .reverts(NotPayee {
        account: bob().address(),
    });
    s.call(
        &bob(),
        releasableCall {
            token: ETH,
            split: new_split,
            payee: bob().address(),
        },
    )
    .returns((U256::ZERO,));
    s.call(
        &bob(),
        releasableCall {
            token: ETH,
            split: old_split,
            payee: creator().address(),
        },
    )
    .returns((U256::from(2925),));
    s
}

fn zero_fee() -> Scenario {
    let mut s = Scenario::new(
        "zero protocol fee",
        "Deployed with no fee: payments reach the split whole and no fee accrues.",
    );
    s.setup.fee_bps = 0;
    let payees = split(&[(&creator(), 1)]);
    register(&mut s, &creator(), 1, tag("m"), &payees, &[offer(ETH, 999)]);
    let terms = terms(&payees, &[offer(ETH, 999)]);
    buy(&mut s, &alice(), &terms, 0, &alice(), 1, PERPETUAL);
    s.call(&bob(), protocolFeesOwedCall { token: ETH })
        .returns((U256::ZERO,));
    s.call(&bob(), releaseProtocolFeesCall { token: ETH })
        .reverts(NothingToRelease {});
    release(&mut s, &bob(), ETH, &payees, &creator(), 999);
    s
}
