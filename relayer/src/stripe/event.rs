//! What a verified Stripe event asks of the chain.
//!
//! Mapping (see `docs/relayer.md`):
//!
//! | event | condition | action |
//! |---|---|---|
//! | `checkout.session.completed`, `checkout.session.async_payment_succeeded` | `payment_status` = `paid`, a `payment_intent`, `metadata.buyer` | mint `amount_total` |
//! | `payment_intent.succeeded` | `status` = `succeeded`, `metadata.buyer` | mint `amount_received` |
//! | `charge.refunded` | a `payment_intent`, `refunded` = true (fully refunded) | reverse |
//! | `charge.refunded` | `refunded` = false (a partial refund so far) | stored, nothing sent |
//! | `charge.dispute.created` | a `payment_intent` | reverse |
//! | `charge.dispute.closed` | `status` = `lost`, a `payment_intent` | reverse (once: the job is per payment) |
//! | `charge.dispute.closed` | `status` = `won` (or any other) | stored, nothing sent: a reversal is final on-chain |
//! | `account.updated` | an `acct_…` id, `payouts_enabled` | a creator's payout status |
//! | anything else, or no buyer / no PaymentIntent | | stored, nothing sent |
//!
//! The payment id on-chain is `keccak256(PaymentIntent id as UTF-8)`: the one
//! identifier that the session, the PaymentIntent, its charges, refunds and
//! disputes all carry, so every event of one payment lands on the same id.
//! The amount is in the currency's smallest unit (cents for USD): one credit
//! per cent.

use std::str::FromStr;

use alloy::primitives::{Address, B256, U256, keccak256};
use serde_json::{Map, Value};

/// A verified event, as far as the relayer reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Stripe's event id (`evt_…`): the store's primary key.
    pub id: String,
    /// The event type, e.g. `checkout.session.completed`.
    pub kind: String,
    /// When Stripe created it (Unix seconds).
    pub created: i64,
    /// Live or test mode.
    pub livemode: bool,
    /// What the chain must do about it.
    pub action: Action,
}

/// What an event asks of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Credit a paid payment.
    Mint(Mint),
    /// Reverse a refunded or disputed payment.
    Reverse(Reverse),
    /// A connected account changed (`account.updated`): its creator's
    /// payout status follows it.
    Account(AccountUpdate),
    /// Nothing: the event is stored and acknowledged. The reason is logged
    /// and stored.
    Ignore(String),
}

/// What `account.updated` says of a connected account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUpdate {
    /// The connected account (`acct_…`).
    pub account: String,
    /// Stripe can pay out to it (KYC done): transfers to it are made.
    pub payouts_enabled: bool,
    /// The creator finished Stripe's onboarding form.
    pub details_submitted: bool,
}

/// `mintCredits(payment_id, account, amount)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mint {
    /// The Stripe PaymentIntent id (`pi_…`).
    pub payment_intent: String,
    /// `keccak256(payment_intent)`.
    pub payment_id: B256,
    /// The buyer's wallet (`metadata.buyer`).
    pub account: Address,
    /// Credits: the amount paid in the currency's smallest unit.
    pub amount: U256,
    /// The licence to buy with those credits once they are minted
    /// (`metadata.dataset` and `metadata.offer`, set by the API's card
    /// purchase), if the payment names one.
    pub purchase: Option<Purchase>,
}

/// A licence a card payment pays for: bought for the buyer with the
/// payment's credits after the mint (`purchaseWithCredits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    /// The dataset (`metadata.dataset`, decimal).
    pub dataset_id: U256,
    /// The offer's index in the dataset's current terms (`metadata.offer`, decimal).
    pub offer_index: u32,
}

/// `reverseCredits(payment_id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reverse {
    /// The Stripe PaymentIntent id (`pi_…`).
    pub payment_intent: String,
    /// `keccak256(payment_intent)`.
    pub payment_id: B256,
}

/// A verified body the relayer cannot act on: answered 400 and logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEvent(pub String);

