//! `tributary buy`: buy a licence to a dataset with ETH or an allow-listed ERC-20.

use alloy::primitives::{Address, U256};
use anyhow::{Context, bail};
use serde::Serialize;
use tributary_core::chain::{CREDITS, ETH, OfferKind};

use crate::{Outcome, home::Home, output};

/// Arguments of `tributary buy`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The dataset's id.
    dataset: U256,
    /// Which of the dataset's offers to buy (see `tributary verify <dataset>`).
    #[arg(long, default_value_t = 0)]
    offer: usize,
    /// Mint the licence to this address instead of yours.
    #[arg(long)]
    recipient: Option<Address>,
}

#[derive(Serialize)]
struct Report {
    dataset_id: String,
    token_id: String,
    holder: String,
    price: String,
    payment_token: String,
    expires_at: u64,
    tx_hash: String,
}

pub(crate) async fn run(args: &Args, home: &Home, json: bool) -> anyhow::Result<Outcome> {
    let key = home.key()?;
    let chain = home.chain(Some(&key)).await?;
    let tributary = &chain.tributary;
    let terms = tributary.terms_of(chain.scan, args.dataset).await?.terms();
    let offer = terms.offers.get(args.offer).with_context(|| {
        format!(
            "dataset {} has {} offer(s): --offer must be below that",
            args.dataset,
            terms.offers.len()
        )
    })?;
    match offer.offer_kind() {
        Ok(OfferKind::OneOff | OfferKind::RoyaltyLinked) => {}
        Ok(kind) => bail!(
            "offer {} is a {kind} offer, which is not bought with a payment",
            args.offer
        ),
        Err(byte) => bail!("offer {} has an unknown kind {byte}", args.offer),
    }
    let token = offer.paymentToken;
    if token == CREDITS {
        bail!(
            "offer {} is priced in card credits: pay by card through the relayer",
            args.offer
        );
    }
    if token != ETH && offer.price > 0 {
        tributary
            .approve_token(token, U256::from(offer.price))
            .await
            .context("the token approval failed")?;
    }
    let holder = args.recipient.unwrap_or(key.address());
    let confirmed = tributary
        .purchase(args.dataset, &terms, args.offer, holder)
        .await
        .context("the purchase failed")?;
    let token_id = confirmed.value;
    let licence = tributary.licence(token_id).await?;
    let report = Report {
        dataset_id: args.dataset.to_string(),
        token_id: token_id.to_string(),
        holder: format!("{holder:#x}"),
        price: offer.price.to_string(),
        payment_token: if token == ETH {
            "ETH".into()
        } else {
            format!("{token:#x}")
        },
        expires_at: licence.expiresAt,
        tx_hash: format!("{:#x}", confirmed.receipt.transaction_hash),
    };
    if json {
        output::json(&report)?;
    } else {
        println!(
            "licence {} to dataset {} for {}",
            report.token_id, report.dataset_id, report.holder
        );
        println!("  paid         {} ({})", report.price, report.payment_token);
        println!("  expires      {}", expiry_text(report.expires_at));
        println!("  transaction  {}", report.tx_hash);
    }
    Ok(Outcome::Ok)
}

/// `never` for a perpetual licence, else the unix time.
pub(crate) fn expiry_text(expires_at: u64) -> String {
    if expires_at == u64::MAX {
        "never".into()
    } else {
        format!("unix time {expires_at}")
    }
}
