//! Envelope encryption: STREAM round trips at every chunk boundary, every
//! kind of ciphertext edit rejected, key wrapping, the key store and
//! crypto-shredding.

use std::{
    fs,
    io::{self, Read, Write},
};

use sha2::{Digest, Sha256};

use tributary_core::{
    Error,
    crypto::{
        self, CHUNK_SIZE, DataKey, HEADER_SIZE, Kek, KekStore, KeyId, TAG_SIZE, WrappedKey,
        decrypt_file, encrypt_file,
    },
};

use crate::{meter::peak_heap, support::Pattern};

const FULL: usize = CHUNK_SIZE + TAG_SIZE;

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut data = vec![0; len];
    Pattern::new(seed).fill(&mut data);
    data
}

fn seal(key: &DataKey, plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let n = crypto::encrypt(key, plain, &mut out).expect("encrypt");
    assert_eq!(n, plain.len() as u64);
    out
}

fn open(key: &DataKey, sealed: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let n = crypto::decrypt(key, sealed, &mut out)?;
    assert_eq!(n, out.len() as u64);
    Ok(out)
}

/// The ciphertext length the format promises: every full chunk, then a
/// final chunk of the remainder (possibly empty), each with its tag.
fn sealed_len(plain: usize) -> usize {
    HEADER_SIZE + plain / CHUNK_SIZE * FULL + plain % CHUNK_SIZE + TAG_SIZE
}

/// Start offsets of each chunk within a sealed stream.
fn chunk_ranges(sealed: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut at = HEADER_SIZE;
    while at < sealed.len() {
        let end = (at + FULL).min(sealed.len());
        ranges.push(at..end);
        at = end;
    }
    ranges
}

/// Hands out at most `step` bytes per read, to show results do not depend on
/// how the reader slices its data.
struct Dribble<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.step = self.step % 7 + 1;
        Ok(n)
    }
}

#[test]
fn round_trips_at_every_chunk_boundary() {
    let key = DataKey::generate().expect("key");
    let sizes = [
        0,
        1,
        CHUNK_SIZE - 1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        2 * CHUNK_SIZE,
        3 * 1024 * 1024 + 7,
    ];
    for (i, &len) in sizes.iter().enumerate() {
        let plain = pattern(i as u64 + 1, len);
        let sealed = seal(&key, &plain);
        assert_eq!(sealed.len(), sealed_len(len), "length for {len}");
        assert_eq!(open(&key, &sealed).expect("decrypt"), plain, "size {len}");
    }
    // Tiny reads on both sides change nothing.
    let plain = pattern(9, CHUNK_SIZE + 300);
    let mut sealed = Vec::new();
    crypto::encrypt(
        &key,
        Dribble {
            data: &plain,
            step: 3,
        },
        &mut sealed,
    )
    .expect("encrypt");
    let mut opened = Vec::new();
    crypto::decrypt(
        &key,
        Dribble {
            data: &sealed,
            step: 5,
        },
        &mut opened,
    )
    .expect("decrypt");
    assert_eq!(opened, plain);
}

#[test]
fn same_plaintext_encrypts_differently_each_time() {
    let key = DataKey::generate().expect("key");
    let plain = pattern(2, 1000);
    let (a, b) = (seal(&key, &plain), seal(&key, &plain));
    assert_ne!(a, b, "a fresh nonce prefix per stream");
    assert_ne!(a[..HEADER_SIZE], b[..HEADER_SIZE]);
}

