//! The worker's transactions: nonces owned by the relayer, every signed
//! transaction stored before it is broadcast, fee bumps of stuck
//! transactions up to a cap, the node's answers read by their meaning, and
//! receipts trusted only once their block is canonical and deep enough.
//!
//! **Nonces.** `sender_nonces` holds the next nonce of the key. A new
//! transaction takes it under a row lock, in the same database transaction
//! that stores the signed bytes (and checks the job's claim): two jobs never
//! share a nonce, and a nonce handed out is always bound to one stored call.
//! The counter is reconciled with the node's `pending` transaction count
//! at the first use and after the node says "nonce too low" (someone else
//! used the key): raised to it, or lowered to it when it drifted above the
//! chain, but never to or below a nonce already stored, so a crash never
//! reuses a nonce for another payload.
//!
//! **Store, then send.** The signed bytes, hash, nonce and fees are committed
//! before the broadcast. A job whose transactions are stored but not mined
//! (`status = 'pending'`) is driven on by whichever claim comes next:
//! re-broadcast as stored, bumped, waited on. No new transaction is built
//! for it while one of its nonce may still be mined.
//!
//! **Fee bumps.** A transaction not mined within `bump_after` is replaced at
//! the same nonce with both fees raised by at least 12.5 % (more when the
//! node's estimate is higher, or after "replacement transaction
//! underpriced"), never above `max_fee_per_gas`. At the cap the job keeps
//! waiting and says so in its `last_error`.

use std::{
    fmt,
    future::IntoFuture,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::{
    network::{
        EthereumWallet, NetworkTransactionBuilder, TransactionBuilder, eip2718::Encodable2718,
    },
    primitives::{Address, B256, Bytes, U256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    transports::{RpcError, TransportError, TransportErrorKind},
};
use sqlx::{PgPool, Row};
use tributary_core::{
    chain::{Client, Revert},
    signing::Key,
};

use crate::db::{self, Job};

/// How the sender prices, replaces and waits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SenderConfig {
    /// A transaction not mined this long after its broadcast is replaced
    /// with higher fees. Default 60 s.
    pub bump_after: Duration,
    /// The highest `maxFeePerGas` (wei) the relayer ever signs. Default
    /// 500 gwei.
    pub max_fee_per_gas: u128,
    /// The longest wait for one answer of the node. Default 10 s.
    pub rpc_timeout: Duration,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            bump_after: Duration::from_secs(60),
            max_fee_per_gas: 500_000_000_000,
            rpc_timeout: Duration::from_secs(10),
        }
    }
}

impl SenderConfig {
    /// This configuration, replacing transactions not mined after `after`.
    pub fn with_bump_after(mut self, after: Duration) -> Self {
        self.bump_after = after;
        self
    }

    /// This configuration, never signing a `maxFeePerGas` above `cap` wei.
    pub fn with_max_fee_per_gas(mut self, cap: u128) -> Self {
        self.max_fee_per_gas = cap;
        self
    }

    /// This configuration, waiting at most `timeout` for each node answer.
    pub fn with_rpc_timeout(mut self, timeout: Duration) -> Self {
        self.rpc_timeout = timeout;
        self
    }
}

/// A contract call to send: the same bytes for every transaction of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The contract.
    pub to: Address,
    /// The calldata.
    pub input: Bytes,
}

/// A stored transaction of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTx {
    /// Its row.
    pub id: i64,
    /// The key that signed it (another than the sender's own after a key
    /// rotation: then it is broadcast again and waited on, never bumped).
    pub sender: Address,
    /// Its nonce.
    pub nonce: u64,
    /// Its hash.
    pub hash: B256,
    /// The signed EIP-2718 bytes.
    pub raw: Bytes,
    /// Its gas limit.
    pub gas_limit: u64,
    /// Its `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// Its `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
}

/// How a job's sending ended.
#[derive(Debug)]
pub enum Sent {
    /// One of the job's transactions is in a canonical block with the
    /// confirmations (its status may say it reverted).
    Mined {
        /// The nonce.
        nonce: u64,
        /// The receipt.
        receipt: Box<TransactionReceipt>,
    },
    /// The nonce was used by a transaction that is not one of the job's
    /// (another sender of the key): none of them will ever be mined. The
    /// caller reads the contract and, if needed, sends anew (new nonce).
    NonceTaken {
        /// The nonce lost.
        nonce: u64,
    },
}

