//! The streams contract, run through its ABI router (and its fallback's dispatcher) on the
//! native test chain beside the real registry, splits, credits and licences contracts and the
//! test chain's **model** of Superfluid (`tributary_stylus_testchain::superfluid`: a GDA
//! forwarder, pools and a Super Token; the real framework is tested by the Solidity build in
//! `test/streams/`). Calls, return values, events and errors are encoded from
//! `abi/ITributaryStreams.json` and `abi/ITributary.json` (the Solidity build's ABI), so a
//! selector, an encoding or a field's `indexed` that differs from the Solidity build fails here.

use alloy_primitives::aliases::I96;
use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolValue};
use tributary_stylus_common::{CREDITS, SUITE_ROLE};
use tributary_stylus_testchain::superfluid::{
    self, distributeFlowCall, getTotalUnitsCall, getUnitsCall, mintCall,
    setTransferReturnsFalseCall,
};
use tributary_stylus_testchain::{Chain, Log, Receipt};

/// The suite's ABI.
mod suite_abi {
    alloy_sol_types::sol!(
        #[allow(missing_docs)]
        #[sol(all_derives)]
        ITributary,
        "../../abi/ITributary.json"
    );
    alloy_sol_types::sol!(
        #[allow(missing_docs)]
        #[sol(all_derives)]
        TributaryInherited,
        "../../abi/TributaryInherited.json"
    );
}

/// `ITributaryStreams`' ABI.
mod streams_abi {
    alloy_sol_types::sol!(
        #[allow(missing_docs)]
        #[sol(all_derives)]
        ITributaryStreams,
        "../../abi/ITributaryStreams.json"
    );
}

use streams_abi::ITributaryStreams::{
    flowRateCall, gdaForwarderCall, isLicensedCall, isSubscribedCall, membersCall, poolOfCall,
    poolTokensCall, requiredFlowRateCall, subscriptionTermsCall, subscriptionTokensCall, sweepCall,
    syncCall, syncedTermsHashCall, tributaryCall, DustSwept, InvalidSubscriptionOffer,
    MemberUnitsUpdated, PoolCreated, SubscriptionSynced, TermsMismatch, TermsSynced,
    UnknownDataset,
};
use suite_abi::ITributary::{
    datasetCall, purchaseCall, registerCall, setProtocolFeeCall, setStatusCall, setTermsCall,
    setTokenAllowedCall,
};
use suite_abi::ITributaryTypes::{Offer, Split, Terms};

const DEPLOYER: Address = address!("00000000000000000000000000000000000d3910");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const TREASURY: Address = address!("0000000000000000000000000000000000007ea5");
const NEW_TREASURY: Address = address!("0000000000000000000000000000000000007ea6");
const CREATOR: Address = address!("000000000000000000000000000000000000c0de");
const BUYER: Address = address!("00000000000000000000000000000000000b0b0b");
const OTHER: Address = address!("0000000000000000000000000000000000005700");
/// Payees, strictly ascending.
const ALICE: Address = address!("0000000000000000000000000000000000a11ce0");
const BOB: Address = address!("0000000000000000000000000000000000b0b000");
const CAROL: Address = address!("0000000000000000000000000000000000ca7010");

const FEE_BPS: u16 = 250;
const ONE_OFF: u8 = 0;
const SUBSCRIPTION: u8 = 2;
const PAUSED: u8 = 2;
const RETIRED: u8 = 3;
const ACTIVE: u8 = 1;
/// 1e15 wei/s: 86.4 tokens a day.
const RATE: u128 = 1_000_000_000_000_000;
const INT96_MAX: u128 = (1 << 95) - 1;

fn streams_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    stylus_sdk::abi::router_entrypoint::<crate::Streams, crate::Streams>(input, vm)
}

fn registry_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use tributary_stylus_registry::Registry;
    stylus_sdk::abi::router_entrypoint::<Registry, Registry>(input, vm)
}

fn splits_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use tributary_stylus_splits::Splits;
    stylus_sdk::abi::router_entrypoint::<Splits, Splits>(input, vm)
}

fn credits_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use tributary_stylus_credits::Credits;
    stylus_sdk::abi::router_entrypoint::<Credits, Credits>(input, vm)
}

fn licences_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use tributary_stylus_licences::Licences;
    stylus_sdk::abi::router_entrypoint::<Licences, Licences>(input, vm)
}

fn n(value: u128) -> U256 {
    U256::from(value)
}

fn i96(value: u128) -> I96 {
    I96::try_from(value as i128).unwrap()
}

fn subscription(token: Address, rate: u128) -> Offer {
    Offer {
        kind: SUBSCRIPTION,
        paymentToken: token,
        price: rate,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: B256::repeat_byte(0x5b),
    }
}

fn one_off_eth(price: u128) -> Offer {
    Offer {
        kind: ONE_OFF,
        paymentToken: Address::ZERO,
        price,
        duration: 0,
        transferable: true,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: B256::repeat_byte(0x01),
    }
}

fn split(payees: &[Address], shares: &[u32]) -> Split {
    Split {
        payees: payees.to_vec(),
        shares: shares.to_vec(),
    }
}

/// Alice 60, Bob 40: with the 2.5 % fee, units 117 / 78 / 5 (docs/streaming.md).
fn sixty_forty() -> Split {
    split(&[ALICE, BOB], &[60, 40])
}

fn split_hash(split: &Split) -> B256 {
    keccak256((split.payees.clone(), split.shares.clone()).abi_encode_params())
}

/// The suite, the Superfluid model, two Super Tokens and the streams contract.
struct Suite {
    chain: Chain,
    registry: Address,
    splits: Address,
    licences: Address,
    gda: Address,
    streams: Address,
    stx: Address,
    sty: Address,
}

