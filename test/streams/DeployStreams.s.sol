// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {vm} from "../utils/Vm.sol";
import {
    SuperfluidFrameworkDeployer
} from "@superfluid-finance/ethereum-contracts/contracts/utils/SuperfluidFrameworkDeployer.t.sol";

/// @dev The cheatcodes this script needs beyond the project's `Vm` (same cheatcode address).
interface ScriptVm {
    function envAddress(string calldata name) external view returns (address value);
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory value);
}

/// @dev What the script needs of the suite (AccessControl and the token allow-list).
interface ISuiteAdmin {
    function hasRole(bytes32 role, address account) external view returns (bool);
    function setTokenAllowed(address token, bool allowed) external;
}

/// @notice Deploys Superfluid's whole test framework (`SuperfluidFrameworkDeployer`, step by step,
///         each step its own transaction), a pure Super Token whose supply goes to the deployer,
///         and `TributaryStreams` beside an existing suite, on a development chain. Used by
///         scripts/deploy-streams.sh, which first puts the ERC-1820 registry in place with
///         `anvil_setCode` (a script's `vm.etch` does not reach the chain) and then records the
///         returned addresses in the deployment file.
/// @dev Run in the `streams` profile (Superfluid compiles without IR there). Environment:
///      `DEPLOYER_KEY` (required), `TRIBUTARY` (the suite, required), `SUPPLY` (the Super Token's
///      supply in wei, default 1e30), `TOKEN_NAME`, `TOKEN_SYMBOL` (default "Stream Token",
///      "STRx"). If the deployer is the suite's admin, the Super Token is allow-listed.
///      `TributaryStreams` is deployed from its IR artifact, the bytecode the tests use.
contract DeployStreams {
    ScriptVm private constant svm = ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice The addresses the script deployed.
    struct Deployed {
        address host;
        address cfaV1Forwarder;
        address gdaV1Forwarder;
        address superTokenFactory;
        address superToken;
        address streams;
        bool tokenAllowed;
    }

    function run() external returns (Deployed memory out) {
        uint256 deployerKey = vm.envUint("DEPLOYER_KEY");
        address tributary = svm.envAddress("TRIBUTARY");

        vm.startBroadcast(deployerKey);
        SuperfluidFrameworkDeployer sfDeployer = new SuperfluidFrameworkDeployer();
        uint8 steps = sfDeployer.getNumSteps();
        for (uint8 step = 0; step < steps; ++step) {
            sfDeployer.executeStep(step);
        }
        SuperfluidFrameworkDeployer.Framework memory sf = sfDeployer.getFramework();
        out.host = address(sf.host);
        out.cfaV1Forwarder = address(sf.cfaV1Forwarder);
        out.gdaV1Forwarder = address(sf.gdaV1Forwarder);
        out.superTokenFactory = address(sf.superTokenFactory);
        out.superToken = address(
            sfDeployer.deployPureSuperToken(
                svm.envOr("TOKEN_NAME", "Stream Token"),
                svm.envOr("TOKEN_SYMBOL", "STRx"),
                vm.envOr("SUPPLY", uint256(1e30))
            )
        );
        out.streams =
            _deploy("TributaryStreams.sol:TributaryStreams", abi.encode(tributary, address(sf.gdaV1Forwarder)));
        out.tokenAllowed = ISuiteAdmin(tributary).hasRole(bytes32(0), vm.addr(deployerKey));
        if (out.tokenAllowed) {
            ISuiteAdmin(tributary).setTokenAllowed(out.superToken, true);
        }
        vm.stopBroadcast();
    }

    function _deploy(string memory artifact, bytes memory args) internal returns (address deployed) {
        bytes memory code = abi.encodePacked(vm.getCode(artifact), args);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(deployed != address(0), artifact);
    }
}
