// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryStreams} from "../contracts/interfaces/ITributaryStreams.sol";
import {TributaryStreams} from "../contracts/streams/TributaryStreams.sol";
import {MockERC20} from "./mocks/Tokens.sol";
import {TributaryTest} from "./utils/TributaryTest.sol";
import {vm} from "./utils/Vm.sol";

/// @notice `TributaryStreams` without Superfluid: what it checks before it touches a pool, and
///         its views on a dataset with no subscription. Flows, pools and units are tested
///         against the real framework in test/streams (profile `streams`, see docs/streaming.md).
contract StreamsUnitTest is TributaryTest {
    TributaryStreams internal streams;
    MockERC20 internal superToken;

    function setUp() public override {
        super.setUp();
        // No framework here: any contract stands in for the forwarder, which these paths never call.
        streams = new TributaryStreams(address(suite), address(suite));
        superToken = new MockERC20("STRx", 18);
        vm.prank(admin);
        suite.setTokenAllowed(address(superToken), true);
    }

    function _subscription(address token, uint128 rate) internal pure returns (Offer memory offer) {
        offer = _offer(rate, token, 0, false);
        offer.kind = OfferKind.Subscription;
    }

    function testConstructorNeedsContracts() public {
        vm.expectRevert();
        new TributaryStreams(address(0x1234), address(suite));
        vm.expectRevert();
        new TributaryStreams(address(suite), address(0x1234));
    }

    function testViews() public view {
        vm.assertEq(streams.tributary(), address(suite), "suite");
        vm.assertEq(streams.gdaForwarder(), address(suite), "forwarder");
    }

    function testSyncUnknownDatasetReverts() public {
        (, Terms memory terms) = _registerSimple(1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.UnknownDataset.selector, 2));
        streams.sync(2, _split(creator), terms.offers);
    }

    function testSyncWrongTermsReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.TermsMismatch.selector, id));
        streams.sync(id, _split(other), terms.offers);
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.TermsMismatch.selector, id));
        streams.sync(id, _split(creator), _offers(_ethOffer(2 ether)));
    }

    function testSyncUnstreamableSubscriptionReverts() public {
        Offer[] memory offers = _offers(_ethOffer(1 ether), _subscription(address(0), 1e15));
        (uint256 id,) = _register(_split(creator), offers);
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.InvalidSubscriptionOffer.selector, 1));
        streams.sync(id, _split(creator), offers);

        offers = _offers(_subscription(address(superToken), uint128(uint96(type(int96).max)) + 1));
        (id,) = _register(_split(creator), offers);
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.InvalidSubscriptionOffer.selector, 0));
        streams.sync(id, _split(creator), offers);

        offers = _offers(_subscription(address(superToken), 0));
        (id,) = _register(_split(creator), offers);
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.InvalidSubscriptionOffer.selector, 0));
        streams.sync(id, _split(creator), offers);
    }

    /// @dev A dataset without subscription offers syncs without any pool, and only a licence
    ///      token licenses.
    function testNoSubscriptionOnlyLicenceTokens() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        streams.sync(id, _split(creator), terms.offers);
        vm.assertEq(streams.subscriptionTokens(id).length, 0, "no subscription");
        vm.assertEq(streams.poolTokens(id).length, 0, "no pool");
        vm.assertEq(streams.poolOf(id, address(superToken)), address(0), "no pool for the token");
        vm.assertEq(uint256(uint96(streams.requiredFlowRate(id, address(superToken)))), 0, "nothing required");
        vm.assertEq(uint256(uint96(streams.flowRate(buyer, id, address(superToken)))), 0, "no flow");
        (,,, bytes32 termsHash) = suite.dataset(id);
        vm.assertEq(streams.syncedTermsHash(id), termsHash, "synced");
        (address[] memory accounts, uint128[] memory units) = streams.members(id);
        vm.assertEq(accounts.length, 2, "the creator and the treasury");
        vm.assertEq(accounts[1], treasury, "treasury last");
        // creator 1 share x 9,750, treasury 1 x 250: divided by 250, 39 and 1.
        vm.assertEq(uint256(units[0]), 39, "creator units");
        vm.assertEq(uint256(units[1]), 1, "treasury units");
        vm.assertFalse(streams.isLicensed(buyer, id), "nothing bought");
        vm.assertFalse(streams.isSubscribed(buyer, id), "not subscribed");
        _buy(buyer, id, terms, 0, 1 ether);
        vm.assertTrue(streams.isLicensed(buyer, id), "a licence token");
    }
}