impl Suite {
    fn new() -> Self {
        let chain = Chain::new();
        let deploy =
            |entrypoint, args: Vec<u8>| chain.deploy(entrypoint, DEPLOYER, Some(args)).unwrap();
        let splits = deploy(
            splits_entrypoint,
            (ADMIN, TREASURY, FEE_BPS).abi_encode_params(),
        );
        let registry = deploy(registry_entrypoint, (splits,).abi_encode_params());
        let credits = deploy(credits_entrypoint, (ADMIN,).abi_encode_params());
        let licences = deploy(
            licences_entrypoint,
            (ADMIN, registry, splits, credits).abi_encode_params(),
        );
        for contract in [splits, credits] {
            chain
                .send(
                    ADMIN,
                    contract,
                    U256::ZERO,
                    &suite_abi::TributaryInherited::grantRoleCall {
                        role: SUITE_ROLE,
                        account: licences,
                    },
                )
                .unwrap();
        }
        let gda = chain.deploy_gda();
        let stx = chain.deploy_super_token(gda);
        let sty = chain.deploy_super_token(gda);
        for token in [stx, sty] {
            chain
                .send(
                    ADMIN,
                    splits,
                    U256::ZERO,
                    &setTokenAllowedCall {
                        token,
                        allowed: true,
                    },
                )
                .unwrap();
        }
        let streams = deploy(
            streams_entrypoint,
            (registry, splits, licences, gda).abi_encode_params(),
        );
        for account in [BUYER, OTHER, CREATOR] {
            chain.set_balance(account, n(1_000_000_000_000_000_000));
        }
        Self {
            chain,
            registry,
            splits,
            licences,
            gda,
            streams,
            stx,
            sty,
        }
    }

    /// Registers a dataset by `CREATOR`; returns its id.
    fn register(&self, split: &Split, offers: &[Offer]) -> U256 {
        self.chain
            .send(
                CREATOR,
                self.registry,
                U256::ZERO,
                &registerCall {
                    manifestHash: B256::repeat_byte(0x3f),
                    uri: "ipfs://manifest".into(),
                    split: split.clone(),
                    offers: offers.to_vec(),
                },
            )
            .unwrap()
    }

    fn set_terms(&self, id: U256, split: &Split, offers: &[Offer]) {
        self.chain
            .send(
                CREATOR,
                self.registry,
                U256::ZERO,
                &setTermsCall {
                    datasetId: id,
                    split: split.clone(),
                    offers: offers.to_vec(),
                },
            )
            .unwrap();
    }

    fn set_status(&self, id: U256, status: u8) {
        self.chain
            .send(
                CREATOR,
                self.registry,
                U256::ZERO,
                &setStatusCall {
                    datasetId: id,
                    status,
                },
            )
            .unwrap();
    }

    fn set_fee(&self, bps: u16, treasury: Address) {
        self.chain
            .send(
                ADMIN,
                self.splits,
                U256::ZERO,
                &setProtocolFeeCall { bps, treasury },
            )
            .unwrap();
    }

    fn terms_hash(&self, id: U256) -> B256 {
        self.chain
            .view(self.registry, &datasetCall { datasetId: id })
            .termsHash
    }

    fn sync(&self, id: U256, split: &Split, offers: &[Offer]) -> Receipt<()> {
        let call = syncCall {
            datasetId: id,
            split: streams_abi::ITributaryTypes::Split {
                payees: split.payees.clone(),
                shares: split.shares.clone(),
            },
            offers: offers
                .iter()
                .map(|o| streams_abi::ITributaryTypes::Offer {
                    kind: o.kind,
                    paymentToken: o.paymentToken,
                    price: o.price,
                    duration: o.duration,
                    transferable: o.transferable,
                    royaltyBps: o.royaltyBps,
                    supplyCap: o.supplyCap,
                    termsHash: o.termsHash,
                })
                .collect(),
        };
        let receipt = self.chain.send(OTHER, self.streams, U256::ZERO, &call);
        Receipt {
            result: receipt.result.map(|_| ()),
            logs: receipt.logs,
        }
    }

    fn view<C: SolCall>(&self, call: &C) -> C::Return {
        self.chain.view(self.streams, call)
    }

    fn pool(&self, id: U256, token: Address) -> Address {
        self.view(&poolOfCall {
            datasetId: id,
            token,
        })
    }

    fn members(&self, id: U256) -> (Vec<Address>, Vec<u128>) {
        let members = self.view(&membersCall { datasetId: id });
        (members.accounts, members.units)
    }

    fn units(&self, pool: Address, member: Address) -> u128 {
        self.chain.view(pool, &getUnitsCall { member })
    }

    fn total_units(&self, pool: Address) -> u128 {
        self.chain.view(pool, &getTotalUnitsCall {})
    }

    fn log<E: alloy_sol_types::SolEvent>(&self, event: E) -> Log {
        Log::of(self.streams, &event)
    }

    fn units_log(&self, id: U256, token: Address, member: Address, units: u128) -> Log {
        self.log(MemberUnitsUpdated {
            datasetId: id,
            token,
            member,
            pool: self.pool(id, token),
            units,
        })
    }

    fn synced_log(&self, id: U256, token: Address, minimum: u128) -> Log {
        self.log(SubscriptionSynced {
            datasetId: id,
            token,
            pool: self.pool(id, token),
            minFlowRate: i96(minimum),
        })
    }

    fn terms_log(&self, id: U256) -> Log {
        self.log(TermsSynced {
            datasetId: id,
            termsHash: self.terms_hash(id),
        })
    }

    fn mint(&self, token: Address, to: Address, amount: u128) {
        self.chain
            .send(
                OTHER,
                token,
                U256::ZERO,
                &mintCall {
                    to,
                    amount: n(amount),
                },
            )
            .unwrap();
    }

