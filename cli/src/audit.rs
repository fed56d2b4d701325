//! `tributary verify DATASET [FOLDER]`: check a dataset against the chain without trusting
//! Tributary's servers.
//!
//! Each check is named in the report, and any failed one makes the exit code 1:
//! - `signer`: the anchoring transaction carries the on-chain creator's authority: either the
//!   creator sent it (`register`, `publishVersion`), or it carries an EIP-712 signature that
//!   recovers to the creator (`registerWithSig`, `publishVersionWithSig`);
//! - `manifest_hash`: the manifest (from the blob store, or `--manifest`) hashes to the anchored
//!   hash;
//! - `creator`: the wallet the manifest names is the creator on-chain, so a manifest registered
//!   by anyone else fails here;
//! - `files`: with a folder, every file matches the manifest (size, sha256, CID);
//! - `payments`: per token, what the current split received equals the sum of its
//!   `PaymentReceived` events, and what was released does not exceed it.

use std::{collections::BTreeMap, path::Path};

use alloy::{
    consensus::Transaction as _,
    eips::BlockId,
    primitives::{Address, B256, Signature, U256},
    providers::Provider,
    sol_types::SolInterface,
};
use anyhow::Context;
use serde::Serialize;
use tributary_core::{
    chain::{
        DatasetStatus, ETH,
        ITributary::{self, ITributaryCalls},
        Terms, Tributary, VersionRecord,
    },
    hash::Sha256Digest,
    manifest::Manifest,
    publication,
    signing::{self, PublishVersion, Register},
};

use crate::{
    Outcome,
    fetch::cid_of_uri,
    home::{Chain, Home},
    output,
    verify::{self, Difference},
};

#[derive(Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
}

#[derive(Serialize)]
struct Anchored {
    version: u32,
    manifest_sha256: String,
    uri: String,
    block_number: u64,
    block_time: u64,
    tx_hash: String,
    sender: String,
    signer: Option<String>,
}

#[derive(Serialize)]
struct Licences {
    issued: usize,
    flagged: usize,
}

#[derive(Serialize)]
struct Report {
    dataset_id: String,
    creator: String,
    status: String,
    anchor: Anchored,
    licences: Licences,
    ok: bool,
    checks: Vec<Check>,
    differences: Vec<Difference>,
}

pub(crate) async fn run(
    dataset_id: U256,
    folder: Option<&Path>,
    args: &verify::Args,
    home: &Home,
    json: bool,
) -> anyhow::Result<Outcome> {
    let chain = home.chain(None).await?;
    let tributary = &chain.tributary;
    let record = tributary.dataset(dataset_id).await?;
    if record.status == DatasetStatus::None {
        anyhow::bail!(
            "dataset {dataset_id} is not registered on {:#x}",
            tributary.address()
        );
    }
    let versions = tributary.versions_of(chain.scan, dataset_id).await?;
    let version = match args.version {
        Some(number) => versions
            .iter()
            .find(|v| v.version == number)
            .with_context(|| format!("dataset {dataset_id} has no version {number}"))?,
        None => versions.last().context("the dataset has no versions")?,
    };
    let mut checks = Vec::new();

    // Who authorised the anchor.
    let (sender, authority) = anchor_authority(&chain, dataset_id, version).await?;
    let (ok, detail, signer) = match authority {
        Authority::Sender => (
            sender == record.creator,
            format!("sent by {sender:#x}"),
            None,
        ),
        Authority::Signature(signer) => (
            true,
            format!("EIP-712 signature by {signer:#x}, relayed by {sender:#x}"),
            Some(signer),
        ),
        Authority::BadSignature => (
            false,
            format!("the signature relayed by {sender:#x} does not recover to the creator"),
            None,
        ),
        Authority::Indirect(to) => (
            false,
            format!("anchored through contract {to:#x} called by {sender:#x}: follow it by hand"),
            None,
        ),
    };
    checks.push(Check {
        name: "signer",
        ok,
        detail,
    });

    // The manifest and what it says.
    let anchored_hash = Sha256Digest::new(version.manifest_hash.0);
    let manifest = load_manifest(args, home, anchored_hash, &version.uri).await?;
    let computed = manifest.manifest_hash()?;
    checks.push(Check {
        name: "manifest_hash",
        ok: computed == anchored_hash,
        detail: format!("anchored {anchored_hash}, manifest hashes to {computed}"),
    });
    let named: Option<Address> = manifest.creator.wallet.parse().ok();
    checks.push(Check {
        name: "creator",
        ok: named == Some(record.creator),
        detail: format!(
            "manifest names {}, the chain's creator is {:#x}",
            manifest.creator.wallet, record.creator
        ),
    });

    // The files.
    let mut differences = Vec::new();
    if let Some(folder) = folder {
        let found = verify::scan(folder)?;
        differences = verify::compare(&manifest.files, &found);
        checks.push(Check {
            name: "files",
            ok: differences.is_empty(),
            detail: format!(
                "{} files in the manifest, {} difference(s) in {}",
                manifest.files.len(),
                differences.len(),
                folder.display()
            ),
        });
    }

    // The money.
    let terms = tributary.terms_of(chain.scan, dataset_id).await?.terms();
    checks.extend(payment_checks(tributary, &chain, &terms).await?);

    let issued = tributary
        .events::<ITributary::LicenceIssued>(chain.scan, [None, Some(B256::from(dataset_id)), None])
        .await?;
    let mut flagged = 0;
    for emitted in &issued {
        if !tributary
            .events::<ITributary::LicenceFlagged>(
                chain.scan,
                [Some(B256::from(emitted.event.tokenId)), None, None],
            )
            .await?
            .is_empty()
        {
            flagged += 1;
        }
    }

    let block_time = tributary.block_time(version.block_number).await?;
    let report = Report {
        dataset_id: dataset_id.to_string(),
        creator: format!("{:#x}", record.creator),
        status: record.status.to_string(),
        anchor: Anchored {
            version: version.version,
            manifest_sha256: anchored_hash.to_string(),
            uri: version.uri.clone(),
            block_number: version.block_number,
            block_time,
            tx_hash: format!("{:#x}", version.tx_hash),
            sender: format!("{sender:#x}"),
            signer: signer.map(|s| format!("{s:#x}")),
        },
        licences: Licences {
            issued: issued.len(),
            flagged,
        },
        ok: checks.iter().all(|check| check.ok),
        checks,
        differences,
    };
    if json {
        output::json(&report)?;
    } else {
        print_text(&report);
    }
    Ok(Outcome::of_check(report.ok))
}

