//! The splits contract, run through its ABI router on the native test chain
//! (`tributary-stylus-testchain`). Calldata, return values, events and errors are encoded from
//! `abi/ITributary.json` and `abi/TributaryInherited.json` (the Solidity build's ABI), so a
//! selector or an encoding that differs from the Solidity build fails here too.

use alloy_primitives::{address, Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use tributary_stylus_common::{panic_data, CREDITS, DEFAULT_ADMIN_ROLE, SUITE_ROLE};
use tributary_stylus_testchain::token::{self, Mode};
use tributary_stylus_testchain::{receiver, Chain, Log, Receipt};

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
    /// The suite-internal function of docs/stylus.md.
    interface ISuiteInternal {
        function receivePayment(bytes32 splitHash, address token, uint256 datasetId, address payer, uint256 amount) external payable;
    }
}

use ISuiteInternal::receivePaymentCall;
use ITributary::*;
use ITributaryTypes::Split;
use TributaryInherited::{
    getRoleAdminCall, grantRoleCall, hasRoleCall, renounceRoleCall, revokeRoleCall,
    AccessControlBadConfirmation, AccessControlUnauthorizedAccount, DEFAULT_ADMIN_ROLECall,
    FailedCall, RoleGranted, RoleRevoked, SafeERC20FailedOperation,
};

const DEPLOYER: Address = address!("00000000000000000000000000000000000d3910");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const TREASURY: Address = address!("0000000000000000000000000000000000007ea5");
/// Stands in for the licences contract: the holder of `SUITE_ROLE`.
const LICENCES: Address = address!("00000000000000000000000000000000001ce7ce");
const BUYER: Address = address!("00000000000000000000000000000000000b0b0b");
const STRANGER: Address = address!("0000000000000000000000000000000000005700");
/// Payees, strictly ascending.
const ALICE: Address = address!("0000000000000000000000000000000000a11ce0");
const BOB: Address = address!("0000000000000000000000000000000000b0b000");
const CAROL: Address = address!("0000000000000000000000000000000000ca7010");

const FEE_BPS: u16 = 500;
const DATASET: U256 = U256::from_limbs([7, 0, 0, 0]);

fn entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    stylus_sdk::abi::router_entrypoint::<crate::Splits, crate::Splits>(input, vm)
}

fn eth(amount: u64) -> U256 {
    U256::from(amount)
}

/// A deployed splits contract with `LICENCES` holding `SUITE_ROLE`.
struct Suite {
    chain: Chain,
    splits: Address,
}

impl Suite {
    fn new() -> Self {
        let chain = Chain::new();
        let splits = chain
            .deploy(
                entrypoint,
                DEPLOYER,
                Some((ADMIN, TREASURY, FEE_BPS).abi_encode_params()),
            )
            .expect("splits deploys");
        let suite = Self { chain, splits };
        suite
            .send(
                ADMIN,
                &grantRoleCall {
                    role: SUITE_ROLE,
                    account: LICENCES,
                },
            )
            .unwrap();
        for account in [LICENCES, BUYER, STRANGER, ADMIN] {
            suite.chain.set_balance(account, eth(1_000_000_000));
        }
        suite
    }

    fn send<C: SolCall>(&self, from: Address, call: &C) -> Receipt<C::Return> {
        self.chain.send(from, self.splits, U256::ZERO, call)
    }

    fn send_value<C: SolCall>(&self, from: Address, value: U256, call: &C) -> Receipt<C::Return> {
        self.chain.send(from, self.splits, value, call)
    }

    fn view<C: SolCall>(&self, call: &C) -> C::Return {
        self.chain.view(self.splits, call)
    }

    fn log<E: SolEvent>(&self, event: E) -> Log {
        Log::of(self.splits, &event)
    }

    /// Licences forwarding a payment of `amount` (with `value` attached) into `split`.
    fn pay(&self, split: &Split, token: Address, amount: U256, value: U256) -> Receipt<()> {
        self.send_value(LICENCES, value, &receive(split, token, amount))
            .map_unit()
    }

    fn pay_eth(&self, split: &Split, amount: U256) {
        self.pay(split, Address::ZERO, amount, amount).unwrap();
    }

    fn releasable(&self, token: Address, split: &Split, payee: Address) -> U256 {
        self.view(&releasableCall {
            token,
            split: split.clone(),
            payee,
        })
    }

