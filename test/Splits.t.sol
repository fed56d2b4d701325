// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Tributary} from "../contracts/Tributary.sol";
import {ITributaryRegistry} from "../contracts/interfaces/ITributaryRegistry.sol";
import {ITributarySplits} from "../contracts/interfaces/ITributarySplits.sol";
import {CREDITS} from "../contracts/interfaces/ITributaryTypes.sol";
import {ReentrantPayee, RegisteredHookToken, RejectingPayee} from "./mocks/Actors.sol";
import {FeeOnTransferToken, HookToken, MockERC20, NoReturnToken, ReturnsFalseToken} from "./mocks/Tokens.sol";
import {TributaryTest} from "./utils/TributaryTest.sol";
import {Vm, vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice Every function and revert path of `ITributarySplits`: releases of ETH, ERC-20s and
///         credits, the protocol fee, the token allow-list, and the rounding and reentrancy edges.
contract SplitsTest is TributaryTest {
    MockERC20 internal usdc;
    address internal payeeA = address(0xA11CE);
    address internal payeeB = address(0xB0B0);
    address internal payeeC = address(0xC0C0);

    function setUp() public override {
        super.setUp();
        usdc = new MockERC20("USDC", 6);
        _allow(address(usdc));
    }

    // ================================================================== release: ETH and ERC-20

    function testReleaseEth() public {
        _checkReleaseFirstAndLater(address(0), 1 ether, 70, 30);
    }

    function testReleaseEth(uint256 price, uint256 shareA, uint256 shareB) public {
        _checkReleaseFirstAndLater(address(0), _price(price), _share(shareA), _share(shareB));
    }

    function testReleaseErc20() public {
        _checkReleaseFirstAndLater(address(usdc), 250e6, 2, 1);
    }

    function testReleaseErc20(uint256 price, uint256 shareA, uint256 shareB) public {
        _checkReleaseFirstAndLater(address(usdc), _price(price), _share(shareA), _share(shareB));
    }

    /// @dev Two payments; payee A releases after each (first, later), payee B once at the end.
    function _checkReleaseFirstAndLater(address token, uint128 price, uint32 shareA, uint32 shareB) internal {
        Split memory split = _split(payeeA, shareA, payeeB, shareB);
        bytes32 splitHash = _hash(split);
        (uint256 id, Terms memory terms) = _register(split, _offers(_offer(price, token, 0, false)));
        uint256 totalShares = uint256(shareA) + shareB;
        uint256 net = price - _fee(price);

        vm.assertEq(suite.releasable(token, split, payeeA), 0, "nothing releasable before a payment");
        _pay(id, terms, 0);
        vm.assertEq(suite.totalReceived(splitHash, token), net, "received after fee");

        // first release
        uint256 dueA = net * shareA / totalShares;
        vm.assertEq(suite.releasable(token, split, payeeA), dueA, "releasable A, first");
        uint256 firstA = _releaseChecked(token, split, payeeA, dueA);

        // later release
        _pay(id, terms, 0);
        uint256 laterA = 2 * net * shareA / totalShares - firstA;
        vm.assertEq(suite.releasable(token, split, payeeA), laterA, "releasable A, later");
        _releaseChecked(token, split, payeeA, laterA);
        vm.assertEq(suite.released(splitHash, token, payeeA), 2 * net * shareA / totalShares, "released A");

        uint256 dueB = 2 * net * shareB / totalShares;
        _releaseChecked(token, split, payeeB, dueB);

        // what stays is the fee and the rounding (below the number of payees)
        uint256 unallocated = 2 * net - (firstA + laterA + dueB);
        vm.assertLt(unallocated, 2, "rounding below payee count");
        vm.assertEq(_balance(token, address(suite)), suite.protocolFeesOwed(token) + unallocated, "suite holds owed");
        vm.assertEq(suite.protocolFeesOwed(token), 2 * _fee(price), "fees owed");
    }

    /// @dev Releases `payee` and checks amount, event, balance and views; expects
    ///      `NothingToRelease` when `expected` is zero.
    function _releaseChecked(address token, Split memory split, address payee, uint256 expected)
        internal
        returns (uint256 amount)
    {
        bytes32 splitHash = _hash(split);
        uint256 releasedBefore = suite.released(splitHash, token, payee);
        uint256 balanceBefore = _balance(token, payee);
        if (expected == 0) {
            vm.expectRevert(ITributarySplits.NothingToRelease.selector);
            suite.release(token, split, payee);
            return 0;
        }
        vm.expectEmit(address(suite));
        emit ITributarySplits.PaymentReleased(payee, splitHash, token, expected);
        amount = suite.release(token, split, payee);
        vm.assertEq(amount, expected, "released amount");
        vm.assertEq(_balance(token, payee) - balanceBefore, token == CREDITS ? 0 : expected, "payee paid");
        vm.assertEq(suite.released(splitHash, token, payee), releasedBefore + expected, "released view");
        vm.assertEq(suite.releasable(token, split, payee), 0, "nothing left after release");
    }

    function testTotalReceivedAndReleasableViews() public {
        _checkViews(3 ether, 1, 2);
    }

    function testTotalReceivedAndReleasableViews(uint256 price, uint256 shareA, uint256 shareB) public {
        _checkViews(_price(price), _share(shareA), _share(shareB));
    }

    function _checkViews(uint128 price, uint32 shareA, uint32 shareB) internal {
        Split memory split = _split(payeeA, shareA, payeeB, shareB);
        (uint256 id, Terms memory terms) = _register(split, _offers(_ethOffer(price)));
        _pay(id, terms, 0);
        uint256 net = price - _fee(price);
        uint256 total = uint256(shareA) + shareB;
        vm.assertEq(suite.totalReceived(_hash(split), address(0)), net, "totalReceived");
        vm.assertEq(suite.totalReceived(_hash(split), address(usdc)), 0, "totalReceived other token");
        vm.assertEq(suite.releasable(address(0), split, payeeA), net * shareA / total, "releasable A");
        vm.assertEq(suite.releasable(address(0), split, payeeB), net * shareB / total, "releasable B");
        vm.assertEq(suite.releasable(address(usdc), split, payeeA), 0, "releasable other token");
        vm.assertEq(suite.released(_hash(split), address(0), payeeA), 0, "released before release");
    }

    function testReleaseNotPayeeReverts() public {
        _checkNotPayee(address(0xDEAD));
    }

    function testReleaseNotPayeeReverts(address stranger) public {
        vm.assume(stranger != payeeA && stranger != payeeB);
        _checkNotPayee(stranger);
    }

    function _checkNotPayee(address stranger) internal {
        Split memory split = _split(payeeA, 1, payeeB, 1);
        (uint256 id, Terms memory terms) = _register(split, _offers(_ethOffer(1 ether)));
        _pay(id, terms, 0);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.NotPayee.selector, stranger));
        suite.release(address(0), split, stranger);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.NotPayee.selector, stranger));
        suite.releasable(address(0), split, stranger);
    }

    function testReleaseNothingToReleaseReverts() public {
        _checkNothingToRelease(1 ether);
    }

    function testReleaseNothingToReleaseReverts(uint256 price) public {
        _checkNothingToRelease(_price(price));
    }

    function _checkNothingToRelease(uint128 price) internal {
        Split memory split = _split(payeeA, 3, payeeB, 1);
        // before any payment
        vm.expectRevert(ITributarySplits.NothingToRelease.selector);
        suite.release(address(0), split, payeeA);
        (uint256 id, Terms memory terms) = _register(split, _offers(_ethOffer(price)));
        _pay(id, terms, 0);
        // in a token the split never received
        vm.expectRevert(ITributarySplits.NothingToRelease.selector);
        suite.release(address(usdc), split, payeeA);
        // after everything due was released
        if (suite.releasable(address(0), split, payeeA) != 0) suite.release(address(0), split, payeeA);
        vm.expectRevert(ITributarySplits.NothingToRelease.selector);
        suite.release(address(0), split, payeeA);
        // a different split naming the same payee has its own (empty) account
        vm.expectRevert(ITributarySplits.NothingToRelease.selector);
        suite.release(address(0), _split(payeeA, 1, payeeB, 1), payeeA);
    }

    // ================================================================== protocol fee

    function testProtocolFeeTakenAtPaymentTime() public {
        _checkFeeChange(1 ether, 1000);
    }

    function testProtocolFeeTakenAtPaymentTime(uint256 price, uint256 newBps) public {
        _checkFeeChange(_price(price), uint16(_bound(newBps, 0, suite.MAX_FEE_BPS())));
    }

    function _checkFeeChange(uint128 price, uint16 newBps) internal {
        Split memory split = _split(payeeA, 1, payeeB, 1);
        bytes32 splitHash = _hash(split);
        (uint256 id, Terms memory terms) = _register(split, _offers(_ethOffer(price)));
        uint256 fee1 = _fee(price);
        vm.expectEmit(address(suite));
        emit ITributarySplits.PaymentReceived(splitHash, address(0), id, buyer, price - fee1, fee1);
        _pay(id, terms, 0);
        vm.assertEq(suite.protocolFeesOwed(address(0)), fee1, "fee at the old rate");

        vm.prank(admin);
        suite.setProtocolFee(newBps, treasury);
        // the change does not reach back
        vm.assertEq(suite.protocolFeesOwed(address(0)), fee1, "old fee unchanged");
        vm.assertEq(suite.totalReceived(splitHash, address(0)), price - fee1, "old payment unchanged");

        uint256 fee2 = uint256(price) * newBps / 10_000;
        vm.expectEmit(address(suite));
        emit ITributarySplits.PaymentReceived(splitHash, address(0), id, buyer, price - fee2, fee2);
        _pay(id, terms, 0);
        vm.assertEq(suite.protocolFeesOwed(address(0)), fee1 + fee2, "fee at the new rate");
        uint256 received = 2 * uint256(price) - fee1 - fee2;
        vm.assertEq(suite.totalReceived(splitHash, address(0)), received, "received at both rates");
        vm.assertEq(suite.releasable(address(0), split, payeeA), received / 2, "payee share of both");
    }

    function testReleaseProtocolFees() public {
        _checkReleaseProtocolFees(address(0), 1 ether);
        _checkReleaseProtocolFees(address(usdc), 1000e6);
    }

    function testReleaseProtocolFees(uint256 price, bool erc20) public {
        _checkReleaseProtocolFees(erc20 ? address(usdc) : address(0), _price(price));
    }

    function _checkReleaseProtocolFees(address token, uint128 price) internal {
        (uint256 id, Terms memory terms) = _register(_split(payeeA), _offers(_offer(price, token, 0, false)));
        _pay(id, terms, 0);
        uint256 fee = _fee(price);
        vm.assertEq(suite.protocolFeesOwed(token), fee, "fee owed");
        if (fee == 0) {
            vm.expectRevert(ITributarySplits.NothingToRelease.selector);
            suite.releaseProtocolFees(token);
            return;
        }
        uint256 before = _balance(token, treasury);
        vm.expectEmit(address(suite));
        emit ITributarySplits.ProtocolFeesReleased(token, treasury, fee);
        vm.prank(other); // anyone may call; the treasury is paid
        vm.assertEq(suite.releaseProtocolFees(token), fee, "returned amount");
        vm.assertEq(_balance(token, treasury) - before, fee, "treasury paid");
        vm.assertEq(suite.protocolFeesOwed(token), 0, "nothing owed after release");
        vm.expectRevert(ITributarySplits.NothingToRelease.selector);
        suite.releaseProtocolFees(token);
        // the payee's part is untouched
        vm.assertEq(suite.releasable(token, _split(payeeA), payeeA), price - fee, "payee part intact");
    }

    function testReleaseProtocolFeesNothingOwedReverts() public {
        _checkNothingOwed(address(0));
        _checkNothingOwed(address(usdc));
        _checkNothingOwed(CREDITS);
    }

    function testReleaseProtocolFeesNothingOwedReverts(address token) public {
        _checkNothingOwed(token);
    }

    function _checkNothingOwed(address token) internal {
        vm.expectRevert(ITributarySplits.NothingToRelease.selector);
        suite.releaseProtocolFees(token);
    }

    /// @dev Fees accrued under one treasury are paid to whichever treasury is set at release.
    function testReleaseProtocolFeesPaysCurrentTreasury() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        _pay(id, terms, 0);
        address newTreasury = address(0x7EA52);
        vm.prank(admin);
        suite.setProtocolFee(FEE_BPS, newTreasury);
        suite.releaseProtocolFees(address(0));
        vm.assertEq(newTreasury.balance, _fee(1 ether), "new treasury paid");
        vm.assertEq(treasury.balance, 0, "old treasury not paid");
    }

    function testSetProtocolFee() public {
        _checkSetProtocolFee(1000, address(0x7EA52));
        _checkSetProtocolFee(0, treasury);
    }

    function testSetProtocolFee(uint256 bps, address newTreasury) public {
        vm.assume(newTreasury != address(0));
        _checkSetProtocolFee(uint16(_bound(bps, 0, suite.MAX_FEE_BPS())), newTreasury);
    }

    function _checkSetProtocolFee(uint16 bps, address newTreasury) internal {
        vm.expectEmit(address(suite));
        emit ITributarySplits.ProtocolFeeSet(bps, newTreasury);
        vm.prank(admin);
        suite.setProtocolFee(bps, newTreasury);
        (uint16 gotBps, address gotTreasury) = suite.protocolFee();
        vm.assertEq(gotBps, bps, "bps");
        vm.assertEq(gotTreasury, newTreasury, "treasury");
    }

    function testMaxFeeBps() public view {
        vm.assertEq(suite.MAX_FEE_BPS(), 1000, "10 % cap");
        (uint16 bps, address t) = suite.protocolFee();
        vm.assertEq(bps, FEE_BPS, "constructor fee");
        vm.assertEq(t, treasury, "constructor treasury");
    }

    function testSetProtocolFeeAboveCapReverts() public {
        _checkFeeAboveCap(1001);
    }

    function testSetProtocolFeeAboveCapReverts(uint256 bps) public {
        _checkFeeAboveCap(uint16(_bound(bps, uint256(suite.MAX_FEE_BPS()) + 1, type(uint16).max)));
    }

    function _checkFeeAboveCap(uint16 bps) internal {
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.InvalidProtocolFee.selector, bps, treasury));
        vm.prank(admin);
        suite.setProtocolFee(bps, treasury);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.InvalidProtocolFee.selector, bps, treasury));
        new Tributary(admin, treasury, bps);
    }

    function testSetProtocolFeeZeroTreasuryReverts() public {
        _checkZeroTreasury(FEE_BPS);
    }

    function testSetProtocolFeeZeroTreasuryReverts(uint16 bps) public {
        _checkZeroTreasury(bps);
    }

    function _checkZeroTreasury(uint16 bps) internal {
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.InvalidProtocolFee.selector, bps, address(0)));
        vm.prank(admin);
        suite.setProtocolFee(bps, address(0));
    }

    function testSetProtocolFeeNotAdminReverts() public {
        _checkSetFeeNotAdmin(relayer);
        _checkSetFeeNotAdmin(treasury);
    }

    function testSetProtocolFeeNotAdminReverts(address caller) public {
        vm.assume(caller != admin);
        _checkSetFeeNotAdmin(caller);
    }

    function _checkSetFeeNotAdmin(address caller) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, bytes32(0))
        );
        vm.prank(caller);
        suite.setProtocolFee(0, caller == address(0) ? treasury : caller);
    }

    // ================================================================== token allow-list

    function testSetTokenAllowed() public {
        _checkSetTokenAllowed(address(0xE20));
    }

    function testSetTokenAllowed(address token) public {
        vm.assume(token != address(0) && token != CREDITS);
        _checkSetTokenAllowed(token);
    }

    function _checkSetTokenAllowed(address token) internal {
        bool wasAllowed = suite.isTokenAllowed(token);
        vm.expectEmit(address(suite));
        emit ITributarySplits.TokenAllowed(token, true);
        vm.prank(admin);
        suite.setTokenAllowed(token, true);
        vm.assertTrue(suite.isTokenAllowed(token), "allowed");
        vm.expectEmit(address(suite));
        emit ITributarySplits.TokenAllowed(token, false);
        vm.prank(admin);
        suite.setTokenAllowed(token, false);
        vm.assertFalse(suite.isTokenAllowed(token), "disallowed");
        vm.assertFalse(wasAllowed && token != address(usdc), "only the fixture's token starts allowed");
    }

    function testSetTokenAllowedNotAdminReverts() public {
        _checkSetTokenNotAdmin(creator);
    }

    function testSetTokenAllowedNotAdminReverts(address caller) public {
        vm.assume(caller != admin);
        _checkSetTokenNotAdmin(caller);
    }

    function _checkSetTokenNotAdmin(address caller) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, bytes32(0))
        );
        vm.prank(caller);
        suite.setTokenAllowed(address(0xE20), true);
        vm.assertFalse(suite.isTokenAllowed(address(0xE20)), "not allowed");
    }

    function testSetTokenAllowedZeroAddressReverts() public {
        _checkInvalidToken(address(0), true);
        _checkInvalidToken(address(0), false);
    }

    function testSetTokenAllowedCreditsReverts() public {
        _checkInvalidToken(CREDITS, true);
        _checkInvalidToken(CREDITS, false);
    }

    function _checkInvalidToken(address token, bool allowed) internal {
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.InvalidToken.selector, token));
        vm.prank(admin);
        suite.setTokenAllowed(token, allowed);
    }

    /// @dev Disallowing a token stops new sales in it (and new offers), never releases.
    function testDisallowedTokenStopsPurchasesNotReleases() public {
        Split memory split = _split(payeeA, 1, payeeB, 1);
        (uint256 id, Terms memory terms) = _register(split, _offers(_offer(100e6, address(usdc), 0, false)));
        _pay(id, terms, 0);
        vm.prank(admin);
        suite.setTokenAllowed(address(usdc), false);

        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.TokenNotAllowed.selector, address(usdc)));
        vm.prank(buyer);
        suite.purchase(id, terms, 0, buyer);

        Offer[] memory offers = _offers(_offer(1, address(usdc), 0, false));
        bytes32 manifestHash = sha256("m"); // before expectRevert: the precompile call would count
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.InvalidOffer.selector, 0));
        vm.prank(creator);
        suite.register(manifestHash, "ipfs://m", split, offers);

        uint256 net = 100e6 - _fee(100e6);
        _releaseChecked(address(usdc), split, payeeA, net / 2);
        _releaseChecked(address(usdc), split, payeeB, net / 2);
    }

    // ================================================================== payments in

    function testPurchaseWrongEthAmountReverts() public {
        _checkWrongEth(1 ether - 1);
        _checkWrongEth(1 ether + 1);
        _checkWrongEth(0);
    }

    function testPurchaseWrongEthAmountReverts(uint256 sent) public {
        sent = _bound(sent, 0, 100 ether);
        vm.assume(sent != 1 ether);
        _checkWrongEth(sent);
    }

    function _checkWrongEth(uint256 sent) internal {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.WrongPayment.selector, 1 ether, sent));
        vm.prank(buyer);
        suite.purchase{value: sent}(id, terms, 0, buyer);
    }

    function testPurchaseTokenOfferWithEthReverts() public {
        _checkEthForToken(1);
    }

    function testPurchaseTokenOfferWithEthReverts(uint256 sent) public {
        _checkEthForToken(_bound(sent, 1, 100 ether));
    }

    function _checkEthForToken(uint256 sent) internal {
        (uint256 id, Terms memory terms) = _register(_split(payeeA), _offers(_offer(5e6, address(usdc), 0, false)));
        _fund(address(usdc), buyer, 5e6);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.WrongPayment.selector, 0, sent));
        vm.prank(buyer);
        suite.purchase{value: sent}(id, terms, 0, buyer);
    }

    // ================================================================== credits

    function testReleaseCreditsMovesNoToken() public {
        _checkCreditsRelease(1000);
    }

    function testReleaseCreditsMovesNoToken(uint256 price) public {
        _checkCreditsRelease(uint96(_bound(price, 1, type(uint96).max)));
    }

    function _checkCreditsRelease(uint96 price) internal {
        Split memory split = _split(payeeA, 3, payeeB, 1);
        (uint256 id, Terms memory terms) = _register(split, _offers(_offer(price, CREDITS, 0, false)));
        bytes32 paymentId = keccak256("pi_credits");
        vm.prank(relayer);
        suite.mintCredits(paymentId, buyer, price);
        vm.prank(buyer);
        suite.purchaseWithCredits(paymentId, id, terms, 0, buyer);

        uint256 fee = _fee(price);
        uint256 dueA = (price - fee) * 3 / 4;
        uint256 suiteEth = address(suite).balance;
        uint256 payeeEth = payeeA.balance;
        if (dueA != 0) {
            vm.recordLogs();
            _releaseChecked(CREDITS, split, payeeA, dueA);
            // the event is the only effect: no token call, no value moved
            Vm.Log[] memory logs = vm.getRecordedLogs();
            uint256 fromSuite;
            for (uint256 i; i < logs.length; ++i) {
                if (logs[i].emitter == address(suite)) ++fromSuite;
                else vm.assertEq(logs[i].emitter, address(this), "no other contract emitted");
            }
            vm.assertEq(fromSuite, 1, "one event, no token transfer event");
        }
        vm.assertEq(address(suite).balance, suiteEth, "suite ETH unchanged");
        vm.assertEq(payeeA.balance, payeeEth, "payee ETH unchanged");

        vm.assertEq(suite.protocolFeesOwed(CREDITS), fee, "fee in credits");
        if (fee != 0) {
            vm.expectEmit(address(suite));
            emit ITributarySplits.ProtocolFeesReleased(CREDITS, treasury, fee);
            suite.releaseProtocolFees(CREDITS);
            vm.assertEq(treasury.balance, 0, "treasury got no ETH");
            vm.assertEq(suite.protocolFeesOwed(CREDITS), 0, "fees released");
        }
    }

    // ================================================================== rounding and scale

    /// @dev 2-decimals token; one payee at 90 %, 100 payees at 0.1 % each (shares 900 and 1 × 100).
    function testRoundingTwoDecimalsNinetyPercentAndHundredSmallPayees() public {
        MockERC20 cents = new MockERC20("CENT", 2);
        _allow(address(cents));
        Split memory split = _ninetyAndHundredSmall();
        uint256 payeeCount = split.payees.length;
        // 0.07 (below the fee's rounding, so no fee) and 3.33 (fee 0.08)
        (uint256 id, Terms memory terms) =
            _register(split, _offers(_offer(7, address(cents), 0, false), _offer(333, address(cents), 0, false)));
        _fund(address(cents), buyer, 10_000);
        address big = split.payees[0];
        address small = split.payees[1];

        // 100 small payments: 7.00 received; the small payees' 0.007 each rounds to zero for now
        for (uint256 i; i < 100; ++i) {
            _pay(id, terms, 0);
        }
        vm.assertEq(suite.releasable(address(cents), split, small), 0, "0.1 % of 7.00 rounds down");
        _releaseAll(address(cents), split);
        vm.assertEq(cents.balanceOf(big), 630, "90 % of 7.00");
        _checkRoundingBooks(cents, split, 700, 0);

        // four larger payments; after the first a small payee's cumulative 0.1 % passes one cent
        uint256 gross = 700;
        for (uint256 i; i < 4; ++i) {
            _pay(id, terms, 1);
            gross += 333;
            _releaseAll(address(cents), split);
            _checkRoundingBooks(cents, split, gross, (i + 1) * 8);
            vm.assertGt(cents.balanceOf(small), 0, "small payee not rounded to zero for ever");
        }
        // received = 700 + 4 × 325 = 2000, a multiple of the 1000 total shares: all paid out
        vm.assertEq(suite.totalReceived(_hash(split), address(cents)), 2000, "net received");
        vm.assertEq(_sumBalances(cents, split), 2000, "everything received was paid out");
        vm.assertEq(cents.balanceOf(small), 2, "0.1 % of 20.00");
        vm.assertEq(cents.balanceOf(big), 1800, "90 % of 20.00");
        vm.assertEq(cents.balanceOf(address(suite)), 32, "only the fees stay");
        vm.assertGt(payeeCount, 100, "101 payees");
    }

    function _ninetyAndHundredSmall() internal pure returns (Split memory split) {
        split.payees = new address[](101);
        split.shares = new uint32[](101);
        split.payees[0] = address(0x10000);
        split.shares[0] = 900;
        for (uint256 i = 1; i < 101; ++i) {
            split.payees[i] = address(uint160(0x20000 + i));
            split.shares[i] = 1;
        }
    }

    /// @dev paid out + unallocated rounding (< payees) + fees == everything paid in.
    function _checkRoundingBooks(MockERC20 token, Split memory split, uint256 gross, uint256 fees) internal view {
        uint256 paidOut = _sumBalances(token, split);
        uint256 received = suite.totalReceived(_hash(split), address(token));
        uint256 unallocated = received - paidOut;
        vm.assertLt(unallocated, split.payees.length, "unallocated rounding below the payee count");
        vm.assertEq(suite.protocolFeesOwed(address(token)), fees, "fees");
        vm.assertEq(paidOut + unallocated + fees, gross, "paid out + rounding + fees == paid in");
        vm.assertEq(token.balanceOf(address(suite)), unallocated + fees, "suite holds the rest");
    }

    function testLargestSplitReleasableWithinBlockGas() public {
        uint256 n = suite.MAX_PAYEES();
        Split memory split;
        split.payees = new address[](n);
        split.shares = new uint32[](n);
        uint256 totalShares;
        for (uint256 i; i < n; ++i) {
            split.payees[i] = address(uint160(0x100000 + i));
            split.shares[i] = uint32(i + 1);
            totalShares += i + 1;
        }
        (uint256 id, Terms memory terms) = _register(split, _offers(_ethOffer(10 ether)));
        _pay(id, terms, 0);
        address last = split.payees[n - 1];
        uint256 due = (10 ether - _fee(10 ether)) * n / totalShares;

        uint256 gasBefore = gasleft();
        uint256 viewed = suite.releasable(address(0), split, last);
        uint256 viewGas = gasBefore - gasleft();
        gasBefore = gasleft();
        uint256 amount = suite.release(address(0), split, last);
        uint256 releaseGas = gasBefore - gasleft();

        vm.assertEq(viewed, due, "releasable of the last payee");
        vm.assertEq(amount, due, "released to the last payee");
        vm.assertEq(last.balance, due, "last payee paid");
        // 30M is a block; a release must fit many times over. Measured: about 0.35M for the
        // release call itself (0.29M for the view), the rest of the bound is the test's own
        // ABI encoding of the 256-payee split.
        vm.assertLt(releaseGas, 1_000_000, "release of the last of MAX_PAYEES payees");
        vm.assertLt(viewGas, 1_000_000, "releasable of the last of MAX_PAYEES payees");

        // one more payee is refused at registration
        Split memory tooBig;
        tooBig.payees = new address[](n + 1);
        tooBig.shares = new uint32[](n + 1);
        for (uint256 i; i <= n; ++i) {
            tooBig.payees[i] = address(uint160(0x100000 + i));
            tooBig.shares[i] = 1;
        }
        Offer[] memory offers = _offers(_ethOffer(1));
        bytes32 manifestHash = sha256("m");
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.TooManyPayees.selector, n + 1));
        vm.prank(creator);
        suite.register(manifestHash, "ipfs://m", tooBig, offers);
    }

    // ================================================================== split changes

    function testChangingSharesAfterPaymentsAffectsFuturePaymentsOnly() public {
        _checkSplitChange(1 ether, 3 ether, 30);
    }

    function testChangingSharesAfterPaymentsAffectsFuturePaymentsOnly(uint256 p1, uint256 p2, uint256 newShareA)
        public
    {
        _checkSplitChange(_price(p1), _price(p2), _share(newShareA));
    }

    function _checkSplitChange(uint128 p1, uint128 p2, uint32 newShareA) internal {
        Split memory oldSplit = _split(payeeA, 70, payeeB, 30);
        Split memory newSplit = _split(payeeA, newShareA, payeeC, 70);
        (uint256 id, Terms memory oldTerms) = _register(oldSplit, _offers(_ethOffer(p1)));
        _pay(id, oldTerms, 0);
        uint256 firstA = suite.releasable(address(0), oldSplit, payeeA);
        if (firstA != 0) suite.release(address(0), oldSplit, payeeA);
        _pay(id, oldTerms, 0);
        uint256 oldNet = 2 * (uint256(p1) - _fee(p1));

        Terms memory newTerms = _terms(newSplit, _offers(_ethOffer(p2)));
        vm.prank(creator);
        suite.setTerms(id, newSplit, newTerms.offers);
        vm.deal(buyer, p1);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.TermsMismatch.selector, id));
        vm.prank(buyer);
        suite.purchase{value: p1}(id, oldTerms, 0, buyer);
        _pay(id, newTerms, 0);
        _pay(id, newTerms, 0);
        uint256 newNet = 2 * (uint256(p2) - _fee(p2));

        // the old split's account is exactly what the old payments left
        vm.assertEq(suite.totalReceived(_hash(oldSplit), address(0)), oldNet, "old split received");
        _releaseChecked(address(0), oldSplit, payeeA, oldNet * 70 / 100 - firstA);
        _releaseChecked(address(0), oldSplit, payeeB, oldNet * 30 / 100);
        vm.assertEq(payeeA.balance, oldNet * 70 / 100, "A: old payments only, so far");
        vm.assertEq(payeeB.balance, oldNet * 30 / 100, "B: old payments exactly");

        // the new payments go to the new split only
        uint256 newTotal = uint256(newShareA) + 70;
        vm.assertEq(suite.totalReceived(_hash(newSplit), address(0)), newNet, "new split received");
        _releaseChecked(address(0), newSplit, payeeA, newNet * newShareA / newTotal);
        _releaseChecked(address(0), newSplit, payeeC, newNet * 70 / newTotal);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.NotPayee.selector, payeeB));
        suite.release(address(0), newSplit, payeeB);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.NotPayee.selector, payeeC));
        suite.release(address(0), oldSplit, payeeC);
        vm.assertEq(suite.protocolFeesOwed(address(0)), 2 * _fee(p1) + 2 * _fee(p2), "fees of all payments");
    }

    // ================================================================== reentrancy and hostile payees

    function testReentrantEthPayeeCannotDoubleRelease() public {
        _checkReentrantPayee(address(0), 1 ether);
    }

    function testReentrantEthPayeeCannotDoubleRelease(uint256 price) public {
        _checkReentrantPayee(address(0), _price(price));
    }

    function testHookTokenReentrancyOnRelease() public {
        _checkHookReentrancy(1e18);
    }

    function testHookTokenReentrancyOnRelease(uint256 price) public {
        _checkHookReentrancy(_price(price));
    }

    function _checkReentrantPayee(address token, uint128 price) internal {
        ReentrantPayee payee = new ReentrantPayee(_asInterface());
        Split memory split = _split3(address(payee), 5, payeeB, 3, payeeC, 2);
        (uint256 id, Terms memory terms) = _register(split, _offers(_offer(price, token, 0, false)));
        _pay(id, terms, 0);
        _pay(id, terms, 0);
        _checkReentry(payee, token, split, 2 * (uint256(price) - _fee(price)));
    }

    function _checkHookReentrancy(uint128 price) internal {
        RegisteredHookToken hook = new RegisteredHookToken();
        _allow(address(hook));
        ReentrantPayee payee = new ReentrantPayee(_asInterface());
        payee.optInHooks(hook);
        Split memory split = _split3(address(payee), 5, payeeB, 3, payeeC, 2);
        (uint256 id, Terms memory terms) = _register(split, _offers(_offer(price, address(hook), 0, false)));
        _pay(id, terms, 0);
        _pay(id, terms, 0);
        _checkReentry(payee, address(hook), split, 2 * (uint256(price) - _fee(price)));
    }

    /// @dev The payee re-enters release for itself (must find nothing) and for the others (must
    ///      pay each exactly once); afterwards everything adds up and nothing more is due.
    function _checkReentry(ReentrantPayee payee, address token, Split memory split, uint256 received) internal {
        bytes32 splitHash = _hash(split);
        uint256 dueSelf = received * 5 / 10;
        uint256 dueB = received * 3 / 10;
        uint256 dueC = received * 2 / 10;
        payee.arm(token, split);
        uint256 amount = suite.release(token, split, address(payee));

        vm.assertEq(payee.reentries(), 1, "payee got control mid-release");
        vm.assertEq(amount, dueSelf, "outer release");
        vm.assertEq(payee.selfReleasedOnReentry(), 0, "re-entered self release paid nothing");
        vm.assertEq(
            bytes32(payee.selfReleaseError()),
            bytes32(ITributarySplits.NothingToRelease.selector),
            "re-entered self release found nothing due"
        );
        vm.assertEq(payee.othersReleasedOnReentry(), dueB + dueC, "others paid once, from the re-entry");
        vm.assertEq(_balance(token, address(payee)), dueSelf, "payee paid once");
        vm.assertEq(_balance(token, payeeB), dueB, "B paid once");
        vm.assertEq(_balance(token, payeeC), dueC, "C paid once");
        vm.assertEq(suite.released(splitHash, token, address(payee)), dueSelf, "released view");
        address[3] memory all = [address(payee), payeeB, payeeC];
        for (uint256 i; i < 3; ++i) {
            vm.expectRevert(ITributarySplits.NothingToRelease.selector);
            suite.release(token, split, all[i]);
        }
        uint256 unallocated = received - dueSelf - dueB - dueC;
        vm.assertEq(
            _balance(token, address(suite)),
            suite.protocolFeesOwed(token) + unallocated,
            "suite holds only what is owed"
        );
    }

    /// @dev A hook token pays in like any other ERC-20: the suite has no hooks, and the token
    ///      skips contracts without them (as ERC-777 skips accounts without an ERC-1820 entry).
    function testHookTokenPurchaseIsPaidIn() public {
        HookToken hook = new HookToken();
        _allow(address(hook));
        (uint256 id, Terms memory terms) = _register(_split(payeeA), _offers(_offer(1e18, address(hook), 0, false)));
        _fund(address(hook), buyer, 1e18);
        vm.prank(buyer);
        suite.purchase(id, terms, 0, buyer);
        vm.assertEq(hook.balanceOf(address(suite)), 1e18, "paid in");
        vm.assertTrue(suite.isLicensed(buyer, id), "licensed");
    }

    function testPayeeRejectingEthDoesNotBlockOthers() public {
        _checkRejectingPayee(1 ether);
    }

    function testPayeeRejectingEthDoesNotBlockOthers(uint256 price) public {
        _checkRejectingPayee(_price(price));
    }

    function _checkRejectingPayee(uint128 price) internal {
        RejectingPayee rejecting = new RejectingPayee();
        Split memory split = _split3(address(rejecting), 1, payeeA, 1, payeeB, 2);
        (uint256 id, Terms memory terms) = _register(split, _offers(_ethOffer(price)));
        _pay(id, terms, 0);
        uint256 net = price - _fee(price);
        uint256 dueRejecting = net / 4;
        if (dueRejecting != 0) {
            vm.expectRevert(RejectingPayee.Rejected.selector);
            suite.release(address(0), split, address(rejecting));
        }
        _releaseChecked(address(0), split, payeeA, net / 4);
        _releaseChecked(address(0), split, payeeB, net / 2);
        // the refused amount stays owed to the rejecting payee, not lost nor reassigned
        vm.assertEq(suite.releasable(address(0), split, address(rejecting)), dueRejecting, "still owed");
        vm.assertEq(suite.released(_hash(split), address(0), address(rejecting)), 0, "nothing booked");
    }

    // ================================================================== token variants

    function testReturnsFalseTokenReleaseReverts() public {
        _checkReturnsFalse(1e18);
    }

    function testReturnsFalseTokenReleaseReverts(uint256 price) public {
        _checkReturnsFalse(_price(price));
    }

    function _checkReturnsFalse(uint128 price) internal {
        ReturnsFalseToken token = new ReturnsFalseToken();
        _allow(address(token));
        Split memory split = _split(payeeA, 1, payeeB, 1);
        (uint256 id, Terms memory terms) = _register(split, _offers(_offer(price, address(token), 0, false)));
        _pay(id, terms, 0);
        uint256 due = (price - _fee(price)) / 2;
        vm.assume(due != 0);

        token.setFailing(true);
        vm.expectRevert(abi.encodeWithSelector(SafeERC20.SafeERC20FailedOperation.selector, address(token)));
        suite.release(address(token), split, payeeA);
        vm.assertEq(suite.released(_hash(split), address(token), payeeA), 0, "failed release booked nothing");
        vm.assertEq(suite.releasable(address(token), split, payeeA), due, "still releasable");
        // a failing pull is refused too
        _fund(address(token), buyer, price);
        vm.expectRevert(abi.encodeWithSelector(SafeERC20.SafeERC20FailedOperation.selector, address(token)));
        vm.prank(buyer);
        suite.purchase(id, terms, 0, buyer);

        token.setFailing(false);
        _releaseChecked(address(token), split, payeeA, due);
    }

    function testUsdtStyleTokenPurchaseAndRelease() public {
        _checkNoReturnToken(25e6);
    }

    function testUsdtStyleTokenPurchaseAndRelease(uint256 price) public {
        _checkNoReturnToken(_price(price));
    }

    function _checkNoReturnToken(uint128 price) internal {
        NoReturnToken usdt = new NoReturnToken();
        _allow(address(usdt));
        usdt.mint(buyer, 2 * uint256(price));
        vm.prank(buyer);
        usdt.approve(address(suite), type(uint256).max);
        Split memory split = _split(payeeA, 1, payeeB, 3);
        (uint256 id, Terms memory terms) = _register(split, _offers(_offer(price, address(usdt), 0, false)));
        vm.prank(buyer);
        uint256 tokenId = suite.purchase(id, terms, 0, buyer);
        _pay(id, terms, 0);
        vm.assertEq(suite.ownerOf(tokenId), buyer, "licence minted");
        vm.assertEq(usdt.balanceOf(buyer), 0, "buyer paid twice");
        vm.assertEq(usdt.balanceOf(address(suite)), 2 * uint256(price), "suite holds the payments");
        uint256 net = 2 * (uint256(price) - _fee(price));
        _releaseChecked(address(usdt), split, payeeA, net / 4);
        _releaseChecked(address(usdt), split, payeeB, net * 3 / 4);
        if (_fee(price) != 0) suite.releaseProtocolFees(address(usdt));
        vm.assertEq(usdt.balanceOf(treasury), 2 * _fee(price), "treasury paid");
        vm.assertEq(usdt.balanceOf(address(suite)), net - net / 4 - net * 3 / 4, "only rounding stays");
    }

    function testFeeOnTransferTokenRejected() public {
        _checkFeeOnTransfer(100e18);
    }

    function testFeeOnTransferTokenRejected(uint256 price) public {
        _checkFeeOnTransfer(uint128(_bound(price, 100, type(uint128).max)));
    }

    function _checkFeeOnTransfer(uint128 price) internal {
        FeeOnTransferToken token = new FeeOnTransferToken();
        _allow(address(token));
        (uint256 id, Terms memory terms) = _register(_split(payeeA), _offers(_offer(price, address(token), 0, false)));
        _fund(address(token), buyer, price);
        vm.expectRevert(
            abi.encodeWithSelector(ITributarySplits.ShortDelivery.selector, price, uint256(price) - price / 100)
        );
        vm.prank(buyer);
        suite.purchase(id, terms, 0, buyer);
        vm.assertEq(token.balanceOf(address(suite)), 0, "nothing kept");
        vm.assertEq(suite.totalReceived(_hash(_split(payeeA)), address(token)), 0, "nothing booked");
    }

    // ================================================================== fuzz: many payees, many payments

    function testReleaseAllPayeesAddsUp() public {
        uint256[6] memory amounts = [uint256(1 ether), 3, 7 ether, 12_345, 0, 1e18 + 1];
        _checkReleaseAll(42, 7, amounts, false);
    }

    function testReleaseAllPayeesAddsUp(uint256 seed, uint256 count, uint256[6] memory amounts, bool erc20) public {
        _checkReleaseAll(seed, _bound(count, 1, 10), amounts, erc20);
    }

    function _checkReleaseAll(uint256 seed, uint256 count, uint256[6] memory amounts, bool erc20) internal {
        address token = erc20 ? address(usdc) : address(0);
        Split memory split = _randomSplit(seed, count);
        Offer[] memory offers = new Offer[](amounts.length);
        for (uint256 i; i < amounts.length; ++i) {
            offers[i] = _offer(uint128(_bound(amounts[i], 0, 1e30)), token, 0, false);
        }
        (uint256 id, Terms memory terms) = _register(split, offers);
        uint256 receivedGross;
        for (uint256 i; i < offers.length; ++i) {
            _pay(id, terms, i);
            receivedGross += offers[i].price;
        }
        uint256 received = suite.totalReceived(_hash(split), token);
        vm.assertEq(received + suite.protocolFeesOwed(token), receivedGross, "received + fees == paid in");

        uint256 totalShares;
        for (uint256 i; i < count; ++i) {
            totalShares += split.shares[i];
        }
        uint256 releasedSum;
        for (uint256 i; i < count; ++i) {
            uint256 due = received * split.shares[i] / totalShares;
            releasedSum += _releaseChecked(token, split, split.payees[i], due);
        }
        vm.assertLe(releasedSum, received, "never more than received");
        vm.assertLt(received - releasedSum, count, "rounding below the payee count");
        vm.assertEq(
            _balance(token, address(suite)),
            received - releasedSum + suite.protocolFeesOwed(token),
            "suite holds rounding + fees"
        );
    }

    /// @dev 1..10 sorted, unique EOA payees with random shares.
    function _randomSplit(uint256 seed, uint256 count) internal pure returns (Split memory split) {
        split.payees = new address[](count);
        split.shares = new uint32[](count);
        uint256 next = _bound(uint256(keccak256(abi.encode(seed))), 0x10000, type(uint128).max);
        for (uint256 i; i < count; ++i) {
            split.payees[i] = address(uint160(next));
            split.shares[i] = uint32(_bound(uint256(keccak256(abi.encode(seed, i, "share"))), 1, type(uint32).max));
            next += _bound(uint256(keccak256(abi.encode(seed, i, "gap"))), 1, type(uint64).max);
        }
    }

    // ================================================================== helpers

    function _allow(address token) internal {
        vm.prank(admin);
        suite.setTokenAllowed(token, true);
    }

    /// @dev Mints `amount` of a mock token to `who` and approves the suite.
    function _fund(address token, address who, uint256 amount) internal {
        MockERC20(token).mint(who, amount);
        vm.prank(who);
        MockERC20(token).approve(address(suite), type(uint256).max);
    }

    /// @dev The buyer takes offer `offerIndex` once, paying its price in its token.
    function _pay(uint256 id, Terms memory terms, uint256 offerIndex) internal returns (uint256 tokenId) {
        Offer memory offer = terms.offers[offerIndex];
        uint256 value;
        if (offer.paymentToken == address(0)) {
            value = offer.price;
            vm.deal(buyer, value);
        } else if (IERC20(offer.paymentToken).balanceOf(buyer) < offer.price) {
            _fund(offer.paymentToken, buyer, offer.price);
        }
        vm.prank(buyer);
        tokenId = suite.purchase{value: value}(id, terms, offerIndex, buyer);
    }

    function _releaseAll(address token, Split memory split) internal {
        for (uint256 i; i < split.payees.length; ++i) {
            if (suite.releasable(token, split, split.payees[i]) != 0) suite.release(token, split, split.payees[i]);
        }
    }

    function _sumBalances(MockERC20 token, Split memory split) internal view returns (uint256 sum) {
        for (uint256 i; i < split.payees.length; ++i) {
            sum += token.balanceOf(split.payees[i]);
        }
    }

    function _split3(address a, uint32 sa, address b, uint32 sb, address c, uint32 sc)
        internal
        pure
        returns (Split memory split)
    {
        split.payees = new address[](3);
        split.shares = new uint32[](3);
        (split.payees[0], split.payees[1], split.payees[2]) = (a, b, c);
        (split.shares[0], split.shares[1], split.shares[2]) = (sa, sb, sc);
        // insertion sort by address
        for (uint256 i = 1; i < 3; ++i) {
            for (uint256 j = i; j > 0 && split.payees[j - 1] > split.payees[j]; --j) {
                (split.payees[j - 1], split.payees[j]) = (split.payees[j], split.payees[j - 1]);
                (split.shares[j - 1], split.shares[j]) = (split.shares[j], split.shares[j - 1]);
            }
        }
    }

    function _hash(Split memory split) internal pure returns (bytes32) {
        return keccak256(abi.encode(split.payees, split.shares));
    }

    function _balance(address token, address who) internal view returns (uint256) {
        if (token == CREDITS) return 0;
        return token == address(0) ? who.balance : IERC20(token).balanceOf(who);
    }

    function _price(uint256 x) internal pure returns (uint128) {
        return uint128(_bound(x, 1, 1e30));
    }

    function _share(uint256 x) internal pure returns (uint32) {
        return uint32(_bound(x, 1, type(uint32).max));
    }
}
