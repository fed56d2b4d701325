// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryLicences} from "../interfaces/ITributaryLicences.sol";
import {CREDITS} from "../interfaces/ITributaryTypes.sol";
import {Credits} from "./Credits.sol";
import {Registry} from "./Registry.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Licences: one ERC-721 token per licence sold
/// @dev Invariants: a licence exists only for a paid purchase, a credited purchase or a
///      creator-issued custom deal; a non-transferable licence never changes holder;
///      `isLicensed` never says yes for an account that holds no unexpired licence.
///      The holder index keeps, per (holder, dataset), the latest expiry among held licences and
///      how many held licences share it. Losing the last licence at that expiry resets the entry
///      to zero even if an earlier-expiring one is still held (finding it would need a scan);
///      `refreshLicence` restores it. The index thus can under-state, never over-state.
abstract contract Licences is ERC721, Registry, Credits, ITributaryLicences {
    // ------------------------------------------------------------------ storage

    struct HolderIndex {
        uint64 until;
        uint32 countAtUntil;
    }

    uint256 private _lastTokenId;
    mapping(uint256 tokenId => Licence) private _licences;
    /// @dev Written only for royalty-linked licences paid in an ERC-20 (ETH is the zero default).
    mapping(uint256 tokenId => address) private _royaltyTokens;
    mapping(address holder => mapping(uint256 datasetId => HolderIndex)) private _holderIndex;
    /// @dev Counted only for offers with a supply cap.
    mapping(uint256 datasetId => mapping(bytes32 offerHash => uint256)) private _offerSold;

    // ------------------------------------------------------------------ actions

    /// @inheritdoc ITributaryLicences
    function purchase(uint256 datasetId, Terms calldata terms, uint256 offerIndex, address recipient)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (uint256 tokenId)
    {
        (Offer calldata offer, uint32 version,) = _currentOffer(datasetId, terms, offerIndex);
        if (offer.kind != OfferKind.OneOff && offer.kind != OfferKind.RoyaltyLinked) revert WrongOfferKind(offer.kind);
        address token = offer.paymentToken;
        if (token == CREDITS) revert WrongPaymentToken(token);
        _collect(token, offer.price);
        _receivePayment(terms.splitHash, token, datasetId, msg.sender, offer.price);
        tokenId = ++_lastTokenId;
        _issue(tokenId, recipient, datasetId, version, offer, bytes32(0));
    }

    /// @inheritdoc ITributaryLicences
    function purchaseWithCredits(
        bytes32 paymentId,
        uint256 datasetId,
        Terms calldata terms,
        uint256 offerIndex,
        address recipient
    ) external nonReentrant whenNotPaused returns (uint256 tokenId) {
        (Offer calldata offer, uint32 version,) = _currentOffer(datasetId, terms, offerIndex);
        if (offer.kind != OfferKind.OneOff) revert WrongOfferKind(offer.kind);
        if (offer.paymentToken != CREDITS) revert WrongPaymentToken(offer.paymentToken);
        tokenId = ++_lastTokenId;
        address account = _spendCredits(paymentId, offer.price, tokenId);
        _receivePayment(terms.splitHash, CREDITS, datasetId, account, offer.price);
        _issue(tokenId, recipient, datasetId, version, offer, paymentId);
    }

    /// @inheritdoc ITributaryLicences
    function issueCustomLicence(
        uint256 datasetId,
        Terms calldata terms,
        uint256 offerIndex,
        address recipient,
        bytes32 receiptHash
    ) external nonReentrant whenNotPaused returns (uint256 tokenId) {
        (Offer calldata offer, uint32 version, address creator) = _currentOffer(datasetId, terms, offerIndex);
        if (msg.sender != creator) revert NotCreator(datasetId, msg.sender);
        if (offer.kind != OfferKind.Custom) revert WrongOfferKind(offer.kind);
        if (receiptHash == bytes32(0)) revert MissingReceipt();
        tokenId = ++_lastTokenId;
        _issue(tokenId, recipient, datasetId, version, offer, receiptHash);
    }

    /// @inheritdoc ITributaryLicences
    function reportRevenue(uint256 tokenId, uint256 revenue, bytes32 evidenceHash, Terms calldata terms)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (uint256 royalty)
    {
        if (_ownerOf(tokenId) != msg.sender) revert NotLicenceHolder(tokenId, msg.sender);
        Licence storage held = _licences[tokenId];
        if (held.kind != OfferKind.RoyaltyLinked) revert WrongOfferKind(held.kind);
        uint256 datasetId = held.datasetId;
        // Royalties stay owed whatever the dataset's status, so only the terms are checked.
        _checkResentTerms(datasetId, terms);
        address token = _royaltyTokens[tokenId];
        royalty = Math.mulDiv(revenue, held.royaltyBps, BPS);
        _collect(token, royalty);
        _receivePayment(terms.splitHash, token, datasetId, msg.sender, royalty);
        emit RevenueReported(tokenId, datasetId, token, revenue, royalty, evidenceHash);
    }

    /// @inheritdoc ITributaryLicences
    function refreshLicence(uint256 tokenId) external {
        address holder = _requireOwned(tokenId);
        Licence storage held = _licences[tokenId];
        HolderIndex storage entry = _holderIndex[holder][held.datasetId];
        // Only raise: counting an already-counted licence twice could over-state later.
        if (held.expiresAt > entry.until) {
            entry.until = held.expiresAt;
            entry.countAtUntil = 1;
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITributaryLicences
    function isLicensed(address account, uint256 datasetId) external view returns (bool) {
        return _holderIndex[account][datasetId].until > block.timestamp;
    }

    /// @inheritdoc ITributaryLicences
    function licensedUntil(address account, uint256 datasetId) external view returns (uint64) {
        return _holderIndex[account][datasetId].until;
    }

    /// @inheritdoc ITributaryLicences
    function licence(uint256 tokenId) external view returns (Licence memory) {
        _requireOwned(tokenId);
        return _licences[tokenId];
    }

    /// @inheritdoc ITributaryLicences
    function licencePaymentToken(uint256 tokenId) external view returns (address) {
        _requireOwned(tokenId);
        return _royaltyTokens[tokenId];
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view virtual override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    /// @inheritdoc ITributaryLicences
    function offerSold(uint256 datasetId, bytes32 offerHash) external view returns (uint256) {
        return _offerSold[datasetId][offerHash];
    }

    // ------------------------------------------------------------------ internals

    /// @dev Records licence `tokenId` for `offer` and mints it to `recipient` (last, so the
    ///      receiver hook sees a complete state; the caller holds the reentrancy lock).
    function _issue(
        uint256 tokenId,
        address recipient,
        uint256 datasetId,
        uint32 version,
        Offer calldata offer,
        bytes32 paymentRef
    ) private {
        if (recipient == address(0)) revert InvalidRecipient();
        bytes32 offerHash = keccak256(abi.encode(offer));
        if (offer.supplyCap != 0 && ++_offerSold[datasetId][offerHash] > offer.supplyCap) {
            revert OfferSoldOut(datasetId, offerHash);
        }
        uint64 expiresAt = _expiry(offer.duration);
        _licences[tokenId] = Licence({
            // forge-lint: disable-next-line(unsafe-typecast) ids are sequential from 1: 2^64 is out of reach
            datasetId: uint64(datasetId),
            version: version,
            expiresAt: expiresAt,
            kind: offer.kind,
            transferable: offer.transferable,
            flagged: false,
            royaltyBps: offer.royaltyBps
        });
        if (offer.kind == OfferKind.RoyaltyLinked && offer.paymentToken != address(0)) {
            _royaltyTokens[tokenId] = offer.paymentToken;
        }
        emit LicenceIssued(tokenId, datasetId, recipient, offerHash, version, expiresAt, paymentRef);
        _safeMint(recipient, tokenId);
    }

    /// @dev Perpetual (duration 0), or a duration that would pass uint64, is `type(uint64).max`.
    function _expiry(uint64 duration) private view returns (uint64) {
        if (duration == 0) return type(uint64).max;
        uint256 end = block.timestamp + duration;
        // forge-lint: disable-next-line(unsafe-typecast) end < type(uint64).max on this branch
        return end >= type(uint64).max ? type(uint64).max : uint64(end);
    }

    /// @dev Keeps the holder index in step with every mint and transfer, and refuses to move a
    ///      non-transferable licence.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        Licence storage held = _licences[tokenId];
        if (from != address(0) && to != address(0) && !held.transferable) revert NonTransferable(tokenId);
        uint256 datasetId = held.datasetId;
        uint64 expiresAt = held.expiresAt;
        if (from != address(0)) _unindex(_holderIndex[from][datasetId], expiresAt);
        if (to != address(0)) _index(_holderIndex[to][datasetId], expiresAt);
    }

    function _index(HolderIndex storage entry, uint64 expiresAt) private {
        if (expiresAt > entry.until) {
            entry.until = expiresAt;
            entry.countAtUntil = 1;
        } else if (expiresAt == entry.until) {
            ++entry.countAtUntil;
        }
    }

    function _unindex(HolderIndex storage entry, uint64 expiresAt) private {
        if (expiresAt != entry.until) return; // the latest-expiring licence is still held
        if (entry.countAtUntil > 1) {
            --entry.countAtUntil;
        } else {
            entry.until = 0;
            entry.countAtUntil = 0;
        }
    }

    function _flagLicence(uint256 tokenId, bytes32 paymentId) internal override {
        _licences[tokenId].flagged = true;
        emit LicenceFlagged(tokenId, paymentId);
    }
}