    fn release(
        &self,
        from: Address,
        token: Address,
        split: &Split,
        payee: Address,
    ) -> Receipt<U256> {
        self.send(
            from,
            &releaseCall {
                token,
                split: split.clone(),
                payee,
            },
        )
    }

    fn allow(&self, token: Address) {
        self.send(
            ADMIN,
            &setTokenAllowedCall {
                token,
                allowed: true,
            },
        )
        .unwrap();
    }

    fn token_balance(&self, token: Address, account: Address) -> U256 {
        self.chain.view(token, &token::balanceOfCall { account })
    }
}

trait MapUnit {
    fn map_unit(self) -> Receipt<()>;
}

impl<T> MapUnit for Receipt<T> {
    fn map_unit(self) -> Receipt<()> {
        Receipt {
            result: self.result.map(|_| ()),
            logs: self.logs,
        }
    }
}

fn receive(split: &Split, token: Address, amount: U256) -> receivePaymentCall {
    receivePaymentCall {
        splitHash: hash(split),
        token,
        datasetId: DATASET,
        payer: BUYER,
        amount,
    }
}

fn split(payees: &[Address], shares: &[u32]) -> Split {
    Split {
        payees: payees.to_vec(),
        shares: shares.to_vec(),
    }
}

/// Alice 1 share, Bob 2: thirds, so most amounts leave rounding.
fn thirds() -> Split {
    split(&[ALICE, BOB], &[1, 2])
}