/// Why a job's sending stopped for now.
#[derive(Debug)]
pub enum SendError {
    /// The call reverts (found while estimating gas): nothing was signed.
    Reverted(tributary_core::Error),
    /// The node cannot be reached (or did not answer in time).
    Unreachable(String),
    /// The key cannot pay for the transaction.
    InsufficientFunds(String),
    /// Not mined (with its confirmations) within the wait of one claim; it
    /// stays stored and the next claim goes on with it.
    NotConfirmed {
        /// The newest transaction.
        hash: B256,
        /// Its nonce.
        nonce: u64,
        /// How long this claim waited.
        waited: Duration,
        /// The node's `pending` count when it is below the nonce: the
        /// transaction is queued behind nonces the node does not have.
        gap_from: Option<u64>,
    },
    /// The node refused the transaction for another reason.
    Refused(String),
    /// Another claim owns the job now: nothing was stored.
    LostClaim,
    /// The database failed.
    Db(crate::Error),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reverted(error) => write!(f, "{error}"),
            Self::Unreachable(message) => write!(f, "node unreachable: {message}"),
            Self::InsufficientFunds(message) => write!(
                f,
                "insufficient funds: the relayer key cannot pay for the transaction; fund it \
                 (node: {message})"
            ),
            Self::NotConfirmed {
                hash,
                nonce,
                waited,
                gap_from,
            } => {
                write!(
                    f,
                    "transaction {hash} (nonce {nonce}) not confirmed within {waited:?}; still \
                     waiting for it"
                )?;
                if let Some(from) = gap_from {
                    write!(
                        f,
                        "; it is queued behind a nonce gap: the node has no transaction of the \
                         key at nonces {from} to {} (send those, e.g. 0-value transfers to \
                         itself, to fill it)",
                        nonce.saturating_sub(1)
                    )?;
                }
                Ok(())
            }
            Self::Refused(message) => write!(f, "the node refused the transaction: {message}"),
            Self::LostClaim => f.write_str("the job's claim passed to another worker"),
            Self::Db(error) => write!(f, "{error}"),
        }
    }
}

impl From<crate::Error> for SendError {
    fn from(error: crate::Error) -> Self {
        Self::Db(error)
    }
}

/// A node's failure, by meaning.
#[derive(Debug)]
enum NodeError {
    /// Not reached, or no answer in time.
    Unreachable(String),
    /// A JSON-RPC error answer.
    Answer {
        message: String,
        revert: Option<Bytes>,
    },
    /// Anything else (a malformed answer).
    Other(String),
}

impl NodeError {
    fn from_transport(error: TransportError) -> Self {
        match error {
            RpcError::ErrorResp(payload) => Self::Answer {
                revert: payload.as_revert_data(),
                message: payload.message.to_string(),
            },
            RpcError::Transport(kind) => Self::Unreachable(transport_message(kind)),
            RpcError::NullResp => Self::Unreachable("empty answer".into()),
            other => Self::Other(other.to_string()),
        }
    }

    fn into_send_error(self) -> SendError {
        match self {
            Self::Unreachable(message) => SendError::Unreachable(message),
            Self::Answer { message, .. } | Self::Other(message) => SendError::Refused(message),
        }
    }
}

/// A transport failure's text without the request URL (an RPC URL often
/// carries an API key, and errors end up in logs and the API).
fn transport_message(kind: TransportErrorKind) -> String {
    use alloy::transports::http::reqwest;
    match kind {
        TransportErrorKind::Custom(inner) => match inner.downcast::<reqwest::Error>() {
            Ok(http) => http.without_url().to_string(),
            Err(inner) => inner.to_string(),
        },
        other => other.to_string(),
    }
}

/// What a node answered to a broadcast, by meaning.
#[derive(Debug, PartialEq, Eq)]
enum Broadcast {
    /// Taken into the pool.
    Accepted,
    /// The pool holds it already: as good as sent.
    AlreadyKnown,
    /// The nonce is below the account's: one of ours was mined, or someone
    /// else used the nonce.
    NonceTooLow,
    /// A transaction of the same nonce pays more: bump more.
    Underpriced,
    /// The key cannot pay.
    InsufficientFunds(String),
    /// Not reached.
    Unreachable(String),
    /// Refused for another reason.
    Refused(String),
}

