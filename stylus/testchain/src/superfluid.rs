//! A **model** of the few parts of Superfluid that `TributaryStreams` calls, for the Stylus
//! build's native tests. Superfluid is Solidity and cannot run on this native test chain; the
//! real framework (`@superfluid-finance/ethereum-contracts` 1.15.2) is tested with the Solidity
//! build in `test/streams/` (docs/streaming.md). This model is small and honest about what it
//! leaves out; it exists so that the Stylus contract's calls, their encodings, its checks and
//! its events can be tested end to end. The selectors and encodings are Superfluid's
//! (`GDAv1Forwarder`, `ISuperfluidPool`, `ISuperToken`), as `contracts/streams/SuperfluidMinimal.sol`
//! declares them.
//!
//! What it models:
//! - **GDA forwarder** ([`Chain::deploy_gda`]): `createPool(token, admin, config)` deploys a
//!   pool (a real `CREATE` on the test chain) with that admin and config and returns
//!   `(true, pool)`; `distributeFlow(token, from, pool, rate, userData)` from `from` only
//!   (`GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED`), to a pool of that token, at a rate ≥ 0, records
//!   the rate **rounded down to a multiple of the pool's total units**, as the GDA does when no
//!   adjustment flow is pending, and sets the sender's outflow on the token;
//!   `getFlowDistributionFlowRate(token, from, pool)` returns the recorded rate.
//! - **Pool**: admin, Super Token, config; `getUnits`, `getTotalUnits`, and
//!   `updateMemberUnits(member, units)` by the admin only, refusing the zero address and pools
//!   as members, as the GDA does.
//! - **Super Token**: a static balance per account (`mint`, anyone: test set-up), less the
//!   account's outflow × the seconds since it was last settled; `balanceOf` is that real-time
//!   balance floored at zero, `isAccountCriticalNow` is "the real-time balance is below zero",
//!   `transfer` moves real-time balance and emits the ERC-20 `Transfer`;
//!   `setTransferReturnsFalse(true)` makes `transfer` return `false` (a misbehaving token).
//!
//! What it leaves out (the Solidity tests cover these against the real framework): money
//! reaching pool members (members' balances, connecting, claiming), the GDA's adjustment flow
//! (the remainder of a rate change after a units change, paid to the pool admin), buffer
//! deposits and liquidation (so "critical" here is "balance below zero", not "available
//! balance, net of the deposit, below zero"), distributing to a pool with no units (reverts
//! `ModelPoolHasNoUnits()` here), Superfluid's own events, the host, agreements other than
//! distributions to pools, ACL and the Super Token's wrapping.

