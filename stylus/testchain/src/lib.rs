//! A native host that runs Stylus contracts together, for the suite's tests.
//!
//! The SDK's `TestVM` answers calls to other contracts from a table of mocked results keyed by
//! exact calldata: it cannot run two contracts, move ETH, or answer `balanceOf` differently
//! before and after a transfer. [`Chain`] implements the SDK's `Host` trait instead and runs
//! every contract for real, through its ABI router (`stylus_sdk::abi::router_entrypoint`): the
//! calldata a test sends is decoded by the contract's own router, and a contract's call to
//! another contract is routed the same way. It keeps per-contract storage, ETH balances, the
//! call stack (`msg.sender`, `msg.value`, reentrancy), logs with their emitter, and it reverts
//! every effect of a failed call frame (storage, balances, logs), as the EVM does.
//!
//! Precompiles: `ecrecover` at `0x01` ([`ecrecover`], with k256), which the registry calls to
//! check EIP-712 signatures. `CREATE` of the chain's own native programs (a pool created by
//! the Superfluid model's forwarder), undone with the frame that made it. Not modelled: gas
//! (every frame has plenty), `CREATE` of other code, `CREATE2` and delegate calls (the suite
//! uses none), the other precompiles.
//!
//! [`token`] holds a plain ERC-20 (OpenZeppelin 5 semantics and errors) with the misbehaviours
//! the suite must handle: no return value (USDT), `false` instead of a revert, a fee on
//! transfer. [`receiver`] holds contracts that refuse ETH and ERC-721 receivers.
//! [`superfluid`] is a small model of the parts of Superfluid (GDA forwarder, pool, Super
//! Token) that the streams contract calls: a model for native tests, not the framework.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use stylus_sdk::abi::CONSTRUCTOR_SELECTOR;
use stylus_sdk::host::VM;
use stylus_sdk::stylus_core::host::*;
use stylus_sdk::ArbResult;

pub mod receiver;
pub mod superfluid;
pub mod token;

/// The init code of the native programs a running contract may `CREATE`: a 32-byte tag
/// naming the program, then its constructor arguments.
fn native_code(code: &[u8]) -> Option<(Entrypoint, &[u8])> {
    let (tag, args) = code.split_at_checked(32)?;
    (tag == superfluid::POOL_CODE.as_slice()).then_some((superfluid::POOL_ENTRYPOINT, args))
}

/// The address of the `ecrecover` precompile.
pub const ECRECOVER: Address = Address::with_last_byte(1);

/// The `ecrecover` precompile as the EVM runs it: the input is read as four words (zero-padded
/// or truncated to 128 bytes) `hash, v, r, s`; `v` must be 27 or 28 as a whole word, and `r`
/// and `s` in `[1, n)`. A high `s` is accepted, as the precompile does (rejecting it is the
/// caller's business, e.g. OpenZeppelin's `ECDSA`). Returns the signer's address as a word, or
/// no data when the input is not a valid signature.
pub fn ecrecover(input: &[u8]) -> Vec<u8> {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};

    let mut words = [0u8; 128];
    let len = input.len().min(128);
    words[..len].copy_from_slice(&input[..len]);
    let (hash, v, r, s) = (&words[..32], &words[32..64], &words[64..96], &words[96..]);
    if v[..31].iter().any(|&b| b != 0) || !(v[31] == 27 || v[31] == 28) {
        return Vec::new();
    }
    let (r, s): ([u8; 32], [u8; 32]) = (r.try_into().unwrap(), s.try_into().unwrap());
    let Ok(signature) = Signature::from_scalars(r, s) else {
        return Vec::new();
    };
    let mut y_odd = v[31] == 28;
    // k256 recovers low-s signatures only; (r, n - s) with the other parity is the same key.
    let signature = match signature.normalize_s() {
        Some(low) => {
            y_odd = !y_odd;
            low
        }
        None => signature,
    };
    let Ok(key) =
        VerifyingKey::recover_from_prehash(hash, &signature, RecoveryId::new(y_odd, false))
    else {
        return Vec::new();
    };
    let point = key.to_encoded_point(false);
    let digest = keccak256(&point.as_bytes()[1..]);
    let mut out = vec![0u8; 32];
    out[12..].copy_from_slice(&digest[12..]);
    out
}

