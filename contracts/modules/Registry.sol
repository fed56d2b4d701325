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
        _datasets[datasetId] = DatasetRecord(creator, DatasetStatus.Active, 1);
        _termsHashes[datasetId] = termsHash;
        emit DatasetRegistered(datasetId, creator, manifestHash, uri, split, offers);
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

    function _checkSplit(Split calldata split) private pure {
        uint256 count = split.payees.length;
        if (count == 0 || count != split.shares.length) revert InvalidSplitLength();
        if (count > MAX_PAYEES) revert TooManyPayees(count);
        address previous;
        for (uint256 i; i < count; ++i) {
            address payee = split.payees[i];
            if (payee <= previous) revert PayeesNotSorted(i);
            if (split.shares[i] == 0) revert ZeroShare(i);
            previous = payee;
        }
    }

    function _checkOffers(Offer[] calldata offers) private view {
        uint256 count = offers.length;
        if (count == 0 || count > MAX_OFFERS) revert InvalidOfferCount(count);
        for (uint256 i; i < count; ++i) {
            Offer calldata offer = offers[i];
            bool royaltyLinked = offer.kind == OfferKind.RoyaltyLinked;
            if (royaltyLinked != (offer.royaltyBps != 0) || offer.royaltyBps > BPS) revert InvalidOffer(i);
            address token = offer.paymentToken;
            if (token == CREDITS) {
                // Royalties are reported and paid on-chain, so they cannot be owed in credits.
                if (royaltyLinked) revert InvalidOffer(i);
            } else if (token != address(0) && !isTokenAllowed(token)) {
                revert InvalidOffer(i);
            }
        }
    }

    function _termsHash(bytes32 splitHash, Offer[] calldata offers) internal pure returns (bytes32) {
        return keccak256(abi.encode(splitHash, CalldataHash.offersHash(offers)));
    }
}
