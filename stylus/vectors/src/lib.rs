//! The Stylus runner of the suite's conformance vectors (`test/vectors/suite/`, format in its
//! README): deploys the four contracts and the test tokens on the native test chain
//! (`tributary-stylus-testchain`), the registry at the vectors' fixed `suite` address (the
//! EIP-712 verifying contract the signatures in the vectors were made for), sends every call to
//! the contract that owns it, and compares the raw return or revert data and the suite's logs,
//! emitter included, byte for byte. The Solidity build runs the same files under forge
//! (`test/utils/VectorRunner.sol`).

use std::fmt;
use std::path::{Path, PathBuf};

use alloy_primitives::{hex, keccak256, Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolValue};
use serde_json::Value;
use tributary_stylus_testchain::{token, Chain, Entrypoint, Log};

sol! {
    function grantRole(bytes32 role, address account) external;
    function setTokenAllowed(address token, bool allowed) external;
    function mint(address to, uint256 value) external;
    function approve(address spender, uint256 value) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// Deploys the suite's contracts (no role of its own).
const DEPLOYER: Address = Address::with_last_byte(0xde);

fn registry_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use tributary_stylus_registry::Registry;
    stylus_sdk::abi::router_entrypoint::<Registry, Registry>(input, vm)
}

fn licences_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use tributary_stylus_licences::Licences;
    stylus_sdk::abi::router_entrypoint::<Licences, Licences>(input, vm)
}

fn splits_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use tributary_stylus_splits::Splits;
    stylus_sdk::abi::router_entrypoint::<Splits, Splits>(input, vm)
}

fn credits_entrypoint(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use tributary_stylus_credits::Credits;
    stylus_sdk::abi::router_entrypoint::<Credits, Credits>(input, vm)
}

/// A scenario that failed: its file and the first difference.
#[derive(Debug)]
pub struct Failure {
    /// The scenario file, relative to `test/vectors/suite/`.
    pub file: String,
    /// The step and what differed.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// The vectors' folder.
pub fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test/vectors/suite")
}

