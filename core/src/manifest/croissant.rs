//! Export to Croissant 1.0 (MLCommons' JSON-LD vocabulary for ML datasets),
//! so catalogues and loaders that read Croissant can list a Tributary dataset.

use serde_json::{Value, json};

use super::{LicenceTerms, Manifest};

/// Croissant 1.0's JSON-LD context, as the specification's examples publish it.
fn context() -> Value {
    json!({
        "@language": "en",
        "@vocab": "https://schema.org/",
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "data": { "@id": "cr:data", "@type": "@json" },
        "dataType": { "@id": "cr:dataType", "@type": "@vocab" },
        "dct": "http://purl.org/dc/terms/",
        "examples": { "@id": "cr:examples", "@type": "@json" },
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "sc": "https://schema.org/",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform"
    })
}

impl Manifest {
    /// This manifest as a Croissant 1.0 `sc:Dataset`.
    ///
    /// Each file becomes a `cr:FileObject` whose `@id` and `contentUrl` are its
    /// relative path, with `contentSize` (`"<n> B"`), `encodingFormat` (media
    /// type), `sha256`, and its CID as `sameAs: ipfs://<cid>`. SPDX licences
    /// become their spdx.org URL, custom terms their URL. Parents become
    /// `isBasedOn` entries. Fields Croissant has no place for (royalty,
    /// consent records, wallet, extensions) are left out: the Tributary
    /// manifest stays the source of truth.
    pub fn to_croissant(&self) -> Value {
        let distribution: Vec<Value> = self
            .files
            .iter()
            .map(|file| {
                json!({
                    "@type": "cr:FileObject",
                    "@id": file.path,
                    "name": file.path,
                    "contentUrl": file.path,
                    "contentSize": format!("{} B", file.size),
                    "encodingFormat": file.media_type,
                    "sha256": file.sha256,
                    "sameAs": format!("ipfs://{}", file.cid),
                })
            })
            .collect();

        let license = match &self.licence.terms {
            LicenceTerms::Spdx(id) => format!("https://spdx.org/licenses/{id}.html"),
            LicenceTerms::Custom { url, .. } => url.clone(),
        };

        let mut dataset = json!({
            "@context": context(),
            "@type": "sc:Dataset",
            "conformsTo": "http://mlcommons.org/croissant/1.0",
            "name": self.title,
            "creator": { "@id": self.creator.did, "identifier": self.creator.did },
            "license": license,
            "datePublished": self.created_at,
            "distribution": distribution,
        });
        if let Some(description) = &self.description {
            dataset["description"] = json!(description);
        }
        if !self.parents.is_empty() {
            let parents: Vec<Value> = self
                .parents
                .iter()
                .map(|p| {
                    json!({
                        "@type": "sc:Dataset",
                        "identifier": [p.dataset_id, format!("sha256:{}", p.manifest_sha256)],
                    })
                })
                .collect();
            dataset["isBasedOn"] = json!(parents);
        }
        dataset
    }
}
