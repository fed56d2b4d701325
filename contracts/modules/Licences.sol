// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryLicences} from "../interfaces/ITributaryLicences.sol";
import {CREDITS} from "../interfaces/ITributaryTypes.sol";
import {Credits} from "./Credits.sol";
import {Registry} from "./Registry.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ERC721} from "solady/tokens/ERC721.sol";

/// @title Licences: one ERC-721 token per licence sold
/// @dev The token is Solady's ERC-721, whose storage carries the licence, so that issuing one
///      writes no slot beyond the two of a plain mint (docs/contracts.md, "Licences"):
///      - token id: `datasetId << 192 | version << 160 | serial`, the facts that never change
///        (the serial counts every licence issued, from 1);
///      - the 96 bits beside the owner in the token's slot: expiry, royalty bps, kind,
///        transferable, flagged;
///      - the 224 bits beside the balance in the holder's slot: the `isLicensed` entry of the
///        first dataset the holder was ever licensed for (later datasets use `_holderIndex`).
///      Invariants: a licence exists only for a paid purchase, a credited purchase or a
///      creator-issued custom deal; a non-transferable licence never changes holder;
///      `isLicensed` never says yes for an account that holds no unexpired licence.
///      The holder index keeps, per (holder, dataset), the latest expiry among held licences and
///      how many held licences share it. Losing the last licence at that expiry resets the entry
///      to zero even if an earlier-expiring one is still held (finding it would need a scan);
///      `refreshLicence` restores it. The index thus can under-state, never over-state.
abstract contract Licences is ERC721, Registry, Credits, ITributaryLicences {
    // ------------------------------------------------------------------ layout

    uint256 private constant DATASET_SHIFT = 192;
    uint256 private constant VERSION_SHIFT = 160;
    // Extra data of a token: bits 0-63 expiry, 64-79 royalty bps, 80-87 kind, 88 transferable,
    // 89 flagged.
    uint256 private constant ROYALTY_SHIFT = 64;
    uint256 private constant KIND_SHIFT = 80;
    uint256 private constant TRANSFERABLE = 1 << 88;
    uint256 private constant FLAGGED = 1 << 89;
    // Aux of a holder (Solady keeps the balance below it): bits 0-63 until, 64-95 count at
    // until, 96-159 the dataset it indexes (0: not yet claimed).
    uint256 private constant COUNT_SHIFT = 64;
    uint256 private constant AUX_DATASET_SHIFT = 96;

    // ------------------------------------------------------------------ storage

    struct HolderIndex {
        uint64 until;
        uint32 countAtUntil;
    }

    /// @dev Written only for royalty-linked licences paid in an ERC-20 (ETH is the zero default).
    mapping(uint256 tokenId => address) private _royaltyTokens;
    /// @dev Entries of every dataset but the one a holder's aux indexes.
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
        tokenId = _newTokenId(datasetId, version);
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
        tokenId = _newTokenId(datasetId, version);
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
        tokenId = _newTokenId(datasetId, version);
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
        uint256 data = _getExtraData(tokenId);
        OfferKind kind = _kind(data);
        if (kind != OfferKind.RoyaltyLinked) revert WrongOfferKind(kind);
        uint256 datasetId = tokenId >> DATASET_SHIFT;
        // Royalties stay owed whatever the dataset's status, so only the terms are checked.
        _checkResentTerms(datasetId, terms);
        address token = _royaltyTokens[tokenId];
        // forge-lint: disable-next-line(unsafe-typecast) the royalty bps field is 16 bits
        royalty = Math.mulDiv(revenue, uint16(data >> ROYALTY_SHIFT), BPS);
        _collect(token, royalty);
        _receivePayment(terms.splitHash, token, datasetId, msg.sender, royalty);
        emit RevenueReported(tokenId, datasetId, token, revenue, royalty, evidenceHash);
    }

    /// @inheritdoc ITributaryLicences
    function refreshLicence(uint256 tokenId) external {
        address holder = ownerOf(tokenId);
        uint256 datasetId = tokenId >> DATASET_SHIFT;
        // forge-lint: disable-next-line(unsafe-typecast) the expiry is the low 64 bits
        uint64 expiresAt = uint64(_getExtraData(tokenId));
        (bool inAux, uint64 until,) = _entry(holder, datasetId);
        // Only raise: counting an already-counted licence twice could over-state later.
        if (expiresAt > until) _setEntry(holder, datasetId, inAux, expiresAt, 1);
    }

    /// @notice Refuses ETH: ERC-721 approvals take none (Solady declares `approve` payable).
    function approve(address account, uint256 id) public payable override {
        if (msg.value != 0) revert WrongPayment(0, msg.value);
        super.approve(account, id);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITributaryLicences
    function isLicensed(address account, uint256 datasetId) external view returns (bool) {
        return licensedUntil(account, datasetId) > block.timestamp;
    }

    /// @inheritdoc ITributaryLicences
    function licensedUntil(address account, uint256 datasetId) public view returns (uint64 until) {
        (, until,) = _entry(account, datasetId);
    }

    /// @inheritdoc ITributaryLicences
    function licence(uint256 tokenId) external view returns (Licence memory) {
        ownerOf(tokenId); // reverts for an unknown token
        uint256 data = _getExtraData(tokenId);
        // forge-lint: disable-next-item(unsafe-typecast) unpacking fields of their own width
        return Licence({
            datasetId: uint64(tokenId >> DATASET_SHIFT),
            version: uint32(tokenId >> VERSION_SHIFT),
            expiresAt: uint64(data),
            kind: _kind(data),
            transferable: data & TRANSFERABLE != 0,
            flagged: data & FLAGGED != 0,
            royaltyBps: uint16(data >> ROYALTY_SHIFT)
        });
    }

    /// @inheritdoc ITributaryLicences
    function licencePaymentToken(uint256 tokenId) external view returns (address) {
        ownerOf(tokenId); // reverts for an unknown token
        return _royaltyTokens[tokenId];
    }

    /// @inheritdoc ITributaryLicences
    function offerSold(uint256 datasetId, bytes32 offerHash) external view returns (uint256) {
        return _offerSold[datasetId][offerHash];
    }

    /// @notice The ERC-721 collection name.
    function name() public pure override returns (string memory) {
        return "Tributary Licence";
    }

    /// @notice The ERC-721 collection symbol.
    function symbol() public pure override returns (string memory) {
        return "TRIBL";
    }

    /// @notice No metadata URI: empty for every existing token (as OpenZeppelin without a base URI).
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        ownerOf(tokenId); // reverts for an unknown token
        return "";
    }

    /// @notice ERC-165: ERC-721 (and its metadata) and AccessControl.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return ERC721.supportsInterface(interfaceId) || AccessControl.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev The next licence's token id. The serial is a checked 64-bit counter: it refuses to
    ///      wrap (a 2^64-th licence is out of reach anyway).
    function _newTokenId(uint256 datasetId, uint32 version) private returns (uint256) {
        uint64 serial = ++_settings.lastSerial;
        return datasetId << DATASET_SHIFT | uint256(version) << VERSION_SHIFT | serial;
    }

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
        uint256 data = uint256(expiresAt) | uint256(offer.royaltyBps) << ROYALTY_SHIFT | uint256(offer.kind)
            << KIND_SHIFT | (offer.transferable ? TRANSFERABLE : 0);
        if (offer.kind == OfferKind.RoyaltyLinked && offer.paymentToken != address(0)) {
            _royaltyTokens[tokenId] = offer.paymentToken;
        }
        emit LicenceIssued(tokenId, datasetId, recipient, offerHash, version, expiresAt, paymentRef);
        // forge-lint: disable-next-line(unsafe-typecast) data uses 90 bits
        _setExtraData(tokenId, uint96(data));
        _safeMint(recipient, tokenId);
    }

    /// @dev Perpetual (duration 0), or a duration that would pass uint64, is `type(uint64).max`.
    function _expiry(uint64 duration) private view returns (uint64) {
        if (duration == 0) return type(uint64).max;
        uint256 end = block.timestamp + duration;
        // forge-lint: disable-next-line(unsafe-typecast) end < type(uint64).max on this branch
        return end >= type(uint64).max ? type(uint64).max : uint64(end);
    }

    function _kind(uint256 data) private pure returns (OfferKind) {
        // forge-lint: disable-next-line(unsafe-typecast) the kind field is 8 bits
        return OfferKind(uint8(data >> KIND_SHIFT));
    }

    /// @dev Runs before every mint and transfer (Solady's hook): refuses to move a
    ///      non-transferable licence (or to take ETH with a transfer: Solady declares the
    ///      transfer functions payable), and keeps the holder index in step. A transfer that
    ///      the ERC-721 checks that follow will refuse (unknown token, wrong `from`, zero `to`)
    ///      is left to them.
    function _beforeTokenTransfer(address from, address to, uint256 tokenId) internal override {
        uint256 data = _getExtraData(tokenId);
        uint256 datasetId = tokenId >> DATASET_SHIFT;
        // forge-lint: disable-next-line(unsafe-typecast) the expiry is the low 64 bits
        uint64 expiresAt = uint64(data);
        if (from != address(0)) {
            if (_ownerOf(tokenId) != from) return;
            if (data & TRANSFERABLE == 0) revert NonTransferable(tokenId);
            if (msg.value != 0) revert WrongPayment(0, msg.value);
            if (to == address(0)) return;
            _unindex(from, datasetId, expiresAt);
        }
        _index(to, datasetId, expiresAt);
    }

    function _index(address holder, uint256 datasetId, uint64 expiresAt) private {
        (bool inAux, uint64 until, uint32 count) = _entry(holder, datasetId);
        if (expiresAt > until) _setEntry(holder, datasetId, inAux, expiresAt, 1);
        else if (expiresAt == until) _setEntry(holder, datasetId, inAux, until, count + 1);
    }

    function _unindex(address holder, uint256 datasetId, uint64 expiresAt) private {
        (bool inAux, uint64 until, uint32 count) = _entry(holder, datasetId);
        if (expiresAt != until) return; // the latest-expiring licence is still held
        if (count > 1) _setEntry(holder, datasetId, inAux, until, count - 1);
        else _setEntry(holder, datasetId, inAux, 0, 0);
    }

    /// @dev The (holder, dataset) entry of the index, and whether it lives in the holder's aux:
    ///      it does if the aux indexes that dataset or no dataset yet (claimed by the first
    ///      write, for good). So a holder's first dataset costs no slot beyond the ERC-721
    ///      balance, and the mapping holds an entry only once the aux is claimed by another.
    function _entry(address holder, uint256 datasetId) private view returns (bool inAux, uint64 until, uint32 count) {
        uint256 aux = _getAux(holder);
        uint256 auxDataset = aux >> AUX_DATASET_SHIFT;
        if (auxDataset == datasetId || auxDataset == 0) {
            // forge-lint: disable-next-line(unsafe-typecast) unpacking fields of their own width
            return (true, uint64(aux), uint32(aux >> COUNT_SHIFT));
        }
        HolderIndex storage entry = _holderIndex[holder][datasetId];
        return (false, entry.until, entry.countAtUntil);
    }

    function _setEntry(address holder, uint256 datasetId, bool inAux, uint64 until, uint32 count) private {
        if (inAux) {
            // forge-lint: disable-next-line(unsafe-typecast) dataset ids are below 2^64: 160 bits in all
            _setAux(holder, uint224(datasetId << AUX_DATASET_SHIFT | uint256(count) << COUNT_SHIFT | until));
        } else {
            _holderIndex[holder][datasetId] = HolderIndex(until, count);
        }
    }

    function _flagLicence(uint256 tokenId, bytes32 paymentId) internal override {
        // forge-lint: disable-next-line(unsafe-typecast) extra data is 96 bits
        _setExtraData(tokenId, uint96(_getExtraData(tokenId) | FLAGGED));
        emit LicenceFlagged(tokenId, paymentId);
    }
}