    /// `from` distributes `rate` to the dataset's pool of `token` through the forwarder.
    fn distribute(&self, from: Address, id: U256, token: Address, rate: u128) -> Receipt<bool> {
        self.chain.send(
            from,
            self.gda,
            U256::ZERO,
            &distributeFlowCall {
                token,
                from,
                pool: self.pool(id, token),
                requestedFlowRate: i96(rate),
                userData: Default::default(),
            },
        )
    }

    fn flow_rate(&self, account: Address, id: U256, token: Address) -> i128 {
        let rate: I96 = self.view(&flowRateCall {
            account,
            datasetId: id,
            token,
        });
        i128::try_from(rate).unwrap()
    }

    fn required(&self, id: U256, token: Address) -> i128 {
        let rate: I96 = self.view(&requiredFlowRateCall {
            datasetId: id,
            token,
        });
        i128::try_from(rate).unwrap()
    }

    fn subscribed(&self, account: Address, id: U256) -> bool {
        self.view(&isSubscribedCall {
            account,
            datasetId: id,
        })
    }

    fn licensed(&self, account: Address, id: U256) -> bool {
        self.view(&isLicensedCall {
            account,
            datasetId: id,
        })
    }
}

/// The tests' dataset: ETH one-off, STX at 2e15 then at 1e15 (the lowest applies), STY at 5e14.
fn standard_offers(suite: &Suite) -> Vec<Offer> {
    vec![
        one_off_eth(1000),
        subscription(suite.stx, 2 * RATE),
        subscription(suite.stx, RATE),
        subscription(suite.sty, RATE / 2),
    ]
}

/// A suite with the standard dataset registered and synced once.
fn synced() -> (Suite, U256, Vec<Offer>) {
    let suite = Suite::new();
    let offers = standard_offers(&suite);
    let id = suite.register(&sixty_forty(), &offers);
    suite.sync(id, &sixty_forty(), &offers).unwrap();
    (suite, id, offers)
}

#[test]
fn the_constructor_needs_four_contracts() {
    let suite = Suite::new();
    let good = [suite.registry, suite.splits, suite.licences, suite.gda];
    for i in 0..4 {
        let mut args = good;
        args[i] = OTHER; // an account without code
        let deployed = suite.chain.deploy(
            streams_entrypoint,
            DEPLOYER,
            Some((args[0], args[1], args[2], args[3]).abi_encode_params()),
        );
        assert_eq!(deployed.unwrap_err(), Vec::<u8>::new(), "argument {i}");
    }
    assert_eq!(suite.view(&tributaryCall {}), suite.registry);
    assert_eq!(suite.view(&gdaForwarderCall {}), suite.gda);
}

#[test]
fn sync_of_an_unknown_dataset_reverts() {
    let suite = Suite::new();
    let offers = standard_offers(&suite);
    let id = suite.register(&sixty_forty(), &offers);
    for unknown in [U256::ZERO, id + n(1)] {
        let data = suite.sync(unknown, &sixty_forty(), &offers).unwrap_revert();
        assert_eq!(data, UnknownDataset { datasetId: unknown }.abi_encode());
    }
    // The dataset is checked before the split's and offers' words are (Solidity's order): a
    // dirty payee word gives `UnknownDataset` for an unknown dataset, an empty revert else.
    let mut call = syncCall {
        datasetId: id + n(1),
        split: streams_abi::ITributaryTypes::Split {
            payees: vec![ALICE, BOB],
            shares: vec![60, 40],
        },
        offers: vec![],
    }
    .abi_encode();
    // selector, id, split offset, offers offset, split: two offsets, payees length, alice.
    let alice_at = 4 + 32 * 6;
    assert_eq!(&call[alice_at + 12..alice_at + 32], ALICE.as_slice());
    call[alice_at] = 1;
    let receipt = suite
        .chain
        .call_raw(OTHER, suite.streams, U256::ZERO, call.clone());
    assert_eq!(
        receipt.result.unwrap_err(),
        UnknownDataset {
            datasetId: id + n(1)
        }
        .abi_encode()
    );
    call[4..36].copy_from_slice(&id.to_be_bytes::<32>());
    let receipt = suite.chain.call_raw(OTHER, suite.streams, U256::ZERO, call);
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
}

#[test]
fn sync_with_other_terms_reverts() {
    let suite = Suite::new();
    let offers = standard_offers(&suite);
    let id = suite.register(&sixty_forty(), &offers);
    let mismatch = TermsMismatch { datasetId: id }.abi_encode();
    let other_split = split(&[ALICE, BOB], &[60, 41]);
    assert_eq!(
        suite.sync(id, &other_split, &offers).unwrap_revert(),
        mismatch
    );
    assert_eq!(
        suite.sync(id, &sixty_forty(), &offers[..3]).unwrap_revert(),
        mismatch
    );
    let mut changed = offers.clone();
    changed[2].price += 1;
    assert_eq!(
        suite.sync(id, &sixty_forty(), &changed).unwrap_revert(),
        mismatch
    );
    assert_eq!(
        suite.view(&syncedTermsHashCall { datasetId: id }),
        B256::ZERO,
        "never synced"
    );
}

#[test]
fn unstreamable_subscription_offers_revert_with_their_index() {
    let suite = Suite::new();
    let cases = [
        (Address::ZERO, RATE, "ETH"),
        (CREDITS, RATE, "credits"),
        (suite.stx, 0, "a zero rate"),
        (suite.stx, INT96_MAX + 1, "a rate above int96"),
        (suite.stx, u128::MAX, "the largest price"),
    ];
    for (token, rate, what) in cases {
        let offers = vec![
            one_off_eth(5),
            subscription(suite.sty, RATE),
            subscription(token, rate),
        ];
        let id = suite.register(&sixty_forty(), &offers);
        let data = suite.sync(id, &sixty_forty(), &offers).unwrap_revert();
        assert_eq!(
            data,
            InvalidSubscriptionOffer { index: n(2) }.abi_encode(),
            "{what}"
        );
        // Undone with the revert: the pool created for the offer before it.
        assert_eq!(suite.pool(id, suite.sty), Address::ZERO, "{what}");
    }
    // The int96 maximum itself is a valid rate.
    let offers = vec![subscription(suite.stx, INT96_MAX)];
    let id = suite.register(&sixty_forty(), &offers);
    suite.sync(id, &sixty_forty(), &offers).unwrap();
    assert_eq!(suite.required(id, suite.stx), INT96_MAX as i128, "capped");
}

