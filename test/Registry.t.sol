// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Tributary} from "../contracts/Tributary.sol";
import {ITributaryRegistry} from "../contracts/interfaces/ITributaryRegistry.sol";
import {CREDITS} from "../contracts/interfaces/ITributaryTypes.sol";
import {MockERC20} from "./mocks/Tokens.sol";
import {Erc1271Wallet} from "./mocks/Wallets.sol";
import {TributaryTest} from "./utils/TributaryTest.sol";
import {Vm, vm} from "./utils/Vm.sol";

contract RegistryTest is TributaryTest {
    bytes32 internal constant MANIFEST = keccak256("manifest");
    string internal constant URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    bytes32 internal constant REGISTER_TYPEHASH = keccak256(
        "Register(address creator,bytes32 manifestHash,string uri,bytes32 termsHash,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant PUBLISH_VERSION_TYPEHASH =
        keccak256("PublishVersion(uint256 datasetId,bytes32 manifestHash,string uri,uint256 nonce,uint256 deadline)");
    bytes32 internal constant SET_STATUS_TYPEHASH =
        keccak256("SetStatus(uint256 datasetId,uint8 status,uint256 nonce,uint256 deadline)");
    bytes32 internal constant SET_TERMS_TYPEHASH =
        keccak256("SetTerms(uint256 datasetId,bytes32 termsHash,uint256 nonce,uint256 deadline)");

    // ------------------------------------------------------------------ register

    function testRegister() public {
        Split memory split = _split(creator, 70, other, 30);
        Offer[] memory offers = _offers(_ethOffer(1 ether), _offer(5e6, CREDITS, 30 days, true));
        vm.expectEmit(true, true, true, true, address(suite));
        emit ITributaryRegistry.DatasetRegistered(1, creator, MANIFEST, URI, split, offers);
        vm.prank(creator);
        uint256 id = suite.register(MANIFEST, URI, split, offers);

        vm.assertEq(id, 1, "first id");
        vm.assertEq(suite.datasetCount(), 1, "count");
        (address recordedCreator, DatasetStatus status, uint32 versions, bytes32 termsHash) = suite.dataset(id);
        vm.assertEq(recordedCreator, creator, "creator");
        vm.assertTrue(status == DatasetStatus.Active, "active");
        vm.assertEq(versions, 1, "one version");
        vm.assertEq(termsHash, suite.hashTerms(suite.hashSplit(split), offers), "terms hash");
        vm.assertEq(suite.hashSplit(split), keccak256(abi.encode(split.payees, split.shares)), "split hash");
    }

    function testRegister(bytes32 manifestHash, uint32 shareA, uint32 shareB, address payeeA, address payeeB) public {
        vm.assume(manifestHash != bytes32(0) && shareA != 0 && shareB != 0);
        vm.assume(payeeA != address(0) && payeeB != address(0) && payeeA != payeeB);
        Split memory split = _split(payeeA, shareA, payeeB, shareB);
        vm.prank(creator);
        uint256 id = suite.register(manifestHash, URI, split, _offers(_ethOffer(1)));
        (address recordedCreator,,, bytes32 termsHash) = suite.dataset(id);
        vm.assertEq(recordedCreator, creator, "creator");
        vm.assertEq(termsHash, suite.hashTerms(suite.hashSplit(split), _offers(_ethOffer(1))), "terms");
    }

    function testRegisterIdsAreSequential() public {
        for (uint256 i = 1; i <= 3; ++i) {
            vm.prank(creator);
            vm.assertEq(suite.register(MANIFEST, URI, _split(creator), _offers(_ethOffer(1))), i, "id");
        }
        vm.assertEq(suite.datasetCount(), 3, "count");
    }

    /// Decision (docs/contracts.md): the same manifest hash may be registered by anyone; the
    /// manifest names its creator, so verification binds hash to creator, and a copier gains a
    /// registration that verification rejects. Refusing duplicates would cost every
    /// registration a storage slot and let a front-runner squat a hash.
    function testSameManifestHashRegisteredTwiceIsRecordedUnderEachCreator() public {
        vm.prank(creator);
        uint256 first = suite.register(MANIFEST, URI, _split(creator), _offers(_ethOffer(1)));
        vm.prank(other);
        uint256 second = suite.register(MANIFEST, URI, _split(other), _offers(_ethOffer(1)));
        (address a,,,) = suite.dataset(first);
        (address b,,,) = suite.dataset(second);
        vm.assertEq(a, creator, "first creator");
        vm.assertEq(b, other, "second creator");
    }

    function testRegisterZeroManifestHashReverts() public {
        vm.expectRevert(ITributaryRegistry.ZeroManifestHash.selector);
        vm.prank(creator);
        suite.register(bytes32(0), URI, _split(creator), _offers(_ethOffer(1)));
    }

    function testRegisterEmptySplitReverts() public {
        Split memory split;
        vm.expectRevert(ITributaryRegistry.InvalidSplitLength.selector);
        vm.prank(creator);
        suite.register(MANIFEST, URI, split, _offers(_ethOffer(1)));
    }

    function testRegisterMismatchedSplitLengthsReverts() public {
        Split memory split = _split(creator);
        split.shares = new uint32[](2);
        vm.expectRevert(ITributaryRegistry.InvalidSplitLength.selector);
        vm.prank(creator);
        suite.register(MANIFEST, URI, split, _offers(_ethOffer(1)));
    }

    function testRegisterTooManyPayeesReverts() public {
        uint256 count = suite.MAX_PAYEES() + 1;
        Split memory split = Split(new address[](count), new uint32[](count));
        for (uint256 i; i < count; ++i) {
            split.payees[i] = address(uint160(i + 1));
            split.shares[i] = 1;
        }
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.TooManyPayees.selector, count));
        vm.prank(creator);
        suite.register(MANIFEST, URI, split, _offers(_ethOffer(1)));
    }

    function testRegisterUnsortedPayeesReverts() public {
        Split memory split = _split(address(1), 1, address(2), 1);
        (split.payees[0], split.payees[1]) = (split.payees[1], split.payees[0]);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.PayeesNotSorted.selector, 1));
        vm.prank(creator);
        suite.register(MANIFEST, URI, split, _offers(_ethOffer(1)));
    }

    function testRegisterDuplicatePayeeReverts() public {
        Split memory split = _split(address(1), 1, address(2), 1);
        split.payees[1] = split.payees[0];
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.PayeesNotSorted.selector, 1));
        vm.prank(creator);
        suite.register(MANIFEST, URI, split, _offers(_ethOffer(1)));
    }

    function testRegisterZeroPayeeReverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.PayeesNotSorted.selector, 0));
        vm.prank(creator);
        suite.register(MANIFEST, URI, _split(address(0)), _offers(_ethOffer(1)));
    }

    function testRegisterZeroShareReverts() public {
        Split memory split = _split(address(1), 1, address(2), 0);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.ZeroShare.selector, 1));
        vm.prank(creator);
        suite.register(MANIFEST, URI, split, _offers(_ethOffer(1)));
    }

    function testRegisterNoOffersReverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.InvalidOfferCount.selector, 0));
        vm.prank(creator);
        suite.register(MANIFEST, URI, _split(creator), new Offer[](0));
    }

    function testRegisterTooManyOffersReverts() public {
        uint256 count = suite.MAX_OFFERS() + 1;
        Offer[] memory offers = new Offer[](count);
        for (uint256 i; i < count; ++i) {
            offers[i] = _ethOffer(uint128(i));
        }
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.InvalidOfferCount.selector, count));
        vm.prank(creator);
        suite.register(MANIFEST, URI, _split(creator), offers);
    }

    function testRegisterRoyaltyOnOneOffReverts() public {
        Offer memory offer = _ethOffer(1);
        offer.royaltyBps = 100;
        _expectInvalidOffer(offer);
    }

    function testRegisterRoyaltyLinkedWithoutRoyaltyReverts() public {
        Offer memory offer = _ethOffer(1);
        offer.kind = OfferKind.RoyaltyLinked;
        _expectInvalidOffer(offer);
    }

    function testRegisterRoyaltyAboveHundredPercentReverts() public {
        Offer memory offer = _ethOffer(1);
        (offer.kind, offer.royaltyBps) = (OfferKind.RoyaltyLinked, 10_001);
        _expectInvalidOffer(offer);
    }

    function testRegisterRoyaltyInCreditsReverts() public {
        Offer memory offer = _offer(1, CREDITS, 0, false);
        (offer.kind, offer.royaltyBps) = (OfferKind.RoyaltyLinked, 500);
        _expectInvalidOffer(offer);
    }

    function testRegisterTokenNotAllowedReverts() public {
        MockERC20 token = new MockERC20("DAI", 18);
        _expectInvalidOffer(_offer(1, address(token), 0, false));
        vm.prank(admin);
        suite.setTokenAllowed(address(token), true);
        vm.prank(creator);
        suite.register(MANIFEST, URI, _split(creator), _offers(_offer(1, address(token), 0, false)));
    }

    /// The first ERC-20 offer off the allow-list and the first malformed offer: whichever comes
    /// first is reported, as a plain loop over the offers would.
    function testRegisterReportsTheFirstInvalidOffer() public {
        address stranger = address(new MockERC20("DAI", 18));
        Offer memory badRoyalty = _ethOffer(1);
        badRoyalty.royaltyBps = 100;
        Offer memory notAllowed = _offer(1, stranger, 0, false);
        Offer[] memory offers = new Offer[](3);
        (offers[0], offers[1], offers[2]) = (_ethOffer(1), notAllowed, badRoyalty);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.InvalidOffer.selector, 1));
        vm.prank(creator);
        suite.register(MANIFEST, URI, _split(creator), offers);
        (offers[1], offers[2]) = (badRoyalty, notAllowed);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.InvalidOffer.selector, 1));
        vm.prank(creator);
        suite.register(MANIFEST, URI, _split(creator), offers);
    }

    // ------------------------------------------------------------------ the registration event

    /// `DatasetRegistered` carries `abi.encode(uri, split, offers)` whatever their sizes (the
    /// contract copies it from calldata when the calldata is canonical, as here).
    function testRegisteredEventDataIsTheAbiEncoding(uint256 seed, uint8 uriLength, uint8 payees, uint8 offerCount)
        public
    {
        string memory uri = _text(seed, uriLength % 97);
        Split memory split = _randomSplit(seed, 1 + payees % 6);
        Offer[] memory offers = _randomOffers(seed, 1 + offerCount % 4);
        vm.recordLogs();
        vm.prank(creator);
        uint256 id = suite.register(MANIFEST, uri, split, offers);
        _assertRegisteredLog(id, creator, abi.encode(uri, split, offers));
    }

    function testRegisteredEventDataIsTheAbiEncodingWithSig(uint256 seed, uint8 uriLength) public {
        string memory uri = _text(seed, uriLength % 97);
        Split memory split = _randomSplit(seed, 3);
        Offer[] memory offers = _randomOffers(seed, 2);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                REGISTER_TYPEHASH,
                creator,
                MANIFEST,
                keccak256(bytes(uri)),
                suite.hashTerms(suite.hashSplit(split), offers),
                0,
                deadline
            )
        );
        bytes memory signature = _sign(CREATOR_KEY, structHash);
        vm.recordLogs();
        vm.prank(relayer);
        uint256 id = suite.registerWithSig(creator, MANIFEST, uri, split, offers, deadline, signature);
        _assertRegisteredLog(id, creator, abi.encode(uri, split, offers));
    }

    /// Hand-made encodings (a gap between the uri and the split; non-zero uri padding) are
    /// accepted as before and still logged as the canonical encoding.
    function testRegisteredEventOfNonCanonicalCalldata() public {
        string memory uri = "ipfs://odd"; // 10 bytes: 22 bytes of padding
        Split memory split = _split(creator, 2, other, 1);
        Offer[] memory offers = _offers(_ethOffer(1 ether), _offer(5, CREDITS, 1 days, true));
        bytes memory uriTail = _tail(abi.encode(uri));
        bytes memory splitTail = _tail(abi.encode(split));
        bytes memory offersTail = _tail(abi.encode(offers));
        bytes memory expected = abi.encode(uri, split, offers);

        // A gap word between the uri and the split.
        uint256 splitAt = 0x80 + uriTail.length + 0x20;
        bytes memory gapped = bytes.concat(
            ITributaryRegistry.register.selector,
            abi.encode(MANIFEST, 0x80, splitAt, splitAt + splitTail.length),
            uriTail,
            bytes32(uint256(0xdead)),
            splitTail,
            offersTail
        );
        _registerRaw(gapped, expected);

        // Non-zero padding after the uri's bytes.
        uriTail[uriTail.length - 1] = 0xff;
        bytes memory padded = bytes.concat(
            ITributaryRegistry.register.selector,
            abi.encode(MANIFEST, 0x80, 0x80 + uriTail.length, 0x80 + uriTail.length + splitTail.length),
            uriTail,
            splitTail,
            offersTail
        );
        _registerRaw(padded, expected);
    }

    // ------------------------------------------------------------------ versions

    function testPublishVersion() public {
        (uint256 id,) = _registerSimple(1);
        bytes32 next = keccak256("v2");
        vm.expectEmit(true, true, true, true, address(suite));
        emit ITributaryRegistry.VersionPublished(id, 2, next, "ipfs://v2");
        vm.prank(creator);
        vm.assertEq(suite.publishVersion(id, next, "ipfs://v2"), 2, "version");
        (,, uint32 versions,) = suite.dataset(id);
        vm.assertEq(versions, 2, "count");
    }

    function testPublishVersionByOtherReverts() public {
        (uint256 id,) = _registerSimple(1);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.NotCreator.selector, id, other));
        vm.prank(other);
        suite.publishVersion(id, MANIFEST, URI);
    }

    function testPublishVersionUnknownDatasetReverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.UnknownDataset.selector, 7));
        vm.prank(creator);
        suite.publishVersion(7, MANIFEST, URI);
    }

    function testPublishVersionZeroHashReverts() public {
        (uint256 id,) = _registerSimple(1);
        vm.expectRevert(ITributaryRegistry.ZeroManifestHash.selector);
        vm.prank(creator);
        suite.publishVersion(id, bytes32(0), URI);
    }

    function testPublishVersionRetiredReverts() public {
        (uint256 id,) = _registerSimple(1);
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Retired);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.DatasetNotActive.selector, id, DatasetStatus.Retired));
        vm.prank(creator);
        suite.publishVersion(id, MANIFEST, URI);
    }

    // ------------------------------------------------------------------ status

    function testSetStatusPauseResumeRetire() public {
        (uint256 id,) = _registerSimple(1);
        DatasetStatus[3] memory path = [DatasetStatus.Paused, DatasetStatus.Active, DatasetStatus.Retired];
        for (uint256 i; i < path.length; ++i) {
            vm.expectEmit(true, true, true, true, address(suite));
            emit ITributaryRegistry.StatusChanged(id, path[i]);
            vm.prank(creator);
            suite.setStatus(id, path[i]);
            (, DatasetStatus status,,) = suite.dataset(id);
            vm.assertTrue(status == path[i], "status");
        }
    }

    function testSetStatusFromRetiredReverts() public {
        (uint256 id,) = _registerSimple(1);
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Retired);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITributaryRegistry.InvalidStatusTransition.selector, DatasetStatus.Retired, DatasetStatus.Active
            )
        );
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Active);
    }

    function testSetStatusToNoneOrSameReverts() public {
        (uint256 id,) = _registerSimple(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITributaryRegistry.InvalidStatusTransition.selector, DatasetStatus.Active, DatasetStatus.None
            )
        );
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.None);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITributaryRegistry.InvalidStatusTransition.selector, DatasetStatus.Active, DatasetStatus.Active
            )
        );
        vm.prank(creator);
        suite.setStatus(id, DatasetStatus.Active);
    }

    function testSetStatusByOtherReverts() public {
        (uint256 id,) = _registerSimple(1);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.NotCreator.selector, id, other));
        vm.prank(other);
        suite.setStatus(id, DatasetStatus.Paused);
    }

    function testSetStatusUnknownDatasetReverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.UnknownDataset.selector, 3));
        vm.prank(creator);
        suite.setStatus(3, DatasetStatus.Paused);
    }

    // ------------------------------------------------------------------ terms

    function testSetTerms() public {
        (uint256 id, Terms memory oldTerms) = _registerSimple(1 ether);
        Split memory split = _split(creator, 1, other, 1);
        Offer[] memory offers = _offers(_ethOffer(2 ether));
        vm.expectEmit(true, true, true, true, address(suite));
        emit ITributaryRegistry.TermsSet(id, split, offers);
        vm.prank(creator);
        suite.setTerms(id, split, offers);
        (,,, bytes32 termsHash) = suite.dataset(id);
        vm.assertEq(termsHash, suite.hashTerms(suite.hashSplit(split), offers), "terms hash");

        // The old terms no longer sell; the new ones do.
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.TermsMismatch.selector, id));
        _buy(buyer, id, oldTerms, 0, 1 ether);
        _buy(buyer, id, _terms(split, offers), 0, 2 ether);
    }

    function testSetTermsByOtherReverts() public {
        (uint256 id,) = _registerSimple(1);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.NotCreator.selector, id, other));
        vm.prank(other);
        suite.setTerms(id, _split(other), _offers(_ethOffer(1)));
    }

    function testSetTermsInvalidSplitReverts() public {
        (uint256 id,) = _registerSimple(1);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.ZeroShare.selector, 0));
        vm.prank(creator);
        suite.setTerms(id, _split(address(1), 0, address(2), 1), _offers(_ethOffer(1)));
    }

    // ------------------------------------------------------------------ signatures

    function testRegisterWithSig() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        bytes memory signature = _signRegister(CREATOR_KEY, creator, split, offers, 0, block.timestamp + 1 hours);
        vm.prank(relayer);
        uint256 id = suite.registerWithSig(creator, MANIFEST, URI, split, offers, block.timestamp + 1 hours, signature);
        (address recorded,,,) = suite.dataset(id);
        vm.assertEq(recorded, creator, "registered for the signer");
        vm.assertEq(suite.nonces(creator), 1, "nonce used");
    }

    function testRegisterWithSigReplayedOnAnotherChainReverts() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        bytes memory signature = _signRegister(CREATOR_KEY, creator, split, offers, 0, block.timestamp + 1 hours);
        vm.chainId(block.chainid + 1);
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.registerWithSig(creator, MANIFEST, URI, split, offers, block.timestamp + 1 hours, signature);
    }

    function testRegisterWithSigReplayedOnAnotherContractReverts() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        bytes memory signature = _signRegister(CREATOR_KEY, creator, split, offers, 0, block.timestamp + 1 hours);
        Tributary twin = new Tributary(admin, treasury, FEE_BPS);
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        twin.registerWithSig(creator, MANIFEST, URI, split, offers, block.timestamp + 1 hours, signature);
    }

    function testRegisterWithSigExpiredDeadlineReverts() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory signature = _signRegister(CREATOR_KEY, creator, split, offers, 0, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.SignatureExpired.selector, deadline));
        suite.registerWithSig(creator, MANIFEST, URI, split, offers, deadline, signature);
    }

    function testRegisterWithSigAtDeadlineSecondSucceeds() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory signature = _signRegister(CREATOR_KEY, creator, split, offers, 0, deadline);
        vm.warp(deadline);
        suite.registerWithSig(creator, MANIFEST, URI, split, offers, deadline, signature);
    }

    function testRegisterWithSigReusedNonceReverts() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory signature = _signRegister(CREATOR_KEY, creator, split, offers, 0, deadline);
        suite.registerWithSig(creator, MANIFEST, URI, split, offers, deadline, signature);
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.registerWithSig(creator, MANIFEST, URI, split, offers, deadline, signature);
    }

    function testRegisterWithSigHighSReverts() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = _digest(_registerStruct(creator, split, offers, 0, deadline));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(CREATOR_KEY, digest);
        // The same signature in its malleable twin form: s' = n - s, v flipped.
        bytes memory twin = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.registerWithSig(creator, MANIFEST, URI, split, offers, deadline, twin);
        // The canonical form still works, so the nonce was not burned by the attempt.
        suite.registerWithSig(creator, MANIFEST, URI, split, offers, deadline, abi.encodePacked(r, s, v));
    }

    function testRegisterWithSigWrongSignerReverts() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        bytes memory signature = _signRegister(OTHER_KEY, creator, split, offers, 0, block.timestamp + 1 hours);
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.registerWithSig(creator, MANIFEST, URI, split, offers, block.timestamp + 1 hours, signature);
    }

    function testRegisterWithSigTamperedTermsReverts() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        bytes memory signature = _signRegister(CREATOR_KEY, creator, split, offers, 0, block.timestamp + 1 hours);
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.registerWithSig(creator, MANIFEST, URI, _split(other), offers, block.timestamp + 1 hours, signature);
    }

    function testRegisterWithSigByErc1271Creator() public {
        Erc1271Wallet wallet = new Erc1271Wallet(creator);
        Split memory split = _split(address(wallet));
        Offer[] memory offers = _offers(_ethOffer(1));
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory signature = _signRegister(CREATOR_KEY, address(wallet), split, offers, 0, deadline);
        uint256 id = suite.registerWithSig(address(wallet), MANIFEST, URI, split, offers, deadline, signature);
        (address recorded,,,) = suite.dataset(id);
        vm.assertEq(recorded, address(wallet), "the contract wallet is the creator");

        // A signature by anyone but the wallet's owner is refused by the wallet.
        signature = _signRegister(OTHER_KEY, address(wallet), split, offers, 1, deadline);
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.registerWithSig(address(wallet), MANIFEST, URI, split, offers, deadline, signature);
    }

    /// A front-runner who sees a relayed registration in the mempool can only (a) submit it
    /// unchanged, which registers it for the signer anyway, or (b) claim it: naming themselves
    /// creator fails the signature check, and registering the hash directly records them as its
    /// creator, which verification rejects because the manifest names the real creator.
    function testFrontRunnerCannotRegisterSignedManifestAsOwn() public {
        Split memory split = _split(creator);
        Offer[] memory offers = _offers(_ethOffer(1));
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory signature = _signRegister(CREATOR_KEY, creator, split, offers, 0, deadline);

        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        vm.prank(other);
        suite.registerWithSig(other, MANIFEST, URI, split, offers, deadline, signature);

        vm.prank(other);
        uint256 squat = suite.register(MANIFEST, URI, _split(other), offers);
        vm.prank(relayer);
        uint256 real = suite.registerWithSig(creator, MANIFEST, URI, split, offers, deadline, signature);
        (address squatter,,,) = suite.dataset(squat);
        (address signer,,,) = suite.dataset(real);
        vm.assertEq(squatter, other, "the copy is recorded under the copier");
        vm.assertEq(signer, creator, "the signed registration is the creator's");
    }

    function testPublishVersionWithSig() public {
        (uint256 id,) = _registerSimple(1);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash =
            keccak256(abi.encode(PUBLISH_VERSION_TYPEHASH, id, MANIFEST, keccak256(bytes(URI)), uint256(0), deadline));
        bytes memory signature = _sign(CREATOR_KEY, structHash);
        vm.prank(relayer);
        vm.assertEq(suite.publishVersionWithSig(id, MANIFEST, URI, deadline, signature), 2, "version");
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.publishVersionWithSig(id, MANIFEST, URI, deadline, signature);
    }

    function testPublishVersionWithSigByOtherReverts() public {
        (uint256 id,) = _registerSimple(1);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash =
            keccak256(abi.encode(PUBLISH_VERSION_TYPEHASH, id, MANIFEST, keccak256(bytes(URI)), uint256(0), deadline));
        bytes memory signature = _sign(OTHER_KEY, structHash);
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.publishVersionWithSig(id, MANIFEST, URI, deadline, signature);
    }

    function testSetStatusWithSig() public {
        (uint256 id,) = _registerSimple(1);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash =
            keccak256(abi.encode(SET_STATUS_TYPEHASH, id, uint8(DatasetStatus.Paused), uint256(0), deadline));
        bytes memory signature = _sign(CREATOR_KEY, structHash);
        suite.setStatusWithSig(id, DatasetStatus.Paused, deadline, signature);
        (, DatasetStatus status,,) = suite.dataset(id);
        vm.assertTrue(status == DatasetStatus.Paused, "paused by signature");

        // The signature names the status: it cannot be reused to retire the dataset.
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.setStatusWithSig(id, DatasetStatus.Retired, deadline, signature);
    }

    function testSetTermsWithSig() public {
        (uint256 id,) = _registerSimple(1);
        Split memory split = _split(other);
        Offer[] memory offers = _offers(_ethOffer(2));
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 termsHash = suite.hashTerms(suite.hashSplit(split), offers);
        bytes32 structHash = keccak256(abi.encode(SET_TERMS_TYPEHASH, id, termsHash, uint256(0), deadline));
        suite.setTermsWithSig(id, split, offers, deadline, _sign(CREATOR_KEY, structHash));
        (,,, bytes32 stored) = suite.dataset(id);
        vm.assertEq(stored, termsHash, "terms set by signature");

        structHash = keccak256(abi.encode(SET_TERMS_TYPEHASH, id, termsHash, uint256(1), deadline));
        bytes memory forged = _sign(OTHER_KEY, structHash);
        vm.expectRevert(ITributaryRegistry.InvalidSignature.selector);
        suite.setTermsWithSig(id, split, offers, deadline, forged);
    }

    // ------------------------------------------------------------------ batch anchoring

    function testAnchorBatchAndVerifyInclusion() public {
        bytes32[4] memory manifests = [keccak256("a"), keccak256("b"), keccak256("c"), keccak256("d")];
        bytes32[4] memory leaves;
        for (uint256 i; i < 4; ++i) {
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(manifests[i]))));
        }
        bytes32 left = _hashPair(leaves[0], leaves[1]);
        bytes32 right = _hashPair(leaves[2], leaves[3]);
        bytes32 root = _hashPair(left, right);

        vm.expectEmit(true, true, true, true, address(suite));
        emit ITributaryRegistry.BatchAnchored(root, creator, 4, URI);
        vm.prank(creator);
        suite.anchorBatch(root, 4, URI);
        (address anchorer, uint64 at, uint32 count) = suite.batchAnchor(root);
        vm.assertEq(anchorer, creator, "anchorer");
        vm.assertEq(at, block.timestamp, "time");
        vm.assertEq(count, 4, "count");

        bytes32[] memory proof = new bytes32[](2);
        (proof[0], proof[1]) = (leaves[3], left);
        vm.assertTrue(suite.verifyBatchInclusion(root, manifests[2], proof), "c is included");
        vm.assertFalse(suite.verifyBatchInclusion(root, keccak256("e"), proof), "e is not");
        vm.assertFalse(suite.verifyBatchInclusion(keccak256("other root"), manifests[2], proof), "unanchored root");
    }

    function testAnchorBatchTwiceReverts() public {
        suite.anchorBatch(keccak256("root"), 1, URI);
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.BatchAlreadyAnchored.selector, keccak256("root")));
        vm.prank(other);
        suite.anchorBatch(keccak256("root"), 1, URI);
    }

    function testAnchorEmptyBatchReverts() public {
        vm.expectRevert(ITributaryRegistry.EmptyBatch.selector);
        suite.anchorBatch(bytes32(0), 1, URI);
        vm.expectRevert(ITributaryRegistry.EmptyBatch.selector);
        suite.anchorBatch(keccak256("root"), 0, URI);
    }

    // ------------------------------------------------------------------ helpers

    function _registerRaw(bytes memory callData, bytes memory expectedData) private {
        vm.recordLogs();
        vm.prank(creator);
        (bool ok, bytes memory returned) = address(suite).call(callData);
        vm.assertTrue(ok, "registered");
        _assertRegisteredLog(abi.decode(returned, (uint256)), creator, expectedData);
    }

    function _assertRegisteredLog(uint256 id, address who, bytes memory expectedData) private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != ITributaryRegistry.DatasetRegistered.selector) continue;
            ++found;
            vm.assertEq(logs[i].emitter, address(suite), "emitter");
            vm.assertEq(logs[i].topics.length, 4, "topics");
            vm.assertEq(uint256(logs[i].topics[1]), id, "dataset id");
            vm.assertEq(logs[i].topics[2], bytes32(uint256(uint160(who))), "creator");
            vm.assertEq(logs[i].topics[3], MANIFEST, "manifest hash");
            vm.assertEq(logs[i].data, expectedData, "data is abi.encode(uri, split, offers)");
        }
        vm.assertEq(found, 1, "one DatasetRegistered");
    }

    /// @dev `encoded` without its first word (the offset `abi.encode` puts before a dynamic value).
    function _tail(bytes memory encoded) private pure returns (bytes memory tail) {
        tail = new bytes(encoded.length - 32);
        for (uint256 i; i < tail.length; ++i) {
            tail[i] = encoded[i + 32];
        }
    }

    function _text(uint256 seed, uint256 length) private pure returns (string memory) {
        bytes memory text = new bytes(length);
        for (uint256 i; i < length; ++i) {
            text[i] = bytes1(uint8(0x21 + uint256(keccak256(abi.encode(seed, "uri", i))) % 94));
        }
        return string(text);
    }

    function _randomSplit(uint256 seed, uint256 count) private pure returns (Split memory split) {
        split = Split(new address[](count), new uint32[](count));
        uint160 previous;
        for (uint256 i; i < count; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, "payee", i)));
            previous += 1 + uint160(r % type(uint152).max);
            split.payees[i] = address(previous);
            split.shares[i] = uint32(1 + (r >> 160) % type(uint32).max);
        }
    }

    function _randomOffers(uint256 seed, uint256 count) private pure returns (Offer[] memory offers) {
        offers = new Offer[](count);
        for (uint256 i; i < count; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, "offer", i)));
            bool royalty = r % 3 == 0;
            offers[i] = Offer({
                kind: royalty ? OfferKind.RoyaltyLinked : OfferKind([0, 2, 3][(r >> 240) % 3]),
                paymentToken: royalty || r % 2 == 0 ? address(0) : CREDITS,
                price: uint128(r >> 8),
                duration: uint64(r >> 136),
                transferable: (r >> 200) % 2 == 1,
                royaltyBps: royalty ? uint16(1 + (r >> 201) % 10_000) : 0,
                supplyCap: uint32(r >> 216),
                termsHash: keccak256(abi.encode(r))
            });
        }
    }

    function _expectInvalidOffer(Offer memory offer) private {
        vm.expectRevert(abi.encodeWithSelector(ITributaryRegistry.InvalidOffer.selector, 0));
        vm.prank(creator);
        suite.register(MANIFEST, URI, _split(creator), _offers(offer));
    }

    function _registerStruct(address signer, Split memory split, Offer[] memory offers, uint256 nonce, uint256 deadline)
        private
        view
        returns (bytes32)
    {
        bytes32 termsHash = suite.hashTerms(suite.hashSplit(split), offers);
        return
            keccak256(
                abi.encode(REGISTER_TYPEHASH, signer, MANIFEST, keccak256(bytes(URI)), termsHash, nonce, deadline)
            );
    }

    function _signRegister(
        uint256 key,
        address signer,
        Split memory split,
        Offer[] memory offers,
        uint256 nonce,
        uint256 deadline
    ) private view returns (bytes memory) {
        return _sign(key, _registerStruct(signer, split, offers, nonce, deadline));
    }

    function _sign(uint256 key, bytes32 structHash) private view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _digest(structHash));
        return abi.encodePacked(r, s, v);
    }

    /// @dev The EIP-712 digest, rebuilt independently from the contract's published domain.
    function _digest(bytes32 structHash) private view returns (bytes32) {
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = suite.eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifying
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }
}