/// A contract's code as the chain runs it: the contract's ABI router over a host.
/// For an SDK contract `C`: `|input, vm| stylus_sdk::abi::router_entrypoint::<C, C>(input, vm)`.
pub type Entrypoint = fn(Vec<u8>, VM) -> ArbResult;

/// One emitted log: the emitting contract, its topics and its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// The contract that emitted it.
    pub address: Address,
    /// Topic 0 is the event's signature hash (for non-anonymous events).
    pub topics: Vec<B256>,
    /// The ABI-encoded non-indexed fields.
    pub data: Bytes,
}

impl Log {
    /// The log that `emitter` produces when it emits `event`.
    pub fn of<E: SolEvent>(emitter: Address, event: &E) -> Self {
        let topics = event
            .encode_topics()
            .into_iter()
            .map(|topic| B256::from(topic.0))
            .collect();
        Self {
            address: emitter,
            topics,
            data: event.encode_data().into(),
        }
    }
}

/// What a transaction did.
#[derive(Clone, Debug)]
pub struct Receipt<T> {
    /// The decoded return value, or the raw revert data.
    pub result: Result<T, Vec<u8>>,
    /// Logs of the transaction, in order (none when it reverted).
    pub logs: Vec<Log>,
}

impl<T> Receipt<T> {
    /// The return value; panics with the revert data if the call reverted.
    #[track_caller]
    pub fn unwrap(self) -> T {
        match self.result {
            Ok(value) => value,
            Err(data) => panic!(
                "call reverted with 0x{}",
                alloy_primitives::hex::encode(data)
            ),
        }
    }

    /// The revert data; panics if the call succeeded.
    #[track_caller]
    pub fn unwrap_revert(self) -> Vec<u8> {
        match self.result {
            Ok(_) => panic!("call succeeded, expected a revert"),
            Err(data) => data,
        }
    }
}

#[derive(Clone, Default)]
struct State {
    storage: HashMap<(Address, U256), B256>,
    balances: HashMap<Address, U256>,
    logs: Vec<Log>,
    /// Programs deployed by `CREATE` from a running contract, in order: a failed frame removes
    /// those it created, as the EVM undoes a creation.
    created: Vec<Address>,
}

struct Program {
    entrypoint: Entrypoint,
    /// Whether the program accepts being re-entered. Stylus SDK contracts refuse it unless
    /// built with the SDK's `reentrant` feature.
    reentrant: bool,
}

struct World {
    state: State,
    programs: HashMap<Address, Program>,
    stack: Vec<Address>,
    origin: Address,
    timestamp: u64,
    block_number: u64,
    chain_id: u64,
    deployed: u64,
}

/// A chain of native Stylus contracts and accounts. See the crate documentation.
#[derive(Clone)]
pub struct Chain {
    world: Rc<RefCell<World>>,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// An empty chain: Arbitrum One's chain id, block 1, time 1,700,000,000.
    pub fn new() -> Self {
        Self {
            world: Rc::new(RefCell::new(World {
                state: State::default(),
                programs: HashMap::new(),
                stack: Vec::new(),
                origin: Address::ZERO,
                timestamp: 1_700_000_000,
                block_number: 1,
                chain_id: 42_161,
                deployed: 0,
            })),
        }
    }

    /// Deploys `entrypoint` at a fresh address and runs its constructor (the SDK's constructor
    /// selector followed by `constructor_args`, ABI-encoded) from `deployer`, if any args are
    /// given. Returns the address, or the constructor's revert data.
    pub fn deploy(
        &self,
        entrypoint: Entrypoint,
        deployer: Address,
        constructor_args: Option<Vec<u8>>,
    ) -> Result<Address, Vec<u8>> {
        let address = {
            let mut world = self.world.borrow_mut();
            world.deployed += 1;
            let mut raw = [0u8; 20];
            raw[0] = 0xc0;
            raw[12..].copy_from_slice(&world.deployed.to_be_bytes());
            Address::from(raw)
        };
        self.deploy_at(entrypoint, address, deployer, constructor_args)
    }

