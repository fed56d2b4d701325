//! `cargo run --features export-abi --bin tributary-stylus-licences-abi`: prints this contract's
//! Solidity interface as the SDK exports it (functions and the errors of `LicencesError`), then
//! the functions its fallback dispatches and its events, which the SDK's export leaves out,
//! from the contract's `sol!` declarations. `stylus/scripts/abi-check.sh` compares the output
//! with `abi/ITributary.json` and `abi/TributaryInherited.json`.
#![cfg_attr(not(feature = "export-abi"), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    use tributary_stylus_common::IAccessControlAbi::IAccessControlAbiEvents;
    use tributary_stylus_licences::IERC721Abi::IERC721AbiEvents;
    use tributary_stylus_licences::IPausableAbi::IPausableAbiEvents;
    use tributary_stylus_licences::ITributaryLicencesAbi::ITributaryLicencesAbiEvents;

    tributary_stylus_licences::print_from_args();
    println!(
        "// Functions dispatched by the fallback (calldata.rs), from their sol! declarations:"
    );
    for (signature, mutability) in tributary_stylus_licences::calldata::FUNCTIONS {
        let mutability = if mutability == "nonpayable" {
            ""
        } else {
            mutability
        };
        println!("function {signature} external {mutability};");
    }
    println!("// Events (not exported by the SDK), from the contract's sol! declarations:");
    for signature in ITributaryLicencesAbiEvents::SIGNATURES
        .iter()
        .chain(IERC721AbiEvents::SIGNATURES)
        .chain(IPausableAbiEvents::SIGNATURES)
        .chain(IAccessControlAbiEvents::SIGNATURES)
    {
        println!("event {signature};");
    }
}
