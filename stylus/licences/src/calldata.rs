//! Every function of the contract but the constructor and `ownerOf`, dispatched by the
//! contract's fallback and decoded here word by word (as the registry's functions with complex
//! arguments, `registry/src/calldata.rs`, with the same
//! `tributary_stylus_common::calldata::Args`). Through the SDK's router, whose generic alloy
//! decoding and encoding is monomorphised per function, the contract was 26,814 B compressed,
//! above Arbitrum's 24 KiB. The decoder accepts what the router's validating decoder accepts
//! (offsets and lengths inside the calldata, clean addresses, booleans and `bytes4`) and
//! reverts empty otherwise; value sent to a function that is not payable reverts empty, as
//! the router and Solidity do.
//!
//! For the four functions that take a `Terms`, decoding follows Solidity's for a `Terms calldata` argument, and in its order: the head
//! words are validated on entry (clean addresses; the terms' offset inside the calldata with
//! room for its two head words), while the offers array is only located when the terms are
//! checked against the registry, after the pause and dataset checks (`current_offer`), and
//! its words are hashed as they are (`CalldataHash.offersHash`): a dirty offer gives a terms
//! hash that matches nothing, `TermsMismatch`, as in the Solidity build. The chosen offer is
//! decoded, clean, only after its hash matched the registry's, which validated every offer.
//!
//! The functions are declared once, in [`ILicencesFunctions`]: their selectors route here, and
//! `main.rs` prints their signatures and mutability for the ABI check.

use alloc::vec::Vec;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::prelude::*;
use tributary_stylus_common::calldata::{Args, Decoded, Malformed};

use crate::Licences;

