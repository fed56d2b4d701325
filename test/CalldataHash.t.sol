// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryTypes} from "../contracts/interfaces/ITributaryTypes.sol";
import {CalldataHash} from "../contracts/libraries/CalldataHash.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Exposes the library over calldata, beside the `abi.encode` expected.
contract CalldataHashHarness is ITributaryTypes {
    function splitHash(Split calldata split) external pure returns (bytes32 fast, bytes32 expected) {
        return (CalldataHash.splitHash(split), keccak256(abi.encode(split.payees, split.shares)));
    }

    function offersHash(Offer[] calldata offers) external pure returns (bytes32 fast, bytes32 expected) {
        return (CalldataHash.offersHash(offers), keccak256(abi.encode(offers)));
    }
}

contract CalldataHashTest is ITributaryTypes {
    CalldataHashHarness internal harness = new CalldataHashHarness();

    function testSplitHashMatchesAbiEncode(address[] memory payees, uint32[] memory shares) public view {
        (bytes32 fast, bytes32 expected) = harness.splitHash(Split(payees, shares));
        vm.assertEq(fast, expected, "split hash");
    }

    function testOffersHashMatchesAbiEncode(uint8 count, uint256 seed) public view {
        Offer[] memory offers = new Offer[](count % 20);
        for (uint256 i; i < offers.length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            offers[i] = Offer({
                kind: OfferKind(r % 4),
                paymentToken: address(uint160(r >> 8)),
                price: uint128(r >> 100),
                duration: uint64(r >> 40),
                transferable: r & 1 == 1,
                royaltyBps: uint16(r >> 200),
                supplyCap: uint32(r >> 220),
                termsHash: keccak256(abi.encode(r))
            });
        }
        (bytes32 fast, bytes32 expected) = harness.offersHash(offers);
        vm.assertEq(fast, expected, "offers hash");
    }

    /// A valid but non-canonical encoding (a gap word between the head and the payees) decodes
    /// to the same split and must hash the same, through the fallback.
    function testSplitHashOfNonCanonicalEncoding() public view {
        address[] memory payees = new address[](2);
        uint32[] memory shares = new uint32[](2);
        (payees[0], payees[1], shares[0], shares[1]) = (address(1), address(2), 3, 4);
        bytes memory call = abi.encodePacked(
            CalldataHashHarness.splitHash.selector,
            uint256(0x20), // offset of the struct
            uint256(0x60), // payees offset: one gap word after the two offsets
            uint256(0x60 + 0x60), // shares offset
            uint256(0xdead), // the gap
            abi.encodePacked(uint256(2), uint256(uint160(payees[0])), uint256(uint160(payees[1]))),
            abi.encodePacked(uint256(2), uint256(shares[0]), uint256(shares[1]))
        );
        (bool ok, bytes memory result) = address(harness).staticcall(call);
        vm.assertTrue(ok, "decodes");
        (bytes32 fast, bytes32 expected) = abi.decode(result, (bytes32, bytes32));
        vm.assertEq(fast, expected, "same hash");
        vm.assertEq(fast, keccak256(abi.encode(payees, shares)), "as the canonical split");
    }
}
