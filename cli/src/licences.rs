//! `tributary licences`: the licences an account holds, from the chain.

use alloy::primitives::Address;
use serde::Serialize;
use tributary_core::chain::OfferKind;

use crate::{Outcome, buy::expiry_text, home::Home, output};

/// Arguments of `tributary licences`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Whose licences (default: yours).
    #[arg(long)]
    holder: Option<Address>,
}

#[derive(Serialize)]
struct Held {
    token_id: String,
    dataset_id: String,
    version: u32,
    kind: String,
    expires_at: u64,
    valid: bool,
    transferable: bool,
    flagged: bool,
}

#[derive(Serialize)]
struct Report {
    holder: String,
    licences: Vec<Held>,
}

pub(crate) async fn run(args: &Args, home: &Home, json: bool) -> anyhow::Result<Outcome> {
    let holder = match args.holder {
        Some(holder) => holder,
        None => home.key()?.address(),
    };
    let chain = home.chain(None).await?;
    let tributary = &chain.tributary;
    let now = tributary.latest_block_time().await?;
    let mut licences = Vec::new();
    for token_id in tributary.licences_held(chain.scan, holder).await? {
        let licence = tributary.licence(token_id).await?;
        licences.push(Held {
            token_id: token_id.to_string(),
            dataset_id: licence.datasetId.to_string(),
            version: licence.version,
            kind: OfferKind::try_from(licence.kind)
                .map(|kind| kind.to_string())
                .unwrap_or_else(|byte| format!("unknown({byte})")),
            expires_at: licence.expiresAt,
            valid: licence.expiresAt > now,
            transferable: licence.transferable,
            flagged: licence.flagged,
        });
    }
    let report = Report {
        holder: format!("{holder:#x}"),
        licences,
    };
    if json {
        output::json(&report)?;
    } else if report.licences.is_empty() {
        println!("{} holds no licences", report.holder);
    } else {
        println!("licences held by {}:", report.holder);
        for held in &report.licences {
            println!(
                "  #{:<6} dataset {:<6} v{:<3} {:<13} expires {}{}{}",
                held.token_id,
                held.dataset_id,
                held.version,
                held.kind,
                expiry_text(held.expires_at),
                if held.valid { "" } else { "  (expired)" },
                if held.flagged {
                    "  (flagged: its credits were reversed)"
                } else {
                    ""
                },
            );
        }
    }
    Ok(Outcome::Ok)
}
