//! Contracts that refuse ETH, for payout failures, and ERC-721 receivers, for safe mints and
//! transfers: one that accepts (and logs what it was told), and two that answer wrongly.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolError, SolEvent};
use stylus_sdk::host::VM;
use stylus_sdk::stylus_core::host::RawLogAccess;
use stylus_sdk::ArbResult;

use crate::{Chain, Entrypoint};

sol! {
    /// The reason [`REJECTS_WITH_REASON`] gives.
    error NoEthAccepted();

    /// Logged by [`ERC721_RECEIVER`] for each `onERC721Received(operator, from, tokenId,
    /// data)` call it accepts.
    event Received(address operator, address from, uint256 tokenId, bytes data);
}

/// `onERC721Received(address,address,uint256,bytes)`'s selector, the answer that accepts.
pub const ON_ERC721_RECEIVED: [u8; 4] = [0x15, 0x0b, 0x7a, 0x02];

/// Accepts every ERC-721 and logs [`Received`] with the call's arguments. The calldata is read
/// word by word and the data taken as its length says, padded or not (Solady sends it
/// unpadded); malformed calldata reverts empty.
pub const ERC721_RECEIVER: Entrypoint = erc721_receiver;
/// Answers `onERC721Received` with a word that is not its selector.
pub const ERC721_WRONG_ANSWER: Entrypoint = erc721_wrong_answer;
/// Answers `onERC721Received` with the selector's four bytes only, not a whole word.
pub const ERC721_SHORT_ANSWER: Entrypoint = erc721_short_answer;

fn erc721_receiver(input: Vec<u8>, vm: VM) -> ArbResult {
    if input.len() < 4 + 5 * 32 || input[..4] != ON_ERC721_RECEIVED {
        return Err(Vec::new());
    }
    let word = |i: usize| B256::from_slice(&input[4 + 32 * i..4 + 32 * i + 32]);
    if U256::from_be_bytes(word(3).0) != U256::from(0x80) {
        return Err(Vec::new());
    }
    let len = U256::from_be_bytes(word(4).0);
    let data = input.get(164..).unwrap_or_default();
    if U256::from(data.len()) < len {
        return Err(Vec::new());
    }
    let event = Received {
        operator: Address::from_word(word(0)),
        from: Address::from_word(word(1)),
        tokenId: U256::from_be_bytes(word(2).0),
        data: data[..len.to::<usize>()].to_vec().into(),
    };
    let mut log = Received::SIGNATURE_HASH.to_vec();
    log.extend(event.encode_data());
    vm.emit_log(&log, 1);
    let mut answer = vec![0u8; 32];
    answer[..4].copy_from_slice(&ON_ERC721_RECEIVED);
    Ok(answer)
}

fn erc721_wrong_answer(_input: Vec<u8>, _vm: VM) -> ArbResult {
    let mut answer = vec![0u8; 32];
    answer[..4].copy_from_slice(&[0x15, 0x0b, 0x7a, 0x03]);
    Ok(answer)
}

fn erc721_short_answer(_input: Vec<u8>, _vm: VM) -> ArbResult {
    Ok(ON_ERC721_RECEIVED.to_vec())
}

/// Reverts every call with no revert data.
pub const REJECTS_SILENTLY: Entrypoint = rejects_silently;
/// Reverts every call with `NoEthAccepted()`.
pub const REJECTS_WITH_REASON: Entrypoint = rejects_with_reason;

fn rejects_silently(_input: Vec<u8>, _vm: VM) -> ArbResult {
    Err(Vec::new())
}

fn rejects_with_reason(_input: Vec<u8>, _vm: VM) -> ArbResult {
    Err(NoEthAccepted {}.abi_encode())
}

impl Chain {
    /// Deploys a contract with no constructor.
    pub fn deploy_plain(&self, entrypoint: Entrypoint) -> Address {
        self.deploy(entrypoint, Address::ZERO, None)
            .expect("deploy without a constructor cannot fail")
    }
}
