//! The worker: drains the outbox, one job at a time, into transactions from
//! the relayer key.
//!
//! Each job is claimed with a lease (`FOR UPDATE SKIP LOCKED`, so several
//! workers never take the same job), checked against the contract's view
//! `creditPayment`, sent, and marked done once its receipt has the configured
//! confirmations. A crash anywhere leaves the job `running` until its lease
//! passes; the next claim reads the view first, so a transaction that did
//! land is never sent twice (and were it sent twice, the contract refuses
//! the second: `PaymentAlreadyCredited`).

use std::{sync::Arc, time::Duration};

use alloy::primitives::{Address, B256, U256};
use sqlx::PgPool;
use tokio::sync::Notify;
use tributary_core::chain::{ITributary::ITributaryErrors, Tributary};

use crate::{
    db::{self, Job, JobKind, Outcome},
    error::Result,
};

/// How the worker claims, retries and gives up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// How long a claim lasts. Must exceed the client's receipt timeout: a
    /// job whose lease passes is claimed again (by this or another worker).
    /// Default 300 s.
    pub lease: Duration,
    /// Attempts before a job is parked as `failed`. Default 8.
    pub max_attempts: i32,
    /// The wait after a first failure, doubled after each next one. Default 1 s.
    pub backoff: Duration,
    /// The longest wait between attempts. Default 300 s.
    pub max_backoff: Duration,
    /// How often an idle worker looks for due jobs (new jobs stored by the
    /// same process wake it at once). Default 1 s.
    pub poll_interval: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(300),
            max_attempts: 8,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl WorkerConfig {
    /// This configuration with claims lasting `lease`.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// This configuration, parking a job after `max_attempts` (at least 1).
    pub fn with_max_attempts(mut self, max_attempts: i32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// This configuration, waiting `backoff` after a first failure and at
    /// most `max_backoff`.
    pub fn with_backoff(mut self, backoff: Duration, max_backoff: Duration) -> Self {
        self.backoff = backoff;
        self.max_backoff = max_backoff.max(backoff);
        self
    }

    /// This configuration, polling every `interval` when idle.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The wait after the `attempt`-th failure (1-based).
    pub fn backoff_after(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// What one step of the worker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No job was due.
    Idle,
    /// A job finished.
    Done {
        /// The job.
        job: i64,
        /// How it ended.
        outcome: Outcome,
    },
    /// A job failed and will be tried again after its backoff.
    Retry {
        /// The job.
        job: i64,
        /// Why it failed.
        error: String,
    },
    /// A job failed for the last time and is parked as `failed`.
    Parked {
        /// The job.
        job: i64,
        /// Why it failed.
        error: String,
    },
    /// The job's lease passed before its result was recorded: another claim
    /// owns it now, and will find the chain's state.
    LostClaim {
        /// The job.
        job: i64,
    },
}

/// A failed attempt.
struct Failure {
    message: String,
    /// No retry can help (the contract refuses the input for ever).
    permanent: bool,
}

impl From<tributary_core::Error> for Failure {
    fn from(error: tributary_core::Error) -> Self {
        let permanent = matches!(
            error.revert().and_then(|revert| revert.as_tributary()),
            Some(ITributaryErrors::InvalidCredit(_))
        );
        Self {
            message: error.to_string(),
            permanent,
        }
    }
}

impl From<crate::Error> for Failure {
    fn from(error: crate::Error) -> Self {
        Self {
            message: error.to_string(),
            permanent: false,
        }
    }
}

/// Drains the outbox into transactions sent through `tributary` (a client
/// holding the relayer key).
#[derive(Debug, Clone)]
pub struct Worker {
    pool: PgPool,
    tributary: Tributary,
    config: WorkerConfig,
    wake: Arc<Notify>,
}

impl Worker {
    /// A worker on `pool`, sending through `tributary`.
    pub fn new(pool: PgPool, tributary: Tributary, config: WorkerConfig) -> Self {
        Self {
            pool,
            tributary,
            config,
            wake: Arc::default(),
        }
    }

    /// What wakes an idle worker at once (the webhook handler notifies it
    /// after storing a job).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until the future is dropped. Database and node failures are
    /// logged and retried; nothing here stops the worker.
    pub async fn run(&self) {
        let mut idle_backoff = self.config.poll_interval;
        loop {
            match self.step().await {
                Ok(Step::Idle) => {
                    idle_backoff = self.config.poll_interval;
                    tokio::select! {
                        () = self.wake.notified() => {}
                        () = tokio::time::sleep(self.config.poll_interval) => {}
                    }
                }
                Ok(_) => idle_backoff = self.config.poll_interval,
                Err(error) => {
                    tracing::error!(%error, "the worker cannot reach the database; retrying");
                    tokio::time::sleep(idle_backoff).await;
                    idle_backoff = (idle_backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    /// Claims one due job, if any, and carries it to its next state. An
    /// error means the database could not be reached (the job, if claimed,
    /// is retried once its lease passes).
    pub async fn step(&self) -> Result<Step> {
        let Some(job) = db::claim(&self.pool, self.config.lease).await? else {
            return Ok(Step::Idle);
        };
        tracing::info!(
            job = job.id,
            kind = job.kind.as_str(),
            payment_intent = %job.payment_intent,
            attempt = job.attempt,
            "job claimed"
        );
        let result = match job.kind {
            JobKind::MintCredits => self.mint(&job).await,
            JobKind::ReverseCredits => self.reverse(&job).await,
        };
        let step = match result {
            Ok((outcome, tx_hash)) => {
                if !db::finish(&self.pool, &job, outcome, tx_hash).await? {
                    return Ok(self.lost(&job));
                }
                tracing::info!(job = job.id, %outcome, tx = ?tx_hash, "job done");
                Step::Done {
                    job: job.id,
                    outcome,
                }
            }
            Err(failure) if failure.permanent || job.attempt >= self.config.max_attempts => {
                if !db::park(&self.pool, &job, &failure.message).await? {
                    return Ok(self.lost(&job));
                }
                tracing::error!(
                    job = job.id,
                    attempt = job.attempt,
                    error = %failure.message,
                    "job failed for the last time; parked"
                );
                Step::Parked {
                    job: job.id,
                    error: failure.message,
                }
            }
            Err(failure) => {
                let delay = self.config.backoff_after(job.attempt);
                if !db::retry_later(&self.pool, &job, &failure.message, delay).await? {
                    return Ok(self.lost(&job));
                }
                tracing::warn!(
                    job = job.id,
                    attempt = job.attempt,
                    error = %failure.message,
                    retry_in = ?delay,
                    "job failed; will retry"
                );
                Step::Retry {
                    job: job.id,
                    error: failure.message,
                }
            }
        };
        Ok(step)
    }

    fn lost(&self, job: &Job) -> Step {
        tracing::warn!(
            job = job.id,
            attempt = job.attempt,
            "the job's lease passed before its result was recorded; the next claim \
             reads the chain"
        );
        Step::LostClaim { job: job.id }
    }

    async fn mint(&self, job: &Job) -> Result<(Outcome, Option<B256>), Failure> {
        let (Some(account), Some(amount)) = (job.account, job.amount) else {
            return Err(Failure {
                message: "a mint job without account or amount".into(),
                permanent: true,
            });
        };
        // A refund or dispute already seen: the payment is not to be
        // credited (the contract would refuse it once the reversal lands).
        if db::reversal_exists(&self.pool, job.payment_id).await? {
            return Ok((Outcome::SkippedReversed, None));
        }
        let recorded = self.tributary.credit_payment(job.payment_id).await?;
        if recorded.reversed {
            return Ok((Outcome::RefusedReversed, None));
        }
        if recorded.account != Address::ZERO {
            warn_if_other(
                job,
                recorded.account,
                U256::from(recorded.amount),
                account,
                amount,
            );
            return Ok((Outcome::AlreadyCredited, None));
        }
        match self
            .tributary
            .mint_credits(job.payment_id, account, amount)
            .await
        {
            Ok(confirmed) => Ok((Outcome::Minted, Some(confirmed.receipt.transaction_hash))),
            Err(error) => match error.revert().and_then(|revert| revert.as_tributary()) {
                Some(ITributaryErrors::PaymentAlreadyCredited(_)) => {
                    Ok((Outcome::AlreadyCredited, None))
                }
                Some(ITributaryErrors::PaymentAlreadyReversed(_)) => {
                    Ok((Outcome::RefusedReversed, None))
                }
                _ => Err(error.into()),
            },
        }
    }

    async fn reverse(&self, job: &Job) -> Result<(Outcome, Option<B256>), Failure> {
        let recorded = self.tributary.credit_payment(job.payment_id).await?;
        if recorded.reversed {
            return Ok((Outcome::AlreadyReversed, None));
        }
        match self.tributary.reverse_credits(job.payment_id).await {
            Ok(confirmed) => Ok((Outcome::Reversed, Some(confirmed.receipt.transaction_hash))),
            Err(error) => match error.revert().and_then(|revert| revert.as_tributary()) {
                Some(ITributaryErrors::PaymentAlreadyReversed(_)) => {
                    Ok((Outcome::AlreadyReversed, None))
                }
                _ => Err(error.into()),
            },
        }
    }
}

fn warn_if_other(
    job: &Job,
    on_chain: Address,
    on_chain_amount: U256,
    account: Address,
    amount: U256,
) {
    if (on_chain, on_chain_amount) != (account, amount) {
        tracing::warn!(
            job = job.id,
            payment_intent = %job.payment_intent,
            %on_chain,
            %on_chain_amount,
            "the payment is credited on-chain to another account or amount than the job names"
        );
    }
}
