//! A plain ERC-20 (OpenZeppelin 5 semantics and errors), run by the [`Chain`](crate::Chain) like
//! any contract, with the misbehaviours a payment contract must survive ([`Mode`]).

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use stylus_sdk::abi::CONSTRUCTOR_SELECTOR;
use stylus_sdk::host::VM;
use stylus_sdk::stylus_core::host::*;
use stylus_sdk::ArbResult;

use crate::{Chain, Entrypoint};

sol! {
    /// The token's interface: ERC-20 plus `mint` (anyone, for tests).
    interface ITestToken {
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);
        error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
        error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);

        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
        function mint(address to, uint256 value) external;
    }
}

pub use ITestToken::*;

/// How the token behaves on `transfer` and `transferFrom`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Moves the amount and returns `true`; reverts with OpenZeppelin's errors otherwise.
    Standard = 0,
    /// As `Standard`, but returns nothing (USDT).
    NoReturn = 1,
    /// Returns `false` instead of reverting when the balance or allowance is short.
    FalseOnFailure = 2,
    /// Burns 1 % of every transfer: the recipient receives less than was sent.
    FeeOnTransfer = 3,
}

impl Chain {
    /// Deploys a token that behaves as `mode`.
    pub fn deploy_token(&self, mode: Mode) -> Address {
        self.deploy(
            ENTRYPOINT,
            Address::ZERO,
            Some(U256::from(mode as u8).abi_encode()),
        )
        .expect("token deploys")
    }
}

/// The token's code.
pub const ENTRYPOINT: Entrypoint = entrypoint;

const MODE_SLOT: U256 = U256::from_limbs([2, 0, 0, 0]);

fn balance_slot(account: Address) -> U256 {
    U256::from_be_bytes(keccak256((account, U256::ZERO).abi_encode()).0)
}

fn allowance_slot(owner: Address, spender: Address) -> U256 {
    let inner = keccak256((owner, U256::from(1)).abi_encode());
    U256::from_be_bytes(keccak256((spender, inner).abi_encode()).0)
}

fn load(vm: &VM, slot: U256) -> U256 {
    U256::from_be_bytes(vm.storage_load_bytes32(slot).0)
}

fn store(vm: &VM, slot: U256, value: U256) {
    // SAFETY: the chain's host writes through; nothing is cached.
    unsafe { vm.storage_cache_bytes32(slot, B256::from(value)) };
}

fn log<E: SolEvent>(vm: &VM, event: &E) {
    let topics: Vec<B256> = event
        .encode_topics()
        .into_iter()
        .map(|topic| B256::from(topic.0))
        .collect();
    vm.raw_log(&topics, &event.encode_data()).expect("log");
}

fn mode(vm: &VM) -> Mode {
    match load(vm, MODE_SLOT).to::<u8>() {
        0 => Mode::Standard,
        1 => Mode::NoReturn,
        2 => Mode::FalseOnFailure,
        _ => Mode::FeeOnTransfer,
    }
}

/// Moves `value` from `from` to `to` (burning the fee in `FeeOnTransfer` mode).
fn move_tokens(vm: &VM, from: Address, to: Address, value: U256) -> Result<(), Vec<u8>> {
    let from_balance = load(vm, balance_slot(from));
    if from_balance < value {
        return Err(ERC20InsufficientBalance {
            sender: from,
            balance: from_balance,
            needed: value,
        }
        .abi_encode());
    }
    store(vm, balance_slot(from), from_balance - value);
    let delivered = if mode(vm) == Mode::FeeOnTransfer {
        value - value / U256::from(100)
    } else {
        value
    };
    let to_balance = load(vm, balance_slot(to));
    store(vm, balance_slot(to), to_balance + delivered);
    log(
        vm,
        &Transfer {
            from,
            to,
            value: delivered,
        },
    );
    Ok(())
}

fn transfer_result(vm: &VM, moved: Result<(), Vec<u8>>) -> ArbResult {
    match (mode(vm), moved) {
        (Mode::NoReturn, Ok(())) => Ok(Vec::new()),
        (_, Ok(())) => Ok(true.abi_encode()),
        (Mode::FalseOnFailure, Err(_)) => Ok(false.abi_encode()),
        (_, Err(data)) => Err(data),
    }
}

fn entrypoint(input: Vec<u8>, vm: VM) -> ArbResult {
    if input.len() < 4 {
        return Err(Vec::new());
    }
    let (selector, args) = input.split_at(4);
    let selector: [u8; 4] = selector.try_into().expect("four bytes");
    let bad = |_| Vec::new();
    match selector {
        s if s == CONSTRUCTOR_SELECTOR.to_be_bytes() => {
            let mode = U256::abi_decode(args).map_err(bad)?;
            store(&vm, MODE_SLOT, mode);
            Ok(Vec::new())
        }
        balanceOfCall::SELECTOR => {
            let call = balanceOfCall::abi_decode_raw(args).map_err(bad)?;
            Ok(load(&vm, balance_slot(call.account)).abi_encode())
        }
        allowanceCall::SELECTOR => {
            let call = allowanceCall::abi_decode_raw(args).map_err(bad)?;
            Ok(load(&vm, allowance_slot(call.owner, call.spender)).abi_encode())
        }
        approveCall::SELECTOR => {
            let call = approveCall::abi_decode_raw(args).map_err(bad)?;
            let owner = vm.msg_sender();
            store(&vm, allowance_slot(owner, call.spender), call.value);
            log(
                &vm,
                &Approval {
                    owner,
                    spender: call.spender,
                    value: call.value,
                },
            );
            Ok(true.abi_encode())
        }
        transferCall::SELECTOR => {
            let call = transferCall::abi_decode_raw(args).map_err(bad)?;
            let moved = move_tokens(&vm, vm.msg_sender(), call.to, call.value);
            transfer_result(&vm, moved)
        }
        transferFromCall::SELECTOR => {
            let call = transferFromCall::abi_decode_raw(args).map_err(bad)?;
            let spender = vm.msg_sender();
            let slot = allowance_slot(call.from, spender);
            let allowance = load(&vm, slot);
            let moved = if allowance < call.value {
                Err(ERC20InsufficientAllowance {
                    spender,
                    allowance,
                    needed: call.value,
                }
                .abi_encode())
            } else {
                if allowance != U256::MAX {
                    store(&vm, slot, allowance - call.value);
                }
                move_tokens(&vm, call.from, call.to, call.value)
            };
            transfer_result(&vm, moved)
        }
        mintCall::SELECTOR => {
            let call = mintCall::abi_decode_raw(args).map_err(bad)?;
            let slot = balance_slot(call.to);
            store(&vm, slot, load(&vm, slot) + call.value);
            log(
                &vm,
                &Transfer {
                    from: Address::ZERO,
                    to: call.to,
                    value: call.value,
                },
            );
            Ok(Vec::new())
        }
        _ => Err(Vec::new()),
    }
}
