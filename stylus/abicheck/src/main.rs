//! `abicheck CONTRACT EXPORTED`: fails unless a Stylus contract's exported ABI is exactly its
//! share of the Solidity build's ABI.
//!
//! `EXPORTED` is what the contract's `<crate>-abi` binary prints (the SDK's `export-abi`
//! interface: functions and errors; then the events, which the SDK does not export, from the
//! contract's `sol!` declarations). The expected set comes from `stylus/suite.json`: every
//! entry of `abi/ITributary.json` (or the file named by the entry's `abi`, such as
//! `abi/ITributaryStreams.json` for streams) declared by the contract's interfaces (named by
//! `contracts/interfaces/<I>.sol`, less the names under `except`, which another contract owns)
//! or listed by name, the listed entries of
//! `abi/TributaryInherited.json`, and the suite-internal additions. Function selectors (and
//! state mutability), event topics and error selectors must match one for one.

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;

use alloy_primitives::{hex, keccak256};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Function,
    Event,
    Error,
}

impl Kind {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "function" => Some(Self::Function),
            "event" => Some(Self::Event),
            "error" => Some(Self::Error),
            _ => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Function => "function",
            Self::Event => "event",
            Self::Error => "error",
        }
    }
}

/// One ABI entry as the check compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    kind: Kind,
    /// Canonical signature, `name(type,...)`, tuples expanded.
    signature: String,
    /// Functions only: `pure`, `view`, `nonpayable` or `payable`.
    mutability: Option<String>,
}

impl Entry {
    /// The selector (functions, errors) or topic (events), in hex.
    fn id(&self) -> String {
        let hash = keccak256(self.signature.as_bytes());
        match self.kind {
            Kind::Event => hex::encode_prefixed(hash),
            Kind::Function | Kind::Error => hex::encode_prefixed(&hash[..4]),
        }
    }

    fn name(&self) -> &str {
        self.signature.split('(').next().unwrap_or_default()
    }

    fn describe(&self) -> String {
        let mutability = self
            .mutability
            .as_deref()
            .map(|m| format!(" {m}"))
            .unwrap_or_default();
        format!(
            "{} {}{} [{}]",
            self.kind.word(),
            self.signature,
            mutability,
            self.id()
        )
    }
}

/// The canonical type of a JSON ABI parameter (`tuple` expanded to its components).
fn canonical_type(param: &Value) -> String {
    let ty = param["type"].as_str().unwrap_or_default();
    match ty.strip_prefix("tuple") {
        Some(suffix) => {
            let components = param["components"].as_array().cloned().unwrap_or_default();
            let inner: Vec<String> = components.iter().map(canonical_type).collect();
            format!("({}){suffix}", inner.join(","))
        }
        None => ty.to_string(),
    }
}

fn json_entry(item: &Value) -> Option<Entry> {
    let kind = Kind::parse(item["type"].as_str()?)?;
    let name = item["name"].as_str()?;
    let inputs = item["inputs"].as_array().cloned().unwrap_or_default();
    let types: Vec<String> = inputs.iter().map(canonical_type).collect();
    Some(Entry {
        kind,
        signature: format!("{name}({})", types.join(",")),
        mutability: (kind == Kind::Function).then(|| {
            item["stateMutability"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }),
    })
}

/// Short struct name (`Split`) → canonical tuple, from every parameter of the ABI.
fn struct_table(abi: &[Value]) -> HashMap<String, String> {
    fn walk(param: &Value, table: &mut HashMap<String, String>) {
        if let Some(internal) = param["internalType"].as_str() {
            if let Some(name) = internal.strip_prefix("struct ") {
                let short = name.rsplit('.').next().unwrap_or(name);
                let short = short.split('[').next().unwrap_or(short).to_string();
                let canonical = canonical_type(param);
                let tuple = canonical
                    .rfind(')')
                    .map(|end| canonical[..=end].to_string())
                    .unwrap_or(canonical);
                table.insert(short, tuple);
            }
        }
        for component in param["components"].as_array().into_iter().flatten() {
            walk(component, table);
        }
    }
    let mut table = HashMap::new();
    for item in abi {
        for key in ["inputs", "outputs"] {
            for param in item[key].as_array().into_iter().flatten() {
                walk(param, &mut table);
            }
        }
    }
    table
}

/// Splits `a, (b, c), d` at its top-level commas.
fn split_top_level(list: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}

/// A parameter as the export prints it (`Split split`, `address[] payees`, `uint256`) →
/// its canonical type.
fn export_type(param: &str, structs: &HashMap<String, String>) -> Result<String, String> {
    let ty = param.split_whitespace().next().unwrap_or_default();
    let base_end = ty.find('[').unwrap_or(ty.len());
    let (base, suffix) = ty.split_at(base_end);
    let is_elementary =
        base.starts_with('(') || base.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if is_elementary {
        Ok(ty.to_string())
    } else {
        structs
            .get(base)
            .map(|tuple| format!("{tuple}{suffix}"))
            .ok_or_else(|| format!("unknown struct `{base}` in `{param}`"))
    }
}

/// Parses `function`, `event` and `error` lines of an exported Solidity interface.
fn parse_export(text: &str, structs: &HashMap<String, String>) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((word, rest)) = line.split_once(' ') else {
            continue;
        };
        let Some(kind) = Kind::parse(word) else {
            continue;
        };
        let open = rest
            .find('(')
            .ok_or_else(|| format!("no parameters in `{line}`"))?;
        let name = rest[..open].trim();
        let mut depth = 0usize;
        let mut close = None;
        for (i, c) in rest[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close.ok_or_else(|| format!("unbalanced parentheses in `{line}`"))?;
        let types = split_top_level(&rest[open + 1..close])
            .iter()
            .map(|param| export_type(param, structs))
            .collect::<Result<Vec<_>, _>>()?;
        let mutability = (kind == Kind::Function).then(|| {
            let modifiers = rest[close + 1..]
                .split("returns")
                .next()
                .unwrap_or_default();
            ["payable", "view", "pure"]
                .into_iter()
                .find(|m| {
                    modifiers
                        .split_whitespace()
                        .any(|word| word.trim_end_matches(';') == *m)
                })
                .unwrap_or("nonpayable")
                .to_string()
        });
        entries.push(Entry {
            kind,
            signature: format!("{name}({})", types.join(",")),
            mutability,
        });
    }
    Ok(entries)
}

