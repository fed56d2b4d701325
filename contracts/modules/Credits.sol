// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryCredits} from "../interfaces/ITributaryCredits.sol";
import {TributaryBase} from "./TributaryBase.sol";

/// @title Credits: the fiat bridge's ledger
/// @dev Invariants: a payment id is credited at most once, ever (a reversed id stays reversed);
///      an account's balance is the sum of its payments' unspent, unreversed credits.
abstract contract Credits is TributaryBase, ITributaryCredits {
    // ------------------------------------------------------------------ constants

    /// @inheritdoc ITributaryCredits
    uint256 public constant MAX_LICENCES_PER_PAYMENT = 32;

    // ------------------------------------------------------------------ storage

    mapping(bytes32 paymentId => CreditPayment) private _payments;
    mapping(bytes32 paymentId => uint256[]) private _paymentLicences;
    mapping(address account => uint256) private _creditBalances;

    // ------------------------------------------------------------------ relayer actions

    /// @inheritdoc ITributaryCredits
    function mintCredits(bytes32 paymentId, address account, uint256 amount)
        external
        onlyRole(RELAYER_ROLE)
        whenNotPaused
    {
        if (paymentId == bytes32(0) || account == address(0) || amount == 0 || amount > type(uint96).max) {
            revert InvalidCredit();
        }
        CreditPayment storage payment = _payments[paymentId];
        if (payment.reversed) revert PaymentAlreadyReversed(paymentId);
        if (payment.account != address(0)) revert PaymentAlreadyCredited(paymentId);
        payment.account = account;
        // forge-lint: disable-next-line(unsafe-typecast) amount <= type(uint96).max, checked above
        payment.amount = uint96(amount);
        _creditBalances[account] += amount;
        emit CreditsMinted(paymentId, account, amount);
    }

    /// @inheritdoc ITributaryCredits
    function reverseCredits(bytes32 paymentId) external onlyRole(RELAYER_ROLE) {
        if (paymentId == bytes32(0)) revert InvalidCredit();
        CreditPayment storage payment = _payments[paymentId];
        if (payment.reversed) revert PaymentAlreadyReversed(paymentId);
        payment.reversed = true;
        address account = payment.account;
        uint256 spent = payment.spent;
        uint256 burned = payment.amount - spent;
        if (burned != 0) _creditBalances[account] -= burned;
        uint256[] memory licences = _paymentLicences[paymentId];
        for (uint256 i; i < licences.length; ++i) {
            _flagLicence(licences[i], paymentId);
        }
        emit CreditsReversed(paymentId, account, burned, spent, licences);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITributaryCredits
    function creditBalance(address account) external view returns (uint256) {
        return _creditBalances[account];
    }

    /// @inheritdoc ITributaryCredits
    function creditPayment(bytes32 paymentId) external view returns (CreditPayment memory) {
        return _payments[paymentId];
    }

    /// @inheritdoc ITributaryCredits
    function licencesOfPayment(bytes32 paymentId) external view returns (uint256[] memory) {
        return _paymentLicences[paymentId];
    }

    // ------------------------------------------------------------------ internals

    /// @dev Spends `price` credits of a payment on licence `tokenId`; returns the payment's account.
    function _spendCredits(bytes32 paymentId, uint256 price, uint256 tokenId) internal returns (address account) {
        CreditPayment storage payment = _payments[paymentId];
        account = payment.account;
        if (account == address(0)) revert UnknownPayment(paymentId);
        if (payment.reversed) revert PaymentAlreadyReversed(paymentId);
        if (msg.sender != account && !hasRole(RELAYER_ROLE, msg.sender)) {
            revert NotPaymentAccount(paymentId, msg.sender);
        }
        uint256 available = payment.amount - payment.spent;
        if (price > available) revert InsufficientCredits(paymentId, available, price);
        uint256[] storage licences = _paymentLicences[paymentId];
        if (licences.length == MAX_LICENCES_PER_PAYMENT) revert TooManyLicencesForPayment(paymentId);
        licences.push(tokenId);
        // forge-lint: disable-next-line(unsafe-typecast) price <= available < 2^96, checked above
        payment.spent += uint96(price);
        _creditBalances[account] -= price;
        emit CreditsSpent(paymentId, tokenId, price);
    }

    /// @dev Marks a licence bought with credits of a reversed payment.
    function _flagLicence(uint256 tokenId, bytes32 paymentId) internal virtual;
}
