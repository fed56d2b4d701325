// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Tributary} from "../../contracts/Tributary.sol";
import {MockERC20} from "../../test/mocks/Tokens.sol";
import {TributaryTest} from "../../test/utils/TributaryTest.sol";
import {vm} from "../../test/utils/Vm.sol";
import {
    AttestationRequest,
    AttestationRequestData,
    IEAS
} from "@ethereum-attestation-service/eas-contracts/contracts/IEAS.sol";
import {ISchemaRegistry} from "@ethereum-attestation-service/eas-contracts/contracts/ISchemaRegistry.sol";
import {ISchemaResolver} from "@ethereum-attestation-service/eas-contracts/contracts/resolver/ISchemaResolver.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {PaymentSplitter} from "oz4/finance/PaymentSplitter.sol";
import {IERC20 as IERC20v4} from "oz4/token/ERC20/IERC20.sol";

/// @notice The peer for licence purchases: a plain OpenZeppelin 5 ERC-721 mint.
contract PlainNft is ERC721("Plain", "PLN") {
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}

/// @notice Gas of Tributary's operations beside their peers, in one run. Run with `--isolate`
///         (bench/gas/run.sh) so each measured call is its own transaction: cold storage, the
///         21,000 base and calldata priced as on a chain. Each test ends with the measured call
///         and records it with `snapshotGasLastCall` under `snapshots/GasBench.json`.
contract GasBench is TributaryTest {
    string internal constant EAS_ARTIFACTS =
        "node_modules/@ethereum-attestation-service/eas-contracts/artifacts/contracts/";
    uint256 internal constant BATCH = 1000;

    IEAS internal eas;
    bytes32 internal schema;
    PaymentSplitter internal splitter;
    PlainNft internal nft;
    MockERC20 internal usdc;

    // Payees and the measured buyer are fresh, empty accounts with realistic (all non-zero
    // byte) addresses for both us and the peers: both pay for a new account and for calldata.
    address internal payeeA = address(uint160(uint256(keccak256("payee A"))));
    address internal payeeB = address(uint160(uint256(keccak256("payee B"))));
    address internal newBuyer = address(uint160(uint256(keccak256("new buyer"))));

    function setUp() public override {
        super.setUp();
        ISchemaRegistry registry = ISchemaRegistry(
            _deploy(vm.getCode(string.concat(EAS_ARTIFACTS, "SchemaRegistry.sol/SchemaRegistry.json")), "")
        );
        eas = IEAS(_deploy(vm.getCode(string.concat(EAS_ARTIFACTS, "EAS.sol/EAS.json")), abi.encode(registry)));
        schema = registry.register("bytes32 manifestHash", ISchemaResolver(address(0)), true);

        address[] memory payees = new address[](2);
        uint256[] memory shares = new uint256[](2);
        (payees[0], payees[1], shares[0], shares[1]) = (payeeA, payeeB, 70, 30);
        splitter = new PaymentSplitter(payees, shares);
        nft = new PlainNft();

        usdc = new MockERC20("USDC", 6);
        vm.prank(admin);
        suite.setTokenAllowed(address(usdc), true);
        usdc.mint(buyer, 1e12);
        vm.prank(buyer);
        usdc.approve(address(suite), type(uint256).max);
        usdc.mint(address(this), 1e12);
        // The peer's first dataset-id slot and fee slot are warm from deployment in a real
        // chain's life too: register one dataset first so ours is not the very first.
        _registerSimple(1 ether);
    }

    // ------------------------------------------------------------------ anchoring

    function testGasEasAttest() public {
        eas.attest(
            AttestationRequest({
                schema: schema,
                data: AttestationRequestData({
                    recipient: address(0),
                    expirationTime: 0,
                    revocable: true,
                    refUID: bytes32(0),
                    data: abi.encode(sha256("manifest")),
                    value: 0
                })
            })
        );
        vm.snapshotGasLastCall("peer_eas_attest");
    }

    function testGasEasTimestamp() public {
        eas.timestamp(sha256("manifest"));
        vm.snapshotGasLastCall("peer_eas_timestamp");
    }

    function testGasEasMultiTimestamp1000() public {
        bytes32[] memory hashes = new bytes32[](BATCH);
        for (uint256 i; i < BATCH; ++i) {
            hashes[i] = keccak256(abi.encode(i));
        }
        eas.multiTimestamp(hashes);
        vm.snapshotGasLastCall("peer_eas_multi_timestamp_1000");
    }

    function testGasRegister() public {
        Split memory split = _split(payeeA, 70, payeeB, 30);
        Offer[] memory offers = _offers(_ethOffer(0.1 ether));
        bytes32 manifestHash = sha256("manifest");
        vm.prank(creator);
        suite.register(
            manifestHash, "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", split, offers
        );
        vm.snapshotGasLastCall("register");
    }

    function testGasPublishVersion() public {
        bytes32 manifestHash = sha256("manifest v2");
        vm.prank(creator);
        suite.publishVersion(1, manifestHash, "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi");
        vm.snapshotGasLastCall("publish_version");
    }

    function testGasAnchorBatch1000() public {
        vm.prank(creator);
        suite.anchorBatch(
            keccak256("root"), uint32(BATCH), "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
        );
        vm.snapshotGasLastCall("anchor_batch_1000");
    }

    // ------------------------------------------------------------------ licences

    function testGasPeerErc721Mint() public {
        nft.mint(newBuyer, 1);
        vm.snapshotGasLastCall("peer_erc721_mint");
    }

    function testGasPurchaseEth() public {
        (uint256 id, Terms memory terms) = _register(_split(payeeA, 70, payeeB, 30), _offers(_ethOffer(0.1 ether)));
        // A first sale opens the split's account and the fee account, as on a dataset that has
        // sold before; the measured buyer is new, as the peer's mint recipient is.
        vm.deal(address(0xF1257), 1 ether);
        _buy(address(0xF1257), id, terms, 0, 0.1 ether);
        vm.deal(newBuyer, 1 ether);
        vm.prank(newBuyer);
        suite.purchase{value: 0.1 ether}(id, terms, 0, newBuyer);
        vm.snapshotGasLastCall("purchase_eth");
    }

    // ------------------------------------------------------------------ releases

    function testGasPeerReleaseEthFirst() public {
        _payPeer(1 ether);
        splitter.release(payable(payeeA));
        vm.snapshotGasLastCall("peer_payment_splitter_release_eth_first");
    }

    function testGasPeerReleaseEthLater() public {
        _payPeer(1 ether);
        splitter.release(payable(payeeA));
        _payPeer(1 ether);
        splitter.release(payable(payeeA));
        vm.snapshotGasLastCall("peer_payment_splitter_release_eth_later");
    }

    function testGasPeerReleaseErc20First() public {
        usdc.transfer(address(splitter), 1e9);
        splitter.release(IERC20v4(address(usdc)), payeeA);
        vm.snapshotGasLastCall("peer_payment_splitter_release_erc20_first");
    }

    function testGasPeerReleaseErc20Later() public {
        usdc.transfer(address(splitter), 1e9);
        splitter.release(IERC20v4(address(usdc)), payeeA);
        usdc.transfer(address(splitter), 1e9);
        splitter.release(IERC20v4(address(usdc)), payeeA);
        vm.snapshotGasLastCall("peer_payment_splitter_release_erc20_later");
    }

    function testGasReleaseEthFirst() public {
        Split memory split = _split(payeeA, 70, payeeB, 30);
        _paySuite(split, address(0), 1 ether);
        suite.release(address(0), split, payeeA);
        vm.snapshotGasLastCall("release_eth_first");
    }

    function testGasReleaseEthLater() public {
        Split memory split = _split(payeeA, 70, payeeB, 30);
        (uint256 id, Terms memory terms) = _paySuite(split, address(0), 1 ether);
        suite.release(address(0), split, payeeA);
        _buy(buyer, id, terms, 0, 1 ether);
        suite.release(address(0), split, payeeA);
        vm.snapshotGasLastCall("release_eth_later");
    }

    function testGasReleaseErc20First() public {
        Split memory split = _split(payeeA, 70, payeeB, 30);
        _paySuite(split, address(usdc), 1e9);
        suite.release(address(usdc), split, payeeA);
        vm.snapshotGasLastCall("release_erc20_first");
    }

    function testGasReleaseErc20Later() public {
        Split memory split = _split(payeeA, 70, payeeB, 30);
        (uint256 id, Terms memory terms) = _paySuite(split, address(usdc), 1e9);
        suite.release(address(usdc), split, payeeA);
        _buy(buyer, id, terms, 0, 0);
        suite.release(address(usdc), split, payeeA);
        vm.snapshotGasLastCall("release_erc20_later");
    }

    // ------------------------------------------------------------------ helpers

    function _payPeer(uint256 amount) private {
        (bool ok,) = address(splitter).call{value: amount}("");
        vm.assertTrue(ok, "pay splitter");
    }

    /// @dev Registers a dataset with `split` priced `amount` of `token`, and sells one licence.
    function _paySuite(Split memory split, address token, uint128 amount)
        private
        returns (uint256 id, Terms memory terms)
    {
        (id, terms) = _register(split, _offers(_offer(amount, token, 0, false)));
        _buy(buyer, id, terms, 0, token == address(0) ? amount : 0);
    }

    function _deploy(bytes memory creationCode, bytes memory args) private returns (address deployed) {
        bytes memory code = bytes.concat(creationCode, args);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        vm.assertTrue(deployed != address(0), "peer deployment");
    }
}
