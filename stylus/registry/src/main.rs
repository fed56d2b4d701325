//! `cargo run --features export-abi --bin tributary-stylus-registry-abi`: prints this contract's
//! Solidity interface as the SDK exports it (functions and the errors of `RegistryError`), then
//! its events, which the SDK's export leaves out, from the contract's `sol!` declarations.
//! `stylus/scripts/abi-check.sh` compares the output with `abi/ITributary.json`.
#![cfg_attr(not(feature = "export-abi"), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    use tributary_stylus_common::ITributaryRegistryTermsEvents::ITributaryRegistryTermsEventsEvents;
    use tributary_stylus_registry::IEip712Abi::IEip712AbiEvents;
    use tributary_stylus_registry::ITributaryRegistryAbi::ITributaryRegistryAbiEvents;

    tributary_stylus_registry::print_from_args();
    println!(
        "// Functions dispatched by the fallback (calldata.rs), from their sol! declarations:"
    );
    for (signature, mutability) in tributary_stylus_registry::calldata::FUNCTIONS {
        let mutability = if mutability == "nonpayable" {
            ""
        } else {
            mutability
        };
        println!("function {signature} external {mutability};");
    }
    println!("// Events (not exported by the SDK), from the contract's sol! declarations:");
    for signature in ITributaryRegistryAbiEvents::SIGNATURES
        .iter()
        .chain(ITributaryRegistryTermsEventsEvents::SIGNATURES)
        .chain(IEip712AbiEvents::SIGNATURES)
    {
        println!("event {signature};");
    }
}