#[test]
fn the_first_sync_creates_pools_and_mirrors_the_split() {
    let suite = Suite::new();
    let offers = standard_offers(&suite);
    let id = suite.register(&sixty_forty(), &offers);
    let receipt = suite.sync(id, &sixty_forty(), &offers);
    receipt.result.clone().unwrap();
    let (stx_pool, sty_pool) = (suite.pool(id, suite.stx), suite.pool(id, suite.sty));
    assert_ne!(stx_pool, Address::ZERO);
    assert_ne!(sty_pool, Address::ZERO);
    assert_ne!(stx_pool, sty_pool);
    let mut expected = vec![
        suite.log(PoolCreated {
            datasetId: id,
            token: suite.stx,
            pool: stx_pool,
        }),
        suite.log(PoolCreated {
            datasetId: id,
            token: suite.sty,
            pool: sty_pool,
        }),
        suite.synced_log(id, suite.stx, RATE),
        suite.synced_log(id, suite.sty, RATE / 2),
    ];
    for token in [suite.stx, suite.sty] {
        for (member, units) in [(ALICE, 117), (BOB, 78), (TREASURY, 5)] {
            expected.push(suite.units_log(id, token, member, units));
        }
    }
    expected.push(suite.terms_log(id));
    assert_eq!(receipt.logs, expected);

    // The pools: this contract is their admin; units 117 / 78 / 5, 200 in all.
    for pool in [stx_pool, sty_pool] {
        let admin = suite
            .chain
            .view(pool, &superfluid::ISuperfluidPool::adminCall {});
        assert_eq!(admin, suite.streams);
        assert!(suite.chain.view(
            pool,
            &superfluid::ISuperfluidPool::distributionFromAnyAddressCall {}
        ));
        assert!(!suite.chain.view(
            pool,
            &superfluid::ISuperfluidPool::transferabilityForUnitsOwnerCall {}
        ));
        assert_eq!(suite.total_units(pool), 200);
        assert_eq!(suite.units(pool, ALICE), 117);
        assert_eq!(suite.units(pool, BOB), 78);
        assert_eq!(suite.units(pool, TREASURY), 5);
    }
    // Views.
    assert_eq!(
        suite.members(id),
        (vec![ALICE, BOB, TREASURY], vec![117, 78, 5])
    );
    assert_eq!(
        suite.view(&subscriptionTokensCall { datasetId: id }),
        vec![suite.stx, suite.sty]
    );
    assert_eq!(
        suite.view(&poolTokensCall { datasetId: id }),
        vec![suite.stx, suite.sty]
    );
    let terms = suite.view(&subscriptionTermsCall {
        datasetId: id,
        token: suite.stx,
    });
    assert_eq!((terms.pool, terms.minFlowRate), (stx_pool, i96(RATE)));
    assert_eq!(suite.required(id, suite.stx), (RATE + 199) as i128);
    assert_eq!(suite.required(id, suite.sty), (RATE / 2 + 199) as i128);
    assert_eq!(
        suite.view(&syncedTermsHashCall { datasetId: id }),
        suite.terms_hash(id)
    );
    // A token the dataset does not offer: nothing.
    assert_eq!(suite.pool(id, OTHER), Address::ZERO);
    assert_eq!(suite.required(id, OTHER), 0);
    assert_eq!(suite.flow_rate(BUYER, id, OTHER), 0);
    let terms = suite.view(&subscriptionTermsCall {
        datasetId: id,
        token: OTHER,
    });
    assert_eq!((terms.pool, terms.minFlowRate), (Address::ZERO, i96(0)));
}

#[test]
fn the_lowest_rate_of_a_token_applies_in_any_order() {
    let suite = Suite::new();
    let offers = vec![
        subscription(suite.stx, RATE),
        subscription(suite.stx, 3 * RATE),
        subscription(suite.stx, 2 * RATE),
    ];
    let id = suite.register(&sixty_forty(), &offers);
    suite.sync(id, &sixty_forty(), &offers).unwrap();
    let terms = suite.view(&subscriptionTermsCall {
        datasetId: id,
        token: suite.stx,
    });
    assert_eq!(terms.minFlowRate, i96(RATE));
    assert_eq!(
        suite.view(&subscriptionTokensCall { datasetId: id }),
        vec![suite.stx],
        "listed once"
    );
}

#[test]
fn a_second_sync_changes_nothing_and_pools_are_per_dataset() {
    let (suite, id, offers) = synced();
    let pools = (suite.pool(id, suite.stx), suite.pool(id, suite.sty));
    let receipt = suite.sync(id, &sixty_forty(), &offers);
    receipt.result.clone().unwrap();
    assert_eq!(
        receipt.logs,
        vec![
            suite.synced_log(id, suite.stx, RATE),
            suite.synced_log(id, suite.sty, RATE / 2),
            suite.terms_log(id),
        ]
    );
    assert_eq!(
        pools,
        (suite.pool(id, suite.stx), suite.pool(id, suite.sty))
    );
    // Another dataset with the same token gets a pool of its own.
    let other = suite.register(&sixty_forty(), &offers);
    let receipt = suite.sync(other, &sixty_forty(), &offers);
    let other_pool = suite.pool(other, suite.stx);
    assert_eq!(
        receipt.logs[0],
        suite.log(PoolCreated {
            datasetId: other,
            token: suite.stx,
            pool: other_pool,
        })
    );
    assert_ne!(other_pool, pools.0);
}

