//! Signing in to a Tributary API with the home's key (EIP-4361, Sign-In with Ethereum): ask
//! for a nonce, sign the message (EIP-191), get a session token.

use alloy::signers::SignerSync;
use anyhow::{Context, bail};
use serde::Deserialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use tributary_core::signing::Key;

/// How long the signed message (and so the session) lasts.
const SESSION_SECS: i64 = 3600;

/// A signed-in client of the API at `base`.
pub(crate) struct Session {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

#[derive(Deserialize)]
struct Nonce {
    nonce: String,
    domain: String,
    chain_id: u64,
}

#[derive(Deserialize)]
struct Login {
    token: String,
}

/// Signs in to the API at `base` as `key`, on the chain `chain_id` (the API must serve it).
pub(crate) async fn sign_in(base: &str, key: &Key, chain_id: u64) -> anyhow::Result<Session> {
    let base = base.trim_end_matches('/').to_owned();
    let http = reqwest::Client::new();
    let nonce: Nonce = answer(
        http.post(format!("{base}/auth/nonce")).send().await,
        "POST /auth/nonce",
    )
    .await?;
    if nonce.chain_id != chain_id {
        bail!(
            "the API at {base} serves chain {}, your home is on chain {chain_id}",
            nonce.chain_id
        );
    }
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::now_utc());
    let message = format!(
        "{domain} wants you to sign in with your Ethereum account:\n{address}\n\n\
         Sign in to Tributary.\n\nURI: {base}\nVersion: 1\nChain ID: {chain_id}\n\
         Nonce: {nonce}\nIssued At: {issued}\nExpiration Time: {expires}",
        domain = nonce.domain,
        address = key.address().to_checksum(None),
        nonce = nonce.nonce,
        issued = now.format(&Rfc3339)?,
        expires = (now + time::Duration::seconds(SESSION_SECS)).format(&Rfc3339)?,
    );
    // What the server will parse: refuse here, with the reason, a message it would refuse.
    message
        .parse::<siwe::Message>()
        .with_context(|| format!("the sign-in message for {base} is not valid EIP-4361"))?;
    let signature = key.signer().sign_message_sync(message.as_bytes())?;
    let login: Login = answer(
        http.post(format!("{base}/auth/login"))
            .json(&serde_json::json!({
                "message": message,
                "signature": alloy::hex::encode_prefixed(signature.as_bytes()),
            }))
            .send()
            .await,
        "POST /auth/login",
    )
    .await?;
    Ok(Session {
        http,
        base,
        token: login.token,
    })
}

/// The JSON of a 2xx answer, or an error carrying the API's own message.
pub(crate) async fn answer<T: serde::de::DeserializeOwned>(
    sent: reqwest::Result<reqwest::Response>,
    what: &str,
) -> anyhow::Result<T> {
    let response = sent.with_context(|| format!("{what}: the API cannot be reached"))?;
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .with_context(|| format!("{what}: the answer is not the expected JSON"));
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let message = body["error"]["message"].as_str().unwrap_or("no message");
    bail!("{what}: {status}: {message}")
}
