//! Tree hashing: deterministic order, same result on any thread count,
//! progress adds up, errors name the file.

use std::{
    num::NonZeroUsize,
    sync::atomic::{AtomicU64, Ordering},
};

use tributary_core::{
    Error,
    hash::{NO_PROGRESS, Sha256Digest, sha256_file, sha256_files, sha256_tree},
};

use crate::support::{Pattern, write_pattern_file};

fn threads(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).expect("non-zero")
}

#[test]
fn tree_is_sorted_and_independent_of_thread_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names = ["b.bin", "a/z.bin", "a.bin", "a/b/c.bin", "é.bin", "A.bin"];
    let mut total = 0;
    for (i, name) in names.iter().enumerate() {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let len = (i as u64 + 1) * 300_001;
        write_pattern_file(&path, i as u64 + 1, len);
        total += len;
    }

    let seen = AtomicU64::new(0);
    let progress = |n: u64| {
        seen.fetch_add(n, Ordering::Relaxed);
    };
    let parallel = sha256_tree(dir.path(), threads(2), &progress).expect("hash tree");
    assert_eq!(
        seen.load(Ordering::Relaxed),
        total,
        "progress must add up to the bytes read"
    );

    let paths: Vec<&str> = parallel.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["A.bin", "a.bin", "a/b/c.bin", "a/z.bin", "b.bin", "é.bin"]
    );
    assert_eq!(
        sha256_tree(dir.path(), threads(1), NO_PROGRESS).expect("serial"),
        parallel
    );
    assert_eq!(
        sha256_tree(dir.path(), threads(8), NO_PROGRESS).expect("wide"),
        parallel
    );

    for entry in &parallel {
        let one = sha256_file(&dir.path().join(&entry.path), NO_PROGRESS).expect("one file");
        assert_eq!(one, entry.digest);
    }
}

#[test]
fn file_digest_matches_in_memory_digest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("f");
    let len = 3 * 1024 * 1024 + 5;
    write_pattern_file(&path, 42, len);
    let mut expected = vec![0; len as usize];
    Pattern::new(42).fill(&mut expected);
    let digest = sha256_file(&path, NO_PROGRESS).expect("hash");
    assert_eq!(digest.size, len);
    assert_eq!(digest.sha256, Sha256Digest::of(&expected));
}

#[test]
fn errors_name_the_missing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let present = dir.path().join("present");
    std::fs::write(&present, b"x").expect("write");
    let missing = dir.path().join("missing");
    let err =
        sha256_files(&[present, missing.clone()], threads(2), NO_PROGRESS).expect_err("missing");
    assert!(
        matches!(&err, Error::Io { path, .. } if *path == missing),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("target"), b"x").expect("write");
    std::os::unix::fs::symlink(dir.path().join("target"), dir.path().join("link"))
        .expect("symlink");
    let err = sha256_tree(dir.path(), threads(2), NO_PROGRESS).expect_err("symlink");
    assert!(
        err.to_string().contains("symbolic links are not followed"),
        "{err}"
    );
}
