//! Croissant export.

use serde_json::json;

use crate::manifest_vectors::vector_json;
use tributary_core::manifest::Manifest;

fn vector(name: &str) -> Manifest {
    Manifest::from_json(&vector_json(name).to_string()).expect("valid vector")
}

#[test]
fn files_become_file_objects() {
    let manifest = vector("custom-terms-and-lineage.json");
    let croissant = manifest.to_croissant();
    assert_eq!(croissant["@type"], "sc:Dataset");
    assert_eq!(
        croissant["conformsTo"],
        "http://mlcommons.org/croissant/1.0"
    );
    assert_eq!(
        croissant["@context"]["cr"],
        "http://mlcommons.org/croissant/"
    );
    assert_eq!(croissant["name"], manifest.title);
    assert_eq!(
        croissant["license"],
        "ipfs://bafkreif2hto4wi77obqg65h6bj5abcaukbd2fmzsyipxcq2c6styfordsy"
    );

    let distribution = croissant["distribution"].as_array().expect("distribution");
    assert_eq!(distribution.len(), manifest.files.len());
    let png = &distribution[1];
    assert_eq!(
        *png,
        json!({
            "@type": "cr:FileObject",
            "@id": "images/0001.png",
            "name": "images/0001.png",
            "contentUrl": "images/0001.png",
            "contentSize": "8 B",
            "encodingFormat": "image/png",
            "sha256": "4c4b6a3be1314ab86138bef4314dde022e600960d8689a2c8f8631802d20dab6",
            "sameAs": "ipfs://bafkreicmjnvdxyjrjk4gcof66qyu3xqcfzqasygyncnczd4gggac2ig2wy",
        })
    );
    assert_eq!(croissant["isBasedOn"].as_array().map(Vec::len), Some(2));
}

#[test]
fn spdx_licence_becomes_its_url() {
    let croissant = vector("minimal.json").to_croissant();
    assert_eq!(
        croissant["license"],
        "https://spdx.org/licenses/CC0-1.0.html"
    );
    assert!(croissant.get("description").is_none());
    assert!(croissant.get("isBasedOn").is_none());
}