fn hash(split: &Split) -> B256 {
    alloy_primitives::keccak256((split.payees.clone(), split.shares.clone()).abi_encode_params())
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

fn fee_of(amount: u64) -> u64 {
    amount * u64::from(FEE_BPS) / 10_000
}

// ---------------------------------------------------------------------- constructor and views

#[test]
fn constructor_grants_admin_and_sets_fee() {
    let chain = Chain::new();
    let first_log = chain.logs().len();
    let splits = chain
        .deploy(
            entrypoint,
            DEPLOYER,
            Some((ADMIN, TREASURY, FEE_BPS).abi_encode_params()),
        )
        .unwrap();
    assert_eq!(
        chain.logs()[first_log..],
        [
            Log::of(
                splits,
                &RoleGranted {
                    role: DEFAULT_ADMIN_ROLE,
                    account: ADMIN,
                    sender: DEPLOYER,
                }
            ),
            Log::of(
                splits,
                &ProtocolFeeSet {
                    bps: FEE_BPS,
                    treasury: TREASURY,
                }
            ),
        ]
    );
    let fee = chain.view(splits, &protocolFeeCall {});
    assert_eq!((fee.bps, fee.treasury), (FEE_BPS, TREASURY));
    assert_eq!(chain.view(splits, &MAX_FEE_BPSCall {}), 1000);
    assert!(chain.view(
        splits,
        &hasRoleCall {
            role: DEFAULT_ADMIN_ROLE,
            account: ADMIN
        }
    ));
    assert!(!chain.view(
        splits,
        &hasRoleCall {
            role: DEFAULT_ADMIN_ROLE,
            account: DEPLOYER
        }
    ));
}

#[test]
fn constructor_rejects_an_invalid_fee_and_runs_once() {
    let chain = Chain::new();
    for (bps, treasury) in [(1001u16, TREASURY), (0, Address::ZERO)] {
        let reverted = chain
            .deploy(
                entrypoint,
                DEPLOYER,
                Some((ADMIN, treasury, bps).abi_encode_params()),
            )
            .unwrap_err();
        assert_eq!(reverted, error(InvalidProtocolFee { bps, treasury }));
    }
    let splits = chain
        .deploy(
            entrypoint,
            DEPLOYER,
            Some((ADMIN, TREASURY, 1000u16).abi_encode_params()),
        )
        .unwrap();
    let mut again = stylus_sdk::abi::CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
    again.extend((STRANGER, STRANGER, 0u16).abi_encode_params());
    let receipt = chain.call_raw(STRANGER, splits, U256::ZERO, again);
    assert!(receipt.result.is_err(), "the constructor runs once only");
    assert_eq!(chain.view(splits, &protocolFeeCall {}).treasury, TREASURY);
}

#[test]
fn views_start_empty() {
    let suite = Suite::new();
    let thirds = thirds();
    assert_eq!(
        suite.view(&totalReceivedCall {
            splitHash: hash(&thirds),
            token: Address::ZERO
        }),
        U256::ZERO
    );
    assert_eq!(
        suite.view(&releasedCall {
            splitHash: hash(&thirds),
            token: Address::ZERO,
            payee: ALICE
        }),
        U256::ZERO
    );
    assert_eq!(
        suite.view(&protocolFeesOwedCall {
            token: Address::ZERO
        }),
        U256::ZERO
    );
    assert_eq!(suite.releasable(Address::ZERO, &thirds, ALICE), U256::ZERO);
    assert!(!suite.view(&isTokenAllowedCall { token: STRANGER }));
}

#[test]
fn functions_that_are_not_payable_refuse_value() {
    let suite = Suite::new();
    let receipt = suite.send_value(
        BUYER,
        eth(1),
        &releaseProtocolFeesCall {
            token: Address::ZERO,
        },
    );
    assert_eq!(receipt.unwrap_revert(), Vec::<u8>::new());
    assert_eq!(suite.chain.balance(suite.splits), U256::ZERO);
}

#[test]
fn unknown_selectors_revert() {
    let suite = Suite::new();
    let receipt = suite.chain.call_raw(
        BUYER,
        suite.splits,
        U256::ZERO,
        vec![0xde, 0xad, 0xbe, 0xef],
    );
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
}

// ---------------------------------------------------------------------- receivePayment: ETH

#[test]
fn eth_payment_is_booked_net_of_the_fee() {
    let suite = Suite::new();
    let thirds = thirds();
    let receipt = suite.pay(&thirds, Address::ZERO, eth(10_000), eth(10_000));
    assert!(receipt.result.is_ok());
    assert_eq!(
        receipt.logs,
        [suite.log(PaymentReceived {
            splitHash: hash(&thirds),
            token: Address::ZERO,
            datasetId: DATASET,
            payer: BUYER,
            amount: eth(9_500),
            fee: eth(500),
        })]
    );
    assert_eq!(
        suite.view(&totalReceivedCall {
            splitHash: hash(&thirds),
            token: Address::ZERO
        }),
        eth(9_500)
    );
    assert_eq!(
        suite.view(&protocolFeesOwedCall {
            token: Address::ZERO
        }),
        eth(500)
    );
    assert_eq!(suite.chain.balance(suite.splits), eth(10_000));
}

#[test]
fn eth_payment_must_carry_exactly_the_amount() {
    let suite = Suite::new();
    for sent in [0u64, 999, 1001] {
        let receipt = suite.pay(&thirds(), Address::ZERO, eth(1000), eth(sent));
        assert_eq!(
            receipt.unwrap_revert(),
            error(WrongPayment {
                expected: eth(1000),
                sent: eth(sent)
            })
        );
    }
    assert_eq!(suite.chain.balance(suite.splits), U256::ZERO);
}

#[test]
fn a_fee_rounds_down_and_a_zero_fee_is_not_owed() {
    let suite = Suite::new();
    // 19 × 5 % = 0.95: no fee at all.
    let receipt = suite.pay(&thirds(), Address::ZERO, eth(19), eth(19));
    assert_eq!(
        receipt.logs[0],
        suite.log(PaymentReceived {
            splitHash: hash(&thirds()),
            token: Address::ZERO,
            datasetId: DATASET,
            payer: BUYER,
            amount: eth(19),
            fee: U256::ZERO,
        })
    );
    assert_eq!(
        suite.view(&protocolFeesOwedCall {
            token: Address::ZERO
        }),
        U256::ZERO
    );
}

#[test]
fn only_the_suite_may_pay_in() {
    let suite = Suite::new();
    for caller in [BUYER, ADMIN] {
        let receipt = suite.pay_from(caller, &thirds(), eth(10));
        assert_eq!(receipt.unwrap_revert(), unauthorized(caller, SUITE_ROLE));
    }
}

impl Suite {
    fn pay_from(&self, caller: Address, split: &Split, amount: U256) -> Receipt<()> {
        self.send_value(caller, amount, &receive(split, Address::ZERO, amount))
            .map_unit()
    }
}

// ---------------------------------------------------------------------- receivePayment: credits

#[test]
fn credits_are_booked_without_moving_anything() {
    let suite = Suite::new();
    let receipt = suite.pay(&thirds(), CREDITS, eth(2_000), U256::ZERO);
    assert_eq!(
        receipt.logs,
        [suite.log(PaymentReceived {
            splitHash: hash(&thirds()),
            token: CREDITS,
            datasetId: DATASET,
            payer: BUYER,
            amount: eth(1_900),
            fee: eth(100),
        })]
    );
    assert_eq!(
        suite.view(&protocolFeesOwedCall { token: CREDITS }),
        eth(100)
    );
    assert_eq!(suite.chain.balance(suite.splits), U256::ZERO);
    let receipt = suite.pay(&thirds(), CREDITS, eth(2_000), eth(1));
    assert_eq!(
        receipt.unwrap_revert(),
        error(WrongPayment {
            expected: U256::ZERO,
            sent: eth(1)
        })
    );
}

// ---------------------------------------------------------------------- receivePayment: ERC-20

#[test]
fn token_payment_pulls_from_the_payer() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::Standard);
    suite.allow(token);
    suite
        .chain
        .send(
            BUYER,
            token,
            U256::ZERO,
            &token::mintCall {
                to: BUYER,
                value: eth(5_000),
            },
        )
        .unwrap();
    suite
        .chain
        .send(
            BUYER,
            token,
            U256::ZERO,
            &token::approveCall {
                spender: suite.splits,
                value: eth(5_000),
            },
        )
        .unwrap();
    let receipt = suite.pay(&thirds(), token, eth(4_000), U256::ZERO);
    assert_eq!(
        receipt.logs,
        [
            Log::of(
                token,
                &token::Transfer {
                    from: BUYER,
                    to: suite.splits,
                    value: eth(4_000)
                }
            ),
            suite.log(PaymentReceived {
                splitHash: hash(&thirds()),
                token,
                datasetId: DATASET,
                payer: BUYER,
                amount: eth(3_800),
                fee: eth(200),
            }),
        ]
    );
    assert_eq!(suite.token_balance(token, suite.splits), eth(4_000));
    assert_eq!(suite.token_balance(token, BUYER), eth(1_000));
    assert_eq!(suite.view(&protocolFeesOwedCall { token }), eth(200));
}

