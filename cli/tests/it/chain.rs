//! The chain commands end to end: anvil, the deployed suite, and every step as a separate
//! `tributary` process: publish → buy → licences → fetch → claim → verify, then tampering that
//! `verify` must catch.

use std::{fs, path::Path};

use alloy::primitives::{Address, B256, U256};
use serde_json::Value;
use tributary_core::chain::{Offer, OfferKind, Split};
use tributary_testkit::{Anvil, account, deploy_token, mint};

use crate::support::{User, dataset, stderr, stdout};

const CREATOR: u32 = 1;
const CONTRIBUTOR: u32 = 2;
const BUYER: u32 = 3;
const TREASURY: u32 = 4;
const ATTACKER: u32 = 5;
/// 2.5 % protocol fee.
const FEE_BPS: u16 = 250;

struct World {
    anvil: Anvil,
    contract: Address,
    store: tempfile::TempDir,
}

impl World {
    async fn start() -> Self {
        let anvil = Anvil::start();
        let suite = anvil.deploy(account(TREASURY).address(), FEE_BPS).await;
        Self {
            contract: suite.address(),
            anvil,
            store: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn user(&self, account: u32) -> User {
        User::init(
            account,
            self.anvil.url(),
            &format!("{:#x}", self.contract),
            self.store.path(),
        )
    }
}

fn address(index: u32) -> String {
    format!("{:#x}", account(index).address())
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report}"))
}

/// Publishes `dir/dataset` as the creator with a 7:3 split and a 0.01 ETH perpetual offer.
fn publish(creator: &User, dir: &Path) -> Value {
    let folder = dir.join("dataset");
    creator.json(&[
        "publish",
        folder.to_str().expect("utf-8"),
        "--title",
        "Pets",
        "--price",
        "0.01",
        "--payee",
        &format!("{}=7", address(CREATOR)),
        "--payee",
        &format!("{}=3", address(CONTRIBUTOR)),
        "--manifest-out",
        dir.join("published.json").to_str().expect("utf-8"),
    ])
}

#[tokio::test]
async fn publish_buy_fetch_claim_and_verify_as_separate_processes() {
    let world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let creator = world.user(CREATOR);
    let contributor = world.user(CONTRIBUTOR);
    let buyer = world.user(BUYER);
    let auditor = world.user(ATTACKER);

    // publish: hashed, encrypted, stored, signed, anchored
    let published = publish(&creator, dir.path());
    assert_eq!(published["dataset_id"], "1");
    assert_eq!(published["version"], 1);
    assert_eq!(published["files"], 3);
    assert_eq!(published["creator"], address(CREATOR));
    // the store holds ciphertext only: no stored blob equals a plaintext file
    let labels = fs::read(dir.path().join("dataset/labels.csv")).expect("read");
    for blob in walk(world.store.path()) {
        assert_ne!(
            fs::read(&blob).expect("read blob"),
            labels,
            "plaintext in the store"
        );
    }

    // buy and list
    let bought = buyer.json(&["buy", "1"]);
    assert_eq!(bought["holder"], address(BUYER));
    assert_eq!(bought["price"], "10000000000000000");
    let token_id = bought["token_id"].as_str().expect("token id").to_owned();
    let held = buyer.json(&["licences"]);
    let licences = held["licences"].as_array().expect("licences");
    assert_eq!(licences.len(), 1);
    assert_eq!(licences[0]["token_id"], token_id.as_str());
    assert_eq!(licences[0]["dataset_id"], "1");
    assert_eq!(licences[0]["valid"], true);
    assert!(
        creator.json(&["licences"])["licences"]
            .as_array()
            .expect("list")
            .is_empty()
    );

    // fetch: the creator's own key opens what was stored, byte for byte
    let copy = dir.path().join("copy");
    let fetched = creator.json(&["fetch", "1", "--out", copy.to_str().expect("utf-8")]);
    assert_eq!(fetched["files"], 3);
    for file in ["labels.csv", "README.md", "images/cat.bin"] {
        assert_eq!(
            fs::read(copy.join(file)).expect("fetched file"),
            fs::read(dir.path().join("dataset").join(file)).expect("original"),
            "{file}"
        );
    }
    // someone else has no key to open it
    let refused = buyer.run(&["fetch", "1", "--out", copy.to_str().expect("utf-8")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("only its creator"),
        "{}",
        stderr(&refused)
    );

    // claim: 0.01 ETH less 2.5 % fee = 9.75e15 wei, split 7:3
    let dry = creator.json(&["claim", "--dry-run"]);
    assert_eq!(dry["claims"][0]["amount"], "6825000000000000");
    assert!(dry["claims"][0]["tx_hash"].is_null());
    let claimed = creator.json(&["claim"]);
    assert_eq!(claimed["claims"][0]["amount"], "6825000000000000");
    assert!(claimed["claims"][0]["tx_hash"].is_string());
    assert_eq!(
        contributor.json(&["claim"])["claims"][0]["amount"],
        "2925000000000000"
    );
    assert!(
        creator.json(&["claim"])["claims"]
            .as_array()
            .expect("claims")
            .is_empty()
    );

    // verify: an auditor with nothing but the chain and the store
    let folder = dir.path().join("dataset");
    let report = auditor.json(&["verify", "1", folder.to_str().expect("utf-8")]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["creator"], address(CREATOR));
    assert_eq!(report["anchor"]["signer"], address(CREATOR));
    assert_eq!(report["anchor"]["version"], 1);
    assert_eq!(
        report["anchor"]["manifest_sha256"],
        published["manifest_sha256"]
    );
    assert_eq!(report["licences"]["issued"], 1);
    for name in ["signer", "manifest_hash", "creator", "files", "payments"] {
        assert_eq!(check(&report, name)["ok"], true, "{name}: {report}");
    }
    let text = auditor.run(&["verify", "1", folder.to_str().expect("utf-8")]);
    assert!(
        stdout(&text).contains("ok: every check passed"),
        "{}",
        stdout(&text)
    );

    // a new version, then verify it and the old one
    fs::write(folder.join("labels.csv"), "id,label\n1,cat\n2,dog\n3,owl\n").expect("write");
    let v2 = creator.json(&["version", "1", folder.to_str().expect("utf-8")]);
    assert_eq!(v2["version"], 2);
    assert_eq!(
        auditor.json(&["verify", "1", folder.to_str().expect("utf-8")])["ok"],
        true
    );
    let old = auditor.run(&[
        "verify",
        "1",
        folder.to_str().expect("utf-8"),
        "--version",
        "1",
    ]);
    assert_eq!(old.status.code(), Some(1), "the folder is version 2 now");
}

#[tokio::test]
async fn verify_catches_a_changed_byte_a_changed_manifest_and_a_foreign_registration() {
    let world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let creator = world.user(CREATOR);
    let auditor = world.user(BUYER);
    let published = publish(&creator, dir.path());
    let folder = dir.path().join("dataset");
    let folder_arg = folder.to_str().expect("utf-8");

    // one changed byte in one file
    let path = folder.join("images/cat.bin");
    let mut bytes = fs::read(&path).expect("read");
    bytes[123_456] ^= 1;
    fs::write(&path, &bytes).expect("write");
    let output = auditor.run(&["verify", "1", folder_arg, "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(check(&report, "files")["ok"], false);
    assert_eq!(report["differences"][0]["path"], "images/cat.bin");
    assert_eq!(report["differences"][0]["field"], "sha256");
    assert_eq!(check(&report, "signer")["ok"], true);
    bytes[123_456] ^= 1;
    fs::write(&path, &bytes).expect("restore");

    // a manifest with one field changed no longer hashes to the anchor
    let mut manifest: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("published.json")).expect("read"))
            .expect("JSON");
    manifest["title"] = Value::from("Pets (edited)");
    let tampered = dir.path().join("tampered.json");
    fs::write(&tampered, manifest.to_string()).expect("write");
    let output = auditor.run(&[
        "verify",
        "1",
        "--manifest",
        tampered.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(check(&report, "manifest_hash")["ok"], false);
    assert_eq!(check(&report, "creator")["ok"], true);

    // someone else registers the creator's manifest as their own dataset: the manifest names
    // the creator, the chain names the attacker
    let attacker = world.anvil.client(ATTACKER).await;
    let suite = attacker.tributary(world.contract);
    let manifest_hash: B256 = published["manifest_sha256"]
        .as_str()
        .expect("hash")
        .parse()
        .expect("hex");
    let offers = vec![Offer {
        kind: OfferKind::OneOff.into(),
        paymentToken: Address::ZERO,
        price: 1,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: B256::ZERO,
    }];
    let split = Split::from_shares([(account(ATTACKER).address(), 1)]);
    let uri = format!(
        "ipfs://{}",
        published["manifest_cid"].as_str().expect("cid")
    );
    let stolen = suite
        .register(manifest_hash, &uri, &split, &offers)
        .await
        .expect("the contract lets anyone anchor a hash")
        .value;
    assert_eq!(stolen, U256::from(2));
    let output = auditor.run(&["verify", "2", folder_arg, "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(check(&report, "creator")["ok"], false, "{report}");
    assert_eq!(check(&report, "manifest_hash")["ok"], true);
    assert_eq!(check(&report, "files")["ok"], true);
    let text = auditor.run(&["verify", "2", folder_arg]);
    assert!(
        stdout(&text).contains("MISMATCH: creator"),
        "{}",
        stdout(&text)
    );
}

#[tokio::test]
async fn offers_and_splits_change_what_buyers_pay_and_who_is_paid() {
    let world = World::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let creator = world.user(CREATOR);
    let contributor = world.user(CONTRIBUTOR);
    let buyer = world.user(BUYER);
    publish(&creator, dir.path());

    let added = creator.json(&[
        "offer",
        "add",
        "1",
        "--price",
        "0.5",
        "--duration",
        "100",
        "--transferable",
    ]);
    assert_eq!(added["offers"].as_array().expect("offers").len(), 2);
    assert!(added["tx_hash"].is_string());
    let listed = buyer.json(&["offer", "list", "1"]);
    assert_eq!(listed["offers"][1]["price"], "500000000000000000");
    assert_eq!(listed["offers"][1]["duration"], 100);
    assert_eq!(listed["offers"][1]["transferable"], true);
    assert_eq!(listed["payees"].as_array().expect("payees").len(), 2);

    // only the creator changes terms
    let refused = buyer.run(&[
        "split",
        "set",
        "1",
        "--payee",
        &format!("{}=1", address(BUYER)),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("belongs to"),
        "{}",
        stderr(&refused)
    );

    // from now on the creator alone is paid
    let split = creator.json(&[
        "split",
        "set",
        "1",
        "--payee",
        &format!("{}=1", address(CREATOR)),
    ]);
    assert_eq!(split["payees"].as_array().expect("payees").len(), 1);
    let bought = buyer.json(&["buy", "1", "--offer", "1"]);
    assert_eq!(bought["price"], "500000000000000000");
    assert!(
        contributor.json(&["claim"])["claims"]
            .as_array()
            .expect("claims")
            .is_empty()
    );
    // 0.5 ETH less the 2.5 % fee
    assert_eq!(
        creator.json(&["claim"])["claims"][0]["amount"],
        "487500000000000000"
    );

    // withdrawn offers cannot be bought; the last offer cannot be withdrawn
    let removed = creator.json(&["offer", "remove", "1", "0"]);
    assert_eq!(removed["offers"].as_array().expect("offers").len(), 1);
    let gone = buyer.run(&["buy", "1", "--offer", "1"]);
    assert_eq!(gone.status.code(), Some(2), "{}", stderr(&gone));
    let last = creator.run(&["offer", "remove", "1", "0"]);
    assert_eq!(last.status.code(), Some(2));
    assert!(
        stderr(&last).contains("at least one offer"),
        "{}",
        stderr(&last)
    );
}

#[tokio::test]
async fn buying_with_an_erc20_approves_pays_and_is_claimed_in_that_token() {
    let world = World::start().await;
    let admin = world.anvil.client(0).await;
    let token = deploy_token(&admin, "USDC", 6).await;
    admin
        .tributary(world.contract)
        .set_token_allowed(token, true)
        .await
        .expect("allow-list the token");
    mint(
        &admin,
        token,
        account(BUYER).address(),
        U256::from(5_000_000u64),
    )
    .await;

    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    let creator = world.user(CREATOR);
    let buyer = world.user(BUYER);
    let folder = dir.path().join("dataset");
    let token_arg = format!("{token:#x}");
    creator.json(&[
        "publish",
        folder.to_str().expect("utf-8"),
        "--title",
        "Pets",
        "--token",
        &token_arg,
        "--price",
        "2000000",
    ]);
    let bought = buyer.json(&["buy", "1"]);
    assert_eq!(bought["payment_token"], token_arg.as_str());
    assert_eq!(bought["price"], "2000000");
    // 2 USDC less the 2.5 % fee
    let claimed = creator.json(&["claim"]);
    assert_eq!(claimed["claims"][0]["amount"], "1950000");
    assert_eq!(
        claimed["claims"][0]["token"],
        format!("units of {token_arg}")
    );

    // a price that is not a whole number of token units is refused before anything is sent
    let bad = creator.run(&[
        "publish",
        folder.to_str().expect("utf-8"),
        "--title",
        "Pets",
        "--token",
        &token_arg,
        "--price",
        "1.5",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("whole number of token units"),
        "{}",
        stderr(&bad)
    );
}

#[tokio::test]
async fn chain_commands_fail_in_one_line_with_what_to_do() {
    let world = World::start().await;
    let user = world.user(BUYER);

    // a reverted transaction: purchases are paused
    let dir = tempfile::tempdir().expect("tempdir");
    dataset(dir.path());
    publish(&world.user(CREATOR), dir.path());
    let admin = world.anvil.client(0).await;
    let suite = admin.tributary(world.contract);
    let pauser = suite.pauser_role().await.expect("role id");
    suite
        .grant_role(pauser, account(0).address())
        .await
        .expect("grant the pauser role");
    suite.pause().await.expect("pause");
    let paused = user.run(&["buy", "1"]);
    assert_eq!(paused.status.code(), Some(3), "{}", stderr(&paused));
    assert!(
        stderr(&paused).contains("EnforcedPause"),
        "{}",
        stderr(&paused)
    );
    assert_eq!(stderr(&paused).lines().count(), 1, "{}", stderr(&paused));

    // a malformed key in the environment
    let bad_key = std::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("--home")
        .arg(user.home.path())
        .args(["buy", "1"])
        .env("TRIBUTARY_PRIVATE_KEY", "not-a-key")
        .output()
        .expect("runs");
    assert_eq!(bad_key.status.code(), Some(2));
    assert!(
        stderr(&bad_key).contains("TRIBUTARY_PRIVATE_KEY holds no hex private key"),
        "{}",
        stderr(&bad_key)
    );
    assert!(
        !stderr(&bad_key).contains("not-a-key"),
        "the key text is never printed"
    );

    let unknown = user.run(&["buy", "7"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("dataset 7 is not registered"),
        "{}",
        stderr(&unknown)
    );
    assert_eq!(stderr(&unknown).lines().count(), 1, "{}", stderr(&unknown));

    let unconfigured = tempfile::tempdir().expect("tempdir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args([
            "--home",
            unconfigured.path().to_str().expect("utf-8"),
            "licences",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("run `tributary init"),
        "{}",
        stderr(&output)
    );

    // the node goes away
    drop(world);
    let output = user.run(&["licences"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot reach the chain"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
