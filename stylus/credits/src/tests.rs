//! The credits contract, run through its ABI router on the native test chain
//! (`tributary-stylus-testchain`). Calldata, return values, events and errors are encoded from
//! `abi/ITributary.json` and `abi/TributaryInherited.json` (the Solidity build's ABI), so a
//! selector or an encoding that differs from the Solidity build fails here too.

use alloy_primitives::{address, aliases::U96, Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use tributary_stylus_common::{
    panic_data, DEFAULT_ADMIN_ROLE, PANIC_OVERFLOW, RELAYER_ROLE, SUITE_ROLE,
};
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
    /// The suite-internal functions of docs/stylus.md.
    interface ISuiteInternal {
        function spendCredits(bytes32 paymentId, uint256 amount, uint256 tokenId, address spender) external returns (address account);
        function setPaused(bool paused) external;
        function licenceFlagged(uint256 tokenId) external view returns (bool);
    }
}

use ISuiteInternal::{licenceFlaggedCall, setPausedCall, spendCreditsCall};
use ITributary::*;
use ITributaryTypes::CreditPayment;
use TributaryInherited::{
    getRoleAdminCall, grantRoleCall, hasRoleCall, renounceRoleCall, revokeRoleCall,
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, DEFAULT_ADMIN_ROLECall,
    EnforcedPause, RoleGranted, RoleRevoked,
};

const DEPLOYER: Address = address!("00000000000000000000000000000000000d3910");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const RELAYER: Address = address!("000000000000000000000000000000000000e1a7");
/// Stands in for the licences contract: the holder of `SUITE_ROLE`.
const LICENCES: Address = address!("00000000000000000000000000000000001ce7ce");
const ALICE: Address = address!("0000000000000000000000000000000000a11ce0");
const BOB: Address = address!("0000000000000000000000000000000000b0b000");
const STRANGER: Address = address!("0000000000000000000000000000000000005700");

fn entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    stylus_sdk::abi::router_entrypoint::<crate::Credits, crate::Credits>(input, vm)
}

fn pay_id(n: u8) -> B256 {
    B256::repeat_byte(n)
}

fn n(value: u64) -> U256 {
    U256::from(value)
}

/// A token id as the licences contract builds them: dataset, version, serial.
fn token(serial: u64) -> U256 {
    (n(7) << 192) | (n(1) << 160) | n(serial)
}

fn error<E: SolError>(error: E) -> Vec<u8> {
    error.abi_encode()
}

fn unauthorized(account: Address, role: B256) -> Vec<u8> {
    error(AccessControlUnauthorizedAccount {
        account,
        neededRole: role,
    })
}

/// A deployed credits contract with `RELAYER` holding `RELAYER_ROLE` and `LICENCES` holding
/// `SUITE_ROLE`.
struct Suite {
    chain: Chain,
    credits: Address,
}

impl Suite {
    fn new() -> Self {
        let chain = Chain::new();
        let credits = chain
            .deploy(entrypoint, DEPLOYER, Some((ADMIN,).abi_encode_params()))
            .expect("credits deploys");
        let suite = Self { chain, credits };
        for (role, account) in [(RELAYER_ROLE, RELAYER), (SUITE_ROLE, LICENCES)] {
            suite.send(ADMIN, &grantRoleCall { role, account }).unwrap();
        }
        suite
    }

    fn send<C: SolCall>(&self, from: Address, call: &C) -> Receipt<C::Return> {
        self.chain.send(from, self.credits, U256::ZERO, call)
    }

    fn view<C: SolCall>(&self, call: &C) -> C::Return {
        self.chain.view(self.credits, call)
    }

    fn log<E: SolEvent>(&self, event: E) -> Log {
        Log::of(self.credits, &event)
    }

    fn mint(&self, id: B256, account: Address, amount: U256) -> Receipt<mintCreditsReturn> {
        self.send(
            RELAYER,
            &mintCreditsCall {
                paymentId: id,
                account,
                amount,
            },
        )
    }

