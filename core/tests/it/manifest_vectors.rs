//! The shared manifest vectors in `test/vectors/manifest/`: each holds a
//! manifest as written, its RFC 8785 canonical form and that form's SHA-256,
//! the last two produced by an independent JCS implementation (`fill.py`).

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::value::RawValue;
use tributary_core::{hash::Sha256Digest, manifest::Manifest};

use crate::support::repo_root;

#[derive(Deserialize)]
pub(crate) struct Vector {
    pub(crate) manifest: Box<RawValue>,
    pub(crate) canonical: String,
    pub(crate) sha256: String,
}

/// Every vector file, sorted by name so failures are reproducible.
pub(crate) fn vectors() -> Vec<(PathBuf, Vector)> {
    let dir = repo_root().join("test/vectors/manifest");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read test/vectors/manifest")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 3,
        "expected the manifest vectors in {}",
        dir.display()
    );
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read vector");
            let vector =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, vector)
        })
        .collect()
}

/// The manifest of the vector file `name`, as JSON.
pub(crate) fn vector_json(name: &str) -> serde_json::Value {
    let (_, vector) = vectors()
        .into_iter()
        .find(|(path, _)| path.ends_with(name))
        .unwrap_or_else(|| panic!("no vector {name}"));
    serde_json::from_str(vector.manifest.get()).expect("vector manifest is JSON")
}

#[test]
fn every_vector_parses_canonicalizes_and_hashes_as_recorded() {
    for (path, vector) in vectors() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let manifest =
            Manifest::from_json(vector.manifest.get()).unwrap_or_else(|e| panic!("{name}: {e}"));

        let canonical = manifest.canonical_json().expect("canonical form");
        assert_eq!(canonical, vector.canonical, "{name}: canonical form");
        let hash = manifest.manifest_hash().expect("hash");
        assert_eq!(hash.to_string(), vector.sha256, "{name}: manifest hash");
        assert_eq!(
            Sha256Digest::of(vector.canonical.as_bytes()).to_string(),
            vector.sha256,
            "{name}: the vector's own hash and canonical form disagree"
        );

        // Parsing loses nothing: canonicalizing the document as raw JSON gives
        // the same bytes as canonicalizing the parsed manifest.
        let raw = serde_json_canonicalizer::pipe(vector.manifest.get()).expect("raw JCS");
        assert_eq!(raw, canonical, "{name}: parsing changed the document");

        // And the canonical form is a fixed point.
        let again = Manifest::from_json(&canonical).expect("canonical form parses");
        let again = again.canonical_json().expect("canonical form");
        assert_eq!(
            again, canonical,
            "{name}: canonical form is not a fixed point"
        );
    }
}

/// The vectors must keep exercising what makes JCS hard, not only ASCII.
#[test]
fn vectors_cover_unicode_and_number_normalization() {
    let canonicals: Vec<String> = vectors().into_iter().map(|(_, v)| v.canonical).collect();
    let any = |needle: &str| canonicals.iter().any(|c| c.contains(needle));
    assert!(
        canonicals.iter().any(|c| !c.is_ascii()),
        "no vector has non-ASCII text"
    );
    assert!(
        any("1e+30") && any("1e-27") && any("333333333.3333333"),
        "no RFC 8785 number case"
    );
    assert!(any("\\u000f"), "no control character escape");
    // UTF-16 order puts the surrogate pair of U+1F600 before U+FB33.
    assert!(
        any("\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{FB33}\""),
        "no UTF-16 key-order case"
    );
}
