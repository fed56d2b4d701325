// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITributaryTypes} from "./ITributaryTypes.sol";

/// @title Tributary dataset registry
/// @notice Datasets with anchored manifest hashes, versions, a lifecycle status and their terms
///         (royalty split and licence offers). Manifest hashes are anchored in events: storage
///         keeps only what the contracts must read (creator, status, version count, terms hash).
/// @dev Only a dataset's creator changes it: directly, or through anyone carrying the creator's
///      EIP-712 signature (domain bound to chain id and contract; sequential nonce; deadline).
///      Signatures are checked with OpenZeppelin's SignatureChecker, so ERC-1271 contract
///      wallets can sign too. The same manifest hash may be registered by different creators:
///      the manifest names its creator, so verification binds hash to creator (docs/contracts.md).
interface ITributaryRegistry is ITributaryTypes {
    // ------------------------------------------------------------------ errors

    /// @notice The dataset id was never registered.
    error UnknownDataset(uint256 datasetId);
    /// @notice The caller (or signer) is not the dataset's creator.
    error NotCreator(uint256 datasetId, address account);
    /// @notice The requested status change is not allowed (e.g. leaving `Retired`, or `None`).
    error InvalidStatusTransition(DatasetStatus from, DatasetStatus to);
    /// @notice The dataset is not active (paused, retired), so it cannot be sold.
    error DatasetNotActive(uint256 datasetId, DatasetStatus status);
    /// @notice A manifest hash of zero was given.
    error ZeroManifestHash();
    /// @notice The signature's deadline has passed.
    error SignatureExpired(uint256 deadline);
    /// @notice The signature is not the creator's for this request (wrong signer, chain,
    ///         contract, nonce or malleable form).
    error InvalidSignature();
    /// @notice The split has no payees, or payees and shares differ in length.
    error InvalidSplitLength();
    /// @notice The split has more payees than `MAX_PAYEES`.
    error TooManyPayees(uint256 count);
    /// @notice Payees are not strictly ascending (which also rules out duplicates) or one is zero.
    error PayeesNotSorted(uint256 index);
    /// @notice A payee has a zero share.
    error ZeroShare(uint256 index);
    /// @notice No offers, or more than `MAX_OFFERS`.
    error InvalidOfferCount(uint256 count);
    /// @notice An offer is malformed: royalty on a non-royalty kind, royalty above 100 %, a
    ///         token that is not allow-listed, or a paid kind with an impossible token.
    error InvalidOffer(uint256 index);
    /// @notice The resent terms do not hash to the dataset's stored terms hash.
    error TermsMismatch(uint256 datasetId);
    /// @notice The offer index is beyond the resent offers.
    error OfferIndexOutOfRange(uint256 index);
    /// @notice This Merkle root was already anchored.
    error BatchAlreadyAnchored(bytes32 root);
    /// @notice A batch must anchor at least one manifest, under a non-zero root.
    error EmptyBatch();

    // ------------------------------------------------------------------ events

    /// @notice A dataset was registered: its first version (1) is `manifestHash` at `uri`, and
    ///         its terms are `split` and `offers` (the split hash and terms hash follow from them,
    ///         see `hashSplit` and `hashTerms`).
    event DatasetRegistered(
        uint256 indexed datasetId,
        address indexed creator,
        bytes32 indexed manifestHash,
        string uri,
        Split split,
        Offer[] offers
    );
    /// @notice A new version of a dataset was published.
    event VersionPublished(uint256 indexed datasetId, uint32 indexed version, bytes32 indexed manifestHash, string uri);
    /// @notice The dataset's status changed.
    event StatusChanged(uint256 indexed datasetId, DatasetStatus status);
    /// @notice The dataset's terms were replaced. Carries the full split and offers so that
    ///         state can be rebuilt from events alone.
    event TermsSet(uint256 indexed datasetId, Split split, Offer[] offers);
    /// @notice Many manifest hashes were anchored under one Merkle root (OpenZeppelin
    ///         MerkleProof layout: sorted pairs, leaves `keccak256(bytes.concat(keccak256(abi.encode(manifestHash))))`).
    event BatchAnchored(bytes32 indexed root, address indexed anchorer, uint32 count, string uri);

