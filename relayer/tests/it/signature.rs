//! The verifier against Stripe's own signer (the npm `stripe` package):
//! every header it writes verifies, and every alteration is refused.

use std::time::{SystemTime, UNIX_EPOCH};

use tributary_relayer::stripe::{SignatureError, Verifier, signature};

use crate::stripe_js;

const SECRET: &str = "whsec_5f1c0de0a1b2c3d4e5f60718293a4b5c";

/// A delivery as Stripe formats it: pretty-printed JSON, two-space indent.
const BODY: &str = r#"{
  "id": "evt_1QabcDEFghiJKLmnoPQRstuv",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1700000000,
  "data": {
    "object": {
      "id": "cs_test_a1b2c3",
      "object": "checkout.session",
      "amount_total": 1999,
      "currency": "usd",
      "metadata": {
        "buyer": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
      },
      "payment_intent": "pi_3QabcDEFghiJKLmn0opQRst",
      "payment_status": "paid"
    }
  },
  "livemode": false,
  "type": "checkout.session.completed"
}"#;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

#[test]
fn headers_written_by_stripes_library_verify() {
    let t = now();
    let verifier = Verifier::new(SECRET);
    let header = stripe_js::sign(BODY.as_bytes(), SECRET, t);
    assert_eq!(verifier.verify(Some(&header), BODY.as_bytes()), Ok(t));
    // The same header as the relayer's own signer writes (used by tools).
    assert_eq!(header, signature::sign(SECRET, t, BODY.as_bytes()));
}

#[test]
fn the_rust_signer_agrees_with_stripes_on_many_inputs() {
    let bodies: Vec<Vec<u8>> = vec![
        b"{}".to_vec(),
        BODY.as_bytes().to_vec(),
        "{\"name\":\"caf\u{e9} \u{1f600}\",\"n\":1}"
            .as_bytes()
            .to_vec(),
        format!("{{\"pad\":\"{}\"}}", "x".repeat(100_000)).into_bytes(),
    ];
    let secrets = ["whsec_a", SECRET, "whsec_with spaces and = signs"];
    let mut items = Vec::new();
    for body in &bodies {
        for (i, secret) in secrets.iter().enumerate() {
            items.push((body.as_slice(), *secret, 1_600_000_000 + i as i64));
        }
    }
    let headers = stripe_js::sign_all(&items);
    for ((body, secret, t), header) in items.iter().zip(&headers) {
        assert_eq!(&signature::sign(secret, *t, body), header);
        assert_eq!(
            Verifier::new(secret).verify_at(Some(header), body, *t),
            Ok(*t)
        );
    }
}

#[test]
fn a_forged_signature_is_refused() {
    let t = now();
    let header = stripe_js::sign(BODY.as_bytes(), SECRET, t);
    // One hex digit of the signature changed.
    let (prefix, sig) = header.split_once(",v1=").expect("v1");
    let mut forged_sig = sig.to_owned().into_bytes();
    forged_sig[10] = if forged_sig[10] == b'0' { b'1' } else { b'0' };
    let forged = format!(
        "{prefix},v1={}",
        String::from_utf8(forged_sig).expect("hex")
    );
    let verifier = Verifier::new(SECRET);
    assert_eq!(
        verifier.verify(Some(&forged), BODY.as_bytes()),
        Err(SignatureError::NoMatch)
    );
    // The body changed under a genuine header (the amount raised).
    let tampered = BODY.replace("1999", "9999");
    assert_eq!(
        verifier.verify(Some(&header), tampered.as_bytes()),
        Err(SignatureError::NoMatch)
    );
    // The timestamp changed under a genuine signature (a replay made fresh).
    let replayed = header.replacen(&format!("t={t}"), &format!("t={}", t + 1), 1);
    assert_eq!(
        verifier.verify(Some(&replayed), BODY.as_bytes()),
        Err(SignatureError::NoMatch)
    );
}

#[test]
fn a_signature_made_with_another_secret_is_refused() {
    let t = now();
    let header = stripe_js::sign(BODY.as_bytes(), "whsec_someone_else", t);
    assert_eq!(
        Verifier::new(SECRET).verify(Some(&header), BODY.as_bytes()),
        Err(SignatureError::NoMatch)
    );
}

