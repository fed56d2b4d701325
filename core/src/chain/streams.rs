//! Superfluid subscriptions: the typed handle on a deployed `TributaryStreams` and the
//! Superfluid calls a buyer or a payee makes beside it (docs/streaming.md).
//!
//! A buyer subscribes to a dataset by distributing a GDA flow from their own account to the
//! dataset's pool ([`Streams::distribute_flow`] with [`Streams::required_flow_rate`]); a rate of
//! zero stops it. Flow rates are Superfluid's `int96` ([`I96`], token wei per second).

use std::fmt;

use alloy::{
    contract::{CallBuilder, CallDecoder},
    primitives::{Address, B256, Bytes, I256, U256, aliases::I96},
    providers::{DynProvider, Provider},
    rpc::types::TransactionReceipt,
};

use super::{
    Client, Confirmed, Offer, Split,
    bindings::{
        streams_abi::ITributaryStreams,
        superfluid::{
            IGDAv1Forwarder, ISuperToken, ISuperfluid, ISuperfluidGovernance, ISuperfluidPool,
            minimum_deposit_key, ppp_config_key,
        },
    },
};
use crate::{Error, Result};

/// A deployed `TributaryStreams` and the `GDAv1Forwarder` it works with, reached through a
/// [`Client`]. Cheap to clone. Writes are signed by the client's key.
#[derive(Clone)]
pub struct Streams {
    client: Client,
    contract: ITributaryStreams::ITributaryStreamsInstance<DynProvider>,
    forwarder: IGDAv1Forwarder::IGDAv1ForwarderInstance<DynProvider>,
}

impl fmt::Debug for Streams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streams")
            .field("address", self.contract.address())
            .field("gda_forwarder", self.forwarder.address())
            .field("client", &self.client)
            .finish()
    }
}

/// A Super Token balance as Superfluid sees it now (`realtimeBalanceOfNow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RealtimeBalance {
    /// What the account can spend: its balance less the deposits its flows hold (negative once
    /// it is critical).
    pub available: I256,
    /// The deposits held for its outgoing flows.
    pub deposit: U256,
}

impl Client {
    /// Whether `address` holds contract code now.
    pub async fn has_code(&self, address: Address) -> Result<bool> {
        let code = self
            .provider()
            .get_code_at(address)
            .await
            .map_err(Error::rpc)?;
        Ok(!code.is_empty())
    }

    /// The `TributaryStreams` contract at `address`, with the `GDAv1Forwarder` it names.
    pub async fn streams(&self, address: Address) -> Result<Streams> {
        let contract = ITributaryStreams::new(address, self.provider().clone());
        let forwarder = contract
            .gdaForwarder()
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(Streams {
            client: self.clone(),
            contract,
            forwarder: IGDAv1Forwarder::new(forwarder, self.provider().clone()),
        })
    }
}

impl Streams {
    /// The contract's address.
    pub fn address(&self) -> Address {
        *self.contract.address()
    }

    /// Superfluid's `GDAv1Forwarder` this contract creates pools and reads flows through.
    pub fn gda_forwarder(&self) -> Address {
        *self.forwarder.address()
    }

    /// The client this handle sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The same contracts, sending through another client (another key).
    pub fn with_client(&self, client: &Client) -> Self {
        Self {
            client: client.clone(),
            contract: ITributaryStreams::new(self.address(), client.provider().clone()),
            forwarder: IGDAv1Forwarder::new(self.gda_forwarder(), client.provider().clone()),
        }
    }

    /// The typed bindings of `ITributaryStreams`, for calls this handle does not wrap.
    pub fn contract(&self) -> &ITributaryStreams::ITributaryStreamsInstance<DynProvider> {
        &self.contract
    }

    /// The typed bindings of the `GDAv1Forwarder`.
    pub fn forwarder(&self) -> &IGDAv1Forwarder::IGDAv1ForwarderInstance<DynProvider> {
        &self.forwarder
    }

    /// Sends with a fifth more gas than estimated: Superfluid's gas use depends on the block's
    /// timestamp (time-stamped slots rewritten or not), so a transaction mined a second after
    /// its estimate can need more (seen on anvil: 8,400 gas more for an open, failing it).
    async fn send<D: CallDecoder>(
        &self,
        call: CallBuilder<&DynProvider, D>,
    ) -> Result<Confirmed<()>> {
        let sender = self.client.sender().ok_or(Error::NoSigner)?;
        let call = call.from(sender);
        let estimate = call.estimate_gas().await.map_err(Error::contract)?;
        let call = call.gas(estimate.saturating_add(estimate / 5));
        let receipt: TransactionReceipt = self.client.send(call).await?;
        Ok(Confirmed { value: (), receipt })
    }