sol! {
    /// The functions of `ITributaryLicences` (`Terms` as a tuple), `ITributaryAdmin`'s pause,
    /// Solady's ERC-721 but `ownerOf`, `paused()` and OpenZeppelin's AccessControl.
    interface ILicencesFunctions {
        function purchase(uint256 datasetId, (bytes32,(uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[]) terms, uint256 offerIndex, address recipient) external payable returns (uint256 tokenId);
        function purchaseWithCredits(bytes32 paymentId, uint256 datasetId, (bytes32,(uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[]) terms, uint256 offerIndex, address recipient) external returns (uint256 tokenId);
        function issueCustomLicence(uint256 datasetId, (bytes32,(uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[]) terms, uint256 offerIndex, address recipient, bytes32 receiptHash) external returns (uint256 tokenId);
        function reportRevenue(uint256 tokenId, uint256 revenue, bytes32 evidenceHash, (bytes32,(uint8,address,uint128,uint64,bool,uint16,uint32,bytes32)[]) terms) external payable returns (uint256 royalty);
        function refreshLicence(uint256 tokenId) external;
        function isLicensed(address account, uint256 datasetId) external view returns (bool);
        function licensedUntil(address account, uint256 datasetId) external view returns (uint64);
        function licence(uint256 tokenId) external view returns ((uint64,uint32,uint64,uint8,bool,bool,uint16));
        function licencePaymentToken(uint256 tokenId) external view returns (address);
        function offerSold(uint256 datasetId, bytes32 offerHash) external view returns (uint256);
        function PAUSER_ROLE() external view returns (bytes32);
        function pause() external;
        function unpause() external;
        function paused() external view returns (bool);
        function name() external pure returns (string);
        function symbol() external pure returns (string);
        function tokenURI(uint256 id) external view returns (string);
        function supportsInterface(bytes4 interfaceId) external view returns (bool);
        function balanceOf(address owner) external view returns (uint256);
        function getApproved(uint256 id) external view returns (address);
        function isApprovedForAll(address owner, address operator) external view returns (bool);
        function approve(address account, uint256 id) external payable;
        function setApprovalForAll(address operator, bool isApproved) external;
        function transferFrom(address from, address to, uint256 id) external payable;
        function safeTransferFrom(address from, address to, uint256 id) external payable;
        function safeTransferFrom(address from, address to, uint256 id, bytes data) external payable;
        function DEFAULT_ADMIN_ROLE() external view returns (bytes32);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function getRoleAdmin(bytes32 role) external view returns (bytes32);
        function grantRole(bytes32 role, address account) external;
        function revokeRole(bytes32 role, address account) external;
        function renounceRole(bytes32 role, address callerConfirmation) external;
    }
}

use ILicencesFunctions::*;

/// Signatures and state mutability of [`ILicencesFunctions`], for `main.rs`'s ABI listing.
pub const FUNCTIONS: [(&str, &str); 32] = [
    (purchaseCall::SIGNATURE, "payable"),
    (purchaseWithCreditsCall::SIGNATURE, "nonpayable"),
    (issueCustomLicenceCall::SIGNATURE, "nonpayable"),
    (reportRevenueCall::SIGNATURE, "payable"),
    (refreshLicenceCall::SIGNATURE, "nonpayable"),
    (isLicensedCall::SIGNATURE, "view"),
    (licensedUntilCall::SIGNATURE, "view"),
    (licenceCall::SIGNATURE, "view"),
    (licencePaymentTokenCall::SIGNATURE, "view"),
    (offerSoldCall::SIGNATURE, "view"),
    (PAUSER_ROLECall::SIGNATURE, "view"),
    (pauseCall::SIGNATURE, "nonpayable"),
    (unpauseCall::SIGNATURE, "nonpayable"),
    (pausedCall::SIGNATURE, "view"),
    (nameCall::SIGNATURE, "pure"),
    (symbolCall::SIGNATURE, "pure"),
    (tokenURICall::SIGNATURE, "view"),
    (supportsInterfaceCall::SIGNATURE, "view"),
    (balanceOfCall::SIGNATURE, "view"),
    (getApprovedCall::SIGNATURE, "view"),
    (isApprovedForAllCall::SIGNATURE, "view"),
    (approveCall::SIGNATURE, "payable"),
    (setApprovalForAllCall::SIGNATURE, "nonpayable"),
    (transferFromCall::SIGNATURE, "payable"),
    (safeTransferFrom_0Call::SIGNATURE, "payable"),
    (safeTransferFrom_1Call::SIGNATURE, "payable"),
    (DEFAULT_ADMIN_ROLECall::SIGNATURE, "view"),
    (hasRoleCall::SIGNATURE, "view"),
    (getRoleAdminCall::SIGNATURE, "view"),
    (grantRoleCall::SIGNATURE, "nonpayable"),
    (revokeRoleCall::SIGNATURE, "nonpayable"),
    (renounceRoleCall::SIGNATURE, "nonpayable"),
];

/// Bytes of one ABI-encoded `Offer`: eight static words.
const OFFER_SIZE: usize = 256;

/// Resent terms, as they lie in the calldata: the split hash, and where the offers are.
pub struct Terms<'a> {
    args: Args<'a>,
    /// Start of the `Terms` tuple.
    at: usize,
    /// The split hash (`terms.splitHash`).
    pub split_hash: B256,
}

impl<'a> Terms<'a> {
    /// The terms whose offset is at `head`: the tuple's two head words must lie inside the
    /// calldata, as Solidity's decoder requires on entry.
    fn at(args: Args<'a>, head: usize) -> Decoded<Self> {
        let at = args.tail(0, head)?;
        args.word(at + 32)?;
        Ok(Self {
            args,
            at,
            split_hash: args.b256(at)?,
        })
    }

    /// Where the offers start and how many there are: the offset and length inside the
    /// calldata (Solidity's `terms.offers` access), else [`Malformed`].
    fn offers(&self) -> Decoded<(usize, usize)> {
        self.args.array(self.args.tail(self.at, 32)?, OFFER_SIZE)
    }

    /// The terms hash of these terms, `keccak256(abi.encode(splitHash,
    /// keccak256(abi.encode(offers))))` over the offers' words as sent, and the offer count.
    pub fn hash(&self) -> Decoded<(B256, usize)> {
        let (start, count) = self.offers()?;
        let mut encoded = Vec::with_capacity(64 + OFFER_SIZE * count);
        encoded.extend_from_slice(&U256::from(0x20).to_be_bytes::<32>());
        encoded.extend_from_slice(&U256::from(count).to_be_bytes::<32>());
        encoded.extend_from_slice(&self.args.data[start..start + OFFER_SIZE * count]);
        let mut words = [0u8; 64];
        words[..32].copy_from_slice(self.split_hash.as_slice());
        words[32..].copy_from_slice(keccak256(&encoded).as_slice());
        Ok((keccak256(words), count))
    }

    /// Offer `index` (below the count), decoded and validated as Solidity's accessors do (a
    /// kind past `Custom`, a dirty address, integer or boolean reverts empty).
    pub fn offer(&self, index: usize) -> Decoded<Offer> {
        let (start, _) = self.offers()?;
        let at = start + OFFER_SIZE * index;
        let args = &self.args;
        let kind = args.small(at, 8)? as u8;
        let transferable = args.small(at + 128, 8)?;
        if kind > tributary_stylus_common::OFFER_CUSTOM || transferable > 1 {
            return Err(Malformed);
        }
        Ok(Offer {
            kind,
            payment_token: args.address(at + 32)?,
            price: args.small(at + 64, 128)?,
            duration: args.small(at + 96, 64)? as u64,
            transferable: transferable == 1,
            royalty_bps: args.small(at + 160, 16)? as u16,
            supply_cap: args.small(at + 192, 32)? as u32,
            hash: keccak256(&args.data[at..at + OFFER_SIZE]),
        })
    }
}

/// The offer a licence is issued under (`ITributaryTypes.Offer`, but for its terms hash, which
/// licences never reads), and its `keccak256(abi.encode(offer))`.
pub struct Offer {
    /// `OfferKind`.
    pub kind: u8,
    /// ETH (`address(0)`), `CREDITS`, or an ERC-20.
    pub payment_token: Address,
    /// Price in the payment token's smallest unit.
    pub price: u128,
    /// Seconds from issue; 0 is perpetual.
    pub duration: u64,
    /// Whether the licence may change hands.
    pub transferable: bool,
    /// Royalty in basis points (royalty-linked offers).
    pub royalty_bps: u16,
    /// Licences sold under the offer at most; 0 is uncapped.
    pub supply_cap: u32,
    /// `keccak256(abi.encode(offer))`.
    pub hash: B256,
}

/// Routes a selector of [`ILicencesFunctions`] to its function; anything else, or value sent
/// to a function that is not payable, reverts empty as the SDK's router does.
pub fn dispatch(licences: &mut Licences, input: &[u8]) -> stylus_sdk::ArbResult {
    if input.len() < 4 {
        return Err(Vec::new());
    }
    let selector = [input[0], input[1], input[2], input[3]];
    let args = Args { data: &input[4..] };
    let payable = [
        purchaseCall::SELECTOR,
        reportRevenueCall::SELECTOR,
        approveCall::SELECTOR,
        transferFromCall::SELECTOR,
        safeTransferFrom_0Call::SELECTOR,
        safeTransferFrom_1Call::SELECTOR,
    ]
    .contains(&selector);
    if !payable && !licences.vm().msg_value().is_zero() {
        return Err(Vec::new());
    }
    run(licences, selector, args).unwrap_or_else(|Malformed| Err(Vec::new()))
}

/// Return data of one word.
fn word(value: impl Into<B256>) -> Vec<u8> {
    value.into().to_vec()
}

fn uint(value: impl Into<U256>) -> Vec<u8> {
    word(value.into())
}

fn address(value: Address) -> Vec<u8> {
    word(value.into_word())
}

fn boolean(value: bool) -> Vec<u8> {
    uint(U256::from(value as u8))
}

/// Return data of a `string`.
fn string(value: &str) -> Vec<u8> {
    let mut out = uint(U256::from(0x20));
    tributary_stylus_common::abi::bytes(&mut out, value.as_bytes());
    out
}

fn unit(_: ()) -> Vec<u8> {
    Vec::new()
}

/// A `bool` argument: 0 or 1.
fn bool_arg(args: &Args, at: usize) -> Decoded<bool> {
    match args.small(at, 8)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Malformed),
    }
}