/// Reads a node's refusal of a transaction by its meaning (geth, anvil,
/// reth, Nethermind and Erigon word them alike).
fn classify(message: &str) -> Broadcast {
    let lower = message.to_ascii_lowercase();
    if lower.contains("already known")
        || lower.contains("known transaction")
        || lower.contains("already imported")
        || lower.contains("alreadyknown")
    {
        Broadcast::AlreadyKnown
    } else if lower.contains("nonce too low")
        || lower.contains("nonce has already been used")
        || lower.contains("oldnonce")
        || lower.contains("nonce is too low")
    {
        Broadcast::NonceTooLow
    } else if lower.contains("underpriced")
        || lower.contains("replacement fee too low")
        || lower.contains("fee too low")
        || lower.contains("less than block base fee")
        || lower.contains("max fee per gas less than")
    {
        Broadcast::Underpriced
    } else if lower.contains("insufficient funds") || lower.contains("insufficient balance") {
        Broadcast::InsufficientFunds(message.to_owned())
    } else {
        Broadcast::Refused(message.to_owned())
    }
}

/// `value` raised by 12.5 %, rounded up (the replacement rule of geth and
/// its kin asks for 10 %).
fn bump(value: u128) -> u128 {
    value.saturating_add(value.div_ceil(8))
}

