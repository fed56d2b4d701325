//! The RPC connection and the typed handle on a deployed Tributary contract.

use std::{fmt, sync::LazyLock, time::Duration};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    hex,
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, Signature, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    sol_types::{Eip712Domain, SolEvent, SolValue},
};
use url::Url;

use super::{
    CreditPayment, DatasetStatus, IERC20, ITributary, Licence, Offer, Split, Terms,
    TributaryInherited,
};
use crate::{Error, Result, signing};

/// How the client waits for transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Blocks that must include a transaction, its own included, before it
    /// counts as done (1: mined; 0 counts as 1). Default 1.
    pub confirmations: u64,
    /// How long to wait for those confirmations. Default 120 s.
    pub receipt_timeout: Duration,
    /// How often to poll the node for new blocks. Default: alloy's choice,
    /// 250 ms for a node on this machine and 7 s otherwise.
    pub poll_interval: Option<Duration>,
    /// The chain the node must serve; `connect` fails on any other. Default: any.
    pub chain_id: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            confirmations: 1,
            receipt_timeout: Duration::from_secs(120),
            poll_interval: None,
            chain_id: None,
        }
    }
}

impl Config {
    /// This configuration, waiting for `confirmations` blocks.
    pub fn with_confirmations(mut self, confirmations: u64) -> Self {
        self.confirmations = confirmations.max(1);
        self
    }

    /// This configuration, waiting at most `timeout` for a receipt.
    pub fn with_receipt_timeout(mut self, timeout: Duration) -> Self {
        self.receipt_timeout = timeout;
        self
    }

    /// This configuration, polling the node every `interval`.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(interval);
        self
    }

    /// This configuration, requiring the node to serve chain `chain_id`.
    pub fn with_chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = Some(chain_id);
        self
    }
}

/// A connection to an Ethereum JSON-RPC node over HTTP(S), with the key that
/// signs its transactions (if any). Cheap to clone.
#[derive(Clone)]
pub struct Client {
    provider: DynProvider,
    chain_id: u64,
    sender: Option<Address>,
    config: Config,
}

impl Client {
    /// Connects to `rpc_url`, signing transactions with `key` (without one,
    /// only views work), and reads the node's chain id.
    pub async fn connect(
        rpc_url: &str,
        key: Option<&signing::Key>,
        config: Config,
    ) -> Result<Self> {
        let url = Url::parse(rpc_url).map_err(Error::InvalidRpcUrl)?;
        // Nonces are read from the node for every transaction. alloy's default
        // (cached) nonce manager reserves a nonce even when the gas estimate
        // then fails on a revert, and every later transaction from the key
        // waits behind the gap for ever.
        let builder = ProviderBuilder::new().with_simple_nonce_management();
        let provider = match key {
            Some(key) => builder
                .wallet(EthereumWallet::from(key.signer().clone()))
                .connect_http(url)
                .erased(),
            None => builder.connect_http(url).erased(),
        };
        if let Some(interval) = config.poll_interval {
            provider.client().set_poll_interval(interval);
        }
        let chain_id = provider.get_chain_id().await.map_err(Error::rpc)?;
        if let Some(expected) = config.chain_id
            && expected != chain_id
        {
            return Err(Error::WrongChain {
                expected,
                actual: chain_id,
            });
        }
        Ok(Self {
            provider,
            chain_id,
            sender: key.map(signing::Key::address),
            config,
        })
    }

    /// The node's chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The address that signs this client's transactions, if it has a key.
    pub fn sender(&self) -> Option<Address> {
        self.sender
    }

    /// How this client waits for transactions.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The underlying alloy provider, for anything this client does not wrap.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The ETH balance of `account`, in wei.
    pub async fn balance(&self, account: Address) -> Result<U256> {
        self.provider.get_balance(account).await.map_err(Error::rpc)
    }

    /// The Tributary contract at `address`.
    pub fn tributary(&self, address: Address) -> Tributary {
        Tributary {
            client: self.clone(),
            contract: ITributary::new(address, self.provider.clone()),
            inherited: TributaryInherited::new(address, self.provider.clone()),
        }
    }

