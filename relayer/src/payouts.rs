//! Creators paid in fiat: the ledger's owed credits become Stripe Connect
//! transfers in micro-batches, exactly once.
//!
//! 1. **Ledger.** [`ledger::sync`] books every confirmed CREDITS release.
//! 2. **Batches.** At most once per `interval`, [`Payouts::schedule`] takes,
//!    in one database transaction (under an advisory lock, so two
//!    processes never batch the same rows), every payout-enabled creator
//!    owed at least `threshold` cents with no unpaid transfer, and writes one
//!    transfer row per creator, marking the ledger rows it pays.
//! 3. **Transfers.** [`Payouts::pay_step`] claims one due transfer (`FOR
//!    UPDATE SKIP LOCKED`, with a lease). If an earlier claim may have called
//!    Stripe (`calls > 0`), it first looks the transfer up by its
//!    `transfer_group` (our id): found, it is recorded as paid without a new
//!    call, so a retry after Stripe's 24-hour idempotency window cannot pay
//!    twice. Else it counts the call (committed), then calls `POST
//!    /v1/transfers` with `Idempotency-Key: tributary-transfer-{id}`.
//!    A 429, a 5xx or no answer: retried after a backoff. Stripe's
//!    `balance_insufficient`: the transfer waits (`waiting_for = balance`)
//!    and is tried again after `balance_retry`, never parked. Any other
//!    refusal parks it (`failed`) until an operator retries it.

use std::time::Duration;

use alloy::primitives::{Address, U256};
use sqlx::{PgPool, Row};
use tributary_core::chain::Tributary;

use crate::{
    db::{address, in_task},
    error::{Error, Result},
    ledger::{self, LedgerConfig},
    stripe::{StripeClient, StripeError, Transfer, TransferRequest, connect::transfer_group},
};

/// The advisory lock key of the scheduler ("TRBPAYOUT").
const SCHEDULE_LOCK: i64 = 0x5452_4250_4159;

/// How payouts run.
#[derive(Debug, Clone)]
pub struct PayoutConfig {
    /// A creator is paid once owed at least this many cents.
    pub threshold: i64,
    /// At most one batch per interval.
    pub interval: Duration,
    /// The transfers' currency (lowercase ISO code): credits are its cents.
    pub currency: String,
    /// How the ledger follows the chain.
    pub ledger: LedgerConfig,
    /// How long a claimed transfer stays claimed.
    pub lease: Duration,
    /// Wait after a first 429/5xx/timeout, doubled after each next one.
    pub backoff: Duration,
    /// The longest such wait.
    pub max_backoff: Duration,
    /// Wait before trying again a transfer Stripe refused for the platform's balance.
    pub balance_retry: Duration,
    /// Between looks when idle.
    pub poll_interval: Duration,
}

impl Default for PayoutConfig {
    fn default() -> Self {
        Self {
            threshold: 1_000,
            interval: Duration::from_secs(3_600),
            currency: "usd".into(),
            ledger: LedgerConfig::default(),
            lease: Duration::from_secs(120),
            backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(600),
            balance_retry: Duration::from_secs(900),
            poll_interval: Duration::from_secs(5),
        }
    }
}

impl PayoutConfig {
    /// The wait after the `attempt`-th failed try.
    pub fn backoff_after(&self, attempt: i32) -> Duration {
        let exponent = attempt.saturating_sub(1).clamp(0, 20) as u32;
        self.backoff
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_backoff)
    }
}

/// A batch the scheduler made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Its id.
    pub id: i64,
    /// `(transfer id, wallet, cents)` of each of its transfers.
    pub transfers: Vec<(i64, Address, i64)>,
}

/// What one [`Payouts::pay_step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayStep {
    /// No transfer is due.
    Idle,
    /// Stripe holds the transfer; `found` when it was found by its group
    /// (an earlier call had made it) rather than made by this call.
    Paid {
        /// Our id.
        transfer: i64,
        /// Stripe's `tr_…`.
        stripe_id: String,
        /// Found by the lookup, no call made.
        found: bool,
    },
    /// Stripe unavailable (429, 5xx, no answer): tried again after a backoff.
    Retry {
        /// Our id.
        transfer: i64,
        /// Why.
        error: String,
    },
    /// The platform's balance cannot cover it: tried again later.
    WaitingForBalance {
        /// Our id.
        transfer: i64,
    },
    /// Refused by Stripe for good: parked until an operator retries it.
    Parked {
        /// Our id.
        transfer: i64,
        /// Stripe's reason.
        error: String,
    },
    /// Another claim took the transfer over (this one's lease passed).
    LostClaim {
        /// Our id.
        transfer: i64,
    },
}

