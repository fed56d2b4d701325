//! Terms: the arguments that describe an offer and a split (shared with `publish`), and the
//! creator's `offer` and `split` commands, which replace a dataset's terms (`setTerms`).
//! Licences already sold keep the terms they were sold under; payments made before a split
//! change stay with the old split.

use std::{fs, path::PathBuf};

use alloy::primitives::{Address, B256, U256, utils::parse_ether};
use anyhow::{Context, bail};
use serde::Serialize;
use tributary_core::{
    chain::{DatasetTerms, ETH, Offer, OfferKind, Split},
    hash::Sha256Digest,
    manifest::LicenceTerms,
};

use crate::{Outcome, home::Home, output};

/// `tributary offer …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum OfferCommand {
    /// List a dataset's offers and split.
    ///
    /// Example: `tributary offer list 1`
    List {
        /// The dataset's id.
        dataset: U256,
    },
    /// Add an offer to one of your datasets.
    ///
    /// Example: `tributary offer add 1 --price 0.5 --duration 2592000 --transferable`
    Add {
        /// The dataset's id.
        dataset: U256,
        #[command(flatten)]
        licence: LicenceArgs,
        #[command(flatten)]
        offer: OfferArgs,
    },
    /// Withdraw one of your dataset's offers (licences sold under it stay valid).
    ///
    /// Example: `tributary offer remove 1 0`
    Remove {
        /// The dataset's id.
        dataset: U256,
        /// The offer's index (see `offer list`).
        index: usize,
    },
}

/// `tributary split …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum SplitCommand {
    /// Replace the payees and shares of one of your datasets, for payments from now on.
    ///
    /// Example: `tributary split set 1 --payee 0xAb…=1 --payee 0xCd…=1`
    Set {
        /// The dataset's id.
        dataset: U256,
        /// A payee and their shares, `ADDRESS=SHARES`; repeat for each payee.
        #[arg(long = "payee", value_name = "ADDRESS=SHARES", value_parser = parse_payee, required = true)]
        payees: Vec<(Address, u32)>,
    },
}

#[derive(Serialize)]
struct ShownOffer {
    index: usize,
    kind: String,
    price: String,
    payment_token: String,
    duration: u64,
    transferable: bool,
    royalty_bps: u16,
    supply_cap: u32,
    terms_hash: String,
}

#[derive(Serialize)]
struct ShownPayee {
    payee: String,
    shares: u32,
}

#[derive(Serialize)]
struct Report {
    dataset_id: String,
    split_hash: String,
    payees: Vec<ShownPayee>,
    offers: Vec<ShownOffer>,
    tx_hash: Option<String>,
}

pub(crate) async fn offer(
    command: &OfferCommand,
    home: &Home,
    json: bool,
) -> anyhow::Result<Outcome> {
    match command {
        OfferCommand::List { dataset } => {
            let chain = home.chain(None).await?;
            let terms = chain.tributary.terms_of(chain.scan, *dataset).await?;
            show(*dataset, &terms, None, json)
        }
        OfferCommand::Add {
            dataset,
            licence,
            offer,
        } => {
            let (_, terms_hash) = licence.terms()?;
            let added = offer.offer(terms_hash)?;
            replace_terms(home, *dataset, json, |terms| {
                terms.offers.push(added);
                Ok(())
            })
            .await
        }
        OfferCommand::Remove { dataset, index } => replace_terms(home, *dataset, json, |terms| {
            if *index >= terms.offers.len() {
                bail!(
                    "dataset {dataset} has {} offer(s): no offer {index}",
                    terms.offers.len()
                );
            }
            if terms.offers.len() == 1 {
                bail!(
                    "a dataset keeps at least one offer: add another first, or retire the dataset"
                );
            }
            terms.offers.remove(*index);
            Ok(())
        })
        .await,
    }
}

pub(crate) async fn split(
    command: &SplitCommand,
    home: &Home,
    json: bool,
) -> anyhow::Result<Outcome> {
    let SplitCommand::Set { dataset, payees } = command;
    replace_terms(home, *dataset, json, |terms| {
        terms.split = Split::from_shares(payees.iter().copied());
        Ok(())
    })
    .await
}

