//! `tributary stream`: subscribe to a dataset by streaming a Super Token to its pool
//! (Superfluid GDA, through `TributaryStreams`; docs/streaming.md).

use alloy::primitives::{Address, I256, U256, aliases::I96};
use anyhow::{Context, bail};
use serde::Serialize;
use tributary_core::chain::{DatasetStatus, Streams};

use crate::{
    Outcome,
    home::{Chain, Home},
    output,
};

/// `tributary stream …`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum StreamCommand {
    /// Start streaming to a dataset: licensed while the flow runs at the subscription's rate.
    /// The default rate is the one the dataset's pool needs (`requiredFlowRate`: the offer's
    /// minimum plus the GDA's rounding).
    ///
    /// Example: `tributary stream start 3`
    Start(StartArgs),
    /// Change the rate of your stream to a dataset.
    ///
    /// Example: `tributary stream update 3 --rate 2000000000000000`
    Update(UpdateArgs),
    /// Stop your stream to a dataset (its deposit comes back); the licence ends in that block.
    ///
    /// Example: `tributary stream stop 3`
    Stop(StopArgs),
    /// Your stream to a dataset: its rate, the subscription's rates, your balance, the licence.
    ///
    /// Example: `tributary stream status 3`
    Status(StatusArgs),
}

/// Arguments of `tributary stream start`.
#[derive(Debug, clap::Args)]
pub(crate) struct StartArgs {
    /// The dataset's id.
    dataset: U256,
    /// The Super Token to stream (default: the dataset's only subscription token).
    #[arg(long)]
    token: Option<Address>,
    /// The rate to request, in token wei per second (default: the required rate).
    #[arg(long)]
    rate: Option<i128>,
}

/// Arguments of `tributary stream update`.
#[derive(Debug, clap::Args)]
pub(crate) struct UpdateArgs {
    /// The dataset's id.
    dataset: U256,
    /// The Super Token streamed (default: the dataset's only subscription token).
    #[arg(long)]
    token: Option<Address>,
    /// The new rate to request, in token wei per second.
    #[arg(long)]
    rate: i128,
}

/// Arguments of `tributary stream stop`.
#[derive(Debug, clap::Args)]
pub(crate) struct StopArgs {
    /// The dataset's id.
    dataset: U256,
    /// The Super Token streamed (default: the dataset's only subscription token).
    #[arg(long)]
    token: Option<Address>,
}

/// Arguments of `tributary stream status`.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    /// The dataset's id.
    dataset: U256,
    /// The Super Token (default: the dataset's only subscription token).
    #[arg(long)]
    token: Option<Address>,
    /// Whose stream (default: yours).
    #[arg(long)]
    account: Option<Address>,
}

/// What start, update and stop report.
#[derive(Serialize)]
struct Changed {
    action: &'static str,
    dataset_id: String,
    account: String,
    token: String,
    pool: String,
    /// Whether the dataset's pools were synced to its terms first.
    synced: bool,
    requested_rate: String,
    /// The rate the GDA recorded (the request rounded down to the pool's units).
    flow_rate: String,
    required_rate: String,
    /// What Superfluid holds as deposit for the flow.
    deposit: String,
    licensed: bool,
    tx_hash: String,
    block_number: Option<u64>,
    gas_used: u64,
}

#[derive(Serialize)]
struct Status {
    dataset_id: String,
    account: String,
    token: String,
    pool: Option<String>,
    /// The dataset's pools follow its current terms.
    synced: bool,
    flow_rate: String,
    min_rate: String,
    required_rate: String,
    available_balance: String,
    deposit: String,
    subscribed: bool,
    licensed: bool,
}

pub(crate) async fn run(
    command: &StreamCommand,
    home: &Home,
    json: bool,
) -> anyhow::Result<Outcome> {
    match command {
        StreamCommand::Start(args) => {
            change(
                home,
                json,
                Action::Start(args.rate),
                args.dataset,
                args.token,
            )
            .await
        }
        StreamCommand::Update(args) => {
            change(
                home,
                json,
                Action::Update(args.rate),
                args.dataset,
                args.token,
            )
            .await
        }
        StreamCommand::Stop(args) => {
            change(home, json, Action::Stop, args.dataset, args.token).await
        }
        StreamCommand::Status(args) => status(args, home, json).await,
    }
}

#[derive(Clone, Copy)]
enum Action {
    Start(Option<i128>),
    Update(i128),
    Stop,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Self::Start(_) => "start",
            Self::Update(_) => "update",
            Self::Stop => "stop",
        }
    }
}

