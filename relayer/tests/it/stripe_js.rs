//! Stripe's own signer: the npm `stripe` package's
//! `webhooks.generateTestHeaderString`, run by `node` through
//! `relayer/tests/sign.cjs`. A missing node or package fails the test.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use serde_json::json;
use tributary_testkit::repo_root;

/// `Stripe-Signature` headers for each `(payload, secret, timestamp)`, as
/// Stripe's library writes them (one node run for all).
pub(crate) fn sign_all(items: &[(&[u8], &str, i64)]) -> Vec<String> {
    let root = repo_root();
    assert!(
        root.join("node_modules/stripe/package.json").exists(),
        "the npm package `stripe` is missing: run scripts/install.sh (npm ci)"
    );
    let input = serde_json::to_vec(
        &items
            .iter()
            .map(|(payload, secret, timestamp)| {
                let payload = std::str::from_utf8(payload).expect("payloads are UTF-8 JSON");
                json!({ "payload": payload, "secret": secret, "timestamp": timestamp })
            })
            .collect::<Vec<_>>(),
    )
    .expect("serialize");
    let mut child = Command::new("node")
        .arg(root.join("relayer/tests/sign.cjs"))
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| panic!("node is needed (Node.js 20+) to sign fixtures: {error}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write to node");
    let output = child.wait_with_output().expect("node");
    assert!(
        output.status.success(),
        "sign.cjs failed: {:?}",
        output.status
    );
    let headers: Vec<String> = serde_json::from_slice(&output.stdout).expect("sign.cjs output");
    assert_eq!(headers.len(), items.len());
    headers
}

/// One header.
pub(crate) fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    sign_all(&[(payload, secret, timestamp)]).remove(0)
}
