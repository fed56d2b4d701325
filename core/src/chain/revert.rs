//! Revert data decoded into the contract's errors.

use std::{collections::HashMap, fmt, sync::LazyLock};

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    hex,
    json_abi::{self, InternalType, JsonAbi, Param},
    primitives::{Bytes, Selector},
    sol_types::{Panic, Revert as RevertString, SolError, SolInterface},
};

use super::{
    DatasetStatus, ITributary::ITributaryErrors, OfferKind,
    TributaryInherited::TributaryInheritedErrors,
};

/// Why a call to the Tributary contract reverted.
///
/// Its `Display` names the error and its arguments as the interfaces declare
/// them, e.g. `TermsMismatch(datasetId=3)` or
/// `DatasetNotActive(datasetId=2, status=Paused)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revert {
    /// A custom error of the Tributary interfaces (`contracts/interfaces/`).
    Tributary(ITributaryErrors),
    /// A custom error of the library code the deployable inherits
    /// (OpenZeppelin, Solady): roles, ERC-721, pause, reentrancy lock, token
    /// transfers.
    Inherited(TributaryInheritedErrors),
    /// `revert("…")` or `require(…, "…")` with a message.
    Message(String),
    /// A Solidity panic (failed `assert`, arithmetic overflow, …).
    Panic(Panic),
    /// Revert data no known error matches; empty when the revert carried none.
    Unknown(Bytes),
}

impl Revert {
    /// Decodes revert data (selector and arguments).
    pub fn decode(data: &[u8]) -> Self {
        if let Ok(error) = ITributaryErrors::abi_decode(data) {
            Self::Tributary(error)
        } else if let Ok(error) = TributaryInheritedErrors::abi_decode(data) {
            Self::Inherited(error)
        } else if let Ok(revert) = RevertString::abi_decode(data) {
            Self::Message(revert.reason)
        } else if let Ok(panic) = Panic::abi_decode(data) {
            Self::Panic(panic)
        } else {
            Self::Unknown(Bytes::copy_from_slice(data))
        }
    }

    /// The Tributary custom error, if it is one.
    pub fn as_tributary(&self) -> Option<&ITributaryErrors> {
        match self {
            Self::Tributary(error) => Some(error),
            _ => None,
        }
    }

    /// The custom error's name, as in Solidity (`None` for messages, panics
    /// and unknown data).
    pub fn error_name(&self) -> Option<&'static str> {
        let selector = match self {
            Self::Tributary(error) => error.selector(),
            Self::Inherited(error) => error.selector(),
            _ => return None,
        };
        ERRORS
            .get(&Selector::from(selector))
            .map(|error| error.name.as_str())
    }

    /// The revert data again: selector and ABI-encoded arguments.
    pub fn data(&self) -> Bytes {
        match self {
            Self::Tributary(error) => error.abi_encode().into(),
            Self::Inherited(error) => error.abi_encode().into(),
            Self::Message(reason) => RevertString::from(reason.as_str()).abi_encode().into(),
            Self::Panic(panic) => panic.abi_encode().into(),
            Self::Unknown(data) => data.clone(),
        }
    }
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tributary(_) | Self::Inherited(_) => {
                let data = self.data();
                let declared = ERRORS.get(&Selector::from_slice(&data[..4]));
                match declared
                    .and_then(|error| Some((error, error.abi_decode_input(&data[4..]).ok()?)))
                {
                    Some((error, values)) => write_call(f, &error.name, &error.inputs, &values),
                    // Unreachable while abi/ and the bindings come from the same files.
                    None => write!(f, "{self:?}"),
                }
            }
            Self::Message(reason) => write!(f, "Error({reason:?})"),
            Self::Panic(panic) => write!(f, "{panic}"),
            Self::Unknown(data) if data.is_empty() => f.write_str("revert without data"),
            Self::Unknown(data) => write!(f, "unknown error {data}"),
        }
    }
}

impl std::error::Error for Revert {}

/// Every custom error the deployed contract can revert with, by selector,
/// from the same JSON files as the bindings.
static ERRORS: LazyLock<HashMap<Selector, json_abi::Error>> = LazyLock::new(|| {
    [
        include_str!("../../../abi/ITributary.json"),
        include_str!("../../../abi/TributaryInherited.json"),
    ]
    .into_iter()
    .filter_map(|json| serde_json::from_str::<JsonAbi>(json).ok())
    .flat_map(|abi| abi.errors().cloned().collect::<Vec<_>>())
    .map(|error| (error.selector(), error))
    .collect()
});

/// `Name(param=value, …)`.
fn write_call(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    params: &[Param],
    values: &[DynSolValue],
) -> fmt::Result {
    write!(f, "{name}(")?;
    for (i, (param, value)) in params.iter().zip(values).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if !param.name.is_empty() {
            write!(f, "{}=", param.name)?;
        }
        let enum_name = match &param.internal_type {
            Some(InternalType::Enum { ty, .. }) => Some(ty.as_str()),
            _ => None,
        };
        write_value(f, value, enum_name)?;
    }
    f.write_str(")")
}

