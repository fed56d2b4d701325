// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributary} from "../../contracts/interfaces/ITributary.sol";
import {ITributaryTypes} from "../../contracts/interfaces/ITributaryTypes.sol";
import {ITokenHooks, MockERC20} from "./Tokens.sol";

/// @notice A payee contract that, when paid (ETH `receive` or an ERC-777-style `tokensReceived`),
///         re-enters `release` once: first for itself, then for every other payee of the split.
///         It records what the re-entered calls did, so a test can check nobody was paid twice.
contract ReentrantPayee is ITokenHooks {
    ITributary public immutable suite;

    ITributaryTypes.Split internal _split;
    address public token;
    bool public armed;

    /// @notice Times a payment handed control to this contract while armed.
    uint256 public reentries;
    /// @notice What the re-entered release for itself paid (must stay zero).
    uint256 public selfReleasedOnReentry;
    /// @notice The revert selector of the re-entered release for itself.
    bytes4 public selfReleaseError;
    /// @notice What the re-entered releases for the other payees paid them.
    uint256 public othersReleasedOnReentry;

    constructor(ITributary suite_) {
        suite = suite_;
    }

    /// @notice Re-enter on the next payment in `token_` (ETH is `address(0)`) from `split`.
    function arm(address token_, ITributaryTypes.Split calldata split) external {
        token = token_;
        _split = split;
        armed = true;
    }

    /// @notice Register this contract for the hooks of an opt-in hook token.
    function optInHooks(RegisteredHookToken hookToken) external {
        hookToken.setHooked(true);
    }

    receive() external payable {
        if (token == address(0)) _reenter();
    }

    function tokensToSend(address, address, uint256) external {}

    function tokensReceived(address, address, uint256) external {
        if (msg.sender == token) _reenter();
    }

    function _reenter() private {
        if (!armed) return;
        armed = false; // one level deep is enough: a second level would find even less due
        ++reentries;
        try suite.release(token, _split, address(this)) returns (uint256 amount) {
            selfReleasedOnReentry += amount;
        } catch (bytes memory reason) {
            selfReleaseError = bytes4(reason);
        }
        address[] memory payees = _split.payees;
        for (uint256 i; i < payees.length; ++i) {
            if (payees[i] == address(this)) continue;
            try suite.release(token, _split, payees[i]) returns (uint256 amount) {
                othersReleasedOnReentry += amount;
            } catch {}
        }
    }
}

/// @notice A payee contract that refuses ETH.
contract RejectingPayee {
    error Rejected();

    receive() external payable {
        revert Rejected();
    }
}

/// @notice ERC-777-style token with ERC-1820-style opt-in: only accounts that registered get the
///         `tokensToSend` / `tokensReceived` hooks (the provided `HookToken` calls them on every
///         contract, including the suite, which implements neither).
contract RegisteredHookToken is MockERC20("RHOOK", 18) {
    mapping(address account => bool) public hooked;

    function setHooked(bool on) external {
        hooked[msg.sender] = on;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (hooked[from]) ITokenHooks(from).tokensToSend(from, to, value);
        super._update(from, to, value);
        if (hooked[to]) ITokenHooks(to).tokensReceived(from, to, value);
    }
}
