//! Rust types generated from the committed ABI (`abi/*.json`, written by `scripts/abi.sh`).
//!
//! The JSON ABI carries no enum names: Solidity enums arrive as `uint8`, so
//! [`DatasetStatus`] and [`OfferKind`] here mirror `ITributaryTypes` by hand
//! (a test reads the Solidity source to keep them in step).

use alloy::primitives::{Address, U256};

use crate::signing;

pub use generated::*;

mod generated {
    // A JSON ABI has no NatSpec, so the generated fields and variants have no
    // docs; the generated methods take the contract functions' arguments.
    #![allow(missing_docs, clippy::too_many_arguments)]

    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        ITributary,
        "../abi/ITributary.json"
    );

    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        TributaryInherited,
        "../abi/TributaryInherited.json"
    );

    alloy::sol! {
        /// The part of ERC-20 a buyer needs to pay in a token.
        #[sol(rpc)]
        interface IERC20 {
            function approve(address spender, uint256 amount) external returns (bool);
            function allowance(address owner, address spender) external view returns (uint256);
            function balanceOf(address account) external view returns (uint256);
        }
    }
}

/// `ITributaryStreams` from its ABI, in a module of its own: its JSON also declares
/// `ITributaryTypes`' structs, which would clash with [`ITributary`]'s copy. [`Split`] and
/// [`Offer`] convert into its types (`From`).
pub mod streams_abi {
    #![allow(missing_docs, clippy::too_many_arguments)]

    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        ITributaryStreams,
        "../abi/ITributaryStreams.json"
    );
}

pub use streams_abi::ITributaryStreams;

/// Superfluid's interfaces, as much of them as the Rust side calls, written from their Solidity
/// signatures (`@superfluid-finance/ethereum-contracts`). Super Tokens and pools are plain
/// addresses here, as in the ABI.
pub mod superfluid {
    #![allow(missing_docs)]

    alloy::sol! {
        /// `GDAv1Forwarder`: the entry point for distributing flows to a GDA pool, connecting to
        /// it and claiming from it (`utils/GDAv1Forwarder.sol`).
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        interface IGDAv1Forwarder {
            function distributeFlow(address token, address from, address pool, int96 requestedFlowRate, bytes userData) external returns (bool);
            function getFlowDistributionFlowRate(address token, address from, address to) external view returns (int96);
            function estimateFlowDistributionActualFlowRate(address token, address from, address to, int96 requestedFlowRate) external view returns (int96 actualFlowRate, int96 totalDistributionFlowRate);
            function connectPool(address pool, bytes userData) external returns (bool);
            function disconnectPool(address pool, bytes userData) external returns (bool);
            function isMemberConnected(address pool, address member) external view returns (bool);
            function claimAll(address pool, address memberAddress, bytes userData) external returns (bool);
            function getNetFlow(address token, address account) external view returns (int96);
            function getPoolAdjustmentFlowRate(address pool) external view returns (int96);
            function isPool(address token, address account) external view returns (bool);
        }

        /// `ISuperfluidPool`: a GDA pool's units, rates and claimable balances.
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        interface ISuperfluidPool {
            function admin() external view returns (address);
            function superToken() external view returns (address);
            function getTotalUnits() external view returns (uint128);
            function getUnits(address memberAddr) external view returns (uint128);
            function getTotalFlowRate() external view returns (int96);
            function getMemberFlowRate(address memberAddr) external view returns (int96);
            function getClaimableNow(address memberAddr) external view returns (int256 claimableBalance, uint256 timestamp);
            function getTotalAmountReceivedByMember(address memberAddr) external view returns (uint256 totalAmountReceived);
            function claimAll() external returns (bool);
        }

        /// `ISuperToken`: ERC-20 plus Superfluid's real-time balance and the wrapper's
        /// upgrade/downgrade (a pure Super Token has no underlying: `getUnderlyingToken` is zero).
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        interface ISuperToken {
            function name() external view returns (string);
            function symbol() external view returns (string);
            function decimals() external view returns (uint8);
            function totalSupply() external view returns (uint256);
            function balanceOf(address account) external view returns (uint256);
            function transfer(address recipient, uint256 amount) external returns (bool);
            function approve(address spender, uint256 amount) external returns (bool);
            function realtimeBalanceOfNow(address account) external view returns (int256 availableBalance, uint256 deposit, uint256 owedDeposit, uint256 timestamp);
            function isAccountCriticalNow(address account) external view returns (bool isCritical);
            function getHost() external view returns (address host);
            function getUnderlyingToken() external view returns (address tokenAddr);
            function upgrade(uint256 amount) external;
            function downgrade(uint256 amount) external;
        }

        /// `ISuperfluid` (the host): only where governance lives.
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        interface ISuperfluid {
            function getGovernance() external view returns (address governance);
        }

        /// `ISuperfluidGovernance`: per-token configuration (liquidation period, minimum deposit).
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        interface ISuperfluidGovernance {
            function getConfigAsUint256(address host, address superToken, bytes32 key) external view returns (uint256 value);
        }
    }