    // ------------------------------------------------------------------ creator actions

    /// @notice Register a dataset with its first manifest, royalty split and licence offers.
    /// @param manifestHash sha256 of the manifest's canonical (RFC 8785) form.
    /// @param uri Where the manifest lives, e.g. `ipfs://<cid>`.
    /// @return datasetId The new dataset's id (ids count from 1).
    function register(bytes32 manifestHash, string calldata uri, Split calldata split, Offer[] calldata offers)
        external
        returns (uint256 datasetId);

    /// @notice `register` on behalf of `creator`, who signed `Register(address creator,bytes32 manifestHash,string uri,bytes32 termsHash,uint256 nonce,uint256 deadline)`.
    function registerWithSig(
        address creator,
        bytes32 manifestHash,
        string calldata uri,
        Split calldata split,
        Offer[] calldata offers,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 datasetId);

    /// @notice Publish a new version of a dataset.
    /// @return version The new version number.
    function publishVersion(uint256 datasetId, bytes32 manifestHash, string calldata uri)
        external
        returns (uint32 version);

    /// @notice `publishVersion` on behalf of the creator, who signed `PublishVersion(uint256 datasetId,bytes32 manifestHash,string uri,uint256 nonce,uint256 deadline)`.
    function publishVersionWithSig(
        uint256 datasetId,
        bytes32 manifestHash,
        string calldata uri,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint32 version);

    /// @notice Pause, reactivate or retire a dataset. Retiring is final.
    function setStatus(uint256 datasetId, DatasetStatus status) external;

    /// @notice `setStatus` on behalf of the creator, who signed `SetStatus(uint256 datasetId,uint8 status,uint256 nonce,uint256 deadline)`.
    function setStatusWithSig(uint256 datasetId, DatasetStatus status, uint256 deadline, bytes calldata signature)
        external;

    /// @notice Replace the dataset's split and offers. Payments already received stay with the
    ///         split they were paid to; the change affects future payments only.
    function setTerms(uint256 datasetId, Split calldata split, Offer[] calldata offers) external;

    /// @notice `setTerms` on behalf of the creator, who signed `SetTerms(uint256 datasetId,bytes32 termsHash,uint256 nonce,uint256 deadline)`.
    function setTermsWithSig(
        uint256 datasetId,
        Split calldata split,
        Offer[] calldata offers,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Anchor many manifest hashes at once under a Merkle root, attributed to the caller.
    function anchorBatch(bytes32 root, uint32 count, string calldata uri) external;

    // ------------------------------------------------------------------ views

    /// @notice A dataset's on-chain record.
    function dataset(uint256 datasetId)
        external
        view
        returns (address creator, DatasetStatus status, uint32 versionCount, bytes32 termsHash);

    /// @notice How many datasets exist (the highest id).
    function datasetCount() external view returns (uint256);

    /// @notice Who anchored a batch root, when, and how many manifests it holds (zeros if never).
    function batchAnchor(bytes32 root) external view returns (address anchorer, uint64 anchoredAt, uint32 count);

    /// @notice Whether `manifestHash` is included in the anchored batch `root`.
    function verifyBatchInclusion(bytes32 root, bytes32 manifestHash, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The next signature nonce of `account`.
    function nonces(address account) external view returns (uint256);

    /// @notice The identifier of a split: `keccak256(abi.encode(payees, shares))`.
    function hashSplit(Split calldata split) external pure returns (bytes32);

    /// @notice The terms hash the registry stores for a split hash and offers.
    function hashTerms(bytes32 splitHash, Offer[] calldata offers) external pure returns (bytes32);

    /// @notice Largest number of payees in a split.
    function MAX_PAYEES() external view returns (uint256);

    /// @notice Largest number of offers per dataset.
    function MAX_OFFERS() external view returns (uint256);
}
