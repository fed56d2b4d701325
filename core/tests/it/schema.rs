//! `docs/manifest.schema.json`: a valid draft 2020-12 schema that accepts
//! every vector, rejects what the validator rejects where a schema can say
//! so, and names exactly the fields the Rust types have.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use tributary_core::manifest::{
    Creator, FileEntry, Licence, LicenceTerms, Manifest, Parent, SCHEMA_VERSION,
};

use crate::{
    manifest_vectors::{vector_json, vectors},
    support::repo_root,
};

fn schema() -> Value {
    let path = repo_root().join("docs/manifest.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read schema"))
        .expect("schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("schema compiles")
}

#[test]
fn schema_is_valid_draft_2020_12() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::meta::validate(&schema).expect("schema conforms to the 2020-12 meta-schema");
}

#[test]
fn every_vector_validates() {
    let validator = validator();
    for (path, vector) in vectors() {
        let manifest: Value = serde_json::from_str(vector.manifest.get()).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&manifest)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

/// Turns a valid manifest into one that breaks a rule.
type Breakage = fn(&mut Value);

#[test]
fn schema_rejects_what_it_can_express() {
    let validator = validator();
    let valid = vector_json("minimal.json");
    let breakages: [(&str, Breakage); 9] = [
        ("absolute path", |m| {
            m["files"][0]["path"] = json!("/etc/passwd")
        }),
        ("dot-dot path", |m| m["files"][0]["path"] = json!("a/../b")),
        ("upper-case hex", |m| {
            m["files"][0]["sha256"] = json!("A".repeat(64))
        }),
        ("royalty above 100 %", |m| {
            m["licence"]["royalty_bps"] = json!(10_001)
        }),
        ("unknown field", |m| m["colour"] = json!("blue")),
        ("short wallet", |m| m["creator"]["wallet"] = json!("0x1234")),
        ("no files", |m| m["files"] = json!([])),
        ("not a date", |m| m["created_at"] = json!("yesterday")),
        ("size beyond 2^53", |m| {
            m["files"][0]["size"] = json!(9_007_199_254_740_992_u64)
        }),
    ];
    for (what, breakage) in breakages {
        let mut broken = valid.clone();
        breakage(&mut broken);
        assert!(
            !validator.is_valid(&broken),
            "schema accepted a manifest with {what}"
        );
        let parsed = serde_json::to_string(&broken).expect("JSON");
        assert!(
            Manifest::from_json(&parsed).is_err(),
            "tributary-core accepted {what}"
        );
    }
}

/// A manifest with every optional field present and each licence variant.
fn full_manifests() -> Vec<Value> {
    let file = FileEntry {
        path: "a.txt".into(),
        size: 1,
        sha256: "0".repeat(64),
        cid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku".into(),
        media_type: "text/plain".into(),
    };
    let manifest = |terms| Manifest {
        schema_version: SCHEMA_VERSION,
        title: "t".into(),
        description: Some("d".into()),
        creator: Creator {
            did: "did:web:x".into(),
            wallet: format!("0x{}", "0".repeat(40)),
        },
        licence: Licence {
            terms,
            royalty_bps: 1,
        },
        files: vec![file.clone()],
        consent_records: vec!["0".repeat(64)],
        parents: vec![Parent {
            dataset_id: format!("0x{}", "0".repeat(64)),
            manifest_sha256: "0".repeat(64),
        }],
        created_at: "2025-01-01T00:00:00Z".into(),
        extensions: Map::from_iter([("k".to_owned(), json!(1))]),
    };
    [
        LicenceTerms::Spdx("MIT".into()),
        LicenceTerms::Custom {
            sha256: "0".repeat(64),
            url: "https://x.example/terms".into(),
        },
    ]
    .into_iter()
    .map(|terms| serde_json::to_value(manifest(terms)).expect("serialize"))
    .collect()
}

/// Resolves `{"$ref": "#/$defs/name"}` against the root schema.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("local reference");
            root.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling {reference}"))
        }
        None => schema,
    }
}

/// Checks that wherever `instance` has an object, the schema at that point
/// declares exactly its keys (the instance has every optional field set).
fn same_fields(root: &Value, schema: &Value, instance: &Value, at: &str) {
    let schema = resolve(root, schema);
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        let matching: Vec<&Value> = alternatives
            .iter()
            .filter(|alt| {
                let declared = alt["properties"]
                    .as_object()
                    .map(|p| p.keys().collect::<BTreeSet<_>>());
                let present = instance
                    .as_object()
                    .map(|o| o.keys().collect::<BTreeSet<_>>());
                declared.is_some() && declared == present
            })
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "{at}: no oneOf alternative has exactly the fields of {instance}"
        );
        return same_fields(root, matching[0], instance, at);
    }
    match instance {
        Value::Object(fields) if schema.get("properties").is_some() => {
            let declared: BTreeSet<&String> = schema["properties"]
                .as_object()
                .expect("properties object")
                .keys()
                .collect();
            let present: BTreeSet<&String> = fields.keys().collect();
            assert_eq!(
                declared, present,
                "{at}: schema and Rust type name different fields"
            );
            for (key, value) in fields {
                same_fields(
                    root,
                    &schema["properties"][key],
                    value,
                    &format!("{at}.{key}"),
                );
            }
        }
        Value::Array(items) if schema.get("items").is_some() => {
            for item in items {
                same_fields(root, &schema["items"], item, &format!("{at}[]"));
            }
        }
        _ => {}
    }
}

#[test]
fn schema_names_every_field_of_the_rust_types() {
    let root = schema();
    let validator = validator();
    for manifest in full_manifests() {
        same_fields(&root, &root, &manifest, "manifest");
        assert!(validator.is_valid(&manifest), "schema rejects {manifest}");
    }
}
