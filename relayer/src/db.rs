//! The PostgreSQL side: the event store and the outbox of jobs.
//!
//! Every transaction runs in a task of its own: sqlx 0.9 cannot always roll
//! back a transaction whose future was dropped (one dropped inside `BEGIN`
//! stays open on its pooled connection, holding its locks), so a caller that
//! gives up (an HTTP client that disconnects, a shutdown) must never be the
//! one driving it.

use std::{fmt, str::FromStr, time::Duration};

use alloy::primitives::{Address, B256, U256};
use sqlx::{
    PgPool, Row,
    postgres::{PgConnectOptions, PgPoolOptions, PgRow},
};

use crate::{
    error::{Error, Result},
    stripe::event::{Action, Event, Purchase},
};

/// The schema migrations in `relayer/migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens a pool on `url` (`postgres://…`); the URL is never logged or
/// repeated in errors.
pub async fn connect(url: &str) -> Result<PgPool> {
    let options: PgConnectOptions = url
        .parse()
        .map_err(|_| Error::Config("DATABASE_URL is not a valid PostgreSQL URL".into()))?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Applies the pending migrations (idempotent; safe on every start).
pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Runs `work` on the pool in a task of its own (see the module docs).
pub(crate) async fn in_task<T, F>(pool: &PgPool, work: impl FnOnce(PgPool) -> F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    tokio::spawn(work(pool.clone()))
        .await
        .map_err(|error| Error::TaskFailed(error.to_string()))?
}

// ---------------------------------------------------------------------- jobs

/// What a job sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// `mintCredits(paymentId, account, amount)`.
    MintCredits,
    /// `reverseCredits(paymentId)`.
    ReverseCredits,
    /// `purchaseWithCredits(paymentId, datasetId, terms, offerIndex, buyer)`:
    /// the licence a card payment paid for, bought with its credits after
    /// its mint (stored when the mint job is done).
    PurchaseLicence,
}

impl JobKind {
    /// The name stored in `jobs.kind`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MintCredits => "mint_credits",
            Self::ReverseCredits => "reverse_credits",
            Self::PurchaseLicence => "purchase_licence",
        }
    }
}

impl FromStr for JobKind {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "mint_credits" => Ok(Self::MintCredits),
            "reverse_credits" => Ok(Self::ReverseCredits),
            "purchase_licence" => Ok(Self::PurchaseLicence),
            other => Err(Error::Corrupt(format!("unknown job kind {other:?}"))),
        }
    }
}

/// Where a job is in its life: `pending` → `running` → `done`, or back to
/// `pending` (a retry, after a backoff) and finally `failed` (parked, with
/// its reason, after the last attempt). A `running` job whose lease passed
/// (its worker died) is claimed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for a worker (from `run_after` on).
    Pending,
    /// Claimed by a worker until `lease_until`.
    Running,
    /// Finished; `outcome` says how.
    Done,
    /// Parked after its last attempt; `last_error` says why. Retried only
    /// when a person asks (`POST /jobs/{id}/retry`).
    Failed,
}

impl JobStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Running, Self::Done, Self::Failed];

    /// The name stored in `jobs.status`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for JobStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| "status must be one of pending, running, done, failed".to_owned())
    }
}

/// How a finished job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// This job's transaction minted the credits.
    Minted,
    /// The payment was already credited on-chain (an earlier attempt whose
    /// result was not recorded, or another relayer).
    AlreadyCredited,
    /// The payment was reversed on-chain before it was credited: the
    /// contract refuses the credit for ever.
    RefusedReversed,
    /// A reversal job for the payment exists: the credit was not sent (the
    /// reversal makes the contract refuse it anyway).
    SkippedReversed,
    /// This job's transaction reversed the payment.
    Reversed,
    /// The payment was already reversed on-chain.
    AlreadyReversed,
    /// This job's transaction bought the licence with the payment's credits.
    Purchased,
    /// The payment's credits were already spent on-chain (`spent` > 0: an
    /// earlier attempt whose result was not recorded, or the buyer).
    AlreadyPurchased,
}

