//! Stripe Connect, as the payouts use it: Express connected accounts
//! (`POST /v1/accounts`), their onboarding links (`POST /v1/account_links`),
//! transfers to them (`POST /v1/transfers`) and the lookup of a transfer by
//! its `transfer_group` (`GET /v1/transfers?transfer_group=…`).
//!
//! Every call is made once: the caller decides about retries (the account
//! and link calls of `POST /creators` retry a few times at once; a transfer
//! is retried by the payout loop after a backoff that survives a restart).
//! A connection failure, 429 or 5xx is [`StripeError::Unavailable`]: the
//! call may or may not have been carried out by Stripe, so a retry must use
//! the same `Idempotency-Key` (and, for transfers, look the transfer up
//! first: Stripe forgets keys after 24 hours).

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::{StripeClient, checkout::encode};

/// Stripe's API version the relayer speaks.
const STRIPE_VERSION: &str = "2024-06-20";

/// Why a Stripe call did not give its object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// No answer, a 429 or a 5xx: try again later with the same key.
    #[error("Stripe is unavailable: {0}")]
    Unavailable(String),
    /// Stripe refused the request (a 4xx other than 429).
    #[error("Stripe refused the request ({status}, {}): {message}", .code.as_deref().unwrap_or("no code"))]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Stripe's `error.code` (e.g. `balance_insufficient`), if any.
        code: Option<String>,
        /// Stripe's `error.message`.
        message: String,
    },
}

impl StripeError {
    /// Stripe's code for a platform balance too low for a transfer.
    pub const BALANCE_INSUFFICIENT: &'static str = "balance_insufficient";

    /// Whether Stripe said the platform's balance cannot cover the transfer.
    pub fn is_balance_insufficient(&self) -> bool {
        matches!(self, Self::Refused { code: Some(code), .. } if code == Self::BALANCE_INSUFFICIENT)
    }
}

/// A connected account, as far as the relayer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// `acct_…`.
    pub id: String,
    /// Stripe can pay out to it.
    #[serde(default)]
    pub payouts_enabled: bool,
    /// The onboarding form is done.
    #[serde(default)]
    pub details_submitted: bool,
}

/// An onboarding link (single use, expires after a few minutes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccountLink {
    /// Stripe's hosted onboarding page.
    pub url: String,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
}

/// A transfer, as far as the relayer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Transfer {
    /// `tr_…`.
    pub id: String,
    /// Cents.
    pub amount: i64,
    /// The connected account paid.
    pub destination: String,
    /// Our transfer's group (`tributary-payout-{id}`).
    #[serde(default)]
    pub transfer_group: Option<String>,
}

/// A transfer to make: our row's id names it everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// Our `payout_transfers.id`.
    pub id: i64,
    /// The batch it belongs to.
    pub batch_id: i64,
    /// The connected account (`acct_…`).
    pub destination: String,
    /// Cents.
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// The creator's wallet (EIP-55), in the metadata.
    pub wallet: String,
    /// Definite refusals so far: Stripe keeps a key's first result (a
    /// refusal too) for 24 h, so after one the next call takes a new key.
    pub refusals: i32,
}

impl TransferRequest {
    /// The `Idempotency-Key` of this transfer: the same on every try until
    /// Stripe refuses it for good (`-{refusals}` appended after that).
    pub fn idempotency_key(&self) -> String {
        match self.refusals {
            0 => transfer_idempotency_key(self.id),
            refusals => format!("{}-{refusals}", transfer_idempotency_key(self.id)),
        }
    }

    /// The `transfer_group`: how the transfer is found again after Stripe
    /// forgot the idempotency key.
    pub fn transfer_group(&self) -> String {
        transfer_group(self.id)
    }

    /// The form of `POST /v1/transfers`.
    pub fn form(&self) -> Vec<(String, String)> {
        vec![
            ("amount".into(), self.amount.to_string()),
            ("currency".into(), self.currency.clone()),
            ("destination".into(), self.destination.clone()),
            ("transfer_group".into(), self.transfer_group()),
            (
                "description".into(),
                format!("Tributary payout {}", self.id),
            ),
            ("metadata[tributary_transfer]".into(), self.id.to_string()),
            (
                "metadata[tributary_batch]".into(),
                self.batch_id.to_string(),
            ),
            ("metadata[wallet]".into(), self.wallet.clone()),
        ]
    }
}

/// The `Idempotency-Key` of our transfer `id`.
pub fn transfer_idempotency_key(id: i64) -> String {
    format!("tributary-transfer-{id}")
}

/// The `transfer_group` of our transfer `id`.
pub fn transfer_group(id: i64) -> String {
    format!("tributary-payout-{id}")
}

