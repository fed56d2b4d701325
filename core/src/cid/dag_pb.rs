//! Encoding of the dag-pb `PBNode` and the UnixFS `Data` message, the two
//! protobuf messages a UnixFS file DAG is made of.
//!
//! Hand-written on purpose: only encoding is needed, of two small messages
//! whose byte layout is fixed by the specs (and has to be, since the bytes are
//! hashed), and no maintained crate covers UnixFS `Data` (`ipld-dagpb` has the
//! `PBNode` only; the `ipfs-unixfs` crates are unmaintained forks). Field
//! numbers come from <https://github.com/ipld/specs/blob/master/block-layer/codecs/dag-pb.md>
//! and <https://github.com/ipfs/specs/blob/main/UNIXFS.md>:
//!
//! ```protobuf
//! message PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
//! message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }
//! message Data   { required DataType Type = 1; optional bytes Data = 2;
//!                  optional uint64 filesize = 3; repeated uint64 blocksizes = 4; }
//! ```
//!
//! Two quirks matter for byte-exact CIDs: a `PBNode` writes its links *before*
//! its data (the canonical dag-pb form), and `blocksizes` is proto2 `repeated`
//! without `packed`, so each size carries its own key.

use cid::Cid;

/// Wire type of varint fields.
const VARINT: u8 = 0;
/// Wire type of length-delimited fields.
const LEN: u8 = 2;

/// UnixFS `DataType.File`.
const UNIXFS_FILE: u64 = 2;

fn key(field: u8, wire_type: u8) -> u8 {
    (field << 3) | wire_type
}

fn varint_len(value: u64) -> usize {
    let mut buf = unsigned_varint::encode::u64_buffer();
    unsigned_varint::encode::u64(value, &mut buf).len()
}

/// A growable protobuf encoding buffer.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, value: u64) {
        let mut buf = unsigned_varint::encode::u64_buffer();
        self.0
            .extend_from_slice(unsigned_varint::encode::u64(value, &mut buf));
    }

    fn varint_field(&mut self, field: u8, value: u64) {
        self.0.push(key(field, VARINT));
        self.varint(value);
    }

    /// Writes a length-delimited field's key and length; the caller writes
    /// (or, for leaves, hashes) the payload next.
    fn len_header(&mut self, field: u8, len: usize) {
        self.0.push(key(field, LEN));
        self.varint(len as u64);
    }

    fn bytes_field(&mut self, field: u8, bytes: &[u8]) {
        self.len_header(field, bytes.len());
        self.0.extend_from_slice(bytes);
    }
}

/// The encoding of a dag-pb leaf that carries `len` bytes of file data, split
/// around those bytes so the leaf can be hashed without being copied:
/// the block is `prefix ++ data ++ suffix`.
pub(super) struct LeafFraming {
    pub(super) prefix: Vec<u8>,
    pub(super) suffix: Vec<u8>,
}

impl LeafFraming {
    pub(super) fn new(len: usize) -> Self {
        // UnixFS Data { Type: File, Data: <chunk>, filesize: len }. An empty
        // chunk (only ever the whole of an empty file) leaves `Data` out, as
        // Kubo does: its CID is the well-known QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH.
        let data_field = if len == 0 {
            0
        } else {
            1 + varint_len(len as u64) + len
        };
        let unixfs_len = 2 + data_field + 1 + varint_len(len as u64);

        let mut prefix = Writer::default();
        prefix.len_header(1, unixfs_len); // PBNode.Data
        prefix.varint_field(1, UNIXFS_FILE); // Data.Type
        if len > 0 {
            prefix.len_header(2, len); // Data.Data
        }
        let mut suffix = Writer::default();
        suffix.varint_field(3, len as u64); // Data.filesize
        Self {
            prefix: prefix.0,
            suffix: suffix.0,
        }
    }

    /// Size of the whole encoded block.
    pub(super) fn block_len(&self, data_len: usize) -> u64 {
        (self.prefix.len() + data_len + self.suffix.len()) as u64
    }
}

/// A link from an inner node to one child.
pub(super) struct Link {
    pub(super) cid: Cid,
    /// Bytes of the child's block plus all blocks below it (dag-pb `Tsize`).
    pub(super) tsize: u64,
    /// Bytes of file data under the child (UnixFS `blocksizes` entry).
    pub(super) filesize: u64,
}

/// Encodes an inner node of a UnixFS file: links to its children, and UnixFS
/// `Data` with the total file size and each child's share of it.
pub(super) fn inner_node(links: &[Link]) -> Vec<u8> {
    let mut unixfs = Writer::default();
    unixfs.varint_field(1, UNIXFS_FILE);
    unixfs.varint_field(3, links.iter().map(|l| l.filesize).sum());
    for link in links {
        unixfs.varint_field(4, link.filesize);
    }

    let mut node = Writer::default();
    for link in links {
        let hash = link.cid.to_bytes();
        let mut pb_link = Writer::default();
        pb_link.bytes_field(1, &hash);
        // Kubo always writes the (empty) name of a file's chunk links.
        pb_link.bytes_field(2, b"");
        pb_link.varint_field(3, link.tsize);
        node.bytes_field(2, &pb_link.0);
    }
    node.bytes_field(1, &unixfs.0);
    node.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_framing_matches_hand_encoded_bytes() {
        // "a": PBNode{Data: UnixFS{Type: File, Data: "a", filesize: 1}}.
        let one = LeafFraming::new(1);
        assert_eq!(one.prefix, [0x0a, 0x07, 0x08, 0x02, 0x12, 0x01]);
        assert_eq!(one.suffix, [0x18, 0x01]);
        assert_eq!(one.block_len(1), 9);

        let empty = LeafFraming::new(0);
        assert_eq!(empty.prefix, [0x0a, 0x04, 0x08, 0x02]);
        assert_eq!(empty.suffix, [0x18, 0x00]);

        // 256 KiB needs a three-byte varint length.
        let full = LeafFraming::new(262_144);
        assert_eq!(
            full.prefix,
            [0x0a, 0x8a, 0x80, 0x10, 0x08, 0x02, 0x12, 0x80, 0x80, 0x10]
        );
        assert_eq!(full.suffix, [0x18, 0x80, 0x80, 0x10]);
    }
}
