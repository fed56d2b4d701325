//! Kubo's balanced DAG layout, built bottom-up as chunks arrive.
//!
//! Kubo (`go-unixfs/importer/balanced`) grows the tree from the left: the
//! first node at depth `d` holds up to [`MAX_LINKS`] full subtrees of depth
//! `d - 1`, and the root gets one level deeper each time it fills up. The
//! result is that leaves are grouped [`MAX_LINKS`] at a time into parents,
//! parents [`MAX_LINKS`] at a time into grandparents, and so on, with every
//! node on the right edge holding what is left over — even a single child.
//! A file of one chunk is that chunk's leaf alone, with no parent.
//!
//! Here that is done with one pending list of links per level: a list that
//! reaches [`MAX_LINKS`] is sealed into a node one level up. Memory is
//! `MAX_LINKS` links per level, and a level holds 174ⁿ chunks, so seven levels
//! cover any file up to 2⁶⁴ bytes.

use cid::{Cid, multihash::Multihash};

use super::{
    DAG_PB, MAX_LINKS, RAW, SHA2_256,
    dag_pb::{self, LeafFraming, Link},
};
use crate::hash::Sha256Digest;

/// How leaves are stored, which also fixes the CID version of every node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leaves {
    /// dag-pb leaves wrapping UnixFS `Data`, CIDv0 everywhere: `ipfs add`.
    DagPbV0,
    /// Raw leaves and CIDv1: `ipfs add --cid-version=1` (which implies `--raw-leaves`).
    RawV1,
}

/// Builds one file's DAG and yields its root CID.
pub(super) struct Balanced {
    leaves: Leaves,
    /// `levels[0]` holds leaves, `levels[1]` their parents, and so on.
    levels: Vec<Vec<Link>>,
    /// Framing of full-size leaves, the same for every chunk but the last.
    full_leaf: LeafFraming,
}

impl Balanced {
    pub(super) fn new(leaves: Leaves) -> Self {
        Self {
            leaves,
            levels: Vec::new(),
            full_leaf: LeafFraming::new(super::CHUNK_SIZE),
        }
    }

    /// Adds the next chunk of the file.
    pub(super) fn push_chunk(&mut self, chunk: &[u8]) {
        let link = self.leaf(chunk);
        self.push(0, link);
    }

    /// Seals every pending level and returns the root's CID.
    pub(super) fn finish(mut self) -> Cid {
        if self.levels.is_empty() {
            // An empty file is a single empty leaf.
            return self.leaf(&[]).cid;
        }
        let mut level = 0;
        loop {
            let is_top = self.levels[level + 1..].iter().all(Vec::is_empty);
            let pending = self.levels[level].len();
            if is_top && pending == 1 {
                return self.levels[level].remove(0).cid;
            }
            if pending > 0 {
                let parent = self.seal(level);
                self.push(level + 1, parent);
            }
            level += 1;
        }
    }

    fn push(&mut self, level: usize, link: Link) {
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        self.levels[level].push(link);
        if self.levels[level].len() == MAX_LINKS {
            let parent = self.seal(level);
            self.push(level + 1, parent);
        }
    }

    /// Turns the pending links of `level` into one inner node.
    fn seal(&mut self, level: usize) -> Link {
        let links = std::mem::take(&mut self.levels[level]);
        let block = dag_pb::inner_node(&links);
        let digest = Sha256Digest::of(&block);
        Link {
            cid: self.cid(DAG_PB, digest),
            tsize: block.len() as u64 + links.iter().map(|l| l.tsize).sum::<u64>(),
            filesize: links.iter().map(|l| l.filesize).sum(),
        }
    }

    fn leaf(&self, chunk: &[u8]) -> Link {
        let filesize = chunk.len() as u64;
        match self.leaves {
            Leaves::RawV1 => Link {
                cid: self.cid(RAW, Sha256Digest::of(chunk)),
                tsize: filesize,
                filesize,
            },
            Leaves::DagPbV0 => {
                let short;
                let framing = if chunk.len() == super::CHUNK_SIZE {
                    &self.full_leaf
                } else {
                    short = LeafFraming::new(chunk.len());
                    &short
                };
                // Hash prefix ++ chunk ++ suffix without copying the chunk.
                use sha2::Digest as _;
                let digest = sha2::Sha256::new()
                    .chain_update(&framing.prefix)
                    .chain_update(chunk)
                    .chain_update(&framing.suffix)
                    .finalize();
                Link {
                    cid: self.cid(DAG_PB, Sha256Digest::new(digest.into())),
                    tsize: framing.block_len(chunk.len()),
                    filesize,
                }
            }
        }
    }

    fn cid(&self, codec: u64, digest: Sha256Digest) -> Cid {
        // A 32-byte digest always fits the 64-byte multihash, and CIDv0 only
        // asks for dag-pb + sha2-256, which is all it is given here.
        let hash = Multihash::wrap(SHA2_256, digest.as_bytes())
            .unwrap_or_else(|_| unreachable!("32-byte digest fits a 64-byte multihash"));
        match self.leaves {
            Leaves::DagPbV0 => Cid::new_v0(hash)
                .unwrap_or_else(|_| unreachable!("CIDv0 is made only from dag-pb sha2-256")),
            Leaves::RawV1 => Cid::new_v1(codec, hash),
        }
    }
}
