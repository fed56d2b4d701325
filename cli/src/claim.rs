//! `tributary claim`: release what every split you are a payee of owes you, in every token,
//! and collect what subscriptions streamed to you through the datasets' Superfluid pools.

use alloy::primitives::{Address, I256};
use serde::Serialize;
use tributary_core::chain::{LogScan, Streams, superfluid::ISuperfluidPool};

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

/// A dataset's Superfluid pool the payee is a member of.
#[derive(Serialize)]
struct Streamed {
    dataset_id: String,
    token: String,
    pool: String,
    units: String,
    /// What the pool held for the payee (not yet in their balance), in token wei.
    claimable: String,
    /// Whether the payee's share reaches their balance in real time (after this claim).
    connected: bool,
    /// The rate the payee receives now, in token wei per second.
    flow_rate: String,
    /// The `connectPool` sent (once: the pool then pays in real time).
    connect_tx: Option<String>,
    /// The `claimAll` sent for what a connected pool still held.
    claim_tx: Option<String>,
}

#[derive(Serialize)]
struct Report {
    payee: String,
    claims: Vec<Claimed>,
    /// `None` when no streams deployment is configured.
    streams: Option<Vec<Streamed>>,
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
    let streams = if home.has_streams() {
        let streams = home.streams(&chain).await?;
        Some(collect_streams(&streams, chain.scan, payee, args.dry_run).await?)
    } else {
        None
    };
    let report = Report {
        payee: format!("{payee:#x}"),
        claims,
        streams,
    };
    if json {
        output::json(&report)?;
        return Ok(Outcome::Ok);
    }
    print_streams(report.streams.as_deref(), args.dry_run);
    if report.claims.is_empty() {
        println!("nothing to release from splits for {}", report.payee);
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

/// Every pool `payee` has had units in: what it holds for them is moved to their balance
/// (`connectPool` once, so that the share then arrives in real time; `claimAll` for anything a
/// connected pool still holds), unless `dry_run`.
async fn collect_streams(
    streams: &Streams,
    scan: LogScan,
    payee: Address,
    dry_run: bool,
) -> anyhow::Result<Vec<Streamed>> {
    let mut collected = Vec::new();
    for member in streams.pools_of_member(scan, payee).await? {
        let pool = member.pool;
        let claimable = streams.claimable(pool, payee).await?;
        let mut connected = streams.is_member_connected(pool, payee).await?;
        let mut connect_tx = None;
        let mut claim_tx = None;
        if !dry_run {
            if !connected && member.units > 0 {
                // Connecting settles what the pool held into the balance.
                let confirmed = streams.connect_pool(pool).await?;
                connect_tx = Some(format!("{:#x}", confirmed.receipt.transaction_hash));
                connected = true;
            }
            if streams.claimable(pool, payee).await? > I256::ZERO {
                let confirmed = streams.claim_all(pool, payee).await?;
                claim_tx = Some(format!("{:#x}", confirmed.receipt.transaction_hash));
            }
        }
        let flow_rate = ISuperfluidPool::new(pool, streams.client().provider())
            .getMemberFlowRate(payee)
            .call()
            .await?;
        collected.push(Streamed {
            dataset_id: member.dataset_id.to_string(),
            token: format!("{:#x}", member.token),
            pool: format!("{pool:#x}"),
            units: member.units.to_string(),
            claimable: claimable.to_string(),
            connected,
            flow_rate: flow_rate.to_string(),
            connect_tx,
            claim_tx,
        });
    }
    Ok(collected)
}

fn print_streams(streams: Option<&[Streamed]>, dry_run: bool) {
    let Some(streams) = streams else {
        return;
    };
    for pool in streams {
        let verb = if dry_run { "claimable" } else { "collected" };
        println!(
            "{verb} {} wei of Super Token {} streamed for dataset {} (pool {}, {} units)",
            pool.claimable, pool.token, pool.dataset_id, pool.pool, pool.units
        );
        let state = if pool.connected {
            "connected: it arrives in your balance as it streams"
        } else if dry_run {
            "not connected: `tributary claim` connects it"
        } else {
            "not connected (no units)"
        };
        println!("  now {} wei/s; {state}", pool.flow_rate);
    }
}
