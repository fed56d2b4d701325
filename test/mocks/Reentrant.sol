// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributary} from "../../contracts/interfaces/ITributary.sol";
import {ITributaryTypes} from "../../contracts/interfaces/ITributaryTypes.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

/// @notice A licence recipient whose `onERC721Received` tries to re-enter the suite (buy
///         again, release) mid-purchase, and records how each attempt ended.
contract ReentrantLicenceReceiver is IERC721Receiver, ITributaryTypes {
    ITributary public immutable suite;
    uint256 public datasetId;
    Terms internal _terms;
    bytes public purchaseError;
    bytes public releaseError;
    uint256 public hooks;

    constructor(ITributary suite_) {
        suite = suite_;
    }

    function arm(uint256 id, Terms calldata terms) external {
        datasetId = id;
        _terms.splitHash = terms.splitHash;
        delete _terms.offers;
        for (uint256 i; i < terms.offers.length; ++i) {
            _terms.offers.push(terms.offers[i]);
        }
    }

    function buy(uint256 price) external payable returns (uint256) {
        return suite.purchase{value: price}(datasetId, _terms, 0, address(this));
    }

    function onERC721Received(address, address, uint256, bytes calldata) external returns (bytes4) {
        ++hooks;
        try suite.purchase{value: address(this).balance}(datasetId, _terms, 0, address(this)) {}
        catch (bytes memory reason) {
            purchaseError = reason;
        }
        Split memory split;
        try suite.release(address(0), split, address(this)) {}
        catch (bytes memory reason) {
            releaseError = reason;
        }
        return IERC721Receiver.onERC721Received.selector;
    }

    receive() external payable {}
}

/// @notice A buyer contract that receives ERC-777-style `tokensToSend` hooks from `HookToken`
///         and tries to buy again from inside the hook, during the token pull.
contract HookedBuyer is ITributaryTypes {
    ITributary public immutable suite;
    uint256 internal _datasetId;
    Terms internal _terms;
    bool internal _armed;
    bytes public reentryError;

    constructor(ITributary suite_) {
        suite = suite_;
    }

    function buy(uint256 datasetId, Terms calldata terms) external returns (uint256) {
        _datasetId = datasetId;
        _terms.splitHash = terms.splitHash;
        delete _terms.offers;
        for (uint256 i; i < terms.offers.length; ++i) {
            _terms.offers.push(terms.offers[i]);
        }
        _armed = true;
        return suite.purchase(datasetId, terms, 0, address(this));
    }

    function approve(address token, address spender) external {
        (bool ok,) = token.call(abi.encodeWithSignature("approve(address,uint256)", spender, type(uint256).max));
        require(ok, "approve");
    }

    function tokensToSend(address, address, uint256) external {
        if (!_armed) return;
        _armed = false;
        try suite.purchase(_datasetId, _terms, 0, address(this)) {}
        catch (bytes memory reason) {
            reentryError = reason;
        }
    }

    function tokensReceived(address, address, uint256) external {}

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC721Receiver.onERC721Received.selector;
    }
}