#[test]
fn a_stale_timestamp_is_refused_and_the_tolerance_is_configurable() {
    let t = now() - 301;
    let header = stripe_js::sign(BODY.as_bytes(), SECRET, t);
    let refused = Verifier::new(SECRET).verify(Some(&header), BODY.as_bytes());
    assert!(
        matches!(refused, Err(SignatureError::TooOld { age_secs, tolerance_secs: 300 }) if age_secs >= 301),
        "{refused:?}"
    );
    let relaxed = Verifier::new(SECRET).with_tolerance(std::time::Duration::from_secs(600));
    assert_eq!(relaxed.verify(Some(&header), BODY.as_bytes()), Ok(t));
}

#[test]
fn a_timestamp_beyond_the_tolerance_in_the_future_is_refused() {
    let t = now() + 400;
    let header = stripe_js::sign(BODY.as_bytes(), SECRET, t);
    let refused = Verifier::new(SECRET).verify(Some(&header), BODY.as_bytes());
    assert!(
        matches!(refused, Err(SignatureError::TooNew { ahead_secs, tolerance_secs: 300 }) if ahead_secs > 300 && ahead_secs <= 400),
        "{refused:?}"
    );
    // Within the tolerance, a clock slightly ahead is fine.
    let t = now() + 30;
    let header = stripe_js::sign(BODY.as_bytes(), SECRET, t);
    assert_eq!(
        Verifier::new(SECRET).verify(Some(&header), BODY.as_bytes()),
        Ok(t)
    );
}

#[test]
fn a_body_reserialized_before_verification_is_refused() {
    let t = now();
    let header = stripe_js::sign(BODY.as_bytes(), SECRET, t);
    let value: serde_json::Value = serde_json::from_str(BODY).expect("json");
    // Same JSON value, other bytes: compact, and pretty with serde's layout.
    let compact = serde_json::to_vec(&value).expect("json");
    let pretty = serde_json::to_vec_pretty(&value).expect("json");
    assert_ne!(
        pretty,
        BODY.as_bytes(),
        "serde's layout differs from Stripe's"
    );
    let verifier = Verifier::new(SECRET);
    for body in [compact, pretty, format!("{BODY}\n").into_bytes()] {
        assert_eq!(
            verifier.verify(Some(&header), &body),
            Err(SignatureError::NoMatch)
        );
    }
}

#[test]
fn any_matching_v1_among_several_is_enough_and_v0_is_ignored() {
    let t = now();
    let genuine = stripe_js::sign(BODY.as_bytes(), SECRET, t);
    let genuine_v1 = genuine.split_once(",v1=").expect("v1").1;
    let other_v1 = stripe_js::sign(BODY.as_bytes(), "whsec_old_secret", t);
    let other_v1 = other_v1.split_once(",v1=").expect("v1").1;
    let verifier = Verifier::new(SECRET);
    for header in [
        // A rolled secret: one signature per active secret, ours second.
        format!("t={t},v1={other_v1},v1={genuine_v1}"),
        format!("t={t},v1={genuine_v1},v1={other_v1}"),
        format!("v0={other_v1},t={t},v1=nothex,v1={genuine_v1}"),
        format!("t={t}, v1={genuine_v1}"),
    ] {
        assert_eq!(
            verifier.verify(Some(&header), BODY.as_bytes()),
            Ok(t),
            "{header}"
        );
    }
    // Only v0 matching, or only wrong v1s: refused.
    for header in [
        format!("t={t},v0={genuine_v1},v1={other_v1}"),
        format!("t={t},v1={other_v1},v1={other_v1}"),
    ] {
        assert_eq!(
            verifier.verify(Some(&header), BODY.as_bytes()),
            Err(SignatureError::NoMatch),
            "{header}"
        );
    }
}

#[test]
fn malformed_headers_are_refused() {
    let t = now();
    let genuine = stripe_js::sign(BODY.as_bytes(), SECRET, t);
    let v1 = genuine.split_once(",v1=").expect("v1").1.to_owned();
    let verifier = Verifier::new(SECRET);
    for header in [
        String::new(),
        "nonsense".to_owned(),
        format!("v1={v1}"),
        format!("t={t}"),
        format!("t=,v1={v1}"),
        format!("t=1e9,v1={v1}"),
        format!("t={t};v1={v1}"),
        format!("t={t},t={t},v1={v1}"),
        format!("t={t},v1={v1},{}", "x".repeat(5000)),
    ] {
        let refused = verifier.verify(Some(&header), BODY.as_bytes());
        assert!(
            matches!(refused, Err(SignatureError::Malformed(_))),
            "{header:.60}: {refused:?}"
        );
    }
    assert_eq!(
        verifier.verify(None, BODY.as_bytes()),
        Err(SignatureError::MissingHeader)
    );
}
