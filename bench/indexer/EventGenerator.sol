// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributary} from "../../contracts/interfaces/ITributary.sol";
import {CREDITS, ITributaryTypes} from "../../contracts/interfaces/ITributaryTypes.sol";

/// @notice Benchmark only (bench/indexer/run.sh): makes many suite calls per transaction so that
///         a chain with 200,000+ suite events is generated in minutes. Never deployed outside
///         the benchmark's anvil; not part of `abi/` or the deployed contracts.
/// @dev One round is a dataset's life in miniature, about 29 events emitted by the suite:
///      register (1), publish a version (1), three ETH purchases (3 each: payment, ERC-721
///      mint, licence), a royalty-linked purchase and its revenue report (3 + 2), a credit mint
///      by the relayer role (1) and two credit purchases (4 each), a custom licence (2), a
///      release to a payee (1) and a batch anchor (1). Every 8th round also sets new terms,
///      reverses the round's credits (which flags two licences) and pauses then re-activates the
///      dataset; every 50th releases the protocol fees. The generator must hold the relayer
///      role and some ETH (it pays for the purchases itself).
contract EventGenerator is ITributaryTypes {
    ITributary public immutable suite;
    /// @dev Rounds done so far: the seed of every id and hash, so each call continues the chain.
    uint256 public rounds;

    uint128 internal constant PRICE = 1e12;
    uint128 internal constant CREDIT_PRICE = 500;
    uint256 internal constant REVENUE = 1e16;

    constructor(ITributary suite_) {
        suite = suite_;
    }

    receive() external payable {}

    /// @dev The royalty-linked licences are minted to this contract (it reports their revenue).
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    /// @notice Runs `count` rounds.
    function run(uint256 count) external {
        uint256 first = rounds;
        for (uint256 r = first; r < first + count; ++r) {
            _round(r);
        }
        rounds = first + count;
    }

    function _round(uint256 r) internal {
        Split memory split = _split(r);
        Offer[] memory offers = _offers(r, PRICE);
        uint256 id = suite.register(_hash(r, "manifest"), _uri(r, "m"), split, offers);
        suite.publishVersion(id, _hash(r, "v2"), _uri(r, "v"));
        Terms memory terms = Terms(suite.hashSplit(split), offers);

        for (uint256 j; j < 3; ++j) {
            suite.purchase{value: PRICE}(id, terms, 0, _holder(r * 7 + j));
        }
        uint256 royaltyToken = suite.purchase{value: PRICE / 2}(id, terms, 2, address(this));
        suite.reportRevenue{value: REVENUE * 500 / 10_000}(royaltyToken, REVENUE, _hash(r, "evidence"), terms);

        bytes32 paymentId = _hash(r, "stripe");
        suite.mintCredits(paymentId, address(this), 2 * CREDIT_PRICE);
        suite.purchaseWithCredits(paymentId, id, terms, 1, _holder(r * 7 + 3));
        suite.purchaseWithCredits(paymentId, id, terms, 1, _holder(r * 7 + 4));
        suite.issueCustomLicence(id, terms, 3, _holder(r * 7 + 5), _hash(r, "receipt"));

        suite.release(address(0), split, split.payees[0]);
        suite.anchorBatch(_hash(r, "batch"), 50, _uri(r, "b"));

        if (r % 8 == 7) {
            suite.setTerms(id, split, _offers(r, 2 * PRICE));
            suite.reverseCredits(paymentId);
            suite.setStatus(id, DatasetStatus.Paused);
            suite.setStatus(id, DatasetStatus.Active);
        }
        if (r % 50 == 49) suite.releaseProtocolFees(address(0));
    }

    /// @dev Two payees (ascending, as the suite requires) from a pool of 200, 70/30.
    function _split(uint256 r) internal pure returns (Split memory split) {
        split.payees = new address[](2);
        split.shares = new uint32[](2);
        address first = address(uint160(0x100000 + (r % 100) * 2));
        split.payees[0] = first;
        split.payees[1] = address(uint160(first) + 1);
        split.shares[0] = 70;
        split.shares[1] = 30;
    }

    /// @dev One-off in ETH (one year), one-off in credits (perpetual, not transferable),
    ///      royalty-linked in ETH (5 %), custom.
    function _offers(uint256 r, uint128 price) internal pure returns (Offer[] memory offers) {
        offers = new Offer[](4);
        offers[0] = Offer(OfferKind.OneOff, address(0), price, 365 days, true, 0, 0, _hash(r, "t0"));
        offers[1] = Offer(OfferKind.OneOff, CREDITS, CREDIT_PRICE, 0, false, 0, 0, _hash(r, "t1"));
        offers[2] = Offer(OfferKind.RoyaltyLinked, address(0), price / 2, 0, true, 500, 0, _hash(r, "t2"));
        offers[3] = Offer(OfferKind.Custom, address(0), 0, 30 days, false, 0, 0, _hash(r, "t3"));
    }

    /// @dev Licence holders from a pool of 997 addresses, so holders hold several licences.
    function _holder(uint256 n) internal pure returns (address) {
        return address(uint160(0xB00000 + n % 997));
    }

    function _hash(uint256 r, string memory tag) internal pure returns (bytes32) {
        return keccak256(abi.encode(r, tag));
    }

    /// @dev A CIDv1-like URI of realistic length (59 base32 characters).
    function _uri(uint256 r, string memory tag) internal pure returns (string memory) {
        bytes32 h = _hash(r, tag);
        bytes memory out = new bytes(59);
        bytes memory alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        out[0] = "b";
        for (uint256 i = 1; i < 59; ++i) {
            out[i] = alphabet[uint8(h[i % 32]) >> 3 ^ (i & 31)];
        }
        return string.concat("ipfs://", string(out));
    }
}
