//! A scenario: the suite's starting configuration, then steps (calls with what they must
//! return, revert or emit; time passing; balance checks).

use alloy::{
    primitives::{Address, B256, Bytes, U256, hex},
    sol_types::{SolCall, SolError, SolEvent, SolType, SolValue, abi::TokenSeq},
};
use serde_json::{Value, json};

use super::{
    abi::Abi,
    actors::{self, Actor, FEE_TOKEN, START_TIME, USDC},
};

/// The suite contract that owns a function or event in the Stylus build (docs/stylus.md, "Which
/// contract owns what"). The Solidity build has one contract, `Tributary`, for all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    Registry,
    Licences,
    Splits,
    Credits,
}

impl Owner {
    fn name(self) -> &'static str {
        match self {
            Owner::Registry => "registry",
            Owner::Licences => "licences",
            Owner::Splits => "splits",
            Owner::Credits => "credits",
        }
    }

    /// The owner of a function or event by name; `None` for AccessControl's, which every
    /// contract with roles has (a vector names the target of those).
    fn of(name: &str) -> Option<Self> {
        const REGISTRY: &[&str] = &[
            "register",
            "registerWithSig",
            "publishVersion",
            "publishVersionWithSig",
            "setStatus",
            "setStatusWithSig",
            "setTerms",
            "setTermsWithSig",
            "anchorBatch",
            "dataset",
            "datasetCount",
            "batchAnchor",
            "verifyBatchInclusion",
            "nonces",
            "hashSplit",
            "hashTerms",
            "MAX_PAYEES",
            "MAX_OFFERS",
            "eip712Domain",
            "DatasetRegistered",
            "VersionPublished",
            "StatusChanged",
            "TermsSet",
            "BatchAnchored",
        ];
        const LICENCES: &[&str] = &[
            "purchase",
            "purchaseWithCredits",
            "issueCustomLicence",
            "reportRevenue",
            "refreshLicence",
            "isLicensed",
            "licensedUntil",
            "licence",
            "licencePaymentToken",
            "offerSold",
            "PAUSER_ROLE",
            "pause",
            "unpause",
            "paused",
            "balanceOf",
            "ownerOf",
            "getApproved",
            "isApprovedForAll",
            "approve",
            "setApprovalForAll",
            "transferFrom",
            "safeTransferFrom",
            "name",
            "symbol",
            "tokenURI",
            "supportsInterface",
            "LicenceIssued",
            "RevenueReported",
            "Transfer",
            "Approval",
            "ApprovalForAll",
            "Paused",
            "Unpaused",
        ];
        const SPLITS: &[&str] = &[
            "release",
            "releaseProtocolFees",
            "setProtocolFee",
            "setTokenAllowed",
            "releasable",
            "totalReceived",
            "released",
            "protocolFeesOwed",
            "protocolFee",
            "isTokenAllowed",
            "MAX_FEE_BPS",
            "PaymentReceived",
            "PaymentReleased",
            "ProtocolFeeSet",
            "ProtocolFeesReleased",
            "TokenAllowed",
        ];
        const CREDITS: &[&str] = &[
            "mintCredits",
            "reverseCredits",
            "creditBalance",
            "creditPayment",
            "licencesOfPayment",
            "MAX_LICENCES_PER_PAYMENT",
            "RELAYER_ROLE",
            "CreditsMinted",
            "CreditsSpent",
            "CreditsReversed",
            "LicenceFlagged",
        ];
        [
            (Owner::Registry, REGISTRY),
            (Owner::Licences, LICENCES),
            (Owner::Splits, SPLITS),
            (Owner::Credits, CREDITS),
        ]
        .into_iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(owner, _)| owner)
    }
}

/// The name part of a Solidity signature (`Transfer(address,…)` → `Transfer`).
fn name_of(signature: &str) -> &str {
    signature.split('(').next().unwrap_or(signature)
}

/// How a test token behaves (each runner deploys its own implementation at the address).
#[derive(Clone, Copy)]
pub(crate) enum TokenKind {
    /// OpenZeppelin 5's ERC-20.
    Standard,
    /// Keeps 1 % (rounded down) of every transfer between accounts.
    FeeOnTransfer,
}

/// What a scenario starts from.
pub(crate) struct Setup {
    pub(crate) fee_bps: u16,
    pub(crate) treasury: Address,
    pub(crate) relayers: Vec<Address>,
    pub(crate) pausers: Vec<Address>,
    /// ERC-20s the admin allow-lists before the first step.
    pub(crate) allowed_tokens: Vec<Address>,
    /// `(account, wei)`.
    pub(crate) eth: Vec<(Address, U256)>,
    /// `(token, account, minted, approved to the suite)`.
    pub(crate) token_grants: Vec<(Address, Address, U256, U256)>,
}

