//! Creators linking their wallet to a Stripe connected account
//! (`POST /creators`), and their payout status from `account.updated`.
//!
//! The wallet proves it is the creator's by an EIP-191 `personal_sign` of
//! [`link_message`]: the relayer's chain id, a nonce of the creator's
//! choosing and the time it was signed. A signature older than the
//! tolerance (or dated in the future) is stale; a nonce used before by the
//! same wallet is a replay; both are refused before anything else happens.

use std::{str::FromStr, time::Duration};

use alloy::primitives::{Address, Signature};
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::{
    db::in_task,
    error::Result,
    stripe::{StripeClient, StripeError, event::AccountUpdate},
};

/// The message a creator's wallet signs (EIP-191 `personal_sign`) to link
/// it to a Stripe payout account.
pub fn link_message(wallet: Address, chain_id: u64, nonce: &str, issued_at: i64) -> String {
    format!(
        "Tributary: link this wallet to a Stripe payout account.\n\
         \n\
         Wallet: {}\n\
         Chain ID: {chain_id}\n\
         Nonce: {nonce}\n\
         Issued At: {issued_at}",
        wallet.to_checksum(None)
    )
}

/// A link request, as `POST /creators` reads it.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// The wallet, `0x…` (EIP-55 when mixed case).
    pub wallet: String,
    /// 8 to 64 characters from `A-Za-z0-9-_`.
    pub nonce: String,
    /// Unix seconds when it was signed.
    pub issued_at: i64,
    /// 65 bytes, `0x` hex (`r ‖ s ‖ v`).
    pub signature: String,
    /// Two-letter country of the connected account, if given.
    pub country: Option<String>,
    /// The creator's e-mail, prefilled in Stripe's onboarding, if given.
    pub email: Option<String>,
}

/// Why a link request is refused (each maps to a 4xx or 5xx of the API).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The wallet is not a 0x address, has a wrong checksum, or is zero.
    #[error("{0}")]
    InvalidWallet(String),
    /// A field is malformed (nonce, country, e-mail, signature bytes).
    #[error("{0}")]
    Invalid(String),
    /// The signature does not recover to the wallet.
    #[error("{0}")]
    BadSignature(String),
    /// Signed too long ago, or in the future.
    #[error("{0}")]
    Stale(String),
    /// The nonce was used before by this wallet.
    #[error("{0}")]
    Replay(String),
    /// Stripe failed or refused.
    #[error("{0}")]
    Stripe(StripeError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] crate::Error),
}

impl From<sqlx::Error> for LinkError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(error.into())
    }
}

/// What a creator's link looks like after `POST /creators`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// The wallet.
    pub wallet: Address,
    /// Its connected account.
    pub stripe_account: String,
    /// Where the creator completes Stripe's onboarding (single use).
    pub onboarding_url: String,
    /// When that link expires (Unix seconds).
    pub expires_at: i64,
    /// Whether Stripe already pays out to the account.
    pub payouts_enabled: bool,
}

/// Settings of the link flow.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// The chain the relayer serves: the signed message must name it.
    pub chain_id: u64,
    /// How old a signature may be (and how far in the future: a minute at most).
    pub tolerance: Duration,
    /// Where Stripe sends a creator whose link expired.
    pub refresh_url: String,
    /// Where Stripe sends a creator after onboarding.
    pub return_url: String,
}

/// A wallet as the API takes it: 0x and 40 hex digits; mixed case must be
/// a valid EIP-55 checksum; never zero.
pub fn parse_wallet(text: &str) -> Result<Address, LinkError> {
    let hex = text
        .strip_prefix("0x")
        .filter(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            LinkError::InvalidWallet(format!(
                "wallet {text:?} is not an address (0x and 40 hex digits)"
            ))
        })?;
    let mixed =
        hex.bytes().any(|b| b.is_ascii_uppercase()) && hex.bytes().any(|b| b.is_ascii_lowercase());
    let wallet = if mixed {
        Address::parse_checksummed(text, None).map_err(|_| {
            LinkError::InvalidWallet(format!("wallet {text} has a wrong EIP-55 checksum"))
        })?
    } else {
        Address::from_str(text)
            .map_err(|_| LinkError::InvalidWallet(format!("wallet {text:?} is not an address")))?
    };
    if wallet.is_zero() {
        return Err(LinkError::InvalidWallet(
            "wallet is the zero address".into(),
        ));
    }
    Ok(wallet)
}