impl Outcome {
    /// The name stored in `jobs.outcome`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Minted => "minted",
            Self::AlreadyCredited => "already_credited",
            Self::RefusedReversed => "refused_reversed",
            Self::SkippedReversed => "skipped_reversed",
            Self::Reversed => "reversed",
            Self::AlreadyReversed => "already_reversed",
            Self::Purchased => "purchased",
            Self::AlreadyPurchased => "already_purchased",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: i64,
    /// What it sends.
    pub kind: JobKind,
    /// The on-chain payment id.
    pub payment_id: B256,
    /// The Stripe PaymentIntent it comes from.
    pub payment_intent: String,
    /// The account to credit (mint jobs).
    pub account: Option<Address>,
    /// The credits to mint (mint jobs).
    pub amount: Option<U256>,
    /// The licence the payment pays for (mint jobs that name one, and
    /// purchase jobs).
    pub purchase: Option<Purchase>,
    /// This claim's number (1 for the first): a later write by this claim
    /// only lands while no other claim has taken the job since.
    pub attempt: i32,
}

/// What storing a verified event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The event id was stored before: nothing changed.
    Duplicate,
    /// The event is stored; `job` is the job it maps to, if any.
    New {
        /// The job (new, or the existing one of the same kind and payment).
        job: Option<i64>,
        /// Whether the job was created by this event.
        created: bool,
    },
}

/// Stores a verified event and, for a payment or a reversal, its job, in one
/// transaction. A redelivered event changes nothing.
pub async fn store(pool: &PgPool, event: &Event, body: &[u8]) -> Result<Stored> {
    let (event, body) = (event.clone(), body.to_vec());
    in_task(pool, move |pool| async move {
        store_now(&pool, &event, &body).await
    })
    .await
}

async fn store_now(pool: &PgPool, event: &Event, body: &[u8]) -> Result<Stored> {
    let (action, note) = match &event.action {
        Action::Mint(_) => (JobKind::MintCredits.as_str(), None),
        Action::Reverse(_) => (JobKind::ReverseCredits.as_str(), None),
        Action::Account(_) => ("account_updated", None),
        Action::Ignore(why) => ("ignored", Some(why.as_str())),
    };
    let mut tx = pool.begin().await?;
    // A concurrent delivery of the same id waits here for this transaction,
    // then inserts nothing.
    let inserted = sqlx::query(
        "INSERT INTO stripe_events (id, type, created, livemode, body, action, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&event.id)
    .bind(&event.kind)
    .bind(event.created)
    .bind(event.livemode)
    .bind(body)
    .bind(action)
    .bind(note)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        tx.commit().await?;
        return Ok(Stored::Duplicate);
    }
    let (kind, payment_id, payment_intent, account, amount, purchase) = match &event.action {
        Action::Ignore(_) => {
            tx.commit().await?;
            return Ok(Stored::New {
                job: None,
                created: false,
            });
        }
        Action::Account(update) => {
            crate::creators::apply_account_update(&mut tx, &event.id, event.created, update)
                .await?;
            tx.commit().await?;
            return Ok(Stored::New {
                job: None,
                created: false,
            });
        }
        Action::Mint(mint) => (
            JobKind::MintCredits,
            mint.payment_id,
            &mint.payment_intent,
            Some(mint.account),
            Some(mint.amount),
            mint.purchase,
        ),
        Action::Reverse(reverse) => (
            JobKind::ReverseCredits,
            reverse.payment_id,
            &reverse.payment_intent,
            None,
            None,
            None,
        ),
    };
    // Both events of one payment (session completed, PaymentIntent
    // succeeded) meet on the unique (kind, payment_id): one job.
    let created = sqlx::query(
        "INSERT INTO jobs (kind, payment_id, payment_intent, account, amount, event_id,
             dataset_id, offer_index)
         VALUES ($1, $2, $3, $4, $5::NUMERIC, $6, $7::NUMERIC, $8)
         ON CONFLICT (kind, payment_id) DO NOTHING
         RETURNING id",
    )
    .bind(kind.as_str())
    .bind(payment_id.as_slice())
    .bind(payment_intent)
    .bind(account.as_ref().map(|account| account.as_slice()))
    .bind(amount.map(|amount| amount.to_string()))
    .bind(&event.id)
    .bind(purchase.map(|purchase| purchase.dataset_id.to_string()))
    .bind(purchase.map(|purchase| i64::from(purchase.offer_index)))
    .fetch_optional(&mut *tx)
    .await?;
    let (job, created) = match created {
        Some(row) => (row.try_get::<i64, _>(0)?, true),
        None => {
            let row = sqlx::query(
                "SELECT id, account, amount::TEXT, dataset_id::TEXT, offer_index FROM jobs
                 WHERE kind = $1 AND payment_id = $2",
            )
            .bind(kind.as_str())
            .bind(payment_id.as_slice())
            .fetch_one(&mut *tx)
            .await?;
            let id = row.try_get::<i64, _>(0)?;
            let stored_account = row
                .try_get::<Option<Vec<u8>>, _>(1)?
                .map(|bytes| address(&bytes))
                .transpose()?;
            let stored_amount = row
                .try_get::<Option<String>, _>(2)?
                .map(|text| u256(&text))
                .transpose()?;
            let stored_purchase = purchase_of(
                row.try_get::<Option<&str>, _>(3)?,
                row.try_get::<Option<i64>, _>(4)?,
            )?;
            if (stored_account, stored_amount, stored_purchase) != (account, amount, purchase) {
                tracing::warn!(
                    event = %event.id,
                    job = id,
                    %payment_intent,
                    "this event names another account, amount or licence than the job \
                     already stored for its payment; the first one stands"
                );
            }
            (id, false)
        }
    };
    sqlx::query("UPDATE stripe_events SET job_id = $1 WHERE id = $2")
        .bind(job)
        .bind(&event.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Stored::New {
        job: Some(job),
        created,
    })
}