/// Sends the jobs' calls from one key. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    pool: PgPool,
    provider: DynProvider,
    wallet: EthereumWallet,
    from: Address,
    chain_id: u64,
    confirmations: u64,
    wait: Duration,
    poll: Duration,
    config: SenderConfig,
    reconciled: Arc<AtomicBool>,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("from", &self.from)
            .field("chain_id", &self.chain_id)
            .field("confirmations", &self.confirmations)
            .field("wait", &self.wait)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// Sends through `client`'s node, signing with `key`; waits for the
    /// client's confirmations, at most its receipt timeout per claim,
    /// polling at its interval (1 s if none is set).
    pub fn new(pool: PgPool, client: &Client, key: &Key, config: SenderConfig) -> Self {
        let chain = client.config();
        Self {
            pool,
            provider: client.provider().clone(),
            wallet: EthereumWallet::from(key.signer().clone()),
            from: key.address(),
            chain_id: client.chain_id(),
            confirmations: chain.confirmations.max(1),
            wait: chain.receipt_timeout,
            poll: chain.poll_interval.unwrap_or(Duration::from_secs(1)),
            config,
            reconciled: Arc::default(),
        }
    }

    /// The address that signs.
    pub fn address(&self) -> Address {
        self.from
    }

    async fn rpc<T>(
        &self,
        request: impl IntoFuture<Output = Result<T, TransportError>>,
    ) -> Result<T, NodeError> {
        match tokio::time::timeout(self.config.rpc_timeout, request.into_future()).await {
            Ok(answer) => answer.map_err(NodeError::from_transport),
            Err(_) => Err(NodeError::Unreachable(format!(
                "no answer within {:?}",
                self.config.rpc_timeout
            ))),
        }
    }

    /// Reconciles the stored next nonce with the node's `pending` count:
    /// raised to it, or lowered to it when nothing is stored at or above
    /// it, never below a stored nonce (see the module docs). Done when a
    /// worker starts, at a sender's first send and after "nonce too low".
    pub async fn reconcile(&self) -> Result<u64, SendError> {
        let pending = self
            .rpc(self.provider.get_transaction_count(self.from).pending())
            .await
            .map_err(NodeError::into_send_error)?;
        let next = db_reconcile(&self.pool, self.chain_id, self.from, pending).await?;
        self.reconciled.store(true, Ordering::Release);
        tracing::debug!(sender = %self.from, pending, next, "nonce reconciled with the node");
        Ok(next)
    }

    /// The job's stored transactions that may still be mined, oldest first.
    pub async fn open(&self, job: i64) -> Result<Vec<StoredTx>, SendError> {
        Ok(open_transactions(&self.pool, job).await?)
    }

    /// Sends `call` for the claimed `job` and waits for it: goes on with
    /// `open` (the job's stored transactions) if any, else estimates gas,
    /// takes a nonce, stores the signed transaction, and broadcasts it.
    pub async fn send(
        &self,
        job: &Job,
        call: &Call,
        open: Vec<StoredTx>,
    ) -> Result<Sent, SendError> {
        if !self.reconciled.load(Ordering::Acquire) {
            self.reconcile().await?;
        }
        let txs = if open.is_empty() {
            vec![self.sign_new(job, call).await?]
        } else {
            open
        };
        self.drive(job, call, txs).await
    }

    async fn sign_new(&self, job: &Job, call: &Call) -> Result<StoredTx, SendError> {
        let request = TransactionRequest::default()
            .with_from(self.from)
            .with_to(call.to)
            .with_input(call.input.clone());
        let estimate = match self.rpc(self.provider.estimate_gas(request)).await {
            Ok(gas) => gas,
            Err(NodeError::Answer {
                revert: Some(data), ..
            }) => {
                return Err(SendError::Reverted(tributary_core::Error::Reverted(
                    Revert::decode(&data),
                )));
            }
            Err(NodeError::Answer { message, .. }) => {
                return Err(match classify(&message) {
                    Broadcast::InsufficientFunds(message) => SendError::InsufficientFunds(message),
                    _ => SendError::Refused(message),
                });
            }
            Err(error) => return Err(error.into_send_error()),
        };
        // A fifth more than the estimate: the state may change before it lands.
        let gas_limit = estimate.saturating_add(estimate / 5).max(21_000);
        let fees = self
            .rpc(self.provider.estimate_eip1559_fees())
            .await
            .map_err(NodeError::into_send_error)?;
        let cap = self.config.max_fee_per_gas;
        let max_fee = fees.max_fee_per_gas.min(cap);
        let tip = fees.max_priority_fee_per_gas.min(max_fee);
        let tx = store_signed(
            &self.pool,
            self.signing(),
            job,
            call.clone(),
            None,
            gas_limit,
            max_fee,
            tip,
        )
        .await?;
        tracing::info!(
            job = job.id,
            tx = %tx.hash,
            nonce = tx.nonce,
            max_fee_per_gas = tx.max_fee_per_gas,
            "transaction stored; broadcasting"
        );
        Ok(tx)
    }

    fn signing(&self) -> Signing {
        Signing {
            wallet: self.wallet.clone(),
            from: self.from,
            chain_id: self.chain_id,
        }
    }

    /// A replacement of the newest of `txs`, stored; `None` at the fee cap.
    async fn replace(
        &self,
        job: &Job,
        call: &Call,
        txs: &[StoredTx],
    ) -> Result<Option<StoredTx>, SendError> {
        let newest = txs.last().expect("a job's open transactions");
        let suggested = match self.rpc(self.provider.estimate_eip1559_fees()).await {
            Ok(fees) => (fees.max_fee_per_gas, fees.max_priority_fee_per_gas),
            Err(NodeError::Unreachable(message)) => return Err(SendError::Unreachable(message)),
            Err(_) => (0, 0),
        };
        let cap = self.config.max_fee_per_gas;
        let tip = bump(newest.max_priority_fee_per_gas).max(suggested.1);
        let max_fee = bump(newest.max_fee_per_gas).max(suggested.0).max(tip);
        let (max_fee, tip) = (max_fee.min(cap), tip.min(cap));
        if max_fee < bump(newest.max_fee_per_gas) || tip < bump(newest.max_priority_fee_per_gas) {
            return Ok(None);
        }
        let tx = store_signed(
            &self.pool,
            self.signing(),
            job,
            call.clone(),
            Some(newest.nonce),
            newest.gas_limit,
            max_fee,
            tip,
        )
        .await?;
        tracing::warn!(
            job = job.id,
            replaced = %newest.hash,
            tx = %tx.hash,
            nonce = tx.nonce,
            max_fee_per_gas = tx.max_fee_per_gas,
            max_priority_fee_per_gas = tx.max_priority_fee_per_gas,
            "transaction not mined in time; replaced with higher fees"
        );
        Ok(Some(tx))
    }

    async fn broadcast(&self, tx: &StoredTx) -> Broadcast {
        let answer = match self.rpc(self.provider.send_raw_transaction(&tx.raw)).await {
            Ok(_) => Broadcast::Accepted,
            Err(NodeError::Unreachable(message)) => Broadcast::Unreachable(message),
            Err(NodeError::Answer { message, .. }) => classify(&message),
            Err(NodeError::Other(message)) => Broadcast::Refused(message),
        };
        let error = match &answer {
            Broadcast::Accepted | Broadcast::AlreadyKnown => None,
            other => Some(format!("{other:?}")),
        };
        if let Err(error) = mark_broadcast(&self.pool, tx.id, error).await {
            tracing::warn!(%error, "cannot record the broadcast");
        }
        answer
    }

    /// The newest receipt among `txs` whose block is canonical, and
    /// whether it has the confirmations.
    async fn find_receipt(
        &self,
        txs: &[StoredTx],
    ) -> Result<Option<(TransactionReceipt, bool)>, NodeError> {
        for tx in txs.iter().rev() {
            let Some(receipt) = self
                .rpc(self.provider.get_transaction_receipt(tx.hash))
                .await?
            else {
                continue;
            };
            let (Some(number), Some(block_hash)) = (receipt.block_number, receipt.block_hash)
            else {
                continue;
            };
            let canonical = self
                .rpc(self.provider.get_block_by_number(number.into()))
                .await?
                .map(|block| block.header.hash);
            if canonical != Some(block_hash) {
                tracing::warn!(
                    tx = %tx.hash,
                    block = number,
                    %block_hash,
                    "the receipt's block is no longer canonical (reorg); waiting again"
                );
                continue;
            }
            let head = self.rpc(self.provider.get_block_number()).await?;
            let confirmed = head.saturating_add(1) >= number.saturating_add(self.confirmations);
            return Ok(Some((receipt, confirmed)));
        }
        Ok(None)
    }

    /// Whether the node knows any of `txs` (in its pool or mined).
    async fn known(&self, txs: &[StoredTx]) -> Result<bool, NodeError> {
        for tx in txs.iter().rev() {
            if self
                .rpc(self.provider.get_transaction_by_hash(tx.hash))
                .await?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn drive(
        &self,
        job: &Job,
        call: &Call,
        mut txs: Vec<StoredTx>,
    ) -> Result<Sent, SendError> {
        let started = Instant::now();
        let nonce = txs[0].nonce;
        // When the node first accepted the newest transaction; `None`: not
        // yet (in this claim), so it is broadcast (again) before any bump.
        let mut accepted: Option<Instant> = None;
        let mut bump_now = false;
        let mut at_cap_noted = false;
        let mut unreachable = 0;
        loop {
            let waited = started.elapsed();
            if waited >= self.wait {
                let newest = txs.last().expect("open transactions");
                // Queued behind nonces the node lacks? Say so: nothing of this
                // job can fix it (see docs/relayer.md, "Not yet": no gap filler).
                let gap_from = self
                    .rpc(self.provider.get_transaction_count(newest.sender).pending())
                    .await
                    .ok()
                    .filter(|pending| *pending < nonce);
                return Err(SendError::NotConfirmed {
                    hash: newest.hash,
                    nonce,
                    waited,
                    gap_from,
                });
            }
            match self
                .step(job, call, &mut txs, &mut accepted, &mut bump_now)
                .await
            {
                Ok(Some(sent)) => return Ok(sent),
                Ok(None) => unreachable = 0,
                Err(Stop::Fail(error)) => return Err(error),
                // A glitch is waited out; a node gone for three looks in a
                // row gives the job back, to be retried after its backoff.
                Err(Stop::Unreachable(message)) => {
                    unreachable += 1;
                    if unreachable >= 3 {
                        return Err(SendError::Unreachable(message));
                    }
                    tracing::warn!(job = job.id, error = %message, "node unreachable; looking again");
                }
                Err(Stop::OtherKey(signer)) => {
                    if !at_cap_noted {
                        let newest = txs.last().expect("open transactions");
                        let note = format!(
                            "transaction {} (nonce {nonce}) was signed by {signer}, not by this \
                             relayer's key {}: it is broadcast again and waited on, never \
                             bumped (it needs that key's ETH and role to land)",
                            newest.hash, self.from
                        );
                        tracing::warn!(job = job.id, "{note}");
                        db::note(&self.pool, job, &note).await?;
                        at_cap_noted = true;
                    }
                }
                Err(Stop::AtCap) => {
                    if !at_cap_noted {
                        let newest = txs.last().expect("open transactions");
                        let note = format!(
                            "transaction {} (nonce {nonce}) is not mined and its fees are at the \
                             cap (max fee per gas {} wei); waiting for it without bumping",
                            newest.hash, self.config.max_fee_per_gas
                        );
                        tracing::warn!(job = job.id, "{note}");
                        db::note(&self.pool, job, &note).await?;
                        at_cap_noted = true;
                    }
                }
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// One look at the chain for the job's transactions of one nonce.
    async fn step(
        &self,
        job: &Job,
        call: &Call,
        txs: &mut Vec<StoredTx>,
        accepted: &mut Option<Instant>,
        bump_now: &mut bool,
    ) -> Result<Option<Sent>, Stop> {
        let (nonce, signer) = (txs[0].nonce, txs[0].sender);
        match self.find_receipt(txs).await? {
            Some((receipt, true)) => {
                return Ok(Some(Sent::Mined {
                    nonce,
                    receipt: Box::new(receipt),
                }));
            }
            // Mined, not deep enough yet: no bump, no re-broadcast.
            Some((_, false)) => return Ok(None),
            None => {}
        }
        // The nonce is the signer's: after a key rotation, the old key's.
        let latest = self
            .rpc(self.provider.get_transaction_count(signer))
            .await?;
        if latest > nonce {
            // The nonce is used. One of ours, mined between the two questions?
            if self.find_receipt(txs).await?.is_some() {
                return Ok(None);
            }
            tracing::warn!(
                job = job.id,
                nonce,
                "the nonce was used by a transaction that is not this job's"
            );
            close_lost(&self.pool, job.id, nonce)
                .await
                .map_err(|error| Stop::Fail(error.into()))?;
            if signer == self.from {
                self.reconcile().await.map_err(Stop::from_send)?;
            }
            return Ok(Some(Sent::NonceTaken { nonce }));
        }
        let due = accepted.is_some_and(|at| at.elapsed() >= self.config.bump_after);
        let mut send = accepted.is_none();
        if (due || *bump_now) && signer != self.from {
            // Signed by another key (before a key rotation): only that key
            // could replace it. It is broadcast again and waited on.
            *bump_now = false;
            if !self.known(txs).await? {
                self.broadcast(txs.last().expect("open")).await;
            }
            *accepted = Some(Instant::now());
            return Err(Stop::OtherKey(signer));
        }
        if due || *bump_now {
            *bump_now = false;
            match self
                .replace(job, call, txs)
                .await
                .map_err(Stop::from_send)?
            {
                Some(tx) => {
                    txs.push(tx);
                    *accepted = None;
                    send = true;
                }
                None => {
                    // Keep the current fee level in the pool.
                    if !self.known(txs).await? {
                        self.broadcast(txs.last().expect("open")).await;
                    }
                    *accepted = Some(Instant::now());
                    return Err(Stop::AtCap);
                }
            }
        } else if !send && !self.known(txs).await? {
            tracing::warn!(
                job = job.id,
                nonce,
                "the node no longer knows the transaction (dropped from its pool); \
                 broadcasting it again"
            );
            send = true;
        }
        if !send {
            return Ok(None);
        }
        let newest = txs.last().expect("open transactions");
        match self.broadcast(newest).await {
            Broadcast::Accepted | Broadcast::AlreadyKnown => {
                // The bump timer runs from the first acceptance of a fee level.
                if accepted.is_none() {
                    *accepted = Some(Instant::now());
                }
                Ok(None)
            }
            // The next look finds which transaction took the nonce.
            Broadcast::NonceTooLow => {
                tracing::info!(job = job.id, nonce, "nonce too low: looking for a receipt");
                Ok(None)
            }
            Broadcast::Underpriced => {
                *bump_now = true;
                Ok(None)
            }
            Broadcast::InsufficientFunds(message) => {
                Err(Stop::Fail(SendError::InsufficientFunds(message)))
            }
            Broadcast::Unreachable(message) => Err(Stop::Unreachable(message)),
            Broadcast::Refused(message) => Err(Stop::Fail(SendError::Refused(message))),
        }
    }
}

/// Why one look stopped early.
enum Stop {
    Fail(SendError),
    Unreachable(String),
    AtCap,
    OtherKey(Address),
}

impl Stop {
    fn from_send(error: SendError) -> Self {
        match error {
            SendError::Unreachable(message) => Self::Unreachable(message),
            other => Self::Fail(other),
        }
    }
}

impl From<NodeError> for Stop {
    fn from(error: NodeError) -> Self {
        match error {
            NodeError::Unreachable(message) => Self::Unreachable(message),
            other => Self::Fail(other.into_send_error()),
        }
    }
}

/// What signs: moved into the database task that stores the result.
struct Signing {
    wallet: EthereumWallet,
    from: Address,
    chain_id: u64,
}

// ---------------------------------------------------------------------- database

fn u128_of(text: &str) -> crate::Result<u128> {
    text.parse()
        .map_err(|_| crate::Error::Corrupt(format!("{text:?} is not a fee")))
}

fn stored(row: &sqlx::postgres::PgRow) -> crate::Result<StoredTx> {
    let nonce: i64 = row.try_get(1)?;
    let gas_limit: i64 = row.try_get(4)?;
    Ok(StoredTx {
        id: row.try_get(0)?,
        sender: db::address(row.try_get::<&[u8], _>(7)?)?,
        nonce: u64::try_from(nonce).map_err(|_| crate::Error::Corrupt("negative nonce".into()))?,
        hash: db::b256(row.try_get::<&[u8], _>(2)?)?,
        raw: Bytes::copy_from_slice(row.try_get::<&[u8], _>(3)?),
        gas_limit: u64::try_from(gas_limit)
            .map_err(|_| crate::Error::Corrupt("negative gas limit".into()))?,
        max_fee_per_gas: u128_of(row.try_get::<&str, _>(5)?)?,
        max_priority_fee_per_gas: u128_of(row.try_get::<&str, _>(6)?)?,
    })
}

/// The job's transactions that may still be mined, oldest first.
async fn open_transactions(pool: &PgPool, job: i64) -> crate::Result<Vec<StoredTx>> {
    let rows = sqlx::query(
        "SELECT id, nonce, tx_hash, raw, gas_limit, max_fee_per_gas::TEXT,
             max_priority_fee_per_gas::TEXT, sender
         FROM transactions WHERE job_id = $1 AND status = 'pending' ORDER BY id",
    )
    .bind(job)
    .fetch_all(pool)
    .await?;
    rows.iter().map(stored).collect()
}

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Sets the key's next nonce to the node's `pending` count, but never at or
/// below a nonce already stored for the key: a counter that drifted above
/// the chain with nothing stored behind it (a restored database, a manual
/// edit) comes back down; a nonce bound to a stored call is never handed out
/// again. The counter's row is locked first, so the stored nonces are read
/// after any allocation that held the lock committed.
async fn db_reconcile(
    pool: &PgPool,
    chain_id: u64,
    sender: Address,
    pending: u64,
) -> crate::Result<u64> {
    let (chain_id, pending) = (as_i64(chain_id), as_i64(pending));
    db::in_task(pool, move |pool| async move {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO sender_nonces (chain_id, sender, next_nonce) VALUES ($1, $2, $3)
             ON CONFLICT (chain_id, sender) DO NOTHING",
        )
        .bind(chain_id)
        .bind(sender.as_slice())
        .bind(pending)
        .execute(&mut *tx)
        .await?;
        let before: i64 = sqlx::query_scalar(
            "SELECT next_nonce FROM sender_nonces WHERE chain_id = $1 AND sender = $2
             FOR UPDATE",
        )
        .bind(chain_id)
        .bind(sender.as_slice())
        .fetch_one(&mut *tx)
        .await?;
        let stored: Option<i64> = sqlx::query_scalar(
            "SELECT max(nonce) + 1 FROM transactions WHERE chain_id = $1 AND sender = $2",
        )
        .bind(chain_id)
        .bind(sender.as_slice())
        .fetch_one(&mut *tx)
        .await?;
        let next = pending.max(stored.unwrap_or(0));
        if next != before {
            sqlx::query(
                "UPDATE sender_nonces SET next_nonce = $3, updated_at = now()
                 WHERE chain_id = $1 AND sender = $2",
            )
            .bind(chain_id)
            .bind(sender.as_slice())
            .bind(next)
            .execute(&mut *tx)
            .await?;
            if next < before {
                tracing::warn!(
                    %sender,
                    before,
                    next,
                    "the nonce counter was above the chain with nothing stored behind it; \
                     lowered"
                );
            }
        }
        tx.commit().await?;
        Ok(u64::try_from(next).unwrap_or(0))
    })
    .await
}

/// Signs `call` at `nonce` (or the next nonce of the key, taken under its
/// row lock) and stores it with the job, in one transaction that first
/// checks the job's claim. Nothing is broadcast here.
#[allow(clippy::too_many_arguments)]
async fn store_signed(
    pool: &PgPool,
    signing: Signing,
    job: &Job,
    call: Call,
    nonce: Option<u64>,
    gas_limit: u64,
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
) -> Result<StoredTx, SendError> {
    let (job_id, attempt) = (job.id, job.attempt);
    let stored = db::in_task(pool, move |pool| async move {
        let mut tx = pool.begin().await?;
        let claimed = sqlx::query(
            "SELECT 1 FROM jobs WHERE id = $1 AND status = 'running' AND attempts = $2 FOR UPDATE",
        )
        .bind(job_id)
        .bind(attempt)
        .fetch_optional(&mut *tx)
        .await?;
        if claimed.is_none() {
            return Ok(None);
        }
        let chain_id = as_i64(signing.chain_id);
        let nonce = match nonce {
            Some(nonce) => nonce,
            None => {
                let next: Option<i64> = sqlx::query_scalar(
                    "SELECT next_nonce FROM sender_nonces WHERE chain_id = $1 AND sender = $2
                     FOR UPDATE",
                )
                .bind(chain_id)
                .bind(signing.from.as_slice())
                .fetch_optional(&mut *tx)
                .await?;
                let next = next.ok_or_else(|| {
                    crate::Error::Corrupt("no nonce counter: reconcile first".into())
                })?;
                sqlx::query(
                    "UPDATE sender_nonces SET next_nonce = $3 + 1, updated_at = now()
                     WHERE chain_id = $1 AND sender = $2",
                )
                .bind(chain_id)
                .bind(signing.from.as_slice())
                .bind(next)
                .execute(&mut *tx)
                .await?;
                u64::try_from(next).map_err(|_| crate::Error::Corrupt("negative nonce".into()))?
            }
        };
        let request = TransactionRequest::default()
            .with_from(signing.from)
            .with_to(call.to)
            .with_input(call.input)
            .with_value(U256::ZERO)
            .with_nonce(nonce)
            .with_chain_id(signing.chain_id)
            .with_gas_limit(gas_limit)
            .with_max_fee_per_gas(max_fee_per_gas)
            .with_max_priority_fee_per_gas(max_priority_fee_per_gas);
        let envelope = request
            .build(&signing.wallet)
            .await
            .map_err(|error| crate::Error::Config(format!("cannot sign: {error}")))?;
        let hash = *envelope.tx_hash();
        let raw = Bytes::from(envelope.encoded_2718());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO transactions (job_id, chain_id, sender, nonce, tx_hash, raw, gas_limit,
                 max_fee_per_gas, max_priority_fee_per_gas)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::NUMERIC, $9::NUMERIC)
             RETURNING id",
        )
        .bind(job_id)
        .bind(chain_id)
        .bind(signing.from.as_slice())
        .bind(as_i64(nonce))
        .bind(hash.as_slice())
        .bind(raw.as_ref())
        .bind(as_i64(gas_limit))
        .bind(max_fee_per_gas.to_string())
        .bind(max_priority_fee_per_gas.to_string())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE jobs SET nonce = $2, tx_hash = $3, tx_count = tx_count + 1, updated_at = now()
             WHERE id = $1",
        )
        .bind(job_id)
        .bind(as_i64(nonce))
        .bind(hash.as_slice())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(StoredTx {
            id,
            sender: signing.from,
            nonce,
            hash,
            raw,
            gas_limit,
            max_fee_per_gas,
            max_priority_fee_per_gas,
        }))
    })
    .await?;
    stored.ok_or(SendError::LostClaim)
}

