//! `tributary claim`: release what every split you are a payee of owes you, in every token.

use serde::Serialize;

use crate::{Outcome, home::Home, output, terms::token_name};

/// Arguments of `tributary claim`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only show what is releasable; send nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Serialize)]
struct Claimed {
    split_hash: String,
    token: String,
    amount: String,
    tx_hash: Option<String>,
}

#[derive(Serialize)]
struct Report {
    payee: String,
    claims: Vec<Claimed>,
}

pub(crate) async fn run(args: &Args, home: &Home, json: bool) -> anyhow::Result<Outcome> {
    let key = home.key()?;
    let payee = key.address();
    let chain = home.chain(Some(&key)).await?;
    let tributary = &chain.tributary;
    let mut claims = Vec::new();
    for found in tributary.splits_of_payee(chain.scan, payee).await? {
        for token in &found.tokens {
            let amount = tributary.releasable(*token, &found.split, payee).await?;
            if amount.is_zero() {
                continue;
            }
            let tx_hash = if args.dry_run {
                None
            } else {
                let confirmed = tributary.release(*token, &found.split, payee).await?;
                Some(format!("{:#x}", confirmed.receipt.transaction_hash))
            };
            claims.push(Claimed {
                split_hash: found.split_hash.to_string(),
                token: token_name(*token),
                amount: amount.to_string(),
                tx_hash,
            });
        }
    }
    let report = Report {
        payee: format!("{payee:#x}"),
        claims,
    };
    if json {
        output::json(&report)?;
    } else if report.claims.is_empty() {
        println!("nothing to claim for {}", report.payee);
    } else {
        let verb = if args.dry_run {
            "releasable"
        } else {
            "released"
        };
        for claim in &report.claims {
            println!(
                "{verb} {} {} from split {}",
                claim.amount, claim.token, claim.split_hash
            );
            if claim.token == "credits" && !args.dry_run {
                println!("  (a fiat payout order: the relayer pays it through Stripe Connect)");
            }
        }
    }
    Ok(Outcome::Ok)
}