fn int96(rate: i128) -> anyhow::Result<I96> {
    if rate <= 0 {
        bail!(
            "--rate must be a positive number of token wei per second (stop with `tributary stream stop`)"
        );
    }
    I96::try_from(rate)
        .map_err(|_| anyhow::anyhow!("--rate {rate} does not fit Superfluid's int96"))
}

/// Fails unless the dataset exists; syncs its pools when its synced terms are behind the
/// registry's (anyone may sync). Returns whether it synced.
async fn ensure_synced(chain: &Chain, streams: &Streams, dataset: U256) -> anyhow::Result<bool> {
    let record = chain.tributary.dataset(dataset).await?;
    if record.status == DatasetStatus::None {
        bail!("dataset {dataset} does not exist");
    }
    if streams.synced_terms_hash(dataset).await? == record.terms_hash {
        return Ok(false);
    }
    let terms = chain.tributary.terms_of(chain.scan, dataset).await?;
    streams
        .sync(dataset, &terms.split, &terms.offers)
        .await
        .with_context(|| {
            format!("dataset {dataset}'s pools are behind its terms and syncing them failed")
        })?;
    Ok(true)
}

/// The Super Token to use: `--token`, else the dataset's only subscription token.
async fn pick_token(
    streams: &Streams,
    dataset: U256,
    token: Option<Address>,
) -> anyhow::Result<Address> {
    let tokens = streams.subscription_tokens(dataset).await?;
    match token {
        Some(token) if tokens.contains(&token) => Ok(token),
        Some(token) => bail!(
            "dataset {dataset} has no subscription offer in {token:#x}{}",
            offered(&tokens)
        ),
        None => match tokens.as_slice() {
            [] => bail!(
                "dataset {dataset} has no subscription offer: it cannot be streamed to (buy one of \
                 its offers with `tributary buy`)"
            ),
            [token] => Ok(*token),
            _ => bail!(
                "dataset {dataset} offers subscriptions in several tokens{}: choose one with --token",
                offered(&tokens)
            ),
        },
    }
}

fn offered(tokens: &[Address]) -> String {
    if tokens.is_empty() {
        return String::new();
    }
    let list: Vec<String> = tokens.iter().map(|token| format!("{token:#x}")).collect();
    format!(" (offered: {})", list.join(", "))
}