struct Claimed {
    request: TransferRequest,
    attempt: i32,
    calls: i32,
}

/// The payout loop: ledger, batches, transfers.
#[derive(Debug, Clone)]
pub struct Payouts {
    pool: PgPool,
    tributary: Tributary,
    stripe: StripeClient,
    config: PayoutConfig,
}

impl Payouts {
    /// Payouts over `pool`, reading releases through `tributary`'s node,
    /// paying through `stripe`.
    pub fn new(
        pool: PgPool,
        tributary: Tributary,
        stripe: StripeClient,
        config: PayoutConfig,
    ) -> Self {
        Self {
            pool,
            tributary,
            stripe,
            config,
        }
    }

    /// Books the confirmed CREDITS releases not booked yet.
    pub async fn sync_ledger(&self) -> Result<u64> {
        ledger::catch_up(&self.pool, &self.tributary, self.config.ledger).await
    }

    /// A batch if the last one is at least `interval` old (or there is none).
    pub async fn schedule_if_due(&self) -> Result<Option<Batch>> {
        let interval_ms = self.config.interval.as_millis().min(i64::MAX as u128) as i64;
        let due: bool = in_task(&self.pool, move |pool| async move {
            Ok(sqlx::query_scalar(
                "SELECT NOT EXISTS (SELECT 1 FROM payout_batches
                     WHERE created_at > now() - make_interval(secs => $1::DOUBLE PRECISION / 1000))",
            )
            .bind(interval_ms)
            .fetch_one(&pool)
            .await?)
        })
        .await?;
        if due { self.schedule().await } else { Ok(None) }
    }

    /// Makes a batch now: one transfer per payout-enabled creator owed at
    /// least the threshold and with no unpaid transfer. `None` if nobody is.
    pub async fn schedule(&self) -> Result<Option<Batch>> {
        let (threshold, currency) = (self.config.threshold, self.config.currency.clone());
        let batch = in_task(&self.pool, move |pool| async move {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SCHEDULE_LOCK)
                .execute(&mut *tx)
                .await?;
            let rows = sqlx::query(
                "SELECT l.id, l.payee, l.amount::TEXT, c.stripe_account
                 FROM payout_ledger l JOIN creators c ON c.wallet = l.payee
                 WHERE l.transfer_id IS NULL AND c.payouts_enabled AND c.stripe_account IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM payout_transfers t
                                   WHERE t.wallet = l.payee AND t.status <> 'paid')
                 ORDER BY l.payee, l.id
                 FOR UPDATE OF l",
            )
            .fetch_all(&mut *tx)
            .await?;
            // payee → (account, ledger ids, total)
            let mut owed: Vec<(Address, String, Vec<i64>, U256)> = Vec::new();
            for row in rows {
                let payee = address(&row.try_get::<Vec<u8>, _>(1)?)?;
                let amount = U256::from_str_radix(row.try_get::<&str, _>(2)?, 10)
                    .map_err(|_| Error::Corrupt("a ledger amount that is not a number".into()))?;
                let id: i64 = row.try_get(0)?;
                match owed.last_mut() {
                    Some(last) if last.0 == payee => {
                        last.2.push(id);
                        last.3 += amount;
                    }
                    _ => owed.push((payee, row.try_get(3)?, vec![id], amount)),
                }
            }
            let due: Vec<_> = owed
                .into_iter()
                .filter_map(|(payee, account, ids, total)| {
                    let cents = i64::try_from(total).ok().filter(|cents| *cents > 0);
                    if cents.is_none() {
                        tracing::error!(%payee, %total, "owed more cents than a transfer can carry; left owed");
                    }
                    cents.filter(|cents| *cents >= threshold).map(|cents| (payee, account, ids, cents))
                })
                .collect();
            if due.is_empty() {
                tx.rollback().await?;
                return Ok(None);
            }
            let total: i64 = due.iter().map(|due| due.3).sum();
            let batch: i64 = sqlx::query_scalar(
                "INSERT INTO payout_batches (transfers, total) VALUES ($1, $2) RETURNING id",
            )
            .bind(due.len() as i32)
            .bind(total)
            .fetch_one(&mut *tx)
            .await?;
            let mut transfers = Vec::new();
            for (payee, account, ids, cents) in due {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO payout_transfers (batch_id, wallet, stripe_account, amount, currency)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(batch)
                .bind(payee.as_slice())
                .bind(&account)
                .bind(cents)
                .bind(&currency)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("UPDATE payout_ledger SET transfer_id = $1 WHERE id = ANY($2)")
                    .bind(id)
                    .bind(&ids)
                    .execute(&mut *tx)
                    .await?;
                transfers.push((id, payee, cents));
            }
            tx.commit().await?;
            Ok(Some(Batch { id: batch, transfers }))
        })
        .await?;
        if let Some(batch) = &batch {
            tracing::info!(
                batch = batch.id,
                transfers = batch.transfers.len(),
                "payout batch stored"
            );
        }
        Ok(batch)
    }

    /// Claims one due transfer, if any, and carries it as far as it goes.
    pub async fn pay_step(&self) -> Result<PayStep> {
        let Some(claimed) = self.claim().await? else {
            return Ok(PayStep::Idle);
        };
        let id = claimed.request.id;
        tracing::info!(
            transfer = id,
            attempt = claimed.attempt,
            calls = claimed.calls,
            "transfer claimed"
        );
        if claimed.calls > 0 {
            // An earlier claim may have reached Stripe (its answer lost, the
            // process killed, the key forgotten by Stripe since): look first.
            match self.stripe.transfers_in_group(&transfer_group(id)).await {
                Ok(found) => {
                    if let Some(transfer) = self.pick(&claimed, found) {
                        return self.paid(&claimed, transfer, true).await;
                    }
                }
                Err(error) => return self.failed(&claimed, error).await,
            }
        }
        if !self.count_call(&claimed).await? {
            return Ok(PayStep::LostClaim { transfer: id });
        }
        match self.stripe.create_transfer(&claimed.request).await {
            Ok(transfer) => self.paid(&claimed, transfer, false).await,
            Err(error) => self.failed(&claimed, error).await,
        }
    }

    /// Runs until dropped: the ledger, a batch when due, then the due transfers.
    pub async fn run(&self) {
        loop {
            if let Err(error) = self.sync_ledger().await {
                tracing::warn!(%error, "payout ledger not synced");
            }
            if let Err(error) = self.schedule_if_due().await {
                tracing::warn!(%error, "payout batch not scheduled");
            }
            loop {
                match self.pay_step().await {
                    Ok(PayStep::Idle) => break,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "payout step failed");
                        break;
                    }
                }
            }
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }

    fn pick(&self, claimed: &Claimed, found: Vec<Transfer>) -> Option<Transfer> {
        if found.len() > 1 {
            tracing::error!(
                transfer = claimed.request.id,
                count = found.len(),
                "Stripe holds more than one transfer in this transfer's group"
            );
        }
        let transfer = found.into_iter().next()?;
        if transfer.amount != claimed.request.amount
            || transfer.destination != claimed.request.destination
        {
            tracing::error!(
                transfer = claimed.request.id,
                stripe = %transfer.id,
                "the transfer found by its group differs in amount or destination; recorded as found"
            );
        }
        Some(transfer)
    }

    async fn claim(&self) -> Result<Option<Claimed>> {
        let lease = self.config.lease.as_millis().min(i64::MAX as u128) as i64;
        in_task(&self.pool, move |pool| async move {
            let Some(row) = sqlx::query(
                "WITH next AS (
                     SELECT id FROM payout_transfers
                     WHERE (status = 'pending' AND run_after <= now())
                        OR (status = 'sending' AND lease_until < now())
                     ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 UPDATE payout_transfers t
                 SET status = 'sending', attempts = t.attempts + 1,
                     lease_until = now() + make_interval(secs => $1::DOUBLE PRECISION / 1000),
                     updated_at = now()
                 FROM next WHERE t.id = next.id
                 RETURNING t.id, t.batch_id, t.wallet, t.stripe_account, t.amount, t.currency,
                           t.attempts, t.calls, t.refusals",
            )
            .bind(lease)
            .fetch_optional(&pool)
            .await?
            else {
                return Ok(None);
            };
            Ok(Some(Claimed {
                request: TransferRequest {
                    id: row.try_get(0)?,
                    batch_id: row.try_get(1)?,
                    wallet: address(&row.try_get::<Vec<u8>, _>(2)?)?.to_checksum(None),
                    destination: row.try_get(3)?,
                    amount: row.try_get(4)?,
                    currency: row.try_get(5)?,
                    refusals: row.try_get(8)?,
                },
                attempt: row.try_get(6)?,
                calls: row.try_get(7)?,
            }))
        })
        .await
    }

    /// Counts the call about to be made (committed first): a later claim
    /// knows Stripe may have it. False if the claim was lost.
    async fn count_call(&self, claimed: &Claimed) -> Result<bool> {
        let (id, attempt) = (claimed.request.id, claimed.attempt);
        in_task(&self.pool, move |pool| async move {
            Ok(sqlx::query(
                "UPDATE payout_transfers SET calls = calls + 1,
                     first_call_at = COALESCE(first_call_at, now()), updated_at = now()
                 WHERE id = $1 AND attempts = $2 AND status = 'sending'",
            )
            .bind(id)
            .bind(attempt)
            .execute(&pool)
            .await?
            .rows_affected()
                == 1)
        })
        .await
    }

    /// Records Stripe's transfer, whichever claim holds the row now: Stripe's
    /// answer is the truth.
    async fn paid(&self, claimed: &Claimed, transfer: Transfer, found: bool) -> Result<PayStep> {
        let (id, stripe_id) = (claimed.request.id, transfer.id.clone());
        in_task(&self.pool, move |pool| async move {
            sqlx::query(
                "UPDATE payout_transfers SET status = 'paid', stripe_transfer_id = $2,
                     lease_until = NULL, waiting_for = NULL, last_error = NULL, updated_at = now()
                 WHERE id = $1 AND status <> 'paid'",
            )
            .bind(id)
            .bind(&stripe_id)
            .execute(&pool)
            .await?;
            Ok(())
        })
        .await?;
        tracing::info!(transfer = id, stripe = %transfer.id, found, "transfer paid");
        Ok(PayStep::Paid {
            transfer: id,
            stripe_id: transfer.id,
            found,
        })
    }

    async fn failed(&self, claimed: &Claimed, error: StripeError) -> Result<PayStep> {
        let id = claimed.request.id;
        let message = error.to_string();
        let (status, waiting, delay, step) = if error.is_balance_insufficient() {
            (
                "pending",
                Some("balance"),
                self.config.balance_retry,
                PayStep::WaitingForBalance { transfer: id },
            )
        } else if matches!(error, StripeError::Unavailable(_)) {
            (
                "pending",
                None,
                self.config.backoff_after(claimed.attempt),
                PayStep::Retry {
                    transfer: id,
                    error: message.clone(),
                },
            )
        } else {
            (
                "failed",
                None,
                Duration::ZERO,
                PayStep::Parked {
                    transfer: id,
                    error: message.clone(),
                },
            )
        };
        // A definite refusal: no transfer was made under this key, and
        // Stripe would answer the same refusal to it for 24 h.
        let refused = matches!(error, StripeError::Refused { .. });
        let (attempt, delay_ms) = (
            claimed.attempt,
            delay.as_millis().min(i64::MAX as u128) as i64,
        );
        let (stored, status_text) = (message.clone(), status);
        let written = in_task(&self.pool, move |pool| async move {
            Ok(sqlx::query(
                "UPDATE payout_transfers SET status = $3, waiting_for = $4, last_error = $5,
                     refusals = refusals + $7::INTEGER,
                     run_after = now() + make_interval(secs => $6::DOUBLE PRECISION / 1000),
                     lease_until = NULL, updated_at = now()
                 WHERE id = $1 AND attempts = $2 AND status = 'sending'",
            )
            .bind(id)
            .bind(attempt)
            .bind(status_text)
            .bind(waiting)
            .bind(stored)
            .bind(delay_ms)
            .bind(i32::from(refused))
            .execute(&pool)
            .await?
            .rows_affected()
                == 1)
        })
        .await?;
        if !written {
            return Ok(PayStep::LostClaim { transfer: id });
        }
        match &step {
            PayStep::Parked { .. } => {
                tracing::error!(transfer = id, error = %message, "transfer refused by Stripe; parked")
            }
            _ => {
                tracing::warn!(transfer = id, error = %message, retry_in = ?delay, "transfer not made yet; will retry")
            }
        }
        Ok(step)
    }
}

