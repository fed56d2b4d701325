//! Writes the contract suite's conformance vectors (`test/vectors/suite/`) and their forge test
//! from the scenarios in `testkit/src/vectors/`, or with `--check` fails if the committed files
//! differ from what the scenarios generate.

use std::process::ExitCode;

use tributary_testkit::{repo_root, vectors};

fn main() -> ExitCode {
    let root = repo_root();
    if std::env::args().nth(1).as_deref() == Some("--check") {
        return match vectors::stale_files(&root) {
            Ok(stale) if stale.is_empty() => ExitCode::SUCCESS,
            Ok(stale) => {
                for path in stale {
                    eprintln!(
                        "{path} is stale: run `cargo run -p tributary-testkit --bin vectors`"
                    );
                }
                ExitCode::FAILURE
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match vectors::write(&root) {
        Ok(count) => {
            println!("{count} scenarios written to {}", vectors::DIRECTORY);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
