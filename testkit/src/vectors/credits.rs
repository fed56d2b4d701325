//! Credit vectors: relayer mints keyed by payment id, credited purchases, reversals (also before
//! the mint), the 32-licence cap, and the roles that guard them.

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol_types::SolValue,
};
use tributary_core::chain::{
    CREDITS, ETH,
    ITributary::*,
    ITributaryTypes::{CreditPayment, Licence, Offer, Terms},
    TributaryInherited::{
        AccessControlBadConfirmation, AccessControlUnauthorizedAccount, RoleGranted, RoleRevoked,
        Transfer, getRoleAdminCall, grantRoleCall, hasRoleCall, renounceRoleCall, revokeRoleCall,
    },
};

use super::{
    VectorFile,
    actors::{Actor, admin, alice, bob, carol, relayer, tag},
    fixtures::*,
    licences::{dataset, fee},
    scenario::{Owner, Scenario},
};

pub(super) fn file() -> VectorFile {
    VectorFile {
        name: "credits",
        description: "Fiat credits: mints keyed by payment id (once), their checks, purchases \
                      with credits by the account or a relayer, reversals that flag the \
                      licences bought, a refund that arrives before the payment, the \
                      32-licence cap, and the relayer role.",
        scenarios: vec![
            mint_and_read(),
            mint_checks(),
            purchase_with_credits(),
            purchase_with_credits_checks(),
            reversal_flags_licences(),
            reversal_before_the_mint(),
            licence_cap_per_payment(),
            relayer_role(),
        ],
    }
}

fn mint(s: &mut Scenario, payment: &str, account: &Actor, amount: u64) {
    s.call(
        &relayer(),
        mintCreditsCall {
            paymentId: tag(payment),
            account: account.address(),
            amount: U256::from(amount),
        },
    )
    .emits(CreditsMinted {
        paymentId: tag(payment),
        account: account.address(),
        amount: U256::from(amount),
    });
}

/// `caller` buys offer `index` of dataset 1 with payment `payment` of `account`, for `recipient`.
#[allow(clippy::too_many_arguments)]
fn buy_with_credits(
    s: &mut Scenario,
    caller: &Actor,
    payment: &str,
    account: &Actor,
    terms: &Terms,
    index: usize,
    recipient: &Actor,
    serial: u64,
) -> U256 {
    let offer = terms.offers[index].clone();
    let id = token_id(1, 1, serial);
    let fee = fee(s, offer.price);
    s.call(
        caller,
        purchaseWithCreditsCall {
            paymentId: tag(payment),
            datasetId: U256::from(1),
            terms: terms.clone(),
            offerIndex: U256::from(index),
            recipient: recipient.address(),
        },
    )
    .returns((id,))
    .emits(CreditsSpent {
        paymentId: tag(payment),
        tokenId: id,
        amount: U256::from(offer.price),
    })
    .emits(PaymentReceived {
        splitHash: terms.splitHash,
        token: CREDITS,
        datasetId: U256::from(1),
        payer: account.address(),
        amount: U256::from(offer.price - fee),
        fee: U256::from(fee),
    })
    .emits(LicenceIssued {
        tokenId: id,
        datasetId: U256::from(1),
        holder: recipient.address(),
        offerHash: keccak256(offer.abi_encode()),
        version: 1,
        expiresAt: PERPETUAL,
        paymentRef: tag(payment),
    })
    .emits(Transfer {
        from: Address::ZERO,
        to: recipient.address(),
        id,
    });
    id
}

fn payment(account: &Actor, amount: u128, spent: u128, reversed: bool) -> CreditPayment {
    CreditPayment {
        account: account.address(),
        amount: alloy::primitives::Uint::from(amount),
        spent: alloy::primitives::Uint::from(spent),
        reversed,
    }
}

fn mint_and_read() -> Scenario {
    let mut s = Scenario::new(
        "mint credits and read them",
        "The relayer mints two payments to alice: her balance is their sum, each payment is \
         recorded, an unknown payment reads as zeros.",
    );
    mint(&mut s, "card-1", &alice(), 1500);
    mint(&mut s, "card-2", &alice(), 250);
    s.call(
        &bob(),
        creditBalanceCall {
            account: alice().address(),
        },
    )
    .returns((U256::from(1750),));
    s.call(
        &bob(),
        creditPaymentCall {
            paymentId: tag("card-1"),
        },
    )
    .returns((payment(&alice(), 1500, 0, false),));
    s.call(
        &bob(),
        creditPaymentCall {
            paymentId: tag("unknown"),
        },
    )
    .returns((CreditPayment {
        account: Address::ZERO,
        amount: alloy::primitives::Uint::ZERO,
        spent: alloy::primitives::Uint::ZERO,
        reversed: false,
    },));
    s.call(
        &bob(),
        licencesOfPaymentCall {
            paymentId: tag("card-1"),
        },
    )
    .returns((Vec::<U256>::new(),));
    s
}

