// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryStreams} from "../../contracts/interfaces/ITributaryStreams.sol";
import {vm} from "../utils/Vm.sol";
import {StreamsTest} from "./StreamsTest.sol";
import {
    ISuperfluidPool,
    ISuperfluidToken
} from "@superfluid-finance/ethereum-contracts/contracts/interfaces/superfluid/ISuperfluid.sol";

/// @notice Subscriptions against the real Superfluid framework: licences follow the flow, and
///         every payee (the treasury's fee member included) receives exactly its units' share.
contract StreamsTestSuite is StreamsTest {
    uint256 internal constant DAY = 1 days;
    // Units of the alice/bob split under the 2.5 % fee (see `_aliceBob`).
    uint128 internal constant ALICE_UNITS = 117;
    uint128 internal constant BOB_UNITS = 78;
    uint128 internal constant FEE_UNITS = 5;
    uint128 internal constant TOTAL_UNITS = 200;

    // ------------------------------------------------------------------ sync

    function test_sync_createsPoolAndSetsUnits() public {
        (uint256 id,, ISuperfluidPool pool) = _registerStreamed();
        vm.assertTrue(address(pool) != address(0), "pool created");
        vm.assertEq(pool.admin(), address(streams), "streams is the pool admin");
        vm.assertTrue(pool.distributionFromAnyAddress(), "anyone may distribute");
        vm.assertFalse(pool.transferabilityForUnitsOwner(), "units are not transferable");
        vm.assertEq(uint256(pool.getUnits(alice)), ALICE_UNITS, "alice units");
        vm.assertEq(uint256(pool.getUnits(bob)), BOB_UNITS, "bob units");
        vm.assertEq(uint256(pool.getUnits(treasury)), FEE_UNITS, "treasury units");
        vm.assertEq(uint256(pool.getTotalUnits()), TOTAL_UNITS, "total units");
        (address recorded, int96 minRate) = streams.subscriptionTerms(id, address(token));
        vm.assertEq(recorded, address(pool), "recorded pool");
        _eq(int256(minRate), int256(MIN_RATE), "recorded minimum rate");
        _eq(int256(streams.requiredFlowRate(id, address(token))), int256(MIN_RATE) + 199, "required rate");
        address[] memory tokens = streams.subscriptionTokens(id);
        vm.assertEq(tokens.length, 1, "one subscription token");
        vm.assertEq(tokens[0], address(token), "the super token");
        (address[] memory accounts, uint128[] memory units) = streams.members(id);
        vm.assertEq(accounts.length, 3, "payees and treasury");
        vm.assertEq(accounts[2], treasury, "treasury last");
        vm.assertEq(uint256(units[2]), FEE_UNITS, "treasury member units");
        (,,, bytes32 termsHash) = suite.dataset(id);
        vm.assertEq(streams.syncedTermsHash(id), termsHash, "synced terms hash");
    }

    function test_sync_twiceChangesNothing() public {
        (uint256 id, Terms memory terms, ISuperfluidPool pool) = _registerStreamed();
        vm.recordLogs();
        streams.sync(id, _aliceBob(), terms.offers);
        vm.assertEq(streams.poolOf(id, address(token)), address(pool), "same pool");
        // SubscriptionSynced and TermsSynced only: no pool, no unit change.
        vm.assertEq(vm.getRecordedLogs().length, 2, "no unit updates");
    }

    function test_sync_wrongTermsReverts() public {
        (uint256 id, Terms memory terms,) = _registerStreamed();
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.TermsMismatch.selector, id));
        streams.sync(id, _split(alice, 61, bob, 39), terms.offers);
        Offer[] memory cheaper = _offers(_subscriptionOffer(address(token), MIN_RATE - 1), _ethOffer(1 ether));
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.TermsMismatch.selector, id));
        streams.sync(id, _aliceBob(), cheaper);
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.UnknownDataset.selector, id + 1));
        streams.sync(id + 1, _aliceBob(), terms.offers);
    }

    function test_sync_subscriptionInEthReverts() public {
        Offer memory offer = _subscriptionOffer(address(0), MIN_RATE);
        (uint256 id, Terms memory terms) = _register(_aliceBob(), _offers(offer));
        vm.expectRevert(abi.encodeWithSelector(ITributaryStreams.InvalidSubscriptionOffer.selector, 0));
        streams.sync(id, _aliceBob(), terms.offers);
    }

    // ------------------------------------------------------------------ open, update, close

    function test_stream_licensesAndPaysEveryPayeeToTheWei() public {
        (uint256 id,, ISuperfluidPool pool) = _registerStreamed();
        _connect(alice, pool);
        _connect(treasury, pool); // bob stays disconnected and claims
        _fund(buyer, 1000e18);
        vm.assertFalse(streams.isLicensed(buyer, id), "not licensed before streaming");

        _stream(buyer, pool, MIN_RATE);
        vm.assertTrue(streams.isLicensed(buyer, id), "licensed while streaming");
        vm.assertTrue(streams.isSubscribed(buyer, id), "subscribed");
        _eq(int256(streams.flowRate(buyer, id, address(token))), int256(MIN_RATE), "flow rate");
        vm.assertFalse(streams.isLicensed(other, id), "someone else is not licensed");

        _skip(DAY);
        uint256 perUnit = uint256(uint96(MIN_RATE)) / TOTAL_UNITS;
        vm.assertEq(token.balanceOf(alice), ALICE_UNITS * perUnit * DAY, "alice, connected, to the wei");
        vm.assertEq(token.balanceOf(treasury), FEE_UNITS * perUnit * DAY, "treasury fee member, to the wei");
        vm.assertEq(token.balanceOf(bob), 0, "bob, disconnected, holds nothing yet");
        vm.assertEq(_received(bob, pool), BOB_UNITS * perUnit * DAY, "bob's claimable, to the wei");
        gda.claimAll(pool, bob, "");
        vm.assertEq(token.balanceOf(bob), BOB_UNITS * perUnit * DAY, "bob after claiming");
        vm.assertEq(
            token.balanceOf(alice) + token.balanceOf(bob) + token.balanceOf(treasury),
            uint256(uint96(MIN_RATE)) * DAY,
            "payees got all the buyer streamed"
        );
        vm.assertTrue(streams.isLicensed(buyer, id), "still licensed a day later");

        // Close: licence ends at once, payees get nothing more.
        _stream(buyer, pool, 0);
        vm.assertFalse(streams.isLicensed(buyer, id), "licence ends with the flow");
        uint256 aliceBefore = token.balanceOf(alice);
        _skip(DAY);
        vm.assertEq(token.balanceOf(alice), aliceBefore, "nothing flows after closing");
        vm.assertEq(token.balanceOf(buyer), 1000e18 - uint256(uint96(MIN_RATE)) * DAY, "buyer paid one day");
    }

    function test_stream_updateBelowAndAboveMinimum() public {
        (uint256 id,, ISuperfluidPool pool) = _registerStreamed();
        _connect(alice, pool);
        _fund(buyer, 1000e18);
        _stream(buyer, pool, MIN_RATE * 2);
        vm.assertTrue(streams.isLicensed(buyer, id), "twice the minimum");
        _skip(DAY);
        _stream(buyer, pool, MIN_RATE - int96(int128(TOTAL_UNITS)));
        vm.assertFalse(streams.isLicensed(buyer, id), "below the minimum");
        _skip(DAY);
        _stream(buyer, pool, MIN_RATE);
        vm.assertTrue(streams.isLicensed(buyer, id), "back at the minimum");
        _skip(DAY);
        uint256 perUnitDay =
            (2 * uint256(uint96(MIN_RATE)) + uint256(uint96(MIN_RATE)) - TOTAL_UNITS + uint256(uint96(MIN_RATE)))
                / TOTAL_UNITS * DAY;
        vm.assertEq(token.balanceOf(alice), ALICE_UNITS * perUnitDay, "alice across three rates");
    }

    /// @dev The GDA rounds a distribution down to a multiple of the pool's total units: a buyer
    ///      requesting exactly a minimum that is not such a multiple is recorded below it.
    function test_stream_roundingDownToTotalUnits() public {
        int96 oddMinimum = MIN_RATE + 1;
        Split memory split = _aliceBob();
        (uint256 id, Terms memory terms) = _register(split, _offers(_subscriptionOffer(address(token), oddMinimum)));
        streams.sync(id, split, terms.offers);
        ISuperfluidPool pool = ISuperfluidPool(streams.poolOf(id, address(token)));
        _fund(buyer, 1000e18);

        (int96 actual,) =
            gda.estimateFlowDistributionActualFlowRate(ISuperfluidToken(address(token)), buyer, pool, oddMinimum);
        _eq(int256(actual), int256(MIN_RATE), "estimate rounds down to a multiple of 200");
        _stream(buyer, pool, oddMinimum);
        _eq(int256(streams.flowRate(buyer, id, address(token))), int256(MIN_RATE), "recorded rounded down");
        vm.assertFalse(streams.isLicensed(buyer, id), "requesting the bare minimum is not enough");

        int96 required = streams.requiredFlowRate(id, address(token));
        _eq(int256(required), int256(oddMinimum) + 199, "minimum + total units - 1");
        _stream(buyer, pool, required);
        _eq(int256(streams.flowRate(buyer, id, address(token))), int256(MIN_RATE) + 200, "next multiple");
        vm.assertTrue(streams.isLicensed(buyer, id), "the required rate licenses");
    }

    // ------------------------------------------------------------------ liquidation

    function test_liquidation_endsTheLicence() public {
        (uint256 id,, ISuperfluidPool pool) = _registerStreamed();
        _connect(alice, pool);
        _connect(bob, pool);
        _connect(treasury, pool);
        // 20 tokens: a 4-hour buffer of 14.4 tokens, 5.6 tokens of runway (5,600 s).
        _fund(buyer, 20e18);
        _stream(buyer, pool, MIN_RATE);
        uint256 start = block.timestamp;
        _skip(5000);
        vm.assertTrue(streams.isLicensed(buyer, id), "licensed while the balance lasts");
        vm.assertFalse(token.isAccountCriticalNow(buyer), "not critical yet");

        _skip(1000);
        vm.assertTrue(token.isAccountCriticalNow(buyer), "critical: eating the deposit");
        _eq(int256(streams.flowRate(buyer, id, address(token))), int256(MIN_RATE), "flow still open");
        vm.assertFalse(streams.isLicensed(buyer, id), "a critical buyer is not licensed, even before liquidation");

        // A liquidator closes the flow (distributeFlow to 0 on the buyer's behalf).
        vm.prank(liquidator);
        gda.distributeFlow(ISuperfluidToken(address(token)), buyer, pool, 0, "");
        uint256 liquidatedAt = block.timestamp;
        _eq(int256(streams.flowRate(buyer, id, address(token))), 0, "flow deleted");
        vm.assertFalse(streams.isLicensed(buyer, id), "not licensed after liquidation");

        uint256 perUnit = uint256(uint96(MIN_RATE)) / TOTAL_UNITS;
        uint256 streamed = liquidatedAt - start;
        vm.assertEq(token.balanceOf(alice), ALICE_UNITS * perUnit * streamed, "alice paid up to the liquidation");
        vm.assertEq(token.balanceOf(bob), BOB_UNITS * perUnit * streamed, "bob paid up to the liquidation");
        vm.assertEq(token.balanceOf(treasury), FEE_UNITS * perUnit * streamed, "treasury paid up to the liquidation");
        _skip(DAY);
        vm.assertEq(token.balanceOf(alice), ALICE_UNITS * perUnit * streamed, "nothing after");
        vm.assertFalse(streams.isLicensed(buyer, id), "still not licensed a day later");
    }

    // ------------------------------------------------------------------ split change

    function test_splitChangeMidStream_movesUnits() public {
        (uint256 id,, ISuperfluidPool pool) = _registerStreamed();
        _connect(alice, pool);
        _connect(bob, pool);
        _connect(treasury, pool);
        _fund(buyer, 10_000e18);
        _stream(buyer, pool, MIN_RATE);
        _skip(DAY);
        uint256 perUnit = uint256(uint96(MIN_RATE)) / TOTAL_UNITS;
        uint256 aliceDay1 = ALICE_UNITS * perUnit * DAY;
        uint256 bobDay1 = BOB_UNITS * perUnit * DAY;
        uint256 feeDay1 = FEE_UNITS * perUnit * DAY;
        vm.assertEq(token.balanceOf(alice), aliceDay1, "alice day 1");

        // alice 3, carol 4 (bob leaves): units 29,250 / 39,000 / 1,750 (fee) over gcd 250:
        // 117 / 156 / 7, total 280. 1e15 / 280 is not whole: the pool pays 3,571,428,571,428
        // a unit, 999,999,999,999,840 in all, and its admin the 160 wei/s remainder.
        Split memory split = _split(alice, 3, carol, 4);
        Offer[] memory offers = _offers(_subscriptionOffer(address(token), MIN_RATE), _ethOffer(1 ether));
        vm.prank(creator);
        suite.setTerms(id, split, offers);
        vm.assertFalse(streams.isLicensed(other, id), "terms changed, nobody else licensed");
        vm.expectEmit(address(streams));
        emit ITributaryStreams.MemberUnitsUpdated(id, address(token), bob, address(pool), 0);
        streams.sync(id, split, offers);
        vm.assertEq(uint256(pool.getUnits(bob)), 0, "bob removed");
        vm.assertEq(uint256(pool.getUnits(alice)), 117, "alice units");
        vm.assertEq(uint256(pool.getUnits(carol)), 156, "carol units");
        vm.assertEq(uint256(pool.getUnits(treasury)), 7, "treasury units");
        vm.assertTrue(streams.isLicensed(buyer, id), "the buyer's flow is untouched by the unit change");
        _eq(int256(streams.flowRate(buyer, id, address(token))), int256(MIN_RATE), "same rate");
        _connect(carol, pool);

        _skip(DAY);
        uint256 perUnit2 = uint256(uint96(MIN_RATE)) / 280;
        vm.assertEq(perUnit2, 3_571_428_571_428, "new per-unit rate");
        vm.assertEq(token.balanceOf(alice), aliceDay1 + 117 * perUnit2 * DAY, "alice day 2");
        vm.assertEq(token.balanceOf(bob), bobDay1, "bob gets nothing after leaving");
        vm.assertEq(token.balanceOf(carol), 156 * perUnit2 * DAY, "carol day 2");
        vm.assertEq(token.balanceOf(treasury), feeDay1 + 7 * perUnit2 * DAY, "treasury day 2");
        uint256 dust = (uint256(uint96(MIN_RATE)) - 280 * perUnit2) * DAY;
        vm.assertEq(dust, 160 * DAY, "160 wei/s of rounding");
        vm.assertEq(token.balanceOf(address(streams)), dust, "the remainder flows to the pool admin");
        vm.assertEq(
            token.balanceOf(alice) + token.balanceOf(bob) + token.balanceOf(carol) + token.balanceOf(treasury) + dust,
            uint256(uint96(MIN_RATE)) * 2 * DAY,
            "nothing lost"
        );
        uint256 treasuryBefore = token.balanceOf(treasury);
        vm.assertEq(streams.sweep(address(token)), dust, "swept");
        vm.assertEq(token.balanceOf(treasury), treasuryBefore + dust, "dust to the treasury");

        // A newcomer's flow absorbs the adjustment: requesting the bare minimum, the GDA
        // records floor((1e15 + 1e15) / 280) * 280 - 999,999,999,999,840 - 160 = 1e15 - 40.
        _eq(gda.getPoolAdjustmentFlowRate(address(pool)), 160, "adjustment flow to the admin");
        _fund(other, 1000e18);
        _stream(other, pool, MIN_RATE);
        _eq(streams.flowRate(other, id, address(token)), MIN_RATE - 40, "recorded below the request");
        vm.assertFalse(streams.isLicensed(other, id), "the bare minimum is not enough");
        _eq(gda.getPoolAdjustmentFlowRate(address(pool)), 0, "adjustment absorbed");
        // The required rate (minimum + total units - 1) always records at least the minimum.
        _stream(other, pool, streams.requiredFlowRate(id, address(token)));
        _eq(streams.flowRate(other, id, address(token)), MIN_RATE + 240, "recorded at or above the minimum");
        vm.assertTrue(streams.isLicensed(other, id), "the required rate licenses");
        _eq(pool.getTotalFlowRate(), 2 * MIN_RATE + 240, "pool distributes both flows, nothing to the admin");
    }

    function test_feeChange_syncMovesTheFeeMember() public {
        (uint256 id, Terms memory terms, ISuperfluidPool pool) = _registerStreamed();
        address newTreasury = address(0x7EA52);
        vm.prank(admin);
        suite.setProtocolFee(0, newTreasury);
        streams.sync(id, _aliceBob(), terms.offers);
        vm.assertEq(uint256(pool.getUnits(treasury)), 0, "old treasury out");
        vm.assertEq(uint256(pool.getUnits(newTreasury)), 0, "no fee, no fee member");
        vm.assertEq(uint256(pool.getUnits(alice)), 3, "alice 60 / 20");
        vm.assertEq(uint256(pool.getUnits(bob)), 2, "bob 40 / 20");
    }

    // ------------------------------------------------------------------ many subscribers

    function test_manySubscribers() public {
        (uint256 id,, ISuperfluidPool pool) = _registerStreamed();
        _connect(alice, pool);
        uint256 count = 20;
        for (uint256 i; i < count; ++i) {
            address subscriber = address(uint160(0x5B0000 + i));
            _fund(subscriber, 1000e18);
            // Rates MIN_RATE, MIN_RATE + 200, ...: each a multiple of the total units.
            _stream(subscriber, pool, MIN_RATE + int96(int256(i * TOTAL_UNITS)));
        }
        _skip(DAY);
        uint256 total;
        for (uint256 i; i < count; ++i) {
            address subscriber = address(uint160(0x5B0000 + i));
            vm.assertTrue(streams.isLicensed(subscriber, id), "every subscriber licensed");
            total += uint256(uint96(MIN_RATE)) + i * TOTAL_UNITS;
        }
        _eq(int256(pool.getTotalFlowRate()), int256(total), "pool flow is the sum");
        vm.assertEq(token.balanceOf(alice), ALICE_UNITS * (total / TOTAL_UNITS) * DAY, "alice gets her share of all");

        // One leaves, one drops below: the others stay licensed.
        address first = address(uint160(0x5B0000));
        address second = address(uint160(0x5B0001));
        _stream(first, pool, 0);
        _stream(second, pool, MIN_RATE - 1);
        vm.assertFalse(streams.isLicensed(first, id), "left");
        vm.assertFalse(streams.isLicensed(second, id), "below the minimum");
        for (uint256 i = 2; i < count; ++i) {
            vm.assertTrue(streams.isLicensed(address(uint160(0x5B0000 + i)), id), "the others stay licensed");
        }
    }

    // ------------------------------------------------------------------ status and licences

    function test_pausedOrRetiredDatasetIsNotLicensed() public {
        (uint256 id,, ISuperfluidPool pool) = _registerStreamed();
        _fund(buyer, 1000e18);
        _stream(buyer, pool, MIN_RATE);
        vm.assertTrue(streams.isLicensed(buyer, id), "active");
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Paused);
        vm.assertFalse(streams.isLicensed(buyer, id), "paused");
        vm.assertTrue(streams.isSubscribed(buyer, id), "still subscribed");
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Active);
        vm.assertTrue(streams.isLicensed(buyer, id), "active again");
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Retired);
        vm.assertFalse(streams.isLicensed(buyer, id), "retired");
    }

    function test_licenceTokenAlsoLicenses() public {
        (uint256 id, Terms memory terms,) = _registerStreamed();
        vm.assertFalse(streams.isLicensed(buyer, id), "nothing yet");
        _buy(buyer, id, terms, 1, 1 ether);
        vm.assertTrue(streams.isLicensed(buyer, id), "a bought licence counts");
        vm.assertFalse(streams.isSubscribed(buyer, id), "without a subscription");
    }

    function test_offerRemoved_flowNoLongerLicenses() public {
        (uint256 id,, ISuperfluidPool pool) = _registerStreamed();
        _fund(buyer, 1000e18);
        _stream(buyer, pool, MIN_RATE);
        Offer[] memory offers = _offers(_ethOffer(1 ether));
        vm.prank(creator);
        suite.setTerms(id, _aliceBob(), offers);
        streams.sync(id, _aliceBob(), offers);
        vm.assertFalse(streams.isLicensed(buyer, id), "no subscription offered");
        (address kept, int96 minRate) = streams.subscriptionTerms(id, address(token));
        vm.assertEq(kept, address(pool), "the pool stays");
        _eq(int256(minRate), 0, "not offered");
        vm.assertEq(streams.poolTokens(id).length, 1, "pooled token kept");
        vm.assertEq(streams.subscriptionTokens(id).length, 0, "none offered");
    }
}
