// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITributaryTypes} from "./ITributaryTypes.sol";

/// @title Tributary credits: the fiat bridge
/// @notice A non-transferable ledger of credits minted by the relayer for card payments (one
///         payment id, one credit, ever). Credits buy licences priced in `CREDITS`. A refund or
///         dispute reverses the payment: unspent credits are burned, and every licence bought
///         with its spent credits is flagged, by event and on the licence itself.
/// @dev A payment id, once credited or reversed, is never credited again. A reversal that
///      arrives before its payment (out-of-order webhooks) records the id as reversed, so the
///      late credit is refused.
interface ITributaryCredits is ITributaryTypes {
    // ------------------------------------------------------------------ errors

    /// @notice This payment id was already credited.
    error PaymentAlreadyCredited(bytes32 paymentId);
    /// @notice This payment id was already reversed.
    error PaymentAlreadyReversed(bytes32 paymentId);
    /// @notice No credits were minted under this payment id.
    error UnknownPayment(bytes32 paymentId);
    /// @notice The payment's unspent credits do not cover the price.
    error InsufficientCredits(bytes32 paymentId, uint256 available, uint256 needed);
    /// @notice Only the payment's account or a relayer may spend its credits.
    error NotPaymentAccount(bytes32 paymentId, address caller);
    /// @notice Credits need a non-zero account, amount and payment id, and an amount below 2^96.
    error InvalidCredit();
    /// @notice A payment's credits can buy at most `MAX_LICENCES_PER_PAYMENT` licences.
    error TooManyLicencesForPayment(bytes32 paymentId);

    // ------------------------------------------------------------------ events

    /// @notice Credits were minted for a fiat payment.
    event CreditsMinted(bytes32 indexed paymentId, address indexed account, uint256 amount);
    /// @notice Credits of a payment bought a licence.
    event CreditsSpent(bytes32 indexed paymentId, uint256 indexed tokenId, uint256 amount);
    /// @notice A payment was reversed: `burned` unspent credits removed; `spent` credits had
    ///         already bought the licences listed in `flaggedTokenIds` (each also gets `LicenceFlagged`).
    event CreditsReversed(
        bytes32 indexed paymentId, address indexed account, uint256 burned, uint256 spent, uint256[] flaggedTokenIds
    );

    // ------------------------------------------------------------------ actions

    /// @notice Credit `amount` to `account` for the fiat payment `paymentId`. Relayer only.
    function mintCredits(bytes32 paymentId, address account, uint256 amount) external;

    /// @notice Reverse a refunded or disputed payment. Relayer only.
    function reverseCredits(bytes32 paymentId) external;

    // ------------------------------------------------------------------ views

    /// @notice Unspent credits of an account, across its payments.
    function creditBalance(address account) external view returns (uint256);

    /// @notice The record of a payment id (all zero if never seen).
    function creditPayment(bytes32 paymentId) external view returns (CreditPayment memory);

    /// @notice Licences bought with a payment's credits.
    function licencesOfPayment(bytes32 paymentId) external view returns (uint256[] memory);

    /// @notice Largest number of licences one payment's credits may buy.
    function MAX_LICENCES_PER_PAYMENT() external view returns (uint256);
}
