//! `cargo run --features export-abi --bin tributary-stylus-streams-abi`: prints this contract's
//! Solidity interface as the SDK exports it (the constructor, `sweep` and the errors of
//! `StreamsError`), then the functions its fallback dispatches and its events, which the SDK's
//! export leaves out, from the contract's `sol!` declarations. `stylus/scripts/abi-check.sh`
//! compares the output with `abi/ITributaryStreams.json`.
#![cfg_attr(not(feature = "export-abi"), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    use tributary_stylus_streams::ITributaryStreamsAbi::ITributaryStreamsAbiEvents;

    tributary_stylus_streams::print_from_args();
    println!(
        "// Functions dispatched by the fallback (calldata.rs), from their sol! declarations:"
    );
    for (signature, mutability) in tributary_stylus_streams::calldata::FUNCTIONS {
        let mutability = if mutability == "nonpayable" {
            ""
        } else {
            mutability
        };
        println!("function {signature} external {mutability};");
    }
    println!("// Events (not exported by the SDK), from the contract's sol! declarations:");
    for signature in ITributaryStreamsAbiEvents::SIGNATURES {
        println!("event {signature};");
    }
}
