// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Tributary} from "../../contracts/Tributary.sol";
import {ITributaryLicences} from "../../contracts/interfaces/ITributaryLicences.sol";
import {CREDITS} from "../../contracts/interfaces/ITributaryTypes.sol";
import {MockERC20} from "../mocks/Tokens.sol";
import {TributaryTest} from "../utils/TributaryTest.sol";
import {Vm, vm} from "../utils/Vm.sol";

/// @notice Drives the suite for the invariant tests: registrations, ETH / ERC-20 / credit
///         purchases, custom licences, credit mints and reversals, releases, fee changes and
///         releases, term and status changes by creators, mutation attempts by strangers,
///         licence transfers and refreshes, and time. Every action picks its inputs from small
///         pools (so accounts, splits and payment ids repeat), catches the suite's reverts, and
///         books what succeeded in ghost variables the invariants compare with the suite.
/// @dev Handler functions never assert (with `fail_on_revert = false` a failed assertion would
///      be discarded): anything unexpected is counted in a ghost the invariants require to be 0.
contract SuiteHandler is TributaryTest {
    uint256 internal constant MAX_DATASETS = 8;
    uint256 internal constant PAYMENT_IDS = 16;
    bytes32 internal constant TRANSFER_EVENT = keccak256("Transfer(address,address,uint256)");
    bytes32 internal constant SET_TERMS_TYPEHASH =
        keccak256("SetTerms(uint256 datasetId,bytes32 termsHash,uint256 nonce,uint256 deadline)");

    enum Source {
        None,
        Paid,
        Credited,
        Custom
    }

    struct DatasetGhost {
        address creator;
        DatasetStatus status;
        uint32 versions;
        bytes32 termsHash;
    }

    struct PaymentGhost {
        address account;
        uint256 amount;
        uint256 spent;
        bool reversed;
        uint256 credited;
    }

    MockERC20 public usdc;
    address[4] internal _holders = [address(0xB0B), address(0xB0B2), address(0xB0B3), address(0xCA4D)];
    address[3] internal _creators;
    uint256[3] internal _creatorKeys;
    bytes32[PAYMENT_IDS] internal _paymentIds;
    bytes[] internal _splitTable; // abi-encoded Split
    uint256[] internal _datasetIds;
    mapping(uint256 datasetId => bytes) internal _termsBlob; // abi.encode(splitIndex, offers)

    // ------------------------------------------------------------------ ghosts

    mapping(address token => uint256) public ghostPaidIn;
    mapping(address token => uint256) public ghostReleased;
    mapping(address token => uint256) public ghostFeesReleased;
    uint256 public ghostPayoutMismatches;

    mapping(uint256 datasetId => DatasetGhost) public ghostDataset;
    uint256 public ghostStrangerAttempts;
    uint256 public ghostStrangerSuccesses;

    mapping(bytes32 paymentId => PaymentGhost) public ghostPayment;
    uint256 public ghostUnauthorisedSpends;

    uint256 public ghostLicences; // also the serial of the last token id
    /// @dev Token ids in issue order: `ghostTokenIds[serial - 1]`.
    uint256[] internal _ghostTokenIds;
    mapping(uint256 tokenId => Source) public ghostSource;
    mapping(uint256 tokenId => bool) public ghostTransferable;
    mapping(uint256 tokenId => address) public ghostFirstHolder;
    uint256 public ghostPaidLicences;
    uint256 public ghostCreditLicences;
    uint256 public ghostCustomLicences;
    uint256 public ghostIssuedEvents;
    uint256 public ghostMints; // ERC-721 Transfer events from the zero address
    uint256 public ghostUnexplainedEvents;
    uint256 public ghostNonTransferableMoved;

    /// @notice Successful calls per handler action, to see what a campaign exercised.
    mapping(bytes4 selector => uint256) public successes;

    constructor(Tributary suite_, MockERC20 usdc_) {
        suite = suite_;
        usdc = usdc_;
        creator = vm.addr(CREATOR_KEY);
        other = vm.addr(OTHER_KEY);
        _creators = [creator, other, vm.addr(0xC3EA7012)];
        _creatorKeys = [CREATOR_KEY, OTHER_KEY, 0xC3EA7012];
        for (uint256 i; i < PAYMENT_IDS; ++i) {
            _paymentIds[i] = keccak256(abi.encode("pi_", i));
        }
        // Payee pool A < B < C < D < E < F; a fixed table of splits, so identical splits of
        // several datasets share an account and the invariants can visit every split.
        address[6] memory p = [
            address(0x5A1E01),
            address(0x5A1E02),
            address(0x5A1E03),
            address(0x5A1E04),
            address(0x5A1E05),
            address(0x5A1E06)
        ];
        _addSplit(_list(p[0]), _shares(1));
        _addSplit(_list(p[0], p[1]), _shares(1, 1));
        _addSplit(_list(p[0], p[1]), _shares(70, 30));
        _addSplit(_list(p[1], p[2], p[3]), _shares(1, 2, 3));
        _addSplit(_list(p[2], p[3]), _shares(999, 1));
        _addSplit(_list(p[0], p[2], p[4]), _shares(1, 1, 1));
        _addSplit(_list(p[3], p[4], p[5]), _shares(3, 3, 4));
        _addSplit(_list5(p[0], p[1], p[2], p[4], p[5]), _shares5(13, 7, 5, 3, 1));
    }

    /// @dev Counts every `LicenceIssued` the suite emitted during the action and checks that
    ///      the action booked a licence under that token id.
    modifier recorded() {
        vm.recordLogs();
        _;
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory entry = logs[i];
            if (entry.emitter != address(suite) || entry.topics.length == 0) continue;
            if (entry.topics[0] != ITributaryLicences.LicenceIssued.selector) continue;
            ++ghostIssuedEvents;
            if (ghostSource[uint256(entry.topics[1])] == Source.None) ++ghostUnexplainedEvents;
        }
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory entry = logs[i];
            if (entry.emitter != address(suite) || entry.topics.length != 4) continue;
            if (entry.topics[0] != TRANSFER_EVENT || entry.topics[1] != bytes32(0)) continue;
            ++ghostMints; // every ERC-721 mint must be a booked licence
            if (ghostSource[uint256(entry.topics[3])] == Source.None) ++ghostUnexplainedEvents;
        }
    }

    // ================================================================== creator actions

    function register(uint256 seed) external recorded {
        if (_datasetIds.length >= MAX_DATASETS) return;
        address who = _creators[seed % 3];
        uint256 splitIndex = _mix(seed, "split") % _splitTable.length;
        Split memory split = splitAt(splitIndex);
        Offer[] memory offers = _randomOffers(_mix(seed, "offers"));
        vm.prank(who);
        uint256 id = suite.register(keccak256(abi.encode("manifest", seed)), "ipfs://dataset", split, offers);
        _datasetIds.push(id);
        _termsBlob[id] = abi.encode(splitIndex, offers);
        ghostDataset[id] = DatasetGhost(who, DatasetStatus.Active, 1, _termsHash(split, offers));
        ++successes[msg.sig];
    }

    function setTerms(uint256 datasetSeed, uint256 seed) external recorded {
        if (_datasetIds.length == 0) return;
        uint256 id = _datasetIds[datasetSeed % _datasetIds.length];
        uint256 splitIndex = seed % _splitTable.length;
        Split memory split = splitAt(splitIndex);
        Offer[] memory offers = _randomOffers(_mix(seed, "offers"));
        vm.prank(ghostDataset[id].creator);
        try suite.setTerms(id, split, offers) {
            _termsBlob[id] = abi.encode(splitIndex, offers);
            ghostDataset[id].termsHash = _termsHash(split, offers);
            ++successes[msg.sig];
        } catch {}
    }

    function setStatus(uint256 datasetSeed, uint256 seed) external recorded {
        if (_datasetIds.length == 0) return;
        uint256 id = _datasetIds[datasetSeed % _datasetIds.length];
        DatasetGhost storage ghost = ghostDataset[id];
        // paused datasets come back; active ones are sometimes paused, rarely retired
        DatasetStatus status = DatasetStatus.Active;
        if (ghost.status == DatasetStatus.Active) {
            uint256 r = _mix(seed, "status");
            if (r % 24 == 0) status = DatasetStatus.Retired;
            else if (r % 3 == 0) status = DatasetStatus.Paused;
            else return;
        }
        vm.prank(ghost.creator);
        try suite.setStatus(id, status) {
            ghost.status = status;
            ++successes[msg.sig];
        } catch {}
    }

    function publishVersion(uint256 datasetSeed) external recorded {
        if (_datasetIds.length == 0) return;
        uint256 id = _datasetIds[datasetSeed % _datasetIds.length];
        vm.prank(ghostDataset[id].creator);
        try suite.publishVersion(id, keccak256(abi.encode("version", datasetSeed)), "ipfs://v") returns (
            uint32 version
        ) {
            ghostDataset[id].versions = version;
            ++successes[msg.sig];
        } catch {}
    }

    function issueCustomLicence(uint256 datasetSeed, uint256 offerSeed, uint256 holderSeed) external recorded {
        if (_datasetIds.length == 0) return;
        (uint256 id, uint256 index) = _pick(datasetSeed, offerSeed, OfferKind.Custom, address(0), true);
        Terms memory terms = termsOf(id);
        address recipient = _holders[holderSeed % 4];
        vm.prank(ghostDataset[id].creator);
        try suite.issueCustomLicence(id, terms, index, recipient, keccak256(abi.encode("receipt", offerSeed))) returns (
            uint256 tokenId
        ) {
            _bookLicence(tokenId, id, Source.Custom, terms.offers[index], recipient);
            ++successes[msg.sig];
        } catch {}
    }

    /// @notice Someone other than the dataset's creator tries to change it, directly or with a
    ///         signature by the wrong key. Every attempt must revert.
    function strangerMutation(uint256 datasetSeed, uint256 strangerSeed, uint256 which) external recorded {
        if (_datasetIds.length == 0) return;
        uint256 id = _datasetIds[datasetSeed % _datasetIds.length];
        address owner = ghostDataset[id].creator;
        (address stranger, uint256 strangerKey) = _stranger(strangerSeed, owner);
        ++ghostStrangerAttempts;
        bool ok;
        uint256 action = which % 5;
        if (action == 0) {
            vm.prank(stranger);
            try suite.publishVersion(id, keccak256("hijack"), "ipfs://hijack") {
                ok = true;
            } catch {}
        } else if (action == 1) {
            vm.prank(stranger);
            try suite.setStatus(id, which % 2 == 0 ? DatasetStatus.Retired : DatasetStatus.Paused) {
                ok = true;
            } catch {}
        } else if (action == 2) {
            Split memory split = _splitOf(stranger);
            Offer[] memory offers = _randomOffers(which);
            vm.prank(stranger);
            try suite.setTerms(id, split, offers) {
                ok = true;
            } catch {}
        } else if (action == 3) {
            Terms memory terms = termsOf(id);
            uint256 index = _pickOffer(terms.offers, which, OfferKind.Custom, address(0), true);
            vm.prank(stranger);
            try suite.issueCustomLicence(id, terms, index, stranger, keccak256("forged receipt")) {
                ok = true;
            } catch {}
        } else {
            // the creator's request, signed by the stranger's key
            Split memory split = _splitOf(stranger);
            Offer[] memory offers = _randomOffers(which);
            uint256 deadline = block.timestamp + 1 hours;
            bytes32 structHash =
                keccak256(abi.encode(SET_TERMS_TYPEHASH, id, _termsHash(split, offers), suite.nonces(owner), deadline));
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(strangerKey, _digest(structHash));
            vm.prank(stranger);
            try suite.setTermsWithSig(id, split, offers, deadline, abi.encodePacked(r, s, v)) {
                ok = true;
            } catch {}
        }
        if (ok) ++ghostStrangerSuccesses;
    }

    // ================================================================== buyers

    function purchase(uint256 datasetSeed, uint256 offerSeed, uint256 holderSeed) external recorded {
        if (_datasetIds.length == 0) return;
        // mostly an active dataset's offer that can be bought with a wallet; sometimes any
        (uint256 id, uint256 index) = _pick(datasetSeed, offerSeed, OfferKind.OneOff, CREDITS, false);
        Terms memory terms = termsOf(id);
        Offer memory offer = terms.offers[index];
        address payer = _holders[holderSeed % 4];
        address recipient = _holders[_mix(holderSeed, "recipient") % 4];
        uint256 value;
        if (offer.paymentToken == address(0)) {
            value = offer.price;
            vm.deal(payer, payer.balance + value);
        } else if (offer.paymentToken == address(usdc)) {
            usdc.mint(payer, offer.price);
            vm.prank(payer);
            usdc.approve(address(suite), offer.price);
        }
        vm.prank(payer);
        try suite.purchase{value: value}(id, terms, index, recipient) returns (uint256 tokenId) {
            ghostPaidIn[offer.paymentToken] += offer.price;
            _bookLicence(tokenId, id, Source.Paid, offer, recipient);
            ++successes[msg.sig];
        } catch {}
    }

    function purchaseWithCredits(uint256 datasetSeed, uint256 offerSeed, uint256 paymentSeed, uint256 callerSeed)
        external
        recorded
    {
        if (_datasetIds.length == 0) return;
        (uint256 id, uint256 index) = _pick(datasetSeed, offerSeed, OfferKind.OneOff, CREDITS, true);
        Terms memory terms = termsOf(id);
        Offer memory offer = terms.offers[index];
        bytes32 paymentId = _pickPayment(paymentSeed, offer.price);
        PaymentGhost storage payment = ghostPayment[paymentId];
        address caller;
        uint256 pick = _mix(callerSeed, "caller") % 8;
        if (pick < 3) caller = relayer;
        else if (pick < 7 && payment.account != address(0)) caller = payment.account;
        else caller = _holders[callerSeed % 4];
        address recipient = _holders[_mix(callerSeed, "recipient") % 4];
        vm.prank(caller);
        try suite.purchaseWithCredits(paymentId, id, terms, index, recipient) returns (uint256 tokenId) {
            if ((caller != relayer && caller != payment.account) || payment.reversed) ++ghostUnauthorisedSpends;
            ghostPaidIn[CREDITS] += offer.price;
            payment.spent += offer.price;
            _bookLicence(tokenId, id, Source.Credited, offer, recipient);
            ++successes[msg.sig];
        } catch {}
    }

    function transferLicence(uint256 tokenSeed, uint256 toSeed) external recorded {
        if (ghostLicences == 0) return;
        uint256 tokenId = _ghostTokenIds[tokenSeed % ghostLicences];
        address owner = suite.ownerOf(tokenId);
        address to = _holders[toSeed % 4];
        vm.prank(owner);
        try suite.transferFrom(owner, to, tokenId) {
            if (!ghostTransferable[tokenId]) ++ghostNonTransferableMoved;
            ++successes[msg.sig];
        } catch {}
    }

    function refreshLicence(uint256 tokenSeed) external recorded {
        if (ghostLicences == 0) return;
        suite.refreshLicence(_ghostTokenIds[tokenSeed % ghostLicences]);
        ++successes[msg.sig];
    }

    // ================================================================== relayer

    function mintCredits(uint256 paymentSeed, uint256 accountSeed, uint256 amount) external recorded {
        // two times in three a fresh id if any is left, else any id (a repeated webhook)
        bytes32 paymentId = _paymentIds[paymentSeed % PAYMENT_IDS];
        if (_mix(paymentSeed, "fresh") % 3 != 0) {
            for (uint256 k; k < PAYMENT_IDS; ++k) {
                bytes32 candidate = _paymentIds[_at(paymentSeed, k, PAYMENT_IDS)];
                PaymentGhost storage seen = ghostPayment[candidate];
                if (seen.account == address(0) && !seen.reversed) {
                    paymentId = candidate;
                    break;
                }
            }
        }
        address account = _holders[accountSeed % 4];
        amount = _bound(amount % 2 == 0 ? amount : _mix(amount, "amount"), 1, 1e6);
        vm.prank(relayer);
        try suite.mintCredits(paymentId, account, amount) {
            PaymentGhost storage payment = ghostPayment[paymentId];
            ++payment.credited;
            (payment.account, payment.amount) = (account, amount);
            ++successes[msg.sig];
        } catch {}
    }

    function reverseCredits(uint256 paymentSeed) external recorded {
        bytes32 paymentId = _paymentIds[paymentSeed % PAYMENT_IDS];
        vm.prank(relayer);
        try suite.reverseCredits(paymentId) {
            ghostPayment[paymentId].reversed = true;
            ++successes[msg.sig];
        } catch {}
    }

    // ================================================================== payouts and admin

    function release(uint256 splitSeed, uint256 payeeSeed, uint256 tokenSeed) external recorded {
        (Split memory split, address payee, address token) = _pickRelease(splitSeed, payeeSeed, tokenSeed);
        uint256 before = _balance(token, payee);
        try suite.release(token, split, payee) returns (uint256 amount) {
            ghostReleased[token] += amount;
            if (_balance(token, payee) - before != (token == CREDITS ? 0 : amount)) ++ghostPayoutMismatches;
            ++successes[msg.sig];
        } catch {}
    }

    function releaseProtocolFees(uint256 tokenSeed) external recorded {
        address token = tokenAt(tokenSeed % 3);
        (, address to) = suite.protocolFee();
        uint256 before = _balance(token, to);
        try suite.releaseProtocolFees(token) returns (uint256 amount) {
            ghostFeesReleased[token] += amount;
            if (_balance(token, to) - before != (token == CREDITS ? 0 : amount)) ++ghostPayoutMismatches;
            ++successes[msg.sig];
        } catch {}
    }

    function setProtocolFee(uint256 bps, uint256 treasurySeed) external recorded {
        address to = treasurySeed % 2 == 0 ? treasury : address(0x7EA52);
        uint16 newBps = uint16(_bound(bps, 0, suite.MAX_FEE_BPS()));
        vm.prank(admin);
        suite.setProtocolFee(newBps, to);
        ++successes[msg.sig];
    }

    function warp(uint256 secondsAhead) external recorded {
        vm.warp(block.timestamp + _bound(secondsAhead, 1, 120 days));
        ++successes[msg.sig];
    }

    // ================================================================== views for the invariants

    function splitCount() external view returns (uint256) {
        return _splitTable.length;
    }

    function splitAt(uint256 i) public view returns (Split memory) {
        return abi.decode(_splitTable[i], (Split));
    }

    function datasetCount() external view returns (uint256) {
        return _datasetIds.length;
    }

    function datasetAt(uint256 i) external view returns (uint256) {
        return _datasetIds[i];
    }

    function termsOf(uint256 id) public view returns (Terms memory terms) {
        (uint256 splitIndex, Offer[] memory offers) = abi.decode(_termsBlob[id], (uint256, Offer[]));
        return _terms(splitAt(splitIndex), offers);
    }

    function holderCount() external pure returns (uint256) {
        return 4;
    }

    function holderAt(uint256 i) external view returns (address) {
        return _holders[i];
    }

    function paymentIdCount() external pure returns (uint256) {
        return PAYMENT_IDS;
    }

    function paymentIdAt(uint256 i) external view returns (bytes32) {
        return _paymentIds[i];
    }

    /// @notice The token id of the licence with serial `serial` (1 = the first issued).
    function tokenIdAt(uint256 serial) public view returns (uint256) {
        return _ghostTokenIds[serial - 1];
    }

    function tokenAt(uint256 i) public view returns (address) {
        return i == 0 ? address(0) : i == 1 ? address(usdc) : CREDITS;
    }

    // ================================================================== internals

    function _bookLicence(uint256 tokenId, uint256 datasetId, Source source, Offer memory offer, address recipient)
        internal
    {
        ++ghostLicences;
        // Serials are sequential, and the id carries the dataset and its current version.
        if (uint64(tokenId) != ghostLicences) ++ghostUnexplainedEvents;
        if (tokenId >> 192 != datasetId || uint32(tokenId >> 160) != ghostDataset[datasetId].versions) {
            ++ghostUnexplainedEvents;
        }
        _ghostTokenIds.push(tokenId);
        ghostSource[tokenId] = source;
        ghostTransferable[tokenId] = offer.transferable;
        ghostFirstHolder[tokenId] = recipient;
        if (source == Source.Paid) ++ghostPaidLicences;
        else if (source == Source.Credited) ++ghostCreditLicences;
        else ++ghostCustomLicences;
    }

    /// @dev Seven times in eight, the first active dataset from `datasetSeed` with an offer that
    ///      fits (see `_pickOffer`); otherwise, or if none fits, any dataset and offer.
    function _pick(uint256 datasetSeed, uint256 offerSeed, OfferKind kind, address token, bool matchToken)
        internal
        view
        returns (uint256 id, uint256 index)
    {
        uint256 count = _datasetIds.length;
        id = _datasetIds[datasetSeed % count];
        index = offerSeed % termsOf(id).offers.length;
        if (_mix(datasetSeed, "any dataset") % 8 == 0) return (id, index);
        for (uint256 k; k < count; ++k) {
            uint256 candidate = _datasetIds[_at(datasetSeed, k, count)];
            if (ghostDataset[candidate].status != DatasetStatus.Active) continue;
            Offer[] memory offers = termsOf(candidate).offers;
            for (uint256 j; j < offers.length; ++j) {
                uint256 i = _at(offerSeed, j, offers.length);
                if (_fits(offers[i], kind, token, matchToken)) return (candidate, i);
            }
        }
    }

    /// @dev Mostly a credited, unreversed payment id with enough credits for `price`; else any.
    function _pickPayment(uint256 seed, uint256 price) internal view returns (bytes32) {
        bytes32 any = _paymentIds[seed % PAYMENT_IDS];
        if (_mix(seed, "any payment") % 6 == 0) return any;
        for (uint256 k; k < PAYMENT_IDS; ++k) {
            bytes32 paymentId = _paymentIds[_at(seed, k, PAYMENT_IDS)];
            PaymentGhost storage payment = ghostPayment[paymentId];
            if (payment.account != address(0) && !payment.reversed && payment.amount - payment.spent >= price) {
                return paymentId;
            }
        }
        return any;
    }

    /// @dev Mostly a (split, payee, token) with something releasable; else any.
    function _pickRelease(uint256 splitSeed, uint256 payeeSeed, uint256 tokenSeed)
        internal
        view
        returns (Split memory split, address payee, address token)
    {
        uint256 count = _splitTable.length;
        split = splitAt(splitSeed % count);
        payee = split.payees[payeeSeed % split.payees.length];
        token = tokenAt(tokenSeed % 3);
        if (_mix(splitSeed, "any release") % 6 == 0) return (split, payee, token);
        for (uint256 k; k < count * 3; ++k) {
            Split memory candidate = splitAt(_at(splitSeed, k / 3, count));
            address candidateToken = tokenAt(_at(tokenSeed, k, 3));
            for (uint256 j; j < candidate.payees.length; ++j) {
                address candidatePayee = candidate.payees[_at(payeeSeed, j, candidate.payees.length)];
                if (suite.releasable(candidateToken, candidate, candidatePayee) != 0) {
                    return (candidate, candidatePayee, candidateToken);
                }
            }
        }
    }

    function _fits(Offer memory offer, OfferKind kind, address token, bool matchToken) internal pure returns (bool) {
        bool kindFits =
            matchToken ? offer.kind == kind : (offer.kind == OfferKind.OneOff || offer.kind == OfferKind.RoyaltyLinked);
        bool tokenFits = matchToken ? offer.paymentToken == token : offer.paymentToken != token;
        return kindFits && tokenFits;
    }

    /// @dev The index of an offer of `kind` (priced in `token` if `matchToken`, else not in
    ///      `token`), from `seed`; one time in four, or when none fits, any offer.
    function _pickOffer(Offer[] memory offers, uint256 seed, OfferKind kind, address token, bool matchToken)
        internal
        pure
        returns (uint256)
    {
        uint256 any = seed % offers.length;
        if (_mix(seed, "any offer") % 4 == 0) return any;
        for (uint256 k; k < offers.length; ++k) {
            uint256 i = (any + k) % offers.length;
            if (_fits(offers[i], kind, token, matchToken)) return i;
        }
        return any;
    }

    /// @dev 1 to 3 offers of every kind: wallet-priced (ETH, the ERC-20), credit-priced,
    ///      royalty-linked, custom and subscription; random durations, transferability, caps.
    function _randomOffers(uint256 seed) internal view returns (Offer[] memory offers) {
        offers = new Offer[](1 + seed % 3);
        for (uint256 i; i < offers.length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 pick = r % 10;
            address token = pick < 3 ? address(0) : pick < 5 ? address(usdc) : pick < 7 ? CREDITS : address(0);
            uint256 maxPrice = token == address(0) ? 10 ether : token == address(usdc) ? 1e10 : 1e5;
            Offer memory offer = _offer(
                uint128(_bound(r >> 8, 0, maxPrice)),
                token,
                (r >> 100) % 3 == 0 ? 0 : uint64(_bound(r >> 120, 1, 200 days)),
                (r >> 200) % 2 == 0
            );
            if (pick == 7) {
                offer.kind = OfferKind.RoyaltyLinked;
                offer.royaltyBps = uint16(_bound(r >> 160, 1, 10_000));
                if ((r >> 180) % 2 == 0) offer.paymentToken = address(usdc);
            } else if (pick == 8) {
                offer.kind = OfferKind.Custom;
            } else if (pick == 9) {
                offer.kind = OfferKind.Subscription;
            }
            if ((r >> 210) % 4 == 0) offer.supplyCap = uint32(_bound(r >> 220, 1, 3));
            offers[i] = offer;
        }
    }

    /// @dev The `k`-th index after `seed`'s, modulo `n`, without overflow.
    function _at(uint256 seed, uint256 k, uint256 n) internal pure returns (uint256) {
        return (seed % n + k) % n;
    }

    function _mix(uint256 seed, string memory salt) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, salt)));
    }

    function _stranger(uint256 seed, address owner) internal view returns (address who, uint256 key) {
        for (uint256 k; k < 3; ++k) {
            uint256 i = _at(seed, k, 3);
            if (_creators[i] != owner) return (_creators[i], _creatorKeys[i]);
        }
    }

    /// @dev A valid split the stranger might want: themselves alone.
    function _splitOf(address who) internal pure returns (Split memory) {
        return _split(who);
    }

    function _termsHash(Split memory split, Offer[] memory offers) internal pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(abi.encode(split.payees, split.shares)), keccak256(abi.encode(offers))));
    }

    function _digest(bytes32 structHash) internal view returns (bytes32) {
        bytes32 domainSeparator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Tributary"),
                keccak256("1"),
                block.chainid,
                address(suite)
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    function _balance(address token, address who) internal view returns (uint256) {
        if (token == CREDITS) return 0;
        return token == address(0) ? who.balance : usdc.balanceOf(who);
    }

    function _addSplit(address[] memory payees, uint32[] memory shares) internal {
        _splitTable.push(abi.encode(Split(payees, shares)));
    }

    function _list(address a) internal pure returns (address[] memory l) {
        l = new address[](1);
        l[0] = a;
    }

    function _list(address a, address b) internal pure returns (address[] memory l) {
        l = new address[](2);
        (l[0], l[1]) = (a, b);
    }

    function _list(address a, address b, address c) internal pure returns (address[] memory l) {
        l = new address[](3);
        (l[0], l[1], l[2]) = (a, b, c);
    }

    function _list5(address a, address b, address c, address d, address e) internal pure returns (address[] memory l) {
        l = new address[](5);
        (l[0], l[1], l[2], l[3], l[4]) = (a, b, c, d, e);
    }

    function _shares(uint32 a) internal pure returns (uint32[] memory s) {
        s = new uint32[](1);
        s[0] = a;
    }

    function _shares(uint32 a, uint32 b) internal pure returns (uint32[] memory s) {
        s = new uint32[](2);
        (s[0], s[1]) = (a, b);
    }

    function _shares(uint32 a, uint32 b, uint32 c) internal pure returns (uint32[] memory s) {
        s = new uint32[](3);
        (s[0], s[1], s[2]) = (a, b, c);
    }

    function _shares5(uint32 a, uint32 b, uint32 c, uint32 d, uint32 e) internal pure returns (uint32[] memory s) {
        s = new uint32[](5);
        (s[0], s[1], s[2], s[3], s[4]) = (a, b, c, d, e);
    }
}