    /// Deploys a new Tributary suite (the committed `abi/Tributary.bin`):
    /// `admin` holds `DEFAULT_ADMIN_ROLE`, protocol fees of `fee_bps` basis
    /// points go to `treasury`. For tests and development chains; production
    /// deployments go through `scripts/deploy.sh`.
    pub async fn deploy(
        &self,
        admin: Address,
        treasury: Address,
        fee_bps: u16,
    ) -> Result<Tributary> {
        let code = creation_code(admin, treasury, fee_bps);
        let receipt = self
            .send(CallBuilder::new_raw_deploy(&self.provider, code))
            .await?;
        let address = receipt.contract_address.ok_or(Error::NotDeployed {
            tx_hash: receipt.transaction_hash,
        })?;
        Ok(self.tributary(address))
    }

    /// Sends a transaction and waits for its confirmations. A revert found
    /// while estimating gas comes back as [`Error::Reverted`].
    pub(super) async fn send<D: CallDecoder>(
        &self,
        call: CallBuilder<&DynProvider, D>,
    ) -> Result<TransactionReceipt> {
        if self.sender.is_none() {
            return Err(Error::NoSigner);
        }
        let pending = call.send().await.map_err(Error::contract)?;
        let tx_hash = *pending.tx_hash();
        let receipt_timeout = self.config.receipt_timeout;
        let confirmations = self.config.confirmations.max(1);
        let timed_out = Error::ReceiptTimeout {
            tx_hash,
            confirmations,
            timeout: receipt_timeout,
        };
        let waiting = pending
            .with_required_confirmations(confirmations)
            .with_timeout(Some(receipt_timeout))
            .get_receipt();
        // alloy's own timeout stops at inclusion: once the transaction is in a
        // block, the wait for further confirmations is unbounded.
        let receipt = tokio::time::timeout(receipt_timeout, waiting)
            .await
            .map_err(|_| timed_out)?
            .map_err(|err| Error::pending(err, tx_hash, confirmations, receipt_timeout))?;
        if !receipt.status() {
            return Err(Error::TxFailed { tx_hash });
        }
        Ok(receipt)
    }
}

impl fmt::Debug for Client {
    // The provider is left out: its URL may carry an API key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("chain_id", &self.chain_id)
            .field("sender", &self.sender)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The creation bytecode of the Tributary suite with its constructor
/// arguments appended, ready to send as a deployment.
pub fn creation_code(admin: Address, treasury: Address, fee_bps: u16) -> Bytes {
    let mut code = BYTECODE.to_vec();
    code.extend((admin, treasury, fee_bps).abi_encode_params());
    code.into()
}

static BYTECODE: LazyLock<Vec<u8>> = LazyLock::new(|| {
    hex::decode(include_str!("../../../abi/Tributary.bin").trim())
        .expect("abi/Tributary.bin holds the hex bytecode that scripts/abi.sh exports")
});

/// A confirmed transaction and the value its call produced (read from its
/// events: a dataset id, a version, a token id, an amount).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Confirmed<T> {
    /// What the call produced.
    pub value: T,
    /// The transaction's receipt.
    pub receipt: TransactionReceipt,
}

/// A dataset's on-chain record (`dataset(datasetId)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dataset {
    /// The creator: the only account that changes the dataset.
    pub creator: Address,
    /// Its lifecycle status (`None` if the id was never registered).
    pub status: DatasetStatus,
    /// How many versions were published (registration is version 1).
    pub version_count: u32,
    /// The hash of its current terms ([`signing::terms_hash`]).
    pub terms_hash: B256,
}

/// A deployed Tributary suite, reached through a [`Client`]. Cheap to clone.
///
/// Writes send a transaction signed by the client's key and wait for the
/// configured confirmations; views call the node's latest block. Dataset ids,
/// token ids and amounts are `U256`, as in the ABI.
#[derive(Clone)]
pub struct Tributary {
    client: Client,
    contract: ITributary::ITributaryInstance<DynProvider>,
    inherited: TributaryInherited::TributaryInheritedInstance<DynProvider>,
}

impl fmt::Debug for Tributary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tributary")
            .field("address", self.contract.address())
            .field("client", &self.client)
            .finish()
    }
}

impl Tributary {
    /// The contract's address.
    pub fn address(&self) -> Address {
        *self.contract.address()
    }

    /// The client this handle sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The same contract, sending through another client (another key).
    pub fn with_client(&self, client: &Client) -> Self {
        client.tributary(self.address())
    }

