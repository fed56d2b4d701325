//! Integer fields that accept any JSON spelling of an integer.
//!
//! JSON has one number type: `10`, `10.0` and `1e1` are the same number, JSON
//! Schema's `"integer"` accepts all three, and RFC 8785 writes all three as
//! `10`. serde refuses the last two for Rust integer types, so manifest
//! integers go through here: any number with no fractional part that fits the
//! field's type is accepted.

use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::Number;

use super::MAX_EXACT_INTEGER;

/// Deserializes a JSON number into `T` if it is a whole number that fits.
pub(super) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let number = Number::deserialize(deserializer)?;
    let whole = number.as_u64().or_else(|| {
        // Above 2^53 a double is no longer exact, so refuse rather than guess.
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=MAX_EXACT_INTEGER as f64).contains(f))
            .map(|f| f as u64)
    });
    whole
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number in range")))
}
