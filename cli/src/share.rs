//! `tributary share`: a creator hands a version's data key to a Tributary API, so that buyers
//! holding a licence download the files there, decrypted (docs/api.md, licence-gated downloads).
//! `--revoke` takes it back: the API forgets the key and downloads stop.

use alloy::primitives::U256;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use tributary_core::{crypto::WrappedKey, publication};

use crate::{
    Outcome,
    home::Home,
    output,
    publish::Record,
    signin::{self, answer},
};

/// Arguments of `tributary share`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The dataset's id (one of yours).
    dataset: U256,
    /// The API's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    api: String,
    /// The version to share (default: the latest).
    #[arg(long)]
    version: Option<u32>,
    /// Take the key back instead: downloads of the version stop.
    #[arg(long)]
    revoke: bool,
}

#[derive(Deserialize)]
struct Granted {
    files: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    dataset_id: String,
    version: u32,
    api: String,
    shared: bool,
    files: Vec<String>,
}

pub(crate) async fn run(args: &Args, home: &Home, json: bool) -> anyhow::Result<Outcome> {
    let key = home.key()?;
    let chain = home.chain(None).await?;
    chain.require_creator(args.dataset, &key).await?;
    let version = chain.version(args.dataset, args.version).await?.version;
    let session = signin::sign_in(&args.api, &key, chain.tributary.client().chain_id()).await?;
    let url = format!(
        "{}/datasets/{}/versions/{version}/access",
        session.base, args.dataset
    );

    let files = if args.revoke {
        let response = session
            .http
            .delete(&url)
            .bearer_auth(&session.token)
            .send()
            .await
            .context("the API cannot be reached")?;
        if !response.status().is_success() {
            // The API's error body, with its reason.
            answer::<serde_json::Value>(Ok(response), "DELETE access").await?;
        }
        Vec::new()
    } else {
        let record = Record::read(
            home,
            &chain.tributary,
            args.dataset,
            version,
            "share from the home that published the version",
        )?;
        let store = home.store().await?;
        let envelope = publication::load_envelope(store.as_ref(), &record.envelope_blob()?)
            .await
            .context("cannot load the version's envelope from the store")?;
        let wrapped = WrappedKey::from_bytes(
            &alloy::hex::decode(&envelope.wrapped_key).context("the envelope's key is not hex")?,
        )?;
        let data_key = home.creator_keys()?.unwrap(&wrapped)?;
        let granted: Granted = answer(
            session
                .http
                .put(&url)
                .bearer_auth(&session.token)
                .json(&serde_json::json!({
                    "envelope_cid": record.envelope_cid,
                    "envelope_sha256": record.envelope_sha256,
                    "data_key": alloy::hex::encode(data_key.expose_secret()),
                }))
                .send()
                .await,
            "PUT access",
        )
        .await?;
        granted.files
    };
    let report = Report {
        dataset_id: args.dataset.to_string(),
        version,
        api: session.base.clone(),
        shared: !args.revoke,
        files,
    };
    if json {
        output::json(&report)?;
    } else if report.shared {
        println!(
            "shared dataset {} version {} with {}: licence holders can download its {} files",
            report.dataset_id,
            report.version,
            report.api,
            report.files.len()
        );
    } else {
        println!(
            "revoked dataset {} version {} at {}: the API forgot its key",
            report.dataset_id, report.version, report.api
        );
    }
    Ok(Outcome::Ok)
}
