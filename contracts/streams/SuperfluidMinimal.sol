// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The few Superfluid functions `TributaryStreams` calls, declared with plain addresses so
///      the suite's default build needs none of Superfluid's sources. Selectors and encodings
///      match `@superfluid-finance/ethereum-contracts` 1.15.2: `GDAv1Forwarder`
///      (contracts/utils/GDAv1Forwarder.sol), `ISuperfluidPool` and `ISuperfluidToken`; the
///      streaming tests check them against the deployed framework.

/// @dev `PoolConfig` of IGeneralDistributionAgreementV1.sol.
struct PoolConfig {
    /// Members may transfer their units (false: only the admin sets units).
    bool transferabilityForUnitsOwner;
    /// Anyone may distribute to the pool (false: only the admin).
    bool distributionFromAnyAddress;
}

interface IGDAv1ForwarderMinimal {
    function createPool(address token, address admin, PoolConfig memory config)
        external
        returns (bool success, address pool);

    function getFlowDistributionFlowRate(address token, address from, address to) external view returns (int96);
}

interface ISuperfluidPoolMinimal {
    function getUnits(address member) external view returns (uint128);

    function getTotalUnits() external view returns (uint128);

    function updateMemberUnits(address member, uint128 newUnits) external returns (bool);
}

interface ISuperTokenMinimal {
    /// @dev True when the account's available balance is below zero: it is eating its deposit
    ///      and may be liquidated.
    function isAccountCriticalNow(address account) external view returns (bool);

    function balanceOf(address account) external view returns (uint256);

    function transfer(address to, uint256 amount) external returns (bool);
}