/// A `bytes4` argument: four bytes, then zeros.
fn bytes4_arg(args: &Args, at: usize) -> Decoded<[u8; 4]> {
    let word = args.word(at)?;
    if word[4..].iter().any(|&b| b != 0) {
        return Err(Malformed);
    }
    Ok([word[0], word[1], word[2], word[3]])
}

/// Decodes the arguments and runs one call: `Err(Malformed)` if they do not decode, else the
/// function's own result.
fn run(licences: &mut Licences, selector: [u8; 4], args: Args) -> Decoded<stylus_sdk::ArbResult> {
    let result = match selector {
        purchaseCall::SELECTOR => {
            let dataset_id = args.uint(0, 256)?;
            let terms = Terms::at(args, 32)?;
            let (offer_index, recipient) = (args.uint(64, 256)?, args.address(96)?);
            licences
                .purchase(dataset_id, terms, offer_index, recipient)
                .map(uint)
        }
        purchaseWithCreditsCall::SELECTOR => {
            let (payment_id, dataset_id) = (args.b256(0)?, args.uint(32, 256)?);
            let terms = Terms::at(args, 64)?;
            let (offer_index, recipient) = (args.uint(96, 256)?, args.address(128)?);
            licences
                .purchase_with_credits(payment_id, dataset_id, terms, offer_index, recipient)
                .map(uint)
        }
        issueCustomLicenceCall::SELECTOR => {
            let dataset_id = args.uint(0, 256)?;
            let terms = Terms::at(args, 32)?;
            let (offer_index, recipient) = (args.uint(64, 256)?, args.address(96)?);
            let receipt_hash = args.b256(128)?;
            licences
                .issue_custom_licence(dataset_id, terms, offer_index, recipient, receipt_hash)
                .map(uint)
        }
        reportRevenueCall::SELECTOR => {
            let (token_id, revenue) = (args.uint(0, 256)?, args.uint(32, 256)?);
            let evidence_hash = args.b256(64)?;
            let terms = Terms::at(args, 96)?;
            licences
                .report_revenue(token_id, revenue, evidence_hash, terms)
                .map(uint)
        }
        refreshLicenceCall::SELECTOR => licences.refresh_licence(args.uint(0, 256)?).map(unit),
        isLicensedCall::SELECTOR => Ok(boolean(
            licences.is_licensed(args.address(0)?, args.uint(32, 256)?),
        )),
        licensedUntilCall::SELECTOR => Ok(uint(U256::from(
            licences.licensed_until(args.address(0)?, args.uint(32, 256)?),
        ))),
        licenceCall::SELECTOR => licences.licence(args.uint(0, 256)?).map(|licence| {
            let mut out = uint(U256::from(licence.datasetId));
            for value in [
                U256::from(licence.version),
                U256::from(licence.expiresAt),
                U256::from(licence.kind),
                U256::from(licence.transferable as u8),
                U256::from(licence.flagged as u8),
                U256::from(licence.royaltyBps),
            ] {
                out.extend(uint(value));
            }
            out
        }),
        licencePaymentTokenCall::SELECTOR => licences
            .licence_payment_token(args.uint(0, 256)?)
            .map(address),
        offerSoldCall::SELECTOR => Ok(uint(
            licences.offer_sold(args.uint(0, 256)?, args.b256(32)?),
        )),
        PAUSER_ROLECall::SELECTOR => Ok(word(licences.pauser_role())),
        pauseCall::SELECTOR => licences.pause().map(unit),
        unpauseCall::SELECTOR => licences.unpause().map(unit),
        pausedCall::SELECTOR => Ok(boolean(licences.paused())),
        nameCall::SELECTOR => Ok(string(Licences::name())),
        symbolCall::SELECTOR => Ok(string(Licences::symbol())),
        tokenURICall::SELECTOR => licences.token_uri(args.uint(0, 256)?).map(string),
        supportsInterfaceCall::SELECTOR => {
            Ok(boolean(licences.supports_interface(bytes4_arg(&args, 0)?)))
        }
        balanceOfCall::SELECTOR => licences.balance_of(args.address(0)?).map(uint),
        getApprovedCall::SELECTOR => licences.get_approved(args.uint(0, 256)?).map(address),
        isApprovedForAllCall::SELECTOR => Ok(boolean(
            licences.is_approved_for_all(args.address(0)?, args.address(32)?),
        )),
        approveCall::SELECTOR => licences
            .approve(args.address(0)?, args.uint(32, 256)?)
            .map(unit),
        setApprovalForAllCall::SELECTOR => {
            licences.set_approval_for_all(args.address(0)?, bool_arg(&args, 32)?);
            Ok(Vec::new())
        }
        transferFromCall::SELECTOR
        | safeTransferFrom_0Call::SELECTOR
        | safeTransferFrom_1Call::SELECTOR => {
            let (from, to) = (args.address(0)?, args.address(32)?);
            let id = args.uint(64, 256)?;
            if selector == transferFromCall::SELECTOR {
                licences.transfer_from(from, to, id)
            } else if selector == safeTransferFrom_0Call::SELECTOR {
                licences.safe_transfer_from(from, to, id)
            } else {
                let data = args.bytes(args.tail(0, 96)?)?;
                licences.safe_transfer_from_with_data(from, to, id, data)
            }
            .map(unit)
        }
        DEFAULT_ADMIN_ROLECall::SELECTOR => Ok(word(licences.default_admin_role())),
        hasRoleCall::SELECTOR => Ok(boolean(licences.has_role(args.b256(0)?, args.address(32)?))),
        getRoleAdminCall::SELECTOR => Ok(word(licences.get_role_admin(args.b256(0)?))),
        grantRoleCall::SELECTOR => licences
            .grant_role(args.b256(0)?, args.address(32)?)
            .map(unit),
        revokeRoleCall::SELECTOR => licences
            .revoke_role(args.b256(0)?, args.address(32)?)
            .map(unit),
        renounceRoleCall::SELECTOR => licences
            .renounce_role(args.b256(0)?, args.address(32)?)
            .map(unit),
        _ => return Err(Malformed),
    };
    Ok(result.map_err(Vec::from))
}