/// The on-chain payment id of a Stripe PaymentIntent.
pub fn payment_id(payment_intent: &str) -> B256 {
    keccak256(payment_intent.as_bytes())
}

/// Reads a verified event body for the currency `currency` (lowercase ISO
/// code, e.g. `usd`: credits count its smallest unit, so one relayer serves
/// one currency).
pub fn parse(body: &[u8], currency: &str) -> Result<Event, InvalidEvent> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| InvalidEvent(format!("the body is not JSON: {error}")))?;
    let event = value
        .as_object()
        .ok_or_else(|| invalid("the body is not a JSON object"))?;
    let id = string(event, "id")?
        .ok_or_else(|| invalid("the event has no id"))?
        .to_owned();
    if !id.starts_with("evt_") || id.len() > 255 {
        return Err(invalid("the event id is not an evt_… id"));
    }
    let kind = string(event, "type")?
        .ok_or_else(|| invalid("the event has no type"))?
        .to_owned();
    let created = event
        .get("created")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("the event has no created timestamp"))?;
    let livemode = event
        .get("livemode")
        .and_then(Value::as_bool)
        .ok_or_else(|| invalid("the event has no livemode flag"))?;
    let object = event
        .get("data")
        .and_then(|data| data.get("object"))
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("the event has no data.object"))?;
    let action = match kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            checkout_session(object, currency)?
        }
        "payment_intent.succeeded" => payment_intent(object, currency)?,
        "charge.refunded" => refund(object)?,
        "charge.dispute.created" => reversal(object)?,
        "charge.dispute.closed" => dispute_closed(object)?,
        "account.updated" => account_updated(object)?,
        _ => Action::Ignore(format!("{kind} is not an event the relayer acts on")),
    };
    Ok(Event {
        id,
        kind,
        created,
        livemode,
        action,
    })
}

fn account_updated(object: &Map<String, Value>) -> Result<Action, InvalidEvent> {
    let account = string(object, "id")?.ok_or_else(|| invalid("the account has no id"))?;
    let well_formed = account.len() <= 255
        && account.strip_prefix("acct_").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if !well_formed {
        return Err(invalid("the account id is not an acct_… id"));
    }
    let flag = |name: &str| match object.get(name) {
        Some(Value::Bool(value)) => Ok(*value),
        None | Some(Value::Null) => Ok(false),
        Some(_) => Err(InvalidEvent(format!("{name} is not a boolean"))),
    };
    if !object.get("payouts_enabled").is_some_and(Value::is_boolean) {
        return Err(invalid("the account has no payouts_enabled flag"));
    }
    Ok(Action::Account(AccountUpdate {
        account: account.to_owned(),
        payouts_enabled: flag("payouts_enabled")?,
        details_submitted: flag("details_submitted")?,
    }))
}

fn checkout_session(object: &Map<String, Value>, currency: &str) -> Result<Action, InvalidEvent> {
    match string(object, "payment_status")? {
        Some("paid") => {}
        Some(status) => return Ok(Action::Ignore(format!("payment_status is {status}"))),
        None => return Err(invalid("the session has no payment_status")),
    }
    let Some(payment_intent) = expandable_id(object, "payment_intent")? else {
        return Ok(Action::Ignore(
            "the session has no PaymentIntent (not a one-off payment)".into(),
        ));
    };
    mint(object, payment_intent, "amount_total", currency)
}

fn payment_intent(object: &Map<String, Value>, currency: &str) -> Result<Action, InvalidEvent> {
    let payment_intent =
        string(object, "id")?.ok_or_else(|| invalid("the PaymentIntent has no id"))?;
    match string(object, "status")? {
        Some("succeeded") => {}
        Some(status) => return Ok(Action::Ignore(format!("status is {status}"))),
        None => return Err(invalid("the PaymentIntent has no status")),
    }
    mint(object, payment_intent, "amount_received", currency)
}

