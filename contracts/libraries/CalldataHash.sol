// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryTypes} from "../interfaces/ITributaryTypes.sol";

/// @title Hashes of resent configurations, straight from calldata
/// @notice `splitHash(split) == keccak256(abi.encode(split.payees, split.shares))` and
///         `offersHash(offers) == keccak256(abi.encode(offers))`, always.
/// @dev Every purchase, release and registration hashes the configuration the caller resends.
///      Re-encoding it with `abi.encode` copies it field by field; when the calldata already is
///      the canonical encoding (as every ABI encoder produces), hashing the bytes in place gives
///      the same digest for less gas. Non-canonical split offsets fall back to `abi.encode`.
///      Offers are static structs, so their calldata is their encoding; a value with dirty
///      high bits only changes the digest, which then matches no stored hash.
library CalldataHash {
    function splitHash(ITributaryTypes.Split calldata split) internal pure returns (bytes32 hash) {
        uint256 payeeCount = split.payees.length;
        uint256 shareCount = split.shares.length;
        assembly ("memory-safe") {
            // Canonical: payees right after the two offset words, shares right after payees.
            if and(eq(calldataload(split), 0x40), eq(calldataload(add(split, 0x20)), add(0x60, shl(5, payeeCount)))) {
                let size := add(0x80, shl(5, add(payeeCount, shareCount)))
                let buffer := mload(0x40)
                calldatacopy(buffer, split, size)
                hash := keccak256(buffer, size)
            }
        }
        if (hash == bytes32(0)) hash = keccak256(abi.encode(split.payees, split.shares));
    }

    function offersHash(ITributaryTypes.Offer[] calldata offers) internal pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let size := mul(offers.length, 0x100) // 8 static words per offer
            let buffer := mload(0x40)
            mstore(buffer, 0x20)
            mstore(add(buffer, 0x20), offers.length)
            calldatacopy(add(buffer, 0x40), offers.offset, size)
            hash := keccak256(buffer, add(size, 0x40))
        }
    }
}