#[test]
fn any_flipped_byte_is_detected() {
    let key = DataKey::generate().expect("key");
    // Every single byte of a one-chunk stream…
    let small = seal(&key, &pattern(3, 300));
    for at in 0..small.len() {
        let mut bad = small.clone();
        bad[at] ^= 0x01;
        assert!(open(&key, &bad).is_err(), "flip at {at} went unnoticed");
    }
    // …and in a three-chunk stream, every chunk's first and last bytes, every
    // tag byte, and a stride through the rest.
    let big = seal(&key, &pattern(4, 2 * CHUNK_SIZE + 100));
    let mut positions: Vec<usize> = (0..HEADER_SIZE).collect();
    for range in chunk_ranges(&big) {
        positions.extend([range.start, range.start + 1, range.end - 1]);
        positions.extend(range.end - TAG_SIZE..range.end);
    }
    positions.extend((0..big.len()).step_by(4099));
    for at in positions {
        let mut bad = big.clone();
        bad[at] ^= 0x80;
        let err = open(&key, &bad).expect_err("tampered");
        assert!(
            matches!(err, Error::Decrypt { .. } | Error::BadHeader(_)),
            "flip at {at}: {err}"
        );
    }
}

#[test]
fn truncation_is_detected() {
    let key = DataKey::generate().expect("key");
    for len in [2 * CHUNK_SIZE + 100, 2 * CHUNK_SIZE] {
        let sealed = seal(&key, &pattern(5, len));
        let chunks = chunk_ranges(&sealed);
        assert_eq!(chunks.len(), 3, "{len}: two full chunks and a final one");
        // Dropping the final chunk leaves a full chunk last: never written so.
        let last = chunks.last().expect("final chunk").clone();
        let err = open(&key, &sealed[..last.start]).expect_err("final chunk dropped");
        assert!(matches!(err, Error::Truncated { chunks: 2 }), "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
        // Dropping the last two chunks likewise.
        let err = open(&key, &sealed[..chunks[1].start]).expect_err("two dropped");
        assert!(matches!(err, Error::Truncated { chunks: 1 }), "{err}");
        // Cutting inside a chunk makes a "final" chunk with the wrong flag.
        for cut in [chunks[1].start + 100, last.end - 1] {
            let err = open(&key, &sealed[..cut]).expect_err("cut");
            assert!(
                matches!(err, Error::Decrypt { .. } | Error::Truncated { .. }),
                "{err}"
            );
        }
        // Only a header.
        let err = open(&key, &sealed[..HEADER_SIZE]).expect_err("header only");
        assert!(matches!(err, Error::Truncated { chunks: 0 }), "{err}");
    }
}

#[test]
fn reordered_duplicated_dropped_or_appended_chunks_are_detected() {
    let key = DataKey::generate().expect("key");
    let sealed = seal(&key, &pattern(6, 3 * CHUNK_SIZE + 10));
    let chunks = chunk_ranges(&sealed);
    let header = &sealed[..HEADER_SIZE];
    let assemble = |order: &[usize]| {
        let mut out = header.to_vec();
        for &i in order {
            out.extend_from_slice(&sealed[chunks[i].clone()]);
        }
        out
    };
    let cases: [(&str, Vec<usize>, u64); 6] = [
        ("swapped 0 and 1", vec![1, 0, 2, 3], 0),
        ("swapped 1 and 2", vec![0, 2, 1, 3], 1),
        ("duplicated 0", vec![0, 0, 1, 2, 3], 1),
        ("duplicated 2", vec![0, 1, 2, 2, 3], 3),
        ("dropped 1", vec![0, 2, 3], 1),
        ("final chunk twice", vec![0, 1, 2, 3, 3], 3),
    ];
    assert_eq!(
        open(&key, &assemble(&[0, 1, 2, 3]))
            .expect("in order")
            .len(),
        3 * CHUNK_SIZE + 10
    );
    for (what, order, chunk) in cases {
        let err = open(&key, &assemble(&order)).expect_err(what);
        assert!(
            matches!(err, Error::Decrypt { chunk: c } if c == chunk),
            "{what}: {err}"
        );
    }
    // Trailing garbage after the final chunk.
    let mut extended = sealed.clone();
    extended.extend_from_slice(b"more");
    assert!(matches!(
        open(&key, &extended),
        Err(Error::Decrypt { chunk: 3 })
    ));
}

#[test]
fn wrong_key_is_rejected() {
    let sealed = seal(&DataKey::generate().expect("key"), b"secret");
    let err = open(&DataKey::generate().expect("key"), &sealed).expect_err("wrong key");
    assert!(matches!(err, Error::Decrypt { chunk: 0 }), "{err}");
    assert!(err.to_string().contains("wrong data key"), "{err}");
}

#[test]
fn garbage_headers_are_rejected() {
    let key = DataKey::generate().expect("key");
    let sealed = seal(&key, b"payload");
    let mut inputs: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("short", sealed[..HEADER_SIZE - 1].to_vec()),
        (
            "text",
            b"this is not an encrypted stream at all, just words".to_vec(),
        ),
        ("zeros", vec![0; 200]),
    ];
    for (at, what) in [(0, "magic"), (6, "version"), (7, "algorithm")] {
        let mut bad = sealed.clone();
        bad[at] = bad[at].wrapping_add(1);
        inputs.push((what, bad));
    }
    for (what, input) in inputs {
        let err = open(&key, &input).expect_err(what);
        assert!(matches!(err, Error::BadHeader(_)), "{what}: {err}");
    }
    // A valid header from another stream: the nonce prefix no longer fits.
    let other = seal(&key, b"payload");
    let mut spliced = other[..HEADER_SIZE].to_vec();
    spliced.extend_from_slice(&sealed[HEADER_SIZE..]);
    assert!(matches!(
        open(&key, &spliced),
        Err(Error::Decrypt { chunk: 0 })
    ));
}