impl Default for Setup {
    /// A 2.5 % protocol fee; the named relayer and pauser; USDC allow-listed; 100 ETH for the
    /// creators, buyers and the relayer; 1,000,000 USDC (6 decimals) for alice and bob, approved.
    fn default() -> Self {
        let mut eth = Vec::new();
        for actor in [
            actors::creator(),
            actors::creator2(),
            actors::alice(),
            actors::bob(),
            actors::relayer(),
        ] {
            eth.push((actor.address(), ether(100)));
        }
        let usdc = U256::from(1_000_000_000_000u64);
        Self {
            fee_bps: 250,
            treasury: actors::treasury().address(),
            relayers: vec![actors::relayer().address()],
            pausers: vec![actors::pauser().address()],
            allowed_tokens: vec![USDC],
            eth,
            token_grants: vec![
                (USDC, actors::alice().address(), usdc, usdc),
                (USDC, actors::bob().address(), usdc, usdc),
            ],
        }
    }
}

/// `n` ether in wei.
pub(crate) fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// One expected log: its emitter in the Stylus build, topics and data.
struct ExpectedLog {
    owner: Owner,
    topics: Vec<B256>,
    data: Bytes,
}

/// A call and what must come back.
pub(crate) struct Call {
    from: Actor,
    value: U256,
    calldata: Vec<u8>,
    function: &'static str,
    owner: Option<Owner>,
    success: bool,
    returndata: Vec<u8>,
    logs: Vec<ExpectedLog>,
}

impl Call {
    /// Sends `value` wei with the call.
    pub(crate) fn value(&mut self, value: U256) -> &mut Self {
        self.value = value;
        self
    }

    /// The contract a function every suite contract has (AccessControl's) is sent to in the
    /// Stylus build.
    pub(crate) fn on(&mut self, owner: Owner) -> &mut Self {
        self.owner = Some(owner);
        self
    }

    /// The call must succeed and return `values`, a tuple of the function's outputs.
    pub(crate) fn returns<T>(&mut self, values: T) -> &mut Self
    where
        T: SolValue,
        for<'a> <T::SolType as SolType>::Token<'a>: TokenSeq<'a>,
    {
        self.success = true;
        self.returndata = values.abi_encode_params();
        self
    }

    /// The call must revert with `error`.
    pub(crate) fn reverts<E: SolError>(&mut self, error: E) -> &mut Self {
        self.success = false;
        self.returndata = error.abi_encode();
        self
    }

    /// The call must emit `event` (after the events expected so far).
    pub(crate) fn emits<E: SolEvent>(&mut self, event: E) -> &mut Self {
        let owner = Owner::of(name_of(E::SIGNATURE));
        let data = event.encode_log_data();
        self.logs.push(ExpectedLog {
            // An AccessControl event: the call's own target emits it.
            owner: owner.or(self.owner).unwrap_or(Owner::Licences),
            topics: data.topics().to_vec(),
            data: data.data,
        });
        self
    }
}

enum Step {
    Call(Box<Call>),
    Warp(u64),
    /// ETH (`token` zero) or ERC-20 balance of an account, or of the suite when `holder` is `None`.
    Balance {
        token: Address,
        holder: Option<Address>,
        expected: U256,
    },
}

/// A named sequence of steps from a [`Setup`].
pub(crate) struct Scenario {
    pub(crate) name: String,
    description: String,
    pub(crate) setup: Setup,
    now: u64,
    steps: Vec<Step>,
}

