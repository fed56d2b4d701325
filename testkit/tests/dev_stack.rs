//! The README's first command, run as a newcomer runs it: `scripts/dev.sh` in a fresh data
//! folder, up to its `ready` line; the demo's verify command passes; the API shows the three
//! demo datasets with their titles and the licences of the wallet buyer and of the card buyer,
//! and answers each product endpoint; the relayer credited the card payment; SIGINT stops the
//! script and every child process (anvil, api, relayer). A second start on the same folder comes up without seeding the
//! demo again and still shows the three datasets.
//!
//! Everything is real (the machine's PostgreSQL, anvil from `node_modules`, the workspace's
//! debug binaries, which the script builds if they are stale). A missing part fails the test
//! with the script's output; nothing is skipped.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde_json::Value;
use sqlx::{Connection, PgConnection};
use tributary_testkit::{account, repo_root};

/// Longest wait for `ready`: the script may have to build the binaries (debug) first.
const READY_TIMEOUT: Duration = Duration::from_secs(1200);
/// Longest wait for the script to stop its children and exit after SIGINT.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
/// The demo's datasets, in id order.
const TITLES: [&str; 3] = [
    "Alpine bird songs",
    "Handwritten digits",
    "Street-sign photos",
];
/// The children the script starts, named as in its `run/<name>.pid` files.
const CHILDREN: [&str; 3] = ["anvil", "api", "relayer"];

