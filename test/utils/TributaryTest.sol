// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Tributary} from "../../contracts/Tributary.sol";
import {ITributary} from "../../contracts/interfaces/ITributary.sol";
import {CREDITS, ITributaryTypes} from "../../contracts/interfaces/ITributaryTypes.sol";
import {vm} from "./Vm.sol";

/// @notice Shared fixture: a deployed suite, named actors, and builders for splits, offers
///         and terms. Every test contract of the suite derives from it.
abstract contract TributaryTest is ITributaryTypes {
    uint16 internal constant FEE_BPS = 250; // 2.5 %
    uint256 internal constant CREATOR_KEY = 0xC0FFEE;
    uint256 internal constant OTHER_KEY = 0xBEEF;
    /// @dev sha256 of a licence text, as a literal: computing it would be a precompile call,
    ///      which would consume a pending `prank` or `expectRevert` when built in call arguments.
    bytes32 internal constant LICENCE_TEXT_HASH = 0x0edffaacb8d5e6546399e22c198868c952d39a59e04b3bed86f719feeb1a8b1c;

    Tributary internal suite;
    address internal admin = address(0xAD);
    address internal treasury = address(0x7EA5);
    address internal relayer = address(0x5E1A);
    address internal pauser = address(0x9A05E);
    address internal creator;
    address internal other;
    address internal buyer = address(0xB0B);

    function setUp() public virtual {
        creator = vm.addr(CREATOR_KEY);
        other = vm.addr(OTHER_KEY);
        suite = new Tributary(admin, treasury, FEE_BPS);
        vm.startPrank(admin);
        suite.grantRole(suite.RELAYER_ROLE(), relayer);
        suite.grantRole(suite.PAUSER_ROLE(), pauser);
        vm.stopPrank();
        vm.label(address(suite), "Tributary");
        vm.label(creator, "creator");
        vm.label(buyer, "buyer");
        vm.deal(buyer, 1000 ether);
    }

    // ------------------------------------------------------------------ builders

    function _split(address payee) internal pure returns (Split memory split) {
        split.payees = new address[](1);
        split.shares = new uint32[](1);
        split.payees[0] = payee;
        split.shares[0] = 1;
    }

    /// @dev Two payees, sorted as the registry requires.
    function _split(address a, uint32 shareA, address b, uint32 shareB) internal pure returns (Split memory split) {
        split.payees = new address[](2);
        split.shares = new uint32[](2);
        (split.payees[0], split.shares[0], split.payees[1], split.shares[1]) =
            a < b ? (a, shareA, b, shareB) : (b, shareB, a, shareA);
    }

    function _offer(uint128 price, address token, uint64 duration, bool transferable)
        internal
        pure
        returns (Offer memory)
    {
        return Offer({
            kind: OfferKind.OneOff,
            paymentToken: token,
            price: price,
            duration: duration,
            transferable: transferable,
            royaltyBps: 0,
            supplyCap: 0,
            termsHash: LICENCE_TEXT_HASH
        });
    }

    function _ethOffer(uint128 price) internal pure returns (Offer memory) {
        return _offer(price, address(0), 0, false);
    }

    function _offers(Offer memory offer) internal pure returns (Offer[] memory offers) {
        offers = new Offer[](1);
        offers[0] = offer;
    }

    function _offers(Offer memory a, Offer memory b) internal pure returns (Offer[] memory offers) {
        offers = new Offer[](2);
        offers[0] = a;
        offers[1] = b;
    }

    function _terms(Split memory split, Offer[] memory offers) internal pure returns (Terms memory) {
        return Terms(keccak256(abi.encode(split.payees, split.shares)), offers);
    }

    // ------------------------------------------------------------------ flows

    /// @dev The creator registers a dataset; returns its id and resendable terms.
    function _register(Split memory split, Offer[] memory offers) internal returns (uint256 id, Terms memory terms) {
        bytes32 manifestHash = sha256("manifest v1");
        vm.prank(creator);
        id = suite.register(manifestHash, "ipfs://bafymanifest1", split, offers);
        terms = _terms(split, offers);
    }

    /// @dev A dataset paying `creator` alone, with one perpetual non-transferable ETH offer.
    function _registerSimple(uint128 price) internal returns (uint256 id, Terms memory terms) {
        return _register(_split(creator), _offers(_ethOffer(price)));
    }

    function _buy(address from, uint256 id, Terms memory terms, uint256 offerIndex, uint256 value)
        internal
        returns (uint256 tokenId)
    {
        vm.prank(from);
        tokenId = suite.purchase{value: value}(id, terms, offerIndex, from);
    }

    /// @dev A licence's token id: dataset id, dataset version at issue, and serial (the count of
    ///      licences issued so far, this one included). See docs/contracts.md, "Licences".
    function _tokenId(uint256 datasetId, uint32 version, uint64 serial) internal pure returns (uint256) {
        return datasetId << 192 | uint256(version) << 160 | serial;
    }

    function _fee(uint256 amount) internal pure returns (uint256) {
        return amount * FEE_BPS / 10_000;
    }

    /// @dev Maps `x` into [min, max] without rejecting fuzz inputs.
    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + x % (max - min + 1);
    }

    function _credits() internal pure returns (address) {
        return CREDITS;
    }

    function _asInterface() internal view returns (ITributary) {
        return ITributary(address(suite));
    }
}
