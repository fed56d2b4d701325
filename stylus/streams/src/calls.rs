//! The calls streams makes: the Stylus suite (registry `dataset`, splits `protocolFee`,
//! licences `isLicensed`) and Superfluid (`GDAv1Forwarder.createPool` and
//! `getFlowDistributionFlowRate`, the pool's `getUnits`, `getTotalUnits` and
//! `updateMemberUnits`, the Super Token's `balanceOf`, `transfer` and `isAccountCriticalNow`),
//! as `contracts/streams/SuperfluidMinimal.sol` declares them. Calldata is written word by
//! word; a callee's revert data is bubbled unchanged; return data is checked as Solidity's
//! decoder checks it (long enough, every value clean for its type, an enum in range), an empty
//! revert otherwise.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::call::RawCall;
use stylus_sdk::prelude::*;
use tributary_stylus_common::calldata::{Args, Decoded, Malformed};

use crate::{Result, Streams, StreamsError};

sol! {
    /// What streams calls, with Superfluid's types as plain addresses and `PoolConfig` as its
    /// tuple (the selectors of `SuperfluidMinimal.sol`).
    interface IStreamsCalls {
        function dataset(uint256 datasetId) external view returns (address creator, uint8 status, uint32 versionCount, bytes32 termsHash);
        function protocolFee() external view returns (uint16 bps, address treasury);
        function isLicensed(address account, uint256 datasetId) external view returns (bool);
        function createPool(address token, address admin, (bool,bool) config) external returns (bool success, address pool);
        function getFlowDistributionFlowRate(address token, address from, address to) external view returns (int96);
        function getUnits(address member) external view returns (uint128);
        function getTotalUnits() external view returns (uint128);
        function updateMemberUnits(address member, uint128 newUnits) external returns (bool);
        function isAccountCriticalNow(address account) external view returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
    }
}

use IStreamsCalls::*;

/// `selector ++ words`.
fn calldata(selector: [u8; 4], words: &[B256]) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + 32 * words.len());
    data.extend_from_slice(&selector);
    for word in words {
        data.extend_from_slice(word.as_slice());
    }
    data
}

/// Return data, read as Solidity's decoder reads it.
struct Returned(Vec<u8>);

impl Returned {
    fn args(&self) -> Args<'_> {
        Args { data: &self.0 }
    }

    /// Word `i` as an unsigned integer of `bits` bits.
    fn uint(&self, i: usize, bits: usize) -> Decoded<U256> {
        self.args().uint(32 * i, bits)
    }

    fn address(&self, i: usize) -> Decoded<Address> {
        self.args().address(32 * i)
    }

    fn boolean(&self, i: usize) -> Decoded<bool> {
        match self.args().small(32 * i, 8)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Malformed),
        }
    }

    /// Word `i` as an `int96`: its 160 high bits must repeat its sign bit.
    fn int96(&self, i: usize) -> Decoded<i128> {
        let word = self.args().word(32 * i)?;
        let fill = if word[20] & 0x80 != 0 { 0xff } else { 0 };
        if word[..20].iter().any(|&b| b != fill) {
            return Err(Malformed);
        }
        let mut low = [fill; 16];
        low[4..].copy_from_slice(&word[20..]);
        Ok(i128::from_be_bytes(low))
    }
}

impl Streams {
    /// A static call; revert data bubbled.
    fn view_call(&self, to: Address, data: &[u8]) -> Result<Returned> {
        // SAFETY: a static call changes no state.
        unsafe { RawCall::new_static(self.vm()).call(to, data) }
            .map(Returned)
            .map_err(StreamsError::raw)
    }

    /// A call that may change state; revert data bubbled.
    fn write_call(&mut self, to: Address, data: &[u8]) -> Result<Returned> {
        // SAFETY: the storage cache is flushed before the call; no callee can re-enter (the
        // SDK refuses reentrant calls), so nothing it does depends on this contract's state.
        unsafe { RawCall::new(self.vm()).flush_storage_cache().call(to, data) }
            .map(Returned)
            .map_err(StreamsError::raw)
    }

    /// `registry.dataset(id)`: its status and terms hash (`DatasetStatus` checked in range).
    pub(crate) fn dataset(&self, dataset_id: U256) -> Result<(u8, B256)> {
        let returned = self.view_call(
            self.registry.get(),
            &calldata(datasetCall::SELECTOR, &[dataset_id.into()]),
        )?;
        returned.address(0)?;
        let status = returned.uint(1, 8)?;
        if status > U256::from(3) {
            return Err(StreamsError::empty());
        }
        returned.uint(2, 32)?;
        Ok((status.to::<u8>(), returned.args().b256(96)?))
    }

