//! The worker: drains the outbox, one job at a time, into transactions from
//! the relayer key.
//!
//! Each job is claimed with a lease (`FOR UPDATE SKIP LOCKED`, so several
//! workers never take the same job), checked against the contract's view
//! `creditPayment`, sent through the [`Sender`] (its own nonces, the signed
//! transaction stored before the broadcast, fee bumps), and marked done once
//! its receipt has the configured confirmations in a canonical block. A crash
//! anywhere leaves the job `running` until its lease passes; the next claim
//! goes on with the job's stored transaction if it has one, else reads the
//! view first, so a transaction that did land is never sent twice (and were
//! it sent twice, the contract refuses the second: `PaymentAlreadyCredited`).

use std::{sync::Arc, time::Duration};

use alloy::primitives::{Address, B256, U256};
use sqlx::PgPool;
use tokio::sync::Notify;
use tributary_core::{
    chain::{CREDITS, CreditPayment, ITributary::ITributaryErrors, LogScan, Tributary},
    signing::Key,
};

use crate::{
    db::{self, Job, JobKind, Outcome},
    error::Result,
    sender::{Call, SendError, Sender, SenderConfig, Sent},
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
    /// How transactions are priced, replaced and waited on.
    pub sender: SenderConfig,
    /// The first block holding the suite's events (its deployment block):
    /// a purchase job reads the dataset's terms from the events from there
    /// on. Default 0.
    pub from_block: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(300),
            max_attempts: 8,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
            sender: SenderConfig::default(),
            from_block: 0,
        }
    }
}

impl WorkerConfig {
    /// This configuration, reading the suite's events from `from_block`.
    pub fn with_from_block(mut self, from_block: u64) -> Self {
        self.from_block = from_block;
        self
    }

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

    /// This configuration, sending as `sender` says.
    pub fn with_sender(mut self, sender: SenderConfig) -> Self {
        self.sender = sender;
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
    kind: FailureKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureKind {
    /// No retry can help (the contract refuses the input for ever): parked at once.
    Permanent,
    /// Retried after a backoff; parked after the last attempt.
    Retry,
    /// The node, the key's funds or the chain's pace: retried after a
    /// backoff, never parked (nothing about the job is wrong).
    Transient,
    /// Another claim owns the job.
    LostClaim,
}

impl Failure {
    fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            kind,
        }
    }
}

impl From<tributary_core::Error> for Failure {
    fn from(error: tributary_core::Error) -> Self {
        let kind = match &error {
            tributary_core::Error::Reverted(revert)
                if matches!(
                    revert.as_tributary(),
                    Some(ITributaryErrors::InvalidCredit(_))
                ) =>
            {
                FailureKind::Permanent
            }
            tributary_core::Error::Rpc(_) => FailureKind::Transient,
            _ => FailureKind::Retry,
        };
        Self::new(kind, error.to_string())
    }
}

impl From<crate::Error> for Failure {
    fn from(error: crate::Error) -> Self {
        Self::new(FailureKind::Transient, error.to_string())
    }
}

impl From<SendError> for Failure {
    fn from(error: SendError) -> Self {
        let message = error.to_string();
        let kind = match error {
            SendError::Reverted(error) => return Self::from(error),
            SendError::Unreachable(_)
            | SendError::InsufficientFunds(_)
            | SendError::NotConfirmed { .. }
            | SendError::Db(_) => FailureKind::Transient,
            SendError::Refused(_) => FailureKind::Retry,
            SendError::LostClaim => FailureKind::LostClaim,
        };
        Self::new(kind, message)
    }
}

/// How a job ended: its outcome, the transaction that did it, and the
/// job's transaction whose receipt told (nonce, hash).
struct Finished {
    outcome: Outcome,
    tx_hash: Option<B256>,
    mined: Option<(u64, B256)>,
}

impl Finished {
    fn seen(outcome: Outcome) -> Self {
        Self {
            outcome,
            tx_hash: None,
            mined: None,
        }
    }
}

/// What one job sends, and how the chain's answers map to outcomes.
struct Plan {
    call: Call,
    /// The outcome when the job's own transaction succeeds.
    sent: Outcome,
}

/// Drains the outbox into transactions signed by the relayer key and sent
/// through `tributary`'s node (see [`Sender`]).
#[derive(Debug, Clone)]
pub struct Worker {
    pool: PgPool,
    tributary: Tributary,
    sender: Sender,
    config: WorkerConfig,
    wake: Arc<Notify>,
}