fn mint(
    object: &Map<String, Value>,
    payment_intent: &str,
    amount_field: &str,
    currency: &str,
) -> Result<Action, InvalidEvent> {
    let payment_intent = checked_payment_intent(payment_intent)?;
    let buyer = object
        .get("metadata")
        .and_then(Value::as_object)
        .and_then(|metadata| metadata.get("buyer"));
    let buyer = match buyer {
        None | Some(Value::Null) => {
            return Ok(Action::Ignore(
                "no metadata.buyer: not a Tributary purchase".into(),
            ));
        }
        Some(Value::String(buyer)) => buyer,
        Some(_) => return Err(invalid("metadata.buyer is not a string")),
    };
    let account = address(buyer)?;
    let paid_in = string(object, "currency")?.ok_or_else(|| invalid("no currency"))?;
    if !paid_in.eq_ignore_ascii_case(currency) {
        return Err(InvalidEvent(format!(
            "the payment is in {paid_in}, this relayer credits {currency}"
        )));
    }
    let amount = object
        .get(amount_field)
        .and_then(Value::as_u64)
        .ok_or_else(|| InvalidEvent(format!("{amount_field} is not a non-negative integer")))?;
    if amount == 0 {
        return Err(InvalidEvent(format!(
            "{amount_field} is zero: nothing to credit"
        )));
    }
    let purchase = purchase(object)?;
    Ok(Action::Mint(Mint {
        payment_id: payment_id(&payment_intent),
        payment_intent,
        account,
        amount: U256::from(amount),
        purchase,
    }))
}

/// `metadata.dataset` and `metadata.offer`: both (a licence to buy after the
/// mint) or neither (credits only); one without the other, or values that
/// are not decimal numbers, are refused.
fn purchase(object: &Map<String, Value>) -> Result<Option<Purchase>, InvalidEvent> {
    let metadata = object.get("metadata").and_then(Value::as_object);
    let field = |name: &str| -> Result<Option<&str>, InvalidEvent> {
        match metadata.and_then(|metadata| metadata.get(name)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(InvalidEvent(format!("metadata.{name} is not a string"))),
        }
    };
    let decimal = |text: &str| {
        !text.is_empty() && text.len() <= 78 && text.bytes().all(|b| b.is_ascii_digit())
    };
    match (field("dataset")?, field("offer")?) {
        (None, None) => Ok(None),
        (Some(dataset), Some(offer)) => {
            let dataset_id = Some(dataset)
                .filter(|text| decimal(text))
                .and_then(|text| U256::from_str_radix(text, 10).ok())
                .filter(|id| !id.is_zero())
                .ok_or_else(|| invalid("metadata.dataset is not a dataset id (decimal)"))?;
            let offer_index = Some(offer)
                .filter(|text| decimal(text))
                .and_then(|text| text.parse::<u32>().ok())
                .ok_or_else(|| invalid("metadata.offer is not an offer index (decimal)"))?;
            Ok(Some(Purchase {
                dataset_id,
                offer_index,
            }))
        }
        _ => Err(invalid(
            "metadata names a dataset without an offer, or an offer without a dataset",
        )),
    }
}

fn reversal(object: &Map<String, Value>) -> Result<Action, InvalidEvent> {
    let Some(payment_intent) = expandable_id(object, "payment_intent")? else {
        return Ok(Action::Ignore(
            "no PaymentIntent: not a payment the relayer credits".into(),
        ));
    };
    let payment_intent = checked_payment_intent(payment_intent)?;
    Ok(Action::Reverse(Reverse {
        payment_id: payment_id(&payment_intent),
        payment_intent,
    }))
}

/// The note stored for a partial refund.
pub const PARTIAL_REFUND: &str = "partial refund";

/// The note stored for a dispute closed as won.
pub const DISPUTE_WON: &str = "dispute won";