#[test]
fn token_payment_checks_value_and_allow_list_first() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::Standard);
    let receipt = suite.pay(&thirds(), token, eth(10), eth(10));
    assert_eq!(
        receipt.unwrap_revert(),
        error(WrongPayment {
            expected: U256::ZERO,
            sent: eth(10)
        })
    );
    let receipt = suite.pay(&thirds(), token, eth(10), U256::ZERO);
    assert_eq!(receipt.unwrap_revert(), error(TokenNotAllowed { token }));
}

#[test]
fn a_zero_token_payment_pulls_nothing() {
    let suite = Suite::new();
    // An allow-listed address without code: any call to it would fail to decode.
    let token = address!("00000000000000000000000000000000000000e2");
    suite.allow(token);
    let receipt = suite.pay(&thirds(), token, U256::ZERO, U256::ZERO);
    assert_eq!(receipt.logs.len(), 1);
    let receipt = suite.pay(&thirds(), token, eth(1), U256::ZERO);
    assert_eq!(
        receipt.unwrap_revert(),
        Vec::<u8>::new(),
        "balanceOf returned nothing"
    );
}

#[test]
fn a_failed_pull_bubbles_the_token_error() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::Standard);
    suite.allow(token);
    let receipt = suite.pay(&thirds(), token, eth(10), U256::ZERO);
    assert_eq!(
        receipt.unwrap_revert(),
        error(token::ERC20InsufficientAllowance {
            spender: suite.splits,
            allowance: U256::ZERO,
            needed: eth(10)
        })
    );
}

#[test]
fn a_token_returning_false_fails_safely() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::FalseOnFailure);
    suite.allow(token);
    let receipt = suite.pay(&thirds(), token, eth(10), U256::ZERO);
    assert_eq!(
        receipt.unwrap_revert(),
        error(SafeERC20FailedOperation { token })
    );
}

#[test]
fn a_token_returning_nothing_is_accepted() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::NoReturn);
    suite.allow(token);
    suite.fund_and_approve(token, eth(100));
    suite.pay(&thirds(), token, eth(100), U256::ZERO).unwrap();
    assert_eq!(suite.token_balance(token, suite.splits), eth(100));
    // And paid out the same way.
    suite.release(STRANGER, token, &thirds(), BOB).unwrap();
    assert_eq!(suite.token_balance(token, BOB), eth(63));
}

