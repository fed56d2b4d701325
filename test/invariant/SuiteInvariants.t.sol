// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MockERC20} from "../mocks/Tokens.sol";
import {TributaryTest} from "../utils/TributaryTest.sol";
import {vm} from "../utils/Vm.sol";
import {SuiteHandler} from "./SuiteHandler.sol";

/// @notice The suite's invariants (DESIGN.md, `Tributary`'s notes), checked after every call of
///         a `SuiteHandler` campaign: the split books add up per token and the suite holds
///         exactly what it owes; a payment id is credited at most once; every licence comes
///         from a recorded paid, credited or custom issue; only creators change datasets;
///         `isLicensed` never over-states; non-transferable licences never move.
contract SuiteInvariants is TributaryTest {
    /// @dev Read by forge's invariant runner (as forge-std's StdInvariant declares it).
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    SuiteHandler internal handler;
    MockERC20 internal usdc;

    function setUp() public override {
        super.setUp();
        usdc = new MockERC20("USDC", 6);
        vm.prank(admin);
        suite.setTokenAllowed(address(usdc), true);
        handler = new SuiteHandler(suite, usdc);
        vm.label(address(handler), "SuiteHandler");
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](17);
        selectors[0] = SuiteHandler.register.selector;
        selectors[1] = SuiteHandler.register.selector; // twice: datasets early in a run
        selectors[2] = SuiteHandler.setTerms.selector;
        selectors[3] = SuiteHandler.setStatus.selector;
        selectors[4] = SuiteHandler.publishVersion.selector;
        selectors[5] = SuiteHandler.issueCustomLicence.selector;
        selectors[6] = SuiteHandler.strangerMutation.selector;
        selectors[7] = SuiteHandler.purchase.selector;
        selectors[8] = SuiteHandler.purchaseWithCredits.selector;
        selectors[9] = SuiteHandler.transferLicence.selector;
        selectors[10] = SuiteHandler.refreshLicence.selector;
        selectors[11] = SuiteHandler.mintCredits.selector;
        selectors[12] = SuiteHandler.reverseCredits.selector;
        selectors[13] = SuiteHandler.release.selector;
        selectors[14] = SuiteHandler.releaseProtocolFees.selector;
        selectors[15] = SuiteHandler.setProtocolFee.selector;
        selectors[16] = SuiteHandler.warp.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), selectors);
    }

    // ================================================================== splits

    /// @dev Per token: paid in == Σ released + Σ releasable + Σ unallocated rounding + fees owed
    ///      + fees released; per split, the rounding is below its number of payees; the
    ///      suite's released views agree with what the handler saw paid out.
    function invariant_splitBooksAddUpPerToken() public view {
        vm.assertEq(handler.ghostPayoutMismatches(), 0, "a release paid other than it booked");
        for (uint256 t; t < 3; ++t) {
            address token = handler.tokenAt(t);
            uint256 releasedSum;
            uint256 releasableSum;
            uint256 unallocatedSum;
            for (uint256 i; i < handler.splitCount(); ++i) {
                Split memory split = handler.splitAt(i);
                bytes32 splitHash = _hashSplit(split);
                uint256 received = suite.totalReceived(splitHash, token);
                uint256 entitled;
                for (uint256 j; j < split.payees.length; ++j) {
                    uint256 released = suite.released(splitHash, token, split.payees[j]);
                    uint256 releasable = suite.releasable(token, split, split.payees[j]);
                    releasedSum += released;
                    releasableSum += releasable;
                    entitled += released + releasable;
                }
                vm.assertLe(entitled, received, "payees entitled to more than the split received");
                vm.assertLt(received - entitled, split.payees.length, "rounding not below the payee count");
                unallocatedSum += received - entitled;
            }
            vm.assertEq(releasedSum, handler.ghostReleased(token), "released views != releases seen");
            vm.assertEq(
                handler.ghostPaidIn(token),
                releasedSum + releasableSum + unallocatedSum + suite.protocolFeesOwed(token)
                    + handler.ghostFeesReleased(token),
                "paid in != released + releasable + rounding + fees owed + fees released"
            );
        }
    }

    /// @dev The suite's ETH and ERC-20 balances are exactly what it still owes: releasable +
    ///      unallocated rounding (received − released, per split) + protocol fees owed.
    function invariant_suiteHoldsExactlyWhatIsOwed() public view {
        for (uint256 t; t < 2; ++t) {
            address token = handler.tokenAt(t);
            uint256 owed = suite.protocolFeesOwed(token);
            for (uint256 i; i < handler.splitCount(); ++i) {
                Split memory split = handler.splitAt(i);
                bytes32 splitHash = _hashSplit(split);
                owed += suite.totalReceived(splitHash, token);
                for (uint256 j; j < split.payees.length; ++j) {
                    owed -= suite.released(splitHash, token, split.payees[j]);
                }
            }
            uint256 balance = token == address(0) ? address(suite).balance : usdc.balanceOf(address(suite));
            vm.assertEq(balance, owed, "suite balance != what it owes");
        }
    }

    // ================================================================== credits

    /// @dev No payment id is credited twice; each record and every balance match the ledger
    ///      of what succeeded (balance == Σ unspent credits of unreversed payments).
    function invariant_paymentIdCreditedAtMostOnce() public view {
        vm.assertEq(handler.ghostUnauthorisedSpends(), 0, "credits spent by a stranger or after reversal");
        uint256[4] memory expected;
        for (uint256 i; i < handler.paymentIdCount(); ++i) {
            bytes32 paymentId = handler.paymentIdAt(i);
            (address account, uint256 amount, uint256 spent, bool reversed, uint256 credited) =
                handler.ghostPayment(paymentId);
            vm.assertLe(credited, 1, "payment id credited more than once");
            CreditPayment memory record = suite.creditPayment(paymentId);
            vm.assertEq(record.account, account, "record account");
            vm.assertEq(record.amount, amount, "record amount");
            vm.assertEq(record.spent, spent, "record spent");
            vm.assertEq(record.reversed, reversed, "record reversed");
            if (reversed || account == address(0)) continue;
            for (uint256 h; h < 4; ++h) {
                if (handler.holderAt(h) == account) expected[h] += amount - spent;
            }
        }
        for (uint256 h; h < 4; ++h) {
            vm.assertEq(suite.creditBalance(handler.holderAt(h)), expected[h], "credit balance");
        }
    }

    // ================================================================== licences

    /// @dev Every LicenceIssued event belongs to a purchase, credit purchase or custom issue the
    ///      handler saw succeed, and so does every ERC-721 mint; serials are 1..N, all held by
    ///      the pool.
    function invariant_everyLicenceHasARecordedIssue() public view {
        uint256 n = handler.ghostLicences();
        uint256 recordedIssues =
            handler.ghostPaidLicences() + handler.ghostCreditLicences() + handler.ghostCustomLicences();
        vm.assertEq(handler.ghostIssuedEvents(), recordedIssues, "LicenceIssued events != recorded issues");
        vm.assertEq(n, recordedIssues, "licences != recorded issues");
        vm.assertEq(handler.ghostMints(), n, "ERC-721 mints != recorded issues");
        vm.assertEq(handler.ghostUnexplainedEvents(), 0, "a licence without a recorded issue");
        for (uint256 serial = 1; serial <= n; ++serial) {
            uint256 tokenId = handler.tokenIdAt(serial);
            vm.assertTrue(handler.ghostSource(tokenId) != SuiteHandler.Source.None, "unknown source");
            suite.ownerOf(tokenId); // reverts if missing
        }
        uint256 held;
        for (uint256 h; h < handler.holderCount(); ++h) {
            held += suite.balanceOf(handler.holderAt(h));
        }
        vm.assertEq(held, n, "licences outside the holder pool");
    }

    /// @dev `isLicensed(h, d)` implies h owns an unexpired licence for d; more strictly, a
    ///      non-zero `licensedUntil` is the expiry of a licence h holds for d.
    function invariant_isLicensedNeverOverstates() public view {
        uint256 n = handler.ghostLicences();
        address[] memory owners = new address[](n + 1);
        Licence[] memory licences = new Licence[](n + 1);
        for (uint256 serial = 1; serial <= n; ++serial) {
            owners[serial] = suite.ownerOf(handler.tokenIdAt(serial));
            licences[serial] = suite.licence(handler.tokenIdAt(serial));
        }
        for (uint256 h; h < handler.holderCount(); ++h) {
            address holder = handler.holderAt(h);
            for (uint256 i; i < handler.datasetCount(); ++i) {
                uint256 id = handler.datasetAt(i);
                uint64 until = suite.licensedUntil(holder, id);
                bool licensed = suite.isLicensed(holder, id);
                if (!licensed && until == 0) continue;
                bool unexpiredHeld;
                bool untilHeld;
                for (uint256 serial = 1; serial <= n; ++serial) {
                    if (owners[serial] != holder || licences[serial].datasetId != id) continue;
                    if (licences[serial].expiresAt > block.timestamp) unexpiredHeld = true;
                    if (licences[serial].expiresAt == until) untilHeld = true;
                }
                if (licensed) vm.assertTrue(unexpiredHeld, "isLicensed without an unexpired licence");
                if (until != 0) vm.assertTrue(untilHeld, "licensedUntil is no held licence's expiry");
            }
        }
    }

    /// @dev A non-transferable licence stays with the account it was issued to.
    function invariant_nonTransferableLicencesNeverMove() public view {
        vm.assertEq(handler.ghostNonTransferableMoved(), 0, "a non-transferable licence moved");
        for (uint256 serial = 1; serial <= handler.ghostLicences(); ++serial) {
            uint256 tokenId = handler.tokenIdAt(serial);
            if (handler.ghostTransferable(tokenId)) continue;
            vm.assertEq(suite.ownerOf(tokenId), handler.ghostFirstHolder(tokenId), "non-transferable holder changed");
        }
    }

    // ================================================================== registry

    /// @dev Strangers' attempts (direct, or signed by the wrong key) all reverted; each
    ///      dataset's creator, status, version count and terms are exactly what its creator set.
    function invariant_onlyCreatorChangesDataset() public view {
        vm.assertEq(handler.ghostStrangerSuccesses(), 0, "a stranger changed a dataset");
        vm.assertEq(suite.datasetCount(), handler.datasetCount(), "dataset count");
        for (uint256 i; i < handler.datasetCount(); ++i) {
            uint256 id = handler.datasetAt(i);
            (address creator_, DatasetStatus status, uint32 versions, bytes32 termsHash) = suite.dataset(id);
            (address ghostCreator, DatasetStatus ghostStatus, uint32 ghostVersions, bytes32 ghostTerms) =
                handler.ghostDataset(id);
            vm.assertEq(creator_, ghostCreator, "creator changed");
            vm.assertEq(uint256(status), uint256(ghostStatus), "status changed by someone else");
            vm.assertEq(versions, ghostVersions, "versions changed by someone else");
            vm.assertEq(termsHash, ghostTerms, "terms changed by someone else");
        }
    }

    // ================================================================== helpers

    function _hashSplit(Split memory split) internal pure returns (bytes32) {
        return keccak256(abi.encode(split.payees, split.shares));
    }
}