/// Whose authority an anchoring transaction carries.
enum Authority {
    /// Its sender's: a direct call of the contract.
    Sender,
    /// An EIP-712 signature that recovers to the creator.
    Signature(Address),
    /// A signature that recovers to no one under any nonce the creator used then.
    BadSignature,
    /// The transaction called another contract, which called Tributary.
    Indirect(Address),
}

/// The transaction's sender, and whose authority it carries.
async fn anchor_authority(
    chain: &Chain,
    dataset_id: U256,
    version: &VersionRecord,
) -> anyhow::Result<(Address, Authority)> {
    let tributary = &chain.tributary;
    let provider = tributary.client().provider();
    let tx = provider
        .get_transaction_by_hash(version.tx_hash)
        .await
        .context("cannot read the anchoring transaction")?
        .with_context(|| format!("the node does not know transaction {:#x}", version.tx_hash))?;
    let sender = tx.inner.signer();
    match tx.to() {
        Some(to) if to == tributary.address() => {}
        // Anchored through another contract (a smart wallet, a batcher), which this check does
        // not follow.
        to => return Ok((sender, Authority::Indirect(to.unwrap_or_default()))),
    }
    let signed = match ITributaryCalls::abi_decode(tx.input()) {
        Ok(ITributaryCalls::registerWithSig(call)) => {
            let terms = Terms::new(&call.split, call.offers.clone());
            let creator = call.creator;
            let candidates = nonce_candidates(tributary, creator, version.block_number).await?;
            let signature = Signature::from_raw(&call.signature).ok();
            signature.and_then(|signature| {
                candidates.into_iter().find_map(|nonce| {
                    let message = Register {
                        creator,
                        manifestHash: call.manifestHash,
                        uri: call.uri.clone(),
                        termsHash: terms.hash(),
                        nonce,
                        deadline: call.deadline,
                    };
                    recovered(&message, tributary, &signature, creator)
                })
            })
        }
        Ok(ITributaryCalls::publishVersionWithSig(call)) => {
            let creator = tributary.dataset(dataset_id).await?.creator;
            let candidates = nonce_candidates(tributary, creator, version.block_number).await?;
            let signature = Signature::from_raw(&call.signature).ok();
            signature.and_then(|signature| {
                candidates.into_iter().find_map(|nonce| {
                    let message = PublishVersion {
                        datasetId: call.datasetId,
                        manifestHash: call.manifestHash,
                        uri: call.uri.clone(),
                        nonce,
                        deadline: call.deadline,
                    };
                    recovered(&message, tributary, &signature, creator)
                })
            })
        }
        // A direct call: the transaction's own signature is the sender's authority.
        _ => return Ok((sender, Authority::Sender)),
    };
    // A signature the contract accepted recovers to the creator under one of the nonces.
    Ok((
        sender,
        signed.map_or(Authority::BadSignature, Authority::Signature),
    ))
}

