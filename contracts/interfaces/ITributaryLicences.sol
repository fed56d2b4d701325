// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITributaryTypes} from "./ITributaryTypes.sol";

/// @title Tributary licences
/// @notice One ERC-721 token per licence sold. `isLicensed(account, datasetId)` answers whether
///         an account holds an unexpired licence for a dataset, in constant time, for dApps and
///         training pipelines. Token ids are structured, not consecutive:
///         `datasetId << 192 | version << 160 | serial` (serial = licences issued so far, from 1);
///         take a licence's id from `LicenceIssued` or the call's return value.
/// @dev A licence exists only for a paid purchase, a credited purchase, or a creator-issued
///      custom deal. The per-holder index behind `isLicensed` never over-states: when a holder
///      transfers away their longest-running licence while keeping another for the same dataset,
///      the index may under-state until `refreshLicence` is called with the kept token.
interface ITributaryLicences is ITributaryTypes {
    // ------------------------------------------------------------------ errors

    /// @notice The offer's supply cap is reached.
    error OfferSoldOut(uint256 datasetId, bytes32 offerHash);
    /// @notice This action does not apply to the offer's (or licence's) kind.
    error WrongOfferKind(OfferKind kind);
    /// @notice The offer is not priced in credits, or credits were offered for a token price.
    error WrongPaymentToken(address token);
    /// @notice The licence is non-transferable.
    error NonTransferable(uint256 tokenId);
    /// @notice The caller does not hold this licence.
    error NotLicenceHolder(uint256 tokenId, address account);
    /// @notice Licences cannot be minted to the zero address.
    error InvalidRecipient();
    /// @notice A custom licence needs the hash of its off-chain receipt.
    error MissingReceipt();

    // ------------------------------------------------------------------ events

    /// @notice A licence was issued. `offerHash` is `keccak256(abi.encode(offer))` of the offer
    ///         (see `TermsSet`); `paymentRef` is zero for wallet payments, the payment id for
    ///         credits, or the receipt hash for a custom deal.
    event LicenceIssued(
        uint256 indexed tokenId,
        uint256 indexed datasetId,
        address indexed holder,
        bytes32 offerHash,
        uint32 version,
        uint64 expiresAt,
        bytes32 paymentRef
    );
    /// @notice A royalty-linked licensee reported downstream revenue and paid the royalty.
    event RevenueReported(
        uint256 indexed tokenId,
        uint256 indexed datasetId,
        address indexed token,
        uint256 revenue,
        uint256 royalty,
        bytes32 evidenceHash
    );
    /// @notice A licence was bought with credits that were later reversed.
    event LicenceFlagged(uint256 indexed tokenId, bytes32 indexed paymentId);

    // ------------------------------------------------------------------ actions

    /// @notice Buy a licence with ETH (`msg.value` = price) or an allow-listed ERC-20
    ///         (approved beforehand), minted to `recipient`.
    /// @param terms The dataset's current split hash and offers, as in its last `TermsSet`.
    function purchase(uint256 datasetId, Terms calldata terms, uint256 offerIndex, address recipient)
        external
        payable
        returns (uint256 tokenId);

    /// @notice Buy a licence priced in `CREDITS` with the credits of one payment. Callable by the
    ///         payment's account or a relayer (the card flow).
    function purchaseWithCredits(
        bytes32 paymentId,
        uint256 datasetId,
        Terms calldata terms,
        uint256 offerIndex,
        address recipient
    ) external returns (uint256 tokenId);

    /// @notice The creator issues a `Custom` licence for an off-chain deal, recorded by receipt hash.
    function issueCustomLicence(
        uint256 datasetId,
        Terms calldata terms,
        uint256 offerIndex,
        address recipient,
        bytes32 receiptHash
    ) external returns (uint256 tokenId);

    /// @notice A royalty-linked licensee reports downstream `revenue` (in the licence's payment
    ///         token) and pays `revenue * royaltyBps / 10_000` into the dataset's current split.
    function reportRevenue(uint256 tokenId, uint256 revenue, bytes32 evidenceHash, Terms calldata terms)
        external
        payable
        returns (uint256 royalty);

    /// @notice Re-index a held licence for `isLicensed` (see the contract notes).
    function refreshLicence(uint256 tokenId) external;

    // ------------------------------------------------------------------ views

    /// @notice Whether `account` holds an unexpired licence for `datasetId` now.
    function isLicensed(address account, uint256 datasetId) external view returns (bool);

    /// @notice Until when `account` is licensed for `datasetId` (0 if not; `type(uint64).max` perpetual).
    function licensedUntil(address account, uint256 datasetId) external view returns (uint64);

    /// @notice What a licence token records.
    function licence(uint256 tokenId) external view returns (Licence memory);

    /// @notice The payment token of a licence (where royalties are paid).
    function licencePaymentToken(uint256 tokenId) external view returns (address);

    /// @notice Licences sold so far under a capped offer of a dataset.
    function offerSold(uint256 datasetId, bytes32 offerHash) external view returns (uint256);
}