impl Worker {
    /// A worker on `pool`, reading through `tributary` and sending its
    /// transactions signed by `key` (which must hold `RELAYER_ROLE`) to the
    /// same node; it waits as `tributary`'s client is configured
    /// (confirmations, receipt timeout per claim, poll interval).
    pub fn new(pool: PgPool, tributary: Tributary, key: &Key, config: WorkerConfig) -> Self {
        let sender = Sender::new(pool.clone(), tributary.client(), key, config.sender.clone());
        Self {
            pool,
            tributary,
            sender,
            config,
            wake: Arc::default(),
        }
    }

    /// The worker's sender.
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// What wakes an idle worker at once (the webhook handler notifies it
    /// after storing a job).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until the future is dropped. Database and node failures are
    /// logged and retried; nothing here stops the worker. The key's nonce
    /// is reconciled with the node first.
    pub async fn run(&self) {
        if let Err(error) = self.sender.reconcile().await {
            tracing::warn!(%error, "cannot reconcile the nonce with the node yet; will at the first send");
        }
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
            JobKind::PurchaseLicence => self.purchase(&job).await,
        };
        let step = match result {
            Ok(finished) => {
                let Finished {
                    outcome,
                    tx_hash,
                    mined,
                } = finished;
                if !db::finish(&self.pool, &job, outcome, tx_hash, mined).await? {
                    return Ok(self.lost(&job));
                }
                tracing::info!(job = job.id, %outcome, tx = ?tx_hash, "job done");
                Step::Done {
                    job: job.id,
                    outcome,
                }
            }
            Err(failure) if failure.kind == FailureKind::LostClaim => return Ok(self.lost(&job)),
            Err(failure)
                if (failure.kind == FailureKind::Permanent
                    || (failure.kind == FailureKind::Retry
                        && job.attempt >= self.config.max_attempts))
                    // A job with a transaction that may still be mined holds
                    // its nonce: it is never parked (the nonce would stay a
                    // gap that stops every later transaction of the key).
                    && self.sender.open(job.id).await.is_ok_and(|open| open.is_empty()) =>
            {
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

    async fn mint(&self, job: &Job) -> Result<Finished, Failure> {
        let (Some(account), Some(amount)) = (job.account, job.amount) else {
            return Err(Failure::new(
                FailureKind::Permanent,
                "a mint job without account or amount",
            ));
        };
        let plan = Plan {
            call: Call {
                to: self.tributary.address(),
                input: self
                    .tributary
                    .contract()
                    .mintCredits(job.payment_id, account, amount)
                    .calldata()
                    .clone(),
            },
            sent: Outcome::Minted,
        };
        self.carry(job, &plan, |recorded| {
            if recorded.reversed {
                return Some(Outcome::RefusedReversed);
            }
            if recorded.account != Address::ZERO {
                warn_if_other(
                    job,
                    recorded.account,
                    U256::from(recorded.amount),
                    account,
                    amount,
                );
                return Some(Outcome::AlreadyCredited);
            }
            None
        })
        .await
    }

    async fn reverse(&self, job: &Job) -> Result<Finished, Failure> {
        let plan = Plan {
            call: Call {
                to: self.tributary.address(),
                input: self
                    .tributary
                    .contract()
                    .reverseCredits(job.payment_id)
                    .calldata()
                    .clone(),
            },
            sent: Outcome::Reversed,
        };
        self.carry(job, &plan, |recorded| {
            recorded.reversed.then_some(Outcome::AlreadyReversed)
        })
        .await
    }

    /// Buys the licence the payment paid for, with its credits, for the
    /// buyer. The terms are resent in full (the contract keeps their hash
    /// only): read from the contract's own events (`DatasetRegistered`, the
    /// last `TermsSet`), so the relayer needs nothing but its node. The
    /// payment's `spent` is read first (in [`Self::carry`]): credits already
    /// spent mean the licence was bought (by an attempt whose result was not
    /// recorded, or by the buyer) and nothing is sent.
    async fn purchase(&self, job: &Job) -> Result<Finished, Failure> {
        let (Some(recipient), Some(purchase)) = (job.account, job.purchase) else {
            return Err(Failure::new(
                FailureKind::Permanent,
                "a purchase job without recipient or licence",
            ));
        };
        let terms = self
            .tributary
            .terms_of(
                LogScan::from_block(self.config.from_block),
                purchase.dataset_id,
            )
            .await?
            .terms();
        let index = purchase.offer_index as usize;
        let Some(offer) = terms.offers.get(index) else {
            return Err(Failure::new(
                FailureKind::Permanent,
                format!(
                    "dataset {} has no offer {index} now ({} offers): the credits stay with the buyer",
                    purchase.dataset_id,
                    terms.offers.len()
                ),
            ));
        };
        if offer.paymentToken != CREDITS {
            return Err(Failure::new(
                FailureKind::Permanent,
                format!(
                    "offer {index} of dataset {} is no longer priced in credits: the credits stay \
                     with the buyer",
                    purchase.dataset_id
                ),
            ));
        }
        let plan = Plan {
            call: Call {
                to: self.tributary.address(),
                input: self
                    .tributary
                    .contract()
                    .purchaseWithCredits(
                        job.payment_id,
                        purchase.dataset_id,
                        terms.clone(),
                        U256::from(index),
                        recipient,
                    )
                    .calldata()
                    .clone(),
            },
            sent: Outcome::Purchased,
        };
        self.carry(job, &plan, |recorded| {
            if recorded.reversed {
                return Some(Outcome::RefusedReversed);
            }
            (recorded.spent > 0).then_some(Outcome::AlreadyPurchased)
        })
        .await
    }

    /// Carries the job's call to the chain. `seen` reads the contract's
    /// record of the payment: `Some` when nothing (more) is to be sent.
    ///
    /// A job with stored transactions goes on with them (whatever the view
    /// says now: their nonce must be used, and a late one is refused by the
    /// contract's payment-id dedupe). Otherwise the view is read first, then
    /// a new transaction is sent.
    async fn carry(
        &self,
        job: &Job,
        plan: &Plan,
        seen: impl Fn(&CreditPayment) -> Option<Outcome>,
    ) -> Result<Finished, Failure> {
        // A nonce taken by another sender makes the job send again; three
        // times in a row is someone fighting over the key.
        for _ in 0..3 {
            let open = self.sender.open(job.id).await?;
            if open.is_empty() {
                // A refund or dispute already seen: the payment is not to be
                // credited (the contract would refuse it once the reversal lands).
                if job.kind != JobKind::ReverseCredits
                    && db::reversal_exists(&self.pool, job.payment_id).await?
                {
                    return Ok(Finished::seen(Outcome::SkippedReversed));
                }
                let recorded = self.tributary.credit_payment(job.payment_id).await?;
                if let Some(outcome) = seen(&recorded) {
                    return Ok(Finished::seen(outcome));
                }
            }
            match self.sender.send(job, &plan.call, open).await {
                Ok(Sent::Mined { nonce, receipt }) => {
                    let hash = receipt.transaction_hash;
                    if receipt.status() {
                        return Ok(Finished {
                            outcome: plan.sent,
                            tx_hash: Some(hash),
                            mined: Some((nonce, hash)),
                        });
                    }
                    // Mined and reverted: the contract's record says why
                    // (credited or reversed meanwhile), else it is retried
                    // with a new transaction (the gas estimate tells the reason).
                    let recorded = self.tributary.credit_payment(job.payment_id).await?;
                    if let Some(outcome) = seen(&recorded) {
                        return Ok(Finished {
                            outcome,
                            tx_hash: None,
                            mined: Some((nonce, hash)),
                        });
                    }
                    db::mark_mined(&self.pool, job, nonce, hash).await?;
                    return Err(Failure::new(
                        FailureKind::Retry,
                        format!("transaction {hash} (nonce {nonce}) was mined but reverted"),
                    ));
                }
                Ok(Sent::NonceTaken { nonce }) => {
                    tracing::warn!(
                        job = job.id,
                        nonce,
                        "nonce taken by another sender; sending again"
                    );
                }
                Err(SendError::Reverted(error)) => {
                    return match error.revert().and_then(|revert| revert.as_tributary()) {
                        Some(ITributaryErrors::PaymentAlreadyCredited(_))
                            if job.kind == JobKind::MintCredits =>
                        {
                            Ok(Finished::seen(Outcome::AlreadyCredited))
                        }
                        Some(ITributaryErrors::PaymentAlreadyReversed(_)) => {
                            Ok(Finished::seen(match job.kind {
                                JobKind::MintCredits | JobKind::PurchaseLicence => {
                                    Outcome::RefusedReversed
                                }
                                JobKind::ReverseCredits => Outcome::AlreadyReversed,
                            }))
                        }
                        _ => Err(error.into()),
                    };
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(Failure::new(
            FailureKind::Transient,
            "the key's nonce was taken by another sender three times in a row",
        ))
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