fn mint_checks() -> Scenario {
    let mut s = Scenario::new(
        "mint checks",
        "Only the relayer mints; a zero payment id, account or amount, or an amount above \
         2^96 - 1, is an invalid credit; a payment id credits once; 2^96 - 1 is accepted.",
    );
    let relayer_role = keccak256("RELAYER_ROLE");
    s.call(
        &alice(),
        mintCreditsCall {
            paymentId: tag("p"),
            account: alice().address(),
            amount: U256::from(1),
        },
    )
    .reverts(AccessControlUnauthorizedAccount {
        account: alice().address(),
        neededRole: relayer_role,
    });
    let max = (U256::from(1) << 96) - U256::from(1);
    for (id, account, amount) in [
        (B256::ZERO, alice().address(), U256::from(1)),
        (tag("p"), Address::ZERO, U256::from(1)),
        (tag("p"), alice().address(), U256::ZERO),
        (tag("p"), alice().address(), max + U256::from(1)),
    ] {
        s.call(
            &relayer(),
            mintCreditsCall {
                paymentId: id,
                account,
                amount,
            },
        )
        .reverts(InvalidCredit {});
    }
    s.call(
        &relayer(),
        mintCreditsCall {
            paymentId: tag("p"),
            account: alice().address(),
            amount: max,
        },
    )
    .emits(CreditsMinted {
        paymentId: tag("p"),
        account: alice().address(),
        amount: max,
    });
    s.call(
        &relayer(),
        mintCreditsCall {
            paymentId: tag("p"),
            account: bob().address(),
            amount: U256::from(5),
        },
    )
    .reverts(PaymentAlreadyCredited {
        paymentId: tag("p"),
    });
    s.call(
        &bob(),
        creditBalanceCall {
            account: alice().address(),
        },
    )
    .returns((max,));
    s.call(
        &bob(),
        creditBalanceCall {
            account: bob().address(),
        },
    )
    .returns((U256::ZERO,));
    s
}

fn purchase_with_credits() -> Scenario {
    let mut s = Scenario::new(
        "purchase with credits",
        "alice spends one payment on two licences (one for herself, one for bob); the relayer \
         spends her other payment on her behalf; balances, spent amounts and the licences of \
         each payment follow.",
    );
    let (_, terms) = dataset(&mut s, &[offer(CREDITS, 400), offer(CREDITS, 1000)]);
    mint(&mut s, "card-1", &alice(), 1000);
    mint(&mut s, "card-2", &alice(), 1000);
    let first = buy_with_credits(&mut s, &alice(), "card-1", &alice(), &terms, 0, &alice(), 1);
    let second = buy_with_credits(&mut s, &alice(), "card-1", &alice(), &terms, 0, &bob(), 2);
    let third = buy_with_credits(
        &mut s,
        &relayer(),
        "card-2",
        &alice(),
        &terms,
        1,
        &alice(),
        3,
    );
    s.call(
        &bob(),
        creditBalanceCall {
            account: alice().address(),
        },
    )
    .returns((U256::from(200),));
    s.call(
        &bob(),
        creditPaymentCall {
            paymentId: tag("card-1"),
        },
    )
    .returns((payment(&alice(), 1000, 800, false),));
    s.call(
        &bob(),
        licencesOfPaymentCall {
            paymentId: tag("card-1"),
        },
    )
    .returns((vec![first, second],));
    s.call(
        &bob(),
        licencesOfPaymentCall {
            paymentId: tag("card-2"),
        },
    )
    .returns((vec![third],));
    s.call(
        &bob(),
        isLicensedCall {
            account: bob().address(),
            datasetId: U256::from(1),
        },
    )
    .returns((true,));
    s.call(
        &bob(),
        totalReceivedCall {
            splitHash: terms.splitHash,
            token: CREDITS,
        },
    )
    .returns((U256::from(1800 - 45),));
    s
}

