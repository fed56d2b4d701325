// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev Payment-token sentinel for offers priced in fiat credits (the relayer-minted ledger of
///      `ITributaryCredits`). Earnings in credits are released as events and paid out in fiat
///      off-chain; no token moves on-chain.
address constant CREDITS = address(uint160(0xC4ED175));

/// @title Tributary shared types
/// @notice Enums and structs used across the suite's interfaces. Configurations (splits, offers)
///         are not kept in storage: the contract stores their hash and callers resend the full
///         form, which every configuration event carries.
interface ITributaryTypes {
    /// @notice Lifecycle of a dataset. `None` means the id was never registered.
    /// @dev `Retired` is terminal: a retired dataset cannot be reactivated or sold.
    enum DatasetStatus {
        None,
        Active,
        Paused,
        Retired
    }

    /// @notice The kinds of licence a dataset can offer.
    enum OfferKind {
        /// Paid once, up front (ETH, an allow-listed ERC-20, or credits).
        OneOff,
        /// Paid up front (may be zero) plus a royalty share of reported downstream revenue.
        RoyaltyLinked,
        /// Streamed (Superfluid). Not purchasable with a one-off payment.
        Subscription,
        /// An off-chain deal: the creator issues the licence against a receipt hash.
        Custom
    }

    /// @notice Royalty split: payees strictly ascending by address (so no duplicates) and their
    ///         shares. Identified on-chain by `keccak256(abi.encode(payees, shares))`.
    struct Split {
        address[] payees;
        uint32[] shares;
    }

    /// @notice One licence offer of a dataset.
    struct Offer {
        OfferKind kind;
        /// `address(0)` for ETH, `CREDITS` for fiat credits, otherwise an allow-listed ERC-20.
        address paymentToken;
        /// Price in the payment token's smallest unit.
        uint128 price;
        /// Licence duration in seconds from purchase; 0 means perpetual.
        uint64 duration;
        /// Whether the licence NFT may change hands.
        bool transferable;
        /// Royalty share of reported revenue, in basis points (RoyaltyLinked only, else 0).
        uint16 royaltyBps;
        /// Maximum number of licences sold under this offer; 0 means uncapped.
        uint32 supplyCap;
        /// sha256 of the licence text.
        bytes32 termsHash;
    }

    /// @notice A dataset's resendable configuration: the hash of its split and its offers.
    ///         The registry stores `keccak256(abi.encode(splitHash, keccak256(abi.encode(offers))))`.
    struct Terms {
        bytes32 splitHash;
        Offer[] offers;
    }

    /// @notice What a licence token records on-chain.
    struct Licence {
        uint64 datasetId;
        /// Dataset version current at issue (versions count from 1).
        uint32 version;
        /// Unix time the licence ends; `type(uint64).max` for perpetual.
        uint64 expiresAt;
        OfferKind kind;
        bool transferable;
        /// Set when the credits that paid for it were reversed (refund or dispute).
        bool flagged;
        uint16 royaltyBps;
    }

    /// @notice A fiat payment credited on-chain, keyed by its payment id.
    struct CreditPayment {
        address account;
        uint96 amount;
        uint96 spent;
        bool reversed;
    }
}