impl StripeClient {
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let mut request = request
            .bearer_auth(&self.secret_key)
            .header("Stripe-Version", STRIPE_VERSION);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request
            .send()
            .await
            // reqwest's message names the URL, never the headers.
            .map_err(|error| StripeError::Unavailable(error.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|error| StripeError::Unavailable(error.to_string()))?;
        if status == 429 || status >= 500 {
            return Err(StripeError::Unavailable(format!(
                "HTTP {status}: {}",
                super::checkout::stripe_message(&text)
            )));
        }
        let value: Option<Value> = serde_json::from_str(&text).ok();
        if !(200..300).contains(&status) {
            return Err(StripeError::Refused {
                status,
                code: value
                    .as_ref()
                    .and_then(|value| value["error"]["code"].as_str())
                    .map(str::to_owned),
                message: super::checkout::stripe_message(&text),
            });
        }
        value.ok_or_else(|| StripeError::Unavailable("an answer that is not JSON".into()))
    }

    async fn post_form(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(encode(form));
        self.call(request, Some(idempotency_key)).await
    }

    /// `post_form`, tried up to three times in all on [`StripeError::Unavailable`]
    /// (same key), for calls a person waits on.
    async fn post_form_retried(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        let mut attempt = 1;
        loop {
            match self.post_form(path, form, idempotency_key).await {
                Err(StripeError::Unavailable(_)) if attempt < 3 => {
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// `POST /v1/accounts`: an Express account for `wallet` (in its
    /// metadata), asking for the `transfers` capability. The key makes a
    /// retry answer the same account.
    pub async fn create_express_account(
        &self,
        wallet: &str,
        country: Option<&str>,
        email: Option<&str>,
        idempotency_key: &str,
    ) -> Result<Account, StripeError> {
        let mut form: Vec<(String, String)> = vec![
            ("type".into(), "express".into()),
            ("capabilities[transfers][requested]".into(), "true".into()),
            ("metadata[wallet]".into(), wallet.to_owned()),
        ];
        if let Some(country) = country {
            form.push(("country".into(), country.to_owned()));
        }
        if let Some(email) = email {
            form.push(("email".into(), email.to_owned()));
        }
        let value = self
            .post_form_retried("/v1/accounts", &form, idempotency_key)
            .await?;
        parse(value, "account")
    }

    /// `POST /v1/account_links`: an onboarding link for `account`.
    pub async fn create_account_link(
        &self,
        account: &str,
        refresh_url: &str,
        return_url: &str,
        idempotency_key: &str,
    ) -> Result<AccountLink, StripeError> {
        let form: Vec<(String, String)> = vec![
            ("account".into(), account.to_owned()),
            ("refresh_url".into(), refresh_url.to_owned()),
            ("return_url".into(), return_url.to_owned()),
            ("type".into(), "account_onboarding".into()),
        ];
        let value = self
            .post_form_retried("/v1/account_links", &form, idempotency_key)
            .await?;
        parse(value, "account link")
    }

    /// `POST /v1/transfers`, once, with the transfer's own idempotency key.
    pub async fn create_transfer(
        &self,
        request: &TransferRequest,
    ) -> Result<Transfer, StripeError> {
        let value = self
            .post_form("/v1/transfers", &request.form(), &request.idempotency_key())
            .await?;
        parse(value, "transfer")
    }

    /// `GET /v1/transfers?transfer_group=…`: the transfers Stripe holds in
    /// that group (ours: zero or one).
    pub async fn transfers_in_group(&self, group: &str) -> Result<Vec<Transfer>, StripeError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("transfer_group", group)
            .append_pair("limit", "100")
            .finish();
        let request = self.http.get(format!("{}/v1/transfers?{query}", self.base));
        let value = self.call(request, None).await?;
        let data = value
            .get("data")
            .cloned()
            .ok_or_else(|| StripeError::Unavailable("a transfer list without data".into()))?;
        serde_json::from_value(data).map_err(|error| {
            StripeError::Unavailable(format!("an unreadable transfer list: {error}"))
        })
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, StripeError> {
    serde_json::from_value(value)
        .map_err(|error| StripeError::Unavailable(format!("an unreadable {what}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_is_named_by_our_id_in_its_key_group_and_metadata() {
        let request = TransferRequest {
            id: 42,
            batch_id: 7,
            destination: "acct_1Abc".into(),
            amount: 1234,
            currency: "usd".into(),
            wallet: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".into(),
            refusals: 0,
        };
        assert_eq!(request.idempotency_key(), "tributary-transfer-42");
        let refused_once = TransferRequest {
            refusals: 1,
            ..request.clone()
        };
        assert_eq!(refused_once.idempotency_key(), "tributary-transfer-42-1");
        let body = encode(&request.form());
        assert!(body.contains("amount=1234"));
        assert!(body.contains("currency=usd"));
        assert!(body.contains("destination=acct_1Abc"));
        assert!(body.contains("transfer_group=tributary-payout-42"));
        assert!(body.contains("metadata%5Btributary_transfer%5D=42"));
    }

    #[test]
    fn balance_insufficient_is_told_apart() {
        let error = StripeError::Refused {
            status: 400,
            code: Some("balance_insufficient".into()),
            message: "You have insufficient available funds in your Stripe account.".into(),
        };
        assert!(error.is_balance_insufficient());
        assert!(!StripeError::Unavailable("HTTP 500".into()).is_balance_insufficient());
    }
}
