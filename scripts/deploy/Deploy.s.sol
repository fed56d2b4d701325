// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Tributary} from "../../contracts/Tributary.sol";
import {vm} from "../../test/utils/Vm.sol";

/// @notice Deploys the Tributary suite to any RPC URL and writes `deployments/<chainId>.json`.
/// @dev Environment: `DEPLOYER_KEY` (required), `ADMIN`, `TREASURY`, `RELAYER`, `PAUSER`
///      (default: the deployer), `FEE_BPS` (default 250). Used by scripts/deploy.sh.
contract Deploy {
    function run() external returns (Tributary suite) {
        uint256 deployerKey = vm.envUint("DEPLOYER_KEY");
        address deployer = vm.addr(deployerKey);
        address admin = vm.envOr("ADMIN", deployer);
        address treasury = vm.envOr("TREASURY", deployer);
        address relayer = vm.envOr("RELAYER", deployer);
        address pauser = vm.envOr("PAUSER", deployer);
        uint16 feeBps = uint16(vm.envOr("FEE_BPS", uint256(250)));

        vm.startBroadcast(deployerKey);
        // The deployer is admin while it grants the roles, then hands over if asked.
        suite = new Tributary(deployer, treasury, feeBps);
        suite.grantRole(suite.RELAYER_ROLE(), relayer);
        suite.grantRole(suite.PAUSER_ROLE(), pauser);
        if (admin != deployer) {
            suite.grantRole(suite.DEFAULT_ADMIN_ROLE(), admin);
            suite.renounceRole(suite.DEFAULT_ADMIN_ROLE(), deployer);
        }
        vm.stopBroadcast();

        string memory json = "deployment";
        vm.serializeUint(json, "chainId", block.chainid);
        vm.serializeUint(json, "blockNumber", block.number);
        vm.serializeAddress(json, "admin", admin);
        vm.serializeAddress(json, "treasury", treasury);
        vm.serializeAddress(json, "relayer", relayer);
        vm.serializeAddress(json, "pauser", pauser);
        string memory out = vm.serializeAddress(json, "tributary", address(suite));
        vm.writeJson(out, string.concat("deployments/", vm.toString(block.chainid), ".json"));
    }
}
