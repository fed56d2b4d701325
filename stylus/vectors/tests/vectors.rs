//! Every scenario of `test/vectors/suite/` against the Stylus build: one test per area, each
//! running all of its scenarios and listing every one that fails (file, step, what differed).

use tributary_stylus_vectors::{run_group, Failure};

fn check(group: &str) {
    let failures: Vec<Failure> = run_group(group).unwrap_or_else(|error| panic!("{error}"));
    assert!(
        failures.is_empty(),
        "{} scenario(s) of {group} failed:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|failure| format!("  {failure}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn registry() {
    check("registry");
}

#[test]
fn licences() {
    check("licences");
}

#[test]
fn splits() {
    check("splits");
}

#[test]
fn credits() {
    check("credits");
}
