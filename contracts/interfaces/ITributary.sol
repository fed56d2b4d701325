// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITributaryAdmin} from "./ITributaryAdmin.sol";
import {ITributaryCredits} from "./ITributaryCredits.sol";
import {ITributaryLicences} from "./ITributaryLicences.sol";
import {ITributaryRegistry} from "./ITributaryRegistry.sol";
import {ITributarySplits} from "./ITributarySplits.sol";

/// @title The Tributary suite
/// @notice One deployable contract serving the registry, licences, splits and credits
///         interfaces. They share one contract because a purchase reads the registry, pays the
///         split and mints the licence in one call; across contracts each hop would cost a cold
///         account access and a call (see docs/contracts.md). The licence token is ERC-721
///         (`IERC721`, `IERC721Metadata`) and roles follow OpenZeppelin `IAccessControl`.
interface ITributary is ITributaryAdmin, ITributarySplits, ITributaryRegistry, ITributaryCredits, ITributaryLicences {}
