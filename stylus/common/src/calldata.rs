//! Word-by-word ABI decoding of calldata, for functions a contract dispatches from its fallback
//! rather than through the SDK's router (whose generic, validating alloy decoder is
//! monomorphised per argument list and costs kilobytes of wasm per complex signature).
//!
//! [`Args`] accepts exactly what that decoder accepts (offsets and lengths inside the calldata,
//! every value clean for its type: addresses and small integers with zero high bits) and
//! reports anything else as [`Malformed`], which the contracts turn into the router's (and
//! Solidity's decoder's) empty revert.

use alloy_primitives::{Address, B256, U256};

/// Malformed calldata: the router's empty revert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// A decoded value, or [`Malformed`].
pub type Decoded<T> = Result<T, Malformed>;

/// Arguments after the selector, read as the ABI lays them out. Offsets are relative to the
/// start of the enclosing tuple (`base`).
#[derive(Clone, Copy)]
pub struct Args<'a> {
    /// The calldata after the selector.
    pub data: &'a [u8],
}

impl<'a> Args<'a> {
    /// The 32-byte word at `at`.
    pub fn word(&self, at: usize) -> Decoded<&'a [u8]> {
        let end = at.checked_add(32).ok_or(Malformed)?;
        self.data.get(at..end).ok_or(Malformed)
    }

    /// A word whose value has at most `bits` bits.
    pub fn uint(&self, at: usize, bits: usize) -> Decoded<U256> {
        let word = self.word(at)?;
        if word[..32 - bits / 8].iter().any(|&b| b != 0) {
            return Err(Malformed);
        }
        Ok(U256::from_be_slice(word))
    }

    /// A word used as a length or an offset: must fit the calldata, so a `usize`.
    pub fn size(&self, at: usize) -> Decoded<usize> {
        let value = self.uint(at, 256)?;
        if value >= U256::from(self.data.len()) {
            return Err(Malformed);
        }
        Ok(value.as_limbs()[0] as usize)
    }

    /// Where the dynamic value whose offset is at `head` (in a tuple at `base`) starts.
    pub fn tail(&self, base: usize, head: usize) -> Decoded<usize> {
        base.checked_add(self.size(base + head)?).ok_or(Malformed)
    }

    /// A `bytes32`.
    pub fn b256(&self, at: usize) -> Decoded<B256> {
        Ok(B256::from_slice(self.word(at)?))
    }

    /// An `address`.
    pub fn address(&self, at: usize) -> Decoded<Address> {
        Ok(Address::from_word(B256::from(self.uint(at, 160)?)))
    }

    /// An unsigned integer of at most 128 bits.
    pub fn small(&self, at: usize, bits: usize) -> Decoded<u128> {
        let value = self.uint(at, bits)?;
        Ok(u128::from(value.as_limbs()[0]) | (u128::from(value.as_limbs()[1]) << 64))
    }

    /// `bytes` or `string`: a length and the bytes.
    pub fn bytes(&self, at: usize) -> Decoded<&'a [u8]> {
        let len = self.size(at)?;
        let start = at + 32;
        self.data.get(start..start + len).ok_or(Malformed)
    }

    /// The start and length of a dynamic array's elements (`stride` bytes each) at `at`.
    pub fn array(&self, at: usize, stride: usize) -> Decoded<(usize, usize)> {
        let len = self.size(at)?;
        let end = len
            .checked_mul(stride)
            .and_then(|size| size.checked_add(at + 32))
            .ok_or(Malformed)?;
        if end > self.data.len() {
            return Err(Malformed);
        }
        Ok((at + 32, len))
    }
}