    /// The typed bindings of `ITributary`, for calls this handle does not wrap.
    pub fn contract(&self) -> &ITributary::ITributaryInstance<DynProvider> {
        &self.contract
    }

    /// The typed bindings of what the deployable inherits (ERC-721,
    /// AccessControl, Pausable, EIP-5267).
    pub fn inherited(&self) -> &TributaryInherited::TributaryInheritedInstance<DynProvider> {
        &self.inherited
    }

    /// The EIP-712 domain creators sign under for this contract.
    pub fn domain(&self) -> Eip712Domain {
        signing::domain(self.client.chain_id, self.address())
    }

    async fn send<D: CallDecoder>(
        &self,
        call: CallBuilder<&DynProvider, D>,
    ) -> Result<TransactionReceipt> {
        self.client.send(call).await
    }

    /// The first event `E` this contract emitted in `receipt`.
    pub fn event<E: SolEvent>(&self, receipt: &TransactionReceipt) -> Result<E> {
        receipt
            .logs()
            .iter()
            .filter(|log| log.address() == self.address())
            .find_map(|log| E::decode_log(&log.inner).ok())
            .map(|log| log.data)
            .ok_or(Error::MissingEvent {
                tx_hash: receipt.transaction_hash,
                event: E::SIGNATURE,
            })
    }

    async fn confirm<D: CallDecoder, E: SolEvent, T>(
        &self,
        call: CallBuilder<&DynProvider, D>,
        value: impl FnOnce(E) -> T,
    ) -> Result<Confirmed<T>> {
        let receipt = self.send(call).await?;
        let event = self.event::<E>(&receipt)?;
        Ok(Confirmed {
            value: value(event),
            receipt,
        })
    }

    async fn confirm_unit<D: CallDecoder>(
        &self,
        call: CallBuilder<&DynProvider, D>,
    ) -> Result<Confirmed<()>> {
        let receipt = self.send(call).await?;
        Ok(Confirmed { value: (), receipt })
    }

    // ------------------------------------------------------------------ registry

    /// Registers a dataset as the client's account; the value is its id.
    pub async fn register(
        &self,
        manifest_hash: B256,
        uri: &str,
        split: &Split,
        offers: &[Offer],
    ) -> Result<Confirmed<U256>> {
        let call = self.contract.register(
            manifest_hash,
            uri.to_owned(),
            split.clone(),
            offers.to_vec(),
        );
        self.confirm(call, |event: ITributary::DatasetRegistered| event.datasetId)
            .await
    }

    /// Relays a registration `creator` signed ([`signing::Register`] with
    /// the same fields and the creator's current nonce); the value is the id.
    #[allow(clippy::too_many_arguments)] // the contract function's own arguments
    pub async fn register_with_sig(
        &self,
        creator: Address,
        manifest_hash: B256,
        uri: &str,
        split: &Split,
        offers: &[Offer],
        deadline: U256,
        signature: &Signature,
    ) -> Result<Confirmed<U256>> {
        let call = self.contract.registerWithSig(
            creator,
            manifest_hash,
            uri.to_owned(),
            split.clone(),
            offers.to_vec(),
            deadline,
            signature.as_bytes().into(),
        );
        self.confirm(call, |event: ITributary::DatasetRegistered| event.datasetId)
            .await
    }

    /// Publishes a new version; the value is its number.
    pub async fn publish_version(
        &self,
        dataset_id: U256,
        manifest_hash: B256,
        uri: &str,
    ) -> Result<Confirmed<u32>> {
        let call = self
            .contract
            .publishVersion(dataset_id, manifest_hash, uri.to_owned());
        self.confirm(call, |event: ITributary::VersionPublished| event.version)
            .await
    }

    /// Relays a new version the creator signed ([`signing::PublishVersion`]).
    pub async fn publish_version_with_sig(
        &self,
        dataset_id: U256,
        manifest_hash: B256,
        uri: &str,
        deadline: U256,
        signature: &Signature,
    ) -> Result<Confirmed<u32>> {
        let call = self.contract.publishVersionWithSig(
            dataset_id,
            manifest_hash,
            uri.to_owned(),
            deadline,
            signature.as_bytes().into(),
        );
        self.confirm(call, |event: ITributary::VersionPublished| event.version)
            .await
    }