#[test]
fn payees_dropped_from_the_split_go_to_zero() {
    let (suite, id, offers) = synced();
    // Alice 3, Carol 4 (docs/streaming.md): 29,250 / 39,000 / 1,750 over 250: 117 / 156 / 7.
    let new_split = split(&[ALICE, CAROL], &[3, 4]);
    suite.set_terms(id, &new_split, &offers);
    let receipt = suite.sync(id, &new_split, &offers);
    receipt.result.clone().unwrap();
    let mut expected = vec![
        suite.synced_log(id, suite.stx, RATE),
        suite.synced_log(id, suite.sty, RATE / 2),
    ];
    for token in [suite.stx, suite.sty] {
        // Bob leaves; Alice's 117 is unchanged, so not touched.
        expected.push(suite.units_log(id, token, BOB, 0));
        expected.push(suite.units_log(id, token, CAROL, 156));
        expected.push(suite.units_log(id, token, TREASURY, 7));
    }
    expected.push(suite.terms_log(id));
    assert_eq!(receipt.logs, expected);
    assert_eq!(
        suite.members(id),
        (vec![ALICE, CAROL, TREASURY], vec![117, 156, 7])
    );
    let pool = suite.pool(id, suite.stx);
    assert_eq!(suite.total_units(pool), 280);
    assert_eq!(suite.units(pool, BOB), 0);
    assert_eq!(suite.required(id, suite.stx), (RATE + 279) as i128);
}

#[test]
fn the_treasury_as_a_payee_holds_the_fee_units_too() {
    let suite = Suite::new();
    let offers = vec![subscription(suite.stx, RATE)];
    // Treasury 1, Alice 1: 9,750 + 500 and 9,750, over 250: 41 and 39; no member appended.
    let with_treasury = split(&[TREASURY, ALICE], &[1, 1]);
    let id = suite.register(&with_treasury, &offers);
    let receipt = suite.sync(id, &with_treasury, &offers);
    let pool = suite.pool(id, suite.stx);
    assert_eq!(
        receipt.logs,
        vec![
            suite.log(PoolCreated {
                datasetId: id,
                token: suite.stx,
                pool,
            }),
            suite.synced_log(id, suite.stx, RATE),
            suite.units_log(id, suite.stx, TREASURY, 41),
            suite.units_log(id, suite.stx, ALICE, 39),
            suite.terms_log(id),
        ]
    );
    assert_eq!(suite.members(id), (vec![TREASURY, ALICE], vec![41, 39]));
    // Back to a split without the treasury: it stays a member, as the fee's: 9,750 / 9,750 /
    // 2 × 250 over 250: 39 / 39 / 2.
    let without = split(&[ALICE, BOB], &[1, 1]);
    suite.set_terms(id, &without, &offers);
    let receipt = suite.sync(id, &without, &offers);
    assert_eq!(
        receipt.logs,
        vec![
            suite.synced_log(id, suite.stx, RATE),
            suite.units_log(id, suite.stx, BOB, 39),
            suite.units_log(id, suite.stx, TREASURY, 2),
            suite.terms_log(id),
        ]
    );
    assert_eq!(
        suite.members(id),
        (vec![ALICE, BOB, TREASURY], vec![39, 39, 2])
    );
}

#[test]
fn a_fee_or_treasury_change_moves_the_fee_member() {
    let (suite, id, offers) = synced();
    // No fee: the treasury leaves; Alice 60 × 10,000 and Bob 40 × 10,000 over 200,000: 3 and 2.
    suite.set_fee(0, TREASURY);
    let receipt = suite.sync(id, &sixty_forty(), &offers);
    let mut expected = vec![
        suite.synced_log(id, suite.stx, RATE),
        suite.synced_log(id, suite.sty, RATE / 2),
    ];
    for token in [suite.stx, suite.sty] {
        expected.push(suite.units_log(id, token, TREASURY, 0));
        expected.push(suite.units_log(id, token, ALICE, 3));
        expected.push(suite.units_log(id, token, BOB, 2));
    }
    expected.push(suite.terms_log(id));
    assert_eq!(receipt.logs, expected);
    assert_eq!(suite.members(id), (vec![ALICE, BOB], vec![3, 2]));
    assert_eq!(suite.required(id, suite.stx), (RATE + 4) as i128);

    // The fee back, to another treasury: it is appended, the old one stays at zero.
    suite.set_fee(FEE_BPS, NEW_TREASURY);
    let receipt = suite.sync(id, &sixty_forty(), &offers);
    let mut expected = vec![
        suite.synced_log(id, suite.stx, RATE),
        suite.synced_log(id, suite.sty, RATE / 2),
    ];
    for token in [suite.stx, suite.sty] {
        expected.push(suite.units_log(id, token, ALICE, 117));
        expected.push(suite.units_log(id, token, BOB, 78));
        expected.push(suite.units_log(id, token, NEW_TREASURY, 5));
    }
    expected.push(suite.terms_log(id));
    assert_eq!(receipt.logs, expected);

    // Another treasury again: the previous one (appended, not a payee) goes to zero.
    suite.set_fee(FEE_BPS, TREASURY);
    let receipt = suite.sync(id, &sixty_forty(), &offers);
    let mut expected = vec![
        suite.synced_log(id, suite.stx, RATE),
        suite.synced_log(id, suite.sty, RATE / 2),
    ];
    for token in [suite.stx, suite.sty] {
        expected.push(suite.units_log(id, token, NEW_TREASURY, 0));
        expected.push(suite.units_log(id, token, TREASURY, 5));
    }
    expected.push(suite.terms_log(id));
    assert_eq!(receipt.logs, expected);
    assert_eq!(
        suite.members(id),
        (vec![ALICE, BOB, TREASURY], vec![117, 78, 5])
    );
}