    /// [`deploy`](Self::deploy) at a chosen `address` (as forge's `deployCodeTo`): for tests
    /// whose calldata or signatures name a contract's address, such as the conformance
    /// vectors. Panics if a program is already there.
    pub fn deploy_at(
        &self,
        entrypoint: Entrypoint,
        address: Address,
        deployer: Address,
        constructor_args: Option<Vec<u8>>,
    ) -> Result<Address, Vec<u8>> {
        {
            let mut world = self.world.borrow_mut();
            assert!(
                !world.programs.contains_key(&address),
                "a program is already deployed at {address}"
            );
            world.programs.insert(
                address,
                Program {
                    entrypoint,
                    reentrant: false,
                },
            );
        }
        if let Some(args) = constructor_args {
            let mut calldata = CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
            calldata.extend_from_slice(&args);
            let receipt = self.call_raw(deployer, address, U256::ZERO, calldata);
            if let Err(data) = receipt.result {
                self.world.borrow_mut().programs.remove(&address);
                return Err(data);
            }
        }
        Ok(address)
    }

    /// Sends a transaction from `from` to `to` with `value` and raw `calldata`.
    pub fn call_raw(
        &self,
        from: Address,
        to: Address,
        value: U256,
        calldata: Vec<u8>,
    ) -> Receipt<Vec<u8>> {
        let first_log = {
            let mut world = self.world.borrow_mut();
            world.origin = from;
            world.state.logs.len()
        };
        let result = run_frame(&self.world, from, to, value, calldata, false);
        let logs = self.world.borrow().state.logs[first_log..].to_vec();
        Receipt { result, logs }
    }

    /// Sends a typed call from `from` to `to` with `value`, decoding the return value.
    pub fn send<C: SolCall>(
        &self,
        from: Address,
        to: Address,
        value: U256,
        call: &C,
    ) -> Receipt<C::Return> {
        let receipt = self.call_raw(from, to, value, call.abi_encode());
        Receipt {
            result: receipt
                .result
                .map(|data| C::abi_decode_returns_validate(&data).expect("return data decodes")),
            logs: receipt.logs,
        }
    }

    /// A read-only typed call (a static call from the zero address); panics if it reverts.
    #[track_caller]
    pub fn view<C: SolCall>(&self, to: Address, call: &C) -> C::Return {
        self.try_view(to, call).unwrap()
    }

    /// A read-only typed call (a static call from the zero address).
    pub fn try_view<C: SolCall>(&self, to: Address, call: &C) -> Receipt<C::Return> {
        let result = run_frame(
            &self.world,
            Address::ZERO,
            to,
            U256::ZERO,
            call.abi_encode(),
            true,
        )
        .map(|data| C::abi_decode_returns_validate(&data).expect("return data decodes"));
        Receipt {
            result,
            logs: Vec::new(),
        }
    }

    /// Sets an account's ETH balance.
    pub fn set_balance(&self, account: Address, balance: U256) {
        self.world
            .borrow_mut()
            .state
            .balances
            .insert(account, balance);
    }

    /// An account's ETH balance.
    pub fn balance(&self, account: Address) -> U256 {
        self.world.borrow().state.balance(account)
    }

    /// Sets the block time (seconds since the epoch).
    pub fn set_timestamp(&self, timestamp: u64) {
        self.world.borrow_mut().timestamp = timestamp;
    }

    /// The block time.
    pub fn timestamp(&self) -> u64 {
        self.world.borrow().timestamp
    }

    /// Reads a contract's storage slot directly.
    pub fn storage(&self, contract: Address, slot: U256) -> B256 {
        self.world.borrow().state.load(contract, slot)
    }

    /// Writes a contract's storage slot directly, for states no call sequence can reach.
    pub fn set_storage(&self, contract: Address, slot: U256, value: B256) {
        self.world
            .borrow_mut()
            .state
            .storage
            .insert((contract, slot), value);
    }

    /// Every log emitted so far, in order.
    pub fn logs(&self) -> Vec<Log> {
        self.world.borrow().state.logs.clone()
    }
}

impl State {
    fn balance(&self, account: Address) -> U256 {
        self.balances.get(&account).copied().unwrap_or_default()
    }

    fn load(&self, contract: Address, slot: U256) -> B256 {
        self.storage
            .get(&(contract, slot))
            .copied()
            .unwrap_or_default()
    }
}

