//! A real ERC-20 on anvil: `test/mocks/Tokens.sol:MockERC20` (OpenZeppelin's ERC-20 with an open
//! `mint`), deployed from the bytecode `scripts/abi.sh` exports to `abi/testing/`.

use std::fs;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol,
    sol_types::SolValue,
};
use tributary_core::chain::Client;

use crate::repo_root;

sol! {
    #[sol(rpc)]
    interface MockERC20 {
        function mint(address to, uint256 amount) external;
    }
}

/// Deploys a MockERC20 named `symbol` with `decimals` from `client`'s account.
pub async fn deploy_token(client: &Client, symbol: &str, decimals: u8) -> Address {
    let path = repo_root().join("abi/testing/MockERC20.bin");
    let hex = fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("{}: {err} (run scripts/abi.sh)", path.display()));
    let mut code = alloy::hex::decode(hex.trim()).expect("MockERC20.bin is hex");
    // A uint8 argument is ABI-encoded as a full word, like a uint256.
    code.extend((symbol.to_owned(), U256::from(decimals)).abi_encode_params());
    let request = TransactionRequest::default().with_deploy_code(Bytes::from(code));
    let receipt = client
        .provider()
        .send_transaction(request)
        .await
        .expect("send the token deployment")
        .get_receipt()
        .await
        .expect("the token deployment is mined");
    receipt
        .contract_address
        .expect("the deployment created a contract")
}

/// Mints `amount` of `token` to `to` (anyone may mint a MockERC20).
pub async fn mint(client: &Client, token: Address, to: Address, amount: U256) {
    MockERC20::new(token, client.provider())
        .mint(to, amount)
        .send()
        .await
        .expect("send the mint")
        .get_receipt()
        .await
        .expect("the mint is mined");
}