/// Puts a parked (`failed`) transfer back in the queue. False if no failed
/// transfer has this id.
pub async fn requeue(pool: &PgPool, id: i64) -> Result<bool> {
    in_task(pool, move |pool| async move {
        Ok(sqlx::query(
            "UPDATE payout_transfers SET status = 'pending', run_after = now(), updated_at = now()
             WHERE id = $1 AND status = 'failed'",
        )
        .bind(id)
        .execute(&pool)
        .await?
        .rows_affected()
            == 1)
    })
    .await
}

/// A transfer as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    /// Our id (Idempotency-Key `tributary-transfer-{id}`).
    pub id: i64,
    /// Its batch.
    pub batch_id: i64,
    /// The creator.
    pub wallet: Address,
    /// `acct_…`.
    pub stripe_account: String,
    /// Cents.
    pub amount: i64,
    /// `pending`, `sending`, `paid`, `failed`.
    pub status: String,
    /// Claims so far.
    pub attempts: i32,
    /// Calls to `POST /v1/transfers` begun.
    pub calls: i32,
    /// `tr_…` once paid.
    pub stripe_transfer_id: Option<String>,
    /// `balance` while Stripe says the platform balance is too low.
    pub waiting_for: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
}

/// The payouts' totals, in cents, and the ledger's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Sum of every booked release.
    pub booked: String,
    /// Booked, in no transfer yet.
    pub owed: String,
    /// In transfers not paid yet.
    pub in_transfer: i64,
    /// In transfers Stripe holds.
    pub paid: i64,
    /// The next block the ledger reads.
    pub next_block: Option<i64>,
    /// Why the ledger halted, if it did.
    pub halted: Option<String>,
    /// Every transfer not yet paid, by id.
    pub unpaid: Vec<TransferRecord>,
}

