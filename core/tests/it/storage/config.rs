//! Choosing a backend from configuration.

use tributary_core::storage::{DEFAULT_KUBO_URL, ImportSettings, StoreConfig};

use super::pattern;

#[tokio::test]
async fn local_backend_opens_from_configuration() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config: StoreConfig = serde_json::from_value(serde_json::json!({
        "backend": "local",
        "root": dir.path().join("blobs"),
    }))
    .expect("config");
    let store = config.open().await.expect("open");
    let data = pattern(40, 10_000);
    let stored = store.put(&mut &data[..]).await.expect("put");
    let mut back = Vec::new();
    store.get(&stored.blob, &mut back).await.expect("get");
    assert_eq!(back, data);
    assert!(store.to_string().starts_with("local store"), "{store}");
}

#[tokio::test]
async fn kubo_and_s3_backends_parse_with_defaults() {
    let kubo: StoreConfig =
        serde_json::from_value(serde_json::json!({ "backend": "kubo" })).expect("kubo");
    match &kubo {
        StoreConfig::Kubo(config) => {
            assert_eq!(config.url, DEFAULT_KUBO_URL);
            assert!(!config.offline);
            assert_eq!(config.import, ImportSettings::CID_V1);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        kubo.open()
            .await
            .expect("no request yet")
            .to_string()
            .contains("127.0.0.1:5001")
    );

    let v0: StoreConfig = serde_json::from_value(serde_json::json!({
        "backend": "kubo",
        "url": "http://10.0.0.2:5001",
        "import": { "cid-version": 0, "raw-leaves": false, "chunk-size": 262144 },
    }))
    .expect("kubo v0");
    assert!(matches!(&v0, StoreConfig::Kubo(c) if c.import == ImportSettings::CID_V0));

    let s3: StoreConfig = serde_json::from_value(serde_json::json!({
        "backend": "s3",
        "bucket": "datasets",
        "region": "eu-west-1",
    }))
    .expect("s3");
    assert!(
        s3.open()
            .await
            .expect("built offline")
            .to_string()
            .contains("datasets")
    );

    assert!(
        serde_json::from_value::<StoreConfig>(serde_json::json!({ "backend": "ftp" })).is_err()
    );
    assert!(matches!(StoreConfig::default(), StoreConfig::Local { .. }));
}
