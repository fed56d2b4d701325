//! Batch anchoring's Merkle trees, as the registry verifies them
//! (`verifyBatchInclusion`): OpenZeppelin's `MerkleProof` with sorted-pair
//! hashing, over leaves `keccak256(keccak256(abi.encode(manifestHash)))`
//! (the double hash of OpenZeppelin's standard tree, so a leaf can never be
//! mistaken for an inner node).
//!
//! Written here because no maintained Rust crate implements OpenZeppelin's
//! proof format on alloy's types; it is small and tested against the
//! contract (the indexer's anchor tests).

use alloy_primitives::{B256, keccak256};

/// The leaf of `manifest_hash` in a batch.
pub fn leaf(manifest_hash: B256) -> B256 {
    keccak256(keccak256(manifest_hash))
}

/// The parent of two nodes: the hash of the smaller followed by the larger.
pub fn hash_pair(a: B256, b: B256) -> B256 {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut both = [0u8; 64];
    both[..32].copy_from_slice(low.as_slice());
    both[32..].copy_from_slice(high.as_slice());
    keccak256(both)
}

/// The root a proof leads to from `leaf`.
pub fn process_proof(leaf: B256, proof: &[B256]) -> B256 {
    proof
        .iter()
        .fold(leaf, |node, &sibling| hash_pair(node, sibling))
}

/// Whether `proof` shows `manifest_hash` under `root`.
pub fn verify(root: B256, manifest_hash: B256, proof: &[B256]) -> bool {
    process_proof(leaf(manifest_hash), proof) == root
}

/// A tree over a batch of manifest hashes: its root, and each one's proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    levels: Vec<Vec<B256>>,
}

impl Tree {
    /// Builds the tree of `manifest_hashes`, in the order given (pairs
    /// left to right; an odd node out moves up unchanged). `None` for an
    /// empty batch, which the registry refuses.
    pub fn new(manifest_hashes: &[B256]) -> Option<Self> {
        if manifest_hashes.is_empty() {
            return None;
        }
        let mut levels = vec![
            manifest_hashes
                .iter()
                .copied()
                .map(leaf)
                .collect::<Vec<_>>(),
        ];
        while let Some(below) = levels.last().filter(|level| level.len() > 1) {
            let above = below
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => hash_pair(*a, *b),
                    [odd] => *odd,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
            levels.push(above);
        }
        Some(Self { levels })
    }

    /// The root to anchor.
    pub fn root(&self) -> B256 {
        self.levels
            .last()
            .and_then(|top| top.first())
            .copied()
            .unwrap_or_default()
    }

    /// The proof of the `index`th manifest hash, or `None` past the end.
    pub fn proof(&self, mut index: usize) -> Option<Vec<B256>> {
        if index >= self.levels[0].len() {
            return None;
        }
        let mut proof = Vec::new();
        for level in &self.levels[..self.levels.len() - 1] {
            if let Some(&sibling) = level.get(index ^ 1) {
                proof.push(sibling);
            }
            index /= 2;
        }
        Some(proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(n: u8) -> Vec<B256> {
        (0..n).map(|i| keccak256([i])).collect()
    }

    #[test]
    fn every_member_of_every_batch_size_verifies_and_nothing_else_does() {
        for n in 1..=9 {
            let batch = hashes(n);
            let tree = Tree::new(&batch).expect("a batch");
            for (index, &hash) in batch.iter().enumerate() {
                let proof = tree.proof(index).expect("a member");
                assert!(verify(tree.root(), hash, &proof), "{index} of {n}");
                assert!(!verify(tree.root(), keccak256([100 + index as u8]), &proof));
            }
            assert_eq!(tree.proof(batch.len()), None);
        }
        assert_eq!(Tree::new(&[]), None);
    }

    #[test]
    fn a_batch_of_one_has_its_leaf_as_root_and_an_empty_proof() {
        let hash = keccak256(b"manifest");
        let tree = Tree::new(&[hash]).expect("a batch");
        assert_eq!(tree.root(), leaf(hash));
        assert_eq!(tree.proof(0), Some(vec![]));
    }

    #[test]
    fn pairs_hash_in_sorted_order() {
        let (a, b) = (keccak256(b"a"), keccak256(b"b"));
        assert_eq!(hash_pair(a, b), hash_pair(b, a));
    }
}
