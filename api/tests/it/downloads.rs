//! Licence-gated downloads through the `tributary-api` binary, as separate processes against
//! anvil and PostgreSQL: a creator seals a version into the server's blob store and hands the
//! server its data key after signing in with their wallet (EIP-4361); a buyer signed in the same
//! way downloads the decrypted files only while the chain says they hold a licence, and not
//! after the creator takes the key back.

use std::num::NonZeroUsize;

use alloy::{primitives::Address, signers::SignerSync};
use serde_json::{Value, json};
use tributary_core::{
    chain::{Offer, OfferKind, Split},
    crypto::{KekStore, KeyId, WrappedKey},
    hash::NO_PROGRESS,
    manifest::{Manifest, scan_folder},
    publication,
    signing::Key,
    storage::LocalStore,
};
use tributary_testkit::{Anvil, TestDatabase, account};

use crate::support::{ApiProcess, manifest_of, wait_mirrored};

const DOMAIN: &str = "data.tributary.test";

/// An EIP-4361 message for `key` with `nonce`, issued now, valid for an hour.
fn siwe_message(key: &Key, nonce: &str, chain_id: u64) -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("whole seconds");
    let rfc3339 = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("RFC 3339")
    };
    format!(
        "{DOMAIN} wants you to sign in with your Ethereum account:\n{}\n\nDownload licensed datasets.\n\n\
         URI: https://{DOMAIN}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\nIssued At: {}\n\
         Expiration Time: {}",
        key.address().to_checksum(None),
        rfc3339(now),
        rfc3339(now + time::Duration::hours(1)),
    )
}

/// Signs in as `key`: the session token.
async fn sign_in(http: &reqwest::Client, api: &str, key: &Key) -> String {
    let nonce: Value = http
        .post(format!("{api}/auth/nonce"))
        .send()
        .await
        .expect("nonce")
        .json()
        .await
        .expect("JSON");
    assert_eq!(nonce["domain"], DOMAIN);
    let message = siwe_message(key, nonce["nonce"].as_str().expect("nonce"), 31337);
    let signature = key
        .signer()
        .sign_message_sync(message.as_bytes())
        .expect("personal_sign");
    let login =
        json!({"message": message, "signature": alloy::hex::encode_prefixed(signature.as_bytes())});
    let answer = http
        .post(format!("{api}/auth/login"))
        .json(&login)
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status(), 200);
    let session: Value = answer.json().await.expect("JSON");
    assert_eq!(session["account"], key.address().to_checksum(None));
    // The same signed message again: its nonce is spent.
    let replay = http
        .post(format!("{api}/auth/login"))
        .json(&login)
        .send()
        .await
        .expect("login");
    assert_eq!(replay.status(), 401, "a replayed sign-in is refused");
    session["token"].as_str().expect("token").to_owned()
}