/// Checks the request's fields and signature (not yet the nonce's use):
/// the wallet it proves.
pub fn verify(
    request: &LinkRequest,
    chain_id: u64,
    tolerance: Duration,
    now: i64,
) -> Result<Address, LinkError> {
    let wallet = parse_wallet(&request.wallet)?;
    let nonce_ok = (8..=64).contains(&request.nonce.len())
        && request
            .nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !nonce_ok {
        return Err(LinkError::Invalid(
            "nonce must be 8 to 64 characters from A-Z, a-z, 0-9, '-' and '_'".into(),
        ));
    }
    if let Some(country) = &request.country
        && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(LinkError::Invalid(
            "country must be a two-letter ISO code in capitals (e.g. US)".into(),
        ));
    }
    if let Some(email) = &request.email
        && !(email.len() <= 254 && email.contains('@') && !email.chars().any(char::is_whitespace))
    {
        return Err(LinkError::Invalid("email is not an e-mail address".into()));
    }
    let bytes = request
        .signature
        .strip_prefix("0x")
        .and_then(|hex| alloy::hex::decode(hex).ok())
        .filter(|bytes| bytes.len() == 65)
        .ok_or_else(|| {
            LinkError::Invalid("signature must be 65 bytes as 0x hex (r ‖ s ‖ v)".into())
        })?;
    let signature = Signature::from_raw(&bytes)
        .map_err(|error| LinkError::Invalid(format!("signature is malformed: {error}")))?;
    let message = link_message(wallet, chain_id, &request.nonce, request.issued_at);
    let signer = signature
        .recover_address_from_msg(message.as_bytes())
        .map_err(|_| LinkError::BadSignature("the signature recovers no address".into()))?;
    if signer != wallet {
        return Err(LinkError::BadSignature(format!(
            "the signature is not the wallet's: it must be {}'s personal_sign (EIP-191) of \
             the link message for chain {chain_id} with this nonce and issued_at",
            wallet.to_checksum(None)
        )));
    }
    // Checked after the signature: a stale message is one the wallet signed.
    let tolerance = tolerance.as_secs() as i64;
    if request.issued_at < now - tolerance {
        return Err(LinkError::Stale(format!(
            "the signature is stale: issued_at {} is more than {tolerance} s ago; sign a new \
             message",
            request.issued_at
        )));
    }
    if request.issued_at > now + 60 {
        return Err(LinkError::Stale(format!(
            "issued_at {} is in the future (more than 60 s ahead of the relayer's clock)",
            request.issued_at
        )));
    }
    Ok(wallet)
}