    /// Pauses, reactivates or retires a dataset.
    pub async fn set_status(
        &self,
        dataset_id: U256,
        status: DatasetStatus,
    ) -> Result<Confirmed<()>> {
        self.confirm_unit(self.contract.setStatus(dataset_id, status.into()))
            .await
    }

    /// Relays a status change the creator signed ([`signing::SetStatus`]).
    pub async fn set_status_with_sig(
        &self,
        dataset_id: U256,
        status: DatasetStatus,
        deadline: U256,
        signature: &Signature,
    ) -> Result<Confirmed<()>> {
        let call = self.contract.setStatusWithSig(
            dataset_id,
            status.into(),
            deadline,
            signature.as_bytes().into(),
        );
        self.confirm_unit(call).await
    }

    /// Replaces a dataset's split and offers.
    pub async fn set_terms(
        &self,
        dataset_id: U256,
        split: &Split,
        offers: &[Offer],
    ) -> Result<Confirmed<()>> {
        let call = self
            .contract
            .setTerms(dataset_id, split.clone(), offers.to_vec());
        self.confirm_unit(call).await
    }

    /// Relays new terms the creator signed ([`signing::SetTerms`]).
    pub async fn set_terms_with_sig(
        &self,
        dataset_id: U256,
        split: &Split,
        offers: &[Offer],
        deadline: U256,
        signature: &Signature,
    ) -> Result<Confirmed<()>> {
        let call = self.contract.setTermsWithSig(
            dataset_id,
            split.clone(),
            offers.to_vec(),
            deadline,
            signature.as_bytes().into(),
        );
        self.confirm_unit(call).await
    }

    /// Anchors `count` manifest hashes under the Merkle `root`.
    pub async fn anchor_batch(&self, root: B256, count: u32, uri: &str) -> Result<Confirmed<()>> {
        self.confirm_unit(self.contract.anchorBatch(root, count, uri.to_owned()))
            .await
    }

    /// A dataset's on-chain record.
    pub async fn dataset(&self, dataset_id: U256) -> Result<Dataset> {
        let record = self
            .contract
            .dataset(dataset_id)
            .call()
            .await
            .map_err(Error::contract)?;
        let status = DatasetStatus::try_from(record.status)
            .map_err(|byte| Error::Unexpected(format!("dataset status {byte}")))?;
        Ok(Dataset {
            creator: record.creator,
            status,
            version_count: record.versionCount,
            terms_hash: record.termsHash,
        })
    }