    fn reverse(&self, id: B256) -> Receipt<reverseCreditsReturn> {
        self.send(RELAYER, &reverseCreditsCall { paymentId: id })
    }

    /// Licences spending credits of `id` for `spender` (the buyer that called it).
    fn spend(&self, id: B256, amount: u64, serial: u64, spender: Address) -> Receipt<Address> {
        self.send(
            LICENCES,
            &spendCreditsCall {
                paymentId: id,
                amount: n(amount),
                tokenId: token(serial),
                spender,
            },
        )
    }

    fn set_paused(&self, paused: bool) {
        self.send(LICENCES, &setPausedCall { paused }).unwrap();
    }

    fn balance(&self, account: Address) -> U256 {
        self.view(&creditBalanceCall { account })
    }

    fn payment(&self, id: B256) -> CreditPayment {
        self.view(&creditPaymentCall { paymentId: id })
    }

    fn licences(&self, id: B256) -> Vec<U256> {
        self.view(&licencesOfPaymentCall { paymentId: id })
    }

    fn flagged(&self, serial: u64) -> bool {
        self.view(&licenceFlaggedCall {
            tokenId: token(serial),
        })
    }
}

fn record(account: Address, amount: u64, spent: u64, reversed: bool) -> CreditPayment {
    CreditPayment {
        account,
        amount: U96::from(amount),
        spent: U96::from(spent),
        reversed,
    }
}

// ---------------------------------------------------------------------- constructor and views

#[test]
fn constructor_grants_admin_once() {
    let chain = Chain::new();
    let first_log = chain.logs().len();
    let credits = chain
        .deploy(entrypoint, DEPLOYER, Some((ADMIN,).abi_encode_params()))
        .unwrap();
    assert_eq!(
        chain.logs()[first_log..],
        [Log::of(
            credits,
            &RoleGranted {
                role: DEFAULT_ADMIN_ROLE,
                account: ADMIN,
                sender: DEPLOYER,
            }
        )]
    );
    assert!(chain.view(
        credits,
        &hasRoleCall {
            role: DEFAULT_ADMIN_ROLE,
            account: ADMIN
        }
    ));
    let mut again = stylus_sdk::abi::CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
    again.extend((STRANGER,).abi_encode_params());
    let receipt = chain.call_raw(STRANGER, credits, U256::ZERO, again);
    assert!(receipt.result.is_err(), "the constructor runs once only");
    assert!(!chain.view(
        credits,
        &hasRoleCall {
            role: DEFAULT_ADMIN_ROLE,
            account: STRANGER
        }
    ));
}

#[test]
fn constants_and_empty_views() {
    let suite = Suite::new();
    assert_eq!(suite.view(&MAX_LICENCES_PER_PAYMENTCall {}), n(32));
    assert_eq!(suite.view(&RELAYER_ROLECall {}), RELAYER_ROLE);
    assert_eq!(
        RELAYER_ROLE,
        alloy_primitives::keccak256("RELAYER_ROLE"),
        "the role id is its name's hash"
    );
    assert_eq!(suite.balance(ALICE), U256::ZERO);
    assert_eq!(suite.payment(pay_id(1)), record(Address::ZERO, 0, 0, false));
    assert!(suite.licences(pay_id(1)).is_empty());
    assert!(!suite.flagged(1));
}

#[test]
fn functions_that_are_not_payable_refuse_value() {
    let suite = Suite::new();
    suite.chain.set_balance(RELAYER, n(10));
    let receipt = suite.chain.send(
        RELAYER,
        suite.credits,
        n(1),
        &mintCreditsCall {
            paymentId: pay_id(1),
            account: ALICE,
            amount: n(5),
        },
    );
    assert_eq!(receipt.unwrap_revert(), Vec::<u8>::new());
    assert_eq!(suite.balance(ALICE), U256::ZERO);
    assert_eq!(suite.chain.balance(suite.credits), U256::ZERO);
}