#[test]
fn a_token_no_longer_offered_is_recorded_at_zero_and_keeps_its_pool() {
    let (suite, id, _) = synced();
    let offers = vec![one_off_eth(1000), subscription(suite.sty, RATE / 2)];
    suite.set_terms(id, &sixty_forty(), &offers);
    let receipt = suite.sync(id, &sixty_forty(), &offers);
    assert_eq!(
        receipt.logs,
        vec![
            suite.synced_log(id, suite.stx, 0),
            suite.synced_log(id, suite.sty, RATE / 2),
            suite.terms_log(id),
        ]
    );
    assert_eq!(
        suite.view(&subscriptionTokensCall { datasetId: id }),
        vec![suite.sty]
    );
    assert_eq!(
        suite.view(&poolTokensCall { datasetId: id }),
        vec![suite.stx, suite.sty]
    );
    assert_eq!(suite.required(id, suite.stx), 0);
    let pool = suite.pool(id, suite.stx);
    assert_ne!(pool, Address::ZERO);
    assert_eq!(suite.total_units(pool), 200, "still paying the split");
    // A stream of the token no longer offered does not subscribe.
    suite.mint(suite.stx, BUYER, 1_000 * RATE);
    suite.distribute(BUYER, id, suite.stx, 2 * RATE).unwrap();
    assert_eq!(suite.flow_rate(BUYER, id, suite.stx), (2 * RATE) as i128);
    assert!(!suite.subscribed(BUYER, id));
    // Offered again: the same pool, listed again.
    let offers = standard_offers(&suite);
    suite.set_terms(id, &sixty_forty(), &offers);
    let receipt = suite.sync(id, &sixty_forty(), &offers);
    assert_eq!(receipt.logs[0], suite.synced_log(id, suite.stx, RATE));
    assert_eq!(suite.pool(id, suite.stx), pool);
    assert!(suite.subscribed(BUYER, id));
}

#[test]
fn a_flow_at_the_minimum_subscribes_and_the_gda_rounds_it_down() {
    let suite = Suite::new();
    // A minimum that is not a multiple of the 200 units.
    let offers = vec![subscription(suite.stx, RATE + 1)];
    let id = suite.register(&sixty_forty(), &offers);
    suite.sync(id, &sixty_forty(), &offers).unwrap();
    suite.mint(suite.stx, BUYER, 1_000 * RATE);
    assert_eq!(suite.flow_rate(BUYER, id, suite.stx), 0);
    assert!(!suite.subscribed(BUYER, id));
    // Requesting the bare minimum is recorded at 1e15: below it.
    suite.distribute(BUYER, id, suite.stx, RATE + 1).unwrap();
    assert_eq!(suite.flow_rate(BUYER, id, suite.stx), RATE as i128);
    assert!(!suite.subscribed(BUYER, id));
    assert!(!suite.licensed(BUYER, id));
    // `requiredFlowRate` = minimum + 199 is recorded at 1e15 + 200: licensed.
    let required = suite.required(id, suite.stx);
    assert_eq!(required, (RATE + 200) as i128);
    suite
        .distribute(BUYER, id, suite.stx, required as u128)
        .unwrap();
    assert_eq!(suite.flow_rate(BUYER, id, suite.stx), (RATE + 200) as i128);
    assert!(suite.subscribed(BUYER, id));
    assert!(suite.licensed(BUYER, id));
    // Exactly at a minimum that is a multiple of the units: subscribed.
    let offers = vec![subscription(suite.stx, RATE)];
    let at = suite.register(&sixty_forty(), &offers);
    suite.sync(at, &sixty_forty(), &offers).unwrap();
    suite.distribute(BUYER, at, suite.stx, RATE).unwrap();
    assert_eq!(suite.flow_rate(BUYER, at, suite.stx), RATE as i128);
    assert!(suite.subscribed(BUYER, at));
    // One unit step below: not.
    suite.distribute(BUYER, at, suite.stx, RATE - 1).unwrap();
    assert_eq!(suite.flow_rate(BUYER, at, suite.stx), (RATE - 200) as i128);
    assert!(!suite.subscribed(BUYER, at));
    // Stopped: rate 0.
    suite.distribute(BUYER, at, suite.stx, 0).unwrap();
    assert_eq!(suite.flow_rate(BUYER, at, suite.stx), 0);
    assert!(!suite.subscribed(BUYER, at));
}

#[test]
fn any_offered_token_subscribes() {
    let (suite, id, _) = synced();
    suite.mint(suite.sty, BUYER, 1_000 * RATE);
    suite
        .distribute(BUYER, id, suite.sty, suite.required(id, suite.sty) as u128)
        .unwrap();
    assert!(suite.subscribed(BUYER, id));
    assert!(suite.licensed(BUYER, id));
    assert!(!suite.subscribed(OTHER, id));
}

#[test]
fn a_critical_account_is_not_subscribed() {
    let (suite, id, _) = synced();
    // 100 seconds of runway at 1e15 + 200 wei/s.
    let rate = RATE + 200;
    suite.mint(suite.stx, BUYER, 100 * rate);
    suite.distribute(BUYER, id, suite.stx, rate).unwrap();
    let start = suite.chain.timestamp();
    suite.chain.set_timestamp(start + 100);
    assert!(suite.subscribed(BUYER, id), "at zero balance");
    assert!(suite.licensed(BUYER, id));
    suite.chain.set_timestamp(start + 101);
    assert!(
        suite.chain.view(
            suite.stx,
            &superfluid::isAccountCriticalNowCall { account: BUYER }
        ),
        "the model says critical"
    );
    assert_eq!(
        suite.flow_rate(BUYER, id, suite.stx),
        rate as i128,
        "still flowing"
    );
    assert!(!suite.subscribed(BUYER, id));
    assert!(!suite.licensed(BUYER, id));
    // Topped up: subscribed again.
    suite.mint(suite.stx, BUYER, 1_000 * rate);
    assert!(suite.subscribed(BUYER, id));
}

