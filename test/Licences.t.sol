// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributary} from "../contracts/interfaces/ITributary.sol";
import {ITributaryLicences} from "../contracts/interfaces/ITributaryLicences.sol";
import {ITributaryRegistry} from "../contracts/interfaces/ITributaryRegistry.sol";
import {ITributarySplits} from "../contracts/interfaces/ITributarySplits.sol";
import {CREDITS} from "../contracts/interfaces/ITributaryTypes.sol";
import {HookedBuyer, ReentrantLicenceReceiver} from "./mocks/Reentrant.sol";
import {HookToken, MockERC20} from "./mocks/Tokens.sol";
import {TributaryTest} from "./utils/TributaryTest.sol";
import {vm} from "./utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ERC721} from "solady/tokens/ERC721.sol";

contract LicencesTest is TributaryTest {
    uint64 internal constant PERPETUAL = type(uint64).max;
    MockERC20 internal usdc;

    function setUp() public override {
        super.setUp();
        usdc = new MockERC20("USDC", 6);
        vm.prank(admin);
        suite.setTokenAllowed(address(usdc), true);
        usdc.mint(buyer, 1e12);
        vm.prank(buyer);
        usdc.approve(address(suite), type(uint256).max);
    }

    // ------------------------------------------------------------------ purchase

    function testPurchaseEth() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        bytes32 offerHash = keccak256(abi.encode(terms.offers[0]));
        vm.expectEmit(true, true, true, true, address(suite));
        emit ITributarySplits.PaymentReceived(
            terms.splitHash, address(0), id, buyer, 1 ether - _fee(1 ether), _fee(1 ether)
        );
        vm.expectEmit(true, true, true, true, address(suite));
        emit ITributaryLicences.LicenceIssued(_tokenId(id, 1, 1), id, buyer, offerHash, 1, PERPETUAL, bytes32(0));
        vm.expectEmit(true, true, true, true, address(suite));
        emit IERC721.Transfer(address(0), buyer, _tokenId(id, 1, 1));
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);

        vm.assertEq(tokenId, _tokenId(id, 1, 1), "token id: dataset, version, serial");
        vm.assertEq(suite.ownerOf(tokenId), buyer, "owner");
        vm.assertTrue(suite.isLicensed(buyer, id), "licensed");
        vm.assertFalse(suite.isLicensed(other, id), "others are not");
        vm.assertEq(suite.licensedUntil(buyer, id), PERPETUAL, "perpetual");
        Licence memory licence = suite.licence(tokenId);
        vm.assertEq(licence.datasetId, id, "dataset");
        vm.assertEq(licence.version, 1, "version");
        vm.assertEq(licence.expiresAt, PERPETUAL, "expiry");
        vm.assertFalse(licence.transferable, "non-transferable");
        vm.assertFalse(licence.flagged, "not flagged");
        vm.assertEq(address(suite).balance, 1 ether, "held");
        vm.assertEq(suite.totalReceived(terms.splitHash, address(0)), 1 ether - _fee(1 ether), "split");
        vm.assertEq(suite.protocolFeesOwed(address(0)), _fee(1 ether), "fee");
    }

    function testPurchaseEth(uint128 price, uint64 duration) public {
        vm.deal(buyer, price);
        (uint256 id, Terms memory terms) =
            _register(_split(creator), _offers(_offer(price, address(0), duration, false)));
        uint256 tokenId = _buy(buyer, id, terms, 0, price);
        uint64 expiresAt = suite.licence(tokenId).expiresAt;
        if (duration == 0 || uint256(block.timestamp) + duration >= PERPETUAL) {
            vm.assertEq(expiresAt, PERPETUAL, "perpetual");
        } else {
            vm.assertEq(expiresAt, block.timestamp + duration, "expiry");
        }
        vm.assertTrue(suite.isLicensed(buyer, id), "licensed");
        uint256 fee = _fee(price);
        vm.assertEq(suite.totalReceived(terms.splitHash, address(0)) + suite.protocolFeesOwed(address(0)), price, "sum");
        vm.assertEq(suite.protocolFeesOwed(address(0)), fee, "fee");
    }

    function testPurchaseForRecipient() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.prank(buyer);
        uint256 tokenId = suite.purchase{value: 1 ether}(id, terms, 0, other);
        vm.assertEq(suite.ownerOf(tokenId), other, "recipient holds it");
        vm.assertTrue(suite.isLicensed(other, id), "recipient licensed");
        vm.assertFalse(suite.isLicensed(buyer, id), "payer is not");
    }

    function testPurchaseErc20() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(25e6, address(usdc), 0, false)));
        _buy(buyer, id, terms, 0, 0);
        vm.assertEq(usdc.balanceOf(address(suite)), 25e6, "pulled");
        vm.assertEq(suite.totalReceived(terms.splitHash, address(usdc)), 25e6 - _fee(25e6), "booked");
        vm.assertTrue(suite.isLicensed(buyer, id), "licensed");
    }

    function testPurchaseSecondOfferAndVersion() public {
        Offer memory monthly = _offer(0.1 ether, address(0), 30 days, true);
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_ethOffer(1 ether), monthly));
        vm.prank(creator);
        suite.publishVersion(id, keccak256("v2"), "ipfs://v2");
        uint256 tokenId = _buy(buyer, id, terms, 1, 0.1 ether);
        Licence memory licence = suite.licence(tokenId);
        vm.assertEq(licence.version, 2, "current version at purchase");
        vm.assertEq(licence.expiresAt, block.timestamp + 30 days, "offer duration");
        vm.assertTrue(licence.transferable, "transferable offer");
    }

    function testPurchaseWrongEthValueReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.WrongPayment.selector, 1 ether, 1 ether - 1));
        _buy(buyer, id, terms, 0, 1 ether - 1);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.WrongPayment.selector, 1 ether, 1 ether + 1));
        _buy(buyer, id, terms, 0, 1 ether + 1);
    }

    function testPurchaseEthSentForTokenOfferReverts() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1e6, address(usdc), 0, false)));
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.WrongPayment.selector, 0, 1));
        _buy(buyer, id, terms, 0, 1);
    }

    function testPurchaseDelistedTokenReverts() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1e6, address(usdc), 0, false)));
        vm.prank(admin);
        suite.setTokenAllowed(address(usdc), false);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.TokenNotAllowed.selector, address(usdc)));
        _buy(buyer, id, terms, 0, 0);
    }

    function testPurchaseUnknownDatasetReverts() public {
        (, Terms memory terms) = _registerSimple(1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.UnknownDataset.selector, 9));
        _buy(buyer, 9, terms, 0, 1 ether);
    }

    function testPurchasePausedDatasetReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Paused);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.DatasetNotActive.selector, id, DatasetStatus.Paused));
        _buy(buyer, id, terms, 0, 1 ether);
    }

    function testPurchaseRetiredDatasetReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Retired);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.DatasetNotActive.selector, id, DatasetStatus.Retired));
        _buy(buyer, id, terms, 0, 1 ether);
    }

    function testPurchaseWithForgedTermsReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        terms.offers[0].price = 1; // a buyer pretending the price is 1 wei
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.TermsMismatch.selector, id));
        _buy(buyer, id, terms, 0, 1);
        terms.offers[0].price = 1 ether;
        terms.splitHash = keccak256("my own split");
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.TermsMismatch.selector, id));
        _buy(buyer, id, terms, 0, 1 ether);
    }

    function testPurchaseOfferIndexOutOfRangeReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.OfferIndexOutOfRange.selector, 1));
        _buy(buyer, id, terms, 1, 1 ether);
    }

    function testPurchaseWhenSuitePausedReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.prank(pauser);
        suite.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _buy(buyer, id, terms, 0, 1 ether);
        vm.prank(pauser);
        suite.unpause();
        _buy(buyer, id, terms, 0, 1 ether);
    }

    function testPauseByNonPauserReverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, other, suite.PAUSER_ROLE())
        );
        vm.prank(other);
        suite.pause();
    }

    function testPurchaseSubscriptionOfferReverts() public {
        Offer memory offer = _ethOffer(1 ether);
        offer.kind = OfferKind.Subscription;
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(offer));
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongOfferKind.selector, OfferKind.Subscription));
        _buy(buyer, id, terms, 0, 1 ether);
    }

    function testPurchaseCustomOfferReverts() public {
        Offer memory offer = _ethOffer(0);
        offer.kind = OfferKind.Custom;
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(offer));
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongOfferKind.selector, OfferKind.Custom));
        _buy(buyer, id, terms, 0, 0);
    }

    function testPurchaseCreditsOfferWithWalletReverts() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(500, CREDITS, 0, false)));
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongPaymentToken.selector, CREDITS));
        _buy(buyer, id, terms, 0, 0);
    }

    function testPurchaseToZeroRecipientReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.expectRevert(ITributaryLicences.InvalidRecipient.selector);
        vm.prank(buyer);
        suite.purchase{value: 1 ether}(id, terms, 0, address(0));
    }

    function testSupplyCap() public {
        Offer memory offer = _ethOffer(1 ether);
        offer.supplyCap = 2;
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(offer));
        bytes32 offerHash = keccak256(abi.encode(offer));
        _buy(buyer, id, terms, 0, 1 ether);
        _buy(buyer, id, terms, 0, 1 ether);
        vm.assertEq(suite.offerSold(id, offerHash), 2, "sold");
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.OfferSoldOut.selector, id, offerHash));
        _buy(buyer, id, terms, 0, 1 ether);
    }

    // ------------------------------------------------------------------ expiry and the holder index

    function testExpiryAtTheExactSecond() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1 ether, address(0), 100, false)));
        uint256 start = block.timestamp;
        _buy(buyer, id, terms, 0, 1 ether);
        vm.assertEq(suite.licensedUntil(buyer, id), start + 100, "ends at start + duration");
        vm.warp(start + 99);
        vm.assertTrue(suite.isLicensed(buyer, id), "valid in its last second");
        vm.warp(start + 100);
        vm.assertFalse(suite.isLicensed(buyer, id), "expired at expiresAt");
    }

    function testRenewalExtendsTheIndex() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1 ether, address(0), 100, false)));
        _buy(buyer, id, terms, 0, 1 ether);
        vm.warp(block.timestamp + 50);
        _buy(buyer, id, terms, 0, 1 ether);
        vm.warp(block.timestamp + 99);
        vm.assertTrue(suite.isLicensed(buyer, id), "the later licence counts");
    }

    function testNonTransferableLicenceReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.NonTransferable.selector, tokenId));
        vm.prank(buyer);
        suite.transferFrom(buyer, other, tokenId);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.NonTransferable.selector, tokenId));
        vm.prank(buyer);
        suite.safeTransferFrom(buyer, other, tokenId);
        vm.assertEq(suite.ownerOf(tokenId), buyer, "still held");
    }

    function testTransferableLicenceMovesTheLicence() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1 ether, address(0), 0, true)));
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);
        vm.prank(buyer);
        suite.transferFrom(buyer, other, tokenId);
        vm.assertFalse(suite.isLicensed(buyer, id), "seller no longer licensed");
        vm.assertTrue(suite.isLicensed(other, id), "new holder licensed");
    }

    function testIndexKeepsEqualExpiries() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1 ether, address(0), 0, true)));
        uint256 first = _buy(buyer, id, terms, 0, 1 ether);
        _buy(buyer, id, terms, 0, 1 ether);
        vm.prank(buyer);
        suite.transferFrom(buyer, other, first);
        vm.assertTrue(suite.isLicensed(buyer, id), "the second perpetual licence still counts");
    }

    /// The documented corner: selling the longest licence while keeping a shorter one of the
    /// same dataset under-states until `refreshLicence`, and never over-states.
    function testIndexUnderStatesAfterSellingTheLongestUntilRefreshed() public {
        (uint256 id, Terms memory terms) = _register(
            _split(creator), _offers(_offer(1 ether, address(0), 0, true), _offer(1 ether, address(0), 1 days, true))
        );
        uint256 perpetual = _buy(buyer, id, terms, 0, 1 ether);
        uint256 day = _buy(buyer, id, terms, 1, 1 ether);
        vm.prank(buyer);
        suite.transferFrom(buyer, other, perpetual);
        vm.assertFalse(suite.isLicensed(buyer, id), "under-stated");
        suite.refreshLicence(day);
        vm.assertTrue(suite.isLicensed(buyer, id), "restored by refresh");
        vm.assertEq(suite.licensedUntil(buyer, id), block.timestamp + 1 days, "to the kept licence");
    }

    function testRefreshNeverOverStates() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1 ether, address(0), 0, true)));
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);
        suite.refreshLicence(tokenId);
        suite.refreshLicence(tokenId);
        vm.prank(buyer);
        suite.transferFrom(buyer, other, tokenId);
        vm.assertFalse(suite.isLicensed(buyer, id), "refreshing twice did not count the licence twice");
    }

    function testRefreshUnknownTokenReverts() public {
        vm.expectRevert(ERC721.TokenDoesNotExist.selector);
        suite.refreshLicence(42);
    }

    // ------------------------------------------------------------------ storage layout edges

    /// Token ids are `datasetId << 192 | version << 160 | serial`, the serial counting every
    /// licence issued.
    function testTokenIdsCarryDatasetVersionAndSerial() public {
        (uint256 a, Terms memory termsA) = _registerSimple(1 ether);
        (uint256 b, Terms memory termsB) = _registerSimple(2 ether);
        vm.prank(creator);
        suite.publishVersion(b, keccak256("v2"), "ipfs://v2");
        vm.assertEq(_buy(buyer, a, termsA, 0, 1 ether), _tokenId(a, 1, 1), "first licence");
        vm.assertEq(_buy(buyer, b, termsB, 0, 2 ether), _tokenId(b, 2, 2), "serials count across datasets");
        vm.assertEq(_buy(buyer, a, termsA, 0, 1 ether), _tokenId(a, 1, 3), "third");
        Licence memory licence = suite.licence(_tokenId(b, 2, 2));
        vm.assertEq(licence.datasetId, b, "dataset from the id");
        vm.assertEq(licence.version, 2, "version from the id");
        vm.assertEq(suite.balanceOf(buyer), 3, "balance beside the index");
    }

    /// Every field of the token's extra data at its widest, through purchase, views and transfer.
    function testLicenceFieldsAtTheirWidest() public {
        uint64 expiresAt = type(uint64).max - 1; // the latest expiry short of perpetual
        Offer memory offer = _offer(1 ether, address(0), uint64(expiresAt - block.timestamp), true);
        (offer.kind, offer.royaltyBps) = (OfferKind.RoyaltyLinked, 10_000);
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(offer));
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);
        Licence memory licence = suite.licence(tokenId);
        vm.assertEq(licence.expiresAt, expiresAt, "expiry");
        vm.assertEq(licence.royaltyBps, 10_000, "royalty bps");
        vm.assertTrue(licence.kind == OfferKind.RoyaltyLinked, "kind");
        vm.assertTrue(licence.transferable && !licence.flagged, "flags");
        vm.assertEq(suite.licensedUntil(buyer, id), expiresAt, "index");
        vm.prank(buyer);
        suite.transferFrom(buyer, other, tokenId);
        vm.assertEq(suite.licensedUntil(other, id), expiresAt, "moved with the token");
        vm.assertEq(suite.licensedUntil(buyer, id), 0, "left the seller");
        vm.assertEq(suite.licence(tokenId).expiresAt, expiresAt, "unchanged by the transfer");
        vm.prank(other);
        vm.assertEq(suite.reportRevenue{value: 0}(tokenId, 0, bytes32(0), terms), 0, "royalty-linked");
    }

    /// The largest dataset id fits the token id and the holder's aux; the next one is refused.
    function testMaxDatasetId() public {
        bytes32 countSlot = bytes32(uint256(9)); // Registry._datasetCount (forge inspect Tributary storageLayout)
        vm.store(address(suite), countSlot, bytes32(uint256(type(uint64).max - 1)));
        vm.assertEq(suite.datasetCount(), type(uint64).max - 1, "count slot");
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.assertEq(id, type(uint64).max, "the last dataset id");
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);
        vm.assertEq(tokenId, _tokenId(id, 1, 1), "token id");
        vm.assertEq(suite.licence(tokenId).datasetId, type(uint64).max, "dataset from the id");
        vm.assertTrue(suite.isLicensed(buyer, id), "indexed in the aux");
        vm.assertFalse(suite.isLicensed(buyer, id - 1), "not another dataset");
        vm.assertEq(suite.balanceOf(buyer), 1, "balance");
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x11));
        vm.prank(creator);
        suite.register(keccak256("one too many"), "ipfs://x", _split(creator), _offers(_ethOffer(1)));
    }

    /// The serial is a checked 64-bit counter in the settings slot: the last one is issued, the
    /// next purchase reverts, and the slot's other settings are untouched.
    function testSerialOverflowReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        bytes32 settingsSlot = bytes32(uint256(1)); // TributaryBase._settings
        uint256 word = uint256(vm.load(address(suite), settingsSlot));
        vm.assertEq(address(uint160(word)), treasury, "settings slot");
        vm.store(address(suite), settingsSlot, bytes32(word | uint256(type(uint64).max - 1) << 184));
        vm.assertEq(_buy(buyer, id, terms, 0, 1 ether), _tokenId(id, 1, type(uint64).max), "the last serial");
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x11));
        _buy(buyer, id, terms, 0, 1 ether);
        (uint16 bps, address feeTo) = suite.protocolFee();
        vm.assertTrue(bps == FEE_BPS && feeTo == treasury && !suite.paused(), "settings intact");
    }

    /// A holder's first dataset is indexed beside their ERC-721 balance (aux), later ones in a
    /// mapping; both behave alike through purchases, transfers and refreshes, and the balance
    /// stays right.
    function testHolderIndexInAuxAndMapping() public {
        Offer[] memory offers = _offers(_offer(1 ether, address(0), 0, true), _offer(1 ether, address(0), 1 days, true));
        (uint256 a, Terms memory termsA) = _register(_split(creator), offers);
        (uint256 b, Terms memory termsB) = _register(_split(creator), offers);
        uint256 dayLater = block.timestamp + 1 days;
        uint256 perpetualA = _buy(buyer, a, termsA, 0, 1 ether); // claims buyer's aux for a
        uint256 perpetualB = _buy(buyer, b, termsB, 0, 1 ether); // mapping
        uint256 dayA = _buy(buyer, a, termsA, 1, 1 ether);
        uint256 dayB = _buy(buyer, b, termsB, 1, 1 ether);
        vm.assertEq(suite.licensedUntil(buyer, a), PERPETUAL, "a in the aux");
        vm.assertEq(suite.licensedUntil(buyer, b), PERPETUAL, "b in the mapping");
        vm.assertEq(suite.balanceOf(buyer), 4, "balance");

        // Selling the longest of each under-states until refreshed, in both places.
        vm.startPrank(buyer);
        suite.transferFrom(buyer, other, perpetualB); // claims other's aux for b
        suite.transferFrom(buyer, other, perpetualA); // other's a: mapping
        vm.stopPrank();
        vm.assertFalse(suite.isLicensed(buyer, a) || suite.isLicensed(buyer, b), "under-stated");
        suite.refreshLicence(dayA);
        suite.refreshLicence(dayB);
        vm.assertEq(suite.licensedUntil(buyer, a), dayLater, "a refreshed");
        vm.assertEq(suite.licensedUntil(buyer, b), dayLater, "b refreshed");
        vm.assertEq(suite.licensedUntil(other, a), PERPETUAL, "other's a");
        vm.assertEq(suite.licensedUntil(other, b), PERPETUAL, "other's b");
        vm.assertEq(suite.balanceOf(buyer), 2, "seller balance");
        vm.assertEq(suite.balanceOf(other), 2, "buyer balance");

        // Back again: other's entries empty, the aux stays claimed by b.
        vm.startPrank(other);
        suite.transferFrom(other, buyer, perpetualA);
        suite.transferFrom(other, buyer, perpetualB);
        vm.stopPrank();
        vm.assertEq(suite.licensedUntil(other, a), 0, "other's a emptied");
        vm.assertEq(suite.licensedUntil(other, b), 0, "other's b emptied");
        vm.assertEq(suite.licensedUntil(buyer, a), PERPETUAL, "buyer's a");
        vm.assertEq(suite.licensedUntil(buyer, b), PERPETUAL, "buyer's b");
        uint256 again = _buy(buyer, a, termsA, 1, 1 ether);
        vm.prank(buyer);
        suite.transferFrom(buyer, other, again);
        vm.assertEq(suite.licensedUntil(other, a), dayLater, "other's a, in the mapping again");
        vm.assertEq(suite.balanceOf(other), 1, "balance");

        // Equal expiries count in the aux too.
        vm.warp(dayLater);
        vm.assertFalse(suite.isLicensed(other, a), "expired at the exact second");
        vm.assertTrue(suite.isLicensed(buyer, a) && suite.isLicensed(buyer, b), "perpetual still");
    }

    /// Solady's transfer and approve functions are payable; the suite refuses ETH with them.
    function testTransferAndApproveRefuseEth() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1 ether, address(0), 0, true)));
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);
        bytes memory wrongPayment = abi.encodeWithSelector(ITributarySplits.WrongPayment.selector, 0, 1);
        vm.expectRevert(wrongPayment);
        vm.prank(buyer);
        suite.transferFrom{value: 1}(buyer, other, tokenId);
        vm.expectRevert(wrongPayment);
        vm.prank(buyer);
        suite.safeTransferFrom{value: 1}(buyer, other, tokenId);
        vm.expectRevert(wrongPayment);
        vm.prank(buyer);
        suite.safeTransferFrom{value: 1}(buyer, other, tokenId, "");
        vm.expectRevert(wrongPayment);
        vm.prank(buyer);
        suite.approve{value: 1}(other, tokenId);
        vm.assertEq(address(suite).balance, 1 ether, "only the price held");
    }

    /// Refused transfers leave the holder index alone, whichever ERC-721 check refuses them; an
    /// approved operator moves the licence.
    function testRefusedTransfersKeepTheIndex() public {
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1 ether, address(0), 0, true)));
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);
        vm.expectRevert(ERC721.NotOwnerNorApproved.selector);
        vm.prank(other);
        suite.transferFrom(buyer, other, tokenId);
        vm.expectRevert(ERC721.TransferFromIncorrectOwner.selector);
        vm.prank(buyer);
        suite.transferFrom(other, buyer, tokenId);
        vm.expectRevert(ERC721.TransferToZeroAddress.selector);
        vm.prank(buyer);
        suite.transferFrom(buyer, address(0), tokenId);
        vm.expectRevert(ERC721.TokenDoesNotExist.selector);
        vm.prank(buyer);
        suite.transferFrom(buyer, other, tokenId + 1);
        vm.assertEq(suite.licensedUntil(buyer, id), PERPETUAL, "still indexed");
        vm.assertFalse(suite.isLicensed(other, id), "nobody else");

        vm.prank(buyer);
        suite.approve(other, tokenId);
        vm.prank(other);
        suite.transferFrom(buyer, other, tokenId);
        vm.assertTrue(suite.isLicensed(other, id) && !suite.isLicensed(buyer, id), "moved by the operator");
    }

    /// The pause flag shares the settings slot with the fee, the treasury and the serial.
    function testPauseSwitch() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        _buy(buyer, id, terms, 0, 1 ether);
        vm.expectRevert(Pausable.ExpectedPause.selector);
        vm.prank(pauser);
        suite.unpause();
        vm.expectEmit(address(suite));
        emit Pausable.Paused(pauser);
        vm.prank(pauser);
        suite.pause();
        vm.assertTrue(suite.paused(), "paused");
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(pauser);
        suite.pause();
        vm.prank(admin);
        suite.setProtocolFee(100, other);
        vm.assertTrue(suite.paused(), "a fee change keeps the pause");
        vm.expectEmit(address(suite));
        emit Pausable.Unpaused(pauser);
        vm.prank(pauser);
        suite.unpause();
        (uint16 bps, address feeTo) = suite.protocolFee();
        vm.assertTrue(bps == 100 && feeTo == other && !suite.paused(), "settings");
        vm.assertEq(_buy(buyer, id, terms, 0, 1 ether), _tokenId(id, 1, 2), "the serial went on");
    }

    // ------------------------------------------------------------------ custom deals

    function testIssueCustomLicence() public {
        Offer memory offer = _ethOffer(0);
        offer.kind = OfferKind.Custom;
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(offer));
        bytes32 receipt = keccak256("signed PDF of the deal");
        vm.expectEmit(true, true, true, true, address(suite));
        emit ITributaryLicences.LicenceIssued(
            _tokenId(id, 1, 1), id, buyer, keccak256(abi.encode(offer)), 1, PERPETUAL, receipt
        );
        vm.prank(creator);
        uint256 tokenId = suite.issueCustomLicence(id, terms, 0, buyer, receipt);
        vm.assertTrue(suite.isLicensed(buyer, id), "licensed");
        vm.assertTrue(suite.licence(tokenId).kind == OfferKind.Custom, "custom");
    }

    function testIssueCustomLicenceByOtherReverts() public {
        Offer memory offer = _ethOffer(0);
        offer.kind = OfferKind.Custom;
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(offer));
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.NotCreator.selector, id, other));
        vm.prank(other);
        suite.issueCustomLicence(id, terms, 0, other, keccak256("receipt"));
    }

    function testIssueCustomLicenceWithoutReceiptReverts() public {
        Offer memory offer = _ethOffer(0);
        offer.kind = OfferKind.Custom;
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(offer));
        vm.expectRevert(ITributaryLicences.MissingReceipt.selector);
        vm.prank(creator);
        suite.issueCustomLicence(id, terms, 0, buyer, bytes32(0));
    }

    function testIssueCustomLicenceForPaidOfferReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongOfferKind.selector, OfferKind.OneOff));
        vm.prank(creator);
        suite.issueCustomLicence(id, terms, 0, buyer, keccak256("receipt"));
    }

    // ------------------------------------------------------------------ royalty-linked

    function testReportRevenuePaysRoyaltyIntoTheSplit() public {
        (uint256 id, Terms memory terms, uint256 tokenId) = _royaltyLicence(address(0), 750);
        uint256 revenue = 10 ether;
        uint256 royalty = revenue * 750 / 10_000;
        vm.expectEmit(true, true, true, true, address(suite));
        emit ITributaryLicences.RevenueReported(tokenId, id, address(0), revenue, royalty, keccak256("Q3 report"));
        vm.prank(buyer);
        uint256 paid = suite.reportRevenue{value: royalty}(tokenId, revenue, keccak256("Q3 report"), terms);
        vm.assertEq(paid, royalty, "royalty");
        vm.assertEq(
            suite.totalReceived(terms.splitHash, address(0)),
            (0.1 ether - _fee(0.1 ether)) + (royalty - _fee(royalty)),
            "price and royalty reached the split"
        );
    }

    function testReportRevenue(uint128 revenue, uint16 bps) public {
        bps = uint16(_bound(bps, 1, 10_000));
        (, Terms memory terms, uint256 tokenId) = _royaltyLicence(address(0), bps);
        uint256 royalty = uint256(revenue) * bps / 10_000;
        vm.deal(buyer, royalty);
        vm.prank(buyer);
        vm.assertEq(suite.reportRevenue{value: royalty}(tokenId, revenue, bytes32(0), terms), royalty, "royalty");
    }

    function testReportRevenueInErc20() public {
        (, Terms memory terms, uint256 tokenId) = _royaltyLicence(address(usdc), 1000);
        vm.assertEq(suite.licencePaymentToken(tokenId), address(usdc), "royalty token recorded");
        uint256 before = usdc.balanceOf(address(suite));
        vm.prank(buyer);
        suite.reportRevenue(tokenId, 500e6, keccak256("evidence"), terms);
        vm.assertEq(usdc.balanceOf(address(suite)) - before, 50e6, "10 % pulled");
    }

    function testReportRevenueWhileDatasetPausedStillPays() public {
        (uint256 id, Terms memory terms, uint256 tokenId) = _royaltyLicence(address(0), 500);
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Paused);
        vm.prank(buyer);
        suite.reportRevenue{value: 0.05 ether}(tokenId, 1 ether, bytes32(0), terms);
    }

    function testReportRevenueByNonHolderReverts() public {
        (, Terms memory terms, uint256 tokenId) = _royaltyLicence(address(0), 500);
        vm.deal(other, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.NotLicenceHolder.selector, tokenId, other));
        vm.prank(other);
        suite.reportRevenue{value: 0.05 ether}(tokenId, 1 ether, bytes32(0), terms);
    }

    function testReportRevenueWrongValueReverts() public {
        (, Terms memory terms, uint256 tokenId) = _royaltyLicence(address(0), 500);
        vm.expectRevert(abi.encodeWithSelector(ITributarySplits.WrongPayment.selector, 0.05 ether, 0.04 ether));
        vm.prank(buyer);
        suite.reportRevenue{value: 0.04 ether}(tokenId, 1 ether, bytes32(0), terms);
    }

    function testReportRevenueOnOneOffLicenceReverts() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        uint256 tokenId = _buy(buyer, id, terms, 0, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITributaryLicences.WrongOfferKind.selector, OfferKind.OneOff));
        vm.prank(buyer);
        suite.reportRevenue(tokenId, 1 ether, bytes32(0), terms);
    }

    function testReportRevenueWithStaleTermsReverts() public {
        (uint256 id, Terms memory terms, uint256 tokenId) = _royaltyLicence(address(0), 500);
        vm.prank(creator);
        suite.setTerms(id, _split(other), terms.offers);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.TermsMismatch.selector, id));
        vm.prank(buyer);
        suite.reportRevenue{value: 0.05 ether}(tokenId, 1 ether, bytes32(0), terms);
    }

    // ------------------------------------------------------------------ reentrancy

    function testReentrancyThroughOnERC721ReceivedIsRefused() public {
        (uint256 id, Terms memory terms) = _registerSimple(1 ether);
        ReentrantLicenceReceiver receiver = new ReentrantLicenceReceiver(ITributary(address(suite)));
        receiver.arm(id, terms);
        vm.deal(address(receiver), 2 ether);
        receiver.buy(1 ether);
        vm.assertEq(receiver.hooks(), 1, "one licence, one hook");
        vm.assertEq(suite.balanceOf(address(receiver)), 1, "the re-entered purchase minted nothing");
        vm.assertEq(
            keccak256(receiver.purchaseError()),
            keccak256(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)),
            "purchase re-entry refused by the lock"
        );
        vm.assertTrue(receiver.releaseError().length != 0, "release from the hook had nothing to take");
        vm.assertEq(address(suite).balance, 1 ether, "exactly one payment held");
    }

    function testReentrancyThroughTokenHookDuringPurchaseIsRefused() public {
        HookToken hook = new HookToken();
        vm.prank(admin);
        suite.setTokenAllowed(address(hook), true);
        (uint256 id, Terms memory terms) = _register(_split(creator), _offers(_offer(1e18, address(hook), 0, false)));
        HookedBuyer hooked = new HookedBuyer(ITributary(address(suite)));
        hook.mint(address(hooked), 10e18);
        hooked.approve(address(hook), address(suite));
        hooked.buy(id, terms);
        vm.assertEq(suite.balanceOf(address(hooked)), 1, "one licence");
        vm.assertEq(hook.balanceOf(address(suite)), 1e18, "one payment");
        vm.assertEq(
            keccak256(hooked.reentryError()),
            keccak256(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)),
            "re-entry from the token hook refused"
        );
    }

    // ------------------------------------------------------------------ interfaces

    function testSupportsInterfaces() public view {
        vm.assertTrue(suite.supportsInterface(type(IERC721).interfaceId), "ERC-721");
        vm.assertTrue(suite.supportsInterface(type(IAccessControl).interfaceId), "AccessControl");
        vm.assertFalse(suite.supportsInterface(0xdeadbeef), "not everything");
    }

    function testLicenceOfUnknownTokenReverts() public {
        vm.expectRevert(ERC721.TokenDoesNotExist.selector);
        suite.licence(5);
        vm.expectRevert(ERC721.TokenDoesNotExist.selector);
        suite.licencePaymentToken(5);
        vm.expectRevert(ERC721.TokenDoesNotExist.selector);
        suite.tokenURI(5);
    }

    // ------------------------------------------------------------------ helpers

    function _royaltyLicence(address token, uint16 bps)
        private
        returns (uint256 id, Terms memory terms, uint256 tokenId)
    {
        Offer memory offer = _offer(token == address(0) ? 0.1 ether : 1e6, token, 0, false);
        (offer.kind, offer.royaltyBps) = (OfferKind.RoyaltyLinked, bps);
        (id, terms) = _register(_split(creator, 1, other, 1), _offers(offer));
        tokenId = _buy(buyer, id, terms, 0, token == address(0) ? 0.1 ether : 0);
    }
}