/// `charge.refunded`: Stripe sends one per refund, each carrying the
/// charge with its cumulative `amount_refunded` and `refunded` (true once the
/// whole charge is refunded). The contract's `reverseCredits` reverses a
/// whole payment and cannot be undone, so only a full refund reverses; a
/// partial one is stored with its reason and the credits stay. Successive
/// partial refunds that add up to the amount make Stripe's last event say
/// `refunded: true` (or `amount_refunded` = `amount`): that one reverses.
fn refund(object: &Map<String, Value>) -> Result<Action, InvalidEvent> {
    let refunded = match object.get("refunded") {
        Some(Value::Bool(flag)) => *flag,
        _ => return Err(invalid("the charge has no refunded flag")),
    };
    let cents = |field: &str| -> Result<Option<u64>, InvalidEvent> {
        match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| InvalidEvent(format!("{field} is not a non-negative integer"))),
        }
    };
    let amount = cents("amount")?;
    let amount_refunded = cents("amount_refunded")?;
    let whole = refunded
        || matches!((amount, amount_refunded), (Some(amount), Some(back)) if amount > 0 && back >= amount);
    if whole {
        return reversal(object);
    }
    let so_far = match (amount_refunded, amount) {
        (Some(back), Some(amount)) => format!("{back} of {amount} refunded so far"),
        (Some(back), None) => format!("{back} refunded so far"),
        _ => "the charge is not fully refunded".to_owned(),
    };
    Ok(Action::Ignore(format!(
        "{PARTIAL_REFUND} ({so_far}): the contract's reverseCredits reverses a whole payment, \
         so the credits stay; the payment is reversed once its refunds reach the full amount"
    )))
}

/// `charge.dispute.closed`. `lost`: the money is gone, the payment is
/// reversed (a no-op when `charge.dispute.created` already made the job;
/// the reversal itself when that event never came). `won`: nothing is sent.
/// The contract has no way back from a reversal (`reverseCredits` marks the
/// payment id reversed for ever and `mintCredits` refuses it with
/// `PaymentAlreadyReversed`), so credits reversed at `dispute.created` cannot
/// be restored on-chain under that payment; the buyer is settled off-chain.
fn dispute_closed(object: &Map<String, Value>) -> Result<Action, InvalidEvent> {
    match string(object, "status")? {
        Some("lost") => reversal(object),
        Some("won") => Ok(Action::Ignore(format!(
            "{DISPUTE_WON}: a reversal is final on-chain (the payment id is spent: mintCredits \
             refuses it with PaymentAlreadyReversed), so credits reversed when the dispute \
             opened are not restored; settle with the buyer off-chain"
        ))),
        Some(status) => Ok(Action::Ignore(format!(
            "dispute closed as {status}: nothing to reverse"
        ))),
        None => Err(invalid("the dispute has no status")),
    }
}

fn checked_payment_intent(id: &str) -> Result<String, InvalidEvent> {
    let well_formed = id.len() <= 255
        && id.strip_prefix("pi_").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    if well_formed {
        Ok(id.to_owned())
    } else {
        Err(invalid("the PaymentIntent id is not a pi_… id"))
    }
}

/// A buyer wallet: 0x and 40 hex digits; mixed case must carry a valid EIP-55
/// checksum; never the zero address.
fn address(text: &str) -> Result<Address, InvalidEvent> {
    let hex = text
        .strip_prefix("0x")
        .ok_or_else(|| invalid("metadata.buyer is not a 0x address"))?;
    let mixed =
        hex.bytes().any(|b| b.is_ascii_uppercase()) && hex.bytes().any(|b| b.is_ascii_lowercase());
    let parsed = if mixed {
        Address::parse_checksummed(text, None)
            .map_err(|_| invalid("metadata.buyer has a wrong EIP-55 checksum"))?
    } else {
        Address::from_str(text).map_err(|_| invalid("metadata.buyer is not a 0x address"))?
    };
    if parsed.is_zero() {
        return Err(invalid("metadata.buyer is the zero address"));
    }
    Ok(parsed)
}

