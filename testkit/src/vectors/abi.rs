//! The Solidity build's ABI (`abi/ITributary.json` and `abi/TributaryInherited.json`), used to
//! write each raw call, return value, error and event of a vector in readable form. Decoding
//! with the committed ABI also checks that every call and expectation is part of it.

use std::collections::HashMap;

use alloy::{
    dyn_abi::{DynSolValue, EventExt, FunctionExt, JsonAbiExt},
    json_abi::{Error, Event, Function, JsonAbi, Param},
    primitives::{B256, Selector, hex},
};
use serde_json::{Map, Value, json};

/// Functions, events and errors of the suite by selector or topic.
pub(crate) struct Abi {
    functions: HashMap<Selector, Function>,
    events: HashMap<B256, Event>,
    errors: HashMap<Selector, Error>,
}

impl Abi {
    /// Reads the committed ABI files.
    pub(crate) fn load() -> Result<Self, String> {
        let mut abi = Self {
            functions: HashMap::new(),
            events: HashMap::new(),
            errors: HashMap::new(),
        };
        for file in ["abi/ITributary.json", "abi/TributaryInherited.json"] {
            let path = crate::repo_root().join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|error| format!("reading {}: {error}", path.display()))?;
            let json: JsonAbi = serde_json::from_str(&text)
                .map_err(|error| format!("parsing {}: {error}", path.display()))?;
            for function in json.functions() {
                abi.functions.insert(function.selector(), function.clone());
            }
            for event in json.events() {
                abi.events.insert(event.selector(), event.clone());
            }
            for error in json.errors() {
                abi.errors.insert(error.selector(), error.clone());
            }
        }
        // Solidity's own revert reasons, which no ABI file declares.
        for signature in ["Error(string)", "Panic(uint256)"] {
            let error = Error::parse(signature).map_err(|error| error.to_string())?;
            abi.errors.insert(error.selector(), error);
        }
        Ok(abi)
    }

    /// The function `calldata` calls.
    pub(crate) fn function(&self, calldata: &[u8]) -> Result<&Function, String> {
        let selector = calldata
            .get(..4)
            .ok_or("calldata shorter than a selector")?;
        self.functions
            .get(&Selector::from_slice(selector))
            .ok_or_else(|| {
                format!(
                    "no function of the ABI has selector 0x{}",
                    hex::encode(selector)
                )
            })
    }

    /// The named arguments of a call.
    pub(crate) fn arguments(&self, calldata: &[u8]) -> Result<Value, String> {
        let function = self.function(calldata)?;
        let values = function
            .abi_decode_input(&calldata[4..])
            .map_err(|error| format!("{}: undecodable arguments: {error}", function.name))?;
        Ok(named(&function.inputs, &values))
    }

    /// The named return values of a call to the function `calldata` calls.
    pub(crate) fn returns(&self, calldata: &[u8], data: &[u8]) -> Result<Value, String> {
        let function = self.function(calldata)?;
        let values = function
            .abi_decode_output(data)
            .map_err(|error| format!("{}: undecodable return data: {error}", function.name))?;
        Ok(named(&function.outputs, &values))
    }

    /// `Name(arg, …)` of revert data, as an object `{ "error": name, "args": { … } }`.
    pub(crate) fn error(&self, data: &[u8]) -> Result<Value, String> {
        if data.is_empty() {
            return Ok(json!({ "error": null }));
        }
        let selector = data.get(..4).ok_or("revert data shorter than a selector")?;
        let error = self
            .errors
            .get(&Selector::from_slice(selector))
            .ok_or_else(|| {
                format!(
                    "no error of the ABI has selector 0x{}",
                    hex::encode(selector)
                )
            })?;
        let values = error
            .abi_decode_input(&data[4..])
            .map_err(|e| format!("{}: undecodable revert data: {e}", error.name))?;
        Ok(json!({ "error": error.name, "args": named(&error.inputs, &values) }))
    }

    /// The event a log is, by name, with its named fields.
    pub(crate) fn event(&self, topics: &[B256], data: &[u8]) -> Result<(String, Value), String> {
        let topic0 = topics.first().ok_or("a log without topics")?;
        let event = self
            .events
            .get(topic0)
            .ok_or_else(|| format!("no event of the ABI has topic {topic0}"))?;
        let decoded = event
            .decode_log_parts(topics.iter().copied(), data)
            .map_err(|error| format!("{}: undecodable log: {error}", event.name))?;
        let (mut indexed, mut body) = (decoded.indexed.into_iter(), decoded.body.into_iter());
        let mut fields = Map::new();
        for input in &event.inputs {
            let value = if input.indexed {
                indexed.next()
            } else {
                body.next()
            };
            let value = value.ok_or_else(|| format!("{}: fewer values than fields", event.name))?;
            fields.insert(input.name.clone(), readable(&value, &input.components));
        }
        Ok((event.signature(), Value::Object(fields)))
    }
}

/// `{ name: value }` of parameters and their decoded values.
fn named(params: &[Param], values: &[DynSolValue]) -> Value {
    let mut object = Map::new();
    for (index, (param, value)) in params.iter().zip(values).enumerate() {
        let name = if param.name.is_empty() {
            format!("_{index}")
        } else {
            param.name.clone()
        };
        object.insert(name, readable(value, &param.components));
    }
    Value::Object(object)
}

/// A decoded value as JSON: numbers as decimal strings (they pass 2^53), bytes and addresses as
/// hex, structs as objects named by their components.
fn readable(value: &DynSolValue, components: &[Param]) -> Value {
    match value {
        DynSolValue::Bool(b) => Value::Bool(*b),
        DynSolValue::Int(i, _) => Value::String(i.to_string()),
        DynSolValue::Uint(u, _) => Value::String(u.to_string()),
        DynSolValue::FixedBytes(word, size) => Value::String(hex::encode_prefixed(&word[..*size])),
        DynSolValue::Address(address) => Value::String(address.to_checksum(None)),
        DynSolValue::Function(function) => Value::String(hex::encode_prefixed(function)),
        DynSolValue::Bytes(bytes) => Value::String(hex::encode_prefixed(bytes)),
        DynSolValue::String(string) => Value::String(string.clone()),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => Value::Array(
            items
                .iter()
                .map(|item| readable(item, components))
                .collect(),
        ),
        // With alloy's `eip712` feature (on in the workspace) structs decode as `CustomStruct`;
        // either way the ABI's components name the fields.
        DynSolValue::Tuple(fields) | DynSolValue::CustomStruct { tuple: fields, .. } => {
            named(components, fields)
        }
    }
}
