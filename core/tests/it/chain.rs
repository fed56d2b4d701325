//! The chain client against the Solidity build on a real anvil: deployment,
//! registration (direct and relayed by EIP-712 signature), versions, ETH and
//! credit purchases, releases, and reverts decoded into the custom errors.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    providers::Provider,
};
use tributary_core::{
    Error,
    chain::{
        CREDITS, Client, Config, DatasetStatus, ETH, ITributary::ITributaryErrors, Offer,
        OfferKind, Revert, Split, Terms, TributaryInherited::TributaryInheritedErrors,
    },
    signing::{self, Key, PublishVersion, Register, SetStatus, SetTerms},
};

use tributary_testkit::{Anvil, MNEMONIC, account};

const ETHER: u128 = 1_000_000_000_000_000_000;
const FEE_BPS: u16 = 300;

fn offer(kind: OfferKind, token: Address, price: u128) -> Offer {
    Offer {
        kind: kind.into(),
        paymentToken: token,
        price,
        duration: 0,
        transferable: false,
        royaltyBps: 0,
        supplyCap: 0,
        termsHash: keccak256("licence text"),
    }
}

fn manifest(n: u8) -> B256 {
    B256::repeat_byte(n)
}

/// Revert of `result`, which must have failed with one.
fn revert_of<T: std::fmt::Debug>(result: tributary_core::Result<T>) -> Revert {
    match result {
        Err(Error::Reverted(revert)) => revert,
        other => panic!("expected a revert, got {other:?}"),
    }
}

#[tokio::test]
async fn deploys_with_its_roles_fee_and_signing_domain() {
    let anvil = Anvil::start();
    let treasury = account(4).address();
    let tributary = anvil.deploy(treasury, FEE_BPS).await;

    let client = tributary.client();
    assert_eq!(client.chain_id(), 31337);
    assert_ne!(tributary.address(), Address::ZERO);
    assert_eq!(tributary.dataset_count().await.expect("count"), U256::ZERO);
    // The domain the contract reports (EIP-5267) is the one the signer uses.
    assert_eq!(
        tributary.eip712_domain().await.expect("domain"),
        tributary.domain()
    );
    let fee = tributary
        .contract()
        .protocolFee()
        .call()
        .await
        .expect("fee");
    assert_eq!((fee.bps, fee.treasury), (FEE_BPS, treasury));
    let admin_role = tributary
        .inherited()
        .DEFAULT_ADMIN_ROLE()
        .call()
        .await
        .expect("role");
    assert!(
        tributary
            .has_role(admin_role, account(0).address())
            .await
            .expect("hasRole")
    );
    assert_eq!(
        tributary.relayer_role().await.expect("role"),
        keccak256("RELAYER_ROLE")
    );
}

#[tokio::test]
async fn hashes_match_the_contract_views() {
    let anvil = Anvil::start();
    let tributary = anvil.deploy(account(4).address(), 0).await;

    let payees: Vec<Address> = (1..=5u8).map(Address::repeat_byte).collect();
    let splits = [
        Split::from_shares([(payees[0], 1)]),
        Split::from_shares([(payees[2], 7), (payees[0], 3), (payees[4], 1)]),
        Split::from_shares(
            payees
                .iter()
                .enumerate()
                .map(|(i, p)| (*p, u32::MAX - i as u32)),
        ),
    ];
    let mut royalty = offer(OfferKind::RoyaltyLinked, ETH, 5);
    royalty.royaltyBps = 1234;
    royalty.duration = 30 * 24 * 3600;
    royalty.transferable = true;
    royalty.supplyCap = 100;
    let offer_sets = [
        vec![],
        vec![offer(OfferKind::OneOff, ETH, ETHER)],
        vec![
            offer(OfferKind::OneOff, ETH, u128::MAX),
            royalty,
            offer(OfferKind::OneOff, CREDITS, 2500),
            offer(OfferKind::Custom, ETH, 0),
        ],
        // Any token hashes; only allow-listed ones register.
        vec![offer(OfferKind::OneOff, Address::repeat_byte(9), 7); 16],
    ];
    for split in &splits {
        let split_hash = signing::split_hash(split);
        assert_eq!(
            tributary.hash_split(split).await.expect("hashSplit"),
            split_hash
        );
        for offers in &offer_sets {
            assert_eq!(
                tributary
                    .hash_terms(split_hash, offers)
                    .await
                    .expect("hashTerms"),
                signing::terms_hash(split_hash, offers),
            );
        }
    }

    // And the hash the registry stores on registration is the same.
    let creator = anvil.client(1).await;
    let tributary = tributary.with_client(&creator);
    let (split, offers) = (&splits[1], &offer_sets[2]);
    let id = tributary
        .register(manifest(1), "ipfs://m1", split, offers)
        .await
        .expect("register")
        .value;
    let record = tributary.dataset(id).await.expect("dataset");
    assert_eq!(record.terms_hash, Terms::new(split, offers.clone()).hash());
}