#[test]
fn wrapped_keys_open_only_with_their_kek() {
    let id = KeyId::new("creator-1").expect("id");
    let kek = Kek::generate().expect("kek");
    let data_key = DataKey::generate().expect("key");
    let wrapped = WrappedKey::wrap(&id, &kek, &data_key).expect("wrap");
    let bytes = wrapped.to_bytes();
    assert_eq!(bytes.len(), 4 + 3 + id.as_str().len() + 24 + 32 + 16);
    let parsed = WrappedKey::from_bytes(&bytes).expect("parse");
    assert_eq!(parsed, wrapped);
    assert_eq!(parsed.key_id(), &id);
    let opened = parsed.unwrap_with(&kek).expect("unwrap");
    assert_eq!(opened.expose_secret(), data_key.expose_secret());
    // The wrapped form does not contain the key.
    assert!(!bytes.windows(32).any(|w| w == data_key.expose_secret()));

    let err = wrapped
        .unwrap_with(&Kek::generate().expect("kek"))
        .expect_err("wrong KEK");
    assert!(matches!(err, Error::Unwrap { .. }), "{err}");
    assert!(err.to_string().contains("creator-1"), "{err}");

    // Every byte is covered: the header by the parser or the tag, the rest by the tag.
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        let outcome = WrappedKey::from_bytes(&bad).and_then(|w| w.unwrap_with(&kek));
        assert!(
            matches!(outcome, Err(Error::Unwrap { .. } | Error::BadWrappedKey(_))),
            "flip at {at}: {outcome:?}"
        );
    }
    // Relabelling with another (valid) key id breaks the tag.
    let mut relabelled = bytes.clone();
    let id_at = 7 + id.as_str().len() - 1;
    relabelled[id_at] = b'2';
    let relabelled = WrappedKey::from_bytes(&relabelled).expect("still well-formed");
    assert_eq!(relabelled.key_id().as_str(), "creator-2");
    assert!(matches!(
        relabelled.unwrap_with(&kek),
        Err(Error::Unwrap { .. })
    ));

    for garbage in [
        &b""[..],
        b"TRBK",
        b"TRBK\x01\x01\x00",
        &bytes[..bytes.len() - 1],
        b"nonsense",
    ] {
        assert!(matches!(
            WrappedKey::from_bytes(garbage),
            Err(Error::BadWrappedKey(_))
        ));
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        WrappedKey::from_bytes(&longer),
        Err(Error::BadWrappedKey(_))
    ));
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn key_store_creates_private_keys_and_never_replaces_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = KekStore::open(dir.path().join("keys")).expect("open");
    let id = KeyId::new("alice").expect("id");
    assert!(!store.contains(&id).expect("contains"));
    let kek = store.create(&id).expect("create");
    assert!(store.contains(&id).expect("contains"));
    let file = store.dir().join("alice.kek");
    assert_eq!(fs::metadata(&file).expect("key file").len(), 39);
    #[cfg(unix)]
    {
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(store.dir()), 0o700);
    }
    assert_eq!(
        store.load(&id).expect("load").expose_secret(),
        kek.expose_secret()
    );

    let err = store.create(&id).expect_err("second create");
    assert!(matches!(err, Error::KeyExists { .. }), "{err}");
    assert_eq!(
        store.load(&id).expect("load").expose_secret(),
        kek.expose_secret()
    );
    // Only the key file is there: no temporary files left behind.
    let names: Vec<_> = fs::read_dir(store.dir())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["alice.kek"]);

    // Wrapped through the store, opened through the store.
    let data_key = DataKey::generate().expect("key");
    let wrapped = store.wrap(&id, &data_key).expect("wrap");
    assert_eq!(
        store.unwrap(&wrapped).expect("unwrap").expose_secret(),
        data_key.expose_secret()
    );
}