#[test]
fn a_fee_on_transfer_token_is_rejected() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::FeeOnTransfer);
    suite.allow(token);
    suite.fund_and_approve(token, eth(1_000));
    let receipt = suite.pay(&thirds(), token, eth(1_000), U256::ZERO);
    assert_eq!(
        receipt.unwrap_revert(),
        error(ShortDelivery {
            expected: eth(1_000),
            delivered: eth(990)
        })
    );
    assert_eq!(
        suite.token_balance(token, BUYER),
        eth(1_000),
        "the pull was undone"
    );
}

impl Suite {
    fn fund_and_approve(&self, token: Address, amount: U256) {
        self.chain
            .send(
                BUYER,
                token,
                U256::ZERO,
                &token::mintCall {
                    to: BUYER,
                    value: amount,
                },
            )
            .unwrap();
        self.chain
            .send(
                BUYER,
                token,
                U256::ZERO,
                &token::approveCall {
                    spender: self.splits,
                    value: amount,
                },
            )
            .unwrap();
    }
}

#[test]
fn a_disallowed_token_is_refused_again() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::Standard);
    suite.allow(token);
    suite
        .send(
            ADMIN,
            &setTokenAllowedCall {
                token,
                allowed: false,
            },
        )
        .unwrap();
    let receipt = suite.pay(&thirds(), token, eth(1), U256::ZERO);
    assert_eq!(receipt.unwrap_revert(), error(TokenNotAllowed { token }));
}

// ---------------------------------------------------------------------- release

#[test]
fn payees_release_their_cumulative_floor() {
    let suite = Suite::new();
    let thirds = thirds();
    suite.set_fee(0);
    suite.pay_eth(&thirds, eth(100));
    // floor(100 / 3) = 33 and floor(200 / 3) = 66: one unit unallocated for now.
    assert_eq!(suite.releasable(Address::ZERO, &thirds, ALICE), eth(33));
    assert_eq!(suite.releasable(Address::ZERO, &thirds, BOB), eth(66));
    let receipt = suite.release(STRANGER, Address::ZERO, &thirds, ALICE);
    assert_eq!(
        receipt.logs,
        [suite.log(PaymentReleased {
            payee: ALICE,
            splitHash: hash(&thirds),
            token: Address::ZERO,
            amount: eth(33),
        })]
    );
    assert_eq!(receipt.unwrap(), eth(33));
    assert_eq!(
        suite.chain.balance(ALICE),
        eth(33),
        "paid to the payee, not the caller"
    );
    assert_eq!(
        suite.view(&releasedCall {
            splitHash: hash(&thirds),
            token: Address::ZERO,
            payee: ALICE
        }),
        eth(33)
    );
    assert_eq!(
        suite
            .release(ALICE, Address::ZERO, &thirds, ALICE)
            .unwrap_revert(),
        error(NothingToRelease {})
    );
    // Two more units: received 102, Alice's floor is 34, Bob's 68; the rounding is allocated.
    suite.pay_eth(&thirds, eth(2));
    assert_eq!(suite.releasable(Address::ZERO, &thirds, ALICE), eth(1));
    assert_eq!(
        suite.release(BOB, Address::ZERO, &thirds, BOB).unwrap(),
        eth(68)
    );
    assert_eq!(
        suite.release(ALICE, Address::ZERO, &thirds, ALICE).unwrap(),
        eth(1)
    );
    assert_eq!(
        suite.chain.balance(suite.splits),
        U256::ZERO,
        "nothing left over"
    );
}

impl Suite {
    fn set_fee(&self, bps: u16) {
        self.send(
            ADMIN,
            &setProtocolFeeCall {
                bps,
                treasury: TREASURY,
            },
        )
        .unwrap();
    }
}