async fn mark_broadcast(pool: &PgPool, id: i64, error: Option<String>) -> crate::Result<()> {
    sqlx::query(
        "UPDATE transactions
         SET broadcast_at = CASE WHEN $2::TEXT IS NULL THEN now() ELSE broadcast_at END,
             last_error = $2
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// The job's open transactions of `nonce` will never be mined: another
/// transaction used the nonce.
async fn close_lost(pool: &PgPool, job: i64, nonce: u64) -> crate::Result<()> {
    sqlx::query(
        "UPDATE transactions SET status = 'lost'
         WHERE job_id = $1 AND nonce = $2 AND status = 'pending'",
    )
    .bind(job)
    .bind(as_i64(nonce))
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_are_at_least_an_eighth_rounded_up() {
        assert_eq!(bump(8), 9);
        assert_eq!(bump(1), 2);
        assert_eq!(bump(1_000_000_000), 1_125_000_000);
        assert_eq!(bump(1_000_000_001), 1_125_000_002);
        assert_eq!(bump(u128::MAX), u128::MAX);
    }

    #[test]
    fn node_answers_are_read_by_meaning() {
        assert_eq!(classify("already known"), Broadcast::AlreadyKnown);
        assert_eq!(
            classify("nonce too low: next nonce 5, tx nonce 4"),
            Broadcast::NonceTooLow
        );
        assert_eq!(
            classify("replacement transaction underpriced"),
            Broadcast::Underpriced
        );
        assert!(matches!(
            classify("insufficient funds for gas * price + value"),
            Broadcast::InsufficientFunds(_)
        ));
        assert!(matches!(
            classify("intrinsic gas too low"),
            Broadcast::Refused(_)
        ));
    }
}
