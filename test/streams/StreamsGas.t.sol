// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {StreamsTest} from "./StreamsTest.sol";
import {ISuperfluidPool} from "@superfluid-finance/ethereum-contracts/contracts/interfaces/superfluid/ISuperfluid.sol";

/// @notice Gas of a subscription's life, each operation as its own transaction: scripts/test.sh
///         runs this profile with `forge test --isolate` (cold storage, the 21,000 base and
///         calldata included), and each test ends with the measured call, recorded with
///         `snapshotGasLastCall` under `snapshots/StreamsGas.json` (checked with
///         `FORGE_SNAPSHOT_CHECK=true`). The dataset has the alice/bob split and the treasury's
///         fee member; alice is connected to the pool, bob is not.
contract StreamsGas is StreamsTest {
    uint256 internal id;
    ISuperfluidPool internal pool;
    // A fresh buyer with a realistic address (all bytes non-zero), funded before the measure.
    address internal subscriber = address(uint160(uint256(keccak256("subscriber"))));

    function setUp() public override {
        super.setUp();
        (id,, pool) = _registerStreamed();
        _connect(alice, pool);
        _fund(subscriber, 1000e18);
    }

    function testGasSyncCreatesPool() public {
        Split memory split = _aliceBob();
        (uint256 fresh, Terms memory freshTerms) =
            _register(split, _offers(_subscriptionOffer(address(token), MIN_RATE), _ethOffer(1 ether)));
        streams.sync(fresh, split, freshTerms.offers);
        vm.snapshotGasLastCall("streams_sync_new_pool_3_members");
    }

    function testGasSyncSplitChange() public {
        Split memory split = _split(alice, 3, carol, 4);
        Offer[] memory offers = _offers(_subscriptionOffer(address(token), MIN_RATE), _ethOffer(1 ether));
        vm.prank(creator);
        suite.setTerms(id, split, offers);
        streams.sync(id, split, offers);
        vm.snapshotGasLastCall("streams_sync_split_change");
    }

    function testGasConnectPool() public {
        _connect(bob, pool);
        vm.snapshotGasLastCall("member_connect_pool");
    }

    function testGasOpenFlow() public {
        _stream(subscriber, pool, MIN_RATE);
        vm.snapshotGasLastCall("flow_open");
    }

    function testGasUpdateFlow() public {
        _stream(subscriber, pool, MIN_RATE);
        _skip(1 hours);
        _stream(subscriber, pool, MIN_RATE * 2);
        vm.snapshotGasLastCall("flow_update");
    }

    function testGasCloseFlow() public {
        _stream(subscriber, pool, MIN_RATE);
        _skip(1 hours);
        _stream(subscriber, pool, 0);
        vm.snapshotGasLastCall("flow_close");
    }

    function testGasIsLicensedWhileStreaming() public {
        _stream(subscriber, pool, MIN_RATE);
        _skip(1 hours);
        bool licensed = streams.isLicensed(subscriber, id);
        vm.snapshotGasLastCall("is_licensed_streaming");
        vm.assertTrue(licensed, "licensed");
    }

    /// @dev The parts of `isLicensed` while streaming: the GDA flow rate read and the
    ///      token's critical-account check.
    function testGasFlowRateRead() public {
        _stream(subscriber, pool, MIN_RATE);
        _skip(1 hours);
        gda.getFlowDistributionFlowRate(token, subscriber, pool);
        vm.snapshotGasLastCall("part_gda_flow_rate_read");
    }

    function testGasCriticalCheck() public {
        _stream(subscriber, pool, MIN_RATE);
        _skip(1 hours);
        token.isAccountCriticalNow(subscriber);
        vm.snapshotGasLastCall("part_token_is_account_critical_now");
    }

    function testGasIsLicensedNotStreaming() public {
        bool licensed = streams.isLicensed(subscriber, id);
        vm.snapshotGasLastCall("is_licensed_not_streaming");
        vm.assertFalse(licensed, "not licensed");
    }

    function testGasClaimAll() public {
        _stream(subscriber, pool, MIN_RATE);
        _skip(1 days);
        vm.prank(bob);
        gda.claimAll(pool, bob, "");
        vm.snapshotGasLastCall("member_claim_all");
    }
}