#[tokio::test]
async fn register_publish_buy_and_release() {
    let anvil = Anvil::start();
    let treasury = account(4).address();
    let deployed = anvil.deploy(treasury, FEE_BPS).await;
    let (creator, buyer, anyone) = (account(1), account(2), account(7));
    let (payee_a, payee_b) = (account(5).address(), account(6).address());
    let as_creator = deployed.with_client(&anvil.client(1).await);

    // Register directly, as the creator.
    let split = Split::from_shares([(payee_a, 3), (payee_b, 1)]);
    assert!(split.payees.windows(2).all(|pair| pair[0] < pair[1]));
    let offers = vec![
        offer(OfferKind::OneOff, ETH, ETHER),
        offer(OfferKind::OneOff, CREDITS, 500),
    ];
    let registered = as_creator
        .register(manifest(1), "ipfs://v1", &split, &offers)
        .await
        .expect("register");
    let id = registered.value;
    assert_eq!(id, U256::from(1));
    assert!(registered.receipt.status());
    let event = as_creator
        .event::<tributary_core::chain::ITributary::DatasetRegistered>(&registered.receipt)
        .expect("event");
    assert_eq!(
        (
            event.creator,
            event.manifestHash,
            event.uri.as_str(),
            &event.split,
            &event.offers
        ),
        (creator.address(), manifest(1), "ipfs://v1", &split, &offers)
    );
    let record = as_creator.dataset(id).await.expect("dataset");
    assert_eq!(record.creator, creator.address());
    assert_eq!(record.status, DatasetStatus::Active);
    assert_eq!(record.version_count, 1);

    // Publish a version.
    let version = as_creator
        .publish_version(id, manifest(2), "ipfs://v2")
        .await
        .expect("publish");
    assert_eq!(version.value, 2);
    assert_eq!(
        as_creator.dataset(id).await.expect("dataset").version_count,
        2
    );

    // Buy with ETH as another account.
    let as_buyer = deployed.with_client(&anvil.client(2).await);
    let terms = Terms::new(&split, offers.clone());
    assert!(
        !as_buyer
            .is_licensed(buyer.address(), id)
            .await
            .expect("view")
    );
    let bought = as_buyer
        .purchase(id, &terms, 0, buyer.address())
        .await
        .expect("purchase");
    let token_id = bought.value;
    assert!(
        as_buyer
            .is_licensed(buyer.address(), id)
            .await
            .expect("view")
    );
    assert_eq!(
        as_buyer
            .licensed_until(buyer.address(), id)
            .await
            .expect("view"),
        u64::MAX
    );
    assert_eq!(
        as_buyer.owner_of(token_id).await.expect("owner"),
        buyer.address()
    );
    let licence = as_buyer.licence(token_id).await.expect("licence");
    assert_eq!(licence.datasetId, 1);
    assert_eq!(licence.version, 2);
    assert_eq!(licence.offer_kind(), Ok(OfferKind::OneOff));
    assert!(licence.is_perpetual() && !licence.transferable && !licence.flagged);

    // Release to both payees, sent by a third account: payees pay no gas, so
    // their balances grow by exactly their share of the price after the fee.
    let fee = ETHER * u128::from(FEE_BPS) / 10_000;
    let to_split = ETHER - fee;
    let due_a = U256::from(to_split * 3 / 4);
    let due_b = U256::from(to_split / 4);
    assert_eq!(
        as_buyer
            .total_received(split.hash(), ETH)
            .await
            .expect("view"),
        U256::from(to_split)
    );
    assert_eq!(
        as_buyer.protocol_fees_owed(ETH).await.expect("view"),
        U256::from(fee)
    );
    let as_anyone = deployed.with_client(&anvil.client(7).await);
    for (payee, due) in [(payee_a, due_a), (payee_b, due_b)] {
        assert_eq!(
            as_anyone
                .releasable(ETH, &split, payee)
                .await
                .expect("view"),
            due
        );
        let before = as_anyone.client().balance(payee).await.expect("balance");
        let released = as_anyone
            .release(ETH, &split, payee)
            .await
            .expect("release");
        assert_eq!(released.value, due);
        let after = as_anyone.client().balance(payee).await.expect("balance");
        assert_eq!(after - before, due);
        assert_eq!(
            as_anyone
                .releasable(ETH, &split, payee)
                .await
                .expect("view"),
            U256::ZERO
        );
    }
    let before = as_anyone.client().balance(treasury).await.expect("balance");
    let fees = as_anyone.release_protocol_fees(ETH).await.expect("fees");
    assert_eq!(fees.value, U256::from(fee));
    assert_eq!(
        as_anyone.client().balance(treasury).await.expect("balance") - before,
        U256::from(fee)
    );
    assert_ne!(anyone.address(), Address::ZERO);

    // A second release finds nothing due: the typed error, not retryable.
    let err = as_anyone
        .release(ETH, &split, payee_a)
        .await
        .expect_err("nothing left");
    assert!(!err.retry_may_help());
    assert_eq!(
        err.revert().and_then(Revert::as_tributary),
        Some(&ITributaryErrors::NothingToRelease(
            tributary_core::chain::ITributary::NothingToRelease {}
        ))
    );
}