/// Runs every scenario of `group` (a key of `index.json`); the scenarios that failed.
pub fn run_group(group: &str) -> Result<Vec<Failure>, String> {
    let index = read_json(&directory().join("index.json"))?;
    let files = index[group]["scenarios"]
        .as_array()
        .ok_or_else(|| format!("index.json has no group {group:?}"))?;
    let mut failures = Vec::new();
    for file in files {
        let file = file
            .as_str()
            .ok_or("index.json: a scenario path is not a string")?;
        let scenario = read_json(&directory().join(file))?;
        if let Err(message) = run_scenario(&scenario) {
            failures.push(Failure {
                file: file.into(),
                message,
            });
        }
    }
    Ok(failures)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("reading {}: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| format!("parsing {}: {error}", path.display()))
}

/// Runs one scenario from a fresh chain; the first difference found, if any.
pub fn run_scenario(scenario: &Value) -> Result<(), String> {
    let suite = Suite::deploy(&scenario["setup"]).map_err(|error| format!("setup: {error}"))?;
    let steps = scenario["steps"].as_array().ok_or("no steps")?;
    for (index, step) in steps.iter().enumerate() {
        suite
            .step(step)
            .map_err(|error| format!("step {index} ({}): {error}", describe(step)))?;
    }
    Ok(())
}

fn describe(step: &Value) -> String {
    match step["kind"].as_str() {
        Some("call") => format!(
            "{} from {}",
            step["function"].as_str().unwrap_or("?"),
            step["fromName"].as_str().unwrap_or("?")
        ),
        Some(kind) => kind.to_string(),
        None => "?".into(),
    }
}

struct Suite {
    chain: Chain,
    registry: Address,
    licences: Address,
    splits: Address,
    credits: Address,
}

impl Suite {
    /// The four contracts wired as docs/stylus.md describes, the tokens, roles and balances.
    fn deploy(setup: &Value) -> Result<Self, String> {
        let chain = Chain::new();
        chain.set_timestamp(number(&setup["startTime"])?.to::<u64>());
        let admin = address(&setup["admin"])?;
        let treasury = address(&setup["treasury"])?;
        let fee_bps = number(&setup["feeBps"])?.to::<u16>();
        let deploy = |entrypoint: Entrypoint, args: Vec<u8>| {
            chain
                .deploy(entrypoint, DEPLOYER, Some(args))
                .map_err(|data| format!("a constructor reverted with 0x{}", hex::encode(data)))
        };
        let splits = deploy(
            splits_entrypoint,
            (admin, treasury, fee_bps).abi_encode_params(),
        )?;
        let registry = chain
            .deploy_at(
                registry_entrypoint,
                address(&setup["suite"])?,
                DEPLOYER,
                Some((splits,).abi_encode_params()),
            )
            .map_err(|data| {
                format!(
                    "the registry's constructor reverted: 0x{}",
                    hex::encode(data)
                )
            })?;
        let credits = deploy(credits_entrypoint, (admin,).abi_encode_params())?;
        let licences = deploy(
            licences_entrypoint,
            (admin, registry, splits, credits).abi_encode_params(),
        )?;
        let suite = Self {
            chain,
            registry,
            licences,
            splits,
            credits,
        };
        let suite_role = keccak256("SUITE_ROLE");
        suite.setup_call(
            admin,
            splits,
            &grantRoleCall {
                role: suite_role,
                account: licences,
            },
        )?;
        suite.setup_call(
            admin,
            credits,
            &grantRoleCall {
                role: suite_role,
                account: licences,
            },
        )?;
        for relayer in addresses(&setup["relayers"])? {
            let role = keccak256("RELAYER_ROLE");
            suite.setup_call(
                admin,
                credits,
                &grantRoleCall {
                    role,
                    account: relayer,
                },
            )?;
        }
        for pauser in addresses(&setup["pausers"])? {
            let role = keccak256("PAUSER_ROLE");
            suite.setup_call(
                admin,
                licences,
                &grantRoleCall {
                    role,
                    account: pauser,
                },
            )?;
        }
        for token in setup["tokens"].as_array().ok_or("no tokens")? {
            suite.deploy_token(token)?;
        }
        for token in addresses(&setup["allowedTokens"])? {
            suite.setup_call(
                admin,
                splits,
                &setTokenAllowedCall {
                    token,
                    allowed: true,
                },
            )?;
        }
        for grant in setup["eth"].as_array().ok_or("no eth")? {
            suite
                .chain
                .set_balance(address(&grant["account"])?, number(&grant["amount"])?);
        }
        Ok(suite)
    }

    fn deploy_token(&self, token: &Value) -> Result<(), String> {
        let mode = match token["kind"].as_str() {
            Some("standard") => token::Mode::Standard,
            Some("feeOnTransfer") => token::Mode::FeeOnTransfer,
            other => return Err(format!("unknown token kind {other:?}")),
        };
        let at = address(&token["address"])?;
        self.chain
            .deploy_at(
                token::ENTRYPOINT,
                at,
                Address::ZERO,
                Some(U256::from(mode as u8).abi_encode()),
            )
            .map_err(|_| "a token's constructor reverted".to_string())?;
        for grant in token["grants"].as_array().ok_or("no grants")? {
            let account = address(&grant["account"])?;
            let minted = number(&grant["minted"])?;
            self.setup_call(
                account,
                at,
                &mintCall {
                    to: account,
                    value: minted,
                },
            )?;
            let approved = number(&grant["approved"])?;
            self.setup_call(
                account,
                at,
                &approveCall {
                    spender: self.splits,
                    value: approved,
                },
            )?;
        }
        Ok(())
    }

    fn setup_call<C: SolCall>(&self, from: Address, to: Address, call: &C) -> Result<(), String> {
        let receipt = self.chain.call_raw(from, to, U256::ZERO, call.abi_encode());
        receipt
            .result
            .map(drop)
            .map_err(|data| format!("{} reverted with 0x{}", C::SIGNATURE, hex::encode(data)))
    }

    fn owner(&self, name: &Value) -> Result<Address, String> {
        match name.as_str() {
            Some("registry") => Ok(self.registry),
            Some("licences") => Ok(self.licences),
            Some("splits") => Ok(self.splits),
            Some("credits") => Ok(self.credits),
            other => Err(format!("unknown owner {other:?}")),
        }
    }

    fn step(&self, step: &Value) -> Result<(), String> {
        match step["kind"].as_str() {
            Some("call") => self.call(step),
            Some("warp") => {
                self.chain.set_timestamp(number(&step["time"])?.to::<u64>());
                Ok(())
            }
            Some("balance") => self.balance(step),
            other => Err(format!("unknown step kind {other:?}")),
        }
    }

    fn call(&self, step: &Value) -> Result<(), String> {
        let to = self.owner(&step["owner"])?;
        let receipt = self.chain.call_raw(
            address(&step["from"])?,
            to,
            number(&step["value"])?,
            bytes(&step["calldata"])?,
        );
        let expect = &step["expect"];
        let success = expect["success"].as_bool().ok_or("no expect.success")?;
        let expected_data = bytes(&expect["returndata"])?;
        let (succeeded, data) = match &receipt.result {
            Ok(data) => (true, data),
            Err(data) => (false, data),
        };
        if succeeded != success {
            return Err(format!(
                "{} with 0x{}, expected {}",
                if succeeded { "succeeded" } else { "reverted" },
                hex::encode(data),
                if success { "success" } else { "a revert" },
            ));
        }
        if *data != expected_data {
            return Err(format!(
                "returned 0x{}, expected 0x{}",
                hex::encode(data),
                hex::encode(&expected_data)
            ));
        }
        let suite = [self.registry, self.licences, self.splits, self.credits];
        let logs: Vec<&Log> = receipt
            .logs
            .iter()
            .filter(|log| suite.contains(&log.address))
            .collect();
        let expected = expect["logs"].as_array().ok_or("no expect.logs")?;
        for (index, want) in expected.iter().enumerate() {
            let event = want["event"].as_str().unwrap_or("?");
            let Some(got) = logs.get(index) else {
                return Err(format!("log {index} ({event}) not emitted"));
            };
            let emitter = self.owner(&want["owner"])?;
            if got.address != emitter {
                return Err(format!(
                    "log {index} ({event}) emitted by {}, expected {emitter}",
                    got.address
                ));
            }
            let topics = want["topics"]
                .as_array()
                .ok_or("no topics")?
                .iter()
                .map(|topic| {
                    topic
                        .as_str()
                        .and_then(|t| t.parse::<B256>().ok())
                        .ok_or("bad topic")
                })
                .collect::<Result<Vec<_>, _>>()?;
            if got.topics != topics {
                return Err(format!(
                    "log {index} ({event}): topics {:?}, expected {topics:?}",
                    got.topics
                ));
            }
            let data = bytes(&want["data"])?;
            if got.data.as_ref() != data.as_slice() {
                return Err(format!(
                    "log {index} ({event}): data 0x{}, expected 0x{}",
                    hex::encode(&got.data),
                    hex::encode(&data)
                ));
            }
        }
        if logs.len() != expected.len() {
            return Err(format!("{} logs, expected {}", logs.len(), expected.len()));
        }
        Ok(())
    }

    fn balance(&self, step: &Value) -> Result<(), String> {
        let token = address(&step["token"])?;
        let holder = match step["holder"].as_str() {
            Some("suite") => self.splits,
            _ => address(&step["holder"])?,
        };
        let balance = if token == Address::ZERO {
            self.chain.balance(holder)
        } else {
            self.chain.view(token, &balanceOfCall { account: holder })
        };
        let expected = number(&step["expected"])?;
        if balance != expected {
            return Err(format!("balance {balance}, expected {expected}"));
        }
        Ok(())
    }
}

fn number(value: &Value) -> Result<U256, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| format!("{n} is not a u64")),
        Value::String(s) => s.parse().map_err(|_| format!("{s:?} is not a number")),
        other => Err(format!("{other} is not a number")),
    }
}

fn address(value: &Value) -> Result<Address, String> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{value} is not an address"))
}

fn addresses(value: &Value) -> Result<Vec<Address>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("{value} is not a list"))?
        .iter()
        .map(address)
        .collect()
}

fn bytes(value: &Value) -> Result<Vec<u8>, String> {
    value
        .as_str()
        .and_then(|s| hex::decode(s).ok())
        .ok_or_else(|| format!("{value} is not hex"))
}
