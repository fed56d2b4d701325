//! The licences contract, run through its ABI router (and its fallback's dispatcher) on the
//! native test chain (`tributary-stylus-testchain`) beside the real registry, splits and credits
//! contracts and test ERC-20 tokens. Calldata, return values, events and errors are encoded from
//! `abi/ITributary.json` and `abi/TributaryInherited.json` (the Solidity build's ABI), so a
//! selector, an encoding or a field's `indexed` that differs from the Solidity build fails here.

use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256, U512};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use tributary_stylus_common::{
    panic_data, CREDITS, DEFAULT_ADMIN_ROLE, PANIC_OVERFLOW, PAUSER_ROLE, RELAYER_ROLE, SUITE_ROLE,
};
use tributary_stylus_testchain::receiver::{
    Received, ERC721_RECEIVER, ERC721_SHORT_ANSWER, ERC721_WRONG_ANSWER, REJECTS_SILENTLY,
    REJECTS_WITH_REASON,
};
use tributary_stylus_testchain::token::{self, Mode};
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

use ITributary::*;
use ITributaryTypes::{Licence, Offer, Split, Terms};
use TributaryInherited::{
    approveCall, balanceOfCall, getApprovedCall, getRoleAdminCall, grantRoleCall, hasRoleCall,
    isApprovedForAllCall, nameCall, ownerOfCall, pausedCall, renounceRoleCall, revokeRoleCall,
    safeTransferFrom_0Call, safeTransferFrom_1Call, setApprovalForAllCall, supportsInterfaceCall,
    symbolCall, tokenURICall, transferFromCall, AccessControlBadConfirmation,
    AccessControlUnauthorizedAccount, AccountBalanceOverflow, Approval, ApprovalForAll,
    BalanceQueryForZeroAddress, DEFAULT_ADMIN_ROLECall, EnforcedPause, ExpectedPause,
    NotOwnerNorApproved, Paused, RoleGranted, RoleRevoked, TokenDoesNotExist, Transfer,
    TransferFromIncorrectOwner, TransferToNonERC721ReceiverImplementer, TransferToZeroAddress,
    Unpaused,
};

const DEPLOYER: Address = address!("00000000000000000000000000000000000d3910");
const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
const TREASURY: Address = address!("0000000000000000000000000000000000007ea5");
const RELAYER: Address = address!("000000000000000000000000000000000000e1a7");
const PAUSER: Address = address!("0000000000000000000000000000000000005a05");
const CREATOR: Address = address!("000000000000000000000000000000000000c0de");
const PAYEE_A: Address = address!("00000000000000000000000000000000000000a1");
const PAYEE_B: Address = address!("00000000000000000000000000000000000000b2");
const ALICE: Address = address!("0000000000000000000000000000000000a11ce0");
const BOB: Address = address!("0000000000000000000000000000000000b0b000");
const CAROL: Address = address!("0000000000000000000000000000000000ca7010");

const FEE_BPS: u16 = 250;
const ONE_OFF: u8 = 0;
const ROYALTY_LINKED: u8 = 1;
const SUBSCRIPTION: u8 = 2;
const CUSTOM: u8 = 3;
const PAUSED_STATUS: u8 = 2;
const RETIRED: u8 = 3;
const MONTH: u64 = 30 * 24 * 3600;

// The dataset's offers, by index.
const ETH_PERPETUAL: u64 = 0;
const USDC_CAPPED: u64 = 1;
const ROYALTY_ETH: u64 = 2;
const ROYALTY_USDC: u64 = 3;
const SUBSCRIBE: u64 = 4;
const CUSTOM_DEAL: u64 = 5;
const IN_CREDITS: u64 = 6;
const FEE_TOKEN: u64 = 7;
const ROYALTY_FEE_TOKEN: u64 = 8;
const ALMOST_FOREVER: u64 = 9;
const ETH_SHORT: u64 = 10;

fn licences_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    stylus_sdk::abi::router_entrypoint::<crate::Licences, crate::Licences>(input, vm)
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

