// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributarySplits} from "../interfaces/ITributarySplits.sol";
import {CREDITS} from "../interfaces/ITributaryTypes.sol";
import {CalldataHash} from "../libraries/CalldataHash.sol";
import {TributaryBase} from "./TributaryBase.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title Royalty splits: PaymentSplitter-style pull accounting per split hash and token
/// @dev Invariant, per token: paid in = Σ released + Σ releasable + Σ unallocated rounding
///      + fees owed + fees released. Entitlements are cumulative floors
///      (`received * share / totalShares`), so they only grow, their sum never exceeds what was
///      received, and a small payee is never rounded to zero for ever.
abstract contract Splits is TributaryBase, ITributarySplits {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------ constants

    /// @inheritdoc ITributarySplits
    uint16 public constant MAX_FEE_BPS = 1000;
    uint256 internal constant BPS = 10_000;

    // ------------------------------------------------------------------ storage

    // The fee rate and the treasury live in `_settings` (TributaryBase), beside the pause flag.

    mapping(bytes32 splitHash => mapping(address token => uint256)) private _received;
    mapping(bytes32 splitHash => mapping(address token => mapping(address payee => uint256))) private _released;
    mapping(address token => uint256) private _feesOwed;
    mapping(address token => bool) private _allowedTokens;

    // ------------------------------------------------------------------ actions

    /// @inheritdoc ITributarySplits
    /// @dev No reentrancy lock: every state change precedes the one external call (checks,
    ///      effects, interactions), and a re-entered release finds nothing more due. The lock
    ///      would cost more than PaymentSplitter's whole margin on a repeat release.
    function release(address token, Split calldata split, address payee) external returns (uint256 amount) {
        bytes32 splitHash = _splitHash(split);
        amount = _releasable(splitHash, token, split, payee);
        if (amount == 0) revert NothingToRelease();
        _released[splitHash][token][payee] += amount;
        emit PaymentReleased(payee, splitHash, token, amount);
        _pay(token, payee, amount);
    }

    /// @inheritdoc ITributarySplits
    /// @dev Checks, effects, interactions, as `release`.
    function releaseProtocolFees(address token) external returns (uint256 amount) {
        amount = _feesOwed[token];
        if (amount == 0) revert NothingToRelease();
        _feesOwed[token] = 0;
        address treasury = _settings.treasury;
        emit ProtocolFeesReleased(token, treasury, amount);
        _pay(token, treasury, amount);
    }

    /// @inheritdoc ITributarySplits
    function setProtocolFee(uint16 bps, address treasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setProtocolFee(bps, treasury);
    }

    /// @inheritdoc ITributarySplits
    function setTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0) || token == CREDITS) revert InvalidToken(token);
        _allowedTokens[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITributarySplits
    function releasable(address token, Split calldata split, address payee) external view returns (uint256) {
        return _releasable(_splitHash(split), token, split, payee);
    }

    /// @inheritdoc ITributarySplits
    function totalReceived(bytes32 splitHash, address token) external view returns (uint256) {
        return _received[splitHash][token];
    }

    /// @inheritdoc ITributarySplits
    function released(bytes32 splitHash, address token, address payee) external view returns (uint256) {
        return _released[splitHash][token][payee];
    }

    /// @inheritdoc ITributarySplits
    function protocolFeesOwed(address token) external view returns (uint256) {
        return _feesOwed[token];
    }

    /// @inheritdoc ITributarySplits
    function protocolFee() external view returns (uint16 bps, address treasury) {
        return (_settings.feeBps, _settings.treasury);
    }

    /// @inheritdoc ITributarySplits
    function isTokenAllowed(address token) public view returns (bool) {
        return _allowedTokens[token];
    }

    // ------------------------------------------------------------------ internals

    function _setProtocolFee(uint16 bps, address treasury) internal {
        if (bps > MAX_FEE_BPS || treasury == address(0)) revert InvalidProtocolFee(bps, treasury);
        (_settings.feeBps, _settings.treasury) = (bps, treasury);
        emit ProtocolFeeSet(bps, treasury);
    }

    /// @dev Books a payment already held by this contract: the fee to the treasury's account,
    ///      the rest to the split.
    function _receivePayment(bytes32 splitHash, address token, uint256 datasetId, address payer, uint256 amount)
        internal
    {
        uint256 fee = amount * _settings.feeBps / BPS;
        if (fee != 0) _feesOwed[token] += fee;
        _received[splitHash][token] += amount - fee;
        emit PaymentReceived(splitHash, token, datasetId, payer, amount - fee, fee);
    }

    /// @dev Takes `amount` of `token` from the caller: exactly `msg.value` for ETH; for an
    ///      allow-listed ERC-20, a pull whose delivery is measured (fee-on-transfer tokens
    ///      deliver less and are rejected).
    function _collect(address token, uint256 amount) internal {
        if (token == address(0)) {
            if (msg.value != amount) revert WrongPayment(amount, msg.value);
            return;
        }
        if (msg.value != 0) revert WrongPayment(0, msg.value);
        if (!_allowedTokens[token]) revert TokenNotAllowed(token);
        if (amount == 0) return;
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 delivered = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (delivered != amount) revert ShortDelivery(amount, delivered);
    }

    function _pay(address token, address to, uint256 amount) private {
        if (token == CREDITS) return; // paid out in fiat by the relayer, from the event
        if (token == address(0)) Address.sendValue(payable(to), amount);
        else IERC20(token).safeTransfer(to, amount);
    }

    function _releasable(bytes32 splitHash, address token, Split calldata split, address payee)
        private
        view
        returns (uint256)
    {
        uint256 totalShares;
        uint256 share;
        uint256 count = split.payees.length;
        for (uint256 i; i < count; ++i) {
            if (split.payees[i] == payee) share = split.shares[i];
            totalShares += split.shares[i];
        }
        if (share == 0) revert NotPayee(payee);
        // Checked product: it overflows only past 2^224 units received, and then reverts.
        uint256 entitled = _received[splitHash][token] * share / totalShares;
        return entitled - _released[splitHash][token][payee];
    }

    function _splitHash(Split calldata split) internal pure returns (bytes32) {
        return CalldataHash.splitHash(split);
    }
}