    /// `splits.protocolFee()`: the fee in basis points and the treasury.
    pub(crate) fn protocol_fee(&self) -> Result<(u16, Address)> {
        let returned = self.view_call(self.splits.get(), &protocolFeeCall::SELECTOR)?;
        Ok((returned.uint(0, 16)?.to::<u16>(), returned.address(1)?))
    }

    /// `licences.isLicensed(account, datasetId)`: a licence token.
    pub(crate) fn suite_is_licensed(&self, account: Address, dataset_id: U256) -> Result<bool> {
        let returned = self.view_call(
            self.licences.get(),
            &calldata(
                isLicensedCall::SELECTOR,
                &[account.into_word(), dataset_id.into()],
            ),
        )?;
        Ok(returned.boolean(0)?)
    }

    /// `gda.createPool(token, this, PoolConfig(false, true))`: the pool, this contract its
    /// admin, only the admin setting units, anyone distributing.
    pub(crate) fn create_pool(&mut self, token: Address) -> Result<Address> {
        let this = self.vm().contract_address();
        let data = calldata(
            createPoolCall::SELECTOR,
            &[
                token.into_word(),
                this.into_word(),
                B256::ZERO,
                U256::from(1).into(),
            ],
        );
        let returned = self.write_call(self.gda.get(), &data)?;
        returned.boolean(0)?;
        Ok(returned.address(1)?)
    }

    /// `gda.getFlowDistributionFlowRate(token, from, pool)`.
    pub(crate) fn distribution_flow_rate(
        &self,
        token: Address,
        from: Address,
        pool: Address,
    ) -> Result<i128> {
        let returned = self.view_call(
            self.gda.get(),
            &calldata(
                getFlowDistributionFlowRateCall::SELECTOR,
                &[token.into_word(), from.into_word(), pool.into_word()],
            ),
        )?;
        Ok(returned.int96(0)?)
    }

    /// `pool.getUnits(member)`.
    pub(crate) fn pool_units(&self, pool: Address, member: Address) -> Result<u128> {
        let returned = self.view_call(
            pool,
            &calldata(getUnitsCall::SELECTOR, &[member.into_word()]),
        )?;
        Ok(returned.uint(0, 128)?.to::<u128>())
    }

    /// `pool.getTotalUnits()`.
    pub(crate) fn pool_total_units(&self, pool: Address) -> Result<u128> {
        let returned = self.view_call(pool, &getTotalUnitsCall::SELECTOR)?;
        Ok(returned.uint(0, 128)?.to::<u128>())
    }

    /// `pool.updateMemberUnits(member, units)` (its `bool` decoded, and ignored, as Solidity
    /// does).
    pub(crate) fn update_member_units(
        &mut self,
        pool: Address,
        member: Address,
        units: u128,
    ) -> Result<()> {
        let data = calldata(
            updateMemberUnitsCall::SELECTOR,
            &[member.into_word(), U256::from(units).into()],
        );
        self.write_call(pool, &data)?.boolean(0)?;
        Ok(())
    }

    /// `token.isAccountCriticalNow(account)`.
    pub(crate) fn account_critical(&self, token: Address, account: Address) -> Result<bool> {
        let returned = self.view_call(
            token,
            &calldata(isAccountCriticalNowCall::SELECTOR, &[account.into_word()]),
        )?;
        Ok(returned.boolean(0)?)
    }

    /// `token.balanceOf(account)`.
    pub(crate) fn token_balance(&self, token: Address, account: Address) -> Result<U256> {
        let returned = self.view_call(
            token,
            &calldata(balanceOfCall::SELECTOR, &[account.into_word()]),
        )?;
        Ok(returned.uint(0, 256)?)
    }

    /// `token.transfer(to, amount)`: its `bool`.
    pub(crate) fn token_transfer(
        &mut self,
        token: Address,
        to: Address,
        amount: U256,
    ) -> Result<bool> {
        let data = calldata(transferCall::SELECTOR, &[to.into_word(), amount.into()]);
        Ok(self.write_call(token, &data)?.boolean(0)?)
    }
}
