// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Tributary roles and pause switch
/// @notice Roles use OpenZeppelin AccessControl: `DEFAULT_ADMIN_ROLE` (fees, token allow-list,
///         role grants), `RELAYER_ROLE` (credits), `PAUSER_ROLE` (pause). Pausing stops money
///         and new licences from entering (purchases, custom licences, credit minting and
///         spending, royalty reports); releases,
///         reversals and the registry's records stay open, so no funds are trapped and
///         creators keep anchoring.
interface ITributaryAdmin {
    /// @notice Role that mints and reverses credits and spends them for card buyers.
    function RELAYER_ROLE() external view returns (bytes32);
    /// @notice Role that may pause and unpause the suite.
    function PAUSER_ROLE() external view returns (bytes32);
    /// @notice Stop purchases, custom licences, credit minting and spending, and royalty reports.
    function pause() external;
    /// @notice Resume after `pause`.
    function unpause() external;
}