#[tokio::test]
async fn creator_signatures_are_relayed_by_another_account() {
    let anvil = Anvil::start();
    let deployed = anvil.deploy(account(4).address(), 0).await;
    // The creator holds no ETH and never sends a transaction.
    let creator = Key::from_mnemonic(MNEMONIC, 42).expect("key");
    let relayer = anvil.client(3).await;
    assert_eq!(
        relayer.balance(creator.address()).await.expect("balance"),
        U256::ZERO
    );
    let tributary = deployed.with_client(&relayer);
    let domain = tributary.domain();
    let deadline = U256::from(u64::MAX);

    // Register.
    let split = Split::from_shares([(creator.address(), 1)]);
    let offers = vec![offer(OfferKind::OneOff, ETH, ETHER / 100)];
    let nonce = tributary.nonce(creator.address()).await.expect("nonce");
    assert_eq!(nonce, U256::ZERO);
    let message = Register::new(
        creator.address(),
        manifest(1),
        "ipfs://signed",
        &split,
        &offers,
        nonce,
        deadline,
    );
    let signature = creator.sign_typed(&message, &domain).expect("sign");
    assert_eq!(
        signing::recover_signer(&message, &domain, &signature).expect("recover"),
        creator.address()
    );
    let id = tributary
        .register_with_sig(
            creator.address(),
            manifest(1),
            "ipfs://signed",
            &split,
            &offers,
            deadline,
            &signature,
        )
        .await
        .expect("relayed register")
        .value;
    let record = tributary.dataset(id).await.expect("dataset");
    assert_eq!(record.creator, creator.address());
    assert_eq!(
        tributary.nonce(creator.address()).await.expect("nonce"),
        U256::from(1)
    );

    // The same signature again: its nonce is spent.
    let replay = tributary
        .register_with_sig(
            creator.address(),
            manifest(1),
            "ipfs://signed",
            &split,
            &offers,
            deadline,
            &signature,
        )
        .await;
    assert_eq!(revert_of(replay).to_string(), "InvalidSignature()");

    // Publish a version.
    let message = PublishVersion {
        datasetId: id,
        manifestHash: manifest(2),
        uri: "ipfs://signed-v2".into(),
        nonce: U256::from(1),
        deadline,
    };
    let signature = creator.sign_typed(&message, &domain).expect("sign");
    let version = tributary
        .publish_version_with_sig(id, manifest(2), "ipfs://signed-v2", deadline, &signature)
        .await
        .expect("relayed publish");
    assert_eq!(version.value, 2);

    // New terms.
    let new_offers = vec![offer(OfferKind::OneOff, ETH, ETHER / 10)];
    let message = SetTerms::new(id, &split, &new_offers, U256::from(2), deadline);
    let signature = creator.sign_typed(&message, &domain).expect("sign");
    tributary
        .set_terms_with_sig(id, &split, &new_offers, deadline, &signature)
        .await
        .expect("relayed terms");
    assert_eq!(
        tributary.dataset(id).await.expect("dataset").terms_hash,
        Terms::new(&split, new_offers).hash()
    );

    // Pause.
    let message = SetStatus::new(id, DatasetStatus::Paused, U256::from(3), deadline);
    let signature = creator.sign_typed(&message, &domain).expect("sign");
    tributary
        .set_status_with_sig(id, DatasetStatus::Paused, deadline, &signature)
        .await
        .expect("relayed status");
    assert_eq!(
        tributary.dataset(id).await.expect("dataset").status,
        DatasetStatus::Paused
    );
    assert_eq!(
        tributary.nonce(creator.address()).await.expect("nonce"),
        U256::from(4)
    );

    // Someone else's signature, and an expired one, are refused.
    let intruder = account(8);
    let message = SetStatus::new(id, DatasetStatus::Retired, U256::from(4), deadline);
    let signature = intruder.sign_typed(&message, &domain).expect("sign");
    assert!(!signing::verify(
        &message,
        &domain,
        &signature,
        creator.address()
    ));
    let forged = tributary
        .set_status_with_sig(id, DatasetStatus::Retired, deadline, &signature)
        .await;
    assert_eq!(revert_of(forged).to_string(), "InvalidSignature()");

    let past = U256::from(1);
    let message = SetStatus::new(id, DatasetStatus::Retired, U256::from(4), past);
    let signature = creator.sign_typed(&message, &domain).expect("sign");
    let expired = tributary
        .set_status_with_sig(id, DatasetStatus::Retired, past, &signature)
        .await;
    assert_eq!(
        revert_of(expired).to_string(),
        "SignatureExpired(deadline=1)"
    );

    // A signature for another contract (another domain) is refused too.
    let elsewhere = signing::domain(tributary.client().chain_id(), Address::repeat_byte(0x42));
    let signature = creator.sign_typed(&message, &elsewhere).expect("sign");
    let wrong_domain = tributary
        .set_status_with_sig(id, DatasetStatus::Retired, deadline, &signature)
        .await;
    assert_eq!(revert_of(wrong_domain).to_string(), "InvalidSignature()");
}