#[test]
fn entitlements_never_exceed_what_was_received() {
    let suite = Suite::new();
    let odd = split(&[ALICE, BOB, CAROL], &[3, 5, 11]);
    let mut paid = U256::ZERO;
    for (round, amount) in [1u64, 7, 18, 19, 101, 3, 1_000_003].into_iter().enumerate() {
        suite.pay_eth(&odd, eth(amount));
        paid += eth(amount - fee_of(amount));
        let payee = odd.payees[round % 3];
        if !suite.releasable(Address::ZERO, &odd, payee).is_zero() {
            suite.release(STRANGER, Address::ZERO, &odd, payee).unwrap();
        }
        let mut allocated = U256::ZERO;
        for payee in &odd.payees {
            let released = suite.view(&releasedCall {
                splitHash: hash(&odd),
                token: Address::ZERO,
                payee: *payee,
            });
            allocated += released + suite.releasable(Address::ZERO, &odd, *payee);
        }
        assert!(allocated <= paid);
        assert!(
            paid - allocated < eth(3),
            "rounding stays below the number of payees"
        );
    }
}

#[test]
fn release_refuses_an_account_outside_the_split() {
    let suite = Suite::new();
    suite.pay_eth(&thirds(), eth(300));
    assert_eq!(
        suite
            .release(CAROL, Address::ZERO, &thirds(), CAROL)
            .unwrap_revert(),
        error(NotPayee { account: CAROL })
    );
    let zero_share = split(&[ALICE, BOB], &[0, 2]);
    assert_eq!(
        suite
            .release(ALICE, Address::ZERO, &zero_share, ALICE)
            .unwrap_revert(),
        error(NotPayee { account: ALICE })
    );
    let view = suite.chain.try_view(
        suite.splits,
        &releasableCall {
            token: Address::ZERO,
            split: thirds(),
            payee: CAROL,
        },
    );
    assert_eq!(view.result.unwrap_err(), error(NotPayee { account: CAROL }));
}

#[test]
fn release_of_a_split_with_fewer_shares_than_payees_panics_as_solidity() {
    let suite = Suite::new();
    let short = split(&[ALICE, BOB], &[1]);
    assert_eq!(
        suite
            .release(ALICE, Address::ZERO, &short, ALICE)
            .unwrap_revert(),
        panic_data(0x32)
    );
}

#[test]
fn a_different_split_is_a_different_account() {
    let suite = Suite::new();
    suite.pay_eth(&thirds(), eth(300));
    let halves = split(&[ALICE, BOB], &[1, 1]);
    assert_eq!(
        suite
            .release(ALICE, Address::ZERO, &halves, ALICE)
            .unwrap_revert(),
        error(NothingToRelease {})
    );
}

#[test]
fn credits_release_is_an_event_only() {
    let suite = Suite::new();
    suite
        .pay(&thirds(), CREDITS, eth(3_000), U256::ZERO)
        .unwrap();
    let receipt = suite.release(STRANGER, CREDITS, &thirds(), BOB);
    assert_eq!(
        receipt.logs,
        [suite.log(PaymentReleased {
            payee: BOB,
            splitHash: hash(&thirds()),
            token: CREDITS,
            amount: eth(1_900),
        })]
    );
    assert_eq!(receipt.unwrap(), eth(1_900));
    assert_eq!(suite.chain.balance(BOB), U256::ZERO);
}

#[test]
fn token_release_transfers_to_the_payee() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::Standard);
    suite.allow(token);
    suite.fund_and_approve(token, eth(3_000));
    suite.pay(&thirds(), token, eth(3_000), U256::ZERO).unwrap();
    let receipt = suite.release(STRANGER, token, &thirds(), ALICE);
    assert_eq!(
        receipt.logs,
        [
            suite.log(PaymentReleased {
                payee: ALICE,
                splitHash: hash(&thirds()),
                token,
                amount: eth(950),
            }),
            Log::of(
                token,
                &token::Transfer {
                    from: suite.splits,
                    to: ALICE,
                    value: eth(950)
                }
            ),
        ]
    );
    assert_eq!(suite.token_balance(token, ALICE), eth(950));
}

#[test]
fn a_payee_refusing_eth_reverts_the_release() {
    let suite = Suite::new();
    let silent = suite.chain.deploy_plain(receiver::REJECTS_SILENTLY);
    let loud = suite.chain.deploy_plain(receiver::REJECTS_WITH_REASON);
    let (first, second) = if silent < loud {
        (silent, loud)
    } else {
        (loud, silent)
    };
    let refusing = split(&[first, second], &[1, 1]);
    suite.pay_eth(&refusing, eth(200));
    assert_eq!(
        suite
            .release(STRANGER, Address::ZERO, &refusing, silent)
            .unwrap_revert(),
        error(FailedCall {})
    );
    assert_eq!(
        suite
            .release(STRANGER, Address::ZERO, &refusing, loud)
            .unwrap_revert(),
        error(receiver::NoEthAccepted {})
    );
    assert_eq!(
        suite.releasable(Address::ZERO, &refusing, silent),
        eth(95),
        "a failed release changes nothing"
    );
}