fn show(
    dataset: U256,
    terms: &DatasetTerms,
    tx_hash: Option<String>,
    json: bool,
) -> anyhow::Result<Outcome> {
    let report = Report {
        dataset_id: dataset.to_string(),
        split_hash: terms.split.hash().to_string(),
        payees: terms
            .split
            .payees
            .iter()
            .zip(&terms.split.shares)
            .map(|(payee, shares)| ShownPayee {
                payee: format!("{payee:#x}"),
                shares: *shares,
            })
            .collect(),
        offers: terms
            .offers
            .iter()
            .enumerate()
            .map(|(index, offer)| ShownOffer {
                index,
                kind: offer
                    .offer_kind()
                    .map(|kind| kind.to_string())
                    .unwrap_or_else(|byte| format!("unknown({byte})")),
                price: offer.price.to_string(),
                payment_token: token_name(offer.paymentToken),
                duration: offer.duration,
                transferable: offer.transferable,
                royalty_bps: offer.royaltyBps,
                supply_cap: offer.supplyCap,
                terms_hash: offer.termsHash.to_string(),
            })
            .collect(),
        tx_hash,
    };
    if json {
        output::json(&report)?;
        return Ok(Outcome::Ok);
    }
    if let Some(tx) = &report.tx_hash {
        println!(
            "new terms set for dataset {} in transaction {tx}",
            report.dataset_id
        );
    }
    println!("dataset {}: split {}", report.dataset_id, report.split_hash);
    for payee in &report.payees {
        println!("  payee {} {} share(s)", payee.payee, payee.shares);
    }
    for offer in &report.offers {
        let duration = if offer.duration == 0 {
            "perpetual".to_owned()
        } else {
            format!("{} s", offer.duration)
        };
        println!(
            "  offer {}: {} for {} {}, {duration}{}{}",
            offer.index,
            offer.kind,
            offer.price,
            offer.payment_token,
            if offer.transferable {
                ", transferable"
            } else {
                ""
            },
            if offer.supply_cap > 0 {
                format!(", at most {}", offer.supply_cap)
            } else {
                String::new()
            },
        );
    }
    Ok(Outcome::Ok)
}

/// How an amount in `token` is named in reports.
pub(crate) fn token_name(token: Address) -> String {
    if token == ETH {
        "wei (ETH)".into()
    } else if token == tributary_core::chain::CREDITS {
        "credits".into()
    } else {
        format!("units of {token:#x}")
    }
}

/// Reads the dataset's terms, lets `change` edit them, and sends them as the creator.
async fn replace_terms(
    home: &Home,
    dataset: U256,
    json: bool,
    change: impl FnOnce(&mut DatasetTerms) -> anyhow::Result<()>,
) -> anyhow::Result<Outcome> {
    let key = home.key()?;
    let chain = home.chain(Some(&key)).await?;
    chain.require_creator(dataset, &key).await?;
    let tributary = &chain.tributary;
    let mut terms = tributary.terms_of(chain.scan, dataset).await?;
    change(&mut terms)?;
    let confirmed = tributary
        .set_terms(dataset, &terms.split, &terms.offers)
        .await
        .context("the new terms were not set")?;
    show(
        dataset,
        &terms,
        Some(format!("{:#x}", confirmed.receipt.transaction_hash)),
        json,
    )
}

/// The licence a manifest names, and whose hash the offer carries.
#[derive(Debug, clap::Args)]
pub(crate) struct LicenceArgs {
    /// An SPDX licence id. The offer's terms hash is the sha256 of the id.
    #[arg(long, default_value = "CC-BY-4.0", conflicts_with = "terms_file")]
    licence: String,
    /// A custom licence text; the offer's terms hash is its sha256. Needs --terms-url.
    #[arg(long, requires = "terms_url")]
    terms_file: Option<PathBuf>,
    /// Where buyers read the custom licence text.
    #[arg(long, requires = "terms_file")]
    terms_url: Option<String>,
}