impl Scenario {
    /// A scenario from the default [`Setup`], at [`START_TIME`].
    pub(crate) fn new(name: &str, description: &str) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            setup: Setup::default(),
            now: START_TIME,
            steps: Vec::new(),
        }
    }

    /// The block time the next call runs at.
    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    /// `from` sends `call`; by default it must succeed, return nothing and emit nothing.
    pub(crate) fn call<C: SolCall>(&mut self, from: &Actor, call: C) -> &mut Call {
        self.steps.push(Step::Call(Box::new(Call {
            from: from.clone(),
            value: U256::ZERO,
            calldata: call.abi_encode(),
            function: C::SIGNATURE,
            owner: Owner::of(name_of(C::SIGNATURE)),
            success: true,
            returndata: Vec::new(),
            logs: Vec::new(),
        })));
        self.last_call()
    }

    /// The last call step, to state what it must do.
    pub(crate) fn last_call(&mut self) -> &mut Call {
        match self.steps.iter_mut().rev().find_map(|step| match step {
            Step::Call(call) => Some(call.as_mut()),
            _ => None,
        }) {
            Some(call) => call,
            None => panic!("last_call before any call"),
        }
    }

    /// Moves the block time forward by `seconds`.
    pub(crate) fn warp(&mut self, seconds: u64) {
        self.now += seconds;
        self.steps.push(Step::Warp(self.now));
    }

    /// `account`'s balance of `token` (zero: ETH) must be `expected`.
    pub(crate) fn balance(&mut self, token: Address, account: &Actor, expected: U256) {
        self.steps.push(Step::Balance {
            token,
            holder: Some(account.address()),
            expected,
        });
    }

    /// The suite's balance of `token` (zero: ETH), held by its paying contract, must be `expected`.
    pub(crate) fn suite_balance(&mut self, token: Address, expected: U256) {
        self.steps.push(Step::Balance {
            token,
            holder: None,
            expected,
        });
    }

    /// The scenario as JSON (`test/vectors/suite/README.md`).
    pub(crate) fn to_json(&self, abi: &Abi) -> Result<Value, String> {
        let setup = &self.setup;
        let tokens = [
            (USDC, TokenKind::Standard),
            (FEE_TOKEN, TokenKind::FeeOnTransfer),
        ]
        .into_iter()
        .map(|(address, kind)| {
            let grants: Vec<Value> = setup
                .token_grants
                .iter()
                .filter(|grant| grant.0 == address)
                .map(|(_, account, minted, approved)| {
                    json!({
                        "account": account.to_checksum(None),
                        "minted": minted.to_string(),
                        "approved": approved.to_string(),
                    })
                })
                .collect();
            json!({
                "address": address.to_checksum(None),
                "kind": match kind {
                    TokenKind::Standard => "standard",
                    TokenKind::FeeOnTransfer => "feeOnTransfer",
                },
                "grants": grants,
            })
        })
        .collect::<Vec<_>>();
        let steps = self
            .steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                step_json(step, abi).map_err(|error| format!("step {index}: {error}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({
            "name": self.name,
            "description": self.description,
            "setup": {
                "startTime": START_TIME,
                "chainId": actors::CHAIN_ID,
                "suite": actors::SUITE.to_checksum(None),
                "feeBps": setup.fee_bps,
                "treasury": setup.treasury.to_checksum(None),
                "admin": actors::admin().address().to_checksum(None),
                "relayers": setup.relayers.iter().map(|a| a.to_checksum(None)).collect::<Vec<_>>(),
                "pausers": setup.pausers.iter().map(|a| a.to_checksum(None)).collect::<Vec<_>>(),
                "allowedTokens": setup.allowed_tokens.iter().map(|a| a.to_checksum(None)).collect::<Vec<_>>(),
                "eth": setup.eth.iter().map(|(account, wei)| json!({
                    "account": account.to_checksum(None),
                    "amount": wei.to_string(),
                })).collect::<Vec<_>>(),
                "tokens": tokens,
            },
            "steps": steps,
        }))
    }
}

fn step_json(step: &Step, abi: &Abi) -> Result<Value, String> {
    Ok(match step {
        Step::Warp(time) => json!({ "kind": "warp", "time": time }),
        Step::Balance {
            token,
            holder,
            expected,
        } => json!({
            "kind": "balance",
            "token": token.to_checksum(None),
            "holder": holder.map_or("suite".to_string(), |a| a.to_checksum(None)),
            "expected": expected.to_string(),
        }),
        Step::Call(call) => {
            let owner = call.owner.ok_or_else(|| {
                format!(
                    "{} is on every contract with roles: say which with `.on(…)`",
                    call.function
                )
            })?;
            let mut logs = Vec::new();
            for log in &call.logs {
                let (event, fields) = abi.event(&log.topics, &log.data)?;
                logs.push(json!({
                    "owner": log.owner.name(),
                    "event": event,
                    "fields": fields,
                    "topics": log.topics,
                    "data": hex::encode_prefixed(&log.data),
                }));
            }
            let outcome = if call.success {
                json!({ "returns": abi.returns(&call.calldata, &call.returndata)? })
            } else {
                abi.error(&call.returndata)?
            };
            json!({
                "kind": "call",
                "from": call.from.address().to_checksum(None),
                "fromName": call.from.name,
                "owner": owner.name(),
                "function": call.function,
                "args": abi.arguments(&call.calldata)?,
                "value": call.value.to_string(),
                "calldata": hex::encode_prefixed(&call.calldata),
                "expect": {
                    "success": call.success,
                    "returndata": hex::encode_prefixed(&call.returndata),
                    "decoded": outcome,
                    "logs": logs,
                },
            })
        }
    })
}
