//! The calls licences makes to the other contracts of the suite (`docs/stylus.md`, "How calls
//! and money flow") and to ERC-721 receivers. Calldata is written word by word; a callee's
//! revert data is bubbled unchanged.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::call::RawCall;
use stylus_sdk::prelude::*;

use crate::{
    DatasetRecord, Licences, LicencesError, Result, TransferToNonERC721ReceiverImplementer,
};

sol! {
    /// What licences calls: the registry's view, the suite-internal functions of splits and
    /// credits, and the ERC-721 receiver hook.
    interface ISuiteCalls {
        function dataset(uint256 datasetId) external view returns (address creator, uint8 status, uint32 versionCount, bytes32 termsHash);
        function receivePayment(bytes32 splitHash, address token, uint256 datasetId, address payer, uint256 amount) external payable;
        function spendCredits(bytes32 paymentId, uint256 amount, uint256 tokenId, address spender) external returns (address account);
        function setPaused(bool paused) external;
        function licenceFlagged(uint256 tokenId) external view returns (bool);
        function onERC721Received(address operator, address from, uint256 tokenId, bytes data) external returns (bytes4);
    }
}

use ISuiteCalls::*;

/// `selector ++ words`.
fn calldata(selector: [u8; 4], words: &[B256]) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + 32 * words.len());
    data.extend_from_slice(&selector);
    for word in words {
        data.extend_from_slice(word.as_slice());
    }
    data
}

/// Word `i` of return data, or an empty revert if it is shorter (as Solidity's decoder).
fn returned_word(data: &[u8], i: usize) -> Result<B256> {
    data.get(32 * i..32 * i + 32)
        .map(B256::from_slice)
        .ok_or_else(|| LicencesError::raw(Vec::new()))
}

impl Licences {
    /// A call that may change state, with `value`; revert data bubbled.
    fn call(&mut self, to: Address, value: U256, data: &[u8]) -> Result<Vec<u8>> {
        // SAFETY: the storage cache is flushed before the call; no callee can re-enter (the
        // SDK refuses reentrant calls), so nothing it does depends on this contract's state.
        unsafe {
            RawCall::new_with_value(self.vm(), value)
                .flush_storage_cache()
                .call(to, data)
        }
        .map_err(LicencesError::raw)
    }

    /// A static call; revert data bubbled.
    fn static_call(&self, to: Address, data: &[u8]) -> Result<Vec<u8>> {
        // SAFETY: a static call changes no state.
        unsafe { RawCall::new_static(self.vm()).call(to, data) }.map_err(LicencesError::raw)
    }

    /// `registry.dataset(id)`: creator, status, version count and terms hash.
    pub(crate) fn dataset(&self, dataset_id: U256) -> Result<DatasetRecord> {
        let returned = self.static_call(
            self.registry.get(),
            &calldata(datasetCall::SELECTOR, &[dataset_id.into()]),
        )?;
        let word = |i| returned_word(&returned, i);
        Ok(DatasetRecord {
            creator: Address::from_word(word(0)?),
            status: word(1)?[31],
            version_count: u32::from_be_bytes(word(2)?[28..].try_into().unwrap_or_default()),
            terms_hash: word(3)?,
        })
    }

    /// `splits.receivePayment{value}(splitHash, token, datasetId, payer, amount)`: the
    /// Solidity build's `_collect` and `_receivePayment`.
    pub(crate) fn receive_payment(
        &mut self,
        value: U256,
        split_hash: B256,
        token: Address,
        dataset_id: U256,
        payer: Address,
        amount: U256,
    ) -> Result<()> {
        let data = calldata(
            receivePaymentCall::SELECTOR,
            &[
                split_hash,
                token.into_word(),
                dataset_id.into(),
                payer.into_word(),
                amount.into(),
            ],
        );
        self.call(self.splits.get(), value, &data)?;
        Ok(())
    }

    /// `credits.spendCredits(paymentId, amount, tokenId, caller)`: the Solidity build's
    /// `_spendCredits`; returns the payment's account.
    pub(crate) fn spend_credits(
        &mut self,
        payment_id: B256,
        amount: U256,
        token_id: U256,
    ) -> Result<Address> {
        let spender = self.vm().msg_sender();
        let data = calldata(
            spendCreditsCall::SELECTOR,
            &[
                payment_id,
                amount.into(),
                token_id.into(),
                spender.into_word(),
            ],
        );
        let returned = self.call(self.credits.get(), U256::ZERO, &data)?;
        Ok(Address::from_word(returned_word(&returned, 0)?))
    }

    /// `credits.setPaused(paused)`: credits' copy of the switch, read by `mintCredits`.
    pub(crate) fn mirror_pause(&mut self, paused: bool) -> Result<()> {
        let data = calldata(setPausedCall::SELECTOR, &[U256::from(paused as u8).into()]);
        self.call(self.credits.get(), U256::ZERO, &data)?;
        Ok(())
    }

    /// `credits.licenceFlagged(tokenId)`: whether a reversal flagged the licence.
    pub(crate) fn licence_flagged(&self, token_id: U256) -> Result<bool> {
        let returned = self.static_call(
            self.credits.get(),
            &calldata(licenceFlaggedCall::SELECTOR, &[token_id.into()]),
        )?;
        Ok(returned_word(&returned, 0)?[31] != 0)
    }

    /// Solady's `_checkOnERC721Received`, if `to` has code: calls
    /// `onERC721Received(msg.sender, from, id, data)` (the data unpadded, as Solady sends it);
    /// a revert with data is bubbled, and anything but a 32-byte word holding the selector is
    /// `TransferToNonERC721ReceiverImplementer`.
    pub(crate) fn check_received(
        &mut self,
        from: Address,
        to: Address,
        id: U256,
        data: &[u8],
    ) -> Result<()> {
        if self.vm().code_size(to) == 0 {
            return Ok(());
        }
        let operator = self.vm().msg_sender();
        let mut input = calldata(
            onERC721ReceivedCall::SELECTOR,
            &[
                operator.into_word(),
                from.into_word(),
                id.into(),
                U256::from(0x80).into(),
                U256::from(data.len()).into(),
            ],
        );
        input.extend_from_slice(data);
        let mut expected = [0u8; 32];
        expected[..4].copy_from_slice(&onERC721ReceivedCall::SELECTOR);
        // SAFETY: as in `call`.
        let result = unsafe {
            RawCall::new(self.vm())
                .flush_storage_cache()
                .call(to, &input)
        };
        match result {
            Err(reason) if !reason.is_empty() => Err(LicencesError::raw(reason)),
            Ok(returned) if returned.get(..32) == Some(&expected[..]) => Ok(()),
            _ => Err(TransferToNonERC721ReceiverImplementer {}.into()),
        }
    }
}
