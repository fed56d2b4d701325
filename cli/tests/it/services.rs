//! `tributary indexer|api|relayer …` hand over to the service binary beside `tributary`, with
//! every argument untouched and its exit code; a missing service is one clear line.

use std::{os::unix::fs::PermissionsExt, process::Command};

/// A copy of `tributary` in a fresh folder, beside a stand-in `tributary-api` that prints its
/// arguments and exits 7.
fn tributary_beside_a_fake_api() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let tributary = dir.path().join("tributary");
    std::fs::copy(env!("CARGO_BIN_EXE_tributary"), &tributary).expect("copy tributary");
    let api = dir.path().join("tributary-api");
    std::fs::write(&api, "#!/bin/sh\necho \"api got: $*\"\nexit 7\n").expect("write the stand-in");
    std::fs::set_permissions(&api, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (dir, tributary)
}

#[test]
fn a_service_subcommand_runs_the_service_binary_with_its_own_arguments() {
    let (_dir, tributary) = tributary_beside_a_fake_api();
    let output = Command::new(&tributary)
        .args(["api", "--listen", "127.0.0.1:0", "--help", "-x"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run tributary api");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "api got: --listen 127.0.0.1:0 --help -x"
    );
    assert_eq!(output.status.code(), Some(7), "the service's own exit code");
}

#[test]
fn a_missing_service_binary_is_one_clear_line() {
    let (_dir, tributary) = tributary_beside_a_fake_api();
    let output = Command::new(&tributary)
        .args(["relayer", "--help"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run tributary relayer");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("tributary-relayer is not installed")
            && stderr.contains("cargo build -p tributary-relayer"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