#[test]
fn key_store_rejects_bad_key_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = KekStore::open(dir.path()).expect("open");
    let id = KeyId::new("k").expect("id");
    store.create(&id).expect("create");
    let file = store.dir().join("k.kek");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = store.load(&id).expect_err("group/world readable");
        assert!(matches!(err, Error::BadKeyFile { .. }), "{err}");
        assert!(err.to_string().contains("0600"), "{err}");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let good = fs::read(&file).expect("read");
    for (what, contents) in [
        ("short", good[..20].to_vec()),
        ("long", [good.as_slice(), b"x"].concat()),
        ("magic", [b"XXXXXX".as_slice(), &good[6..]].concat()),
        ("version", [&good[..6], &[9u8][..], &good[7..]].concat()),
    ] {
        fs::write(&file, &contents).expect("write");
        let err = store.load(&id).expect_err(what);
        assert!(matches!(err, Error::BadKeyFile { .. }), "{what}: {err}");
    }
    assert!(matches!(
        "../escape".parse::<KeyId>(),
        Err(Error::InvalidKeyId { .. })
    ));
}

/// What a buyer's download does: unwrap the data key, then decrypt.
fn open_dataset(store: &KekStore, wrapped: &WrappedKey, sealed: &[u8]) -> Result<Vec<u8>, Error> {
    open(&store.unwrap(wrapped)?, sealed)
}

