// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributaryAdmin} from "../interfaces/ITributaryAdmin.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title Roles, pause switch, reentrancy lock and the settings slot shared by every module
/// @dev The pause switch is OpenZeppelin `Pausable`'s interface (`paused()`, `Paused`,
///      `Unpaused`, `EnforcedPause`, `ExpectedPause`) over our own storage: the flag shares one
///      slot with the protocol fee, the treasury and the licence serial, which every purchase
///      reads or writes anyway, so a purchase pays one cold slot for all four.
abstract contract TributaryBase is AccessControl, ReentrancyGuardTransient, ITributaryAdmin {
    /// @inheritdoc ITributaryAdmin
    bytes32 public constant RELAYER_ROLE = keccak256("RELAYER_ROLE");
    /// @inheritdoc ITributaryAdmin
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice The suite was paused by `account` (as OpenZeppelin `Pausable`).
    event Paused(address account);
    /// @notice The suite was unpaused by `account` (as OpenZeppelin `Pausable`).
    event Unpaused(address account);
    /// @notice The suite is paused (as OpenZeppelin `Pausable`).
    error EnforcedPause();
    /// @notice The suite is not paused (as OpenZeppelin `Pausable`).
    error ExpectedPause();

    /// @dev One storage slot (248 bits): what a purchase needs of the suite's settings.
    struct Settings {
        /// Receives protocol fees (`Splits`).
        address treasury;
        /// Protocol fee in basis points (`Splits`).
        uint16 feeBps;
        /// The pause switch.
        bool paused;
        /// Serial of the last licence issued: the low 64 bits of its token id (`Licences`).
        uint64 lastSerial;
    }

    Settings internal _settings;

    modifier whenNotPaused() {
        if (_settings.paused) revert EnforcedPause();
        _;
    }

    /// @inheritdoc ITributaryAdmin
    function pause() external onlyRole(PAUSER_ROLE) {
        if (_settings.paused) revert EnforcedPause();
        _settings.paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc ITributaryAdmin
    function unpause() external onlyRole(PAUSER_ROLE) {
        if (!_settings.paused) revert ExpectedPause();
        _settings.paused = false;
        emit Unpaused(msg.sender);
    }

    /// @notice Whether the suite is paused (as OpenZeppelin `Pausable`).
    function paused() public view returns (bool) {
        return _settings.paused;
    }
}
