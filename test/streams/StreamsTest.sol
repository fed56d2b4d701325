// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributary} from "../../contracts/interfaces/ITributary.sol";
import {ITributaryStreams} from "../../contracts/interfaces/ITributaryStreams.sol";
import {ITributaryTypes} from "../../contracts/interfaces/ITributaryTypes.sol";
import {vm} from "../utils/Vm.sol";
import {
    ISuperToken,
    ISuperfluidPool,
    ISuperfluidToken
} from "@superfluid-finance/ethereum-contracts/contracts/interfaces/superfluid/ISuperfluid.sol";
import {
    ERC1820RegistryCompiled
} from "@superfluid-finance/ethereum-contracts/contracts/libs/ERC1820RegistryCompiled.sol";
import {GDAv1Forwarder} from "@superfluid-finance/ethereum-contracts/contracts/utils/GDAv1Forwarder.sol";
import {
    SuperfluidFrameworkDeployer
} from "@superfluid-finance/ethereum-contracts/contracts/utils/SuperfluidFrameworkDeployer.t.sol";

/// @notice Shared fixture of the streaming tests: the whole Superfluid framework (host, agreements,
///         forwarders, as `SuperfluidFrameworkDeployer` deploys them for tests), a pure Super
///         Token, the suite and `TributaryStreams` beside it.
/// @dev The framework compiles without the IR pipeline (foundry.toml, `compilation_restrictions`),
///      and so does every file importing it, these tests included. The suite needs IR, so it is
///      never imported here: the fixture deploys `Tributary` and `TributaryStreams` from the
///      artifacts of the default (IR) build, the very bytecode a chain gets, and talks to them
///      through their interfaces.
abstract contract StreamsTest is ITributaryTypes {
    uint16 internal constant FEE_BPS = 250; // 2.5 %, as TributaryTest
    uint256 internal constant CREATOR_KEY = 0xC0FFEE;
    bytes32 internal constant LICENCE_TEXT_HASH = 0x0edffaacb8d5e6546399e22c198868c952d39a59e04b3bed86f719feeb1a8b1c;
    /// @dev The minimum rate of the subscription offers: 1e15 wei/s = 86.4 tokens a day.
    int96 internal constant MIN_RATE = 1e15;
    uint256 internal constant SUPPLY = 1e30;

    SuperfluidFrameworkDeployer.Framework internal sf;
    GDAv1Forwarder internal gda;
    ISuperToken internal token;
    ITributary internal suite;
    ITributaryStreams internal streams;

    address internal admin = address(0xAD);
    address internal treasury = address(0x7EA5);
    address internal creator;
    address internal other = address(0x07E4);
    address internal buyer = address(0xB0B);

    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B0);
    address internal carol = address(0xCA401);
    address internal liquidator = address(0x11D);

    function setUp() public virtual {
        creator = vm.addr(CREATOR_KEY);
        suite = ITributary(_deploy("Tributary.sol:Tributary", abi.encode(admin, treasury, FEE_BPS)));
        vm.etch(ERC1820RegistryCompiled.ADDRESS, ERC1820RegistryCompiled.BYTECODE);
        SuperfluidFrameworkDeployer deployer = new SuperfluidFrameworkDeployer();
        deployer.deployTestFramework();
        sf = deployer.getFramework();
        gda = sf.gdaV1Forwarder;
        token = deployer.deployPureSuperToken("Stream Token", "STRx", SUPPLY);
        streams = ITributaryStreams(
            _deploy("TributaryStreams.sol:TributaryStreams", abi.encode(address(suite), address(gda)))
        );
        vm.prank(admin);
        suite.setTokenAllowed(address(token), true);
        vm.label(address(streams), "TributaryStreams");
        vm.label(address(token), "STRx");
        vm.label(address(suite), "Tributary");
        vm.label(creator, "creator");
        vm.label(buyer, "buyer");
        vm.label(alice, "alice");
        vm.label(bob, "bob");
        vm.label(carol, "carol");
        vm.label(treasury, "treasury");
    }

    function _deploy(string memory artifact, bytes memory args) internal returns (address deployed) {
        bytes memory code = abi.encodePacked(vm.getCode(artifact), args);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(deployed != address(0), artifact);
    }

    // ------------------------------------------------------------------ builders

    function _split(address a, uint32 shareA, address b, uint32 shareB) internal pure returns (Split memory split) {
        split.payees = new address[](2);
        split.shares = new uint32[](2);
        (split.payees[0], split.shares[0], split.payees[1], split.shares[1]) =
            a < b ? (a, shareA, b, shareB) : (b, shareB, a, shareA);
    }

    function _offer(uint128 price, address paymentToken, uint64 duration, bool transferable)
        internal
        pure
        returns (Offer memory)
    {
        return Offer({
            kind: OfferKind.OneOff,
            paymentToken: paymentToken,
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

    function _register(Split memory split, Offer[] memory offers) internal returns (uint256 id, Terms memory terms) {
        bytes32 manifestHash = sha256("manifest v1"); // a precompile call: before the prank
        vm.prank(creator);
        id = suite.register(manifestHash, "ipfs://bafymanifest1", split, offers);
        terms = _terms(split, offers);
    }

    function _buy(address from, uint256 id, Terms memory terms, uint256 offerIndex, uint256 value) internal {
        vm.deal(from, value);
        vm.prank(from);
        suite.purchase{value: value}(id, terms, offerIndex, from);
    }

    function _subscriptionOffer(address superToken, int96 minRate) internal pure returns (Offer memory offer) {
        offer = _offer(uint128(uint96(minRate)), superToken, 0, false);
        offer.kind = OfferKind.Subscription;
    }

    /// @dev alice 60, bob 40: with the 2.5 % fee, units 585,000 / 390,000 / 25,000 (treasury),
    ///      divided by their gcd 5,000: 117 / 78 / 5, total 200.
    function _aliceBob() internal view returns (Split memory) {
        return _split(alice, 60, bob, 40);
    }

    /// @dev A dataset with the alice/bob split, a subscription at MIN_RATE and an ETH offer;
    ///      synced, so its pool exists.
    function _registerStreamed() internal returns (uint256 id, Terms memory terms, ISuperfluidPool pool) {
        Split memory split = _aliceBob();
        (id, terms) = _register(split, _offers(_subscriptionOffer(address(token), MIN_RATE), _ethOffer(1 ether)));
        streams.sync(id, split, terms.offers);
        pool = ISuperfluidPool(streams.poolOf(id, address(token)));
    }

    // ------------------------------------------------------------------ actions

    function _fund(address account, uint256 amount) internal {
        token.transfer(account, amount);
    }

    function _stream(address from, ISuperfluidPool pool, int96 rate) internal {
        vm.prank(from);
        gda.distributeFlow(ISuperfluidToken(address(token)), from, pool, rate, "");
    }

    function _connect(address member, ISuperfluidPool pool) internal {
        vm.prank(member);
        gda.connectPool(pool, "");
    }

    /// @dev What `member` got from `pool`: its balance if connected, plus what it could claim.
    function _received(address member, ISuperfluidPool pool) internal view returns (uint256) {
        (int256 claimable,) = pool.getClaimableNow(member);
        return token.balanceOf(member) + uint256(claimable);
    }

    /// @dev Flow rates are signed; the project's Vm declares unsigned equality only.
    function _eq(int256 left, int256 right, string memory message) internal pure {
        vm.assertEq(uint256(left), uint256(right), message);
    }

    function _skip(uint256 seconds_) internal {
        vm.warp(block.timestamp + seconds_);
    }
}