async fn get_file(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
) -> (u16, Vec<u8>, Option<String>) {
    let mut request = http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.expect("GET");
    let status = answer.status().as_u16();
    let sha = answer
        .headers()
        .get("x-tributary-sha256")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (status, answer.bytes().await.expect("body").to_vec(), sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn licensed_buyers_download_decrypted_files_until_the_creator_revokes() {
    let anvil = Anvil::start();
    let tributary = anvil.deploy(account(9).address(), 0).await;
    let database = TestDatabase::create().await;
    let store_dir = tempfile::tempdir().expect("store");
    let keys_dir = tempfile::tempdir().expect("server keys");
    let creator_dir = tempfile::tempdir().expect("creator");

    // The creator seals a version (two files, one of several 64 KiB chunks) into the blob
    // store the server reads, under their own key, and registers it.
    let creator_key = account(1);
    let data = creator_dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::write(data.join("labels.csv"), "file,label\na.png,cat\n").expect("write");
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(data.join("pixels.bin"), &big).expect("write");
    let manifest_json = manifest_of(creator_key.address());
    let mut manifest = Manifest::from_json(&manifest_json.to_string()).expect("manifest");
    manifest.files = scan_folder(&data, NonZeroUsize::MIN, NO_PROGRESS).expect("scan");
    let store = LocalStore::open(store_dir.path()).await.expect("store");
    let creator_keys = KekStore::open(creator_dir.path().join("keys")).expect("kek store");
    let creator_key_id = KeyId::new("creator").expect("key id");
    creator_keys.create(&creator_key_id).expect("creator KEK");
    let sealed = publication::seal(
        &manifest,
        &data,
        &store,
        &creator_keys,
        &creator_key_id,
        NO_PROGRESS,
    )
    .await
    .expect("seal");
    let data_key = creator_keys
        .unwrap(
            &WrappedKey::from_bytes(
                &alloy::hex::decode(&sealed.envelope.wrapped_key).expect("hex"),
            )
            .expect("wrapped"),
        )
        .expect("unwrap");
    let creator = tributary.with_client(&anvil.client(1).await);
    let split = Split::from_shares([(creator_key.address(), 1)]);
    let offer = Offer {
        kind: OfferKind::OneOff.into(),
        paymentToken: Address::ZERO,
        price: 1_000,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: [7; 32].into(),
    };
    let manifest_hash = manifest.manifest_hash().expect("hash");
    let dataset_id = creator
        .register(
            (*manifest_hash.as_bytes()).into(),
            &format!("ipfs://{}", sealed.envelope.manifest_cid),
            &split,
            std::slice::from_ref(&offer),
        )
        .await
        .expect("register")
        .value;

    let store_path = store_dir.path().display().to_string();
    let keys_path = keys_dir.path().display().to_string();
    let api = ApiProcess::spawn(
        database.url(),
        anvil.url(),
        tributary.address(),
        &[
            "--manifest-store",
            &store_path,
            "--access-keys",
            &keys_path,
            "--siwe-domain",
            DOMAIN,
        ],
    );
    let http = reqwest::Client::new();
    let file_url = |path: &str| format!("{}/datasets/{dataset_id}/files/{path}", api.url);
    let access_url = format!("{}/datasets/{dataset_id}/versions/1/access", api.url);
    wait_mirrored(&http, &api.url, dataset_id).await;

    // No session: 401. A buyer signed in but unlicensed: 403.
    assert_eq!(get_file(&http, file_url("pixels.bin"), None).await.0, 401);
    let buyer_key = account(2);
    let buyer_token = sign_in(&http, &api.url, &buyer_key).await;
    assert_eq!(
        get_file(&http, file_url("pixels.bin"), Some(&buyer_token))
            .await
            .0,
        403
    );

    // Only the creator hands over the key, and only a key that opens the files.
    let grant = json!({
        "envelope_cid": sealed.envelope_blob.blob.cid.to_string(),
        "envelope_sha256": sealed.envelope_blob.blob.sha256.to_string(),
        "data_key": alloy::hex::encode(data_key.expose_secret()),
    });
    let answer = http
        .put(&access_url)
        .bearer_auth(&buyer_token)
        .json(&grant)
        .send()
        .await
        .expect("PUT");
    assert_eq!(answer.status(), 403, "a buyer cannot grant access");
    let creator_token = sign_in(&http, &api.url, &creator_key).await;
    let mut wrong = grant.clone();
    wrong["data_key"] = json!("ab".repeat(32));
    let answer = http
        .put(&access_url)
        .bearer_auth(&creator_token)
        .json(&wrong)
        .send()
        .await
        .expect("PUT");
    assert_eq!(
        answer.status(),
        400,
        "a key that does not open the files is refused"
    );
    let answer = http
        .put(&access_url)
        .bearer_auth(&creator_token)
        .json(&grant)
        .send()
        .await
        .expect("PUT");
    assert_eq!(answer.status(), 200);
    let granted: Value = answer.json().await.expect("JSON");
    assert_eq!(granted["files"], json!(["labels.csv", "pixels.bin"]));

    // The list is public; the files are not.
    let list: Value = http
        .get(format!("{}/datasets/{dataset_id}/files", api.url))
        .send()
        .await
        .expect("GET files")
        .json()
        .await
        .expect("JSON");
    assert_eq!(list["version"], 1);
    assert_eq!(list["files"][1]["path"], "pixels.bin");
    assert_eq!(list["files"][1]["size"], 200_000);

    // Still unlicensed: 403. Licensed: the files, decrypted and checked.
    assert_eq!(
        get_file(&http, file_url("pixels.bin"), Some(&buyer_token))
            .await
            .0,
        403
    );
    let buyer = tributary.with_client(&anvil.client(2).await);
    let terms = tributary_core::chain::Terms::new(&split, vec![offer]);
    buyer
        .purchase(dataset_id, &terms, 0, buyer_key.address())
        .await
        .expect("purchase");
    let (status, bytes, sha) = get_file(&http, file_url("pixels.bin"), Some(&buyer_token)).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, big, "the decrypted file is the creator's file");
    assert_eq!(sha.as_deref(), Some(manifest.files[1].sha256.as_str()));
    let (status, bytes, _) = get_file(
        &http,
        format!("{}?version=1", file_url("labels.csv")),
        Some(&buyer_token),
    )
    .await;
    assert_eq!(
        (status, bytes.as_slice()),
        (200, b"file,label\na.png,cat\n".as_slice())
    );
    assert_eq!(
        get_file(&http, file_url("missing.txt"), Some(&buyer_token))
            .await
            .0,
        404
    );
    assert_eq!(
        get_file(&http, file_url("labels.csv"), Some("not-a-session"))
            .await
            .0,
        401
    );

    // The creator takes the key back: downloads stop.
    let answer = http
        .delete(&access_url)
        .bearer_auth(&creator_token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(answer.status(), 204);
    assert_eq!(
        get_file(&http, file_url("pixels.bin"), Some(&buyer_token))
            .await
            .0,
        404
    );
}
