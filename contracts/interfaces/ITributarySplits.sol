// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITributaryTypes} from "./ITributaryTypes.sol";

/// @title Tributary royalty splits
/// @notice PaymentSplitter-style pull payments, per split and per token (ETH is `address(0)`,
///         fiat credits are `CREDITS`). A split is identified by the hash of its payees and
///         shares, so identical splits of several datasets share one account.
/// @dev Invariant, per token: everything paid in = released + releasable + unallocated rounding
///      + protocol fees (owed or released). A payee's entitlement is
///      `floor(received * share / totalShares)`, cumulative, so a small payee is never rounded
///      to zero for ever and nobody is paid twice; the rounding left unallocated is below the
///      number of payees and is allocated as more arrives. The protocol fee is taken at payment
///      time at the rate then in force (capped at `MAX_FEE_BPS`).
interface ITributarySplits is ITributaryTypes {
    // ------------------------------------------------------------------ errors

    /// @notice The account is not a payee of the resent split.
    error NotPayee(address account);
    /// @notice Nothing is due to the payee in this token.
    error NothingToRelease();
    /// @notice The fee is above `MAX_FEE_BPS`, or the treasury is the zero address.
    error InvalidProtocolFee(uint16 bps, address treasury);
    /// @notice The token is not allow-listed as a payment token.
    error TokenNotAllowed(address token);
    /// @notice ETH sent does not equal the amount due (or ETH was sent for a token payment).
    error WrongPayment(uint256 expected, uint256 sent);
    /// @notice An ERC-20 delivered less than the amount due (fee-on-transfer tokens are rejected).
    error ShortDelivery(uint256 expected, uint256 delivered);
    /// @notice The token cannot be allow-listed (zero address or the credits sentinel).
    error InvalidToken(address token);

    // ------------------------------------------------------------------ events

    /// @notice A payment reached a split: `amount` for the payees after `fee` to the protocol.
    event PaymentReceived(
        bytes32 indexed splitHash,
        address indexed token,
        uint256 indexed datasetId,
        address payer,
        uint256 amount,
        uint256 fee
    );
    /// @notice A payee was paid from a split.
    event PaymentReleased(address indexed payee, bytes32 splitHash, address token, uint256 amount);
    /// @notice The protocol fee or treasury changed.
    event ProtocolFeeSet(uint16 bps, address treasury);
    /// @notice Protocol fees in a token were paid to the treasury.
    event ProtocolFeesReleased(address indexed token, address indexed treasury, uint256 amount);
    /// @notice An ERC-20 was allowed or disallowed as a payment token.
    event TokenAllowed(address indexed token, bool allowed);

    // ------------------------------------------------------------------ actions

    /// @notice Pay `payee` what the split owes them in `token`. Anyone may call; funds go to
    ///         the payee. For `CREDITS` no token moves: the event is the fiat payout order.
    function release(address token, Split calldata split, address payee) external returns (uint256 amount);

    /// @notice Pay the treasury the protocol fees owed in `token`.
    function releaseProtocolFees(address token) external returns (uint256 amount);

    /// @notice Set the protocol fee (basis points, at most `MAX_FEE_BPS`) and treasury. Admin only.
    function setProtocolFee(uint16 bps, address treasury) external;

    /// @notice Allow or disallow an ERC-20 as a payment token. Admin only.
    function setTokenAllowed(address token, bool allowed) external;

    // ------------------------------------------------------------------ views

    /// @notice What `payee` could release from the split in `token` now.
    function releasable(address token, Split calldata split, address payee) external view returns (uint256);

    /// @notice Total received by a split in a token, after protocol fees.
    function totalReceived(bytes32 splitHash, address token) external view returns (uint256);

    /// @notice Total released to a payee from a split in a token.
    function released(bytes32 splitHash, address token, address payee) external view returns (uint256);

    /// @notice Protocol fees owed to the treasury in a token.
    function protocolFeesOwed(address token) external view returns (uint256);

    /// @notice The protocol fee in basis points and the treasury that receives it.
    function protocolFee() external view returns (uint16 bps, address treasury);

    /// @notice Whether an ERC-20 is allow-listed as a payment token.
    function isTokenAllowed(address token) external view returns (bool);

    /// @notice The cap on the protocol fee, in basis points.
    function MAX_FEE_BPS() external view returns (uint16);
}