fn n(value: u64) -> U256 {
    U256::from(value)
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

fn offer(kind: u8, token: Address, price: u128, duration: u64, transferable: bool) -> Offer {
    Offer {
        kind,
        paymentToken: token,
        price,
        duration,
        transferable,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: B256::repeat_byte(kind + 1),
    }
}

/// `keccak256(abi.encode(offer))`.
fn offer_hash(offer: &Offer) -> B256 {
    keccak256(offer.abi_encode())
}

/// The whole suite, deployed and wired as docs/stylus.md says, with one dataset registered
/// by `CREATOR` under [`Suite::offers`].
struct Suite {
    chain: Chain,
    registry: Address,
    splits: Address,
    credits: Address,
    licences: Address,
    usdc: Address,
    fee_token: Address,
    dataset: U256,
    split: Split,
    offers: Vec<Offer>,
}

impl Suite {
    fn new() -> Self {
        let chain = Chain::new();
        let splits = chain
            .deploy(
                splits_entrypoint,
                DEPLOYER,
                Some((ADMIN, TREASURY, FEE_BPS).abi_encode_params()),
            )
            .expect("splits deploys");
        let registry = chain
            .deploy(
                registry_entrypoint,
                DEPLOYER,
                Some((splits,).abi_encode_params()),
            )
            .expect("registry deploys");
        let credits = chain
            .deploy(
                credits_entrypoint,
                DEPLOYER,
                Some((ADMIN,).abi_encode_params()),
            )
            .expect("credits deploys");
        let licences = chain
            .deploy(
                licences_entrypoint,
                DEPLOYER,
                Some((ADMIN, registry, splits, credits).abi_encode_params()),
            )
            .expect("licences deploys");
        let usdc = chain.deploy_token(Mode::Standard);
        let fee_token = chain.deploy_token(Mode::FeeOnTransfer);
        let grant = |contract, role, account| {
            chain
                .send(
                    ADMIN,
                    contract,
                    U256::ZERO,
                    &grantRoleCall { role, account },
                )
                .unwrap()
        };
        grant(splits, SUITE_ROLE, licences);
        grant(credits, SUITE_ROLE, licences);
        grant(credits, RELAYER_ROLE, RELAYER);
        grant(licences, PAUSER_ROLE, PAUSER);
        for token in [usdc, fee_token] {
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
        for account in [ALICE, BOB, CAROL, CREATOR, RELAYER] {
            chain.set_balance(account, n(1_000_000_000));
        }
        let split = Split {
            payees: vec![PAYEE_A, PAYEE_B],
            shares: vec![1, 3],
        };
        let offers = vec![
            offer(ONE_OFF, Address::ZERO, 1000, 0, true),
            Offer {
                supplyCap: 2,
                ..offer(ONE_OFF, usdc, 500, MONTH, false)
            },
            Offer {
                royaltyBps: 250,
                ..offer(ROYALTY_LINKED, Address::ZERO, 100, 0, true)
            },
            Offer {
                royaltyBps: 1000,
                ..offer(ROYALTY_LINKED, usdc, 0, 100, false)
            },
            offer(SUBSCRIPTION, Address::ZERO, 10, MONTH, false),
            offer(CUSTOM, Address::ZERO, 0, 365 * 24 * 3600, false),
            offer(ONE_OFF, CREDITS, 300, 0, false),
            offer(ONE_OFF, fee_token, 100, 0, false),
            Offer {
                royaltyBps: 500,
                ..offer(ROYALTY_LINKED, fee_token, 0, 0, false)
            },
            offer(ONE_OFF, Address::ZERO, 1, u64::MAX - 10, true),
            offer(ONE_OFF, Address::ZERO, 10, 1000, true),
        ];
        let mut suite = Self {
            chain,
            registry,
            splits,
            credits,
            licences,
            usdc,
            fee_token,
            dataset: U256::ZERO,
            split,
            offers,
        };
        suite.dataset = suite.register();
        suite
    }

    /// Registers another dataset with the same split and offers; returns its id.
    fn register(&self) -> U256 {
        self.chain
            .send(
                CREATOR,
                self.registry,
                U256::ZERO,
                &registerCall {
                    manifestHash: B256::repeat_byte(0x3f),
                    uri: "ipfs://manifest".into(),
                    split: self.split.clone(),
                    offers: self.offers.clone(),
                },
            )
            .unwrap()
    }

    fn terms(&self) -> Terms {
        Terms {
            splitHash: self.split_hash(),
            offers: self.offers.clone(),
        }
    }

    fn split_hash(&self) -> B256 {
        keccak256((self.split.payees.clone(), self.split.shares.clone()).abi_encode_params())
    }

    fn send<C: SolCall>(&self, from: Address, call: &C) -> Receipt<C::Return> {
        self.chain.send(from, self.licences, U256::ZERO, call)
    }

    fn send_value<C: SolCall>(&self, from: Address, value: U256, call: &C) -> Receipt<C::Return> {
        self.chain.send(from, self.licences, value, call)
    }

    fn view<C: SolCall>(&self, call: &C) -> C::Return {
        self.chain.view(self.licences, call)
    }

    fn try_view<C: SolCall>(&self, call: &C) -> Receipt<C::Return> {
        self.chain.try_view(self.licences, call)
    }

    fn purchase_call(&self, index: u64, recipient: Address) -> purchaseCall {
        purchaseCall {
            datasetId: self.dataset,
            terms: self.terms(),
            offerIndex: n(index),
            recipient,
        }
    }

    /// `from` buys offer `index` for `recipient`, sending `value`.
    fn buy(&self, from: Address, index: u64, recipient: Address, value: u64) -> Receipt<U256> {
        self.send_value(from, n(value), &self.purchase_call(index, recipient))
    }

    /// `from` buys offer `index` for themselves, paying its price in ETH.
    fn buy_eth(&self, from: Address, index: u64) -> U256 {
        let price = self.offers[index as usize].price as u64;
        self.buy(from, index, from, price).unwrap()
    }

    /// Mints `amount` of `token` to `account` and approves splits (the suite's vault) for it.
    fn fund(&self, token: Address, account: Address, amount: U256) {
        self.chain
            .send(
                account,
                token,
                U256::ZERO,
                &token::mintCall {
                    to: account,
                    value: amount,
                },
            )
            .unwrap();
        self.chain
            .send(
                account,
                token,
                U256::ZERO,
                &token::approveCall {
                    spender: self.splits,
                    value: amount,
                },
            )
            .unwrap();
    }

    fn token_id(&self, serial: u64) -> U256 {
        (self.dataset << 192) | (n(1) << 160) | n(serial)
    }

    fn issued(
        &self,
        token_id: U256,
        holder: Address,
        index: u64,
        expires_at: u64,
        payment_ref: B256,
    ) -> Log {
        Log::of(
            self.licences,
            &LicenceIssued {
                tokenId: token_id,
                datasetId: self.dataset,
                holder,
                offerHash: offer_hash(&self.offers[index as usize]),
                version: 1,
                expiresAt: expires_at,
                paymentRef: payment_ref,
            },
        )
    }

    fn transfer_log(&self, from: Address, to: Address, id: U256) -> Log {
        Log::of(self.licences, &Transfer { from, to, id })
    }

    fn payment_log(&self, token: Address, payer: Address, amount: u64) -> Log {
        let fee = amount * u64::from(FEE_BPS) / 10_000;
        Log::of(
            self.splits,
            &PaymentReceived {
                splitHash: self.split_hash(),
                token,
                datasetId: self.dataset,
                payer,
                amount: n(amount - fee),
                fee: n(fee),
            },
        )
    }

    fn owner_of(&self, id: U256) -> Receipt<Address> {
        self.try_view(&ownerOfCall { id })
    }

    fn balance_of(&self, owner: Address) -> U256 {
        self.view(&balanceOfCall { owner })
    }

    fn licensed_until(&self, account: Address) -> u64 {
        self.view(&licensedUntilCall {
            account,
            datasetId: self.dataset,
        })
    }

    fn is_licensed(&self, account: Address) -> bool {
        self.view(&isLicensedCall {
            account,
            datasetId: self.dataset,
        })
    }

    fn transfer(&self, caller: Address, from: Address, to: Address, id: U256) -> Receipt<()> {
        self.send(caller, &transferFromCall { from, to, id })
            .map_unit()
    }

    fn pause(&self) {
        self.send(PAUSER, &ITributary::pauseCall {}).unwrap();
    }

    fn mint_credits(&self, payment_id: B256, account: Address, amount: u64) {
        self.chain
            .send(
                RELAYER,
                self.credits,
                U256::ZERO,
                &mintCreditsCall {
                    paymentId: payment_id,
                    account,
                    amount: n(amount),
                },
            )
            .unwrap();
    }

    fn with_credits(&self, from: Address, payment_id: B256, index: u64) -> Receipt<U256> {
        self.send(
            from,
            &purchaseWithCreditsCall {
                paymentId: payment_id,
                datasetId: self.dataset,
                terms: self.terms(),
                offerIndex: n(index),
                recipient: from,
            },
        )
    }

    fn custom(
        &self,
        from: Address,
        index: u64,
        recipient: Address,
        receipt: B256,
    ) -> Receipt<U256> {
        self.send(
            from,
            &issueCustomLicenceCall {
                datasetId: self.dataset,
                terms: self.terms(),
                offerIndex: n(index),
                recipient,
                receiptHash: receipt,
            },
        )
    }

    fn report(&self, from: Address, id: U256, revenue: U256, value: u64) -> Receipt<U256> {
        self.send_value(
            from,
            n(value),
            &reportRevenueCall {
                tokenId: id,
                revenue,
                evidenceHash: B256::repeat_byte(0xee),
                terms: self.terms(),
            },
        )
    }

    fn set_status(&self, status: u8) {
        self.chain
            .send(
                CREATOR,
                self.registry,
                U256::ZERO,
                &setStatusCall {
                    datasetId: self.dataset,
                    status,
                },
            )
            .unwrap();
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

// ---------------------------------------------------------------------- deployment and views

#[test]
fn constructor_grants_admin_once_and_records_the_suite() {
    let suite = Suite::new();
    let chain = &suite.chain;
    let first_log = chain.logs().len();
    let licences = chain
        .deploy(
            licences_entrypoint,
            DEPLOYER,
            Some((ADMIN, suite.registry, suite.splits, suite.credits).abi_encode_params()),
        )
        .unwrap();
    assert_eq!(
        chain.logs()[first_log..],
        [Log::of(
            licences,
            &RoleGranted {
                role: DEFAULT_ADMIN_ROLE,
                account: ADMIN,
                sender: DEPLOYER,
            }
        )]
    );
    let mut again = stylus_sdk::abi::CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
    again.extend((BOB, BOB, BOB, BOB).abi_encode_params());
    assert!(chain
        .call_raw(BOB, licences, U256::ZERO, again)
        .result
        .is_err());
    assert!(!chain.view(
        licences,
        &hasRoleCall {
            role: DEFAULT_ADMIN_ROLE,
            account: BOB
        }
    ));
    // The suite it was given is the one it calls: a purchase through it reaches the registry.
    let receipt = chain.send(
        ALICE,
        licences,
        n(1000),
        &suite.purchase_call(ETH_PERPETUAL, ALICE),
    );
    // Splits refuses it: the new contract holds no SUITE_ROLE there.
    assert_eq!(receipt.unwrap_revert(), unauthorized(licences, SUITE_ROLE));
}

#[test]
fn constants_metadata_and_empty_views() {
    let suite = Suite::new();
    assert_eq!(suite.view(&nameCall {}), "Tributary Licence");
    assert_eq!(suite.view(&symbolCall {}), "TRIBL");
    assert_eq!(suite.view(&PAUSER_ROLECall {}), PAUSER_ROLE);
    assert_eq!(PAUSER_ROLE, keccak256("PAUSER_ROLE"));
    assert_eq!(suite.view(&DEFAULT_ADMIN_ROLECall {}), DEFAULT_ADMIN_ROLE);
    assert!(!suite.view(&pausedCall {}));
    for (id, supported) in [
        ([0x01, 0xff, 0xc9, 0xa7], true),
        ([0x80, 0xac, 0x58, 0xcd], true),
        ([0x5b, 0x5e, 0x13, 0x9f], true),
        ([0x79, 0x65, 0xdb, 0x0b], true),
        ([0xff, 0xff, 0xff, 0xff], false),
        ([0, 0, 0, 0], false),
        ([0x80, 0xac, 0x58, 0xce], false),
    ] {
        assert_eq!(
            suite.view(&supportsInterfaceCall {
                interfaceId: id.into()
            }),
            supported,
            "{id:?}"
        );
    }
    let unknown = suite.token_id(1);
    let missing = error(TokenDoesNotExist {});
    assert_eq!(suite.owner_of(unknown).unwrap_revert(), missing);
    assert_eq!(
        suite
            .try_view(&getApprovedCall { id: unknown })
            .unwrap_revert(),
        missing
    );
    assert_eq!(
        suite
            .try_view(&tokenURICall { tokenId: unknown })
            .unwrap_revert(),
        missing
    );
    assert_eq!(
        suite
            .try_view(&licenceCall { tokenId: unknown })
            .unwrap_revert(),
        missing
    );
    assert_eq!(
        suite
            .try_view(&licencePaymentTokenCall { tokenId: unknown })
            .unwrap_revert(),
        missing
    );
    assert_eq!(
        suite
            .send(ALICE, &refreshLicenceCall { tokenId: unknown })
            .unwrap_revert(),
        missing
    );
    assert_eq!(
        suite
            .try_view(&balanceOfCall {
                owner: Address::ZERO
            })
            .unwrap_revert(),
        error(BalanceQueryForZeroAddress {})
    );
    assert_eq!(suite.balance_of(ALICE), U256::ZERO);
    assert_eq!(suite.licensed_until(ALICE), 0);
    assert!(!suite.is_licensed(ALICE));
    assert_eq!(
        suite.view(&offerSoldCall {
            datasetId: suite.dataset,
            offerHash: offer_hash(&suite.offers[1]),
        }),
        U256::ZERO
    );
    assert!(!suite.view(&isApprovedForAllCall {
        owner: ALICE,
        operator: BOB
    }));
}

#[test]
fn malformed_calls_and_value_to_functions_that_are_not_payable_revert_empty() {
    let suite = Suite::new();
    let raw = |value: u64, data: Vec<u8>| {
        suite
            .chain
            .call_raw(ALICE, suite.licences, n(value), data)
            .unwrap_revert()
    };
    let empty = Vec::<u8>::new();
    assert_eq!(raw(0, vec![0xde, 0xad, 0xbe, 0xef]), empty);
    assert_eq!(raw(0, vec![0x12]), empty);
    assert_eq!(raw(1, Vec::new()), empty, "no receive function");
    for data in [
        ITributary::pauseCall {}.abi_encode(),
        refreshLicenceCall {
            tokenId: suite.token_id(1),
        }
        .abi_encode(),
        setApprovalForAllCall {
            operator: BOB,
            isApproved: true,
        }
        .abi_encode(),
        nameCall {}.abi_encode(),
        ownerOfCall {
            id: suite.token_id(1),
        }
        .abi_encode(),
        grantRoleCall {
            role: PAUSER_ROLE,
            account: BOB,
        }
        .abi_encode(),
    ] {
        assert_eq!(raw(1, data), empty);
    }
    suite.mint_credits(B256::repeat_byte(1), ALICE, 1000);
    let credits = purchaseWithCreditsCall {
        paymentId: B256::repeat_byte(1),
        datasetId: suite.dataset,
        terms: suite.terms(),
        offerIndex: n(IN_CREDITS),
        recipient: ALICE,
    };
    assert_eq!(raw(1, credits.abi_encode()), empty);
    // Dirty arguments: an address with high bits, a bool of 2, a bytes4 with a tail, a
    // truncated head.
    let mut dirty = suite.purchase_call(ETH_PERPETUAL, ALICE).abi_encode();
    dirty[4 + 96 + 11] = 1;
    assert_eq!(raw(1000, dirty), empty);
    let mut dirty = setApprovalForAllCall {
        operator: BOB,
        isApproved: true,
    }
    .abi_encode();
    dirty[4 + 63] = 2;
    assert_eq!(raw(0, dirty), empty);
    let mut dirty = supportsInterfaceCall {
        interfaceId: [0x80, 0xac, 0x58, 0xcd].into(),
    }
    .abi_encode();
    dirty[4 + 31] = 1;
    assert_eq!(raw(0, dirty), empty);
    let whole = balanceOfCall { owner: ALICE }.abi_encode();
    assert_eq!(raw(0, whole[..whole.len() - 1].to_vec()), empty);
    // The terms' offset past the calldata.
    let mut far = suite.purchase_call(ETH_PERPETUAL, ALICE).abi_encode();
    far[4 + 32..4 + 64].copy_from_slice(&n(1 << 40).to_be_bytes::<32>());
    assert_eq!(raw(1000, far), empty);
    assert_eq!(suite.balance_of(ALICE), U256::ZERO);
}

// ---------------------------------------------------------------------- purchase

#[test]
fn purchase_in_eth_pays_the_split_then_issues_and_mints() {
    let suite = Suite::new();
    let receipt = suite.buy(ALICE, ETH_PERPETUAL, BOB, 1000);
    let id = suite.token_id(1);
    assert_eq!(receipt.result, Ok(id));
    assert_eq!(
        receipt.logs,
        [
            suite.payment_log(Address::ZERO, ALICE, 1000),
            suite.issued(id, BOB, ETH_PERPETUAL, u64::MAX, B256::ZERO),
            suite.transfer_log(Address::ZERO, BOB, id),
        ]
    );
    assert_eq!(suite.chain.balance(suite.splits), n(1000));
    assert_eq!(suite.chain.balance(suite.licences), U256::ZERO);
    assert_eq!(suite.owner_of(id).unwrap(), BOB);
    assert_eq!(suite.balance_of(BOB), n(1));
    assert_eq!(suite.licensed_until(BOB), u64::MAX);
    assert!(suite.is_licensed(BOB));
    assert!(!suite.is_licensed(ALICE));
    assert_eq!(
        suite.view(&licenceCall { tokenId: id }),
        Licence {
            datasetId: suite.dataset.to(),
            version: 1,
            expiresAt: u64::MAX,
            kind: ONE_OFF,
            transferable: true,
            flagged: false,
            royaltyBps: 0,
        }
    );
    assert_eq!(
        suite.view(&licencePaymentTokenCall { tokenId: id }),
        Address::ZERO
    );
    assert_eq!(suite.view(&tokenURICall { tokenId: id }), "");
    // Serials count every licence of every dataset; the version is the dataset's current one.
    let second = suite.buy_eth(CAROL, ETH_PERPETUAL);
    assert_eq!(second, suite.token_id(2));
    let other = Suite {
        dataset: suite.register(),
        ..suite
    };
    other
        .chain
        .send(
            CREATOR,
            other.registry,
            U256::ZERO,
            &publishVersionCall {
                datasetId: other.dataset,
                manifestHash: B256::repeat_byte(9),
                uri: "ipfs://v2".into(),
            },
        )
        .unwrap();
    let third = other.buy_eth(CAROL, ETH_PERPETUAL);
    assert_eq!(third, (other.dataset << 192) | (n(2) << 160) | n(3));
    assert_eq!(
        other.view(&licenceCall { tokenId: third }).version,
        2,
        "the version current at issue"
    );
}

#[test]
fn purchase_in_eth_takes_exactly_the_price() {
    let suite = Suite::new();
    for sent in [999, 1001, 0] {
        assert_eq!(
            suite.buy(ALICE, ETH_PERPETUAL, ALICE, sent).unwrap_revert(),
            error(WrongPayment {
                expected: n(1000),
                sent: n(sent),
            })
        );
    }
    assert_eq!(suite.chain.balance(ALICE), n(1_000_000_000));
    assert_eq!(suite.balance_of(ALICE), U256::ZERO);
    // A zero recipient is refused after the payment is checked, as in `_issue`.
    assert_eq!(
        suite
            .buy(ALICE, ETH_PERPETUAL, Address::ZERO, 5)
            .unwrap_revert(),
        error(WrongPayment {
            expected: n(1000),
            sent: n(5),
        })
    );
    assert_eq!(
        suite
            .buy(ALICE, ETH_PERPETUAL, Address::ZERO, 1000)
            .unwrap_revert(),
        error(InvalidRecipient {})
    );
    assert_eq!(suite.chain.balance(suite.splits), U256::ZERO);
}

#[test]
fn purchase_in_an_erc20_pulls_from_the_buyer_into_splits() {
    let suite = Suite::new();
    // No allowance: the token's own error, bubbled through splits and licences.
    assert_eq!(
        suite.buy(ALICE, USDC_CAPPED, ALICE, 0).unwrap_revert(),
        error(token::ERC20InsufficientAllowance {
            spender: suite.splits,
            allowance: U256::ZERO,
            needed: n(500),
        })
    );
    suite.fund(suite.usdc, ALICE, n(5000));
    assert_eq!(
        suite.buy(ALICE, USDC_CAPPED, ALICE, 1).unwrap_revert(),
        error(WrongPayment {
            expected: U256::ZERO,
            sent: n(1),
        })
    );
    let now = suite.chain.timestamp();
    let receipt = suite.buy(ALICE, USDC_CAPPED, BOB, 0);
    let id = suite.token_id(1);
    assert_eq!(receipt.result, Ok(id));
    assert_eq!(
        receipt.logs,
        [
            Log::of(
                suite.usdc,
                &token::Transfer {
                    from: ALICE,
                    to: suite.splits,
                    value: n(500),
                }
            ),
            suite.payment_log(suite.usdc, ALICE, 500),
            suite.issued(id, BOB, USDC_CAPPED, now + MONTH, B256::ZERO),
            suite.transfer_log(Address::ZERO, BOB, id),
        ]
    );
    assert_eq!(
        suite.chain.view(
            suite.usdc,
            &token::balanceOfCall {
                account: suite.splits
            }
        ),
        n(500)
    );
    let licence = suite.view(&licenceCall { tokenId: id });
    assert_eq!(licence.expiresAt, now + MONTH);
    assert!(!licence.transferable);
    assert_eq!(
        suite.view(&licencePaymentTokenCall { tokenId: id }),
        Address::ZERO,
        "recorded for royalty-linked licences only"
    );
}

#[test]
fn purchase_refuses_a_short_delivery() {
    let suite = Suite::new();
    suite.fund(suite.fee_token, ALICE, n(1000));
    assert_eq!(
        suite.buy(ALICE, FEE_TOKEN, ALICE, 0).unwrap_revert(),
        error(ShortDelivery {
            expected: n(100),
            delivered: n(99),
        })
    );
    assert_eq!(suite.balance_of(ALICE), U256::ZERO);
}

#[test]
fn purchase_takes_one_off_and_royalty_linked_offers_only_and_no_credits() {
    let suite = Suite::new();
    for (index, kind) in [(SUBSCRIBE, SUBSCRIPTION), (CUSTOM_DEAL, CUSTOM)] {
        assert_eq!(
            suite.buy(ALICE, index, ALICE, 0).unwrap_revert(),
            error(WrongOfferKind { kind }),
        );
    }
    assert_eq!(
        suite.buy(ALICE, IN_CREDITS, ALICE, 0).unwrap_revert(),
        error(WrongPaymentToken { token: CREDITS })
    );
    // The kind is checked before the price.
    assert_eq!(
        suite.buy(ALICE, SUBSCRIBE, ALICE, 10_000).unwrap_revert(),
        error(WrongOfferKind { kind: SUBSCRIPTION }),
    );
}

#[test]
fn purchase_checks_the_dataset_then_the_terms_then_the_index() {
    let suite = Suite::new();
    let unknown = purchaseCall {
        datasetId: n(99),
        ..suite.purchase_call(ETH_PERPETUAL, ALICE)
    };
    assert_eq!(
        suite.send_value(ALICE, n(1000), &unknown).unwrap_revert(),
        error(UnknownDataset { datasetId: n(99) })
    );
    let mut changed = suite.purchase_call(ETH_PERPETUAL, ALICE);
    changed.terms.offers[0].price = 1;
    assert_eq!(
        suite.send_value(ALICE, n(1), &changed).unwrap_revert(),
        error(TermsMismatch {
            datasetId: suite.dataset
        })
    );
    let mut other_split = suite.purchase_call(ETH_PERPETUAL, ALICE);
    other_split.terms.splitHash = B256::repeat_byte(1);
    assert_eq!(
        suite
            .send_value(ALICE, n(1000), &other_split)
            .unwrap_revert(),
        error(TermsMismatch {
            datasetId: suite.dataset
        })
    );
    for index in [11, u64::MAX] {
        assert_eq!(
            suite.buy(ALICE, index, ALICE, 1000).unwrap_revert(),
            error(OfferIndexOutOfRange { index: n(index) })
        );
    }
    let huge = purchaseCall {
        offerIndex: U256::MAX,
        ..suite.purchase_call(ETH_PERPETUAL, ALICE)
    };
    assert_eq!(
        suite.send_value(ALICE, n(1000), &huge).unwrap_revert(),
        error(OfferIndexOutOfRange { index: U256::MAX })
    );
    suite.set_status(PAUSED_STATUS);
    let inactive = error(DatasetNotActive {
        datasetId: suite.dataset,
        status: PAUSED_STATUS,
    });
    assert_eq!(
        suite.buy(ALICE, ETH_PERPETUAL, ALICE, 1000).unwrap_revert(),
        inactive
    );
    // The status is checked before the terms.
    assert_eq!(
        suite.send_value(ALICE, n(1), &changed).unwrap_revert(),
        inactive
    );
    suite.set_status(RETIRED);
    assert_eq!(
        suite.buy(ALICE, ETH_PERPETUAL, ALICE, 1000).unwrap_revert(),
        error(DatasetNotActive {
            datasetId: suite.dataset,
            status: RETIRED,
        })
    );
}

#[test]
fn resent_terms_are_hashed_as_sent_and_located_only_after_the_dataset_checks() {
    let suite = Suite::new();
    let call = suite.purchase_call(ETH_PERPETUAL, ALICE).abi_encode();
    // The offers start after selector, head (4 words), terms head (2 words), length.
    let offers_at = 4 + 4 * 32 + 2 * 32 + 32;
    // A dirty offer word (a kind of 0x100) hashes differently: TermsMismatch, as the
    // Solidity build's hash of the calldata bytes gives.
    let mut dirty = call.clone();
    dirty[offers_at + 30] = 1;
    let receipt = suite.chain.call_raw(ALICE, suite.licences, n(1000), dirty);
    assert_eq!(
        receipt.unwrap_revert(),
        error(TermsMismatch {
            datasetId: suite.dataset
        })
    );
    // An offers length past the calldata reverts empty, but only once the terms are read:
    // for an unknown dataset the dataset check comes first.
    let mut long = call.clone();
    long[offers_at - 32..offers_at].copy_from_slice(&n(1000).to_be_bytes::<32>());
    let receipt = suite
        .chain
        .call_raw(ALICE, suite.licences, n(1000), long.clone());
    assert_eq!(receipt.unwrap_revert(), Vec::<u8>::new());
    long[4..36].copy_from_slice(&n(99).to_be_bytes::<32>());
    let receipt = suite.chain.call_raw(ALICE, suite.licences, n(1000), long);
    assert_eq!(
        receipt.unwrap_revert(),
        error(UnknownDataset { datasetId: n(99) })
    );
    // Canonical calldata with the offers somewhere else (a non-standard offset) is the same
    // terms: accepted.
    let terms_at = 4 + 4 * 32;
    let mut moved = call[..terms_at].to_vec();
    moved.extend_from_slice(&call[terms_at..terms_at + 32]); // split hash
    moved.extend_from_slice(&n(0x60).to_be_bytes::<32>()); // offers one word further
    moved.extend_from_slice(&[0u8; 32]); // padding word
    moved.extend_from_slice(&call[terms_at + 64..]);
    let receipt = suite.chain.call_raw(ALICE, suite.licences, n(1000), moved);
    assert_eq!(
        receipt.result.unwrap(),
        suite.token_id(1).to_be_bytes::<32>().to_vec()
    );
}

#[test]
fn a_capped_offer_sells_out() {
    let suite = Suite::new();
    suite.fund(suite.usdc, ALICE, n(5000));
    let hash = offer_hash(&suite.offers[USDC_CAPPED as usize]);
    let sold = || {
        suite.view(&offerSoldCall {
            datasetId: suite.dataset,
            offerHash: hash,
        })
    };
    suite.buy(ALICE, USDC_CAPPED, ALICE, 0).unwrap();
    assert_eq!(sold(), n(1));
    suite.buy(ALICE, USDC_CAPPED, BOB, 0).unwrap();
    assert_eq!(sold(), n(2));
    assert_eq!(
        suite.buy(ALICE, USDC_CAPPED, CAROL, 0).unwrap_revert(),
        error(OfferSoldOut {
            datasetId: suite.dataset,
            offerHash: hash,
        })
    );
    assert_eq!(sold(), n(2));
    // Uncapped offers are not counted.
    suite.buy_eth(ALICE, ETH_PERPETUAL);
    assert_eq!(
        suite.view(&offerSoldCall {
            datasetId: suite.dataset,
            offerHash: offer_hash(&suite.offers[0]),
        }),
        U256::ZERO
    );
}

// ---------------------------------------------------------------------- credits

#[test]
fn purchase_with_credits_spends_books_and_issues() {
    let suite = Suite::new();
    let payment = B256::repeat_byte(0x51);
    suite.mint_credits(payment, ALICE, 1000);
    let receipt = suite.with_credits(ALICE, payment, IN_CREDITS);
    let id = suite.token_id(1);
    assert_eq!(receipt.result, Ok(id));
    assert_eq!(
        receipt.logs,
        [
            Log::of(
                suite.credits,
                &CreditsSpent {
                    paymentId: payment,
                    tokenId: id,
                    amount: n(300),
                }
            ),
            suite.payment_log(CREDITS, ALICE, 300),
            suite.issued(id, ALICE, IN_CREDITS, u64::MAX, payment),
            suite.transfer_log(Address::ZERO, ALICE, id),
        ]
    );
    // A relayer buys for the payment's account (the card flow); the payer is the account,
    // the operator the relayer.
    let receipt = suite.send(
        RELAYER,
        &purchaseWithCreditsCall {
            paymentId: payment,
            datasetId: suite.dataset,
            terms: suite.terms(),
            offerIndex: n(IN_CREDITS),
            recipient: ALICE,
        },
    );
    let second = suite.token_id(2);
    assert_eq!(receipt.result, Ok(second));
    assert_eq!(receipt.logs[1], suite.payment_log(CREDITS, ALICE, 300));
    assert_eq!(
        suite
            .chain
            .view(suite.credits, &creditBalanceCall { account: ALICE }),
        n(400)
    );
    assert_eq!(
        suite
            .chain
            .view(suite.credits, &licencesOfPaymentCall { paymentId: payment }),
        vec![id, second]
    );
    // Anyone else: credits' own error, bubbled.
    assert_eq!(
        suite.with_credits(BOB, payment, IN_CREDITS).unwrap_revert(),
        error(NotPaymentAccount {
            paymentId: payment,
            caller: BOB,
        })
    );
    suite.with_credits(ALICE, payment, IN_CREDITS).unwrap();
    assert_eq!(
        suite
            .with_credits(ALICE, payment, IN_CREDITS)
            .unwrap_revert(),
        error(InsufficientCredits {
            paymentId: payment,
            available: n(100),
            needed: n(300),
        })
    );
    assert_eq!(
        suite
            .with_credits(ALICE, B256::repeat_byte(0x77), IN_CREDITS)
            .unwrap_revert(),
        error(UnknownPayment {
            paymentId: B256::repeat_byte(0x77)
        })
    );
}

#[test]
fn purchase_with_credits_takes_one_off_credit_offers_only() {
    let suite = Suite::new();
    let payment = B256::repeat_byte(0x51);
    suite.mint_credits(payment, ALICE, 1000);
    assert_eq!(
        suite
            .with_credits(ALICE, payment, ROYALTY_ETH)
            .unwrap_revert(),
        error(WrongOfferKind {
            kind: ROYALTY_LINKED
        })
    );
    assert_eq!(
        suite
            .with_credits(ALICE, payment, ETH_PERPETUAL)
            .unwrap_revert(),
        error(WrongPaymentToken {
            token: Address::ZERO
        })
    );
    assert_eq!(
        suite
            .with_credits(ALICE, payment, USDC_CAPPED)
            .unwrap_revert(),
        error(WrongPaymentToken { token: suite.usdc })
    );
    // The recipient is checked after the credits are spent (all undone by the revert).
    let receipt = suite.send(
        ALICE,
        &purchaseWithCreditsCall {
            paymentId: payment,
            datasetId: suite.dataset,
            terms: suite.terms(),
            offerIndex: n(IN_CREDITS),
            recipient: Address::ZERO,
        },
    );
    assert_eq!(receipt.unwrap_revert(), error(InvalidRecipient {}));
    assert_eq!(
        suite
            .chain
            .view(suite.credits, &creditBalanceCall { account: ALICE }),
        n(1000)
    );
}

#[test]
fn a_reversed_payment_flags_its_licences_and_buys_no_more() {
    let suite = Suite::new();
    let payment = B256::repeat_byte(0x52);
    suite.mint_credits(payment, ALICE, 1000);
    let id = suite.with_credits(ALICE, payment, IN_CREDITS).unwrap();
    assert!(!suite.view(&licenceCall { tokenId: id }).flagged);
    let receipt = suite.chain.send(
        RELAYER,
        suite.credits,
        U256::ZERO,
        &reverseCreditsCall { paymentId: payment },
    );
    assert_eq!(
        receipt.logs[0],
        Log::of(
            suite.credits,
            &LicenceFlagged {
                tokenId: id,
                paymentId: payment,
            }
        )
    );
    let licence = suite.view(&licenceCall { tokenId: id });
    assert!(licence.flagged);
    assert_eq!(licence.expiresAt, u64::MAX, "flagged, still held");
    assert_eq!(
        suite
            .with_credits(ALICE, payment, IN_CREDITS)
            .unwrap_revert(),
        error(PaymentAlreadyReversed { paymentId: payment })
    );
}

// ---------------------------------------------------------------------- custom licences

#[test]
fn the_creator_issues_a_custom_licence_against_a_receipt() {
    let suite = Suite::new();
    let receipt_hash = B256::repeat_byte(0x9c);
    let now = suite.chain.timestamp();
    let receipt = suite.custom(CREATOR, CUSTOM_DEAL, BOB, receipt_hash);
    let id = suite.token_id(1);
    assert_eq!(receipt.result, Ok(id));
    assert_eq!(
        receipt.logs,
        [
            suite.issued(id, BOB, CUSTOM_DEAL, now + 365 * 24 * 3600, receipt_hash),
            suite.transfer_log(Address::ZERO, BOB, id),
        ]
    );
    assert_eq!(suite.view(&licenceCall { tokenId: id }).kind, CUSTOM);
    // Checked in this order: creator, kind, receipt, recipient.
    assert_eq!(
        suite
            .custom(ALICE, ETH_PERPETUAL, BOB, B256::ZERO)
            .unwrap_revert(),
        error(NotCreator {
            datasetId: suite.dataset,
            account: ALICE,
        })
    );
    assert_eq!(
        suite
            .custom(CREATOR, ETH_PERPETUAL, BOB, B256::ZERO)
            .unwrap_revert(),
        error(WrongOfferKind { kind: ONE_OFF })
    );
    assert_eq!(
        suite
            .custom(CREATOR, CUSTOM_DEAL, BOB, B256::ZERO)
            .unwrap_revert(),
        error(MissingReceipt {})
    );
    assert_eq!(
        suite
            .custom(CREATOR, CUSTOM_DEAL, Address::ZERO, receipt_hash)
            .unwrap_revert(),
        error(InvalidRecipient {})
    );
    assert_eq!(
        suite
            .send(
                CREATOR,
                &issueCustomLicenceCall {
                    datasetId: n(99),
                    terms: suite.terms(),
                    offerIndex: n(CUSTOM_DEAL),
                    recipient: BOB,
                    receiptHash: receipt_hash,
                }
            )
            .unwrap_revert(),
        error(UnknownDataset { datasetId: n(99) })
    );
}

// ---------------------------------------------------------------------- revenue reports

#[test]
fn a_royalty_linked_licensee_reports_revenue_in_eth() {
    let suite = Suite::new();
    let id = suite.buy_eth(ALICE, ROYALTY_ETH);
    assert_eq!(suite.view(&licenceCall { tokenId: id }).royaltyBps, 250);
    let receipt = suite.report(ALICE, id, n(10_000), 250);
    assert_eq!(receipt.result, Ok(n(250)));
    assert_eq!(
        receipt.logs,
        [
            suite.payment_log(Address::ZERO, ALICE, 250),
            Log::of(
                suite.licences,
                &RevenueReported {
                    tokenId: id,
                    datasetId: suite.dataset,
                    token: Address::ZERO,
                    revenue: n(10_000),
                    royalty: n(250),
                    evidenceHash: B256::repeat_byte(0xee),
                }
            ),
        ]
    );
    assert_eq!(suite.chain.balance(suite.splits), n(100 + 250));
    // Rounded down: 39 × 250 / 10 000 = 0.975.
    let receipt = suite.report(ALICE, id, n(39), 0);
    assert_eq!(receipt.result, Ok(U256::ZERO));
    assert_eq!(receipt.logs[0], suite.payment_log(Address::ZERO, ALICE, 0));
    assert_eq!(
        suite.report(ALICE, id, n(10_000), 249).unwrap_revert(),
        error(WrongPayment {
            expected: n(250),
            sent: n(249),
        })
    );
    // Checked in this order: holder, kind, terms.
    assert_eq!(
        suite.report(BOB, id, n(10_000), 250).unwrap_revert(),
        error(NotLicenceHolder {
            tokenId: id,
            account: BOB,
        })
    );
    assert_eq!(
        suite
            .report(BOB, suite.token_id(9), n(1), 0)
            .unwrap_revert(),
        error(NotLicenceHolder {
            tokenId: suite.token_id(9),
            account: BOB,
        })
    );
    let one_off = suite.buy_eth(ALICE, ETH_PERPETUAL);
    assert_eq!(
        suite.report(ALICE, one_off, n(10_000), 0).unwrap_revert(),
        error(WrongOfferKind { kind: ONE_OFF })
    );
    let mut stale = reportRevenueCall {
        tokenId: id,
        revenue: n(10_000),
        evidenceHash: B256::ZERO,
        terms: suite.terms(),
    };
    stale.terms.offers.pop();
    assert_eq!(
        suite.send_value(ALICE, n(250), &stale).unwrap_revert(),
        error(TermsMismatch {
            datasetId: suite.dataset
        })
    );
    // Royalties stay owed whatever the dataset's status.
    suite.set_status(RETIRED);
    assert_eq!(suite.report(ALICE, id, n(10_000), 250).result, Ok(n(250)));
}

#[test]
fn a_royalty_linked_licensee_reports_revenue_in_an_erc20() {
    let suite = Suite::new();
    // Priced at zero: nothing is pulled, the payment is booked at zero.
    let receipt = suite.buy(ALICE, ROYALTY_USDC, ALICE, 0);
    let id = suite.token_id(1);
    assert_eq!(receipt.logs[0], suite.payment_log(suite.usdc, ALICE, 0));
    assert_eq!(
        suite.view(&licencePaymentTokenCall { tokenId: id }),
        suite.usdc
    );
    let revenue = U256::MAX / n(1000) - n(7);
    let royalty = {
        let wide = U512::from(revenue) * U512::from(1000u64) / U512::from(10_000u64);
        U256::from_limbs_slice(&wide.as_limbs()[..4])
    };
    suite.fund(suite.usdc, ALICE, royalty);
    assert_eq!(
        suite.report(ALICE, id, revenue, 1).unwrap_revert(),
        error(WrongPayment {
            expected: U256::ZERO,
            sent: n(1),
        })
    );
    let receipt = suite.report(ALICE, id, revenue, 0);
    assert_eq!(receipt.result, Ok(royalty));
    let fee = royalty * U256::from(FEE_BPS) / n(10_000);
    assert_eq!(
        receipt.logs,
        [
            Log::of(
                suite.usdc,
                &token::Transfer {
                    from: ALICE,
                    to: suite.splits,
                    value: royalty,
                }
            ),
            Log::of(
                suite.splits,
                &PaymentReceived {
                    splitHash: suite.split_hash(),
                    token: suite.usdc,
                    datasetId: suite.dataset,
                    payer: ALICE,
                    amount: royalty - fee,
                    fee,
                }
            ),
            Log::of(
                suite.licences,
                &RevenueReported {
                    tokenId: id,
                    datasetId: suite.dataset,
                    token: suite.usdc,
                    revenue,
                    royalty,
                    evidenceHash: B256::repeat_byte(0xee),
                }
            ),
        ]
    );
}

#[test]
fn a_revenue_report_refuses_a_short_delivery() {
    let suite = Suite::new();
    let id = suite.buy(ALICE, ROYALTY_FEE_TOKEN, ALICE, 0).unwrap();
    suite.fund(suite.fee_token, ALICE, n(1000));
    assert_eq!(
        suite.report(ALICE, id, n(2000), 0).unwrap_revert(),
        error(ShortDelivery {
            expected: n(100),
            delivered: n(99),
        })
    );
}

// ---------------------------------------------------------------------- pause

#[test]
fn the_pauser_pauses_licences_and_credit_minting() {
    let suite = Suite::new();
    let id = suite.buy_eth(ALICE, ROYALTY_ETH);
    assert_eq!(
        suite.send(ALICE, &ITributary::pauseCall {}).unwrap_revert(),
        unauthorized(ALICE, PAUSER_ROLE)
    );
    assert_eq!(
        suite
            .send(PAUSER, &ITributary::unpauseCall {})
            .unwrap_revert(),
        error(ExpectedPause {})
    );
    let receipt = suite.send(PAUSER, &ITributary::pauseCall {});
    assert_eq!(
        receipt.logs,
        [Log::of(suite.licences, &Paused { account: PAUSER })]
    );
    assert!(suite.view(&pausedCall {}));
    assert_eq!(
        suite
            .send(PAUSER, &ITributary::pauseCall {})
            .unwrap_revert(),
        error(EnforcedPause {})
    );
    let paused = error(EnforcedPause {});
    assert_eq!(
        suite.buy(ALICE, ETH_PERPETUAL, ALICE, 1000).unwrap_revert(),
        paused
    );
    assert_eq!(
        suite
            .with_credits(ALICE, B256::repeat_byte(1), IN_CREDITS)
            .unwrap_revert(),
        paused
    );
    assert_eq!(
        suite
            .custom(CREATOR, CUSTOM_DEAL, BOB, B256::repeat_byte(1))
            .unwrap_revert(),
        paused
    );
    assert_eq!(
        suite.report(ALICE, id, n(10_000), 250).unwrap_revert(),
        paused
    );
    // The pause precedes every other check (here: an unknown dataset).
    let unknown = purchaseCall {
        datasetId: n(99),
        ..suite.purchase_call(ETH_PERPETUAL, ALICE)
    };
    assert_eq!(
        suite.send_value(ALICE, n(1000), &unknown).unwrap_revert(),
        paused
    );
    // Credits' copy of the switch stops minting.
    let mint = suite.chain.send(
        RELAYER,
        suite.credits,
        U256::ZERO,
        &mintCreditsCall {
            paymentId: B256::repeat_byte(2),
            account: ALICE,
            amount: n(5),
        },
    );
    assert_eq!(mint.unwrap_revert(), paused);
    // Transfers and re-indexing go on.
    suite.transfer(ALICE, ALICE, BOB, id).unwrap();
    suite
        .send(BOB, &refreshLicenceCall { tokenId: id })
        .unwrap();
    let receipt = suite.send(PAUSER, &ITributary::unpauseCall {});
    assert_eq!(
        receipt.logs,
        [Log::of(suite.licences, &Unpaused { account: PAUSER })]
    );
    assert!(!suite.view(&pausedCall {}));
    suite.mint_credits(B256::repeat_byte(2), ALICE, 5);
    suite.buy_eth(ALICE, ETH_PERPETUAL);
}

#[test]
fn pausing_needs_the_suite_role_in_credits() {
    let suite = Suite::new();
    suite
        .chain
        .send(
            ADMIN,
            suite.credits,
            U256::ZERO,
            &revokeRoleCall {
                role: SUITE_ROLE,
                account: suite.licences,
            },
        )
        .unwrap();
    assert_eq!(
        suite
            .send(PAUSER, &ITributary::pauseCall {})
            .unwrap_revert(),
        unauthorized(suite.licences, SUITE_ROLE)
    );
    assert!(!suite.view(&pausedCall {}));
}

// ---------------------------------------------------------------------- ERC-721

#[test]
fn transfers_move_the_licence_and_its_index_entry() {
    let suite = Suite::new();
    let id = suite.buy_eth(ALICE, ETH_PERPETUAL);
    let receipt = suite.transfer(ALICE, ALICE, BOB, id);
    assert_eq!(receipt.logs, [suite.transfer_log(ALICE, BOB, id)]);
    assert_eq!(suite.owner_of(id).unwrap(), BOB);
    assert_eq!(suite.balance_of(ALICE), U256::ZERO);
    assert_eq!(suite.balance_of(BOB), n(1));
    assert!(!suite.is_licensed(ALICE));
    assert!(suite.is_licensed(BOB));
    // Refused, in Solady's order: unknown token, wrong `from`, caller, zero `to`.
    assert_eq!(
        suite
            .transfer(BOB, BOB, ALICE, suite.token_id(9))
            .unwrap_revert(),
        error(TokenDoesNotExist {})
    );
    assert_eq!(
        suite.transfer(BOB, ALICE, CAROL, id).unwrap_revert(),
        error(TransferFromIncorrectOwner {})
    );
    assert_eq!(
        suite.transfer(CAROL, BOB, CAROL, id).unwrap_revert(),
        error(NotOwnerNorApproved {})
    );
    assert_eq!(
        suite
            .transfer(CAROL, BOB, Address::ZERO, id)
            .unwrap_revert(),
        error(NotOwnerNorApproved {})
    );
    assert_eq!(
        suite.transfer(BOB, BOB, Address::ZERO, id).unwrap_revert(),
        error(TransferToZeroAddress {})
    );
    // Payable in the ABI, but ETH is refused (checked once `from` holds the token).
    let with_value = suite.send_value(
        BOB,
        n(1),
        &transferFromCall {
            from: BOB,
            to: CAROL,
            id,
        },
    );
    assert_eq!(
        with_value.unwrap_revert(),
        error(WrongPayment {
            expected: U256::ZERO,
            sent: n(1),
        })
    );
    let wrong_from = suite.send_value(
        BOB,
        n(1),
        &transferFromCall {
            from: CAROL,
            to: BOB,
            id,
        },
    );
    assert_eq!(
        wrong_from.unwrap_revert(),
        error(TransferFromIncorrectOwner {})
    );
    assert_eq!(suite.owner_of(id).unwrap(), BOB);
}

#[test]
fn a_non_transferable_licence_never_changes_holder() {
    let suite = Suite::new();
    suite.fund(suite.usdc, ALICE, n(500));
    let id = suite.buy(ALICE, USDC_CAPPED, ALICE, 0).unwrap();
    for to in [BOB, Address::ZERO] {
        assert_eq!(
            suite.transfer(ALICE, ALICE, to, id).unwrap_revert(),
            error(NonTransferable { tokenId: id })
        );
    }
    assert_eq!(
        suite
            .send(
                ALICE,
                &safeTransferFrom_0Call {
                    from: ALICE,
                    to: BOB,
                    id,
                }
            )
            .unwrap_revert(),
        error(NonTransferable { tokenId: id })
    );
    // Approvals are still allowed; the transfer is not.
    suite
        .send(ALICE, &approveCall { account: BOB, id })
        .unwrap();
    assert_eq!(
        suite.transfer(BOB, ALICE, BOB, id).unwrap_revert(),
        error(NonTransferable { tokenId: id })
    );
}

#[test]
fn approvals_let_another_account_move_a_licence() {
    let suite = Suite::new();
    let id = suite.buy_eth(ALICE, ETH_PERPETUAL);
    assert_eq!(
        suite
            .send(BOB, &approveCall { account: BOB, id })
            .unwrap_revert(),
        error(NotOwnerNorApproved {})
    );
    assert_eq!(
        suite
            .send(
                BOB,
                &approveCall {
                    account: BOB,
                    id: suite.token_id(9)
                }
            )
            .unwrap_revert(),
        error(TokenDoesNotExist {})
    );
    assert_eq!(
        suite
            .send_value(ALICE, n(3), &approveCall { account: BOB, id })
            .unwrap_revert(),
        error(WrongPayment {
            expected: U256::ZERO,
            sent: n(3),
        })
    );
    let receipt = suite.send(ALICE, &approveCall { account: BOB, id });
    assert_eq!(
        receipt.logs,
        [Log::of(
            suite.licences,
            &Approval {
                owner: ALICE,
                account: BOB,
                id,
            }
        )]
    );
    assert_eq!(suite.view(&getApprovedCall { id }), BOB);
    // The approved account moves it; the approval is cleared without an event.
    let receipt = suite.transfer(BOB, ALICE, CAROL, id);
    assert_eq!(receipt.logs, [suite.transfer_log(ALICE, CAROL, id)]);
    assert_eq!(suite.view(&getApprovedCall { id }), Address::ZERO);
    assert_eq!(
        suite.transfer(BOB, CAROL, BOB, id).unwrap_revert(),
        error(NotOwnerNorApproved {})
    );
    // An operator approves and moves every licence of its owner.
    let receipt = suite.send(
        CAROL,
        &setApprovalForAllCall {
            operator: ALICE,
            isApproved: true,
        },
    );
    assert_eq!(
        receipt.logs,
        [Log::of(
            suite.licences,
            &ApprovalForAll {
                owner: CAROL,
                operator: ALICE,
                isApproved: true,
            }
        )]
    );
    assert!(suite.view(&isApprovedForAllCall {
        owner: CAROL,
        operator: ALICE
    }));
    suite
        .send(ALICE, &approveCall { account: BOB, id })
        .unwrap();
    assert_eq!(suite.view(&getApprovedCall { id }), BOB);
    suite.transfer(ALICE, CAROL, ALICE, id).unwrap();
    assert_eq!(suite.owner_of(id).unwrap(), ALICE);
    suite
        .send(
            CAROL,
            &setApprovalForAllCall {
                operator: ALICE,
                isApproved: false,
            },
        )
        .unwrap();
    assert!(!suite.view(&isApprovedForAllCall {
        owner: CAROL,
        operator: ALICE
    }));
}

#[test]
fn safe_transfers_and_mints_ask_contract_recipients() {
    let suite = Suite::new();
    let receiver = suite.chain.deploy_plain(ERC721_RECEIVER);
    // A safe mint: the operator is the buyer, `from` zero, no data.
    let receipt = suite.buy(ALICE, ETH_PERPETUAL, receiver, 1000);
    let id = suite.token_id(1);
    assert_eq!(
        receipt.logs[2..],
        [
            suite.transfer_log(Address::ZERO, receiver, id),
            Log::of(
                receiver,
                &Received {
                    operator: ALICE,
                    from: Address::ZERO,
                    tokenId: id,
                    data: Bytes::new(),
                }
            ),
        ]
    );
    // Safe transfers to a contract, with and without data; to an account, no call.
    let id = suite.buy_eth(ALICE, ETH_PERPETUAL);
    suite
        .send(ALICE, &approveCall { account: BOB, id })
        .unwrap();
    let receipt = suite.send(
        BOB,
        &safeTransferFrom_1Call {
            from: ALICE,
            to: receiver,
            id,
            data: Bytes::from_static(b"training run 7"),
        },
    );
    assert_eq!(
        receipt.logs,
        [
            suite.transfer_log(ALICE, receiver, id),
            Log::of(
                receiver,
                &Received {
                    operator: BOB,
                    from: ALICE,
                    tokenId: id,
                    data: Bytes::from_static(b"training run 7"),
                }
            ),
        ]
    );
    let id = suite.buy_eth(ALICE, ETH_PERPETUAL);
    let receipt = suite.send(
        ALICE,
        &safeTransferFrom_0Call {
            from: ALICE,
            to: receiver,
            id,
        },
    );
    assert_eq!(receipt.logs[1].address, receiver);
    let id = suite.buy_eth(ALICE, ETH_PERPETUAL);
    let receipt = suite.send(
        ALICE,
        &safeTransferFrom_0Call {
            from: ALICE,
            to: BOB,
            id,
        },
    );
    assert_eq!(receipt.logs, [suite.transfer_log(ALICE, BOB, id)]);
    // Refusals: a reason is bubbled; no reason, a wrong or a short answer is Solady's error.
    let with_reason = suite.chain.deploy_plain(REJECTS_WITH_REASON);
    let to_reject = suite.buy_eth(ALICE, ETH_PERPETUAL);
    assert_eq!(
        suite
            .send(
                ALICE,
                &safeTransferFrom_0Call {
                    from: ALICE,
                    to: with_reason,
                    id: to_reject,
                }
            )
            .unwrap_revert(),
        tributary_stylus_testchain::receiver::NoEthAccepted {}.abi_encode()
    );
    let not_a_receiver = error(TransferToNonERC721ReceiverImplementer {});
    for entrypoint in [REJECTS_SILENTLY, ERC721_WRONG_ANSWER, ERC721_SHORT_ANSWER] {
        let contract = suite.chain.deploy_plain(entrypoint);
        assert_eq!(
            suite
                .send(
                    ALICE,
                    &safeTransferFrom_1Call {
                        from: ALICE,
                        to: contract,
                        id: to_reject,
                        data: Bytes::from_static(b"x"),
                    }
                )
                .unwrap_revert(),
            not_a_receiver
        );
        // A purchase minted to it is undone whole, payment included.
        let splits_before = suite.chain.balance(suite.splits);
        assert_eq!(
            suite
                .buy(ALICE, ETH_PERPETUAL, contract, 1000)
                .unwrap_revert(),
            not_a_receiver
        );
        assert_eq!(suite.chain.balance(suite.splits), splits_before);
    }
    assert_eq!(suite.owner_of(to_reject).unwrap(), ALICE);
    // Plain `transferFrom` asks no one.
    let silent = suite.chain.deploy_plain(REJECTS_SILENTLY);
    suite.transfer(ALICE, ALICE, silent, to_reject).unwrap();
}

// ---------------------------------------------------------------------- holder index

#[test]
fn the_index_counts_licences_sharing_the_latest_expiry() {
    let suite = Suite::new();
    let first = suite.buy_eth(ALICE, ETH_PERPETUAL);
    let second = suite.buy_eth(ALICE, ETH_PERPETUAL);
    let short = suite.buy_eth(ALICE, ETH_SHORT);
    assert_eq!(suite.licensed_until(ALICE), u64::MAX);
    suite.transfer(ALICE, ALICE, BOB, first).unwrap();
    assert_eq!(suite.licensed_until(ALICE), u64::MAX, "one perpetual left");
    suite.transfer(ALICE, ALICE, BOB, second).unwrap();
    // The last licence at the entry's expiry left: the entry under-states (ALICE still holds
    // `short`), never over-states.
    assert_eq!(suite.licensed_until(ALICE), 0);
    assert!(!suite.is_licensed(ALICE));
    assert_eq!(suite.owner_of(short).unwrap(), ALICE);
    // Anyone may refresh it from the kept licence.
    suite
        .send(CAROL, &refreshLicenceCall { tokenId: short })
        .unwrap();
    let until = suite.chain.timestamp() + 1000;
    assert_eq!(suite.licensed_until(ALICE), until);
    assert!(suite.is_licensed(ALICE));
    // Refreshing never lowers an entry or counts a licence twice.
    suite
        .send(BOB, &refreshLicenceCall { tokenId: first })
        .unwrap();
    assert_eq!(suite.licensed_until(BOB), u64::MAX);
    suite
        .send(ALICE, &refreshLicenceCall { tokenId: short })
        .unwrap();
    suite.transfer(ALICE, ALICE, CAROL, short).unwrap();
    assert_eq!(suite.licensed_until(ALICE), 0);
    assert_eq!(suite.licensed_until(CAROL), until);
    // A shorter licence joining a longer entry leaves it as it is.
    suite.transfer(CAROL, CAROL, BOB, short).unwrap();
    assert_eq!(suite.licensed_until(BOB), u64::MAX);
    suite.transfer(BOB, BOB, CAROL, first).unwrap();
    assert_eq!(
        suite.licensed_until(BOB),
        u64::MAX,
        "`second` is still held"
    );
    // Datasets are indexed apart.
    let other = Suite {
        dataset: suite.register(),
        ..suite
    };
    assert_eq!(other.licensed_until(BOB), 0);
    other.buy_eth(BOB, ETH_SHORT);
    assert_eq!(other.licensed_until(BOB), other.chain.timestamp() + 1000);
}

#[test]
fn a_licence_expires_at_its_exact_second() {
    let suite = Suite::new();
    let start = suite.chain.timestamp();
    let id = suite.buy_eth(ALICE, ETH_SHORT);
    assert_eq!(
        suite.view(&licenceCall { tokenId: id }).expiresAt,
        start + 1000
    );
    assert_eq!(suite.licensed_until(ALICE), start + 1000);
    suite.chain.set_timestamp(start + 999);
    assert!(suite.is_licensed(ALICE));
    suite.chain.set_timestamp(start + 1000);
    assert!(!suite.is_licensed(ALICE));
    assert_eq!(suite.licensed_until(ALICE), start + 1000);
    suite.chain.set_timestamp(start + 1001);
    assert!(!suite.is_licensed(ALICE));
    // A duration that would pass 64 bits is perpetual.
    let id = suite.buy_eth(BOB, ALMOST_FOREVER);
    assert_eq!(suite.view(&licenceCall { tokenId: id }).expiresAt, u64::MAX);
    assert!(suite.is_licensed(BOB));
}

#[test]
fn the_serial_is_a_checked_64_bit_counter() {
    let suite = Suite::new();
    suite.buy_eth(ALICE, ETH_PERPETUAL);
    // Slot 3 packs, from the low bytes up: the credits address, the pause switch, the serial.
    let slot = U256::from(3);
    let mut word = suite.chain.storage(suite.licences, slot);
    assert_eq!(word[12..], suite.credits[..]);
    assert_eq!(word[3..11], 1u64.to_be_bytes());
    word[3..11].copy_from_slice(&(u64::MAX - 1).to_be_bytes());
    suite.chain.set_storage(suite.licences, slot, word);
    let last = suite.buy_eth(ALICE, ETH_PERPETUAL);
    assert_eq!(last, suite.token_id(u64::MAX));
    assert_eq!(
        suite.buy(ALICE, ETH_PERPETUAL, ALICE, 1000).unwrap_revert(),
        panic_data(PANIC_OVERFLOW)
    );
}

#[test]
fn a_balance_stops_at_2_to_the_32_minus_1() {
    let suite = Suite::new();
    let id = suite.buy_eth(ALICE, ETH_PERPETUAL);
    suite.buy_eth(BOB, ETH_PERPETUAL);
    // BOB's balance slot: the one that reads 1 and differs from ALICE's after a transfer.
    let find = |value: u64| {
        let balances_root = (0..16u64).map(U256::from).find(|root| {
            let slot = keccak256((BOB, *root).abi_encode());
            suite.chain.storage(suite.licences, slot.into()) == B256::from(U256::from(value))
        });
        balances_root.expect("balances are a mapping of 32-bit words")
    };
    let root = find(1);
    let slot: U256 = keccak256((BOB, root).abi_encode()).into();
    suite
        .chain
        .set_storage(suite.licences, slot, B256::from(U256::from(u32::MAX)));
    assert_eq!(suite.balance_of(BOB), U256::from(u32::MAX));
    assert_eq!(
        suite.transfer(ALICE, ALICE, BOB, id).unwrap_revert(),
        error(AccountBalanceOverflow {})
    );
    assert_eq!(
        suite.buy(ALICE, ETH_PERPETUAL, BOB, 1000).unwrap_revert(),
        error(AccountBalanceOverflow {})
    );
}

// ---------------------------------------------------------------------- AccessControl

#[test]
fn roles_are_openzeppelin_access_control() {
    let suite = Suite::new();
    assert_eq!(
        suite.view(&getRoleAdminCall { role: PAUSER_ROLE }),
        DEFAULT_ADMIN_ROLE
    );
    assert!(suite.view(&hasRoleCall {
        role: PAUSER_ROLE,
        account: PAUSER
    }));
    assert_eq!(
        suite
            .send(
                ALICE,
                &grantRoleCall {
                    role: PAUSER_ROLE,
                    account: ALICE
                }
            )
            .unwrap_revert(),
        unauthorized(ALICE, DEFAULT_ADMIN_ROLE)
    );
    let receipt = suite.send(
        ADMIN,
        &grantRoleCall {
            role: PAUSER_ROLE,
            account: ALICE,
        },
    );
    assert_eq!(
        receipt.logs,
        [Log::of(
            suite.licences,
            &RoleGranted {
                role: PAUSER_ROLE,
                account: ALICE,
                sender: ADMIN,
            }
        )]
    );
    suite.pause();
    assert_eq!(
        suite
            .send(
                ALICE,
                &renounceRoleCall {
                    role: PAUSER_ROLE,
                    callerConfirmation: BOB
                }
            )
            .unwrap_revert(),
        error(AccessControlBadConfirmation {})
    );
    let receipt = suite.send(
        ADMIN,
        &revokeRoleCall {
            role: PAUSER_ROLE,
            account: ALICE,
        },
    );
    assert_eq!(
        receipt.logs,
        [Log::of(
            suite.licences,
            &RoleRevoked {
                role: PAUSER_ROLE,
                account: ALICE,
                sender: ADMIN,
            }
        )]
    );
    assert_eq!(
        suite
            .send(ALICE, &ITributary::unpauseCall {})
            .unwrap_revert(),
        unauthorized(ALICE, PAUSER_ROLE)
    );
    suite
        .send(
            PAUSER,
            &renounceRoleCall {
                role: PAUSER_ROLE,
                callerConfirmation: PAUSER,
            },
        )
        .unwrap();
    assert!(!suite.view(&hasRoleCall {
        role: PAUSER_ROLE,
        account: PAUSER
    }));
}
