//! Running the binary and building dataset folders for the tests.

use std::{
    fs,
    path::Path,
    process::{Command, Output},
};

use tributary_core::{
    hash,
    manifest::{Creator, DatasetInfo, Licence, LicenceTerms, Manifest},
};

/// Runs `tributary` with `args` and returns what it printed and its exit code.
pub(crate) fn tributary(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args(args)
        .output()
        .expect("the tributary binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A dataset folder with three files (one of them in a subfolder, one over a CID chunk) and
/// its manifest, written to `dir/dataset` and `dir/manifest.json`.
pub(crate) fn dataset(dir: &Path) -> Manifest {
    let root = dir.join("dataset");
    fs::create_dir_all(root.join("images")).expect("mkdir");
    fs::write(root.join("labels.csv"), "id,label\n1,cat\n2,dog\n").expect("write");
    fs::write(root.join("README.md"), "# Pets\n").expect("write");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(root.join("images/cat.bin"), big).expect("write");
    let info = DatasetInfo {
        title: "Pets".into(),
        description: None,
        creator: Creator {
            did: "did:web:studio.example".into(),
            wallet: "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359".into(),
        },
        licence: Licence {
            terms: LicenceTerms::Spdx("CC-BY-4.0".into()),
            royalty_bps: 500,
        },
        consent_records: vec![],
        parents: vec![],
        created_at: "2026-11-23T00:00:00Z".into(),
        extensions: Default::default(),
    };
    let manifest = Manifest::from_folder(info, &root, hash::default_threads(), hash::NO_PROGRESS)
        .expect("manifest from folder");
    fs::write(
        dir.join("manifest.json"),
        manifest.to_pretty_json().expect("json"),
    )
    .expect("write manifest");
    manifest
}

/// A user of the CLI: their own home folder and anvil account, running `tributary` as a
/// separate process.
pub(crate) struct User {
    pub(crate) home: tempfile::TempDir,
    /// The anvil account index whose key the process signs with.
    pub(crate) account: u32,
}

impl User {
    /// A user with account `account` whose config points at `rpc` and `contract`, keeping blobs
    /// in `store` (shared between users so an auditor can read what a creator stored).
    pub(crate) fn init(account: u32, rpc: &str, contract: &str, store: &Path) -> Self {
        let user = Self {
            home: tempfile::tempdir().expect("tempdir"),
            account,
        };
        let store = store.to_str().expect("utf-8 path");
        let output = user.run(&[
            "init",
            "--rpc-url",
            rpc,
            "--contract",
            contract,
            "--store",
            store,
        ]);
        assert_eq!(output.status.code(), Some(0), "init: {}", stderr(&output));
        user
    }

    /// Runs `tributary --home <home> args…` with this user's key in the environment.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tributary"))
            .arg("--home")
            .arg(self.home.path())
            .args(args)
            .env_remove("TRIBUTARY_PRIVATE_KEY")
            .env("TRIBUTARY_MNEMONIC", tributary_testkit::MNEMONIC)
            .env("TRIBUTARY_MNEMONIC_INDEX", self.account.to_string())
            .output()
            .expect("the tributary binary runs")
    }

    /// Runs a command with `--json` that must succeed, and parses its report.
    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let output = self.run(&with_json);
        assert_eq!(
            output.status.code(),
            Some(0),
            "tributary {}: {}{}",
            args.join(" "),
            stdout(&output),
            stderr(&output)
        );
        serde_json::from_str(&stdout(&output)).expect("a JSON report")
    }
}
