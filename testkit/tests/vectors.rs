//! The committed conformance vectors (`test/vectors/suite/`) and their forge test are exactly
//! what the scenarios in `testkit/src/vectors/` generate, and there are at least 40 scenarios.

use tributary_testkit::{repo_root, vectors};

#[test]
fn committed_vectors_are_generated_from_the_scenarios() {
    let stale = vectors::stale_files(&repo_root()).unwrap_or_else(|error| panic!("{error}"));
    assert!(
        stale.is_empty(),
        "stale vector files (run `cargo run -p tributary-testkit --bin vectors`): {stale:?}"
    );
}

#[test]
fn there_are_at_least_forty_scenarios() {
    assert!(
        vectors::scenario_count() >= 40,
        "{} scenarios",
        vectors::scenario_count()
    );
}

/// Every function of the suite's ABI is called by at least one vector, so an ABI change cannot
/// leave the Stylus build's share of it unchecked by the vectors.
#[test]
fn every_function_of_the_abi_is_called_by_a_vector() {
    let root = repo_root();
    let mut functions = std::collections::BTreeSet::new();
    for file in ["abi/ITributary.json", "abi/TributaryInherited.json"] {
        let text = std::fs::read_to_string(root.join(file)).expect("the committed ABI");
        let abi: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        for item in abi.as_array().expect("an ABI is a list") {
            if item["type"] == "function" {
                functions.insert(item["name"].as_str().expect("a name").to_owned());
            }
        }
    }
    for (path, text) in vectors::render().unwrap_or_else(|error| panic!("{error}")) {
        if !path.ends_with(".json") || path.ends_with("index.json") {
            continue;
        }
        let scenario: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        for step in scenario["steps"].as_array().expect("steps") {
            if let Some(signature) = step["function"].as_str() {
                let name = signature.split('(').next().unwrap_or(signature);
                functions.remove(name);
            }
        }
    }
    assert!(
        functions.is_empty(),
        "functions no vector calls: {functions:?}"
    );
}