#[test]
fn unknown_selectors_revert() {
    let suite = Suite::new();
    let receipt = suite.chain.call_raw(
        ALICE,
        suite.credits,
        U256::ZERO,
        vec![0xde, 0xad, 0xbe, 0xef],
    );
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
}

// ---------------------------------------------------------------------- mintCredits

#[test]
fn mint_credits_the_account_once() {
    let suite = Suite::new();
    let receipt = suite.mint(pay_id(1), ALICE, n(500));
    assert!(receipt.result.is_ok());
    assert_eq!(
        receipt.logs,
        [suite.log(CreditsMinted {
            paymentId: pay_id(1),
            account: ALICE,
            amount: n(500),
        })]
    );
    assert_eq!(suite.balance(ALICE), n(500));
    assert_eq!(suite.payment(pay_id(1)), record(ALICE, 500, 0, false));
    // A second payment adds to the same balance.
    suite.mint(pay_id(2), ALICE, n(250)).unwrap();
    assert_eq!(suite.balance(ALICE), n(750));
}

#[test]
fn a_repeated_payment_id_is_refused() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(500)).unwrap();
    for (account, amount) in [(ALICE, 500), (BOB, 1)] {
        let receipt = suite.mint(pay_id(1), account, n(amount));
        assert_eq!(
            receipt.unwrap_revert(),
            error(PaymentAlreadyCredited {
                paymentId: pay_id(1)
            })
        );
    }
    assert_eq!(suite.balance(ALICE), n(500));
    assert_eq!(suite.balance(BOB), U256::ZERO);
}

#[test]
fn mint_refuses_zero_id_account_amount_and_amounts_past_96_bits() {
    let suite = Suite::new();
    let max = U256::from(U96::MAX);
    for (id, account, amount) in [
        (B256::ZERO, ALICE, n(1)),
        (pay_id(1), Address::ZERO, n(1)),
        (pay_id(1), ALICE, U256::ZERO),
        (pay_id(1), ALICE, max + n(1)),
        (pay_id(1), ALICE, U256::MAX),
    ] {
        let receipt = suite.mint(id, account, amount);
        assert_eq!(receipt.unwrap_revert(), error(InvalidCredit {}));
    }
    // The largest amount fits.
    suite.mint(pay_id(1), ALICE, max).unwrap();
    assert_eq!(suite.balance(ALICE), max);
    assert_eq!(suite.payment(pay_id(1)).amount, U96::MAX);
}

#[test]
fn only_the_relayer_mints() {
    let suite = Suite::new();
    for caller in [STRANGER, ADMIN, LICENCES, ALICE] {
        let receipt = suite.send(
            caller,
            &mintCreditsCall {
                paymentId: pay_id(1),
                account: ALICE,
                amount: n(1),
            },
        );
        assert_eq!(receipt.unwrap_revert(), unauthorized(caller, RELAYER_ROLE));
    }
}

#[test]
fn mint_is_refused_while_paused_after_the_role_check() {
    let suite = Suite::new();
    suite.set_paused(true);
    assert_eq!(
        suite.mint(pay_id(1), ALICE, n(1)).unwrap_revert(),
        error(EnforcedPause {})
    );
    // `onlyRole` comes before `whenNotPaused`, and before the argument checks.
    let receipt = suite.send(
        STRANGER,
        &mintCreditsCall {
            paymentId: B256::ZERO,
            account: ALICE,
            amount: n(1),
        },
    );
    assert_eq!(
        receipt.unwrap_revert(),
        unauthorized(STRANGER, RELAYER_ROLE)
    );
    assert_eq!(
        suite.mint(B256::ZERO, ALICE, n(1)).unwrap_revert(),
        error(EnforcedPause {})
    );
    suite.set_paused(false);
    suite.mint(pay_id(1), ALICE, n(1)).unwrap();
    assert_eq!(suite.balance(ALICE), n(1));
}

