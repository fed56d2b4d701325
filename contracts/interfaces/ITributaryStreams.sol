// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITributaryTypes} from "./ITributaryTypes.sol";

/// @title Tributary streams: Superfluid subscriptions
/// @notice Deployed beside the `Tributary` suite, which it reads and never changes. A dataset's
///         subscription offer (`OfferKind.Subscription`) names a Super Token in `paymentToken`
///         and the minimum flow rate, in token wei per second, in `price`. Per (dataset, Super
///         Token) this contract creates one Superfluid GDA pool, of which it is the admin, and
///         keeps the pool's member units equal to the dataset's royalty split, the protocol
///         treasury being a member for the fee. A buyer subscribes by distributing a flow from
///         their own account to that pool (`GDAv1Forwarder.distributeFlow`); the money reaches
///         the payees continuously. No SuperApp and no callbacks: nothing can be jailed, and a
///         liquidated flow is simply gone, which the views see at once. See docs/streaming.md.
/// @dev Addresses are plain `address` here (Super Tokens, pools) so bindings need no Superfluid
///      types. Flow rates are `int96`, as Superfluid's are.
interface ITributaryStreams is ITributaryTypes {
    // ------------------------------------------------------------------ errors

    /// @notice The dataset id was never registered.
    error UnknownDataset(uint256 datasetId);
    /// @notice The resent split and offers do not hash to the dataset's stored terms.
    error TermsMismatch(uint256 datasetId);
    /// @notice A subscription offer that cannot be streamed: its payment token is ETH or
    ///         credits, or its minimum rate is zero or does not fit `int96`.
    error InvalidSubscriptionOffer(uint256 index);

    // ------------------------------------------------------------------ events

    /// @notice The GDA pool of a (dataset, Super Token) was created; this contract is its admin.
    event PoolCreated(uint256 indexed datasetId, address indexed token, address pool);
    /// @notice The subscription terms now in force for a (dataset, Super Token): a buyer
    ///         distributing at least `minFlowRate` to `pool` is licensed. A zero `minFlowRate`
    ///         means the token is no longer offered (the pool stays, and keeps paying the split).
    event SubscriptionSynced(uint256 indexed datasetId, address indexed token, address pool, int96 minFlowRate);
    /// @notice A pool member's units changed (a payee's share, or the treasury's fee member).
    event MemberUnitsUpdated(
        uint256 indexed datasetId, address indexed token, address indexed member, address pool, uint128 units
    );
    /// @notice The dataset's pools and subscription terms now follow the terms hash `termsHash`.
    event TermsSynced(uint256 indexed datasetId, bytes32 termsHash);
    /// @notice Rounding dust the pools paid to this contract (their admin) went to the treasury.
    event DustSwept(address indexed token, address indexed treasury, uint256 amount);

    // ------------------------------------------------------------------ writes

    /// @notice Bring a dataset's pools in line with its current terms: create the pool of each
    ///         subscription offer's Super Token if missing, record each token's minimum rate
    ///         (the lowest over its offers), and set every pool's member units to the split and
    ///         the protocol fee now in force (payees dropped from the split go to zero units).
    ///         Anyone may call it; the split and offers are checked against the registry.
    /// @dev Call it after `setTerms` and after a protocol fee or treasury change.
    function sync(uint256 datasetId, Split calldata split, Offer[] calldata offers) external;

    /// @notice Send this contract's whole balance of `token` to the protocol treasury. Pools pay
    ///         their admin the rounding remainder of the flows they cannot divide evenly among
    ///         the units (GDA adjustment flow), so a balance builds up here. Anyone may call it.
    function sweep(address token) external returns (uint256 amount);

    // ------------------------------------------------------------------ views

    /// @notice The `Tributary` suite this contract reads.
    function tributary() external view returns (address);

    /// @notice The Superfluid GDAv1Forwarder this contract creates pools and reads flows through.
    function gdaForwarder() external view returns (address);

    /// @notice The pool of a (dataset, Super Token), `address(0)` if none was created.
    function poolOf(uint256 datasetId, address token) external view returns (address);

    /// @notice The subscription terms recorded for a (dataset, Super Token): its pool and the
    ///         minimum flow rate (0 when the token is not offered now).
    function subscriptionTerms(uint256 datasetId, address token) external view returns (address pool, int96 minFlowRate);

    /// @notice The Super Tokens of the dataset's subscription offers at the last sync.
    function subscriptionTokens(uint256 datasetId) external view returns (address[] memory);

    /// @notice Every Super Token that has a pool for the dataset (offered now or before).
    function poolTokens(uint256 datasetId) external view returns (address[] memory);

    /// @notice The pool members set at the last sync (payees, then the treasury if it is not a
    ///         payee and the fee is not zero) and their units, the same in every pool.
    function members(uint256 datasetId) external view returns (address[] memory accounts, uint128[] memory units);

    /// @notice The terms hash of the last sync (zero if never synced). When it differs from the
    ///         registry's, subscriptions are still judged by the synced terms until someone syncs.
    function syncedTermsHash(uint256 datasetId) external view returns (bytes32);

    /// @notice The flow rate `account` distributes to the dataset's pool of `token` now (0 if
    ///         none), as the GDA records it: the requested rate rounded (see `requiredFlowRate`).
    function flowRate(address account, uint256 datasetId, address token) external view returns (int96);

    /// @notice The smallest rate a buyer should request from `distributeFlow` so that the rate
    ///         the GDA records is at least the minimum: the GDA rounds a distribution down to a
    ///         multiple of the pool's total units, so this is `minFlowRate + totalUnits - 1`.
    ///         0 when `token` is not offered for the dataset.
    function requiredFlowRate(uint256 datasetId, address token) external view returns (int96);

    /// @notice Whether `account` streams to one of the dataset's subscription pools at least
    ///         that token's minimum rate and is not critical (its Super Token balance has not
    ///         run dry), whatever the dataset's status.
    function isSubscribed(address account, uint256 datasetId) external view returns (bool);

    /// @notice Whether `account` may use the dataset now: `Tributary.isLicensed` (a licence
    ///         token), or the dataset is active and `isSubscribed` holds.
    function isLicensed(address account, uint256 datasetId) external view returns (bool);
}