/// Claims the oldest job that is due (pending and past its backoff, or
/// running with a passed lease), for `lease`. Concurrent workers skip each
/// other's candidates (`FOR UPDATE SKIP LOCKED`).
pub async fn claim(pool: &PgPool, lease: Duration) -> Result<Option<Job>> {
    let lease_ms = millis(lease);
    in_task(pool, move |pool| async move {
        let row = sqlx::query(
            "WITH next AS (
                 SELECT id FROM jobs
                 WHERE (status = 'pending' AND run_after <= now())
                    OR (status = 'running' AND lease_until < now())
                 ORDER BY id
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED
             )
             UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1,
                 lease_until = now() + $1 * interval '1 millisecond', updated_at = now()
             FROM next WHERE jobs.id = next.id
             RETURNING jobs.id, jobs.kind, jobs.payment_id, jobs.payment_intent,
                 jobs.account, jobs.amount::TEXT, jobs.attempts, jobs.dataset_id::TEXT,
                 jobs.offer_index",
        )
        .bind(lease_ms)
        .fetch_optional(&pool)
        .await?;
        row.map(|row| job(&row)).transpose()
    })
    .await
}

fn job(row: &PgRow) -> Result<Job> {
    Ok(Job {
        id: row.try_get(0)?,
        kind: row.try_get::<&str, _>(1)?.parse()?,
        payment_id: b256(row.try_get::<&[u8], _>(2)?)?,
        payment_intent: row.try_get(3)?,
        account: row
            .try_get::<Option<&[u8]>, _>(4)?
            .map(address)
            .transpose()?,
        amount: row.try_get::<Option<&str>, _>(5)?.map(u256).transpose()?,
        attempt: row.try_get(6)?,
        purchase: purchase_of(row.try_get(7)?, row.try_get(8)?)?,
    })
}

fn purchase_of(dataset_id: Option<&str>, offer_index: Option<i64>) -> Result<Option<Purchase>> {
    match (dataset_id, offer_index) {
        (Some(dataset_id), Some(offer_index)) => Ok(Some(Purchase {
            dataset_id: u256(dataset_id)?,
            offer_index: u32::try_from(offer_index)
                .map_err(|_| Error::Corrupt(format!("offer index {offer_index}")))?,
        })),
        (None, None) => Ok(None),
        _ => Err(Error::Corrupt(
            "a job with a dataset and no offer, or the reverse".into(),
        )),
    }
}