#[tokio::test]
async fn reverts_are_decoded_into_the_custom_errors() {
    let anvil = Anvil::start();
    let deployed = anvil.deploy(account(4).address(), 0).await;
    let as_creator = deployed.with_client(&anvil.client(1).await);
    let split = Split::from_shares([(account(1).address(), 1)]);
    let offers = vec![offer(OfferKind::OneOff, ETH, ETHER)];
    let id = as_creator
        .register(manifest(1), "ipfs://v1", &split, &offers)
        .await
        .expect("register")
        .value;
    let buyer = account(2).address();
    let as_buyer = deployed.with_client(&anvil.client(2).await);
    let terms = Terms::new(&split, offers.clone());

    // Wrong ETH value.
    let err = as_buyer
        .purchase_paying(id, &terms, 0, buyer, U256::from(ETHER - 1))
        .await
        .expect_err("underpaid");
    assert!(!err.retry_may_help());
    let revert = err.revert().expect("a revert").clone();
    match revert.as_tributary() {
        Some(ITributaryErrors::WrongPayment(wrong)) => {
            assert_eq!(
                (wrong.expected, wrong.sent),
                (U256::from(ETHER), U256::from(ETHER - 1))
            );
        }
        other => panic!("expected WrongPayment, got {other:?}"),
    }
    assert_eq!(revert.error_name(), Some("WrongPayment"));
    assert_eq!(
        err.to_string(),
        format!(
            "contract reverted: WrongPayment(expected={ETHER}, sent={})",
            ETHER - 1
        )
    );

    // Tampered terms: a lower price than the creator set.
    let mut cheap = offers.clone();
    cheap[0].price = 1;
    let err = as_buyer
        .purchase(id, &Terms::new(&split, cheap), 0, buyer)
        .await
        .expect_err("tampered");
    assert_eq!(
        err.to_string(),
        "contract reverted: TermsMismatch(datasetId=1)"
    );

    // Unknown dataset and an offer index out of range.
    let unknown = as_buyer.purchase(U256::from(9), &terms, 0, buyer).await;
    assert_eq!(
        revert_of(unknown).to_string(),
        "UnknownDataset(datasetId=9)"
    );
    let out_of_range = as_buyer.purchase(id, &terms, 5, buyer).await;
    assert_eq!(
        revert_of(out_of_range).to_string(),
        "OfferIndexOutOfRange(index=5)"
    );

    // Enum arguments read by name.
    as_creator
        .set_status(id, DatasetStatus::Paused)
        .await
        .expect("pause");
    let paused = as_buyer.purchase(id, &terms, 0, buyer).await;
    assert_eq!(
        revert_of(paused).to_string(),
        "DatasetNotActive(datasetId=1, status=Paused)"
    );
    let same = as_creator.set_status(id, DatasetStatus::Paused).await;
    assert_eq!(
        revert_of(same).to_string(),
        "InvalidStatusTransition(from=Paused, to=Paused)"
    );

    // A view reverts the same way.
    let not_payee = as_buyer.releasable(ETH, &split, buyer).await;
    assert_eq!(
        revert_of(not_payee).to_string(),
        format!("NotPayee(account={buyer})")
    );

    // Errors of the inherited OpenZeppelin code: a role the sender lacks.
    let minted = as_buyer
        .mint_credits(B256::repeat_byte(1), buyer, U256::from(10))
        .await;
    match revert_of(minted) {
        Revert::Inherited(TributaryInheritedErrors::AccessControlUnauthorizedAccount(denied)) => {
            assert_eq!(denied.account, buyer);
            assert_eq!(denied.neededRole, keccak256("RELAYER_ROLE"));
        }
        other => panic!("expected AccessControlUnauthorizedAccount, got {other:?}"),
    }
}

