//! `cargo run --features export-abi --bin tributary-stylus-credits-abi`: prints this contract's
//! Solidity interface as the SDK exports it (functions and the errors of `CreditsError`), then
//! its events, which the SDK's export leaves out, from the contract's `sol!` declarations.
//! `stylus/scripts/abi-check.sh` compares the output with `abi/ITributary.json`.
#![cfg_attr(not(feature = "export-abi"), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    use tributary_stylus_common::IAccessControlAbi::IAccessControlAbiEvents;
    use tributary_stylus_credits::ITributaryCreditsAbi::ITributaryCreditsAbiEvents;

    tributary_stylus_credits::print_from_args();
    println!("// Events (not exported by the SDK), from the contract's sol! declarations:");
    for signature in ITributaryCreditsAbiEvents::SIGNATURES
        .iter()
        .chain(IAccessControlAbiEvents::SIGNATURES)
    {
        println!("event {signature};");
    }
}