// ---------------------------------------------------------------------- protocol fees

#[test]
fn protocol_fees_are_paid_to_the_treasury() {
    let suite = Suite::new();
    suite.pay_eth(&thirds(), eth(10_000));
    let receipt = suite.send(
        STRANGER,
        &releaseProtocolFeesCall {
            token: Address::ZERO,
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(ProtocolFeesReleased {
            token: Address::ZERO,
            treasury: TREASURY,
            amount: eth(500),
        })]
    );
    assert_eq!(receipt.unwrap(), eth(500));
    assert_eq!(suite.chain.balance(TREASURY), eth(500));
    assert_eq!(
        suite
            .send(
                STRANGER,
                &releaseProtocolFeesCall {
                    token: Address::ZERO
                }
            )
            .unwrap_revert(),
        error(NothingToRelease {})
    );
}

#[test]
fn protocol_fees_in_credits_and_tokens() {
    let suite = Suite::new();
    suite
        .pay(&thirds(), CREDITS, eth(1_000), U256::ZERO)
        .unwrap();
    assert_eq!(
        suite
            .send(STRANGER, &releaseProtocolFeesCall { token: CREDITS })
            .unwrap(),
        eth(50)
    );
    let token = suite.chain.deploy_token(Mode::Standard);
    suite.allow(token);
    suite.fund_and_approve(token, eth(1_000));
    suite.pay(&thirds(), token, eth(1_000), U256::ZERO).unwrap();
    suite
        .send(STRANGER, &releaseProtocolFeesCall { token })
        .unwrap();
    assert_eq!(suite.token_balance(token, TREASURY), eth(50));
}

#[test]
fn fees_go_to_the_treasury_at_release_time() {
    let suite = Suite::new();
    suite.pay_eth(&thirds(), eth(10_000));
    let new_treasury = address!("0000000000000000000000000000000000007ea6");
    suite
        .send(
            ADMIN,
            &setProtocolFeeCall {
                bps: FEE_BPS,
                treasury: new_treasury,
            },
        )
        .unwrap();
    suite
        .send(
            STRANGER,
            &releaseProtocolFeesCall {
                token: Address::ZERO,
            },
        )
        .unwrap();
    assert_eq!(suite.chain.balance(new_treasury), eth(500));
}

#[test]
fn set_protocol_fee_is_admin_only_capped_and_applies_to_later_payments() {
    let suite = Suite::new();
    assert_eq!(
        suite
            .send(
                STRANGER,
                &setProtocolFeeCall {
                    bps: 0,
                    treasury: STRANGER
                }
            )
            .unwrap_revert(),
        unauthorized(STRANGER, DEFAULT_ADMIN_ROLE)
    );
    for (bps, treasury) in [(1001u16, TREASURY), (100, Address::ZERO)] {
        assert_eq!(
            suite
                .send(ADMIN, &setProtocolFeeCall { bps, treasury })
                .unwrap_revert(),
            error(InvalidProtocolFee { bps, treasury })
        );
    }
    let receipt = suite.send(
        ADMIN,
        &setProtocolFeeCall {
            bps: 1000,
            treasury: TREASURY,
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(ProtocolFeeSet {
            bps: 1000,
            treasury: TREASURY
        })]
    );
    suite.pay_eth(&thirds(), eth(1_000));
    assert_eq!(
        suite.view(&protocolFeesOwedCall {
            token: Address::ZERO
        }),
        eth(100)
    );
}

// ---------------------------------------------------------------------- allow-list

#[test]
fn set_token_allowed_is_admin_only_and_refuses_eth_and_credits() {
    let suite = Suite::new();
    let token = suite.chain.deploy_token(Mode::Standard);
    assert_eq!(
        suite
            .send(
                STRANGER,
                &setTokenAllowedCall {
                    token,
                    allowed: true
                }
            )
            .unwrap_revert(),
        unauthorized(STRANGER, DEFAULT_ADMIN_ROLE)
    );
    for invalid in [Address::ZERO, CREDITS] {
        assert_eq!(
            suite
                .send(
                    ADMIN,
                    &setTokenAllowedCall {
                        token: invalid,
                        allowed: true
                    }
                )
                .unwrap_revert(),
            error(InvalidToken { token: invalid })
        );
    }
    let receipt = suite.send(
        ADMIN,
        &setTokenAllowedCall {
            token,
            allowed: true,
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(TokenAllowed {
            token,
            allowed: true
        })]
    );
    assert!(suite.view(&isTokenAllowedCall { token }));
}