fn write_value(
    f: &mut fmt::Formatter<'_>,
    value: &DynSolValue,
    enum_name: Option<&str>,
) -> fmt::Result {
    match value {
        DynSolValue::Uint(number, _) => {
            let byte = u8::try_from(*number).ok();
            let variant = match (enum_name, byte) {
                (Some("DatasetStatus"), Some(byte)) => {
                    DatasetStatus::try_from(byte).ok().map(DatasetStatus::name)
                }
                (Some("OfferKind"), Some(byte)) => {
                    OfferKind::try_from(byte).ok().map(OfferKind::name)
                }
                _ => None,
            };
            match variant {
                Some(variant) => f.write_str(variant),
                None => write!(f, "{number}"),
            }
        }
        DynSolValue::Int(number, _) => write!(f, "{number}"),
        DynSolValue::Bool(flag) => write!(f, "{flag}"),
        DynSolValue::Address(address) => write!(f, "{address}"),
        DynSolValue::FixedBytes(word, size) => f.write_str(&hex::encode_prefixed(&word[..*size])),
        DynSolValue::Bytes(bytes) => f.write_str(&hex::encode_prefixed(bytes)),
        DynSolValue::String(text) => write!(f, "{text:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            write_list(f, "[", items, "]")
        }
        DynSolValue::Tuple(items) => write_list(f, "(", items, ")"),
        // Exists with alloy's `eip712` feature (typed data); errors decode structs as tuples.
        DynSolValue::CustomStruct { tuple, .. } => write_list(f, "(", tuple, ")"),
        DynSolValue::Function(function) => write!(f, "{function}"),
    }
}

fn write_list(
    f: &mut fmt::Formatter<'_>,
    open: &str,
    items: &[DynSolValue],
    close: &str,
) -> fmt::Result {
    f.write_str(open)?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_value(f, item, None)?;
    }
    f.write_str(close)
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Address, U256};

    use super::*;
    use crate::chain::ITributary;

    #[test]
    fn every_bound_error_has_a_declaration() {
        for i in 0..ITributaryErrors::COUNT {
            let selector = ITributaryErrors::selector_at(i).expect("in range");
            assert!(ERRORS.contains_key(&Selector::from(selector)));
        }
        for i in 0..TributaryInheritedErrors::COUNT {
            let selector = TributaryInheritedErrors::selector_at(i).expect("in range");
            assert!(ERRORS.contains_key(&Selector::from(selector)));
        }
    }

    #[test]
    fn custom_errors_read_as_declared() {
        let data = ITributary::TermsMismatch {
            datasetId: U256::from(3),
        }
        .abi_encode();
        let revert = Revert::decode(&data);
        assert_eq!(revert.to_string(), "TermsMismatch(datasetId=3)");
        assert_eq!(revert.error_name(), Some("TermsMismatch"));
        assert_eq!(revert.data(), Bytes::from(data));

        let data = ITributary::InvalidStatusTransition { from: 3, to: 1 }.abi_encode();
        assert_eq!(
            Revert::decode(&data).to_string(),
            "InvalidStatusTransition(from=Retired, to=Active)"
        );
        let data = ITributary::WrongOfferKind { kind: 2 }.abi_encode();
        assert_eq!(
            Revert::decode(&data).to_string(),
            "WrongOfferKind(kind=Subscription)"
        );
    }

    #[test]
    fn inherited_errors_messages_panics_and_unknown_data() {
        let account = Address::repeat_byte(0xaa);
        let data = crate::chain::TributaryInherited::AccessControlUnauthorizedAccount {
            account,
            neededRole: [0x11; 32].into(),
        }
        .abi_encode();
        let shown = Revert::decode(&data).to_string();
        // Addresses in their checksummed form.
        let prefix = format!("AccessControlUnauthorizedAccount(account={account}, ");
        assert!(
            shown.starts_with(&prefix) && prefix.contains("0xaAaA"),
            "{shown}"
        );
        assert!(
            shown.ends_with(&format!("neededRole=0x{})", "11".repeat(32))),
            "{shown}"
        );

        let data = RevertString::from("no").abi_encode();
        assert_eq!(Revert::decode(&data), Revert::Message("no".into()));
        assert_eq!(Revert::decode(&data).to_string(), "Error(\"no\")");

        let data = Panic::from(0x11).abi_encode();
        assert!(matches!(Revert::decode(&data), Revert::Panic(_)));

        assert_eq!(Revert::decode(&[]).to_string(), "revert without data");
        assert_eq!(
            Revert::decode(&[1, 2, 3, 4]).to_string(),
            "unknown error 0x01020304"
        );
    }
}