#[test]
fn only_the_suite_sets_the_pause_switch_and_it_logs_nothing() {
    let suite = Suite::new();
    for caller in [STRANGER, ADMIN, RELAYER] {
        let receipt = suite.send(caller, &setPausedCall { paused: true });
        assert_eq!(receipt.unwrap_revert(), unauthorized(caller, SUITE_ROLE));
    }
    let receipt = suite.send(LICENCES, &setPausedCall { paused: true });
    assert!(receipt.result.is_ok());
    assert!(
        receipt.logs.is_empty(),
        "licences emits Paused, not credits"
    );
    // Setting the same value again is licences' concern (EnforcedPause there).
    suite
        .send(LICENCES, &setPausedCall { paused: true })
        .unwrap();
    assert_eq!(
        suite.mint(pay_id(1), ALICE, n(1)).unwrap_revert(),
        error(EnforcedPause {})
    );
}

#[test]
fn balance_overflow_panics_as_solidity() {
    // No real sequence of mints reaches 2^256 (each is below 2^96), so the balance is written
    // directly: `credit_balances` is the contract's fifth storage field (slot 4: the role
    // table, the pause flag, payments and payment licences come first), a Solidity mapping.
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(1)).unwrap();
    let slot = U256::from_be_bytes(alloy_primitives::keccak256((ALICE, n(4)).abi_encode()).0);
    assert_eq!(suite.chain.storage(suite.credits, slot), B256::from(n(1)));
    suite
        .chain
        .set_storage(suite.credits, slot, B256::from(U256::MAX));
    assert_eq!(suite.balance(ALICE), U256::MAX);
    assert_eq!(
        suite.mint(pay_id(2), ALICE, n(1)).unwrap_revert(),
        panic_data(PANIC_OVERFLOW)
    );
}

// ---------------------------------------------------------------------- spendCredits

#[test]
fn the_account_spends_its_credits_on_licences() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(500)).unwrap();
    let receipt = suite.spend(pay_id(1), 200, 1, ALICE);
    assert_eq!(
        receipt.logs,
        [suite.log(CreditsSpent {
            paymentId: pay_id(1),
            tokenId: token(1),
            amount: n(200),
        })]
    );
    assert_eq!(receipt.unwrap(), ALICE, "returns the payment's account");
    assert_eq!(suite.balance(ALICE), n(300));
    assert_eq!(suite.payment(pay_id(1)), record(ALICE, 500, 200, false));
    // The relayer spends for a card buyer; the account is still the payment's.
    assert_eq!(suite.spend(pay_id(1), 300, 2, RELAYER).unwrap(), ALICE);
    assert_eq!(suite.balance(ALICE), U256::ZERO);
    assert_eq!(suite.payment(pay_id(1)), record(ALICE, 500, 500, false));
    assert_eq!(suite.licences(pay_id(1)), [token(1), token(2)]);
    // A free offer spends nothing and still records the licence.
    suite.spend(pay_id(1), 0, 3, ALICE).unwrap();
    assert_eq!(suite.licences(pay_id(1)), [token(1), token(2), token(3)]);
}

#[test]
fn spending_a_payment_draws_only_on_its_own_credits() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    suite.mint(pay_id(2), ALICE, n(100)).unwrap();
    let receipt = suite.spend(pay_id(1), 150, 1, ALICE);
    assert_eq!(
        receipt.unwrap_revert(),
        error(InsufficientCredits {
            paymentId: pay_id(1),
            available: n(100),
            needed: n(150),
        })
    );
    suite.spend(pay_id(1), 60, 1, ALICE).unwrap();
    assert_eq!(
        suite.spend(pay_id(1), 41, 2, ALICE).unwrap_revert(),
        error(InsufficientCredits {
            paymentId: pay_id(1),
            available: n(40),
            needed: n(41),
        })
    );
    suite.spend(pay_id(1), 40, 2, ALICE).unwrap();
    assert_eq!(suite.balance(ALICE), n(100));
}

