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
