// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributary} from "./interfaces/ITributary.sol";
import {ITributaryRegistry} from "./interfaces/ITributaryRegistry.sol";
import {Licences} from "./modules/Licences.sol";
import {Registry} from "./modules/Registry.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title Tributary: the creator payment layer for AI training data (Solidity build)
/// @notice Dataset registry, licence NFTs, royalty splits and fiat credits in one contract,
///         implementing `ITributary`. The modules live in `contracts/modules/`, one job each.
/// @dev Invariants (tested in test/invariant/): per token, paid in = released + releasable +
///      unallocated rounding + protocol fees; a payment id is credited at most once; a licence
///      exists only for a paid or credited purchase or a creator's custom deal; only the creator
///      (or their signature) changes a dataset.
contract Tributary is Licences, ITributary {
    /// @param admin Receives `DEFAULT_ADMIN_ROLE` (grants the other roles).
    /// @param treasury Receives protocol fees.
    /// @param feeBps Protocol fee in basis points, at most `MAX_FEE_BPS`.
    constructor(address admin, address treasury, uint16 feeBps) EIP712("Tributary", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setProtocolFee(feeBps, treasury);
    }

    /// @inheritdoc ITributaryRegistry
    function nonces(address account) public view override(Registry, ITributaryRegistry) returns (uint256) {
        return super.nonces(account);
    }
}