/// The whole link: verify, consume the nonce, create (or reuse) the
/// connected account, store it, open an onboarding link, store it.
pub async fn link(
    pool: &PgPool,
    stripe: &StripeClient,
    settings: &LinkSettings,
    request: &LinkRequest,
    now: i64,
) -> Result<Linked, LinkError> {
    let wallet = verify(request, settings.chain_id, settings.tolerance, now)?;
    let (nonce, issued_at) = (request.nonce.clone(), request.issued_at);
    let stored = in_task(pool, move |pool| async move {
        let mut tx = pool.begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO creator_link_nonces (wallet, nonce, issued_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(wallet.as_slice())
        .bind(&nonce)
        .bind(issued_at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !fresh {
            return Ok(None);
        }
        sqlx::query("INSERT INTO creators (wallet) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(wallet.as_slice())
            .execute(&mut *tx)
            .await?;
        let row =
            sqlx::query("SELECT stripe_account, payouts_enabled FROM creators WHERE wallet = $1")
                .bind(wallet.as_slice())
                .fetch_one(&mut *tx)
                .await?;
        let account: Option<String> = row.try_get(0)?;
        let enabled: bool = row.try_get(1)?;
        tx.commit().await?;
        Ok(Some((account, enabled)))
    })
    .await?;
    let Some((account, payouts_enabled)) = stored else {
        return Err(LinkError::Replay(format!(
            "nonce {} was already used by this wallet: sign a new message with a fresh nonce",
            request.nonce
        )));
    };
    let wallet_text = wallet.to_checksum(None);
    let account = match account {
        Some(account) => account,
        None => {
            // One key per wallet: a retry (or a concurrent request) within
            // Stripe's 24 hours answers the same account.
            let key = format!("tributary-account-{}", wallet_text.to_ascii_lowercase());
            let created = stripe
                .create_express_account(
                    &wallet_text,
                    request.country.as_deref(),
                    request.email.as_deref(),
                    &key,
                )
                .await
                .map_err(LinkError::Stripe)?;
            let id = created.id.clone();
            in_task(pool, move |pool| async move {
                sqlx::query(
                    "UPDATE creators SET stripe_account = $2, updated_at = now()
                     WHERE wallet = $1 AND stripe_account IS NULL",
                )
                .bind(wallet.as_slice())
                .bind(&id)
                .execute(&pool)
                .await?;
                let stored: String =
                    sqlx::query_scalar("SELECT stripe_account FROM creators WHERE wallet = $1")
                        .bind(wallet.as_slice())
                        .fetch_one(&pool)
                        .await?;
                Ok(stored)
            })
            .await?
        }
    };
    let key = format!(
        "tributary-link-{}-{}",
        wallet_text.to_ascii_lowercase(),
        request.nonce
    );
    let onboarding = stripe
        .create_account_link(&account, &settings.refresh_url, &settings.return_url, &key)
        .await
        .map_err(LinkError::Stripe)?;
    let (url, expires_at) = (onboarding.url.clone(), onboarding.expires_at);
    in_task(pool, move |pool| async move {
        sqlx::query(
            "UPDATE creators SET onboarding_url = $2, onboarding_expires_at = $3, updated_at = now()
             WHERE wallet = $1",
        )
        .bind(wallet.as_slice())
        .bind(&url)
        .bind(expires_at)
        .execute(&pool)
        .await?;
        Ok(())
    })
    .await?;
    Ok(Linked {
        wallet,
        stripe_account: account,
        onboarding_url: onboarding.url,
        expires_at: onboarding.expires_at,
        payouts_enabled,
    })
}

/// Applies `account.updated` to the creator whose account it is, in the
/// event's transaction. An event older than the one applied last changes
/// nothing (Stripe does not deliver in order). Returns whether a creator
/// changed.
pub(crate) async fn apply_account_update(
    tx: &mut Transaction<'_, Postgres>,
    event_id: &str,
    created: i64,
    update: &AccountUpdate,
) -> Result<bool> {
    let changed = sqlx::query(
        "UPDATE creators SET payouts_enabled = $2, details_submitted = $3,
             account_event_created = $4, updated_at = now()
         WHERE stripe_account = $1
           AND (account_event_created IS NULL OR account_event_created <= $4)",
    )
    .bind(&update.account)
    .bind(update.payouts_enabled)
    .bind(update.details_submitted)
    .bind(created)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0;
    if !changed {
        sqlx::query("UPDATE stripe_events SET note = $2 WHERE id = $1")
            .bind(event_id)
            .bind("no creator links this account, or a later account.updated was applied")
            .execute(&mut **tx)
            .await?;
    }
    Ok(changed)
}

/// A creator as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    /// The wallet.
    pub wallet: Address,
    /// `acct_…`, once created.
    pub stripe_account: Option<String>,
    /// From `account.updated`.
    pub payouts_enabled: bool,
    /// From `account.updated`.
    pub details_submitted: bool,
    /// Booked in the ledger and not yet in a transfer (cents).
    pub owed: String,
    /// In transfers not yet paid (cents).
    pub in_transfer: i64,
    /// Paid by transfers Stripe holds (cents).
    pub paid: i64,
}

/// The creator of `wallet`, if linked.
pub async fn creator(pool: &PgPool, wallet: Address) -> Result<Option<Creator>> {
    in_task(pool, move |pool| async move {
        let Some(row) = sqlx::query(
            "SELECT stripe_account, payouts_enabled, details_submitted,
                 (SELECT COALESCE(sum(amount), 0)::TEXT FROM payout_ledger
                   WHERE payee = c.wallet AND transfer_id IS NULL),
                 (SELECT COALESCE(sum(amount), 0)::BIGINT FROM payout_transfers
                   WHERE wallet = c.wallet AND status <> 'paid'),
                 (SELECT COALESCE(sum(amount), 0)::BIGINT FROM payout_transfers
                   WHERE wallet = c.wallet AND status = 'paid')
             FROM creators c WHERE wallet = $1",
        )
        .bind(wallet.as_slice())
        .fetch_optional(&pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(Creator {
            wallet,
            stripe_account: row.try_get(0)?,
            payouts_enabled: row.try_get(1)?,
            details_submitted: row.try_get(2)?,
            owed: row.try_get(3)?,
            in_transfer: row.try_get(4)?,
            paid: row.try_get(5)?,
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use alloy::signers::SignerSync;

    use super::*;

    fn signer() -> alloy::signers::local::PrivateKeySigner {
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
            .parse()
            .expect("key")
    }

    fn request(nonce: &str, issued_at: i64, chain_id: u64) -> LinkRequest {
        let signer = signer();
        let message = link_message(signer.address(), chain_id, nonce, issued_at);
        let signature = signer.sign_message_sync(message.as_bytes()).expect("sign");
        LinkRequest {
            wallet: signer.address().to_checksum(None),
            nonce: nonce.into(),
            issued_at,
            signature: format!("0x{}", alloy::hex::encode(signature.as_bytes())),
            country: None,
            email: None,
        }
    }

    #[test]
    fn a_fresh_signature_of_the_wallet_is_accepted() {
        let wallet = verify(
            &request("nonce-0001", 1000, 31337),
            31337,
            Duration::from_secs(300),
            1100,
        )
        .expect("verified");
        assert_eq!(wallet, signer().address());
    }

    #[test]
    fn another_chain_another_wallet_or_a_stale_time_is_refused() {
        let tolerance = Duration::from_secs(300);
        assert!(matches!(
            verify(&request("nonce-0001", 1000, 1), 31337, tolerance, 1100),
            Err(LinkError::BadSignature(_))
        ));
        let mut other = request("nonce-0001", 1000, 31337);
        other.wallet = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC".into();
        assert!(matches!(
            verify(&other, 31337, tolerance, 1100),
            Err(LinkError::BadSignature(_))
        ));
        assert!(matches!(
            verify(&request("nonce-0001", 1000, 31337), 31337, tolerance, 1301),
            Err(LinkError::Stale(_))
        ));
        assert!(verify(&request("nonce-0001", 1000, 31337), 31337, tolerance, 1300).is_ok());
        assert!(matches!(
            verify(&request("nonce-0001", 1000, 31337), 31337, tolerance, 939),
            Err(LinkError::Stale(_))
        ));
    }

    #[test]
    fn malformed_fields_are_refused_before_the_signature() {
        let tolerance = Duration::from_secs(300);
        let mut bad = request("nonce-0001", 1000, 31337);
        bad.wallet = "0x70997970c51812dc3a010c7d01b50e0d17dc79C8".into();
        assert!(matches!(
            verify(&bad, 31337, tolerance, 1000),
            Err(LinkError::InvalidWallet(_))
        ));
        bad.wallet = "alice.eth".into();
        assert!(matches!(
            verify(&bad, 31337, tolerance, 1000),
            Err(LinkError::InvalidWallet(_))
        ));
        let mut bad = request("short", 1000, 31337);
        assert!(matches!(
            verify(&bad, 31337, tolerance, 1000),
            Err(LinkError::Invalid(_))
        ));
        bad = request("nonce-0001", 1000, 31337);
        bad.signature = "0x1234".into();
        assert!(matches!(
            verify(&bad, 31337, tolerance, 1000),
            Err(LinkError::Invalid(_))
        ));
    }
}
