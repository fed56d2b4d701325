// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryRegistry} from "../interfaces/ITributaryRegistry.sol";
import {CREDITS} from "../interfaces/ITributaryTypes.sol";
import {CalldataHash} from "../libraries/CalldataHash.sol";
import {Splits} from "./Splits.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title Dataset registry: anchored manifests, versions, status and terms
/// @dev Storage per dataset is two slots: the record (creator, status, version count) and the
///      terms hash. Manifest hashes, URIs, splits and offers live in events. Invariant: only the
///      creator, or a valid EIP-712 signature of the creator, changes a dataset.
abstract contract Registry is Splits, EIP712, Nonces, ITributaryRegistry {
    // ------------------------------------------------------------------ constants

    /// @inheritdoc ITributaryRegistry
    uint256 public constant MAX_PAYEES = 256;
    /// @inheritdoc ITributaryRegistry
    uint256 public constant MAX_OFFERS = 16;

    bytes32 internal constant REGISTER_TYPEHASH = keccak256(
        "Register(address creator,bytes32 manifestHash,string uri,bytes32 termsHash,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant PUBLISH_VERSION_TYPEHASH =
        keccak256("PublishVersion(uint256 datasetId,bytes32 manifestHash,string uri,uint256 nonce,uint256 deadline)");
    bytes32 internal constant SET_STATUS_TYPEHASH =
        keccak256("SetStatus(uint256 datasetId,uint8 status,uint256 nonce,uint256 deadline)");
    bytes32 internal constant SET_TERMS_TYPEHASH =
        keccak256("SetTerms(uint256 datasetId,bytes32 termsHash,uint256 nonce,uint256 deadline)");

    // ------------------------------------------------------------------ storage

    struct DatasetRecord {
        address creator;
        DatasetStatus status;
        uint32 versionCount;
    }

    struct BatchRecord {
        address anchorer;
        uint64 anchoredAt;
        uint32 count;
    }

    /// @dev 64 bits: a dataset id fits a licence's token id (see `Licences`); the checked
    ///      increment refuses a 2^64-th dataset.
    uint64 private _datasetCount;
    mapping(uint256 datasetId => DatasetRecord) internal _datasets;
    mapping(uint256 datasetId => bytes32) internal _termsHashes;
    mapping(bytes32 root => BatchRecord) private _batches;

    // ------------------------------------------------------------------ creator actions

    /// @inheritdoc ITributaryRegistry
    function register(bytes32 manifestHash, string calldata uri, Split calldata split, Offer[] calldata offers)
        external
        returns (uint256)
    {
        bytes32 termsHash = _checkTerms(split, offers);
        return _register(msg.sender, manifestHash, uri, split, offers, termsHash);
    }

    /// @inheritdoc ITributaryRegistry
    function registerWithSig(
        address creator,
        bytes32 manifestHash,
        string calldata uri,
        Split calldata split,
        Offer[] calldata offers,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256) {
        bytes32 termsHash = _checkTerms(split, offers);
        _checkSignature(
            creator, _registerStructHash(creator, manifestHash, uri, termsHash, deadline), deadline, signature
        );
        return _register(creator, manifestHash, uri, split, offers, termsHash);
    }

    /// @inheritdoc ITributaryRegistry
    function publishVersion(uint256 datasetId, bytes32 manifestHash, string calldata uri) external returns (uint32) {
        return _publishVersion(msg.sender, datasetId, manifestHash, uri);
    }

    /// @inheritdoc ITributaryRegistry
    function publishVersionWithSig(
        uint256 datasetId,
        bytes32 manifestHash,
        string calldata uri,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint32) {
        address creator = _existing(datasetId).creator;
        bytes32 structHash = keccak256(
            abi.encode(
                PUBLISH_VERSION_TYPEHASH, datasetId, manifestHash, keccak256(bytes(uri)), _useNonce(creator), deadline
            )
        );
        _checkSignature(creator, structHash, deadline, signature);
        return _publishVersion(creator, datasetId, manifestHash, uri);
    }

    /// @inheritdoc ITributaryRegistry
    function setStatus(uint256 datasetId, DatasetStatus status) external {
        _setStatus(msg.sender, datasetId, status);
    }

    /// @inheritdoc ITributaryRegistry
    function setStatusWithSig(uint256 datasetId, DatasetStatus status, uint256 deadline, bytes calldata signature)
        external
    {
        address creator = _existing(datasetId).creator;
        bytes32 structHash =
            keccak256(abi.encode(SET_STATUS_TYPEHASH, datasetId, uint8(status), _useNonce(creator), deadline));
        _checkSignature(creator, structHash, deadline, signature);
        _setStatus(creator, datasetId, status);
    }

    /// @inheritdoc ITributaryRegistry
    function setTerms(uint256 datasetId, Split calldata split, Offer[] calldata offers) external {
        bytes32 termsHash = _checkTerms(split, offers);
        _setTerms(msg.sender, datasetId, split, offers, termsHash);
    }

    /// @inheritdoc ITributaryRegistry
    function setTermsWithSig(
        uint256 datasetId,
        Split calldata split,
        Offer[] calldata offers,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 termsHash = _checkTerms(split, offers);
        address creator = _existing(datasetId).creator;
        bytes32 structHash =
            keccak256(abi.encode(SET_TERMS_TYPEHASH, datasetId, termsHash, _useNonce(creator), deadline));
        _checkSignature(creator, structHash, deadline, signature);
        _setTerms(creator, datasetId, split, offers, termsHash);
    }

    /// @inheritdoc ITributaryRegistry
    function anchorBatch(bytes32 root, uint32 count, string calldata uri) external {
        if (root == bytes32(0) || count == 0) revert EmptyBatch();
        BatchRecord storage batch = _batches[root];
        if (batch.anchoredAt != 0) revert BatchAlreadyAnchored(root);
        _batches[root] = BatchRecord(msg.sender, uint64(block.timestamp), count);
        emit BatchAnchored(root, msg.sender, count, uri);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITributaryRegistry
    function dataset(uint256 datasetId)
        external
        view
        returns (address creator, DatasetStatus status, uint32 versionCount, bytes32 termsHash)
    {
        DatasetRecord storage record = _datasets[datasetId];
        return (record.creator, record.status, record.versionCount, _termsHashes[datasetId]);
    }

    /// @inheritdoc ITributaryRegistry
    function datasetCount() external view returns (uint256) {
        return _datasetCount;
    }

    /// @inheritdoc ITributaryRegistry
    function batchAnchor(bytes32 root) external view returns (address anchorer, uint64 anchoredAt, uint32 count) {
        BatchRecord storage batch = _batches[root];
        return (batch.anchorer, batch.anchoredAt, batch.count);
    }

    /// @inheritdoc ITributaryRegistry
    function verifyBatchInclusion(bytes32 root, bytes32 manifestHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        if (_batches[root].anchoredAt == 0) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(manifestHash))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc ITributaryRegistry
    function nonces(address account) public view virtual override(Nonces, ITributaryRegistry) returns (uint256) {
        return super.nonces(account);
    }

    /// @inheritdoc ITributaryRegistry
    function hashSplit(Split calldata split) external pure returns (bytes32) {
        return _splitHash(split);
    }

    /// @inheritdoc ITributaryRegistry
    function hashTerms(bytes32 splitHash, Offer[] calldata offers) external pure returns (bytes32) {
        return _termsHash(splitHash, offers);
    }

    // ------------------------------------------------------------------ internals

    function _register(
        address creator,
        bytes32 manifestHash,
        string calldata uri,
        Split calldata split,
        Offer[] calldata offers,
        bytes32 termsHash
    ) private returns (uint256 datasetId) {
        if (manifestHash == bytes32(0)) revert ZeroManifestHash();
        datasetId = ++_datasetCount;
        // `DatasetRecord(creator, DatasetStatus.Active, 1)` in one store (Solidity stores a
        // struct member by member) into the new dataset's unwritten slot.
        DatasetRecord storage record = _datasets[datasetId];
        assembly ("memory-safe") {
            sstore(record.slot, or(creator, shl(160, 0x0101))) // status Active (1), 1 version
        }
        _termsHashes[datasetId] = termsHash;
        _emitRegistered(datasetId, creator, manifestHash, uri, split, offers);
    }

    /// @dev Emits `DatasetRegistered`. Its data is `abi.encode(uri, split, offers)`, which every
    ///      ABI encoder already wrote into the calldata: when the calldata holds exactly that
    ///      (uri, split and offers canonical, back to back, clean), the log takes it as it is,
    ///      with the three head offsets rebased, instead of re-encoding it field by field.
    ///      Anything else (a hand-made encoding) takes the plain `emit`. The log is the same
    ///      either way (fuzz-tested). Payees, shares, kinds, tokens and royalty bps were
    ///      validated by `_checkTerms` (a dirty value reverts there); the rest is checked here.
    function _emitRegistered(
        uint256 datasetId,
        address creator,
        bytes32 manifestHash,
        string calldata uri,
        Split calldata split,
        Offer[] calldata offers
    ) private {
        bytes32 topic = DatasetRegistered.selector;
        bool emitted;
        assembly ("memory-safe") {
            let start := sub(uri.offset, 0x20) // the uri's length word
            let rem := and(uri.length, 31)
            // The uri's padding is zero, and the split follows it.
            let ok :=
                and(
                    iszero(
                        shl(shl(3, rem), mul(iszero(iszero(rem)), calldataload(add(uri.offset, sub(uri.length, rem)))))
                    ),
                    eq(split, add(uri.offset, and(add(uri.length, 31), not(31))))
                )
            // The split is canonical (payees right after the two offsets, shares right after
            // payees), and the offers follow it.
            let payeeCount := calldataload(add(split, 0x40))
            let sharesAt := add(0x60, shl(5, payeeCount))
            ok := and(ok, and(eq(calldataload(split), 0x40), eq(calldataload(add(split, 0x20)), sharesAt)))
            let offersAt := add(add(split, sharesAt), shl(5, add(1, calldataload(add(split, sharesAt)))))
            ok := and(ok, eq(offersAt, sub(offers.offset, 0x20)))
            // Every offer's price, duration, transferable and supply cap are clean.
            let end := add(offers.offset, shl(8, offers.length))
            for { let p := offers.offset } and(ok, lt(p, end)) { p := add(p, 0x100) } {
                ok := iszero(
                    or(
                        or(shr(128, calldataload(add(p, 0x40))), shr(64, calldataload(add(p, 0x60)))),
                        or(gt(calldataload(add(p, 0x80)), 1), shr(32, calldataload(add(p, 0xc0))))
                    )
                )
            }
            if ok {
                let size := sub(end, start)
                let data := mload(0x40)
                mstore(data, 0x60)
                mstore(add(data, 0x20), add(0x60, sub(split, start)))
                mstore(add(data, 0x40), add(0x60, sub(offersAt, start)))
                calldatacopy(add(data, 0x60), start, size)
                log4(data, add(size, 0x60), topic, datasetId, creator, manifestHash)
                emitted := 1
            }
        }
        if (!emitted) emit DatasetRegistered(datasetId, creator, manifestHash, uri, split, offers);
    }

    function _registerStructHash(
        address creator,
        bytes32 manifestHash,
        string calldata uri,
        bytes32 termsHash,
        uint256 deadline
    ) private returns (bytes32) {
        return keccak256(
            abi.encode(
                REGISTER_TYPEHASH, creator, manifestHash, keccak256(bytes(uri)), termsHash, _useNonce(creator), deadline
            )
        );
    }

    function _publishVersion(address creator, uint256 datasetId, bytes32 manifestHash, string calldata uri)
        private
        returns (uint32 version)
    {
        if (manifestHash == bytes32(0)) revert ZeroManifestHash();
        DatasetRecord storage record = _mutable(creator, datasetId);
        version = ++record.versionCount;
        emit VersionPublished(datasetId, version, manifestHash, uri);
    }

    function _setStatus(address creator, uint256 datasetId, DatasetStatus status) private {
        DatasetRecord storage record = _existing(datasetId);
        if (record.creator != creator) revert NotCreator(datasetId, creator);
        DatasetStatus from = record.status;
        if (from == DatasetStatus.Retired || status == DatasetStatus.None || status == from) {
            revert InvalidStatusTransition(from, status);
        }
        record.status = status;
        emit StatusChanged(datasetId, status);
    }

    function _setTerms(
        address creator,
        uint256 datasetId,
        Split calldata split,
        Offer[] calldata offers,
        bytes32 termsHash
    ) private {
        _mutable(creator, datasetId);
        _termsHashes[datasetId] = termsHash;
        emit TermsSet(datasetId, split, offers);
    }

    /// @dev The record of a dataset that exists.
    function _existing(uint256 datasetId) internal view returns (DatasetRecord storage record) {
        record = _datasets[datasetId];
        if (record.status == DatasetStatus.None) revert UnknownDataset(datasetId);
    }

    /// @dev The record of a dataset `creator` may change: it exists, is theirs and is not retired.
    function _mutable(address creator, uint256 datasetId) private view returns (DatasetRecord storage record) {
        record = _existing(datasetId);
        if (record.creator != creator) revert NotCreator(datasetId, creator);
        if (record.status == DatasetStatus.Retired) revert DatasetNotActive(datasetId, DatasetStatus.Retired);
    }

    /// @dev The offer a buyer may take now: the dataset is active and the resent terms match.
    function _currentOffer(uint256 datasetId, Terms calldata terms, uint256 offerIndex)
        internal
        view
        returns (Offer calldata offer, uint32 version, address creator)
    {
        DatasetRecord storage record = _datasets[datasetId];
        DatasetStatus status = record.status;
        if (status != DatasetStatus.Active) {
            if (status == DatasetStatus.None) revert UnknownDataset(datasetId);
            revert DatasetNotActive(datasetId, status);
        }
        _checkResentTerms(datasetId, terms);
        if (offerIndex >= terms.offers.length) revert OfferIndexOutOfRange(offerIndex);
        return (terms.offers[offerIndex], record.versionCount, record.creator);
    }

    function _checkResentTerms(uint256 datasetId, Terms calldata terms) internal view {
        if (_termsHash(terms.splitHash, terms.offers) != _termsHashes[datasetId]) revert TermsMismatch(datasetId);
    }

    function _checkSignature(address signer, bytes32 structHash, uint256 deadline, bytes calldata signature)
        private
        view
    {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!SignatureChecker.isValidSignatureNow(signer, _hashTypedDataV4(structHash), signature)) {
            revert InvalidSignature();
        }
    }

    /// @dev Validates a split and offers; returns their terms hash.
    function _checkTerms(Split calldata split, Offer[] calldata offers) private view returns (bytes32) {
        _checkSplit(split);
        _checkOffers(offers);
        return _termsHash(_splitHash(split), offers);
    }

    /// @dev Payees strictly ascending (so distinct and non-zero), shares non-zero. The loop
    ///      reads the words itself: Solidity's checked element access costs more than the check.
    function _checkSplit(Split calldata split) private pure {
        address[] calldata payees = split.payees; // bounds-checked by Solidity
        uint32[] calldata shares = split.shares;
        uint256 count = payees.length;
        if (count == 0 || count != shares.length) revert InvalidSplitLength();
        if (count > MAX_PAYEES) revert TooManyPayees(count);
        uint256 unsorted = type(uint256).max;
        uint256 zeroShare = type(uint256).max;
        assembly ("memory-safe") {
            let previous := 0
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let payee := calldataload(add(payees.offset, shl(5, i)))
                // A dirty word reverts, as Solidity's own calldata validation does.
                if shr(160, payee) { revert(0, 0) }
                if iszero(gt(payee, previous)) {
                    unsorted := i
                    break
                }
                let share := calldataload(add(shares.offset, shl(5, i)))
                if shr(32, share) { revert(0, 0) }
                if iszero(share) {
                    zeroShare := i
                    break
                }
                previous := payee
            }
        }
        if (unsorted != type(uint256).max) revert PayeesNotSorted(unsorted);
        if (zeroShare != type(uint256).max) revert ZeroShare(zeroShare);
    }

    /// @dev Per offer: a royalty share on royalty-linked offers only, at most 100 %, never owed
    ///      in credits; the payment token is ETH, credits or allow-listed. Reverts with the
    ///      first malformed offer's index, as a plain loop would; the loop reads the words
    ///      itself (see `_checkSplit`) and leaves the allow-list, a storage read, to a second
    ///      pass over the ERC-20 offers before the first malformed one.
    function _checkOffers(Offer[] calldata offers) private view {
        uint256 count = offers.length;
        if (count == 0 || count > MAX_OFFERS) revert InvalidOfferCount(count);
        uint256 malformed = count; // index of the first malformed offer, if any
        uint256 erc20Offers; // bit i: offer i is priced in an ERC-20
        address credits = CREDITS;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let offer := add(offers.offset, shl(8, i))
                let kind := calldataload(offer)
                let token := calldataload(add(offer, 0x20))
                let bps := calldataload(add(offer, 0xa0))
                // Dirty words revert, as Solidity's own calldata validation does.
                if or(gt(kind, 3), or(shr(160, token), shr(16, bps))) { revert(0, 0) }
                let royaltyLinked := eq(kind, 1) // OfferKind.RoyaltyLinked
                if or(
                    or(xor(royaltyLinked, iszero(iszero(bps))), gt(bps, 10000)),
                    and(royaltyLinked, eq(token, credits))
                ) {
                    malformed := i
                    break
                }
                if and(iszero(iszero(token)), iszero(eq(token, credits))) {
                    erc20Offers := or(erc20Offers, shl(i, 1))
                }
            }
        }
        for (uint256 i; erc20Offers != 0; ++i) {
            if (erc20Offers & 1 != 0 && !isTokenAllowed(offers[i].paymentToken)) revert InvalidOffer(i);
            erc20Offers >>= 1;
        }
        if (malformed != count) revert InvalidOffer(malformed);
    }

    function _termsHash(bytes32 splitHash, Offer[] calldata offers) internal pure returns (bytes32) {
        return keccak256(abi.encode(splitHash, CalldataHash.offersHash(offers)));
    }
}
