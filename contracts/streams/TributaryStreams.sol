// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITributary} from "../interfaces/ITributary.sol";
import {ITributaryStreams} from "../interfaces/ITributaryStreams.sol";
import {CREDITS} from "../interfaces/ITributaryTypes.sol";
import {IGDAv1ForwarderMinimal, ISuperTokenMinimal, ISuperfluidPoolMinimal, PoolConfig} from "./SuperfluidMinimal.sol";

/// @title TributaryStreams
/// @notice Superfluid subscriptions for the datasets of a `Tributary` suite: one GDA pool per
///         (dataset, Super Token), member units mirroring the split and the protocol fee, and a
///         licence view that reads the buyer's flow to the pool. See `ITributaryStreams` and
///         docs/streaming.md.
contract TributaryStreams is ITributaryStreams {
    /// @dev A (dataset, Super Token): its pool (kept once created) and the minimum rate now
    ///      offered (0: not offered at the last sync).
    struct Subscription {
        address pool;
        int96 minFlowRate;
    }

    uint256 private constant BPS = 10_000;

    ITributary private immutable _tributary;
    IGDAv1ForwarderMinimal private immutable _gda;

    mapping(uint256 datasetId => mapping(address token => Subscription)) private _subscriptions;
    /// @dev Tokens of the subscription offers at the last sync.
    mapping(uint256 datasetId => address[]) private _offered;
    /// @dev Every token that has a pool for the dataset.
    mapping(uint256 datasetId => address[]) private _pooled;
    /// @dev Members at the last sync and their units (the same in every pool of the dataset).
    mapping(uint256 datasetId => address[]) private _memberAccounts;
    mapping(uint256 datasetId => uint128[]) private _memberUnits;
    mapping(uint256 datasetId => bytes32) private _syncedTermsHash;

    constructor(address tributary_, address gdaForwarder_) {
        require(tributary_.code.length != 0 && gdaForwarder_.code.length != 0);
        _tributary = ITributary(tributary_);
        _gda = IGDAv1ForwarderMinimal(gdaForwarder_);
    }

    // ------------------------------------------------------------------ writes

    /// @inheritdoc ITributaryStreams
    function sync(uint256 datasetId, Split calldata split, Offer[] calldata offers) external {
        (, DatasetStatus status,, bytes32 termsHash) = _tributary.dataset(datasetId);
        if (status == DatasetStatus.None) revert UnknownDataset(datasetId);
        if (_tributary.hashTerms(_tributary.hashSplit(split), offers) != termsHash) revert TermsMismatch(datasetId);

        _syncOffers(datasetId, offers);
        (address[] memory accounts, uint128[] memory units) = _membersFor(split);
        _syncUnits(datasetId, split.payees, accounts, units);
        _memberAccounts[datasetId] = accounts;
        _memberUnits[datasetId] = units;
        _syncedTermsHash[datasetId] = termsHash;
        emit TermsSynced(datasetId, termsHash);
    }

    /// @inheritdoc ITributaryStreams
    function sweep(address token) external returns (uint256 amount) {
        (, address treasury) = _tributary.protocolFee();
        amount = ISuperTokenMinimal(token).balanceOf(address(this));
        if (amount != 0) {
            require(ISuperTokenMinimal(token).transfer(treasury, amount));
            emit DustSwept(token, treasury, amount);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITributaryStreams
    function tributary() external view returns (address) {
        return address(_tributary);
    }

    /// @inheritdoc ITributaryStreams
    function gdaForwarder() external view returns (address) {
        return address(_gda);
    }

    /// @inheritdoc ITributaryStreams
    function poolOf(uint256 datasetId, address token) external view returns (address) {
        return _subscriptions[datasetId][token].pool;
    }

    /// @inheritdoc ITributaryStreams
    function subscriptionTerms(uint256 datasetId, address token)
        external
        view
        returns (address pool, int96 minFlowRate)
    {
        Subscription storage s = _subscriptions[datasetId][token];
        return (s.pool, s.minFlowRate);
    }

    /// @inheritdoc ITributaryStreams
    function subscriptionTokens(uint256 datasetId) external view returns (address[] memory) {
        return _offered[datasetId];
    }

    /// @inheritdoc ITributaryStreams
    function poolTokens(uint256 datasetId) external view returns (address[] memory) {
        return _pooled[datasetId];
    }

    /// @inheritdoc ITributaryStreams
    function members(uint256 datasetId) external view returns (address[] memory accounts, uint128[] memory units) {
        return (_memberAccounts[datasetId], _memberUnits[datasetId]);
    }

    /// @inheritdoc ITributaryStreams
    function syncedTermsHash(uint256 datasetId) external view returns (bytes32) {
        return _syncedTermsHash[datasetId];
    }

    /// @inheritdoc ITributaryStreams
    function flowRate(address account, uint256 datasetId, address token) external view returns (int96) {
        address pool = _subscriptions[datasetId][token].pool;
        if (pool == address(0)) return 0;
        return _gda.getFlowDistributionFlowRate(token, account, pool);
    }

    /// @inheritdoc ITributaryStreams
    function requiredFlowRate(uint256 datasetId, address token) external view returns (int96) {
        Subscription storage s = _subscriptions[datasetId][token];
        int96 minimum = s.minFlowRate;
        if (minimum == 0) return 0;
        // forge-lint: disable-next-line(unsafe-typecast) a recorded minimum is positive
        uint256 required = uint256(uint96(minimum)) + ISuperfluidPoolMinimal(s.pool).getTotalUnits() - 1;
        // forge-lint: disable-next-line(unsafe-typecast) capped at the int96 maximum
        return required > uint96(type(int96).max) ? type(int96).max : int96(uint96(required));
    }

    /// @inheritdoc ITributaryStreams
    function isSubscribed(address account, uint256 datasetId) public view returns (bool) {
        address[] storage tokens = _offered[datasetId];
        uint256 count = tokens.length;
        for (uint256 i; i < count; ++i) {
            address token = tokens[i];
            Subscription storage s = _subscriptions[datasetId][token];
            if (
                _gda.getFlowDistributionFlowRate(token, account, s.pool) >= s.minFlowRate
                    && !ISuperTokenMinimal(token).isAccountCriticalNow(account)
            ) return true;
        }
        return false;
    }

    /// @inheritdoc ITributaryStreams
    function isLicensed(address account, uint256 datasetId) external view returns (bool) {
        if (_tributary.isLicensed(account, datasetId)) return true;
        (, DatasetStatus status,,) = _tributary.dataset(datasetId);
        return status == DatasetStatus.Active && isSubscribed(account, datasetId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Records the minimum rate of each offered token (the lowest over its offers), zeroes
    ///      the tokens no longer offered and creates missing pools.
    function _syncOffers(uint256 datasetId, Offer[] calldata offers) private {
        mapping(address => Subscription) storage subscriptions = _subscriptions[datasetId];
        address[] storage offered = _offered[datasetId];
        for (uint256 i = offered.length; i != 0; --i) {
            subscriptions[offered[i - 1]].minFlowRate = 0;
            offered.pop();
        }
        for (uint256 i; i < offers.length; ++i) {
            Offer calldata offer = offers[i];
            if (offer.kind != OfferKind.Subscription) continue;
            address token = offer.paymentToken;
            uint128 price = offer.price;
            if (token == address(0) || token == CREDITS || price == 0 || price > uint96(type(int96).max)) {
                revert InvalidSubscriptionOffer(i);
            }
            // forge-lint: disable-next-line(unsafe-typecast) bounded by the check above
            int96 rate = int96(uint96(price));
            Subscription storage s = subscriptions[token];
            if (s.pool == address(0)) {
                (, address pool) = _gda.createPool(
                    token,
                    address(this),
                    PoolConfig({transferabilityForUnitsOwner: false, distributionFromAnyAddress: true})
                );
                s.pool = pool;
                _pooled[datasetId].push(token);
                emit PoolCreated(datasetId, token, pool);
            }
            if (s.minFlowRate == 0) {
                s.minFlowRate = rate;
                offered.push(token);
            } else if (rate < s.minFlowRate) {
                s.minFlowRate = rate;
            }
        }
        address[] storage pooled = _pooled[datasetId];
        for (uint256 i; i < pooled.length; ++i) {
            Subscription storage s = subscriptions[pooled[i]];
            emit SubscriptionSynced(datasetId, pooled[i], s.pool, s.minFlowRate);
        }
    }

    /// @dev The members for `split` under the protocol fee now in force: payee i holds
    ///      `share_i * (10000 - feeBps)` units, the treasury `sum(shares) * feeBps` (added to its
    ///      payee units if it is a payee, else appended as the last member), all divided by
    ///      their greatest common divisor so the pool's total units, the step the GDA rounds a
    ///      flow to, stay small.
    function _membersFor(Split calldata split)
        private
        view
        returns (address[] memory accounts, uint128[] memory units)
    {
        (uint16 feeBps, address treasury) = _tributary.protocolFee();
        uint256 count = split.payees.length;
        uint256 total;
        uint256 treasuryIndex = type(uint256).max;
        for (uint256 i; i < count; ++i) {
            total += split.shares[i];
            if (split.payees[i] == treasury) treasuryIndex = i;
        }
        uint256 feeUnits = treasury == address(0) ? 0 : total * feeBps;
        bool appendTreasury = feeUnits != 0 && treasuryIndex == type(uint256).max;
        accounts = new address[](appendTreasury ? count + 1 : count);
        units = new uint128[](accounts.length);
        uint256 divisor;
        for (uint256 i; i < accounts.length; ++i) {
            uint256 u;
            if (i < count) {
                accounts[i] = split.payees[i];
                u = uint256(split.shares[i]) * (BPS - feeBps);
                if (i == treasuryIndex) u += feeUnits;
            } else {
                accounts[i] = treasury;
                u = feeUnits;
            }
            // forge-lint: disable-next-line(unsafe-typecast) at most 2^32 * 256 * 10^4 < 2^128
            units[i] = uint128(u);
            divisor = _gcd(divisor, u);
        }
        for (uint256 i; i < units.length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) a quotient of a uint128
            units[i] = uint128(units[i] / divisor);
        }
    }

    /// @dev Sets every pool's units: old members absent from the new split go to zero, new
    ///      members get their units; unchanged members are left alone.
    function _syncUnits(uint256 datasetId, address[] calldata payees, address[] memory accounts, uint128[] memory units)
        private
    {
        address[] storage oldAccounts = _memberAccounts[datasetId];
        address[] storage pooled = _pooled[datasetId];
        // A member appended after the payees is the treasury.
        address extra = accounts.length > payees.length ? accounts[accounts.length - 1] : address(0);
        for (uint256 p; p < pooled.length; ++p) {
            address token = pooled[p];
            ISuperfluidPoolMinimal pool = ISuperfluidPoolMinimal(_subscriptions[datasetId][token].pool);
            for (uint256 i; i < oldAccounts.length; ++i) {
                address old = oldAccounts[i];
                if (old != extra && !_sortedContains(payees, old)) _setUnits(datasetId, token, pool, old, 0);
            }
            for (uint256 i; i < accounts.length; ++i) {
                _setUnits(datasetId, token, pool, accounts[i], units[i]);
            }
        }
    }

    function _setUnits(uint256 datasetId, address token, ISuperfluidPoolMinimal pool, address member, uint128 units)
        private
    {
        if (pool.getUnits(member) == units) return;
        pool.updateMemberUnits(member, units);
        emit MemberUnitsUpdated(datasetId, token, member, address(pool), units);
    }

    /// @dev Binary search in a strictly ascending list (a split's payees).
    function _sortedContains(address[] calldata sorted, address account) private pure returns (bool) {
        uint256 low;
        uint256 high = sorted.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            address at = sorted[mid];
            if (at == account) return true;
            if (at < account) low = mid + 1;
            else high = mid;
        }
        return false;
    }

    function _gcd(uint256 a, uint256 b) private pure returns (uint256) {
        while (b != 0) {
            (a, b) = (b, a % b);
        }
        return a;
    }
}
