// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Tributary} from "../../contracts/Tributary.sol";
import {FeeOnTransferToken, MockERC20} from "../mocks/Tokens.sol";
import {Vm, vm} from "./Vm.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Runs one conformance vector of `test/vectors/suite/` (format: its README) against the
///         Solidity build: deploys `Tributary` and the test tokens at the vector's fixed
///         addresses, then sends every call as the vector's raw calldata from its sender and
///         compares the raw return or revert data and the suite's logs byte for byte.
/// @dev The Stylus build runs the same files (`stylus/vectors`). Logs of the test tokens are not
///      compared: their `to` is the suite's paying contract, which differs between the builds;
///      balances are checked by the vectors' balance steps instead.
abstract contract VectorRunner {
    /// @dev Relative to the project root (forge resolves it there): an absolute path would make
    ///      the gas of each test depend on where the repository is checked out.
    string private constant DIRECTORY = "test/vectors/suite/";

    Tributary private suite;

    function _run(string memory file) internal {
        string memory json = vm.readFile(string.concat(DIRECTORY, file));
        _setUp(json);
        for (uint256 i; vm.keyExistsJson(json, _step(i)); ++i) {
            string memory step = _step(i);
            string memory where = string.concat(file, " step ", vm.toString(i));
            bytes32 kind = keccak256(bytes(vm.parseJsonString(json, string.concat(step, ".kind"))));
            if (kind == keccak256("call")) _call(json, step, where);
            else if (kind == keccak256("warp")) vm.warp(vm.parseJsonUint(json, string.concat(step, ".time")));
            else if (kind == keccak256("balance")) _balance(json, step, where);
            else revert(string.concat(where, ": unknown step kind"));
        }
    }

    function _setUp(string memory json) private {
        vm.chainId(vm.parseJsonUint(json, ".setup.chainId"));
        vm.warp(vm.parseJsonUint(json, ".setup.startTime"));
        address admin = vm.parseJsonAddress(json, ".setup.admin");
        address at = vm.parseJsonAddress(json, ".setup.suite");
        bytes memory args = abi.encode(
            admin, vm.parseJsonAddress(json, ".setup.treasury"), uint16(vm.parseJsonUint(json, ".setup.feeBps"))
        );
        suite = Tributary(payable(_deployAt(at, abi.encodePacked(type(Tributary).creationCode, args))));
        vm.startPrank(admin);
        address[] memory relayers = vm.parseJsonAddressArray(json, ".setup.relayers");
        for (uint256 i; i < relayers.length; ++i) {
            suite.grantRole(suite.RELAYER_ROLE(), relayers[i]);
        }
        address[] memory pausers = vm.parseJsonAddressArray(json, ".setup.pausers");
        for (uint256 i; i < pausers.length; ++i) {
            suite.grantRole(suite.PAUSER_ROLE(), pausers[i]);
        }
        vm.stopPrank();
        for (uint256 t; vm.keyExistsJson(json, _token(t)); ++t) {
            _setUpToken(json, _token(t));
        }
        address[] memory allowed = vm.parseJsonAddressArray(json, ".setup.allowedTokens");
        for (uint256 i; i < allowed.length; ++i) {
            vm.prank(admin);
            suite.setTokenAllowed(allowed[i], true);
        }
        for (uint256 i; vm.keyExistsJson(json, _indexed(".setup.eth", i)); ++i) {
            string memory grant = _indexed(".setup.eth", i);
            vm.deal(
                vm.parseJsonAddress(json, string.concat(grant, ".account")),
                vm.parseJsonUint(json, string.concat(grant, ".amount"))
            );
        }
    }

    function _setUpToken(string memory json, string memory token) private {
        address at = vm.parseJsonAddress(json, string.concat(token, ".address"));
        bytes32 kind = keccak256(bytes(vm.parseJsonString(json, string.concat(token, ".kind"))));
        bytes memory code;
        if (kind == keccak256("standard")) {
            code = abi.encodePacked(type(MockERC20).creationCode, abi.encode("USDC", uint8(6)));
        } else if (kind == keccak256("feeOnTransfer")) {
            code = type(FeeOnTransferToken).creationCode;
        } else {
            revert(string.concat(token, ": unknown token kind"));
        }
        _deployAt(at, code);
        for (uint256 g; vm.keyExistsJson(json, _indexed(string.concat(token, ".grants"), g)); ++g) {
            string memory grant = _indexed(string.concat(token, ".grants"), g);
            address account = vm.parseJsonAddress(json, string.concat(grant, ".account"));
            MockERC20(at).mint(account, vm.parseJsonUint(json, string.concat(grant, ".minted")));
            vm.prank(account);
            IERC20(at).approve(address(suite), vm.parseJsonUint(json, string.concat(grant, ".approved")));
        }
    }

    function _call(string memory json, string memory step, string memory where) private {
        address from = vm.parseJsonAddress(json, string.concat(step, ".from"));
        uint256 value = vm.parseJsonUint(json, string.concat(step, ".value"));
        bytes memory calldata_ = vm.parseJsonBytes(json, string.concat(step, ".calldata"));
        vm.recordLogs();
        vm.prank(from);
        (bool success, bytes memory returned) = address(suite).call{value: value}(calldata_);
        // A reverted call's logs are discarded by the chain, but forge records them: drop them.
        Vm.Log[] memory logs = _suiteLogs();
        if (!success) logs = new Vm.Log[](0);
        vm.assertEq(success, vm.parseJsonBool(json, string.concat(step, ".expect.success")), _at(where, "success"));
        vm.assertEq(returned, vm.parseJsonBytes(json, string.concat(step, ".expect.returndata")), _at(where, "data"));
        uint256 expected;
        for (; vm.keyExistsJson(json, _indexed(string.concat(step, ".expect.logs"), expected)); ++expected) {
            string memory log = _indexed(string.concat(step, ".expect.logs"), expected);
            string memory which = _at(where, string.concat("log ", vm.toString(expected)));
            vm.assertTrue(expected < logs.length, string.concat(which, ": not emitted"));
            bytes32[] memory topics = vm.parseJsonBytes32Array(json, string.concat(log, ".topics"));
            vm.assertEq(logs[expected].topics.length, topics.length, string.concat(which, ": topic count"));
            for (uint256 t; t < topics.length; ++t) {
                vm.assertEq(logs[expected].topics[t], topics[t], string.concat(which, ": topic"));
            }
            vm.assertEq(logs[expected].data, vm.parseJsonBytes(json, string.concat(log, ".data")), which);
        }
        vm.assertEq(logs.length, expected, _at(where, "log count"));
    }

    function _balance(string memory json, string memory step, string memory where) private view {
        address token = vm.parseJsonAddress(json, string.concat(step, ".token"));
        string memory holderText = vm.parseJsonString(json, string.concat(step, ".holder"));
        address holder = keccak256(bytes(holderText)) == keccak256("suite")
            ? address(suite)
            : vm.parseJsonAddress(json, string.concat(step, ".holder"));
        uint256 balance = token == address(0) ? holder.balance : IERC20(token).balanceOf(holder);
        vm.assertEq(balance, vm.parseJsonUint(json, string.concat(step, ".expected")), _at(where, "balance"));
    }

    /// @dev Runs `initCode` as if deployed at `at`: the constructor's storage writes land there
    ///      and its returned runtime code is placed there (forge-std's `deployCodeTo`).
    function _deployAt(address at, bytes memory initCode) private returns (address) {
        vm.etch(at, initCode);
        (bool success, bytes memory runtime) = at.call("");
        require(success, "vector setup: constructor reverted");
        vm.etch(at, runtime);
        return at;
    }

    /// @dev The recorded logs the suite emitted, in order.
    function _suiteLogs() private returns (Vm.Log[] memory logs) {
        Vm.Log[] memory all = vm.getRecordedLogs();
        logs = new Vm.Log[](all.length);
        uint256 count;
        for (uint256 i; i < all.length; ++i) {
            if (all[i].emitter == address(suite)) logs[count++] = all[i];
        }
        assembly ("memory-safe") {
            mstore(logs, count)
        }
    }

    function _step(uint256 i) private pure returns (string memory) {
        return _indexed(".steps", i);
    }

    function _token(uint256 i) private pure returns (string memory) {
        return _indexed(".setup.tokens", i);
    }

    function _indexed(string memory array, uint256 i) private pure returns (string memory) {
        return string.concat(array, "[", vm.toString(i), "]");
    }

    function _at(string memory where, string memory what) private pure returns (string memory) {
        return string.concat(where, ": ", what);
    }
}