/// The summary `GET /payouts` shows.
pub async fn summary(pool: &PgPool) -> Result<Summary> {
    in_task(pool, move |pool| async move {
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(sum(amount), 0)::TEXT FROM payout_ledger),
                    (SELECT COALESCE(sum(amount), 0)::TEXT FROM payout_ledger WHERE transfer_id IS NULL),
                    (SELECT COALESCE(sum(amount), 0)::BIGINT FROM payout_transfers WHERE status <> 'paid'),
                    (SELECT COALESCE(sum(amount), 0)::BIGINT FROM payout_transfers WHERE status = 'paid'),
                    (SELECT next_block FROM chain_cursors WHERE name = $1),
                    (SELECT halted FROM chain_cursors WHERE name = $1)",
        )
        .bind(ledger::CURSOR)
        .fetch_one(&pool)
        .await?;
        let rows = sqlx::query(
            "SELECT id, batch_id, wallet, stripe_account, amount, status, attempts, calls,
                    stripe_transfer_id, waiting_for, last_error
             FROM payout_transfers WHERE status <> 'paid' ORDER BY id LIMIT 500",
        )
        .fetch_all(&pool)
        .await?;
        let unpaid = rows
            .iter()
            .map(|row| {
                Ok(TransferRecord {
                    id: row.try_get(0)?,
                    batch_id: row.try_get(1)?,
                    wallet: address(&row.try_get::<Vec<u8>, _>(2)?)?,
                    stripe_account: row.try_get(3)?,
                    amount: row.try_get(4)?,
                    status: row.try_get(5)?,
                    attempts: row.try_get(6)?,
                    calls: row.try_get(7)?,
                    stripe_transfer_id: row.try_get(8)?,
                    waiting_for: row.try_get(9)?,
                    last_error: row.try_get(10)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Summary {
            booked: row.try_get(0)?,
            owed: row.try_get(1)?,
            in_transfer: row.try_get(2)?,
            paid: row.try_get(3)?,
            next_block: row.try_get(4)?,
            halted: row.try_get(5)?,
            unpaid,
        })
    })
    .await
}
