// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryCredits} from "../contracts/interfaces/ITributaryCredits.sol";
import {ITributaryLicences} from "../contracts/interfaces/ITributaryLicences.sol";
import {ITributarySplits} from "../contracts/interfaces/ITributarySplits.sol";
import {CREDITS} from "../contracts/interfaces/ITributaryTypes.sol";
import {MockERC20} from "./mocks/Tokens.sol";
import {TributaryTest} from "./utils/TributaryTest.sol";
import {vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @notice Every function and revert path of `ITributaryCredits`, and `purchaseWithCredits`:
///         minting, the one-credit-per-payment-id rule, reversals (burning unspent credits,
///         flagging licences bought with spent ones, out-of-order webhooks), spending, pause.
contract CreditsTest is TributaryTest {
    bytes32 internal constant PAYMENT = keccak256("pi_3PaymentIntent");
    bytes32 internal constant PAYMENT_2 = keccak256("pi_3OtherPaymentIntent");
    uint128 internal constant PRICE = 100;

    address internal cardBuyer = address(0xCA4D);

    // ================================================================== mint

    function testMintCredits() public {
        _checkMint(PAYMENT, cardBuyer, 500);
        _checkMint(PAYMENT_2, cardBuyer, type(uint96).max - 500); // the largest amount, same account
    }

    function testMintCredits(bytes32 paymentId, address account, uint256 amount) public {
        vm.assume(paymentId != bytes32(0) && account != address(0));
        _checkMint(paymentId, account, _bound(amount, 1, type(uint96).max));
    }

    function _checkMint(bytes32 paymentId, address account, uint256 amount) internal {
        uint256 before = suite.creditBalance(account);
        vm.expectEmit(address(suite));
        emit ITributaryCredits.CreditsMinted(paymentId, account, amount);
        _mint(paymentId, account, amount);
        vm.assertEq(suite.creditBalance(account), before + amount, "balance");
        CreditPayment memory payment = suite.creditPayment(paymentId);
        vm.assertEq(payment.account, account, "record account");
        vm.assertEq(payment.amount, amount, "record amount");
        vm.assertEq(payment.spent, 0, "record spent");
        vm.assertFalse(payment.reversed, "record reversed");
        vm.assertEq(suite.licencesOfPayment(paymentId).length, 0, "no licences yet");
    }

    function testMintCreditsNotRelayerReverts() public {
        _checkMintNotRelayer(admin);
        _checkMintNotRelayer(cardBuyer);
    }

    function testMintCreditsNotRelayerReverts(address caller) public {
        vm.assume(caller != relayer);
        _checkMintNotRelayer(caller);
    }

    function _checkMintNotRelayer(address caller) internal {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, suite.RELAYER_ROLE()
            )
        );
        vm.prank(caller);
        suite.mintCredits(PAYMENT, cardBuyer, 1);
        vm.assertEq(suite.creditBalance(cardBuyer), 0, "nothing minted");
    }

    function testMintCreditsZeroPaymentIdReverts() public {
        _checkInvalidCredit(bytes32(0), cardBuyer, 1);
    }

    function testMintCreditsZeroPaymentIdReverts(address account, uint256 amount) public {
        _checkInvalidCredit(bytes32(0), account, amount);
    }

    function testMintCreditsZeroAccountReverts() public {
        _checkInvalidCredit(PAYMENT, address(0), 1);
    }

    function testMintCreditsZeroAccountReverts(bytes32 paymentId, uint256 amount) public {
        _checkInvalidCredit(paymentId, address(0), amount);
    }

    function testMintCreditsZeroAmountReverts() public {
        _checkInvalidCredit(PAYMENT, cardBuyer, 0);
    }

    function testMintCreditsZeroAmountReverts(bytes32 paymentId, address account) public {
        _checkInvalidCredit(paymentId, account, 0);
    }

    function testMintCreditsAboveUint96Reverts() public {
        _checkInvalidCredit(PAYMENT, cardBuyer, uint256(type(uint96).max) + 1);
    }

    function testMintCreditsAboveUint96Reverts(bytes32 paymentId, address account, uint256 amount) public {
        _checkInvalidCredit(paymentId, account, _bound(amount, uint256(type(uint96).max) + 1, type(uint256).max));
    }

    function _checkInvalidCredit(bytes32 paymentId, address account, uint256 amount) internal {
        vm.expectRevert(ITributaryCredits.InvalidCredit.selector);
        _mint(paymentId, account, amount);
        vm.assertEq(suite.creditPayment(paymentId).account, address(0), "no record");
    }

    // ================================================================== one payment id, one credit, ever

    function testSamePaymentIdRefusedForever() public {
        _checkRefusedForever(PAYMENT, 300, 5 * 365 days);
    }

    function testSamePaymentIdRefusedForever(bytes32 paymentId, uint256 amount, uint256 later) public {
        vm.assume(paymentId != bytes32(0));
        _checkRefusedForever(paymentId, _bound(amount, PRICE, type(uint96).max), _bound(later, 0, 100 * 365 days));
    }

    function _checkRefusedForever(bytes32 paymentId, uint256 amount, uint256 later) internal {
        (uint256 id, Terms memory terms) = _creditDataset(PRICE);
        _mint(paymentId, cardBuyer, amount);
        // again, to the same or another account, for the same or another amount
        _expectMintRefused(paymentId, cardBuyer, amount, ITributaryCredits.PaymentAlreadyCredited.selector);
        _expectMintRefused(paymentId, buyer, 1, ITributaryCredits.PaymentAlreadyCredited.selector);
        // after spending
        _spend(cardBuyer, paymentId, id, terms, cardBuyer);
        _expectMintRefused(paymentId, cardBuyer, amount, ITributaryCredits.PaymentAlreadyCredited.selector);
        // much later
        vm.warp(block.timestamp + later);
        _expectMintRefused(paymentId, cardBuyer, amount, ITributaryCredits.PaymentAlreadyCredited.selector);
        // after reversal the id stays spent: refused as reversed
        vm.prank(relayer);
        suite.reverseCredits(paymentId);
        _expectMintRefused(paymentId, cardBuyer, amount, ITributaryCredits.PaymentAlreadyReversed.selector);
        vm.warp(block.timestamp + later);
        _expectMintRefused(paymentId, buyer, 1, ITributaryCredits.PaymentAlreadyReversed.selector);
        vm.assertEq(suite.creditBalance(cardBuyer), 0, "reversal burned the rest; refusals minted nothing");
        vm.assertEq(suite.creditBalance(buyer), 0, "nothing to the other account");
        vm.assertEq(suite.creditPayment(paymentId).amount, amount, "the first credit is the record");
    }

    function _expectMintRefused(bytes32 paymentId, address account, uint256 amount, bytes4 error) internal {
        vm.expectRevert(abi.encodeWithSelector(error, paymentId));
        _mint(paymentId, account, amount);
    }

    // ================================================================== reversal

    function testReverseUnspentCreditsBurns() public {
        _checkReverseUnspent(250, 40);
    }

    function testReverseUnspentCreditsBurns(uint256 amount, uint256 otherAmount) public {
        _checkReverseUnspent(_bound(amount, 1, type(uint96).max), _bound(otherAmount, 1, type(uint96).max));
    }

    function _checkReverseUnspent(uint256 amount, uint256 otherAmount) internal {
        _mint(PAYMENT, cardBuyer, amount);
        _mint(PAYMENT_2, cardBuyer, otherAmount);
        vm.expectEmit(address(suite));
        emit ITributaryCredits.CreditsReversed(PAYMENT, cardBuyer, amount, 0, new uint256[](0));
        vm.prank(relayer);
        suite.reverseCredits(PAYMENT);
        vm.assertEq(suite.creditBalance(cardBuyer), otherAmount, "only the other payment's credits remain");
        CreditPayment memory payment = suite.creditPayment(PAYMENT);
        vm.assertTrue(payment.reversed, "reversed");
        vm.assertEq(payment.account, cardBuyer, "account kept");
        vm.assertEq(payment.amount, amount, "amount kept");
        vm.assertEq(payment.spent, 0, "nothing spent");
        vm.assertFalse(suite.creditPayment(PAYMENT_2).reversed, "other payment untouched");
    }

    function testReverseAfterSpendingFlagsLicences() public {
        _checkReverseAfterSpending(300, 3);
    }

    function testReverseAfterSpendingFlagsLicences(uint256 price, uint256 count) public {
        count = _bound(count, 1, 8);
        uint256 p = _bound(price, 1, type(uint96).max / count);
        _checkReverseAfterSpending(p * count, count);
    }

    /// @dev Spends all of `amount` on `count` licences (to varied recipients), then reverses.
    function _checkReverseAfterSpending(uint256 amount, uint256 count) internal {
        uint128 price = uint128(amount / count);
        (uint256 id, Terms memory terms) = _creditDataset(price);
        _mint(PAYMENT, cardBuyer, amount);
        uint256[] memory tokenIds = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            tokenIds[i] = _spend(relayer, PAYMENT, id, terms, i % 2 == 0 ? cardBuyer : other);
        }
        // a licence bought otherwise is not touched
        uint256 unrelated = _buy(buyer, id, terms, 1, 1 ether);
        vm.assertEq(suite.licencesOfPayment(PAYMENT), tokenIds, "licences of the payment");

        for (uint256 i; i < count; ++i) {
            vm.expectEmit(address(suite));
            emit ITributaryLicences.LicenceFlagged(tokenIds[i], PAYMENT);
        }
        vm.expectEmit(address(suite));
        emit ITributaryCredits.CreditsReversed(PAYMENT, cardBuyer, amount - price * count, price * count, tokenIds);
        vm.prank(relayer);
        suite.reverseCredits(PAYMENT);

        for (uint256 i; i < count; ++i) {
            vm.assertTrue(suite.licence(tokenIds[i]).flagged, "flagged on the licence");
        }
        vm.assertFalse(suite.licence(unrelated).flagged, "ETH licence not flagged");
        vm.assertEq(suite.creditBalance(cardBuyer), 0, "nothing left");
        vm.assertTrue(suite.creditPayment(PAYMENT).reversed, "reversed");
    }

    function testPartialSpendThenReversal() public {
        _checkPartialSpend(1000, 150, 4);
    }

    function testPartialSpendThenReversal(uint256 amount, uint256 price, uint256 spends) public {
        amount = _bound(amount, 1, type(uint96).max);
        spends = _bound(spends, 1, 5);
        _checkPartialSpend(amount, _bound(price, 0, amount / spends), spends);
    }

    function _checkPartialSpend(uint256 amount, uint256 price, uint256 spends) internal {
        (uint256 id, Terms memory terms) = _creditDataset(uint128(price));
        _mint(PAYMENT, cardBuyer, amount);
        _mint(PAYMENT_2, cardBuyer, 7);
        uint256[] memory tokenIds = new uint256[](spends);
        for (uint256 i; i < spends; ++i) {
            tokenIds[i] = _spend(cardBuyer, PAYMENT, id, terms, cardBuyer);
            vm.assertEq(suite.creditBalance(cardBuyer), amount - price * (i + 1) + 7, "balance after spend");
        }
        uint256 spent = price * spends;
        vm.assertEq(suite.creditPayment(PAYMENT).spent, spent, "spent recorded");

        vm.expectEmit(address(suite));
        emit ITributaryCredits.CreditsReversed(PAYMENT, cardBuyer, amount - spent, spent, tokenIds);
        vm.prank(relayer);
        suite.reverseCredits(PAYMENT);
        vm.assertEq(suite.creditBalance(cardBuyer), 7, "unspent burned, other payment kept");
        for (uint256 i; i < spends; ++i) {
            vm.assertTrue(suite.licence(tokenIds[i]).flagged, "flagged");
        }
        // the reversed payment cannot be spent any more; the other one can
        vm.expectRevert(abi.encodeWithSelector(ITributaryCredits.PaymentAlreadyReversed.selector, PAYMENT));
        vm.prank(cardBuyer);
        suite.purchaseWithCredits(PAYMENT, id, terms, 0, cardBuyer);
        if (price <= 7) _spend(cardBuyer, PAYMENT_2, id, terms, cardBuyer);
    }

    function testReverseBeforePaymentThenMintReverts() public {
        _checkOutOfOrder(PAYMENT, 500);
    }

    function testReverseBeforePaymentThenMintReverts(bytes32 paymentId, uint256 amount) public {
        vm.assume(paymentId != bytes32(0));
        _checkOutOfOrder(paymentId, _bound(amount, 1, type(uint96).max));
    }

    function _checkOutOfOrder(bytes32 paymentId, uint256 amount) internal {
        (uint256 id, Terms memory terms) = _creditDataset(PRICE);
        // the refund webhook arrives first
        vm.expectEmit(address(suite));
        emit ITributaryCredits.CreditsReversed(paymentId, address(0), 0, 0, new uint256[](0));
        vm.prank(relayer);
        suite.reverseCredits(paymentId);
        CreditPayment memory payment = suite.creditPayment(paymentId);
        vm.assertTrue(payment.reversed, "recorded as reversed");
        vm.assertEq(payment.account, address(0), "no account");
        // the late payment webhook is refused
        vm.expectRevert(abi.encodeWithSelector(ITributaryCredits.PaymentAlreadyReversed.selector, paymentId));
        _mint(paymentId, cardBuyer, amount);
        vm.assertEq(suite.creditBalance(cardBuyer), 0, "never credited");
        vm.expectRevert(abi.encodeWithSelector(ITributaryCredits.UnknownPayment.selector, paymentId));
        vm.prank(relayer);
        suite.purchaseWithCredits(paymentId, id, terms, 0, cardBuyer);
    }

    function testDoubleReversalReverts() public {
        _checkDoubleReversal(PAYMENT, true);
        _checkDoubleReversal(PAYMENT_2, false);
    }

    function testDoubleReversalReverts(bytes32 paymentId, bool minted) public {
        vm.assume(paymentId != bytes32(0));
        _checkDoubleReversal(paymentId, minted);
    }

    function _checkDoubleReversal(bytes32 paymentId, bool minted) internal {
        if (minted) _mint(paymentId, cardBuyer, 10);
        vm.prank(relayer);
        suite.reverseCredits(paymentId);
        vm.expectRevert(abi.encodeWithSelector(ITributaryCredits.PaymentAlreadyReversed.selector, paymentId));
        vm.prank(relayer);
        suite.reverseCredits(paymentId);
    }

    function testReverseCreditsNotRelayerReverts() public {
        _checkReverseNotRelayer(cardBuyer);
        _checkReverseNotRelayer(admin);
    }

    function testReverseCreditsNotRelayerReverts(address caller) public {
        vm.assume(caller != relayer);
        _checkReverseNotRelayer(caller);
    }

    function _checkReverseNotRelayer(address caller) internal {
        bytes32 paymentId = keccak256(abi.encode("not relayer", caller));
        _mint(paymentId, cardBuyer, 10);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, suite.RELAYER_ROLE()
            )
        );
        vm.prank(caller);
        suite.reverseCredits(paymentId);
        vm.assertFalse(suite.creditPayment(paymentId).reversed, "not reversed");
        vm.assertEq(suite.creditBalance(cardBuyer), 10, "not burned");
        vm.prank(relayer);
        suite.reverseCredits(paymentId); // burns them again for the next call of a paired test
    }

    function testReverseCreditsZeroPaymentIdReverts() public {
        vm.expectRevert(ITributaryCredits.InvalidCredit.selector);
        vm.prank(relayer);
        suite.reverseCredits(bytes32(0));
        vm.assertFalse(suite.creditPayment(bytes32(0)).reversed, "zero id never recorded");
    }

    // ================================================================== spending

    function testSpendByPaymentAccount() public {
        _checkSpend(cardBuyer, 250, PRICE, other);
    }

    function testSpendByPaymentAccount(uint256 amount, uint256 price, address recipient) public {
        _checkSpendFuzzed(cardBuyer, amount, price, recipient);
    }

    function testSpendByRelayer() public {
        _checkSpend(relayer, 100, PRICE, cardBuyer);
    }

    function testSpendByRelayer(uint256 amount, uint256 price, address recipient) public {
        _checkSpendFuzzed(relayer, amount, price, recipient);
    }

    function _checkSpendFuzzed(address caller, uint256 amount, uint256 price, address recipient) internal {
        vm.assume(recipient != address(0) && recipient.code.length == 0);
        amount = _bound(amount, 1, type(uint96).max);
        _checkSpend(caller, amount, uint128(_bound(price, 0, amount)), recipient);
    }

    function _checkSpend(address caller, uint256 amount, uint128 price, address recipient) internal {
        (uint256 id, Terms memory terms) = _creditDataset(price);
        _mint(PAYMENT, cardBuyer, amount);
        uint256 fee = _fee(price);
        uint256 expectedTokenId = _tokenId(id, 1, 1);
        vm.expectEmit(address(suite));
        emit ITributaryCredits.CreditsSpent(PAYMENT, expectedTokenId, price);
        vm.expectEmit(address(suite));
        emit ITributarySplits.PaymentReceived(terms.splitHash, CREDITS, id, cardBuyer, price - fee, fee);
        vm.expectEmit(address(suite));
        emit ITributaryLicences.LicenceIssued(
            expectedTokenId, id, recipient, keccak256(abi.encode(terms.offers[0])), 1, type(uint64).max, PAYMENT
        );
        uint256 tokenId = _spend(caller, PAYMENT, id, terms, recipient);

        vm.assertEq(tokenId, expectedTokenId, "token id");
        vm.assertEq(suite.ownerOf(tokenId), recipient, "licence to the recipient");
        vm.assertTrue(suite.isLicensed(recipient, id), "recipient licensed");
        vm.assertFalse(suite.licence(tokenId).flagged, "not flagged");
        vm.assertEq(suite.creditBalance(cardBuyer), amount - price, "credits spent");
        vm.assertEq(suite.creditPayment(PAYMENT).spent, price, "spent recorded");
        uint256[] memory expected = new uint256[](1);
        expected[0] = tokenId;
        vm.assertEq(suite.licencesOfPayment(PAYMENT), expected, "licence listed under the payment");
        vm.assertEq(suite.totalReceived(terms.splitHash, CREDITS), price - fee, "split credited in CREDITS");
    }

    function testSpendNotPaymentAccountReverts() public {
        _checkNotPaymentAccount(buyer);
        _checkNotPaymentAccount(admin);
    }

    function testSpendNotPaymentAccountReverts(address caller) public {
        vm.assume(caller != cardBuyer && caller != relayer);
        _checkNotPaymentAccount(caller);
    }

    function _checkNotPaymentAccount(address caller) internal {
        (uint256 id, Terms memory terms) = _creditDataset(PRICE);
        bytes32 paymentId = keccak256(abi.encode("not account", caller));
        _mint(paymentId, cardBuyer, PRICE);
        vm.expectRevert(abi.encodeWithSelector(ITributaryCredits.NotPaymentAccount.selector, paymentId, caller));
        vm.prank(caller);
        suite.purchaseWithCredits(paymentId, id, terms, 0, caller == address(0) ? buyer : caller);
        vm.assertEq(suite.creditPayment(paymentId).spent, 0, "nothing spent");
    }

    function testSpendInsufficientCreditsReverts() public {
        _checkInsufficient(PRICE - 1, 0);
        _checkInsufficient(3 * PRICE - 1, 2);
    }

    function testSpendInsufficientCreditsReverts(uint256 amount, uint256 spends) public {
        spends = _bound(spends, 0, 3);
        _checkInsufficient(_bound(amount, spends * PRICE + 1, (spends + 1) * PRICE - 1), spends);
    }

    /// @dev `spends` purchases succeed, the next finds too little left.
    function _checkInsufficient(uint256 amount, uint256 spends) internal {
        (uint256 id, Terms memory terms) = _creditDataset(PRICE);
        bytes32 paymentId = keccak256(abi.encode("insufficient", amount, spends));
        _mint(paymentId, cardBuyer, amount);
        for (uint256 i; i < spends; ++i) {
            _spend(cardBuyer, paymentId, id, terms, cardBuyer);
        }
        uint256 available = amount - spends * PRICE;
        // credits of another payment of the same account do not help
        _mint(keccak256(abi.encode(paymentId)), cardBuyer, PRICE);
        vm.expectRevert(
            abi.encodeWithSelector(ITributaryCredits.InsufficientCredits.selector, paymentId, available, PRICE)
        );
        vm.prank(cardBuyer);
        suite.purchaseWithCredits(paymentId, id, terms, 0, cardBuyer);
    }

    function testSpendUnknownPaymentReverts() public {
        _checkUnknownPayment(PAYMENT);
    }

    function testSpendUnknownPaymentReverts(bytes32 paymentId) public {
        _checkUnknownPayment(paymentId);
    }

    function _checkUnknownPayment(bytes32 paymentId) internal {
        (uint256 id, Terms memory terms) = _creditDataset(0); // even a free offer needs a payment
        vm.expectRevert(abi.encodeWithSelector(ITributaryCredits.UnknownPayment.selector, paymentId));
        vm.prank(relayer);
        suite.purchaseWithCredits(paymentId, id, terms, 0, cardBuyer);
    }

    function testTooManyLicencesForPaymentReverts() public {
        _checkTooManyLicences(1);
    }

    function testTooManyLicencesForPaymentReverts(bool free) public {
        _checkTooManyLicences(free ? 0 : 3);
    }

    function _checkTooManyLicences(uint128 price) internal {
        uint256 max = suite.MAX_LICENCES_PER_PAYMENT();
        vm.assertEq(max, 32, "documented cap");
        (uint256 id, Terms memory terms) = _creditDataset(price);
        _mint(PAYMENT, cardBuyer, 1000);
        for (uint256 i; i < max; ++i) {
            _spend(relayer, PAYMENT, id, terms, cardBuyer);
        }
        vm.expectRevert(abi.encodeWithSelector(ITributaryCredits.TooManyLicencesForPayment.selector, PAYMENT));
        vm.prank(relayer);
        suite.purchaseWithCredits(PAYMENT, id, terms, 0, cardBuyer);
        vm.assertEq(suite.licencesOfPayment(PAYMENT).length, max, "at the cap");
        vm.assertEq(suite.creditBalance(cardBuyer), 1000 - max * price, "credits left, unspendable by licence count");
    }

    function testCreditsForEthOfferReverts() public {
        _checkCreditsForTokenOffer(1, address(0));
        MockERC20 usdc = new MockERC20("USDC", 6);
        vm.prank(admin);
        suite.setTokenAllowed(address(usdc), true);
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(5, address(usdc), 0, false)));
        _mint(PAYMENT_2, cardBuyer, 100);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongPaymentToken.selector, address(usdc)));
        vm.prank(cardBuyer);
        suite.purchaseWithCredits(PAYMENT_2, id, terms, 0, cardBuyer);
    }

    function testCreditsForEthOfferReverts(uint256 price) public {
        _checkCreditsForTokenOffer(_bound(price, 0, 100 ether), address(0));
    }

    function _checkCreditsForTokenOffer(uint256 price, address token) internal {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(uint128(price), token, 0, false)));
        _mint(PAYMENT, cardBuyer, type(uint96).max);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongPaymentToken.selector, token));
        vm.prank(cardBuyer);
        suite.purchaseWithCredits(PAYMENT, id, terms, 0, cardBuyer);
        vm.assertEq(suite.creditBalance(cardBuyer), type(uint96).max, "nothing spent");
    }

    function testEthPurchaseOfCreditsOfferReverts() public {
        _checkEthForCredits(PRICE, PRICE);
        _checkEthForCredits(PRICE, 0);
    }

    function testEthPurchaseOfCreditsOfferReverts(uint256 price, uint256 value) public {
        _checkEthForCredits(uint128(_bound(price, 0, 100 ether)), _bound(value, 0, 100 ether));
    }

    function _checkEthForCredits(uint128 price, uint256 value) internal {
        (uint256 id, Terms memory terms) = _creditDataset(price);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongPaymentToken.selector, CREDITS));
        vm.prank(buyer);
        suite.purchase{value: value}(id, terms, 0, buyer);
    }

    function testPurchaseWithCreditsWrongOfferKindReverts() public {
        _checkWrongKind(OfferKind.Custom);
        _checkWrongKind(OfferKind.Subscription);
    }

    function testPurchaseWithCreditsWrongOfferKindReverts(uint8 kind) public {
        OfferKind k = OfferKind(_bound(kind, 2, 3)); // RoyaltyLinked cannot be priced in credits
        _checkWrongKind(k);
    }

    function _checkWrongKind(OfferKind kind) internal {
        Offer memory offer = _offer(PRICE, CREDITS, 0, false);
        offer.kind = kind;
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(offer));
        bytes32 paymentId = keccak256(abi.encode("kind", kind));
        _mint(paymentId, cardBuyer, PRICE);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongOfferKind.selector, kind));
        vm.prank(cardBuyer);
        suite.purchaseWithCredits(paymentId, id, terms, 0, cardBuyer);
    }

    // ================================================================== pause

    function testCreditsWhilePaused() public {
        _checkPaused(300, PRICE);
    }

    function testCreditsWhilePaused(uint256 amount, uint256 price) public {
        amount = _bound(amount, 1, type(uint96).max);
        _checkPaused(amount, _bound(price, 0, amount));
    }

    function _checkPaused(uint256 amount, uint256 price) internal {
        (uint256 id, Terms memory terms) = _creditDataset(uint128(price));
        _mint(PAYMENT, cardBuyer, amount);
        uint256 tokenId = _spend(cardBuyer, PAYMENT, id, terms, cardBuyer);
        vm.prank(pauser);
        suite.pause();

        vm.expectRevert(Pausable.EnforcedPause.selector);
        _mint(PAYMENT_2, cardBuyer, amount);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(cardBuyer);
        suite.purchaseWithCredits(PAYMENT, id, terms, 0, cardBuyer);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(relayer);
        suite.purchaseWithCredits(PAYMENT, id, terms, 0, cardBuyer);

        // a refund still goes through while paused
        uint256[] memory flagged = new uint256[](1);
        flagged[0] = tokenId;
        vm.expectEmit(address(suite));
        emit ITributaryCredits.CreditsReversed(PAYMENT, cardBuyer, amount - price, price, flagged);
        vm.prank(relayer);
        suite.reverseCredits(PAYMENT);
        vm.assertEq(suite.creditBalance(cardBuyer), 0, "burned while paused");
        vm.assertTrue(suite.licence(tokenId).flagged, "flagged while paused");

        vm.prank(pauser);
        suite.unpause();
        _mint(PAYMENT_2, cardBuyer, amount);
        vm.assertEq(suite.creditBalance(cardBuyer), amount, "minting resumes");
    }

    // ================================================================== fees and earnings in credits

    function testCreditFeesAccrueInCredits() public {
        _checkCreditFees(10_000, 1000);
    }

    function testCreditFeesAccrueInCredits(uint256 price, uint256 newBps) public {
        _checkCreditFees(uint128(_bound(price, 0, type(uint96).max / 2)), uint16(_bound(newBps, 0, 1000)));
    }

    function _checkCreditFees(uint128 price, uint16 newBps) internal {
        Split memory split = _split(creator, 3, other, 1);
        (uint256 id, Terms memory terms) = _register(split, _offers(_offer(price, CREDITS, 0, false)));
        _mint(PAYMENT, cardBuyer, 2 * uint256(price) + 1);
        _spend(cardBuyer, PAYMENT, id, terms, cardBuyer);
        uint256 fee1 = _fee(price);
        vm.assertEq(suite.protocolFeesOwed(CREDITS), fee1, "fee in credits at the old rate");
        vm.prank(admin);
        suite.setProtocolFee(newBps, treasury);
        _spend(cardBuyer, PAYMENT, id, terms, cardBuyer);
        uint256 fee2 = uint256(price) * newBps / 10_000;
        vm.assertEq(suite.protocolFeesOwed(CREDITS), fee1 + fee2, "fee in credits at both rates");
        vm.assertEq(suite.protocolFeesOwed(address(0)), 0, "no ETH fee");
        vm.assertEq(
            suite.totalReceived(terms.splitHash, CREDITS), 2 * uint256(price) - fee1 - fee2, "split earns the rest"
        );
        vm.assertEq(address(suite).balance, 0, "no ETH involved");
    }

    /// @dev As built: reversing a payment flags its licences but leaves the credits it spent
    ///      booked to the split (payees may still release them as a fiat payout order) and the
    ///      licences valid for `isLicensed`. Pinned here; see the report.
    function testReversalLeavesSpentCreditsWithSplitAndLicenceValid() public {
        _checkReversalLeavesEarnings(PRICE);
    }

    function testReversalLeavesSpentCreditsWithSplitAndLicenceValid(uint256 price) public {
        _checkReversalLeavesEarnings(uint128(_bound(price, 1, type(uint96).max)));
    }

    function _checkReversalLeavesEarnings(uint128 price) internal {
        (uint256 id, Terms memory terms) = _creditDataset(price);
        _mint(PAYMENT, cardBuyer, price);
        uint256 tokenId = _spend(cardBuyer, PAYMENT, id, terms, cardBuyer);
        vm.prank(relayer);
        suite.reverseCredits(PAYMENT);
        vm.assertTrue(suite.licence(tokenId).flagged, "flagged");
        vm.assertTrue(suite.isLicensed(cardBuyer, id), "a flagged licence still licenses");
        uint256 net = price - _fee(price);
        vm.assertEq(suite.releasable(CREDITS, _split(creator), creator), net, "spent credits still releasable");
        vm.assertEq(suite.protocolFeesOwed(CREDITS), _fee(price), "fee still owed");
    }

    // ================================================================== fuzz: balances

    function testCreditBalanceMatchesUnreversedPayments() public {
        _checkBalances(0xC0DE, 12);
    }

    function testCreditBalanceMatchesUnreversedPayments(uint256 seed, uint256 steps) public {
        _checkBalances(seed, _bound(steps, 1, 24));
    }

    /// @dev Random mints (3 accounts, 6 payment ids, some repeated), spends (16 prices) and
    ///      reversals, tracked in a local ledger; after each step every account's balance equals
    ///      Σ(amount − spent) of its unreversed payments, and each record matches the ledger.
    function _checkBalances(uint256 seed, uint256 steps) internal {
        Offer[] memory offers = new Offer[](16);
        for (uint256 i; i < 16; ++i) {
            uint256 price = _bound(uint256(keccak256(abi.encode(seed, "price", i))), 0, 5000);
            offers[i] = _offer(uint128(price), CREDITS, 0, false);
        }
        (uint256 id, Terms memory terms) = _register(_split(creator), offers);
        address[3] memory accounts = [cardBuyer, buyer, other];
        Ledger[6] memory ledger;
        for (uint256 i; i < 6; ++i) {
            ledger[i].id = keccak256(abi.encode(seed, "payment", i));
        }
        for (uint256 s; s < steps; ++s) {
            uint256 r = uint256(keccak256(abi.encode(seed, s)));
            Ledger memory entry = ledger[r % 6];
            uint256 action = (r >> 8) % 4;
            if (action < 2) {
                uint256 amount = _bound(r >> 16, 1, 20_000);
                address account = accounts[(r >> 128) % 3];
                if (entry.account != address(0) || entry.reversed) {
                    vm.expectRevert(); // seen before: refused
                    _mint(entry.id, account, amount);
                } else {
                    _mint(entry.id, account, amount);
                    (entry.account, entry.amount) = (account, amount);
                }
            } else if (action == 2) {
                uint256 offerIndex = (r >> 16) % 16;
                uint256 price = offers[offerIndex].price;
                bool ok = entry.account != address(0) && !entry.reversed && entry.amount - entry.spent >= price;
                if (!ok) vm.expectRevert();
                vm.prank(relayer);
                suite.purchaseWithCredits(entry.id, id, terms, offerIndex, cardBuyer);
                if (ok) entry.spent += price;
            } else {
                if (entry.reversed) vm.expectRevert();
                vm.prank(relayer);
                suite.reverseCredits(entry.id);
                entry.reversed = true;
            }
            for (uint256 a; a < 3; ++a) {
                uint256 expected;
                for (uint256 i; i < 6; ++i) {
                    if (ledger[i].account == accounts[a] && !ledger[i].reversed) {
                        expected += ledger[i].amount - ledger[i].spent;
                    }
                }
                vm.assertEq(suite.creditBalance(accounts[a]), expected, "balance == unspent of unreversed payments");
            }
            CreditPayment memory record = suite.creditPayment(entry.id);
            vm.assertEq(record.account, entry.account, "record account");
            vm.assertEq(record.amount, entry.amount, "record amount");
            vm.assertEq(record.spent, entry.spent, "record spent");
            vm.assertEq(record.reversed, entry.reversed, "record reversed");
        }
    }

    /// Flagging sets one bit beside the licence's other facts, which stay as issued.
    function testFlaggingKeepsTheLicenceTerms() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(PRICE, CREDITS, 30 days, true)));
        _mint(PAYMENT, cardBuyer, PRICE);
        uint256 tokenId = _spend(cardBuyer, PAYMENT, id, terms, cardBuyer);
        Licence memory before = suite.licence(tokenId);
        vm.prank(relayer);
        suite.reverseCredits(PAYMENT);
        Licence memory flagged = suite.licence(tokenId);
        vm.assertTrue(!before.flagged && flagged.flagged, "flagged");
        vm.assertEq(flagged.datasetId, before.datasetId, "dataset");
        vm.assertEq(flagged.version, before.version, "version");
        vm.assertEq(flagged.expiresAt, block.timestamp + 30 days, "expiry");
        vm.assertTrue(flagged.kind == OfferKind.OneOff && flagged.transferable, "kind, transferable");
        vm.assertEq(flagged.royaltyBps, 0, "royalty");
        vm.assertEq(suite.ownerOf(tokenId), cardBuyer, "holder");
        vm.assertEq(suite.licensedUntil(cardBuyer, id), block.timestamp + 30 days, "index");
    }

    struct Ledger {
        bytes32 id;
        address account;
        uint256 amount;
        uint256 spent;
        bool reversed;
    }

    // ================================================================== helpers

    /// @dev A dataset paying `creator` alone: offer 0 priced in credits, offer 1 in ETH (1 ether).
    function _creditDataset(uint128 price) internal returns (uint256 id, Terms memory terms) {
        return _register(_split(creator), _offers(_offer(price, CREDITS, 0, false), _ethOffer(1 ether)));
    }

    function _mint(bytes32 paymentId, address account, uint256 amount) internal {
        vm.prank(relayer);
        suite.mintCredits(paymentId, account, amount);
    }

    function _spend(address caller, bytes32 paymentId, uint256 id, Terms memory terms, address recipient)
        internal
        returns (uint256 tokenId)
    {
        vm.prank(caller);
        tokenId = suite.purchaseWithCredits(paymentId, id, terms, 0, recipient);
    }
}
