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

pub use ITributaryTypes::{CreditPayment, Licence, Offer, Split, Terms};

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