fn purchase_with_credits_checks() -> Scenario {
    let mut s = Scenario::new(
        "purchase with credits: checks",
        "An unknown payment, a stranger spending alice's payment, too few credits left, an \
         offer not priced in credits, and a credits offer of another kind are refused.",
    );
    let custom = Offer {
        kind: CUSTOM,
        ..offer(CREDITS, 10)
    };
    let (_, terms) = dataset(&mut s, &[offer(CREDITS, 600), offer(ETH, 5), custom]);
    mint(&mut s, "card", &alice(), 1000);
    let attempt = |s: &mut Scenario, caller: &Actor, payment: &str, index: u64| {
        s.call(
            caller,
            purchaseWithCreditsCall {
                paymentId: tag(payment),
                datasetId: U256::from(1),
                terms: terms.clone(),
                offerIndex: U256::from(index),
                recipient: caller.address(),
            },
        );
    };
    attempt(&mut s, &alice(), "nope", 0);
    s.last_call().reverts(UnknownPayment {
        paymentId: tag("nope"),
    });
    attempt(&mut s, &carol(), "card", 0);
    s.last_call().reverts(NotPaymentAccount {
        paymentId: tag("card"),
        caller: carol().address(),
    });
    attempt(&mut s, &alice(), "card", 1);
    s.last_call().reverts(WrongPaymentToken { token: ETH });
    attempt(&mut s, &alice(), "card", 2);
    s.last_call().reverts(WrongOfferKind { kind: CUSTOM });
    buy_with_credits(&mut s, &alice(), "card", &alice(), &terms, 0, &alice(), 1);
    attempt(&mut s, &alice(), "card", 0);
    s.last_call().reverts(InsufficientCredits {
        paymentId: tag("card"),
        available: U256::from(400),
        needed: U256::from(600),
    });
    s
}

fn reversal_flags_licences() -> Scenario {
    let mut s = Scenario::new(
        "reversal flags the licences bought",
        "A refunded payment: the unspent credits are burned, each licence bought with it is \
         flagged (LicenceFlagged, then CreditsReversed), the licence still exists; the payment \
         cannot be reversed or spent again, nor its id minted again.",
    );
    let (_, terms) = dataset(&mut s, &[offer(CREDITS, 300)]);
    mint(&mut s, "card", &alice(), 1000);
    mint(&mut s, "other", &alice(), 50);
    let a = buy_with_credits(&mut s, &alice(), "card", &alice(), &terms, 0, &alice(), 1);
    let b = buy_with_credits(&mut s, &alice(), "card", &alice(), &terms, 0, &bob(), 2);
    s.call(
        &alice(),
        reverseCreditsCall {
            paymentId: tag("card"),
        },
    )
    .reverts(AccessControlUnauthorizedAccount {
        account: alice().address(),
        neededRole: keccak256("RELAYER_ROLE"),
    });
    s.call(
        &relayer(),
        reverseCreditsCall {
            paymentId: B256::ZERO,
        },
    )
    .reverts(InvalidCredit {});
    s.call(
        &relayer(),
        reverseCreditsCall {
            paymentId: tag("card"),
        },
    )
    .emits(LicenceFlagged {
        tokenId: a,
        paymentId: tag("card"),
    })
    .emits(LicenceFlagged {
        tokenId: b,
        paymentId: tag("card"),
    })
    .emits(CreditsReversed {
        paymentId: tag("card"),
        account: alice().address(),
        burned: U256::from(400),
        spent: U256::from(600),
        flaggedTokenIds: vec![a, b],
    });
    s.call(&bob(), licenceCall { tokenId: b })
        .returns((Licence {
            datasetId: 1,
            version: 1,
            expiresAt: PERPETUAL,
            kind: ONE_OFF,
            transferable: false,
            flagged: true,
            royaltyBps: 0,
        },));
    s.call(
        &bob(),
        creditBalanceCall {
            account: alice().address(),
        },
    )
    .returns((U256::from(50),));
    s.call(
        &bob(),
        creditPaymentCall {
            paymentId: tag("card"),
        },
    )
    .returns((payment(&alice(), 1000, 600, true),));
    s.call(
        &relayer(),
        reverseCreditsCall {
            paymentId: tag("card"),
        },
    )
    .reverts(PaymentAlreadyReversed {
        paymentId: tag("card"),
    });
    s.call(
        &alice(),
        purchaseWithCreditsCall {
            paymentId: tag("card"),
            datasetId: U256::from(1),
            terms,
            offerIndex: U256::ZERO,
            recipient: alice().address(),
        },
    )
    .reverts(PaymentAlreadyReversed {
        paymentId: tag("card"),
    });
    s.call(
        &relayer(),
        mintCreditsCall {
            paymentId: tag("card"),
            account: alice().address(),
            amount: U256::from(1),
        },
    )
    .reverts(PaymentAlreadyReversed {
        paymentId: tag("card"),
    });
    s
}

