//! The contract suite's conformance vectors (`test/vectors/suite/*.json`): scenarios that both
//! builds of the suite must pass byte for byte, the Solidity build under forge
//! (`test/Vectors.t.sol`) and the Stylus build on its native test chain (`stylus/vectors`).
//!
//! Scenarios are written here, in Rust, with the typed bindings of the committed ABI, so that a
//! call or an expectation that does not type-check cannot be written. Every expectation is
//! stated by the scenario's author (a return value, a revert, the suite's events in order, a
//! balance): nothing is recorded from running either build. The generator then writes each call
//! as raw calldata with the raw bytes expected back, which is all a runner needs, beside a
//! readable form decoded from `abi/*.json` (so a function, event or error missing from the ABI
//! fails generation). `cargo run -p tributary-testkit --bin vectors` rewrites the files, and a
//! test fails while the committed files differ from what the scenarios generate.
//!
//! File format and runner rules: `test/vectors/suite/README.md`.

mod abi;
mod actors;
mod fixtures;
mod scenario;

mod credits;
mod licences;
mod registry;
mod splits;

use std::{collections::BTreeSet, fmt::Write as _, path::Path};

pub use actors::{FEE_TOKEN, SUITE, USDC};

/// One group of scenarios (a folder of `test/vectors/suite/`).
pub(crate) struct VectorFile {
    name: &'static str,
    description: &'static str,
    scenarios: Vec<scenario::Scenario>,
}

/// Where the scenario files live, relative to the repository root.
pub const DIRECTORY: &str = "test/vectors/suite";
/// The forge test with one test per scenario, written beside the files.
pub const FORGE_TEST: &str = "test/SuiteVectors.t.sol";

/// Every generated file, `(path relative to the repository root, text)`: one pretty-printed
/// JSON file per scenario (`<group>/<nn>-<slug>.json`), `index.json` listing them by group, and
/// the forge test that runs each.
pub fn render() -> Result<Vec<(String, String)>, String> {
    let abi = abi::Abi::load()?;
    let mut rendered = Vec::new();
    let mut index = serde_json::Map::new();
    let mut forge = String::from(FORGE_HEADER);
    for group in files() {
        let mut paths = Vec::new();
        for (number, scenario) in group.scenarios.into_iter().enumerate() {
            let slug = slug(&scenario.name);
            let relative = format!("{}/{:02}-{slug}.json", group.name, number + 1);
            let json = scenario
                .to_json(&abi)
                .map_err(|error| format!("{relative} ({:?}): {error}", scenario.name))?;
            rendered.push((format!("{DIRECTORY}/{relative}"), pretty(&json)?));
            let _ = write!(
                forge,
                "\n    function test_{}_{:02}_{}() external {{\n        _run(\"{relative}\");\n    }}\n",
                group.name,
                number + 1,
                slug.replace('-', "_"),
            );
            paths.push(relative);
        }
        index.insert(
            group.name.into(),
            serde_json::json!({ "description": group.description, "scenarios": paths }),
        );
    }
    forge.push_str("}\n");
    rendered.push((
        format!("{DIRECTORY}/index.json"),
        pretty(&serde_json::Value::Object(index))?,
    ));
    rendered.push((FORGE_TEST.into(), forge));
    Ok(rendered)
}

/// Generated paths whose committed text differs from what the scenarios generate, and stale
/// scenario files the scenarios no longer generate.
pub fn stale_files(root: &Path) -> Result<Vec<String>, String> {
    let rendered = render()?;
    let mut stale = Vec::new();
    for (path, text) in &rendered {
        if std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.clone());
        }
    }
    let generated: BTreeSet<&str> = rendered.iter().map(|(path, _)| path.as_str()).collect();
    for path in committed_files(root)? {
        if !generated.contains(path.as_str()) {
            stale.push(path);
        }
    }
    Ok(stale)
}

/// Writes every generated file and removes scenario files no longer generated.
pub fn write(root: &Path) -> Result<usize, String> {
    let rendered = render()?;
    let generated: BTreeSet<&str> = rendered.iter().map(|(path, _)| path.as_str()).collect();
    for path in committed_files(root)? {
        if !generated.contains(path.as_str()) {
            std::fs::remove_file(root.join(&path))
                .map_err(|error| format!("removing {path}: {error}"))?;
        }
    }
    for (path, text) in &rendered {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("creating {}: {error}", parent.display()))?;
        }
        std::fs::write(&path, text)
            .map_err(|error| format!("writing {}: {error}", path.display()))?;
    }
    Ok(scenario_count())
}

/// The JSON files under [`DIRECTORY`] (not its README), relative to the repository root.
fn committed_files(root: &Path) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let dir = root.join(DIRECTORY);
    let Ok(groups) = std::fs::read_dir(&dir) else {
        return Ok(found);
    };
    for entry in groups.flatten() {
        let path = entry.path();
        let entries: Vec<_> = if path.is_dir() {
            std::fs::read_dir(&path)
                .map_err(|error| format!("reading {}: {error}", path.display()))?
                .flatten()
                .map(|entry| entry.path())
                .collect()
        } else {
            vec![path]
        };
        for file in entries {
            if file.extension().is_none_or(|extension| extension != "json") {
                continue;
            }
            if let Ok(relative) = file.strip_prefix(root) {
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    Ok(found)
}

/// How many scenarios there are.
pub fn scenario_count() -> usize {
    files().iter().map(|file| file.scenarios.len()).sum()
}

fn files() -> Vec<VectorFile> {
    vec![
        registry::file(),
        licences::file(),
        splits::file(),
        credits::file(),
    ]
}

fn pretty(json: &serde_json::Value) -> Result<String, String> {
    let mut text = serde_json::to_string_pretty(json).map_err(|error| error.to_string())?;
    text.push('\n');
    Ok(text)
}

/// `"ERC-20 release, triggered by anyone"` → `erc-20-release-triggered-by-anyone`.
fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

const FORGE_HEADER: &str = "// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {VectorRunner} from \"./utils/VectorRunner.sol\";

/// @notice The conformance vectors of `test/vectors/suite/`, one test per scenario, run against
///         the Solidity build. Generated with the files by `cargo run -p tributary-testkit --bin
///         vectors` (testkit/src/vectors/): do not edit.
contract SuiteVectorsTest is VectorRunner {";

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_keep_letters_and_digits_only() {
        assert_eq!(
            slug("ERC-20 release, triggered by anyone"),
            "erc-20-release-triggered-by-anyone"
        );
        assert_eq!(slug("32 licences per payment"), "32-licences-per-payment");
        assert_eq!(
            slug("holder index: under-state and refreshLicence"),
            "holder-index-under-state-and-refreshlicence"
        );
    }
}