/// The creator's nonce just before `block`, and every nonce used within it.
async fn nonce_candidates(
    tributary: &Tributary,
    creator: Address,
    block: u64,
) -> anyhow::Result<Vec<U256>> {
    let before = tributary
        .contract()
        .nonces(creator)
        .block(BlockId::number(block.saturating_sub(1)))
        .call()
        .await
        .context("cannot read the creator's nonce (an archive node is needed for old blocks)")?;
    let after = tributary
        .contract()
        .nonces(creator)
        .block(BlockId::number(block))
        .call()
        .await
        .context("cannot read the creator's nonce")?;
    let mut candidates = Vec::new();
    let mut nonce = before;
    while nonce < after {
        candidates.push(nonce);
        nonce += U256::from(1);
    }
    Ok(candidates)
}

fn recovered<T: alloy::sol_types::SolStruct>(
    message: &T,
    tributary: &Tributary,
    signature: &Signature,
    creator: Address,
) -> Option<Address> {
    signing::recover_signer(message, &tributary.domain(), signature)
        .ok()
        .filter(|signer| *signer == creator)
}

async fn load_manifest(
    args: &verify::Args,
    home: &Home,
    anchored: Sha256Digest,
    uri: &str,
) -> anyhow::Result<Manifest> {
    if let Some(path) = &args.manifest {
        return verify::read_manifest(path);
    }
    let store = home.store().await?;
    publication::load_manifest(store.as_ref(), anchored, cid_of_uri(uri)?)
        .await
        .with_context(|| {
            format!("cannot load manifest {anchored} from the blob store: pass --manifest FILE")
        })
}

/// For each token the current split was paid in: received = sum of `PaymentReceived`, and
/// released ≤ received.
async fn payment_checks(
    tributary: &Tributary,
    chain: &Chain,
    terms: &Terms,
) -> anyhow::Result<Vec<Check>> {
    let split_hash = terms.splitHash;
    let received = tributary
        .events::<ITributary::PaymentReceived>(chain.scan, [Some(split_hash), None, None])
        .await?;
    let mut by_token: BTreeMap<Address, U256> = BTreeMap::new();
    for emitted in &received {
        *by_token.entry(emitted.event.token).or_default() += emitted.event.amount;
    }
    let released = tributary
        .events::<ITributary::PaymentReleased>(chain.scan, [None, None, None])
        .await?;
    let mut checks = Vec::new();
    for (token, from_events) in by_token {
        let on_chain = tributary.total_received(split_hash, token).await?;
        let paid_out: U256 = released
            .iter()
            .filter(|e| e.event.splitHash == split_hash && e.event.token == token)
            .map(|e| e.event.amount)
            .sum();
        let name = if token == ETH {
            "ETH".to_owned()
        } else {
            format!("{token:#x}")
        };
        checks.push(Check {
            name: "payments",
            ok: on_chain == from_events && paid_out <= on_chain,
            detail: format!(
                "{name}: received {on_chain} (events sum {from_events}), released {paid_out}"
            ),
        });
    }
    Ok(checks)
}

fn print_text(report: &Report) {
    let anchor = &report.anchor;
    println!(
        "dataset {} by {} ({})",
        report.dataset_id, report.creator, report.status
    );
    println!(
        "  version {} anchored in block {} (unix time {}), transaction {}",
        anchor.version, anchor.block_number, anchor.block_time, anchor.tx_hash
    );
    println!(
        "  manifest sha256 {}  at {}",
        anchor.manifest_sha256, anchor.uri
    );
    println!(
        "  licences issued: {} ({} flagged)",
        report.licences.issued, report.licences.flagged
    );
    for check in &report.checks {
        let mark = if check.ok { "ok      " } else { "MISMATCH" };
        println!("  {mark} {:<14} {}", check.name, check.detail);
    }
    verify::print_differences(&report.differences);
    if report.ok {
        println!("ok: every check passed");
    } else {
        let failed: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name)
            .collect();
        println!("MISMATCH: {}", failed.join(", "));
    }
}