fn reversal_before_the_mint() -> Scenario {
    let mut s = Scenario::new(
        "a refund before the payment",
        "A reversal delivered before its payment is recorded (nothing to burn) and the late \
         mint is then refused, so the refunded payment never becomes spendable credit.",
    );
    s.call(
        &relayer(),
        reverseCreditsCall {
            paymentId: tag("early"),
        },
    )
    .emits(CreditsReversed {
        paymentId: tag("early"),
        account: Address::ZERO,
        burned: U256::ZERO,
        spent: U256::ZERO,
        flaggedTokenIds: vec![],
    });
    s.call(
        &relayer(),
        mintCreditsCall {
            paymentId: tag("early"),
            account: alice().address(),
            amount: U256::from(100),
        },
    )
    .reverts(PaymentAlreadyReversed {
        paymentId: tag("early"),
    });
    s.call(
        &bob(),
        creditBalanceCall {
            account: alice().address(),
        },
    )
    .returns((U256::ZERO,));
    s.call(
        &bob(),
        creditPaymentCall {
            paymentId: tag("early"),
        },
    )
    .returns((CreditPayment {
        account: Address::ZERO,
        amount: alloy::primitives::Uint::ZERO,
        spent: alloy::primitives::Uint::ZERO,
        reversed: true,
    },));
    s
}

fn licence_cap_per_payment() -> Scenario {
    let mut s = Scenario::new(
        "32 licences per payment",
        "One payment buys at most 32 licences (so a reversal's loop stays bounded): the 33rd \
         reverts TooManyLicencesForPayment although credits remain; reversing flags all 32.",
    );
    let (_, terms) = dataset(&mut s, &[offer(CREDITS, 1)]);
    mint(&mut s, "bulk", &alice(), 100);
    let mut ids = Vec::new();
    for serial in 1..=32 {
        ids.push(buy_with_credits(
            &mut s,
            &alice(),
            "bulk",
            &alice(),
            &terms,
            0,
            &alice(),
            serial,
        ));
    }
    s.call(
        &alice(),
        purchaseWithCreditsCall {
            paymentId: tag("bulk"),
            datasetId: U256::from(1),
            terms,
            offerIndex: U256::ZERO,
            recipient: alice().address(),
        },
    )
    .reverts(TooManyLicencesForPayment {
        paymentId: tag("bulk"),
    });
    let reversal = s.call(
        &relayer(),
        reverseCreditsCall {
            paymentId: tag("bulk"),
        },
    );
    for id in &ids {
        reversal.emits(LicenceFlagged {
            tokenId: *id,
            paymentId: tag("bulk"),
        });
    }
    reversal.emits(CreditsReversed {
        paymentId: tag("bulk"),
        account: alice().address(),
        burned: U256::from(68),
        spent: U256::from(32),
        flaggedTokenIds: ids,
    });
    s
}

fn relayer_role() -> Scenario {
    let mut s = Scenario::new(
        "relayer role",
        "The admin grants RELAYER_ROLE (in the credits contract of the Stylus build), the new \
         relayer mints; a revoked relayer cannot; renouncing needs the caller's own address; \
         the admin role administers it.",
    );
    let role = keccak256("RELAYER_ROLE");
    let (a, c) = (admin().address(), carol().address());
    s.call(&bob(), hasRoleCall { role, account: c })
        .on(Owner::Credits)
        .returns((false,));
    s.call(&carol(), grantRoleCall { role, account: c })
        .on(Owner::Credits)
        .reverts(AccessControlUnauthorizedAccount {
            account: c,
            neededRole: B256::ZERO,
        });
    s.call(&admin(), grantRoleCall { role, account: c })
        .on(Owner::Credits)
        .emits(RoleGranted {
            role,
            account: c,
            sender: a,
        });
    s.call(&bob(), hasRoleCall { role, account: c })
        .on(Owner::Credits)
        .returns((true,));
    mint_by(&mut s, &carol(), "by-carol");
    s.call(
        &carol(),
        renounceRoleCall {
            role,
            callerConfirmation: a,
        },
    )
    .on(Owner::Credits)
    .reverts(AccessControlBadConfirmation {});
    s.call(&admin(), revokeRoleCall { role, account: c })
        .on(Owner::Credits)
        .emits(RoleRevoked {
            role,
            account: c,
            sender: a,
        });
    s.call(
        &carol(),
        mintCreditsCall {
            paymentId: tag("again"),
            account: c,
            amount: U256::from(1),
        },
    )
    .reverts(AccessControlUnauthorizedAccount {
        account: c,
        neededRole: role,
    });
    s.call(
        &relayer(),
        renounceRoleCall {
            role,
            callerConfirmation: relayer().address(),
        },
    )
    .on(Owner::Credits)
    .emits(RoleRevoked {
        role,
        account: relayer().address(),
        sender: relayer().address(),
    });
    s.call(&bob(), getRoleAdminCall { role })
        .on(Owner::Credits)
        .returns((B256::ZERO,));
    s
}

fn mint_by(s: &mut Scenario, minter: &Actor, payment: &str) {
    s.call(
        minter,
        mintCreditsCall {
            paymentId: tag(payment),
            account: bob().address(),
            amount: U256::from(7),
        },
    )
    .emits(CreditsMinted {
        paymentId: tag(payment),
        account: bob().address(),
        amount: U256::from(7),
    });
}