/// Marks the claimed `job` done. `mined` names the job's transaction whose
/// receipt ended it (nonce and hash): in the same database transaction it
/// is marked `mined` and the others of its nonce `replaced`. A mint that
/// credited the payment (`minted`, `already_credited`) and names a licence
/// stores the purchase job in the same transaction, so a credit whose
/// completion is recorded always has its purchase queued. False when the
/// claim was lost (its lease passed and another worker took the job):
/// nothing is written then.
pub async fn finish(
    pool: &PgPool,
    job: &Job,
    outcome: Outcome,
    tx_hash: Option<B256>,
    mined: Option<(u64, B256)>,
) -> Result<bool> {
    let (id, attempt) = (job.id, job.attempt);
    let buys = job.kind == JobKind::MintCredits
        && job.purchase.is_some()
        && matches!(outcome, Outcome::Minted | Outcome::AlreadyCredited);
    in_task(pool, move |pool| async move {
        let mut tx = pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE jobs SET status = 'done', outcome = $3, tx_hash = $4, last_error = NULL,
                 lease_until = NULL, updated_at = now()
             WHERE id = $1 AND status = 'running' AND attempts = $2",
        )
        .bind(id)
        .bind(attempt)
        .bind(outcome.as_str())
        .bind(tx_hash.as_ref().map(|hash| hash.as_slice()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some((nonce, hash)) = mined {
            close_mined(&mut tx, id, nonce, hash).await?;
        }
        if buys {
            sqlx::query(
                "INSERT INTO jobs (kind, payment_id, payment_intent, account, event_id,
                     dataset_id, offer_index)
                 SELECT 'purchase_licence', payment_id, payment_intent, account, event_id,
                     dataset_id, offer_index
                 FROM jobs WHERE id = $1
                 ON CONFLICT (kind, payment_id) DO NOTHING",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    })
    .await
}

async fn close_mined(tx: &mut sqlx::PgConnection, job: i64, nonce: u64, hash: B256) -> Result<()> {
    sqlx::query(
        "UPDATE transactions
         SET status = CASE WHEN tx_hash = $3 THEN 'mined' ELSE 'replaced' END
         WHERE job_id = $1 AND nonce = $2 AND status = 'pending'",
    )
    .bind(job)
    .bind(i64::try_from(nonce).unwrap_or(i64::MAX))
    .bind(hash.as_slice())
    .execute(tx)
    .await?;
    Ok(())
}

/// Records that the job's transaction `hash` at `nonce` was mined (and
/// reverted: the job goes on with a new transaction).
pub async fn mark_mined(pool: &PgPool, job: &Job, nonce: u64, hash: B256) -> Result<()> {
    let id = job.id;
    in_task(pool, move |pool| async move {
        let mut conn = pool.acquire().await?;
        close_mined(&mut conn, id, nonce, hash).await
    })
    .await
}

/// Sets the claimed `job`'s `last_error` while it keeps running (a
/// transaction waiting at the fee cap says so).
pub async fn note(pool: &PgPool, job: &Job, note: &str) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE jobs SET last_error = $3, updated_at = now()
         WHERE id = $1 AND status = 'running' AND attempts = $2",
    )
    .bind(job.id)
    .bind(job.attempt)
    .bind(note)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Puts the claimed `job` back, due again after `delay`, with the reason it
/// failed. False when the claim was lost.
pub async fn retry_later(pool: &PgPool, job: &Job, error: &str, delay: Duration) -> Result<bool> {
    let (id, attempt, error, delay_ms) = (job.id, job.attempt, error.to_owned(), millis(delay));
    in_task(pool, move |pool| async move {
        let updated = sqlx::query(
            "UPDATE jobs SET status = 'pending', last_error = $3, lease_until = NULL,
                 run_after = now() + $4 * interval '1 millisecond', updated_at = now()
             WHERE id = $1 AND status = 'running' AND attempts = $2",
        )
        .bind(id)
        .bind(attempt)
        .bind(error)
        .bind(delay_ms)
        .execute(&pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    })
    .await
}

/// Parks the claimed `job` as failed with its reason. False when the claim
/// was lost.
pub async fn park(pool: &PgPool, job: &Job, error: &str) -> Result<bool> {
    let (id, attempt, error) = (job.id, job.attempt, error.to_owned());
    in_task(pool, move |pool| async move {
        let updated = sqlx::query(
            "UPDATE jobs SET status = 'failed', last_error = $3, lease_until = NULL,
                 updated_at = now()
             WHERE id = $1 AND status = 'running' AND attempts = $2",
        )
        .bind(id)
        .bind(attempt)
        .bind(error)
        .execute(&pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    })
    .await
}

/// Puts a failed job back in the queue with a fresh count of attempts.
/// False when no failed job has this id.
pub async fn requeue(pool: &PgPool, id: i64) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE jobs SET status = 'pending', attempts = 0, run_after = now(), updated_at = now()
         WHERE id = $1 AND status = 'failed'",
    )
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Whether a reversal job exists for `payment_id` (in any state).
pub async fn reversal_exists(pool: &PgPool, payment_id: B256) -> Result<bool> {
    let found =
        sqlx::query("SELECT 1 FROM jobs WHERE kind = 'reverse_credits' AND payment_id = $1")
            .bind(payment_id.as_slice())
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// Its id.
    pub id: i64,
    /// `mint_credits` or `reverse_credits`.
    pub kind: String,
    /// `pending`, `running`, `done` or `failed`.
    pub status: String,
    /// The on-chain payment id.
    pub payment_id: B256,
    /// The Stripe PaymentIntent.
    pub payment_intent: String,
    /// The account credited (mint jobs).
    pub account: Option<Address>,
    /// The credits (mint jobs).
    pub amount: Option<U256>,
    /// The licence the payment buys (mint jobs that name one, purchase jobs).
    pub purchase: Option<Purchase>,
    /// The event that created it.
    pub event_id: String,
    /// Claims so far.
    pub attempts: i32,
    /// How a done job ended.
    pub outcome: Option<String>,
    /// The job's transaction: the current one while it is being sent (the
    /// newest of its nonce), the one that did it once done.
    pub tx_hash: Option<B256>,
    /// The nonce of the job's current (or last) transaction.
    pub nonce: Option<i64>,
    /// Transactions signed for the job so far, fee bumps included.
    pub tx_count: i32,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// Jobs by id, optionally of one status, after the id `after`, at most `limit`.
pub async fn jobs(
    pool: &PgPool,
    status: Option<JobStatus>,
    after: i64,
    limit: i64,
) -> Result<Vec<JobRecord>> {
    let rows = sqlx::query(
        "SELECT id, kind, status, payment_id, payment_intent, account, amount::TEXT, event_id,
             attempts, outcome, tx_hash, last_error,
             to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
             to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
             nonce, tx_count, dataset_id::TEXT, offer_index
         FROM jobs
         WHERE ($1::TEXT IS NULL OR status = $1) AND id > $2
         ORDER BY id
         LIMIT $3",
    )
    .bind(status.map(JobStatus::as_str))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(JobRecord {
                id: row.try_get(0)?,
                kind: row.try_get(1)?,
                status: row.try_get(2)?,
                payment_id: b256(row.try_get::<&[u8], _>(3)?)?,
                payment_intent: row.try_get(4)?,
                account: row
                    .try_get::<Option<&[u8]>, _>(5)?
                    .map(address)
                    .transpose()?,
                amount: row.try_get::<Option<&str>, _>(6)?.map(u256).transpose()?,
                event_id: row.try_get(7)?,
                attempts: row.try_get(8)?,
                outcome: row.try_get(9)?,
                tx_hash: row.try_get::<Option<&[u8]>, _>(10)?.map(b256).transpose()?,
                last_error: row.try_get(11)?,
                created_at: row.try_get(12)?,
                updated_at: row.try_get(13)?,
                nonce: row.try_get(14)?,
                tx_count: row.try_get(15)?,
                purchase: purchase_of(row.try_get(16)?, row.try_get(17)?)?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------- decoding

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn b256(bytes: &[u8]) -> Result<B256> {
    B256::try_from(bytes).map_err(|_| Error::Corrupt(format!("{} bytes, not a hash", bytes.len())))
}

pub(crate) fn address(bytes: &[u8]) -> Result<Address> {
    Address::try_from(bytes)
        .map_err(|_| Error::Corrupt(format!("{} bytes, not an address", bytes.len())))
}

fn u256(text: &str) -> Result<U256> {
    U256::from_str_radix(text, 10).map_err(|_| Error::Corrupt(format!("{text:?} is not a uint256")))
}