/// The offer a dataset is registered with.
#[derive(Debug, clap::Args)]
pub(crate) struct OfferArgs {
    /// The kind of licence sold.
    #[arg(long, value_enum, default_value = "one-off")]
    kind: Kind,
    /// Price: ether (e.g. `0.01`) for ETH, or the token's smallest unit with --token.
    #[arg(long, default_value = "0")]
    price: String,
    /// An allow-listed ERC-20 to be paid in (default: ETH).
    #[arg(long)]
    token: Option<Address>,
    /// Licence duration in seconds; 0 is perpetual.
    #[arg(long, default_value_t = 0)]
    duration: u64,
    /// Licences can change hands.
    #[arg(long)]
    transferable: bool,
    /// Royalty on downstream revenue, basis points (royalty-linked offers).
    #[arg(long, default_value_t = 0)]
    pub(crate) royalty_bps: u16,
    /// At most this many licences; 0 is unlimited.
    #[arg(long, default_value_t = 0)]
    supply_cap: u32,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    OneOff,
    RoyaltyLinked,
    Custom,
    /// Streamed with Superfluid: --token is the Super Token, --price the minimum rate in token
    /// wei per second (`tributary stream start`).
    Subscription,
}

impl LicenceArgs {
    /// The manifest's licence terms and the offer's terms hash.
    pub(crate) fn terms(&self) -> anyhow::Result<(LicenceTerms, B256)> {
        match (&self.terms_file, &self.terms_url) {
            (Some(file), Some(url)) => {
                let text = fs::read(file)
                    .with_context(|| format!("cannot read the licence text {}", file.display()))?;
                let digest = Sha256Digest::of(&text);
                Ok((
                    LicenceTerms::Custom {
                        sha256: digest.to_string(),
                        url: url.clone(),
                    },
                    B256::from(*digest.as_bytes()),
                ))
            }
            _ => Ok((
                LicenceTerms::Spdx(self.licence.clone()),
                B256::from(*Sha256Digest::of(self.licence.as_bytes()).as_bytes()),
            )),
        }
    }
}

impl OfferArgs {
    pub(crate) fn offer(&self, terms_hash: B256) -> anyhow::Result<Offer> {
        let token = self.token.unwrap_or(ETH);
        let price: u128 = if token == ETH {
            let wei = parse_ether(&self.price)
                .with_context(|| format!("--price {} is not an amount of ether", self.price))?;
            u128::try_from(wei).context("--price is too large")?
        } else {
            self.price.parse().with_context(|| {
                format!(
                    "--price {} is not a whole number of token units",
                    self.price
                )
            })?
        };
        let kind = match self.kind {
            Kind::OneOff => OfferKind::OneOff,
            Kind::RoyaltyLinked => OfferKind::RoyaltyLinked,
            Kind::Custom => OfferKind::Custom,
            Kind::Subscription => {
                if token == ETH {
                    bail!(
                        "a subscription streams a Super Token: pass --token SUPER_TOKEN and the \
                         minimum rate in token wei per second as --price"
                    );
                }
                if price == 0 || price >= 1 << 95 {
                    bail!(
                        "--price {price} is not a rate Superfluid can stream (1 to 2^95 - 1 wei/s)"
                    );
                }
                OfferKind::Subscription
            }
        };
        Ok(Offer {
            kind: kind.into(),
            paymentToken: token,
            price,
            duration: self.duration,
            transferable: self.transferable,
            royaltyBps: if matches!(self.kind, Kind::RoyaltyLinked) {
                self.royalty_bps
            } else {
                0
            },
            supplyCap: self.supply_cap,
            termsHash: terms_hash,
        })
    }
}

pub(crate) fn parse_payee(text: &str) -> Result<(Address, u32), String> {
    let (address, shares) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not ADDRESS=SHARES"))?;
    let address: Address = address
        .parse()
        .map_err(|_| format!("{address:?} is not an address"))?;
    let shares: u32 = shares
        .parse()
        .map_err(|_| format!("{shares:?} is not a whole number of shares"))?;
    Ok((address, shares))
}