#[test]
fn licence_tokens_license_whatever_the_status_and_streams_only_while_active() {
    let (suite, id, offers) = synced();
    // OTHER buys a licence token (offer 0, 1000 wei).
    let terms = Terms {
        splitHash: split_hash(&sixty_forty()),
        offers: offers.clone(),
    };
    suite
        .chain
        .send(
            OTHER,
            suite.licences,
            n(1000),
            &purchaseCall {
                datasetId: id,
                terms,
                offerIndex: n(0),
                recipient: OTHER,
            },
        )
        .unwrap();
    assert!(suite.licensed(OTHER, id));
    assert!(!suite.subscribed(OTHER, id));
    // BUYER streams.
    suite.mint(suite.stx, BUYER, 1_000 * RATE);
    suite
        .distribute(BUYER, id, suite.stx, suite.required(id, suite.stx) as u128)
        .unwrap();
    assert!(suite.licensed(BUYER, id));
    // Paused: the subscriber is subscribed but not licensed; the token holder still is.
    suite.set_status(id, PAUSED);
    assert!(suite.subscribed(BUYER, id));
    assert!(!suite.licensed(BUYER, id));
    assert!(suite.licensed(OTHER, id));
    suite.set_status(id, ACTIVE);
    assert!(suite.licensed(BUYER, id));
    suite.set_status(id, RETIRED);
    assert!(suite.subscribed(BUYER, id));
    assert!(!suite.licensed(BUYER, id));
    assert!(suite.licensed(OTHER, id));
    // An unknown dataset licenses no one.
    assert!(!suite.licensed(BUYER, id + n(1)));
    assert!(!suite.subscribed(BUYER, id + n(1)));
}

#[test]
fn sweep_sends_the_balance_to_the_treasury() {
    let (suite, _, _) = synced();
    // Nothing to sweep: 0, no event.
    let receipt = suite.chain.send(
        OTHER,
        suite.streams,
        U256::ZERO,
        &sweepCall { token: suite.stx },
    );
    assert_eq!(receipt.result, Ok(U256::ZERO));
    assert!(receipt.logs.is_empty());
    // Dust (the GDA's adjustment flow pays the pool admin; minted here).
    suite.mint(suite.stx, suite.streams, 160);
    let receipt = suite.chain.send(
        OTHER,
        suite.streams,
        U256::ZERO,
        &sweepCall { token: suite.stx },
    );
    assert_eq!(receipt.result, Ok(n(160)));
    assert_eq!(
        receipt.logs,
        vec![
            Log::of(
                suite.stx,
                &superfluid::Transfer {
                    from: suite.streams,
                    to: TREASURY,
                    value: n(160),
                }
            ),
            suite.log(DustSwept {
                token: suite.stx,
                treasury: TREASURY,
                amount: n(160),
            }),
        ]
    );
    let balance = |account| {
        suite
            .chain
            .view(suite.stx, &superfluid::balanceOfCall { account })
    };
    assert_eq!(balance(TREASURY), n(160));
    assert_eq!(balance(suite.streams), U256::ZERO);
    // To the treasury in force now.
    suite.set_fee(FEE_BPS, NEW_TREASURY);
    suite.mint(suite.stx, suite.streams, 7);
    suite
        .chain
        .send(
            OTHER,
            suite.streams,
            U256::ZERO,
            &sweepCall { token: suite.stx },
        )
        .unwrap();
    assert_eq!(balance(NEW_TREASURY), n(7));
    // A token whose `transfer` returns false: `require` reverts empty, nothing moves.
    suite.mint(suite.stx, suite.streams, 9);
    suite
        .chain
        .send(
            OTHER,
            suite.stx,
            U256::ZERO,
            &setTransferReturnsFalseCall { returnsFalse: true },
        )
        .unwrap();
    let receipt = suite.chain.send(
        OTHER,
        suite.streams,
        U256::ZERO,
        &sweepCall { token: suite.stx },
    );
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
    assert_eq!(balance(suite.streams), n(9));
    // An account without code answers nothing: Solidity's decoder reverts empty.
    let receipt = suite.chain.send(
        OTHER,
        suite.streams,
        U256::ZERO,
        &sweepCall { token: OTHER },
    );
    assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
}

#[test]
fn pool_units_changes_revert_for_others_and_the_gda_refuses_distributing_for_others() {
    let (suite, id, _) = synced();
    let pool = suite.pool(id, suite.stx);
    // Only the admin (streams) sets units.
    let receipt = suite.chain.send(
        OTHER,
        pool,
        U256::ZERO,
        &superfluid::updateMemberUnitsCall {
            member: OTHER,
            newUnits: 1_000,
        },
    );
    assert_eq!(
        receipt.result.unwrap_err(),
        superfluid::SUPERFLUID_POOL_NOT_POOL_ADMIN_OR_GDA {}.abi_encode()
    );
    // No one distributes for another account.
    let receipt = suite.chain.send(
        OTHER,
        suite.gda,
        U256::ZERO,
        &distributeFlowCall {
            token: suite.stx,
            from: BUYER,
            pool,
            requestedFlowRate: i96(RATE),
            userData: Default::default(),
        },
    );
    assert_eq!(
        receipt.result.unwrap_err(),
        superfluid::GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED {}.abi_encode()
    );
}

#[test]
fn a_pool_as_a_payee_makes_sync_revert_with_the_gdas_error() {
    let (suite, id, _) = synced();
    let pool = suite.pool(id, suite.stx);
    let offers = vec![subscription(suite.stx, RATE)];
    let payees = if pool < ALICE {
        split(&[pool, ALICE], &[1, 1])
    } else {
        split(&[ALICE, pool], &[1, 1])
    };
    let other = suite.register(&payees, &offers);
    assert_eq!(
        suite.sync(other, &payees, &offers).unwrap_revert(),
        superfluid::SUPERFLUID_POOL_NO_POOL_MEMBERS {}.abi_encode()
    );
}