/// A field holding a string, or null/absent.
fn string<'a>(
    object: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, InvalidEvent> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(InvalidEvent(format!("{field} is not a string"))),
    }
}

/// An expandable field: an id string, or the expanded object with its `id`.
fn expandable_id<'a>(
    object: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, InvalidEvent> {
    match object.get(field) {
        Some(Value::Object(expanded)) => string(expanded, "id"),
        _ => string(object, field),
    }
}

fn invalid(message: &str) -> InvalidEvent {
    InvalidEvent(message.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const BUYER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

    fn event(kind: &str, object: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": "evt_1", "object": "event", "type": kind, "created": 1_700_000_000,
            "livemode": false, "data": { "object": object }
        }))
        .expect("json")
    }

    fn session(status: &str) -> Value {
        json!({
            "id": "cs_test_1", "object": "checkout.session", "payment_status": status,
            "payment_intent": "pi_123", "amount_total": 1999, "currency": "usd",
            "metadata": { "buyer": BUYER }
        })
    }

    #[test]
    fn a_paid_session_and_its_payment_intent_mint_the_same_payment() {
        let from_session = parse(&event("checkout.session.completed", session("paid")), "usd")
            .expect("valid")
            .action;
        let intent = json!({
            "id": "pi_123", "object": "payment_intent", "status": "succeeded",
            "amount_received": 1999, "currency": "usd", "metadata": { "buyer": BUYER.to_lowercase() }
        });
        let from_intent = parse(&event("payment_intent.succeeded", intent), "usd")
            .expect("valid")
            .action;
        let expected = Action::Mint(Mint {
            payment_intent: "pi_123".into(),
            payment_id: keccak256(b"pi_123"),
            account: BUYER.parse().expect("address"),
            amount: U256::from(1999),
            purchase: None,
        });
        assert_eq!(from_session, expected);
        assert_eq!(from_intent, expected);
    }

    #[test]
    fn a_payment_naming_a_dataset_and_offer_asks_for_the_licence() {
        let mut object = session("paid");
        object["metadata"] = json!({"buyer": BUYER, "dataset": "3", "offer": "1"});
        let Action::Mint(mint) = parse(&event("checkout.session.completed", object), "usd")
            .expect("valid")
            .action
        else {
            panic!("a mint");
        };
        assert_eq!(
            mint.purchase,
            Some(Purchase {
                dataset_id: U256::from(3),
                offer_index: 1
            })
        );
        for (metadata, reason) in [
            (json!({"buyer": BUYER, "dataset": "3"}), "without an offer"),
            (json!({"buyer": BUYER, "offer": "0"}), "without an offer"),
            (
                json!({"buyer": BUYER, "dataset": "x", "offer": "0"}),
                "metadata.dataset",
            ),
            (
                json!({"buyer": BUYER, "dataset": "0", "offer": "0"}),
                "metadata.dataset",
            ),
            (
                json!({"buyer": BUYER, "dataset": "3", "offer": "-1"}),
                "metadata.offer",
            ),
            (
                json!({"buyer": BUYER, "dataset": "3", "offer": 1}),
                "not a string",
            ),
        ] {
            let mut object = session("paid");
            object["metadata"] = metadata;
            let error =
                parse(&event("checkout.session.completed", object), "usd").expect_err(reason);
            assert!(error.0.contains(reason), "{reason}: {error}");
        }
    }

    #[test]
    fn refunds_and_disputes_reverse_by_payment_intent_expanded_or_not() {
        for (kind, object) in [
            (
                "charge.refunded",
                json!({"id": "ch_1", "payment_intent": "pi_123", "refunded": true}),
            ),
            (
                "charge.refunded",
                json!({"id": "ch_1", "payment_intent": "pi_123", "refunded": false,
                       "amount": 500, "amount_refunded": 500}),
            ),
            (
                "charge.dispute.created",
                json!({"id": "dp_1", "payment_intent": {"id": "pi_123"}}),
            ),
            (
                "charge.dispute.closed",
                json!({"id": "dp_1", "payment_intent": "pi_123", "status": "lost"}),
            ),
        ] {
            let action = parse(&event(kind, object), "usd").expect("valid").action;
            assert_eq!(
                action,
                Action::Reverse(Reverse {
                    payment_intent: "pi_123".into(),
                    payment_id: payment_id("pi_123"),
                })
            );
        }
    }

    #[test]
    fn partial_refunds_and_won_or_withdrawn_disputes_send_nothing() {
        for (kind, object, note) in [
            (
                "charge.refunded",
                json!({"id": "ch_1", "payment_intent": "pi_123", "refunded": false,
                       "amount": 1000, "amount_refunded": 300}),
                "partial refund (300 of 1000 refunded so far)",
            ),
            (
                "charge.dispute.closed",
                json!({"id": "dp_1", "payment_intent": "pi_123", "status": "won"}),
                "settle with the buyer off-chain",
            ),
            (
                "charge.dispute.closed",
                json!({"id": "dp_1", "payment_intent": "pi_123", "status": "warning_closed"}),
                "closed as warning_closed",
            ),
        ] {
            match parse(&event(kind, object), "usd").expect("valid").action {
                Action::Ignore(reason) => assert!(reason.contains(note), "{reason}"),
                action => panic!("{kind}: {action:?}"),
            }
        }
        for (kind, object, reason) in [
            (
                "charge.refunded",
                json!({"id": "ch_1", "payment_intent": "pi_123"}),
                "refunded flag",
            ),
            (
                "charge.refunded",
                json!({"id": "ch_1", "payment_intent": "pi_123", "refunded": false, "amount_refunded": -1}),
                "non-negative",
            ),
            (
                "charge.dispute.closed",
                json!({"id": "dp_1", "payment_intent": "pi_123"}),
                "no status",
            ),
        ] {
            let error = parse(&event(kind, object), "usd").expect_err(reason);
            assert!(error.0.contains(reason), "{reason}: {error}");
        }
    }

    #[test]
    fn unpaid_foreign_and_unknown_events_are_ignored() {
        for body in [
            event("checkout.session.completed", session("unpaid")),
            event(
                "checkout.session.completed",
                json!({"payment_status": "paid", "payment_intent": null}),
            ),
            event("customer.created", json!({"id": "cus_1"})),
            event("checkout.session.completed", {
                let mut object = session("paid");
                object["metadata"] = json!({});
                object
            }),
        ] {
            let action = parse(&body, "usd").expect("valid").action;
            assert!(matches!(action, Action::Ignore(_)), "{action:?}");
        }
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let with = |field: &str, value: Value| {
            let mut object = session("paid");
            object[field] = value;
            event("checkout.session.completed", object)
        };
        for (body, reason) in [
            (b"not json".to_vec(), "not JSON"),
            (b"[]".to_vec(), "not a JSON object"),
            (
                with("metadata", json!({"buyer": "0x1234"})),
                "not a 0x address",
            ),
            (
                with(
                    "metadata",
                    json!({"buyer": "0x70997970c51812dc3a010c7d01b50e0d17dc79C8"}),
                ),
                "checksum",
            ),
            (
                with(
                    "metadata",
                    json!({"buyer": "0x0000000000000000000000000000000000000000"}),
                ),
                "zero address",
            ),
            (with("currency", json!("eur")), "in eur"),
            (with("amount_total", json!(0)), "zero"),
            (with("amount_total", json!(-5)), "non-negative"),
            (with("amount_total", json!("12")), "non-negative"),
            (with("payment_intent", json!("ch_1")), "pi_"),
            (
                with("payment_intent", json!("pi_1'; DROP TABLE jobs")),
                "pi_",
            ),
            (with("payment_intent", json!(12)), "not a string"),
        ] {
            let error = parse(&body, "usd").expect_err(reason);
            assert!(error.0.contains(reason), "{reason}: {error}");
        }
    }
}