#[test]
fn destroying_the_creator_key_shreds_the_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = KekStore::open(dir.path().join("keys")).expect("open");
    let id = KeyId::new("creator-7").expect("id");
    let kek = store.create(&id).expect("create");
    let data_key = DataKey::generate().expect("key");
    let wrapped = store.wrap(&id, &data_key).expect("wrap");
    let plain = pattern(7, CHUNK_SIZE * 2 + 5);
    let sealed = seal(&data_key, &plain);
    drop(data_key);
    assert_eq!(
        open_dataset(&store, &wrapped, &sealed).expect("before"),
        plain
    );

    // A second name for the key file's inode lets the test look at the bytes
    // `destroy` left on disk after removing the key's name.
    let file = store.dir().join("creator-7.kek");
    let witness = dir.path().join("witness");
    fs::hard_link(&file, &witness).expect("hard link");

    store.destroy(&id).expect("destroy");
    assert!(!file.exists());
    assert!(!store.contains(&id).expect("contains"));
    let left = fs::read(&witness).expect("witness");
    assert_eq!(left.len(), 39, "overwritten in place, same length");
    assert!(
        !left.windows(32).any(|w| w == kek.expose_secret()),
        "key bytes must not survive the overwrite"
    );
    assert_ne!(&left[..6], b"TRBKEK");

    let err = open_dataset(&store, &wrapped, &sealed).expect_err("after shred");
    assert!(matches!(err, Error::KeyNotFound { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("creator-7") && message.contains("crypto-shredded"),
        "{message}"
    );
    assert!(matches!(store.destroy(&id), Err(Error::KeyNotFound { .. })));

    // A new key under the same name is a different key: the data stays lost.
    store.create(&id).expect("recreate");
    let err = open_dataset(&store, &wrapped, &sealed).expect_err("new key, same name");
    assert!(matches!(err, Error::Unwrap { .. }), "{err}");
}

#[test]
fn file_helpers_never_leave_partial_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = DataKey::generate().expect("key");
    let plain_path = dir.path().join("plain.bin");
    let sealed_path = dir.path().join("plain.bin.enc");
    let out_path = dir.path().join("out.bin");
    let plain = pattern(8, 3 * CHUNK_SIZE + 1);
    fs::write(&plain_path, &plain).expect("write");

    assert_eq!(
        encrypt_file(&key, &plain_path, &sealed_path).expect("encrypt"),
        plain.len() as u64
    );
    assert_eq!(
        decrypt_file(&key, &sealed_path, &out_path).expect("decrypt"),
        plain.len() as u64
    );
    assert_eq!(fs::read(&out_path).expect("read"), plain);

    // Tamper with the last chunk: the first chunks authenticate and would be
    // written by a naive decryptor, but the destination must stay as it was.
    let mut sealed = fs::read(&sealed_path).expect("read");
    let at = sealed.len() - 3;
    sealed[at] ^= 1;
    fs::write(&sealed_path, &sealed).expect("write");
    fs::write(&out_path, b"previous contents").expect("write");
    let err = decrypt_file(&key, &sealed_path, &out_path).expect_err("tampered");
    assert!(matches!(err, Error::Decrypt { chunk: 3 }), "{err}");
    assert_eq!(fs::read(&out_path).expect("read"), b"previous contents");
    let fresh = dir.path().join("never.bin");
    assert!(decrypt_file(&key, &sealed_path, &fresh).is_err());
    assert!(!fresh.exists());
    let names = fs::read_dir(dir.path()).expect("list").count();
    assert_eq!(names, 3, "no temporary files left behind");
}

/// Hands out `left` pattern bytes without holding them.
struct Generated {
    pattern: Pattern,
    left: usize,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Whole 8-byte words keep the pattern identical to `pattern()`'s.
        let n = (buf.len() & !7).min(self.left);
        self.pattern.fill(&mut buf[..n]);
        self.left -= n;
        Ok(n)
    }
}

/// Hashes what it is given, keeping none of it.
struct Digesting(Sha256);

impl Write for Digesting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn memory_stays_bounded_whatever_the_size() {
    const LEN: usize = 8 << 20;
    let key = DataKey::generate().expect("key");
    let sealed = tempfile::tempfile().expect("temp file");
    let (digest, peak) = peak_heap(|| {
        let plain = Generated {
            pattern: Pattern::new(11),
            left: LEN,
        };
        crypto::encrypt(&key, plain, io::BufWriter::new(&sealed)).expect("encrypt");
        let mut reader = io::BufReader::new(&sealed);
        io::Seek::rewind(&mut reader).expect("rewind");
        let mut out = Digesting(Sha256::new());
        let n = crypto::decrypt(&key, reader, &mut out).expect("decrypt");
        assert_eq!(n, LEN as u64);
        out.0.finalize()
    });
    assert_eq!(digest, reference_digest(LEN));
    // One 64 KiB chunk buffer plus an 8 KiB BufReader or BufWriter buffer
    // (measured: 72 KiB), against 8 MiB of data.
    assert!(peak < 256 * 1024, "peak heap {peak} bytes for {LEN} bytes");
}

fn reference_digest(len: usize) -> sha2::digest::Output<Sha256> {
    let mut out = Digesting(Sha256::new());
    io::copy(
        &mut Generated {
            pattern: Pattern::new(11),
            left: len,
        },
        &mut out,
    )
    .expect("hash");
    out.0.finalize()
}