/// Runs one call frame: moves `value`, runs the callee's program (an account without one
/// accepts anything), and undoes every effect if it fails.
fn run_frame(
    world: &Rc<RefCell<World>>,
    sender: Address,
    to: Address,
    value: U256,
    calldata: Vec<u8>,
    is_static: bool,
) -> Result<Vec<u8>, Vec<u8>> {
    let (snapshot, program) = {
        let mut w = world.borrow_mut();
        let snapshot = w.state.clone();
        if !value.is_zero() {
            let from_balance = w.state.balance(sender);
            if from_balance < value {
                return Err(Vec::new());
            }
            w.state.balances.insert(sender, from_balance - value);
            let to_balance = w.state.balance(to);
            w.state.balances.insert(to, to_balance + value);
        }
        let program = w
            .programs
            .get(&to)
            .map(|program| (program.entrypoint, program.reentrant));
        (snapshot, program)
    };
    let result = match program {
        None if to == ECRECOVER => Ok(ecrecover(&calldata)),
        None => Ok(Vec::new()),
        Some((entrypoint, reentrant)) => {
            let reentered = world.borrow().stack.contains(&to);
            if reentered && !reentrant {
                // The SDK's entrypoint refuses a reentrant call before running any code.
                Err(Vec::new())
            } else {
                world.borrow_mut().stack.push(to);
                let frame = Frame {
                    world: world.clone(),
                    this: to,
                    sender,
                    value,
                    is_static,
                    reentered,
                    return_data: Rc::new(RefCell::new(Vec::new())),
                };
                let result = entrypoint(
                    calldata,
                    VM {
                        host: Box::new(frame),
                    },
                );
                world.borrow_mut().stack.pop();
                result
            }
        }
    };
    if result.is_err() {
        let mut w = world.borrow_mut();
        let undone = w.state.created[snapshot.created.len()..].to_vec();
        for address in undone {
            w.programs.remove(&address);
        }
        w.state = snapshot;
    }
    result
}

/// The host one running contract sees.
#[derive(Clone)]
struct Frame {
    world: Rc<RefCell<World>>,
    this: Address,
    sender: Address,
    value: U256,
    is_static: bool,
    reentered: bool,
    return_data: Rc<RefCell<Vec<u8>>>,
}

impl Frame {
    fn finish_call(&self, result: Result<Vec<u8>, Vec<u8>>, outs_len: &mut usize) -> u8 {
        let (status, data) = match result {
            Ok(data) => (0, data),
            Err(data) => (1, data),
        };
        *outs_len = data.len();
        *self.return_data.borrow_mut() = data;
        status
    }
}

/// # Safety
/// `ptr` must point to `len` readable bytes.
unsafe fn bytes(ptr: *const u8, len: usize) -> Vec<u8> {
    std::slice::from_raw_parts(ptr, len).to_vec()
}

impl Host for Frame {}

impl CryptographyAccess for Frame {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        keccak256(input)
    }
}

impl CalldataAccess for Frame {
    fn read_args(&self, _len: usize) -> Vec<u8> {
        unreachable!("the chain passes calldata to the router directly")
    }
    fn read_return_data(&self, offset: usize, size: Option<usize>) -> Vec<u8> {
        let data = self.return_data.borrow();
        let start = offset.min(data.len());
        let end = size.map_or(data.len(), |size| (start + size).min(data.len()));
        data[start..end].to_vec()
    }
    fn return_data_size(&self) -> usize {
        self.return_data.borrow().len()
    }
    fn write_result(&self, _data: &[u8]) {}
}

unsafe impl UnsafeDeploymentAccess for Frame {
    /// `CREATE` of the native programs the chain knows by their init code ([`native_code`]):
    /// the program is deployed at a fresh address and its constructor runs with the rest of
    /// the init code as arguments, from the creating contract and with the endowment. Other
    /// init code fails the creation. Used by the Superfluid model's `createPool`.
    unsafe fn create1(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        let code = bytes(code, code_len);
        let endowment = U256::from_be_slice(&bytes(endowment, 32));
        let created = match native_code(&code) {
            Some((entrypoint, args)) if !self.is_static => {
                let address = {
                    let mut world = self.world.borrow_mut();
                    world.deployed += 1;
                    let mut raw = [0u8; 20];
                    raw[0] = 0xc0;
                    raw[12..].copy_from_slice(&world.deployed.to_be_bytes());
                    let address = Address::from(raw);
                    world.programs.insert(
                        address,
                        Program {
                            entrypoint,
                            reentrant: false,
                        },
                    );
                    world.state.created.push(address);
                    address
                };
                let mut calldata = CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
                calldata.extend_from_slice(args);
                run_frame(&self.world, self.this, address, endowment, calldata, false)
                    .map(|_| address)
            }
            _ => Err(Vec::new()),
        };
        let out = std::slice::from_raw_parts_mut(contract, 20);
        match created {
            Ok(address) => {
                out.copy_from_slice(address.as_slice());
                *revert_data_len = 0;
                self.return_data.borrow_mut().clear();
            }
            Err(data) => {
                out.fill(0);
                *revert_data_len = data.len();
                *self.return_data.borrow_mut() = data;
            }
        }
    }
    unsafe fn create2(
        &self,
        _code: *const u8,
        _code_len: usize,
        _endowment: *const u8,
        _salt: *const u8,
        _contract: *mut u8,
        _revert_data_len: *mut usize,
    ) {
        unimplemented!("CREATE2 is not modelled")
    }
}