    // ------------------------------------------------------------------ TributaryStreams

    /// The `Tributary` suite the contract reads.
    pub async fn tributary(&self) -> Result<Address> {
        self.contract
            .tributary()
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Brings the dataset's pools in line with its current terms (anyone may call it; the split
    /// and offers must be the registry's current ones).
    pub async fn sync(
        &self,
        dataset_id: U256,
        split: &Split,
        offers: &[Offer],
    ) -> Result<Confirmed<()>> {
        let call = self.contract.sync(
            dataset_id,
            split.into(),
            offers.iter().map(Into::into).collect(),
        );
        self.send(call).await
    }

    /// The terms hash of the dataset's last sync (zero if never synced).
    pub async fn synced_terms_hash(&self, dataset_id: U256) -> Result<B256> {
        self.contract
            .syncedTermsHash(dataset_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The pool of a (dataset, Super Token), `None` if none was created.
    pub async fn pool_of(&self, dataset_id: U256, token: Address) -> Result<Option<Address>> {
        let pool = self
            .contract
            .poolOf(dataset_id, token)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok((pool != Address::ZERO).then_some(pool))
    }

    /// The minimum flow rate recorded for a (dataset, Super Token) at the last sync (0: not
    /// offered).
    pub async fn min_flow_rate(&self, dataset_id: U256, token: Address) -> Result<I96> {
        let terms = self
            .contract
            .subscriptionTerms(dataset_id, token)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(terms.minFlowRate)
    }

    /// The Super Tokens of the dataset's subscription offers at the last sync.
    pub async fn subscription_tokens(&self, dataset_id: U256) -> Result<Vec<Address>> {
        self.contract
            .subscriptionTokens(dataset_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// The pool members of the last sync and their units.
    pub async fn members(&self, dataset_id: U256) -> Result<Vec<(Address, u128)>> {
        let members = self
            .contract
            .members(dataset_id)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(members.accounts.into_iter().zip(members.units).collect())
    }

    /// The rate to request from [`distribute_flow`](Self::distribute_flow) so that the rate the
    /// GDA records is at least the minimum (`minFlowRate + totalUnits - 1`); 0 when the token is
    /// not offered.
    pub async fn required_flow_rate(&self, dataset_id: U256, token: Address) -> Result<I96> {
        let required = self
            .contract
            .requiredFlowRate(dataset_id, token)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(required)
    }

    /// The rate `account` distributes to the dataset's pool of `token` now, as recorded.
    pub async fn flow_rate(
        &self,
        account: Address,
        dataset_id: U256,
        token: Address,
    ) -> Result<I96> {
        let flow = self
            .contract
            .flowRate(account, dataset_id, token)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(flow)
    }

    /// Whether `account` streams at least a subscription's minimum and is not critical.
    pub async fn is_subscribed(&self, account: Address, dataset_id: U256) -> Result<bool> {
        self.contract
            .isSubscribed(account, dataset_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Whether `account` may use the dataset now: a licence token, or an active dataset and a
    /// subscription.
    pub async fn is_licensed(&self, account: Address, dataset_id: U256) -> Result<bool> {
        self.contract
            .isLicensed(account, dataset_id)
            .call()
            .await
            .map_err(Error::contract)
    }

    // ------------------------------------------------------------------ GDAv1Forwarder

    /// Distributes a flow of `rate` wei/s of `token` from the client's account to `pool`:
    /// opens, updates (another rate) or stops (0) it. The GDA records the rate rounded down to
    /// the pool's units (see [`required_flow_rate`](Self::required_flow_rate)).
    pub async fn distribute_flow(
        &self,
        token: Address,
        pool: Address,
        rate: I96,
    ) -> Result<Confirmed<()>> {
        let from = self.client.sender().ok_or(Error::NoSigner)?;
        let call = self
            .forwarder
            .distributeFlow(token, from, pool, rate, Bytes::new());
        self.send(call).await
    }

    /// Runs [`distribute_flow`](Self::distribute_flow) as `from` would send it, without sending
    /// it (`eth_call`): a refusal comes back as the error, with Superfluid's reason.
    pub async fn simulate_distribute_flow(
        &self,
        token: Address,
        from: Address,
        pool: Address,
        rate: I96,
    ) -> Result<()> {
        self.forwarder
            .distributeFlow(token, from, pool, rate, Bytes::new())
            .from(from)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(())
    }

    /// The rate `from` distributes to `pool` in `token`, as the GDA records it.
    pub async fn distribution_flow_rate(
        &self,
        token: Address,
        from: Address,
        pool: Address,
    ) -> Result<I96> {
        let flow = self
            .forwarder
            .getFlowDistributionFlowRate(token, from, pool)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(flow)
    }

    /// The rate the GDA would record if `from` requested `requested` to `pool`.
    pub async fn estimate_flow_rate(
        &self,
        token: Address,
        from: Address,
        pool: Address,
        requested: I96,
    ) -> Result<I96> {
        let estimate = self
            .forwarder
            .estimateFlowDistributionActualFlowRate(token, from, pool, requested)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(estimate.actualFlowRate)
    }

    /// Connects the client's account to `pool`: its share then reaches its balance in real time.
    pub async fn connect_pool(&self, pool: Address) -> Result<Confirmed<()>> {
        self.send(self.forwarder.connectPool(pool, Bytes::new()))
            .await
    }

    /// Whether `member` is connected to `pool`.
    pub async fn is_member_connected(&self, pool: Address, member: Address) -> Result<bool> {
        self.forwarder
            .isMemberConnected(pool, member)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// Pays `member` what `pool` holds for it (anyone may send it).
    pub async fn claim_all(&self, pool: Address, member: Address) -> Result<Confirmed<()>> {
        self.send(self.forwarder.claimAll(pool, member, Bytes::new()))
            .await
    }

    // ------------------------------------------------------------------ pools

    /// `pool`'s total units.
    pub async fn pool_total_units(&self, pool: Address) -> Result<u128> {
        ISuperfluidPool::new(pool, self.client.provider())
            .getTotalUnits()
            .call()
            .await
            .map_err(Error::contract)
    }

    /// `member`'s units in `pool`.
    pub async fn pool_units(&self, pool: Address, member: Address) -> Result<u128> {
        ISuperfluidPool::new(pool, self.client.provider())
            .getUnits(member)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// What `member` could claim from `pool` now (it stays in the pool while the member is not
    /// connected).
    pub async fn claimable(&self, pool: Address, member: Address) -> Result<I256> {
        let claimable = ISuperfluidPool::new(pool, self.client.provider())
            .getClaimableNow(member)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(claimable.claimableBalance)
    }

    /// The total rate flowing into `pool`.
    pub async fn pool_flow_rate(&self, pool: Address) -> Result<I96> {
        let flow = ISuperfluidPool::new(pool, self.client.provider())
            .getTotalFlowRate()
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(flow)
    }

    // ------------------------------------------------------------------ Super Tokens

    /// `account`'s balance of the Super Token `token` (ERC-20 `balanceOf`: what it can spend).
    pub async fn token_balance(&self, token: Address, account: Address) -> Result<U256> {
        ISuperToken::new(token, self.client.provider())
            .balanceOf(account)
            .call()
            .await
            .map_err(Error::contract)
    }

    /// `account`'s real-time balance of `token`: available and held as deposits.
    pub async fn realtime_balance(
        &self,
        token: Address,
        account: Address,
    ) -> Result<RealtimeBalance> {
        let balance = ISuperToken::new(token, self.client.provider())
            .realtimeBalanceOfNow(account)
            .call()
            .await
            .map_err(Error::contract)?;
        Ok(RealtimeBalance {
            available: balance.availableBalance,
            deposit: balance.deposit,
        })
    }

    /// Sends `amount` of the Super Token `token` to `to` from the client's account.
    pub async fn transfer_token(
        &self,
        token: Address,
        to: Address,
        amount: U256,
    ) -> Result<Confirmed<()>> {
        let token = ISuperToken::new(token, self.client.provider().clone());
        self.send(token.transfer(to, amount)).await
    }

    /// The deposit Superfluid holds for a flow of `rate` wei/s of `token`: the rate times the
    /// token's liquidation period, at least the token's minimum deposit (0 for no flow), read
    /// from the host's governance as the GDA does.
    pub async fn deposit_for(&self, token: Address, rate: I96) -> Result<U256> {
        if rate <= I96::ZERO {
            return Ok(U256::ZERO);
        }
        let provider = self.client.provider();
        let host = ISuperToken::new(token, provider)
            .getHost()
            .call()
            .await
            .map_err(Error::contract)?;
        let governance = ISuperfluid::new(host, provider)
            .getGovernance()
            .call()
            .await
            .map_err(Error::contract)?;
        let governance = ISuperfluidGovernance::new(governance, provider);
        let ppp = governance
            .getConfigAsUint256(host, token, ppp_config_key())
            .call()
            .await
            .map_err(Error::contract)?;
        let minimum = governance
            .getConfigAsUint256(host, token, minimum_deposit_key())
            .call()
            .await
            .map_err(Error::contract)?;
        let liquidation_period = (ppp >> 32) & U256::from(u32::MAX);
        let deposit: U256 = rate.unsigned_abs().to::<U256>() * liquidation_period;
        Ok(deposit.max(minimum))
    }
}