fn server_url() -> String {
    std::env::var("TRIBUTARY_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// What one start of the stack needs: a data folder and database names of its own.
struct Setup {
    dir: PathBuf,
    db_prefix: String,
    chain_id: u32,
}

impl Setup {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .subsec_nanos();
        let pid = std::process::id();
        Self {
            dir: Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dev-stack-{pid}-{nanos}")),
            db_prefix: format!("trb_devstack_{pid}_{nanos}"),
            // Not 31337: the deployment file the script moves out of `deployments/` is its own.
            chain_id: 40_000 + pid % 20_000,
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let (server, prefix) = (server_url(), self.db_prefix.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            if let Ok(mut admin) = PgConnection::connect(&format!("{server}/postgres")).await {
                for suffix in ["indexer", "relayer"] {
                    // The prefix is generated above from digits and underscores only.
                    let sql = format!("DROP DATABASE IF EXISTS {prefix}_{suffix} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await;
                }
            }
        });
    }
}

/// A running `scripts/dev.sh`; stopped (and, failing that, its children killed) when dropped.
struct Stack {
    child: Child,
    output: Arc<Mutex<String>>,
    dir: PathBuf,
    pids: Vec<(&'static str, u32)>,
}

impl Stack {
    /// Starts the script and waits for its `ready` line.
    fn start(setup: &Setup) -> Self {
        let started = Instant::now();
        let mut child = Command::new("bash")
            .arg(repo_root().join("scripts/dev.sh"))
            .current_dir(repo_root())
            .env("TRIBUTARY_DEV_DIR", &setup.dir)
            .env("TRIBUTARY_DEV_RPC_PORT", "0")
            .env("TRIBUTARY_DEV_API_PORT", "0")
            .env("TRIBUTARY_DEV_RELAYER_PORT", "0")
            .env("TRIBUTARY_DEV_CHAIN_ID", setup.chain_id.to_string())
            .env("TRIBUTARY_DEV_PG", server_url())
            .env("TRIBUTARY_DEV_DB_PREFIX", &setup.db_prefix)
            // The newcomer's path: no DATABASE_URL, the machine's PostgreSQL.
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bash runs scripts/dev.sh");
        let output = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        for (stream, ready) in [
            (Box::new(stdout) as Box<dyn Read + Send>, Some(ready_tx)),
            (Box::new(stderr), None),
        ] {
            let output = Arc::clone(&output);
            thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let done = line == "ready";
                    {
                        let mut text = output.lock().expect("output lock");
                        text.push_str(&line);
                        text.push('\n');
                    }
                    if done && let Some(ready) = &ready {
                        let _ = ready.send(());
                    }
                }
            });
        }
        let mut stack = Self {
            child,
            output,
            dir: setup.dir.clone(),
            pids: Vec::new(),
        };
        loop {
            match ready_rx.recv_timeout(Duration::from_millis(200)) {
                Ok(()) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = stack.child.try_wait().expect("try_wait") {
                        thread::sleep(Duration::from_millis(200)); // the last lines
                        panic!(
                            "scripts/dev.sh exited ({status}) before `ready`:\n{}",
                            stack.output()
                        );
                    }
                    if started.elapsed() > READY_TIMEOUT {
                        panic!(
                            "scripts/dev.sh printed no `ready` within {READY_TIMEOUT:?}:\n{}",
                            stack.output()
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("scripts/dev.sh closed its stdout:\n{}", stack.output())
                }
            }
        }
        eprintln!(
            "dev stack ready in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        stack.pids = CHILDREN
            .iter()
            .map(|name| {
                let file = setup.dir.join(format!("run/{name}.pid"));
                let pid = std::fs::read_to_string(&file)
                    .unwrap_or_else(|error| panic!("{}: {error}", file.display()))
                    .trim()
                    .parse()
                    .expect("a pid");
                assert!(alive(pid), "{name} (pid {pid}) is not running at `ready`");
                (*name, pid)
            })
            .collect();
        stack
    }

    fn output(&self) -> String {
        self.output.lock().expect("output lock").clone()
    }

    /// The value the script printed after `key:` on its summary.
    fn printed(&self, key: &str) -> String {
        let output = self.output();
        output
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}:")))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| panic!("scripts/dev.sh printed no `{key}:` line:\n{output}"))
    }

    /// The URL printed after `key:` (its first word).
    fn url(&self, key: &str) -> String {
        let value = self.printed(key);
        value.split_whitespace().next().expect("a URL").to_owned()
    }

    /// SIGINT, as Ctrl-C sends; then the script must exit and leave no child running.
    fn interrupt(mut self) -> ExitStatus {
        signal("INT", self.child.id());
        let status = self.wait_exit().unwrap_or_else(|| {
            let ignored = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
                .unwrap_or_default()
                .lines()
                .find(|line| line.starts_with("SigIgn"))
                .unwrap_or_default()
                .to_owned();
            panic!(
                "scripts/dev.sh did not exit within {STOP_TIMEOUT:?} of SIGINT ({ignored}):\n{}",
                self.output()
            )
        });
        let left: Vec<_> = self.pids.iter().filter(|(_, pid)| alive(*pid)).collect();
        assert!(
            left.is_empty(),
            "still running after the script exited: {left:?}\n{}",
            self.output()
        );
        for name in CHILDREN {
            assert!(
                !self.dir.join(format!("run/{name}.pid")).exists(),
                "the pid file of {name} outlived the stack"
            );
        }
        assert!(
            status.success(),
            "a stop on request exits 0, not {status}:\n{}",
            self.output()
        );
        status
    }

    fn wait_exit(&mut self) -> Option<ExitStatus> {
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

impl Drop for Stack {
    /// A failed test still stops the stack: SIGTERM, then SIGKILL to whatever is left.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            signal("TERM", self.child.id());
            if self.wait_exit().is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        for (_, pid) in &self.pids {
            if alive(*pid) {
                signal("KILL", *pid);
            }
        }
    }
}

fn signal(name: &str, pid: u32) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// Whether `pid` runs (a zombie does not count).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// GET `url` (http://host:port/path) over HTTP/1.1: the status and the body.
fn get(url: &str) -> (u16, String) {
    request("GET", url, None)
}

/// POST `body` as JSON to `url`: the status and the body, parsed.
fn post_json(url: &str, body: &Value) -> (u16, Value) {
    let (status, answer) = request("POST", url, Some(&body.to_string()));
    let answer = serde_json::from_str(&answer)
        .unwrap_or_else(|error| panic!("POST {url}: {error}: {answer}"));
    (status, answer)
}

/// One HTTP/1.1 request (the test needs no client library for this): the status and the body.
fn request(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(host, path)| {
            (host, format!("/{path}"))
        });
    let mut stream =
        TcpStream::connect(host).unwrap_or_else(|error| panic!("connect to {url}: {error}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let body = body.unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .unwrap_or_else(|error| panic!("read the answer of {url}: {error}"));
    let split = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in the answer of {url}"));
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let body = &answer[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in the answer of {url}: {head}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    (status, String::from_utf8(body).expect("a UTF-8 body"))
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|window| window == b"\r\n") {
        let size = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|size| usize::from_str_radix(size.trim(), 16).ok())
            .expect("a chunk size");
        if size == 0 {
            break;
        }
        let chunk = &body[end + 2..];
        out.extend_from_slice(&chunk[..size]);
        body = &chunk[size + 2..];
    }
    out
}

fn get_json(url: &str) -> Value {
    let (status, body) = get(url);
    assert_eq!(status, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("GET {url}: {error}: {body}"))
}

fn titles(api: &str) -> Vec<String> {
    get_json(&format!("{api}/datasets"))["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|dataset| dataset["title"].as_str().unwrap_or("(no title)").to_owned())
        .collect()
}

/// The licences the API shows for `holder`, as `(dataset id, payment ref)`.
fn licences_of(api: &str, holder: &str) -> Vec<(String, String)> {
    get_json(&format!("{api}/licences?holder={holder}"))["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|licence| {
            (
                licence["dataset_id"]
                    .as_str()
                    .expect("dataset_id")
                    .to_owned(),
                licence["payment_ref"]
                    .as_str()
                    .expect("payment_ref")
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_first_command_runs_the_stack_with_its_demo_and_stops_cleanly_twice() {
    let setup = Setup::new();

    // First start: builds (a no-op when `cargo test --workspace` built the binaries),
    // deploys, seeds the demo.
    let stack = Stack::start(&setup);
    let output = stack.output();
    assert!(
        output.contains("seeding the demo"),
        "the first start seeds the demo:\n{output}"
    );
    let api = stack.url("API");
    let relayer = stack.url("relayer");
    assert!(stack.url("chain RPC").starts_with("http://127.0.0.1:"));
    let deployment = PathBuf::from(stack.printed("deployment"));
    assert!(
        deployment.starts_with(&setup.dir) && deployment.exists(),
        "the deployment file lives in the data folder: {}",
        deployment.display()
    );
    assert!(
        !repo_root()
            .join(format!("deployments/{}.json", setup.chain_id))
            .exists(),
        "the deployment file of a non-default chain id is moved out of deployments/"
    );

    // The demo's verify command, exactly as printed.
    let verify = stack.printed("verify");
    let run = Command::new("bash")
        .args(["-c", &verify])
        .output()
        .expect("bash runs the verify command");
    assert!(
        run.status.success(),
        "`{verify}` failed ({}):\n{}{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("ok: every check passed"));

    // The demo's download command: the wallet buyer's licensed download through the API, each
    // file equal to the creator's.
    let download = stack.printed("download");
    let run = Command::new("bash")
        .args(["-c", &download])
        .output()
        .expect("bash runs the download command");
    assert!(
        run.status.success(),
        "`{download}` failed ({}):\n{}{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let original = setup.dir.join("demo/datasets/alpine-bird-songs");
    let downloaded = setup.dir.join("downloads/alpine-bird-songs");
    let mut compared = 0;
    for entry in std::fs::read_dir(&original).expect("the demo's files") {
        let name = entry.expect("entry").file_name();
        assert_eq!(
            std::fs::read(original.join(&name)).expect("original"),
            std::fs::read(downloaded.join(&name)).expect("downloaded"),
            "{name:?} downloaded equal to the creator's"
        );
        compared += 1;
    }
    assert_eq!(compared, 4, "three calls and their CSV");

    // The API's reads: liveness, the three datasets with their titles, both buyers' licences.
    assert_eq!(get_json(&format!("{api}/healthz"))["status"], "ok");
    assert_eq!(titles(&api), TITLES);
    let wallet_buyer = account(4).address().to_checksum(None);
    let card_buyer = account(5).address().to_checksum(None);
    let wallet_licences = licences_of(&api, &wallet_buyer);
    assert_eq!(
        wallet_licences
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        ["1"],
        "the wallet buyer's licence"
    );
    let card_licences = licences_of(&api, &card_buyer);
    assert_eq!(card_licences.len(), 1, "the card buyer's licence");
    assert_eq!(card_licences[0].0, "3");

    // The relayer: health, the card payment's credit on-chain, then the licence bought by the
    // relayer itself with exactly that payment's credits (its purchase job).
    assert_eq!(get_json(&format!("{relayer}/health"))["status"], "ok");
    let jobs = get_json(&format!("{relayer}/jobs"));
    let jobs = jobs["items"].as_array().expect("items");
    assert_eq!(
        jobs.len(),
        2,
        "one card payment, its mint and its purchase: {jobs:?}"
    );
    assert_eq!(jobs[0]["kind"], "mint_credits");
    assert_eq!(jobs[0]["status"], "done");
    assert_eq!(jobs[0]["outcome"], "minted");
    assert_eq!(jobs[0]["account"], card_buyer.as_str());
    assert_eq!(jobs[0]["payment_id"], card_licences[0].1.as_str());
    assert_eq!(jobs[1]["kind"], "purchase_licence");
    assert_eq!(jobs[1]["status"], "done");
    assert_eq!(jobs[1]["outcome"], "purchased");
    assert_eq!(jobs[1]["account"], card_buyer.as_str());
    assert_eq!(jobs[1]["dataset_id"], "3");
    assert_eq!(jobs[1]["payment_id"], card_licences[0].1.as_str());

    product_endpoints(&api, &wallet_buyer);

    let status = stack.interrupt();
    assert!(status.success(), "a stop on request exits 0: {status}");

    // Second start on the same folder: the chain and the databases are kept, no new demo.
    let stack = Stack::start(&setup);
    let output = stack.output();
    assert!(
        !output.contains("seeding the demo")
            && !output.contains("deploying the suite")
            && !output.contains("deploying Superfluid"),
        "the second start neither seeds nor deploys again:\n{output}"
    );
    assert!(output.contains("reusing the deployment"), "{output}");
    assert_eq!(titles(&stack.url("API")), TITLES);
    let status = stack.interrupt();
    assert!(status.success(), "a stop on request exits 0: {status}");
}

/// Each product endpoint once, on the demo's data (api/tests/it/product.rs sends what they answer).
fn product_endpoints(api: &str, wallet_buyer: &str) {
    let doc = get_json(&format!("{api}/openapi.json"));
    for path in [
        "/datasets",
        "/datasets/{id}/purchase",
        "/datasets/{id}/report-usage",
        "/datasets/{id}/stream-start",
    ] {
        assert!(
            doc["paths"][path]["post"].is_object(),
            "POST {path} in /openapi.json"
        );
    }

    // A new registration to sign, for a creator of the demo (anvil account 2).
    let creator = account(2).address().to_checksum(None);
    let vector: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("test/vectors/manifest/minimal.json"))
            .expect("the minimal manifest vector"),
    )
    .expect("JSON");
    let mut manifest = vector["manifest"].clone();
    manifest["creator"]["wallet"] = Value::String(creator.clone());
    let (status, prepared) = post_json(
        &format!("{api}/datasets"),
        &serde_json::json!({
            "creator": creator,
            "manifest": manifest,
            "offers": [{"kind": "OneOff", "price": "1", "terms_hash": format!("0x{}", "ab".repeat(32))}],
        }),
    );
    assert_eq!(status, 200, "POST /datasets: {prepared}");
    assert_eq!(prepared["typed_data"]["primaryType"], "Register");
    assert_eq!(prepared["stored"], true, "the stack has a manifest store");

    // The wallet buyer's purchase of dataset 1 again (0.01 ETH, simulated); dataset 3 is sold
    // for card credits only.
    let (status, plan) = post_json(
        &format!("{api}/datasets/1/purchase"),
        &serde_json::json!({"payment_method": "wallet", "buyer": wallet_buyer, "offer_index": 0}),
    );
    assert_eq!(status, 200, "POST /datasets/1/purchase: {plan}");
    assert_eq!(plan["transactions"][0]["value"], "10000000000000000");
    let (status, refused) = post_json(
        &format!("{api}/datasets/3/purchase"),
        &serde_json::json!({"payment_method": "wallet", "buyer": wallet_buyer, "offer_index": 0}),
    );
    assert_eq!(status, 409, "dataset 3 is priced in credits: {refused}");
    // Its card purchase needs a Stripe account, which the dev stack does not have.
    let (status, refused) = post_json(
        &format!("{api}/datasets/3/purchase"),
        &serde_json::json!({"payment_method": "stripe", "buyer": wallet_buyer, "offer_index": 0}),
    );
    assert_eq!(status, 409, "no Stripe key in the dev stack: {refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("not configured")),
        "{refused}"
    );

    // The wallet buyer streams to dataset 2 (the demo's subscription): the mirror licenses it by
    // the stream, and a second stream is refused; the card buyer holds no Super Token.
    let licensed = get_json(&format!("{api}/datasets/2/licensed/{wallet_buyer}"));
    assert_eq!(licensed["licensed"], true, "{licensed}");
    assert_eq!(
        licensed["licensed_by"],
        serde_json::json!(["stream"]),
        "{licensed}"
    );
    let (status, refused) = post_json(
        &format!("{api}/datasets/2/stream-start"),
        &serde_json::json!({"account": wallet_buyer}),
    );
    assert_eq!(status, 409, "already streaming: {refused}");
    let card_buyer = account(5).address().to_checksum(None);
    let (status, refused) = post_json(
        &format!("{api}/datasets/2/stream-start"),
        &serde_json::json!({"account": card_buyer}),
    );
    assert_eq!(status, 409, "no Super Tokens: {refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("deposit")),
        "{refused}"
    );

    // The demo's licences are one-off: a usage report is refused with the reason.
    let licences = get_json(&format!("{api}/licences?holder={wallet_buyer}"));
    let token_id = licences["items"][0]["token_id"].as_str().expect("token_id");
    let (status, refused) = post_json(
        &format!("{api}/datasets/1/report-usage"),
        &serde_json::json!({"token_id": token_id, "reporter": wallet_buyer, "revenue": "100"}),
    );
    assert_eq!(status, 409, "a one-off licence owes no royalty: {refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("not royalty-linked")),
        "{refused}"
    );
}