#[test]
fn spending_an_unknown_payment_is_refused() {
    let suite = Suite::new();
    assert_eq!(
        suite.spend(pay_id(9), 1, 1, ALICE).unwrap_revert(),
        error(UnknownPayment {
            paymentId: pay_id(9)
        })
    );
    // A payment reversed before it was credited has no account: unknown comes first.
    suite.reverse(pay_id(9)).unwrap();
    assert_eq!(
        suite.spend(pay_id(9), 1, 1, ALICE).unwrap_revert(),
        error(UnknownPayment {
            paymentId: pay_id(9)
        })
    );
}

#[test]
fn spending_a_reversed_payment_is_refused() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    suite.reverse(pay_id(1)).unwrap();
    // Reversed comes before the account and amount checks.
    assert_eq!(
        suite.spend(pay_id(1), 1000, 1, STRANGER).unwrap_revert(),
        error(PaymentAlreadyReversed {
            paymentId: pay_id(1)
        })
    );
}

#[test]
fn only_the_account_or_a_relayer_spends() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    for spender in [BOB, STRANGER, LICENCES, ADMIN] {
        // The account check precedes the amount check.
        assert_eq!(
            suite.spend(pay_id(1), 1000, 1, spender).unwrap_revert(),
            error(NotPaymentAccount {
                paymentId: pay_id(1),
                caller: spender,
            })
        );
    }
    suite
        .send(
            ADMIN,
            &grantRoleCall {
                role: RELAYER_ROLE,
                account: BOB,
            },
        )
        .unwrap();
    assert_eq!(suite.spend(pay_id(1), 10, 1, BOB).unwrap(), ALICE);
}

#[test]
fn only_the_suite_calls_spend_credits() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    for caller in [ALICE, RELAYER, ADMIN] {
        let receipt = suite.send(
            caller,
            &spendCreditsCall {
                paymentId: pay_id(1),
                amount: n(1),
                tokenId: token(1),
                spender: ALICE,
            },
        );
        assert_eq!(receipt.unwrap_revert(), unauthorized(caller, SUITE_ROLE));
    }
    assert_eq!(suite.balance(ALICE), n(100));
}

#[test]
fn a_payment_buys_at_most_32_licences() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    for serial in 1..=32 {
        suite.spend(pay_id(1), 1, serial, ALICE).unwrap();
    }
    // Refused after the amount check, before anything changes.
    assert_eq!(
        suite.spend(pay_id(1), 1000, 33, ALICE).unwrap_revert(),
        error(InsufficientCredits {
            paymentId: pay_id(1),
            available: n(68),
            needed: n(1000),
        })
    );
    assert_eq!(
        suite.spend(pay_id(1), 1, 33, ALICE).unwrap_revert(),
        error(TooManyLicencesForPayment {
            paymentId: pay_id(1)
        })
    );
    assert_eq!(suite.licences(pay_id(1)).len(), 32);
    assert_eq!(suite.balance(ALICE), n(68));
    assert_eq!(suite.payment(pay_id(1)), record(ALICE, 100, 32, false));
}

#[test]
fn spending_is_not_gated_by_the_pause_copy() {
    // `purchaseWithCredits` checks the pause switch in licences before calling here, as the
    // Solidity build's `whenNotPaused` precedes `_spendCredits`.
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    suite.set_paused(true);
    suite.spend(pay_id(1), 10, 1, ALICE).unwrap();
    assert_eq!(suite.balance(ALICE), n(90));
}

// ---------------------------------------------------------------------- reverseCredits