impl StorageAccess for Frame {
    fn storage_load_bytes32(&self, key: U256) -> B256 {
        self.world.borrow().state.load(self.this, key)
    }
    unsafe fn storage_cache_bytes32(&self, key: U256, value: B256) {
        assert!(!self.is_static, "storage write in a static call");
        self.world
            .borrow_mut()
            .state
            .storage
            .insert((self.this, key), value);
    }
    fn flush_cache(&self, _clear: bool) {}
}

unsafe impl UnsafeCallAccess for Frame {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: *const u8,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let to = Address::from_slice(&bytes(to, 20));
        let value = U256::from_be_slice(&bytes(value, 32));
        let result = if self.is_static && !value.is_zero() {
            Err(Vec::new())
        } else {
            run_frame(
                &self.world,
                self.this,
                to,
                value,
                bytes(data, data_len),
                self.is_static,
            )
        };
        self.finish_call(result, outs_len)
    }
    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let to = Address::from_slice(&bytes(to, 20));
        let result = run_frame(
            &self.world,
            self.this,
            to,
            U256::ZERO,
            bytes(data, data_len),
            true,
        );
        self.finish_call(result, outs_len)
    }
    unsafe fn delegate_call_contract(
        &self,
        _to: *const u8,
        _data: *const u8,
        _data_len: usize,
        _gas: u64,
        _outs_len: &mut usize,
    ) -> u8 {
        unimplemented!("delegate calls are not modelled")
    }
}

impl BlockAccess for Frame {
    fn block_basefee(&self) -> U256 {
        U256::ZERO
    }
    fn block_coinbase(&self) -> Address {
        Address::ZERO
    }
    fn block_number(&self) -> u64 {
        self.world.borrow().block_number
    }
    fn block_timestamp(&self) -> u64 {
        self.world.borrow().timestamp
    }
    fn block_gas_limit(&self) -> u64 {
        32_000_000
    }
}

impl ChainAccess for Frame {
    fn chain_id(&self) -> u64 {
        self.world.borrow().chain_id
    }
}

impl AccountAccess for Frame {
    fn balance(&self, account: Address) -> U256 {
        self.world.borrow().state.balance(account)
    }
    fn contract_address(&self) -> Address {
        self.this
    }
    fn code(&self, account: Address) -> Vec<u8> {
        // A stand-in with the Stylus prefix: only its presence matters to the suite.
        if self.world.borrow().programs.contains_key(&account) {
            vec![0xef, 0xf0, 0x00, 0x00]
        } else {
            Vec::new()
        }
    }
    fn code_size(&self, account: Address) -> usize {
        self.code(account).len()
    }
    fn code_hash(&self, account: Address) -> B256 {
        let code = self.code(account);
        if code.is_empty() {
            B256::ZERO
        } else {
            keccak256(code)
        }
    }
}

impl MemoryAccess for Frame {
    fn pay_for_memory_grow(&self, _pages: u16) {}
}

impl MessageAccess for Frame {
    fn msg_sender(&self) -> Address {
        self.sender
    }
    fn msg_reentrant(&self) -> bool {
        self.reentered
    }
    fn msg_value(&self) -> U256 {
        self.value
    }
    fn tx_origin(&self) -> Address {
        self.world.borrow().origin
    }
}

impl MeteringAccess for Frame {
    fn evm_gas_left(&self) -> u64 {
        30_000_000
    }
    fn evm_ink_left(&self) -> u64 {
        30_000_000 * 10_000
    }
    fn tx_gas_price(&self) -> U256 {
        U256::ZERO
    }
    fn tx_ink_price(&self) -> u32 {
        10_000
    }
}

