// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryAdmin} from "../interfaces/ITributaryAdmin.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title Roles, pause switch and reentrancy lock shared by every Tributary module
abstract contract TributaryBase is AccessControl, Pausable, ReentrancyGuardTransient, ITributaryAdmin {
    /// @inheritdoc ITributaryAdmin
    bytes32 public constant RELAYER_ROLE = keccak256("RELAYER_ROLE");
    /// @inheritdoc ITributaryAdmin
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @inheritdoc ITributaryAdmin
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc ITributaryAdmin
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }
}