/// The names a Solidity interface file declares, by kind.
fn declared_names(source: &str) -> Vec<(Kind, String)> {
    source
        .lines()
        .filter_map(|line| {
            let (word, rest) = line.trim().split_once(' ')?;
            let kind = Kind::parse(word)?;
            let name = rest.split('(').next()?.trim();
            Some((kind, name.to_string()))
        })
        .collect()
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn read_abi(path: &str) -> Result<Vec<Value>, String> {
    let value: Value = serde_json::from_str(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
    value
        .as_array()
        .cloned()
        .ok_or_else(|| format!("{path}: not a JSON ABI array"))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The JSON ABI under `abi/` that holds a contract's interfaces: `abi` in its
/// `stylus/suite.json` entry, `ITributary.json` by default (the suite's four contracts;
/// streams names `ITributaryStreams.json`).
fn interface_abi(spec: &Value) -> &str {
    spec["abi"].as_str().unwrap_or("ITributary.json")
}

/// The entries `contract` must export, from `stylus/suite.json` and `abi/*.json`.
fn expected(root: &str, contract: &str) -> Result<Vec<Entry>, String> {
    let suite: Value = serde_json::from_str(&read(&format!("{root}/stylus/suite.json"))?)
        .map_err(|e| format!("stylus/suite.json: {e}"))?;
    let spec = &suite[contract];
    if spec.is_null() {
        return Err(format!("stylus/suite.json has no contract `{contract}`"));
    }
    let abi_file = interface_abi(spec);
    let iface = read_abi(&format!("{root}/abi/{abi_file}"))?;
    let inherited = read_abi(&format!("{root}/abi/TributaryInherited.json"))?;
    let lookup = |abi: &[Value], kind: Option<Kind>, name: &str, from: &str| {
        let found: Vec<Entry> = abi
            .iter()
            .filter_map(json_entry)
            .filter(|e| e.name() == name && kind.is_none_or(|k| k == e.kind))
            .collect();
        if found.is_empty() {
            Err(format!("`{name}` is not in {from}"))
        } else {
            Ok(found)
        }
    };
    let mut entries = Vec::new();
    let except = strings(&spec["except"]);
    for interface in strings(&spec["interfaces"]) {
        let source = read(&format!("{root}/contracts/interfaces/{interface}.sol"))?;
        for (kind, name) in declared_names(&source) {
            if !except.contains(&name) {
                entries.extend(lookup(&iface, Some(kind), &name, abi_file)?);
            }
        }
    }
    for name in strings(&spec["names"]) {
        entries.extend(lookup(&iface, None, &name, abi_file)?);
    }
    for name in strings(&spec["inherited"]) {
        entries.extend(lookup(
            &inherited,
            None,
            &name,
            "abi/TributaryInherited.json",
        )?);
    }
    let internal = strings(&spec["internal"]).join(";\n");
    entries.extend(parse_export(&internal, &HashMap::new())?);
    Ok(entries)
}

/// The differences between what was expected and what was exported; empty when equal.
fn compare(expected: &[Entry], exported: &[Entry]) -> Vec<String> {
    let index = |entries: &[Entry]| -> BTreeMap<(Kind, String), Entry> {
        entries
            .iter()
            .map(|e| ((e.kind, e.id()), e.clone()))
            .collect()
    };
    let (want, have) = (index(expected), index(exported));
    let mut problems = Vec::new();
    for (key, entry) in &want {
        match have.get(key) {
            None => problems.push(format!("missing: {}", entry.describe())),
            Some(got) if got.mutability != entry.mutability => problems.push(format!(
                "mutability differs: {} is exported as {}",
                entry.describe(),
                got.describe()
            )),
            Some(_) => {}
        }
    }
    for (key, entry) in &have {
        if !want.contains_key(key) {
            problems.push(format!("not in the Solidity ABI: {}", entry.describe()));
        }
    }
    if exported.len() != have.len() {
        problems.push("the export lists an entry twice".to_string());
    }
    problems
}

fn run(contract: &str, exported_path: &str) -> Result<Vec<String>, String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let suite: Value = serde_json::from_str(&read(&format!("{root}/stylus/suite.json"))?)
        .map_err(|e| format!("stylus/suite.json: {e}"))?;
    let iface = read_abi(&format!("{root}/abi/{}", interface_abi(&suite[contract])))?;
    let structs = struct_table(&iface);
    let exported = parse_export(&read(exported_path)?, &structs)?;
    let expected = expected(root, contract)?;
    let problems = compare(&expected, &exported);
    if problems.is_empty() {
        let count = |kind| expected.iter().filter(|e| e.kind == kind).count();
        println!(
            "{contract}: ABI matches the Solidity build: {} functions, {} events, {} errors",
            count(Kind::Function),
            count(Kind::Event),
            count(Kind::Error)
        );
    }
    Ok(problems)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [contract, exported] = args.as_slice() else {
        eprintln!("usage: abicheck CONTRACT EXPORTED_ABI");
        return ExitCode::from(2);
    };
    match run(contract, exported) {
        Ok(problems) if problems.is_empty() => ExitCode::SUCCESS,
        Ok(problems) => {
            eprintln!("{contract}: ABI differs from the Solidity build:");
            for problem in problems {
                eprintln!("  {problem}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{contract}: {error}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_abi() -> Vec<Value> {
        serde_json::from_str(
            r#"[{"type":"function","name":"release","stateMutability":"nonpayable",
            "inputs":[{"name":"token","type":"address","internalType":"address"},
            {"name":"split","type":"tuple","internalType":"struct ITributaryTypes.Split",
             "components":[{"name":"payees","type":"address[]","internalType":"address[]"},
                           {"name":"shares","type":"uint32[]","internalType":"uint32[]"}]}],
            "outputs":[]}]"#,
        )
        .unwrap()
    }

    #[test]
    fn json_tuples_are_expanded() {
        let entry = json_entry(&split_abi()[0]).unwrap();
        assert_eq!(entry.signature, "release(address,(address[],uint32[]))");
        assert_eq!(entry.mutability.as_deref(), Some("nonpayable"));
    }

    #[test]
    fn exported_structs_map_to_their_tuples() {
        let structs = struct_table(&split_abi());
        let text = "interface ISplits {\n    function release(address token, Split split) external returns (uint256);\n    function many(Split[] splits) external view;\n    error NotPayee(address);\n}\nevent TokenAllowed(address,bool);\n";
        let entries = parse_export(text, &structs).unwrap();
        let signatures: Vec<_> = entries.iter().map(|e| e.signature.as_str()).collect();
        assert_eq!(
            signatures,
            [
                "release(address,(address[],uint32[]))",
                "many((address[],uint32[])[])",
                "NotPayee(address)",
                "TokenAllowed(address,bool)"
            ]
        );
        assert_eq!(entries[0].mutability.as_deref(), Some("nonpayable"));
        assert_eq!(entries[1].mutability.as_deref(), Some("view"));
        assert_eq!(
            entries[0].id(),
            entry_id("release(address,(address[],uint32[]))", 4)
        );
    }

    fn entry_id(signature: &str, bytes: usize) -> String {
        hex::encode_prefixed(&keccak256(signature)[..bytes])
    }

    #[test]
    fn any_difference_is_reported() {
        let structs = struct_table(&split_abi());
        let want = parse_export(
            "function f(uint256) external;\nfunction g() external payable;\nerror E(address);\nevent V(uint16);",
            &structs,
        )
        .unwrap();
        assert!(compare(&want, &want).is_empty());
        let have = parse_export(
            "function f(uint128) external;\nfunction g() external;\nerror E(address);\nevent V(uint16);\nevent W();",
            &structs,
        )
        .unwrap();
        let problems = compare(&want, &have);
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn interface_names_are_read_from_the_source() {
        let source = "interface I {\n    /// a function(\n    error A(uint256 x);\n    event B(address indexed a);\n    function c(uint256) external;\n}";
        assert_eq!(
            declared_names(source),
            [
                (Kind::Error, "A".to_string()),
                (Kind::Event, "B".to_string()),
                (Kind::Function, "c".to_string())
            ]
        );
    }
}