impl RawLogAccess for Frame {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        let (topics, data) = input.split_at(32 * num_topics);
        let topics = topics.chunks(32).map(B256::from_slice).collect::<Vec<_>>();
        self.raw_log(&topics, data).expect("at most four topics");
    }
    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        assert!(!self.is_static, "log emitted in a static call");
        if topics.len() > 4 {
            return Err("more than four topics");
        }
        self.world.borrow_mut().state.logs.push(Log {
            address: self.this,
            topics: topics.to_vec(),
            data: Bytes::copy_from_slice(data),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;
    use alloy_sol_types::SolError;
    use stylus_sdk::call::RawCall;

    use super::*;
    use crate::token::{self, Mode};

    const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
    const BOB: Address = address!("0000000000000000000000000000000000000b0b");

    /// Calls `target` with `data` and the call's value. Input: a mode byte (0: return
    /// `[success] ++ returned data` whatever happened; 1: revert afterwards), the target, the data.
    fn forwarder(input: Vec<u8>, vm: VM) -> ArbResult {
        let (mode, rest) = input.split_at(1);
        let (target, data) = rest.split_at(20);
        let value = vm.msg_value();
        // SAFETY: this test contract keeps no storage.
        let result =
            unsafe { RawCall::new_with_value(&vm, value).call(Address::from_slice(target), data) };
        let mut out = vec![u8::from(result.is_ok())];
        out.extend(result.unwrap_or_else(|data| data));
        if mode[0] == 1 {
            Err(out)
        } else {
            Ok(out)
        }
    }

    fn forward(
        chain: &Chain,
        via: Address,
        mode: u8,
        target: Address,
        data: Vec<u8>,
    ) -> Receipt<Vec<u8>> {
        let mut input = vec![mode];
        input.extend_from_slice(target.as_slice());
        input.extend(data);
        chain.call_raw(ALICE, via, U256::ZERO, input)
    }

    #[test]
    fn a_failed_inner_call_is_undone_and_reported() {
        let chain = Chain::new();
        let token = chain.deploy_token(Mode::Standard);
        let via = chain.deploy_plain(forwarder);
        let transfer = token::transferCall {
            to: BOB,
            value: U256::from(1),
        }
        .abi_encode();
        let receipt = forward(&chain, via, 0, token, transfer);
        let out = receipt.result.unwrap();
        assert_eq!(out[0], 0);
        let expected = token::ERC20InsufficientBalance {
            sender: via,
            balance: U256::ZERO,
            needed: U256::from(1),
        };
        assert_eq!(out[1..], expected.abi_encode());
        assert!(receipt.logs.is_empty());
    }

    #[test]
    fn an_outer_revert_undoes_a_successful_inner_call() {
        let chain = Chain::new();
        let token = chain.deploy_token(Mode::Standard);
        let via = chain.deploy_plain(forwarder);
        let mint = token::mintCall {
            to: BOB,
            value: U256::from(5),
        }
        .abi_encode();
        let receipt = forward(&chain, via, 1, token, mint.clone());
        assert_eq!(receipt.result.unwrap_err(), [1]);
        assert!(receipt.logs.is_empty());
        assert_eq!(
            chain.view(token, &token::balanceOfCall { account: BOB }),
            U256::ZERO
        );
        let receipt = forward(&chain, via, 0, token, mint);
        assert_eq!(receipt.logs.len(), 1);
        assert_eq!(receipt.logs[0].address, token);
        assert_eq!(
            chain.view(token, &token::balanceOfCall { account: BOB }),
            U256::from(5)
        );
    }

    #[test]
    fn value_moves_with_calls_and_only_if_covered() {
        let chain = Chain::new();
        let via = chain.deploy_plain(forwarder);
        chain.set_balance(ALICE, U256::from(10));
        let mut input = vec![0];
        input.extend_from_slice(BOB.as_slice());
        let receipt = chain.call_raw(ALICE, via, U256::from(7), input.clone());
        assert_eq!(receipt.result.unwrap(), [1]);
        assert_eq!(chain.balance(BOB), U256::from(7));
        assert_eq!(chain.balance(via), U256::ZERO);
        assert_eq!(chain.balance(ALICE), U256::from(3));
        let receipt = chain.call_raw(ALICE, via, U256::from(7), input);
        assert_eq!(receipt.result.unwrap_err(), Vec::<u8>::new());
        assert_eq!(chain.balance(ALICE), U256::from(3));
    }

    /// `(hash, v, r, s)` as the precompile reads them, signed by `key`.
    fn signed(key: &k256::ecdsa::SigningKey, hash: B256) -> (Vec<u8>, Address) {
        let (signature, recid) = key.sign_prehash_recoverable(hash.as_slice()).unwrap();
        let mut input = hash.to_vec();
        input.extend(U256::from(27 + recid.to_byte()).to_be_bytes::<32>());
        input.extend_from_slice(&signature.to_bytes());
        let point = key.verifying_key().to_encoded_point(false);
        let signer = Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..]);
        (input, signer)
    }

    fn word(address: Address) -> Vec<u8> {
        address.into_word().to_vec()
    }

    #[test]
    fn ecrecover_returns_the_signer_as_a_word() {
        let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let hash = keccak256("a message");
        let (input, signer) = signed(&key, hash);
        assert_eq!(ecrecover(&input), word(signer));
        // Known answer: private key 1's address, as every Ethereum tool computes it.
        let mut one = [0u8; 32];
        one[31] = 1;
        let key = k256::ecdsa::SigningKey::from_slice(&one).unwrap();
        let (input_of_one, signer_of_one) = signed(&key, hash);
        assert_eq!(
            signer_of_one,
            address!("7e5f4552091a69125d5dfcb7b8c2659029395bdf")
        );
        assert_eq!(ecrecover(&input_of_one), word(signer_of_one));
        // Bytes past the four words are ignored.
        let mut longer = input.clone();
        longer.extend([0xff; 7]);
        assert_eq!(ecrecover(&longer), word(signer));
        // Another hash recovers another address (or none), never the signer.
        let mut other = input.clone();
        other[0] ^= 1;
        assert_ne!(ecrecover(&other), word(signer));
    }

    #[test]
    fn ecrecover_accepts_high_s_as_the_precompile_does() {
        let key = k256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let (mut input, signer) = signed(&key, keccak256("malleable"));
        let n = U256::from_be_slice(&alloy_primitives::hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let s = U256::from_be_slice(&input[96..128]);
        input[96..128].copy_from_slice(&(n - s).to_be_bytes::<32>());
        input[63] ^= 27 ^ 28;
        assert_eq!(ecrecover(&input), word(signer));
    }

    #[test]
    fn ecrecover_returns_nothing_for_an_invalid_signature() {
        let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let (input, _) = signed(&key, keccak256("a message"));
        let n = alloy_primitives::hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        );
        let mut cases = Vec::new();
        for v in [0u8, 1, 26, 29, 30] {
            let mut bad = input.clone();
            bad[63] = v;
            cases.push(bad);
        }
        let mut dirty_v = input.clone();
        dirty_v[32] = 1;
        cases.push(dirty_v);
        for (at, value) in [(64, [0u8; 32]), (96, [0u8; 32]), (64, n), (96, n)] {
            let mut bad = input.clone();
            bad[at..at + 32].copy_from_slice(&value);
            cases.push(bad);
        }
        // Truncated: the missing `s` reads as zero.
        cases.push(input[..96].to_vec());
        cases.push(Vec::new());
        for case in cases {
            assert_eq!(
                ecrecover(&case),
                Vec::<u8>::new(),
                "{}",
                alloy_primitives::hex::encode(&case)
            );
        }
    }

    #[test]
    fn contracts_reach_ecrecover_at_address_one() {
        let chain = Chain::new();
        let via = chain.deploy_plain(forwarder);
        let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let (input, signer) = signed(&key, keccak256("a message"));
        let receipt = forward(&chain, via, 0, ECRECOVER, input);
        let mut expected = vec![1];
        expected.extend(word(signer));
        assert_eq!(receipt.result.unwrap(), expected);
    }

    #[test]
    fn a_reentrant_call_is_refused_as_the_sdk_does() {
        let chain = Chain::new();
        let via = chain.deploy_plain(forwarder);
        let other = chain.deploy_plain(forwarder);
        // via → other → via: the second entry into `via` is refused before it runs.
        let mut inner = vec![0];
        inner.extend_from_slice(via.as_slice());
        let receipt = forward(&chain, via, 0, other, inner);
        assert_eq!(receipt.result.unwrap(), [1, 0]);
    }
}