#[test]
fn reversing_an_unspent_payment_burns_it_all() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(500)).unwrap();
    suite.mint(pay_id(2), ALICE, n(70)).unwrap();
    let receipt = suite.reverse(pay_id(1));
    assert_eq!(
        receipt.logs,
        [suite.log(CreditsReversed {
            paymentId: pay_id(1),
            account: ALICE,
            burned: n(500),
            spent: U256::ZERO,
            flaggedTokenIds: vec![],
        })]
    );
    assert_eq!(suite.balance(ALICE), n(70));
    assert_eq!(suite.payment(pay_id(1)), record(ALICE, 500, 0, true));
}

#[test]
fn reversal_after_partial_spend_flags_the_licences_bought() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(500)).unwrap();
    suite.mint(pay_id(2), ALICE, n(50)).unwrap();
    suite.spend(pay_id(1), 100, 1, ALICE).unwrap();
    suite.spend(pay_id(2), 50, 2, ALICE).unwrap();
    suite.spend(pay_id(1), 150, 3, RELAYER).unwrap();
    assert_eq!(suite.balance(ALICE), n(250));
    let receipt = suite.reverse(pay_id(1));
    assert_eq!(
        receipt.logs,
        [
            suite.log(LicenceFlagged {
                tokenId: token(1),
                paymentId: pay_id(1),
            }),
            suite.log(LicenceFlagged {
                tokenId: token(3),
                paymentId: pay_id(1),
            }),
            suite.log(CreditsReversed {
                paymentId: pay_id(1),
                account: ALICE,
                burned: n(250),
                spent: n(250),
                flaggedTokenIds: vec![token(1), token(3)],
            }),
        ]
    );
    assert_eq!(suite.balance(ALICE), U256::ZERO);
    assert_eq!(suite.payment(pay_id(1)), record(ALICE, 500, 250, true));
    assert!(suite.flagged(1));
    assert!(!suite.flagged(2), "bought with another payment");
    assert!(suite.flagged(3));
    assert_eq!(suite.licences(pay_id(1)), [token(1), token(3)]);
}

#[test]
fn reversal_of_a_fully_spent_payment_burns_nothing() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    suite.mint(pay_id(2), ALICE, n(5)).unwrap();
    suite.spend(pay_id(1), 100, 1, ALICE).unwrap();
    let receipt = suite.reverse(pay_id(1));
    assert_eq!(
        receipt.logs.last().unwrap(),
        &suite.log(CreditsReversed {
            paymentId: pay_id(1),
            account: ALICE,
            burned: U256::ZERO,
            spent: n(100),
            flaggedTokenIds: vec![token(1)],
        })
    );
    assert_eq!(suite.balance(ALICE), n(5));
}

#[test]
fn reversal_before_payment_refuses_the_late_credit() {
    let suite = Suite::new();
    let receipt = suite.reverse(pay_id(1));
    assert_eq!(
        receipt.logs,
        [suite.log(CreditsReversed {
            paymentId: pay_id(1),
            account: Address::ZERO,
            burned: U256::ZERO,
            spent: U256::ZERO,
            flaggedTokenIds: vec![],
        })]
    );
    assert_eq!(suite.payment(pay_id(1)), record(Address::ZERO, 0, 0, true));
    assert_eq!(
        suite.mint(pay_id(1), ALICE, n(500)).unwrap_revert(),
        error(PaymentAlreadyReversed {
            paymentId: pay_id(1)
        })
    );
    assert_eq!(suite.balance(ALICE), U256::ZERO);
}

#[test]
fn a_payment_is_reversed_once() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    suite.reverse(pay_id(1)).unwrap();
    assert_eq!(
        suite.reverse(pay_id(1)).unwrap_revert(),
        error(PaymentAlreadyReversed {
            paymentId: pay_id(1)
        })
    );
    // And a reversed id is never credited again.
    assert_eq!(
        suite.mint(pay_id(1), ALICE, n(100)).unwrap_revert(),
        error(PaymentAlreadyReversed {
            paymentId: pay_id(1)
        })
    );
}