    /// How many datasets exist (the highest id).
    pub async fn dataset_count(&self) -> Result<U256> {
        self.contract
            .datasetCount()
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The nonce `account`'s next signature must carry.
    pub async fn nonce(&self, account: Address) -> Result<U256> {
        self.contract
            .nonces(account)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The contract's own `hashSplit` (see [`signing::split_hash`]).
    pub async fn hash_split(&self, split: &Split) -> Result<B256> {
        self.contract
            .hashSplit(split.clone())
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The contract's own `hashTerms` (see [`signing::terms_hash`]).
    pub async fn hash_terms(&self, split_hash: B256, offers: &[Offer]) -> Result<B256> {
        self.contract
            .hashTerms(split_hash, offers.to_vec())
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The EIP-712 domain the contract reports (EIP-5267 `eip712Domain()`).
    pub async fn eip712_domain(&self) -> Result<Eip712Domain> {
        let domain = self
            .inherited
            .eip712Domain()
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(Eip712Domain::new(
            Some(domain.name.into()),
            Some(domain.version.into()),
            Some(domain.chainId),
            Some(domain.verifyingContract),
            (domain.salt != B256::ZERO).then_some(domain.salt),
        ))
    }

    // ------------------------------------------------------------------ licences

    /// Lets this contract take `amount` of the ERC-20 `token` from the
    /// client's account (before buying with a token offer).
    pub async fn approve_token(&self, token: Address, amount: U256) -> Result<Confirmed<()>> {
        let erc20 = IERC20::new(token, self.client.provider.clone());
        self.confirm_unit(erc20.approve(self.address(), amount))
            .await
    }

    /// How much of the ERC-20 `token` this contract may take from `owner`.
    pub async fn allowance(&self, token: Address, owner: Address) -> Result<U256> {
        IERC20::new(token, self.client.provider.clone())
            .allowance(owner, self.address())
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Runs [`purchase_paying`](Self::purchase_paying) as `buyer` would send it, without sending
    /// it (`eth_call` on the latest block): the licence's token id, or the revert a transaction
    /// would meet now.
    pub async fn simulate_purchase(
        &self,
        buyer: Address,
        dataset_id: U256,
        terms: &Terms,
        offer_index: usize,
        recipient: Address,
        value: U256,
    ) -> Result<U256> {
        self.contract
            .purchase(
                dataset_id,
                terms.clone(),
                U256::from(offer_index),
                recipient,
            )
            .from(buyer)
            .value(value)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Buys a licence under `terms.offers[offer_index]` for `recipient`,
    /// paying its price in ETH (for a token offer, approve the contract for
    /// the price first; no ETH is sent). The value is the licence's token id.
    pub async fn purchase(
        &self,
        dataset_id: U256,
        terms: &Terms,
        offer_index: usize,
        recipient: Address,
    ) -> Result<Confirmed<U256>> {
        let value = terms
            .offers
            .get(offer_index)
            .map(Offer::eth_value)
            .unwrap_or_default();
        self.purchase_paying(dataset_id, terms, offer_index, recipient, value)
            .await
    }

    /// [`purchase`](Self::purchase), sending exactly `value` wei.
    pub async fn purchase_paying(
        &self,
        dataset_id: U256,
        terms: &Terms,
        offer_index: usize,
        recipient: Address,
        value: U256,
    ) -> Result<Confirmed<U256>> {
        let call = self
            .contract
            .purchase(
                dataset_id,
                terms.clone(),
                U256::from(offer_index),
                recipient,
            )
            .value(value);
        self.confirm(call, |event: ITributary::LicenceIssued| event.tokenId)
            .await
    }

    /// Buys a licence priced in credits with the credits of `payment_id`;
    /// the value is the token id.
    pub async fn purchase_with_credits(
        &self,
        payment_id: B256,
        dataset_id: U256,
        terms: &Terms,
        offer_index: usize,
        recipient: Address,
    ) -> Result<Confirmed<U256>> {
        let call = self.contract.purchaseWithCredits(
            payment_id,
            dataset_id,
            terms.clone(),
            U256::from(offer_index),
            recipient,
        );
        self.confirm(call, |event: ITributary::LicenceIssued| event.tokenId)
            .await
    }

    /// The creator issues a `Custom` licence for an off-chain deal; the value
    /// is the token id.
    pub async fn issue_custom_licence(
        &self,
        dataset_id: U256,
        terms: &Terms,
        offer_index: usize,
        recipient: Address,
        receipt_hash: B256,
    ) -> Result<Confirmed<U256>> {
        let call = self.contract.issueCustomLicence(
            dataset_id,
            terms.clone(),
            U256::from(offer_index),
            recipient,
            receipt_hash,
        );
        self.confirm(call, |event: ITributary::LicenceIssued| event.tokenId)
            .await
    }

    /// A royalty-linked licensee reports `revenue` and pays the royalty
    /// (`value` wei for an ETH licence: `revenue × royaltyBps / 10 000`);
    /// the value is the royalty paid.
    pub async fn report_revenue(
        &self,
        token_id: U256,
        revenue: U256,
        evidence_hash: B256,
        terms: &Terms,
        value: U256,
    ) -> Result<Confirmed<U256>> {
        let call = self
            .contract
            .reportRevenue(token_id, revenue, evidence_hash, terms.clone())
            .value(value);
        self.confirm(call, |event: ITributary::RevenueReported| event.royalty)
            .await
    }

    /// Whether `account` holds an unexpired licence for the dataset now.
    pub async fn is_licensed(&self, account: Address, dataset_id: U256) -> Result<bool> {
        self.contract
            .isLicensed(account, dataset_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Until when `account` is licensed (0: not; `u64::MAX`: perpetual).
    pub async fn licensed_until(&self, account: Address, dataset_id: U256) -> Result<u64> {
        self.contract
            .licensedUntil(account, dataset_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// What a licence token records.
    pub async fn licence(&self, token_id: U256) -> Result<Licence> {
        self.contract
            .licence(token_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The token a licence was paid in, where its royalties are paid (`ETH`, an ERC-20, or
    /// `CREDITS`).
    pub async fn licence_payment_token(&self, token_id: U256) -> Result<Address> {
        self.contract
            .licencePaymentToken(token_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The holder of a licence token.
    pub async fn owner_of(&self, token_id: U256) -> Result<Address> {
        self.inherited
            .ownerOf(token_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    // ------------------------------------------------------------------ splits

    /// Pays `payee` what `split` owes them in `token` (`ETH`, an ERC-20, or
    /// `CREDITS`); anyone may send it. The value is the amount released.
    pub async fn release(
        &self,
        token: Address,
        split: &Split,
        payee: Address,
    ) -> Result<Confirmed<U256>> {
        let call = self.contract.release(token, split.clone(), payee);
        self.confirm(call, |event: ITributary::PaymentReleased| event.amount)
            .await
    }

    /// Pays the treasury the protocol fees owed in `token`; the value is the amount.
    pub async fn release_protocol_fees(&self, token: Address) -> Result<Confirmed<U256>> {
        let call = self.contract.releaseProtocolFees(token);
        self.confirm(call, |event: ITributary::ProtocolFeesReleased| event.amount)
            .await
    }

    /// What `payee` could release from `split` in `token` now.
    pub async fn releasable(&self, token: Address, split: &Split, payee: Address) -> Result<U256> {
        self.contract
            .releasable(token, split.clone(), payee)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Total a split received in `token`, after protocol fees.
    pub async fn total_received(&self, split_hash: B256, token: Address) -> Result<U256> {
        self.contract
            .totalReceived(split_hash, token)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Protocol fees owed to the treasury in `token`.
    pub async fn protocol_fees_owed(&self, token: Address) -> Result<U256> {
        self.contract
            .protocolFeesOwed(token)
            .call()
            .await
            .map_err(Error::contract)
    }

    // ------------------------------------------------------------------ credits

    /// Credits `amount` to `account` for the fiat payment `payment_id`
    /// (relayer role only).
    pub async fn mint_credits(
        &self,
        payment_id: B256,
        account: Address,
        amount: U256,
    ) -> Result<Confirmed<()>> {
        let call = self.contract.mintCredits(payment_id, account, amount);
        let receipt = self.send(call).await?;
        self.event::<ITributary::CreditsMinted>(&receipt)?;
        Ok(Confirmed { value: (), receipt })
    }

    /// Reverses a refunded or disputed payment (relayer role only); the value
    /// lists the licences flagged.
    pub async fn reverse_credits(&self, payment_id: B256) -> Result<Confirmed<Vec<U256>>> {
        let call = self.contract.reverseCredits(payment_id);
        self.confirm(call, |event: ITributary::CreditsReversed| {
            event.flaggedTokenIds
        })
        .await
    }

    /// Unspent credits of `account`.
    pub async fn credit_balance(&self, account: Address) -> Result<U256> {
        self.contract
            .creditBalance(account)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The record of a payment id (all zero if never seen).
    pub async fn credit_payment(&self, payment_id: B256) -> Result<CreditPayment> {
        self.contract
            .creditPayment(payment_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    // ------------------------------------------------------------------ roles and pause

    /// The relayer role's id (`keccak256("RELAYER_ROLE")`).
    pub async fn relayer_role(&self) -> Result<B256> {
        self.contract
            .RELAYER_ROLE()
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The pauser role's id (`keccak256("PAUSER_ROLE")`).
    pub async fn pauser_role(&self) -> Result<B256> {
        self.contract
            .PAUSER_ROLE()
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Grants `role` to `account` (the role's admin only).
    pub async fn grant_role(&self, role: B256, account: Address) -> Result<Confirmed<()>> {
        self.confirm_unit(self.inherited.grantRole(role, account))
            .await
    }

    /// Whether `account` holds `role`.
    pub async fn has_role(&self, role: B256, account: Address) -> Result<bool> {
        self.inherited
            .hasRole(role, account)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Allows or disallows an ERC-20 as a payment token (admin only).
    pub async fn set_token_allowed(&self, token: Address, allowed: bool) -> Result<Confirmed<()>> {
        self.confirm_unit(self.contract.setTokenAllowed(token, allowed))
            .await
    }

    /// Stops purchases, credit minting and spending (pauser role only).
    pub async fn pause(&self) -> Result<Confirmed<()>> {
        self.confirm_unit(self.contract.pause()).await
    }

    /// Resumes after [`pause`](Self::pause) (pauser role only).
    pub async fn unpause(&self) -> Result<Confirmed<()>> {
        self.confirm_unit(self.contract.unpause()).await
    }
}
