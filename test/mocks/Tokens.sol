// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A plain mintable ERC-20 with configurable decimals.
contract MockERC20 is ERC20 {
    uint8 private immutable _decimals;

    constructor(string memory symbol, uint8 decimals_) ERC20(symbol, symbol) {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice Answers `false` instead of reverting when a transfer cannot happen, and `false` on
///         every transfer once `failing` is set (the "returns false" family of ERC-20s).
contract ReturnsFalseToken is MockERC20("FALSE", 18) {
    bool public failing;

    function setFailing(bool value) external {
        failing = value;
    }

    function transfer(address to, uint256 amount) public override returns (bool) {
        if (failing) return false;
        return super.transfer(to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) public override returns (bool) {
        if (failing) return false;
        return super.transferFrom(from, to, amount);
    }
}

/// @notice USDT-style: `transfer` and `transferFrom` return nothing.
contract NoReturnToken {
    string public constant symbol = "USDT";
    uint8 public constant decimals = 6;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    function transfer(address to, uint256 amount) external {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
    }

    function transferFrom(address from, address to, uint256 amount) external {
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}

/// @notice Takes a 1 % fee on every transfer, so the recipient gets less than was sent.
contract FeeOnTransferToken is MockERC20("FEE", 18) {
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / 100;
        super._update(from, address(0xFEE), fee);
        super._update(from, to, value - fee);
    }
}

/// @notice Receives ERC-777-style hooks from `HookToken`.
interface ITokenHooks {
    function tokensToSend(address from, address to, uint256 amount) external;
    function tokensReceived(address from, address to, uint256 amount) external;
}

/// @notice ERC-777-style: calls the sender's and the recipient's hooks (when they are contracts)
///         on every transfer, which hands control to them mid-transfer. A contract without the
///         hook (empty revert data) is skipped, as an account without an ERC-1820 registration
///         would be; a hook that reverts with a reason reverts the transfer.
contract HookToken is MockERC20("HOOK", 18) {
    function _update(address from, address to, uint256 value) internal override {
        if (from.code.length != 0) _hook(from, abi.encodeCall(ITokenHooks.tokensToSend, (from, to, value)));
        super._update(from, to, value);
        if (to.code.length != 0) _hook(to, abi.encodeCall(ITokenHooks.tokensReceived, (from, to, value)));
    }

    function _hook(address account, bytes memory call) private {
        (bool ok, bytes memory reason) = account.call(call);
        if (!ok && reason.length != 0) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }
}