#[tokio::test]
async fn credits_buy_licences_and_reversals_flag_them() {
    let anvil = Anvil::start();
    let deployed = anvil.deploy(account(4).address(), 0).await;
    let admin = deployed.with_client(&anvil.client(0).await);
    let relayer_key = account(3);
    let relayer = deployed.with_client(&anvil.client(3).await);
    let role = admin.relayer_role().await.expect("role");
    admin
        .grant_role(role, relayer_key.address())
        .await
        .expect("grant");
    assert!(
        admin
            .has_role(role, relayer_key.address())
            .await
            .expect("hasRole")
    );

    let as_creator = deployed.with_client(&anvil.client(1).await);
    let split = Split::from_shares([(account(1).address(), 1)]);
    let offers = vec![offer(OfferKind::OneOff, CREDITS, 500)];
    let id = as_creator
        .register(manifest(1), "ipfs://v1", &split, &offers)
        .await
        .expect("register")
        .value;

    // The card buyer has no wallet funds; the relayer credits and spends for them.
    let card_buyer = Key::from_mnemonic(MNEMONIC, 43).expect("key").address();
    let payment = keccak256("pi_3Test");
    relayer
        .mint_credits(payment, card_buyer, U256::from(800))
        .await
        .expect("mint");
    assert_eq!(
        relayer.credit_balance(card_buyer).await.expect("view"),
        U256::from(800)
    );
    let again = relayer
        .mint_credits(payment, card_buyer, U256::from(800))
        .await;
    assert_eq!(
        revert_of(again).to_string(),
        format!("PaymentAlreadyCredited(paymentId={payment})")
    );

    let terms = Terms::new(&split, offers);
    let token = relayer
        .purchase_with_credits(payment, id, &terms, 0, card_buyer)
        .await
        .expect("buy with credits")
        .value;
    assert!(relayer.is_licensed(card_buyer, id).await.expect("view"));
    assert_eq!(
        relayer.credit_balance(card_buyer).await.expect("view"),
        U256::from(300)
    );
    let record = relayer.credit_payment(payment).await.expect("view");
    assert_eq!(
        (record.account, record.spent),
        (card_buyer, alloy::primitives::aliases::U96::from(500))
    );

    let too_dear = relayer
        .purchase_with_credits(payment, id, &terms, 0, card_buyer)
        .await;
    assert_eq!(
        revert_of(too_dear).to_string(),
        format!("InsufficientCredits(paymentId={payment}, available=300, needed=500)")
    );

    let flagged = relayer.reverse_credits(payment).await.expect("reverse");
    assert_eq!(flagged.value, vec![token]);
    assert!(relayer.licence(token).await.expect("licence").flagged);
    assert_eq!(
        relayer.credit_balance(card_buyer).await.expect("view"),
        U256::ZERO
    );
}