use alloy_primitives::{keccak256, Address, B256, I256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use stylus_sdk::abi::CONSTRUCTOR_SELECTOR;
use stylus_sdk::call::RawCall;
use stylus_sdk::deploy::RawDeploy;
use stylus_sdk::host::VM;
use stylus_sdk::stylus_core::host::*;
use stylus_sdk::ArbResult;

use crate::{Chain, Entrypoint};

sol! {
    /// `PoolConfig` of `IGeneralDistributionAgreementV1`.
    #[derive(Debug, PartialEq, Eq)]
    struct PoolConfig {
        bool transferabilityForUnitsOwner;
        bool distributionFromAnyAddress;
    }

    /// The modelled functions of Superfluid's `GDAv1Forwarder`, plus `isPool` (the GDA's own
    /// check that an account is a pool, exposed for the model's pools).
    interface IGDAv1Forwarder {
        function createPool(address token, address admin, PoolConfig config) external returns (bool success, address pool);
        function distributeFlow(address token, address from, address pool, int96 requestedFlowRate, bytes userData) external returns (bool);
        function getFlowDistributionFlowRate(address token, address from, address to) external view returns (int96);
        function isPool(address token, address account) external view returns (bool);
    }

    /// The modelled functions of `ISuperfluidPool`.
    interface ISuperfluidPool {
        function admin() external view returns (address);
        function superToken() external view returns (address);
        function distributionFromAnyAddress() external view returns (bool);
        function transferabilityForUnitsOwner() external view returns (bool);
        function getUnits(address member) external view returns (uint128);
        function getTotalUnits() external view returns (uint128);
        function updateMemberUnits(address member, uint128 newUnits) external returns (bool);
    }

    /// The modelled functions of a Super Token, plus the model's test helpers (`mint`,
    /// `setTransferReturnsFalse`) and the forwarder's hook (`modelSetOutflow`).
    interface ISuperToken {
        event Transfer(address indexed from, address indexed to, uint256 value);
        function balanceOf(address account) external view returns (uint256);
        function realtimeBalanceOfNow(address account) external view returns (int256 availableBalance, uint256 deposit, uint256 owedDeposit, uint256 timestamp);
        function isAccountCriticalNow(address account) external view returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function mint(address to, uint256 amount) external;
        function setTransferReturnsFalse(bool returnsFalse) external;
        function modelSetOutflow(address account, uint128 oldRate, uint128 newRate) external;
    }

    /// Superfluid's errors for the checks the model makes (and one of the model's own).
    interface ISuperfluidErrors {
        error GDA_NO_ZERO_ADDRESS_ADMIN();
        error GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED();
        error GDA_NO_NEGATIVE_FLOW_RATE();
        error GDA_ONLY_SUPER_TOKEN_POOL();
        error GDA_DISTRIBUTE_FROM_ANY_ADDRESS_NOT_ALLOWED();
        error SUPERFLUID_POOL_NOT_POOL_ADMIN_OR_GDA();
        error SUPERFLUID_POOL_NO_ZERO_ADDRESS();
        error SUPERFLUID_POOL_NO_POOL_MEMBERS();
        error SF_TOKEN_MOVE_INSUFFICIENT_BALANCE();
        error SF_TOKEN_ONLY_GDA();
        /// The model does not implement distributing to a pool with no units.
        error ModelPoolHasNoUnits();
    }
}

pub use IGDAv1Forwarder::{createPoolCall, distributeFlowCall, getFlowDistributionFlowRateCall};
pub use ISuperToken::{
    balanceOfCall, isAccountCriticalNowCall, mintCall, realtimeBalanceOfNowCall,
    setTransferReturnsFalseCall, transferCall, Transfer,
};
pub use ISuperfluidErrors::*;
pub use ISuperfluidPool::{getTotalUnitsCall, getUnitsCall, updateMemberUnitsCall};

/// The init code tag of the model's pool (see `native_code` in the crate root).
pub const POOL_CODE: B256 = B256::new(*b"tributary-testchain:sf-pool-v1\0\0");
/// The pool's code.
pub const POOL_ENTRYPOINT: Entrypoint = pool;
/// The forwarder's code.
pub const GDA_ENTRYPOINT: Entrypoint = gda;
/// The Super Token's code.
pub const SUPER_TOKEN_ENTRYPOINT: Entrypoint = super_token;

impl Chain {
    /// Deploys the model's GDA forwarder.
    pub fn deploy_gda(&self) -> Address {
        self.deploy(GDA_ENTRYPOINT, Address::ZERO, None)
            .expect("deploy without a constructor cannot fail")
    }

    /// Deploys a model Super Token whose distributions the forwarder `gda` records.
    pub fn deploy_super_token(&self, gda: Address) -> Address {
        self.deploy(
            SUPER_TOKEN_ENTRYPOINT,
            Address::ZERO,
            Some(gda.abi_encode()),
        )
        .expect("super token deploys")
    }
}

/// A storage slot: `keccak256(tag ++ keys)`.
fn slot(tag: u8, keys: &[B256]) -> U256 {
    let mut data = vec![tag];
    for key in keys {
        data.extend_from_slice(key.as_slice());
    }
    U256::from_be_bytes(keccak256(data).0)
}

fn load(vm: &VM, slot: U256) -> U256 {
    U256::from_be_bytes(vm.storage_load_bytes32(slot).0)
}

fn store(vm: &VM, slot: U256, value: U256) {
    // SAFETY: the chain's host writes through; nothing is cached.
    unsafe { vm.storage_cache_bytes32(slot, B256::from(value)) };
}

fn load_address(vm: &VM, slot: U256) -> Address {
    Address::from_word(B256::from(load(vm, slot)))
}

fn store_address(vm: &VM, slot: U256, value: Address) {
    store(vm, slot, U256::from_be_bytes(value.into_word().0));
}

fn fail<E: SolError>(error: E) -> ArbResult {
    Err(error.abi_encode())
}

/// A call from the running model contract; revert data bubbled.
fn call(vm: &VM, to: Address, data: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    // SAFETY: the model keeps no cached storage.
    unsafe { RawCall::new(vm).call(to, data) }
}

fn split(input: &[u8]) -> Result<([u8; 4], &[u8]), Vec<u8>> {
    if input.len() < 4 {
        return Err(Vec::new());
    }
    let (selector, args) = input.split_at(4);
    Ok((selector.try_into().expect("four bytes"), args))
}

fn bad<E>(_: E) -> Vec<u8> {
    Vec::new()
}

// ---------------------------------------------------------------------- forwarder

const GDA_FLOW: u8 = 1;
const GDA_IS_POOL: u8 = 2;

fn gda(input: Vec<u8>, vm: VM) -> ArbResult {
    use IGDAv1Forwarder::*;
    let (selector, args) = split(&input)?;
    match selector {
        createPoolCall::SELECTOR => {
            let call = createPoolCall::abi_decode_raw_validate(args).map_err(bad)?;
            if call.admin.is_zero() {
                return fail(GDA_NO_ZERO_ADDRESS_ADMIN {});
            }
            let mut code = POOL_CODE.to_vec();
            code.extend(
                (
                    call.token,
                    call.admin,
                    call.config.transferabilityForUnitsOwner,
                    call.config.distributionFromAnyAddress,
                )
                    .abi_encode_params(),
            );
            // SAFETY: the model keeps no cached storage.
            let pool = unsafe { RawDeploy::new().deploy(&vm, &code, U256::ZERO) }?;
            store(
                &vm,
                slot(GDA_IS_POOL, &[call.token.into_word(), pool.into_word()]),
                U256::from(1),
            );
            Ok((true, pool).abi_encode_params())
        }
        distributeFlowCall::SELECTOR => {
            let call = distributeFlowCall::abi_decode_raw_validate(args).map_err(bad)?;
            if vm.msg_sender() != call.from {
                return fail(GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED {});
            }
            let pool_slot = slot(
                GDA_IS_POOL,
                &[call.token.into_word(), call.pool.into_word()],
            );
            if load(&vm, pool_slot).is_zero() {
                return fail(GDA_ONLY_SUPER_TOKEN_POOL {});
            }
            if call.requestedFlowRate.is_negative() {
                return fail(GDA_NO_NEGATIVE_FLOW_RATE {});
            }
            let any = call_view(
                &vm,
                call.pool,
                &ISuperfluidPool::distributionFromAnyAddressCall {},
            )?;
            let admin = call_view(&vm, call.pool, &ISuperfluidPool::adminCall {})?;
            if !any && call.from != admin {
                return fail(GDA_DISTRIBUTE_FROM_ANY_ADDRESS_NOT_ALLOWED {});
            }
            let total = call_view(&vm, call.pool, &ISuperfluidPool::getTotalUnitsCall {})?;
            let requested = call.requestedFlowRate.into_raw().to::<u128>();
            let recorded = match requested {
                0 => 0,
                _ if total == 0 => return fail(ModelPoolHasNoUnits {}),
                _ => requested / total * total,
            };
            let flow_slot = slot(
                GDA_FLOW,
                &[
                    call.token.into_word(),
                    call.from.into_word(),
                    call.pool.into_word(),
                ],
            );
            let old = load(&vm, flow_slot).to::<u128>();
            store(&vm, flow_slot, U256::from(recorded));
            let hook = ISuperToken::modelSetOutflowCall {
                account: call.from,
                oldRate: old,
                newRate: recorded,
            };
            self::call(&vm, call.token, &hook.abi_encode())?;
            Ok(true.abi_encode())
        }
        getFlowDistributionFlowRateCall::SELECTOR => {
            let call =
                getFlowDistributionFlowRateCall::abi_decode_raw_validate(args).map_err(bad)?;
            let rate = load(
                &vm,
                slot(
                    GDA_FLOW,
                    &[
                        call.token.into_word(),
                        call.from.into_word(),
                        call.to.into_word(),
                    ],
                ),
            );
            // A recorded rate is at most an int96's maximum: the word is the int96's.
            Ok(rate.abi_encode())
        }
        isPoolCall::SELECTOR => {
            let call = isPoolCall::abi_decode_raw_validate(args).map_err(bad)?;
            let known = !load(
                &vm,
                slot(
                    GDA_IS_POOL,
                    &[call.token.into_word(), call.account.into_word()],
                ),
            )
            .is_zero();
            Ok(known.abi_encode())
        }
        _ => Err(Vec::new()),
    }
}

/// A static call to a model contract, decoded.
fn call_view<C: SolCall>(vm: &VM, to: Address, call: &C) -> Result<C::Return, Vec<u8>> {
    // SAFETY: a static call changes no state.
    let returned = unsafe { RawCall::new_static(vm).call(to, &call.abi_encode()) }?;
    C::abi_decode_returns_validate(&returned).map_err(bad)
}

// ---------------------------------------------------------------------- pool

const POOL_TOKEN: U256 = U256::from_limbs([1, 0, 0, 0]);
const POOL_ADMIN: U256 = U256::from_limbs([2, 0, 0, 0]);
const POOL_GDA: U256 = U256::from_limbs([3, 0, 0, 0]);
const POOL_TRANSFERABLE: U256 = U256::from_limbs([4, 0, 0, 0]);
const POOL_ANY_ADDRESS: U256 = U256::from_limbs([5, 0, 0, 0]);
const POOL_TOTAL: U256 = U256::from_limbs([6, 0, 0, 0]);
const POOL_UNITS: u8 = 7;

fn pool(input: Vec<u8>, vm: VM) -> ArbResult {
    use ISuperfluidPool::*;
    let (selector, args) = split(&input)?;
    match selector {
        s if s == CONSTRUCTOR_SELECTOR.to_be_bytes() => {
            let (token, admin, transferable, any) =
                <(Address, Address, bool, bool)>::abi_decode_params(args).map_err(bad)?;
            store_address(&vm, POOL_TOKEN, token);
            store_address(&vm, POOL_ADMIN, admin);
            store_address(&vm, POOL_GDA, vm.msg_sender());
            store(&vm, POOL_TRANSFERABLE, U256::from(transferable as u8));
            store(&vm, POOL_ANY_ADDRESS, U256::from(any as u8));
            Ok(Vec::new())
        }
        adminCall::SELECTOR => Ok(load_address(&vm, POOL_ADMIN).abi_encode()),
        superTokenCall::SELECTOR => Ok(load_address(&vm, POOL_TOKEN).abi_encode()),
        distributionFromAnyAddressCall::SELECTOR => {
            Ok((!load(&vm, POOL_ANY_ADDRESS).is_zero()).abi_encode())
        }
        transferabilityForUnitsOwnerCall::SELECTOR => {
            Ok((!load(&vm, POOL_TRANSFERABLE).is_zero()).abi_encode())
        }
        getUnitsCall::SELECTOR => {
            let call = getUnitsCall::abi_decode_raw_validate(args).map_err(bad)?;
            Ok(load(&vm, slot(POOL_UNITS, &[call.member.into_word()])).abi_encode())
        }
        getTotalUnitsCall::SELECTOR => Ok(load(&vm, POOL_TOTAL).abi_encode()),
        updateMemberUnitsCall::SELECTOR => {
            let call = updateMemberUnitsCall::abi_decode_raw_validate(args).map_err(bad)?;
            if vm.msg_sender() != load_address(&vm, POOL_ADMIN) {
                return fail(SUPERFLUID_POOL_NOT_POOL_ADMIN_OR_GDA {});
            }
            if call.member.is_zero() {
                return fail(SUPERFLUID_POOL_NO_ZERO_ADDRESS {});
            }
            let is_pool = IGDAv1Forwarder::isPoolCall {
                token: load_address(&vm, POOL_TOKEN),
                account: call.member,
            };
            if call_view(&vm, load_address(&vm, POOL_GDA), &is_pool)? {
                return fail(SUPERFLUID_POOL_NO_POOL_MEMBERS {});
            }
            let units_slot = slot(POOL_UNITS, &[call.member.into_word()]);
            let total = load(&vm, POOL_TOTAL) - load(&vm, units_slot) + U256::from(call.newUnits);
            store(&vm, units_slot, U256::from(call.newUnits));
            store(&vm, POOL_TOTAL, total);
            Ok(true.abi_encode())
        }
        _ => Err(Vec::new()),
    }
}

// ---------------------------------------------------------------------- Super Token

const TOKEN_GDA: U256 = U256::from_limbs([1, 0, 0, 0]);
const TOKEN_RETURNS_FALSE: U256 = U256::from_limbs([2, 0, 0, 0]);
const TOKEN_STATIC: u8 = 3;
const TOKEN_SETTLED_AT: u8 = 4;
const TOKEN_OUTFLOW: u8 = 5;

/// The account's real-time balance: its static balance less its outflow since it was settled.
fn realtime(vm: &VM, account: Address) -> I256 {
    let key = [account.into_word()];
    let balance = I256::from_raw(load(vm, slot(TOKEN_STATIC, &key)));
    let settled = load(vm, slot(TOKEN_SETTLED_AT, &key));
    let outflow = load(vm, slot(TOKEN_OUTFLOW, &key));
    let elapsed = U256::from(vm.block_timestamp()).saturating_sub(settled);
    balance - I256::from_raw(outflow * elapsed)
}

/// Writes the real-time balance as the static balance, settled now.
fn settle(vm: &VM, account: Address) -> I256 {
    let balance = realtime(vm, account);
    let key = [account.into_word()];
    store(vm, slot(TOKEN_STATIC, &key), balance.into_raw());
    store(
        vm,
        slot(TOKEN_SETTLED_AT, &key),
        U256::from(vm.block_timestamp()),
    );
    balance
}

fn credit(vm: &VM, account: Address, amount: U256) {
    let balance = settle(vm, account) + I256::from_raw(amount);
    store(
        vm,
        slot(TOKEN_STATIC, &[account.into_word()]),
        balance.into_raw(),
    );
}

fn log<E: SolEvent>(vm: &VM, event: &E) {
    let topics: Vec<B256> = event
        .encode_topics()
        .into_iter()
        .map(|topic| B256::from(topic.0))
        .collect();
    vm.raw_log(&topics, &event.encode_data()).expect("log");
}

fn super_token(input: Vec<u8>, vm: VM) -> ArbResult {
    use ISuperToken::*;
    let (selector, args) = split(&input)?;
    match selector {
        s if s == CONSTRUCTOR_SELECTOR.to_be_bytes() => {
            let gda = Address::abi_decode(args).map_err(bad)?;
            store_address(&vm, TOKEN_GDA, gda);
            Ok(Vec::new())
        }
        balanceOfCall::SELECTOR => {
            let call = balanceOfCall::abi_decode_raw_validate(args).map_err(bad)?;
            let balance = realtime(&vm, call.account);
            let floored = if balance.is_negative() {
                U256::ZERO
            } else {
                balance.into_raw()
            };
            Ok(floored.abi_encode())
        }
        realtimeBalanceOfNowCall::SELECTOR => {
            let call = realtimeBalanceOfNowCall::abi_decode_raw_validate(args).map_err(bad)?;
            let balance = realtime(&vm, call.account);
            Ok((
                balance,
                U256::ZERO,
                U256::ZERO,
                U256::from(vm.block_timestamp()),
            )
                .abi_encode_params())
        }
        isAccountCriticalNowCall::SELECTOR => {
            let call = isAccountCriticalNowCall::abi_decode_raw_validate(args).map_err(bad)?;
            Ok(realtime(&vm, call.account).is_negative().abi_encode())
        }
        transferCall::SELECTOR => {
            let call = transferCall::abi_decode_raw_validate(args).map_err(bad)?;
            if !load(&vm, TOKEN_RETURNS_FALSE).is_zero() {
                return Ok(false.abi_encode());
            }
            let from = vm.msg_sender();
            let balance = settle(&vm, from);
            if balance < I256::from_raw(call.amount) || call.amount > U256::from(u128::MAX) {
                return fail(SF_TOKEN_MOVE_INSUFFICIENT_BALANCE {});
            }
            store(
                &vm,
                slot(TOKEN_STATIC, &[from.into_word()]),
                (balance - I256::from_raw(call.amount)).into_raw(),
            );
            credit(&vm, call.to, call.amount);
            log(
                &vm,
                &Transfer {
                    from,
                    to: call.to,
                    value: call.amount,
                },
            );
            Ok(true.abi_encode())
        }
        mintCall::SELECTOR => {
            let call = mintCall::abi_decode_raw_validate(args).map_err(bad)?;
            credit(&vm, call.to, call.amount);
            log(
                &vm,
                &Transfer {
                    from: Address::ZERO,
                    to: call.to,
                    value: call.amount,
                },
            );
            Ok(Vec::new())
        }
        setTransferReturnsFalseCall::SELECTOR => {
            let call = setTransferReturnsFalseCall::abi_decode_raw_validate(args).map_err(bad)?;
            store(
                &vm,
                TOKEN_RETURNS_FALSE,
                U256::from(call.returnsFalse as u8),
            );
            Ok(Vec::new())
        }
        modelSetOutflowCall::SELECTOR => {
            let call = modelSetOutflowCall::abi_decode_raw_validate(args).map_err(bad)?;
            if vm.msg_sender() != load_address(&vm, TOKEN_GDA) {
                return fail(SF_TOKEN_ONLY_GDA {});
            }
            settle(&vm, call.account);
            let outflow_slot = slot(TOKEN_OUTFLOW, &[call.account.into_word()]);
            let outflow =
                load(&vm, outflow_slot) - U256::from(call.oldRate) + U256::from(call.newRate);
            store(&vm, outflow_slot, outflow);
            Ok(Vec::new())
        }
        _ => Err(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;
    use alloy_primitives::aliases::I96;

    use super::*;

    const ADMIN: Address = address!("000000000000000000000000000000000000ad01");
    const BOB: Address = address!("0000000000000000000000000000000000000b0b");
    const CAROL: Address = address!("00000000000000000000000000000000000ca701");
    const BUYER: Address = address!("00000000000000000000000000000000000b0b0b");

    struct Model {
        chain: Chain,
        gda: Address,
        token: Address,
    }

    impl Model {
        fn new() -> Self {
            let chain = Chain::new();
            let gda = chain.deploy_gda();
            let token = chain.deploy_super_token(gda);
            Self { chain, gda, token }
        }

        fn create_pool(&self, admin: Address) -> crate::Receipt<createPoolReturn> {
            self.chain.send(
                ADMIN,
                self.gda,
                U256::ZERO,
                &createPoolCall {
                    token: self.token,
                    admin,
                    config: PoolConfig {
                        transferabilityForUnitsOwner: false,
                        distributionFromAnyAddress: true,
                    },
                },
            )
        }

        fn units(&self, pool: Address, member: Address, units: u128) -> crate::Receipt<bool> {
            self.chain.send(
                ADMIN,
                pool,
                U256::ZERO,
                &updateMemberUnitsCall {
                    member,
                    newUnits: units,
                },
            )
        }

        fn distribute(&self, pool: Address, rate: i128) -> crate::Receipt<bool> {
            self.chain.send(
                BUYER,
                self.gda,
                U256::ZERO,
                &distributeFlowCall {
                    token: self.token,
                    from: BUYER,
                    pool,
                    requestedFlowRate: I96::try_from(rate).unwrap(),
                    userData: Default::default(),
                },
            )
        }

        fn rate(&self, pool: Address) -> i128 {
            let rate = self.chain.view(
                self.gda,
                &getFlowDistributionFlowRateCall {
                    token: self.token,
                    from: BUYER,
                    to: pool,
                },
            );
            i128::try_from(rate).unwrap()
        }
    }

    use IGDAv1Forwarder::createPoolReturn;

    #[test]
    fn create_pool_records_the_admin_and_refuses_a_zero_one() {
        let model = Model::new();
        let created = model.create_pool(ADMIN).unwrap();
        assert!(created.success);
        let pool = created.pool;
        let admin = model.chain.view(pool, &ISuperfluidPool::adminCall {});
        assert_eq!(admin, ADMIN);
        let token = model.chain.view(pool, &ISuperfluidPool::superTokenCall {});
        assert_eq!(token, model.token);
        let other = model.create_pool(ADMIN).unwrap().pool;
        assert_ne!(other, pool, "a pool per call");
        assert_eq!(
            model.create_pool(Address::ZERO).unwrap_revert(),
            GDA_NO_ZERO_ADDRESS_ADMIN {}.abi_encode()
        );
    }

    #[test]
    fn units_are_set_by_the_admin_and_totalled() {
        let model = Model::new();
        let pool = model.create_pool(ADMIN).unwrap().pool;
        model.units(pool, BOB, 3).unwrap();
        model.units(pool, CAROL, 5).unwrap();
        model.units(pool, CAROL, 4).unwrap();
        assert_eq!(model.chain.view(pool, &getTotalUnitsCall {}), 7);
        assert_eq!(model.chain.view(pool, &getUnitsCall { member: CAROL }), 4);
        assert_eq!(
            model.units(pool, Address::ZERO, 1).unwrap_revert(),
            SUPERFLUID_POOL_NO_ZERO_ADDRESS {}.abi_encode()
        );
        assert_eq!(
            model.units(pool, pool, 1).unwrap_revert(),
            SUPERFLUID_POOL_NO_POOL_MEMBERS {}.abi_encode()
        );
        let receipt = model.chain.send(
            BOB,
            pool,
            U256::ZERO,
            &updateMemberUnitsCall {
                member: BOB,
                newUnits: 9,
            },
        );
        assert_eq!(
            receipt.unwrap_revert(),
            SUPERFLUID_POOL_NOT_POOL_ADMIN_OR_GDA {}.abi_encode()
        );
    }

    #[test]
    fn a_distribution_is_rounded_down_to_a_multiple_of_the_total_units() {
        let model = Model::new();
        let pool = model.create_pool(ADMIN).unwrap().pool;
        assert_eq!(
            model.distribute(pool, 100).unwrap_revert(),
            ModelPoolHasNoUnits {}.abi_encode()
        );
        model.units(pool, BOB, 3).unwrap();
        model.units(pool, CAROL, 4).unwrap();
        assert!(model.distribute(pool, 100).unwrap());
        assert_eq!(model.rate(pool), 98);
        model.distribute(pool, 6).unwrap();
        assert_eq!(model.rate(pool), 0);
        model.distribute(pool, 7).unwrap();
        assert_eq!(model.rate(pool), 7);
        // A units change leaves recorded rates alone.
        model.units(pool, CAROL, 100).unwrap();
        assert_eq!(model.rate(pool), 7);
        assert_eq!(
            model.distribute(pool, -1).unwrap_revert(),
            GDA_NO_NEGATIVE_FLOW_RATE {}.abi_encode()
        );
        assert_eq!(
            model.distribute(BOB, 7).unwrap_revert(),
            GDA_ONLY_SUPER_TOKEN_POOL {}.abi_encode()
        );
    }

    #[test]
    fn balances_run_down_with_the_outflow_and_go_critical_below_zero() {
        let model = Model::new();
        let pool = model.create_pool(ADMIN).unwrap().pool;
        model.units(pool, BOB, 1).unwrap();
        let mint = mintCall {
            to: BUYER,
            amount: U256::from(1_000),
        };
        model
            .chain
            .send(BOB, model.token, U256::ZERO, &mint)
            .unwrap();
        model.distribute(pool, 7).unwrap();
        let start = model.chain.timestamp();
        let balance = |account| model.chain.view(model.token, &balanceOfCall { account });
        let critical = || {
            model
                .chain
                .view(model.token, &isAccountCriticalNowCall { account: BUYER })
        };
        model.chain.set_timestamp(start + 142);
        assert_eq!(balance(BUYER), U256::from(6));
        assert!(!critical());
        // A transfer settles the balance and moves what is there.
        let transfer = transferCall {
            to: CAROL,
            amount: U256::from(7),
        };
        assert_eq!(
            model
                .chain
                .send(BUYER, model.token, U256::ZERO, &transfer)
                .unwrap_revert(),
            SF_TOKEN_MOVE_INSUFFICIENT_BALANCE {}.abi_encode()
        );
        let transfer = transferCall {
            to: CAROL,
            amount: U256::from(6),
        };
        let receipt = model.chain.send(BUYER, model.token, U256::ZERO, &transfer);
        assert!(receipt.result.clone().unwrap());
        assert_eq!(
            receipt.logs,
            vec![crate::Log::of(
                model.token,
                &Transfer {
                    from: BUYER,
                    to: CAROL,
                    value: U256::from(6)
                }
            )]
        );
        assert_eq!(balance(CAROL), U256::from(6));
        assert_eq!(balance(BUYER), U256::ZERO);
        assert!(!critical());
        model.chain.set_timestamp(start + 143);
        assert_eq!(balance(BUYER), U256::ZERO, "floored");
        assert!(critical());
        // Stopping the flow stops the decline.
        model.distribute(pool, 0).unwrap();
        model.chain.set_timestamp(start + 1_000);
        assert!(critical(), "still below zero");
        model
            .chain
            .send(BOB, model.token, U256::ZERO, &mint)
            .unwrap();
        assert_eq!(balance(BUYER), U256::from(993));
        // Only the forwarder sets outflows.
        let hook = ISuperToken::modelSetOutflowCall {
            account: BUYER,
            oldRate: 0,
            newRate: 1,
        };
        assert_eq!(
            model
                .chain
                .send(BOB, model.token, U256::ZERO, &hook)
                .unwrap_revert(),
            SF_TOKEN_ONLY_GDA {}.abi_encode()
        );
        // Someone else cannot distribute for the buyer.
        let receipt = model.chain.send(
            BOB,
            model.gda,
            U256::ZERO,
            &distributeFlowCall {
                token: model.token,
                from: BUYER,
                pool,
                requestedFlowRate: I96::try_from(7i128).unwrap(),
                userData: Default::default(),
            },
        );
        assert_eq!(
            receipt.unwrap_revert(),
            GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED {}.abi_encode()
        );
    }
}