#[test]
fn reversal_needs_a_payment_id_and_the_relayer_and_stays_open_while_paused() {
    let suite = Suite::new();
    assert_eq!(
        suite.reverse(B256::ZERO).unwrap_revert(),
        error(InvalidCredit {})
    );
    for caller in [STRANGER, ADMIN, LICENCES] {
        let receipt = suite.send(
            caller,
            &reverseCreditsCall {
                paymentId: pay_id(1),
            },
        );
        assert_eq!(receipt.unwrap_revert(), unauthorized(caller, RELAYER_ROLE));
    }
    suite.mint(pay_id(1), ALICE, n(100)).unwrap();
    suite.set_paused(true);
    suite.reverse(pay_id(1)).unwrap();
    assert_eq!(suite.balance(ALICE), U256::ZERO);
}

#[test]
fn reversal_flags_all_32_licences_of_a_payment() {
    let suite = Suite::new();
    suite.mint(pay_id(1), ALICE, n(32)).unwrap();
    for serial in 1..=32 {
        suite.spend(pay_id(1), 1, serial, ALICE).unwrap();
    }
    let receipt = suite.reverse(pay_id(1));
    assert_eq!(receipt.logs.len(), 33);
    let ids: Vec<U256> = (1..=32).map(token).collect();
    assert_eq!(
        receipt.logs[32],
        suite.log(CreditsReversed {
            paymentId: pay_id(1),
            account: ALICE,
            burned: U256::ZERO,
            spent: n(32),
            flaggedTokenIds: ids,
        })
    );
    assert!((1..=32).all(|serial| suite.flagged(serial)));
}

// ---------------------------------------------------------------------- AccessControl

#[test]
fn roles_are_granted_revoked_and_renounced_as_openzeppelin_does() {
    let suite = Suite::new();
    assert_eq!(suite.view(&DEFAULT_ADMIN_ROLECall {}), DEFAULT_ADMIN_ROLE);
    assert_eq!(
        suite.view(&getRoleAdminCall { role: RELAYER_ROLE }),
        DEFAULT_ADMIN_ROLE
    );
    assert!(suite.view(&hasRoleCall {
        role: RELAYER_ROLE,
        account: RELAYER
    }));
    assert_eq!(
        suite
            .send(
                RELAYER,
                &grantRoleCall {
                    role: RELAYER_ROLE,
                    account: BOB
                }
            )
            .unwrap_revert(),
        unauthorized(RELAYER, DEFAULT_ADMIN_ROLE)
    );
    let receipt = suite.send(
        ADMIN,
        &grantRoleCall {
            role: RELAYER_ROLE,
            account: BOB,
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(RoleGranted {
            role: RELAYER_ROLE,
            account: BOB,
            sender: ADMIN
        })]
    );
    assert_eq!(
        suite
            .send(
                BOB,
                &renounceRoleCall {
                    role: RELAYER_ROLE,
                    callerConfirmation: ALICE
                }
            )
            .unwrap_revert(),
        error(AccessControlBadConfirmation {})
    );
    let receipt = suite.send(
        BOB,
        &renounceRoleCall {
            role: RELAYER_ROLE,
            callerConfirmation: BOB,
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(RoleRevoked {
            role: RELAYER_ROLE,
            account: BOB,
            sender: BOB
        })]
    );
    // A revoked relayer can no longer mint.
    let receipt = suite.send(
        ADMIN,
        &revokeRoleCall {
            role: RELAYER_ROLE,
            account: RELAYER,
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(RoleRevoked {
            role: RELAYER_ROLE,
            account: RELAYER,
            sender: ADMIN
        })]
    );
    assert_eq!(
        suite.mint(pay_id(1), ALICE, n(1)).unwrap_revert(),
        unauthorized(RELAYER, RELAYER_ROLE)
    );
}