#[test]
fn malformed_calls_revert_empty() {
    let (suite, id, _) = synced();
    let empty = Vec::<u8>::new();
    let raw = |data: Vec<u8>, value: U256| {
        suite
            .chain
            .call_raw(OTHER, suite.streams, value, data)
            .result
            .unwrap_err()
    };
    // Value sent to a function that is not payable.
    let call = isSubscribedCall {
        account: BUYER,
        datasetId: id,
    }
    .abi_encode();
    assert_eq!(raw(call.clone(), n(1)), empty);
    assert_eq!(
        raw(sweepCall { token: suite.stx }.abi_encode(), n(1)),
        empty
    );
    // Unknown selector, short calldata, a dirty address, a truncated argument.
    assert_eq!(raw(vec![0xde, 0xad, 0xbe, 0xef], U256::ZERO), empty);
    assert_eq!(raw(vec![0x01], U256::ZERO), empty);
    let mut dirty = call.clone();
    dirty[4] = 1;
    assert_eq!(raw(dirty, U256::ZERO), empty);
    assert_eq!(raw(call[..call.len() - 1].to_vec(), U256::ZERO), empty);
    // `sync` with its offers' length past the calldata.
    let mut sync = syncCall {
        datasetId: id,
        split: streams_abi::ITributaryTypes::Split {
            payees: vec![ALICE, BOB],
            shares: vec![60, 40],
        },
        offers: vec![],
    }
    .abi_encode();
    let offers_at = 4 + usize::from_be_bytes(sync[4 + 64 + 24..4 + 96].try_into().unwrap());
    sync[offers_at + 31] = 1;
    assert_eq!(raw(sync, U256::ZERO), empty);
}

#[test]
fn errors_and_events_match_the_solidity_abi() {
    // The contract's own `sol!` declarations against the ABI JSON.
    assert_eq!(crate::UnknownDataset::SELECTOR, UnknownDataset::SELECTOR);
    assert_eq!(crate::TermsMismatch::SELECTOR, TermsMismatch::SELECTOR);
    assert_eq!(
        crate::InvalidSubscriptionOffer::SELECTOR,
        InvalidSubscriptionOffer::SELECTOR
    );
    use alloy_sol_types::SolEvent;
    assert_eq!(
        crate::PoolCreated::SIGNATURE_HASH,
        PoolCreated::SIGNATURE_HASH
    );
    assert_eq!(
        crate::SubscriptionSynced::SIGNATURE_HASH,
        SubscriptionSynced::SIGNATURE_HASH
    );
    assert_eq!(
        crate::MemberUnitsUpdated::SIGNATURE_HASH,
        MemberUnitsUpdated::SIGNATURE_HASH
    );
    assert_eq!(
        crate::TermsSynced::SIGNATURE_HASH,
        TermsSynced::SIGNATURE_HASH
    );
    assert_eq!(crate::DustSwept::SIGNATURE_HASH, DustSwept::SIGNATURE_HASH);
}

/// A contract that answers every call with the word `0x0202…02`: a dirty `bool`, `address`,
/// `uint128` and `int96`, too short for two return values.
fn dirty_answers(_input: Vec<u8>, _vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    Ok(vec![0x02; 32])
}

#[test]
fn return_data_is_checked_as_solidity_decodes_it() {
    let suite = Suite::new();
    let dirty = suite.chain.deploy_plain(dirty_answers);
    suite
        .chain
        .send(
            ADMIN,
            suite.splits,
            U256::ZERO,
            &setTokenAllowedCall {
                token: dirty,
                allowed: true,
            },
        )
        .unwrap();
    // A "Super Token" answering dirty words: the model's pool and flow work (it records
    // whatever the token says), then `isAccountCriticalNow`'s dirty `bool` reverts empty.
    let offers = vec![subscription(dirty, RATE)];
    let id = suite.register(&sixty_forty(), &offers);
    suite.sync(id, &sixty_forty(), &offers).unwrap();
    suite.distribute(BUYER, id, dirty, RATE).unwrap();
    let empty = Vec::<u8>::new();
    let subscribed = suite.chain.try_view(
        suite.streams,
        &isSubscribedCall {
            account: BUYER,
            datasetId: id,
        },
    );
    assert_eq!(subscribed.result.unwrap_err(), empty);
    // `sweep`: a balance (any word is a `uint256`), then `transfer`'s dirty `bool`.
    let receipt = suite.chain.send(
        OTHER,
        suite.streams,
        U256::ZERO,
        &sweepCall { token: dirty },
    );
    assert_eq!(receipt.result.unwrap_err(), empty);
    // A "forwarder" answering one dirty word to `createPool` (two values expected).
    let streams = suite
        .chain
        .deploy(
            streams_entrypoint,
            DEPLOYER,
            Some((suite.registry, suite.splits, suite.licences, dirty).abi_encode_params()),
        )
        .unwrap();
    let offers = vec![subscription(suite.stx, RATE)];
    let id = suite.register(&sixty_forty(), &offers);
    let call = syncCall {
        datasetId: id,
        split: streams_abi::ITributaryTypes::Split {
            payees: vec![ALICE, BOB],
            shares: vec![60, 40],
        },
        offers: vec![streams_abi::ITributaryTypes::Offer {
            kind: SUBSCRIPTION,
            paymentToken: suite.stx,
            price: RATE,
            duration: 0,
            transferable: false,
            royaltyBps: 0,
            supplyCap: 0,
            termsHash: B256::repeat_byte(0x5b),
        }],
    };
    let receipt = suite.chain.send(OTHER, streams, U256::ZERO, &call);
    assert_eq!(receipt.result.map(|_| ()).unwrap_err(), empty);
}