    /// `SuperfluidGovernanceConfigs.CFAV1_PPP_CONFIG_KEY`: the liquidation and patrician periods,
    /// used by the GDA too (`keccak256("org.superfluid-finance.agreements.ConstantFlowAgreement.v1.PPPConfiguration")`).
    pub fn ppp_config_key() -> alloy::primitives::B256 {
        alloy::primitives::keccak256(
            "org.superfluid-finance.agreements.ConstantFlowAgreement.v1.PPPConfiguration",
        )
    }

    /// `SuperfluidGovernanceConfigs.SUPERTOKEN_MINIMUM_DEPOSIT_KEY`.
    pub fn minimum_deposit_key() -> alloy::primitives::B256 {
        alloy::primitives::keccak256("org.superfluid-finance.superfluid.superTokenMinimumDeposit")
    }
}

pub use ITributaryTypes::{CreditPayment, Licence, Offer, Split, Terms};

impl From<&Split> for streams_abi::ITributaryTypes::Split {
    fn from(split: &Split) -> Self {
        Self {
            payees: split.payees.clone(),
            shares: split.shares.clone(),
        }
    }
}

impl From<&Offer> for streams_abi::ITributaryTypes::Offer {
    fn from(offer: &Offer) -> Self {
        Self {
            kind: offer.kind,
            paymentToken: offer.paymentToken,
            price: offer.price,
            duration: offer.duration,
            transferable: offer.transferable,
            royaltyBps: offer.royaltyBps,
            supplyCap: offer.supplyCap,
            termsHash: offer.termsHash,
        }
    }
}

/// The payment token of offers priced in ETH (`address(0)`).
pub const ETH: Address = Address::ZERO;

/// The payment-token sentinel of offers priced in fiat credits
/// (`CREDITS` in `ITributaryTypes.sol`: `address(uint160(0xC4ED175))`).
pub const CREDITS: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0x4e, 0xd1, 0x75,
]);

/// Lifecycle of a dataset (`ITributaryTypes.DatasetStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DatasetStatus {
    /// The id was never registered.
    None = 0,
    /// Sells licences.
    Active = 1,
    /// Sells nothing until reactivated; royalties and releases continue.
    Paused = 2,
    /// Final: sells nothing, never reactivated.
    Retired = 3,
}

/// The kinds of licence a dataset can offer (`ITributaryTypes.OfferKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OfferKind {
    /// Paid once, up front.
    OneOff = 0,
    /// Paid up front plus a royalty share of reported downstream revenue.
    RoyaltyLinked = 1,
    /// Streamed; not purchasable with a one-off payment.
    Subscription = 2,
    /// An off-chain deal; the creator issues the licence against a receipt hash.
    Custom = 3,
}

macro_rules! solidity_enum {
    ($ty:ident { $($variant:ident),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The Solidity name of the value.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant)),+
                }
            }
        }

        impl From<$ty> for u8 {
            fn from(value: $ty) -> u8 {
                value as u8
            }
        }

        impl TryFrom<u8> for $ty {
            type Error = u8;

            /// The value with this ABI encoding, or the byte back if none has it.
            fn try_from(value: u8) -> Result<Self, u8> {
                Self::ALL.get(usize::from(value)).copied().ok_or(value)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

solidity_enum!(DatasetStatus {
    None,
    Active,
    Paused,
    Retired
});
solidity_enum!(OfferKind {
    OneOff,
    RoyaltyLinked,
    Subscription,
    Custom
});

impl Split {
    /// A split from `(payee, share)` pairs in any order: the contract wants
    /// payees strictly ascending, so they are sorted here. Duplicates and zero
    /// shares are left for the contract to refuse.
    pub fn from_shares(shares: impl IntoIterator<Item = (Address, u32)>) -> Self {
        let mut pairs: Vec<(Address, u32)> = shares.into_iter().collect();
        pairs.sort_by_key(|&(payee, _)| payee);
        let (payees, shares) = pairs.into_iter().unzip();
        Self { payees, shares }
    }

    /// The split's identifier, as the contract computes it ([`signing::split_hash`]).
    pub fn hash(&self) -> alloy::primitives::B256 {
        signing::split_hash(self)
    }
}

impl Offer {
    /// The offer's kind, or the raw byte if it names no [`OfferKind`].
    pub fn offer_kind(&self) -> Result<OfferKind, u8> {
        OfferKind::try_from(self.kind)
    }

    /// The ETH value a `purchase` of this offer must carry: its price for ETH
    /// offers, nothing for token and credit offers.
    pub fn eth_value(&self) -> U256 {
        if self.paymentToken == ETH {
            U256::from(self.price)
        } else {
            U256::ZERO
        }
    }
}

impl Terms {
    /// The terms a buyer resends for a dataset with this split and these offers.
    pub fn new(split: &Split, offers: Vec<Offer>) -> Self {
        Self {
            splitHash: split.hash(),
            offers,
        }
    }

    /// The terms hash the registry stores ([`signing::terms_hash`]).
    pub fn hash(&self) -> alloy::primitives::B256 {
        signing::terms_hash(self.splitHash, &self.offers)
    }
}

impl Licence {
    /// The licence's kind, or the raw byte if it names no [`OfferKind`].
    pub fn offer_kind(&self) -> Result<OfferKind, u8> {
        OfferKind::try_from(self.kind)
    }

    /// Whether the licence never expires.
    pub fn is_perpetual(&self) -> bool {
        self.expiresAt == u64::MAX
    }
}