async fn change(
    home: &Home,
    json: bool,
    action: Action,
    dataset: U256,
    token: Option<Address>,
) -> anyhow::Result<Outcome> {
    let key = home.key()?;
    let account = key.address();
    let chain = home.chain(Some(&key)).await?;
    let streams = home.streams(&chain).await?;
    let synced = ensure_synced(&chain, &streams, dataset).await?;
    let token = pick_token(&streams, dataset, token).await?;
    let required = streams.required_flow_rate(dataset, token).await?;
    let pool = streams
        .pool_of(dataset, token)
        .await?
        .with_context(|| format!("dataset {dataset} has no pool for {token:#x}"))?;
    let current = streams.distribution_flow_rate(token, account, pool).await?;
    let requested = match action {
        Action::Start(rate) => {
            if current > I96::ZERO {
                bail!(
                    "you already stream {current} wei/s to dataset {dataset}: change it with \
                     `tributary stream update {dataset} --rate R` or end it with `tributary stream stop {dataset}`"
                );
            }
            match rate {
                Some(rate) => int96(rate)?,
                None => required,
            }
        }
        Action::Update(_) if current == I96::ZERO => {
            bail!(
                "you do not stream to dataset {dataset}: start with `tributary stream start {dataset}`"
            )
        }
        Action::Update(rate) => int96(rate)?,
        Action::Stop => {
            if current == I96::ZERO {
                bail!("you do not stream to dataset {dataset}: nothing to stop");
            }
            I96::ZERO
        }
    };
    if requested > I96::ZERO {
        if requested < required {
            eprintln!(
                "warning: {requested} wei/s is below the {required} wei/s dataset {dataset} needs: \
                 you will not be licensed"
            );
        }
        // The flow holds a deposit (rate × the token's liquidation period); an update needs
        // only the difference with the current flow's.
        let needed = streams.deposit_for(token, requested).await?;
        let held = streams.deposit_for(token, current).await?;
        let balance = streams.realtime_balance(token, account).await?;
        let spendable = balance.available + I256::from_raw(held);
        if spendable <= I256::from_raw(needed) {
            bail!(
                "not enough of the Super Token {token:#x} for the deposit: a flow of {requested} \
                 wei/s holds {needed} as deposit and your available balance is {}{}",
                balance.available,
                if held.is_zero() {
                    String::new()
                } else {
                    format!(" (plus {held} held by your current flow)")
                }
            );
        }
    }
    let confirmed = streams
        .distribute_flow(token, pool, requested)
        .await
        .with_context(|| format!("the stream {} failed", action.name()))?;
    let flow = streams.distribution_flow_rate(token, account, pool).await?;
    let report = Changed {
        action: action.name(),
        dataset_id: dataset.to_string(),
        account: format!("{account:#x}"),
        token: format!("{token:#x}"),
        pool: format!("{pool:#x}"),
        synced,
        requested_rate: requested.to_string(),
        flow_rate: flow.to_string(),
        required_rate: required.to_string(),
        deposit: streams.deposit_for(token, flow).await?.to_string(),
        licensed: streams.is_licensed(account, dataset).await?,
        tx_hash: format!("{:#x}", confirmed.receipt.transaction_hash),
        block_number: confirmed.receipt.block_number,
        gas_used: confirmed.receipt.gas_used,
    };
    if json {
        output::json(&report)?;
    } else {
        if synced {
            println!(
                "synced dataset {}'s pools to its current terms",
                report.dataset_id
            );
        }
        match action {
            Action::Stop => println!(
                "stopped your stream to dataset {} ({})",
                report.dataset_id, report.token
            ),
            _ => println!(
                "streaming {} wei/s of {} to dataset {} (pool {})",
                report.flow_rate, report.token, report.dataset_id, report.pool
            ),
        }
        println!("  required     {} wei/s", report.required_rate);
        println!("  deposit      {}", report.deposit);
        println!(
            "  licensed     {}",
            if report.licensed { "yes" } else { "no" }
        );
        println!(
            "  transaction  {} ({} gas)",
            report.tx_hash, report.gas_used
        );
    }
    Ok(Outcome::Ok)
}

async fn status(args: &StatusArgs, home: &Home, json: bool) -> anyhow::Result<Outcome> {
    let account = match args.account {
        Some(account) => account,
        None => home.key()?.address(),
    };
    let chain = home.chain(None).await?;
    let streams = home.streams(&chain).await?;
    let dataset = args.dataset;
    let record = chain.tributary.dataset(dataset).await?;
    if record.status == DatasetStatus::None {
        bail!("dataset {dataset} does not exist");
    }
    let synced = streams.synced_terms_hash(dataset).await? == record.terms_hash;
    let token = pick_token(&streams, dataset, args.token)
        .await
        .map_err(|error| {
            if synced {
                error
            } else {
                error.context(format!(
                    "dataset {dataset}'s pools are behind its terms: `tributary stream start` syncs them"
                ))
            }
        })?;
    let pool = streams.pool_of(dataset, token).await?;
    let balance = streams.realtime_balance(token, account).await?;
    let report = Status {
        dataset_id: dataset.to_string(),
        account: format!("{account:#x}"),
        token: format!("{token:#x}"),
        pool: pool.map(|pool| format!("{pool:#x}")),
        synced,
        flow_rate: streams
            .flow_rate(account, dataset, token)
            .await?
            .to_string(),
        min_rate: streams.min_flow_rate(dataset, token).await?.to_string(),
        required_rate: streams
            .required_flow_rate(dataset, token)
            .await?
            .to_string(),
        available_balance: balance.available.to_string(),
        deposit: balance.deposit.to_string(),
        subscribed: streams.is_subscribed(account, dataset).await?,
        licensed: streams.is_licensed(account, dataset).await?,
    };
    if json {
        output::json(&report)?;
    } else {
        println!(
            "{} streams {} wei/s of {} to dataset {}",
            report.account, report.flow_rate, report.token, report.dataset_id
        );
        println!(
            "  subscription  at least {} wei/s (request {})",
            report.min_rate, report.required_rate
        );
        println!(
            "  balance       {} available, {} deposit",
            report.available_balance, report.deposit
        );
        println!(
            "  licensed      {}",
            if report.licensed { "yes" } else { "no" }
        );
        if !report.synced {
            println!(
                "  (the dataset's pools are behind its terms: `tributary stream start` syncs them)"
            );
        }
    }
    Ok(Outcome::Ok)
}