#[tokio::test]
async fn waits_for_the_configured_confirmations() {
    let anvil = Anvil::start();
    let deployed = anvil.deploy(account(4).address(), 0).await;
    let split = Split::from_shares([(account(1).address(), 1)]);
    let offers = vec![offer(OfferKind::OneOff, ETH, ETHER)];

    // anvil mines one block per transaction and no more: two confirmations
    // never come on their own, so the wait times out, and says a retry may help.
    let config = Config::default()
        .with_confirmations(2)
        .with_receipt_timeout(Duration::from_secs(2))
        .with_poll_interval(Duration::from_millis(50));
    let patient = deployed.with_client(&anvil.client_with(&account(1), config).await);
    let err = patient
        .register(manifest(1), "ipfs://v1", &split, &offers)
        .await
        .expect_err("no second block");
    assert!(
        matches!(
            err,
            Error::ReceiptTimeout {
                confirmations: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.retry_may_help());
    // It was mined all the same: the caller must look before resending.
    assert_eq!(patient.dataset_count().await.expect("count"), U256::from(1));

    // With another block mined meanwhile, the second confirmation arrives.
    let config = Config::default()
        .with_confirmations(2)
        .with_receipt_timeout(Duration::from_secs(30))
        .with_poll_interval(Duration::from_millis(50));
    let patient = deployed.with_client(&anvil.client_with(&account(1), config).await);
    let miner = patient.client().provider().clone();
    let mine = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        miner
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .expect("evm_mine")
    });
    let confirmed = patient
        .register(manifest(2), "ipfs://v2", &split, &offers)
        .await
        .expect("two confirmations");
    mine.await.expect("miner task");
    let mined_in = confirmed.receipt.block_number.expect("mined");
    let head = patient
        .client()
        .provider()
        .get_block_number()
        .await
        .expect("head");
    assert!(head > mined_in, "head {head}, mined in {mined_in}");
}

#[tokio::test]
async fn connection_problems_are_typed() {
    let anvil = Anvil::start();
    let deployed = anvil.deploy(account(4).address(), 0).await;

    // Without a key: views work, transactions are refused before reaching the node.
    let reader = Client::connect(anvil.url(), None, Config::default())
        .await
        .expect("connect");
    assert_eq!(reader.sender(), None);
    let tributary = deployed.with_client(&reader);
    assert_eq!(tributary.dataset_count().await.expect("view"), U256::ZERO);
    let err = tributary.pause().await.expect_err("no key");
    assert!(matches!(err, Error::NoSigner), "{err}");

    // The wrong chain.
    let err = Client::connect(anvil.url(), None, Config::default().with_chain_id(1))
        .await
        .expect_err("wrong chain");
    assert!(
        matches!(
            err,
            Error::WrongChain {
                expected: 1,
                actual: 31337
            }
        ),
        "{err}"
    );

    // A bad URL, and a node that is not there (may come back: retryable).
    let err = Client::connect("not a url", None, Config::default())
        .await
        .expect_err("bad url");
    assert!(matches!(err, Error::InvalidRpcUrl(_)), "{err}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port");
    let err = Client::connect(&format!("http://{closed}"), None, Config::default())
        .await
        .expect_err("nobody listens");
    assert!(matches!(err, Error::Rpc(_)), "{err}");
    assert!(err.retry_may_help(), "{err}");
    // The URL is not repeated: RPC URLs often carry API keys.
    assert!(!err.to_string().contains(&closed.to_string()), "{err}");
}