// ---------------------------------------------------------------------- overflow

#[test]
fn overflow_reverts_with_solidity_panic() {
    let suite = Suite::new();
    // amount × fee bps overflows before the fee is taken.
    let receipt = suite.pay(&thirds(), CREDITS, U256::MAX, U256::ZERO);
    assert_eq!(receipt.unwrap_revert(), panic_data(0x11));
    // Without a fee, the split's total overflows on the second payment.
    suite.set_fee(0);
    suite
        .pay(&thirds(), CREDITS, U256::MAX, U256::ZERO)
        .unwrap();
    let receipt = suite.pay(&thirds(), CREDITS, eth(1), U256::ZERO);
    assert_eq!(receipt.unwrap_revert(), panic_data(0x11));
    // received × share overflows in the entitlement, as Solidity's checked product does.
    assert_eq!(
        suite.release(BOB, CREDITS, &thirds(), BOB).unwrap_revert(),
        panic_data(0x11)
    );
}

// ---------------------------------------------------------------------- AccessControl

#[test]
fn roles_are_granted_revoked_and_renounced_as_openzeppelin_does() {
    let suite = Suite::new();
    let role = B256::repeat_byte(0x42);
    assert_eq!(suite.view(&DEFAULT_ADMIN_ROLECall {}), DEFAULT_ADMIN_ROLE);
    assert_eq!(suite.view(&getRoleAdminCall { role }), DEFAULT_ADMIN_ROLE);
    assert_eq!(
        suite
            .send(
                STRANGER,
                &grantRoleCall {
                    role,
                    account: STRANGER
                }
            )
            .unwrap_revert(),
        unauthorized(STRANGER, DEFAULT_ADMIN_ROLE)
    );
    let receipt = suite.send(ADMIN, &grantRoleCall { role, account: BOB });
    assert_eq!(
        receipt.logs,
        [suite.log(RoleGranted {
            role,
            account: BOB,
            sender: ADMIN
        })]
    );
    assert!(suite.view(&hasRoleCall { role, account: BOB }));
    let again = suite.send(ADMIN, &grantRoleCall { role, account: BOB });
    assert!(again.logs.is_empty(), "granting a held role emits nothing");
    assert_eq!(
        suite
            .send(BOB, &revokeRoleCall { role, account: BOB })
            .unwrap_revert(),
        unauthorized(BOB, DEFAULT_ADMIN_ROLE)
    );
    assert_eq!(
        suite
            .send(
                BOB,
                &renounceRoleCall {
                    role,
                    callerConfirmation: ALICE
                }
            )
            .unwrap_revert(),
        error(AccessControlBadConfirmation {})
    );
    let receipt = suite.send(
        BOB,
        &renounceRoleCall {
            role,
            callerConfirmation: BOB,
        },
    );
    assert_eq!(
        receipt.logs,
        [suite.log(RoleRevoked {
            role,
            account: BOB,
            sender: BOB
        })]
    );
    suite
        .send(ADMIN, &grantRoleCall { role, account: BOB })
        .unwrap();
    let receipt = suite.send(ADMIN, &revokeRoleCall { role, account: BOB });
    assert_eq!(
        receipt.logs,
        [suite.log(RoleRevoked {
            role,
            account: BOB,
            sender: ADMIN
        })]
    );
    assert!(!suite.view(&hasRoleCall { role, account: BOB }));
}

#[test]
fn a_revoked_suite_contract_can_no_longer_pay_in() {
    let suite = Suite::new();
    suite
        .send(
            ADMIN,
            &revokeRoleCall {
                role: SUITE_ROLE,
                account: LICENCES,
            },
        )
        .unwrap();
    assert_eq!(
        suite
            .pay(&thirds(), CREDITS, eth(1), U256::ZERO)
            .unwrap_revert(),
        unauthorized(LICENCES, SUITE_ROLE)
    );
}
