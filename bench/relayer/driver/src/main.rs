//! The load driver of `bench/relayer/run.sh`.
//!
//! ```text
//! relayer-bench sign --secret S --timestamp T < BODY
//!     the Stripe-Signature header of BODY (run.sh compares it with Stripe's own library's)
//! relayer-bench webhooks --url URL --secret S --count N --concurrency C --buyers K
//!                        --prefix P --manifest FILE --stats FILE
//!     N distinct `checkout.session.completed` events, each signed as Stripe signs
//!     (`t=…,v1=HMAC-SHA256(secret, "t.body")`), POSTed over C keep-alive connections; every
//!     answer must be 200 with `"duplicate":false`. FILE gets each payment (PaymentIntent,
//!     payment id = keccak256 of it, buyer, amount) for the on-chain check.
//! relayer-bench get --url URL --count N --concurrency C --stats FILE
//!     the same load as plain GETs (the peer: an endpoint that does the minimum)
//! ```
//!
//! Requests are built and signed before the clock starts. One thread (a current-thread
//! runtime), so the driver takes at most one of the machine's cores. The stats file: count,
//! seconds, rate, latency percentiles, non-200 answers.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use sha3::{Digest, Keccak256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let command = args
        .next()
        .ok_or("usage: relayer-bench sign|webhooks|get --flag value …")?;
    let flags = parse_flags(args)?;
    match command.as_str() {
        "sign" => {
            let mut body = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut body)?;
            let t: u64 = flag(&flags, "timestamp")?.parse()?;
            println!("{}", sign(flag(&flags, "secret")?, t, &body));
            Ok(())
        }
        "webhooks" => webhooks(&flags),
        "get" => get(&flags),
        other => Err(format!("unknown command {other}").into()),
    }
}

fn parse_flags(args: impl Iterator<Item = String>) -> Result<HashMap<String, String>, Error> {
    let args: Vec<String> = args.collect();
    let mut flags = HashMap::new();
    for pair in args.chunks(2) {
        let name = pair[0]
            .strip_prefix("--")
            .ok_or_else(|| format!("expected --flag, got {}", pair[0]))?;
        let value = pair
            .get(1)
            .ok_or_else(|| format!("--{name} needs a value"))?;
        flags.insert(name.to_owned(), value.clone());
    }
    Ok(flags)
}

fn flag<'a>(flags: &'a HashMap<String, String>, name: &str) -> Result<&'a str, Error> {
    flags
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| format!("missing --{name}").into())
}

fn number(flags: &HashMap<String, String>, name: &str) -> Result<usize, Error> {
    Ok(flag(flags, name)?.parse()?)
}

/// Stripe's `Stripe-Signature` header: `t={t},v1={hex HMAC-SHA256(secret, "{t}.{body}")}`.
fn sign(secret: &str, t: u64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn keccak(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// The EIP-55 form of a 20-byte address.
fn checksummed(address: &[u8]) -> String {
    let lower = hex::encode(address);
    let hash = keccak(lower.as_bytes());
    let mixed: String = lower
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
            if c.is_ascii_alphabetic() && nibble >= 8 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    format!("0x{mixed}")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// The `checkout.session.completed` event Stripe sends for a paid session whose metadata
/// names the buyer (credits only), pretty-printed as Stripe sends it (the shape of
/// `tributary_testkit::StripeStandIn::completed_event`).
fn completed_event(event_id: &str, pi: &str, session: &str, buyer: &str, amount: u64) -> String {
    let created = now();
    let body = json!({
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": { "object": {
            "id": session,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": "https://example.com/cancel",
            "client_reference_id": buyer,
            "created": created,
            "currency": "usd",
            "customer_details": { "email": "buyer@example.com" },
            "expires_at": created + 24 * 3600,
            "livemode": false,
            "metadata": { "buyer": buyer },
            "mode": "payment",
            "payment_intent": pi,
            "payment_status": "paid",
            "status": "complete",
            "success_url": "https://example.com/success",
            "url": Value::Null,
        }},
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": Value::Null, "idempotency_key": Value::Null },
        "type": "checkout.session.completed",
    });
    serde_json::to_string_pretty(&body).expect("json")
}

/// host:port and path of an `http://` URL.
fn split_url(url: &str) -> Result<(String, String), Error> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are driven")?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    Ok((
        host.to_owned(),
        if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
    ))
}

fn webhooks(flags: &HashMap<String, String>) -> Result<(), Error> {
    let (host, path) = split_url(flag(flags, "url")?)?;
    let secret = flag(flags, "secret")?;
    let count = number(flags, "count")?;
    let buyers = number(flags, "buyers")?.max(1);
    let prefix = flag(flags, "prefix")?;
    if !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("--prefix must be alphanumeric".into());
    }
    let buyers: Vec<String> = (0..buyers)
        .map(|i| checksummed(&keccak(format!("tributary bench buyer {i}").as_bytes())[12..]))
        .collect();
    let t = now();
    let mut requests = Vec::with_capacity(count);
    let mut manifest = Vec::with_capacity(count);
    for i in 0..count {
        let pi = format!("pi_{prefix}{i:08}");
        let buyer = &buyers[i % buyers.len()];
        let amount = 100 + (i as u64 * 37) % 9_900;
        let body = completed_event(
            &format!("evt_{prefix}{i:08}"),
            &pi,
            &format!("cs_test_{prefix}{i:08}"),
            buyer,
            amount,
        );
        let header = sign(secret, t, &body);
        requests.push(
            format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json; \
                 charset=utf-8\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n\
                 Stripe-Signature: {header}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        );
        manifest.push(json!({
            "payment_intent": pi,
            "payment_id": format!("0x{}", hex::encode(keccak(pi.as_bytes()))),
            "buyer": buyer,
            "amount": amount,
        }));
    }
    let bytes: usize = requests.iter().map(Vec::len).sum();
    std::fs::write(flag(flags, "manifest")?, serde_json::to_string(&manifest)?)?;
    let mut stats = drive(&host, requests, number(flags, "concurrency")?, true)?;
    stats["request_bytes_mean"] = json!(bytes / count.max(1));
    std::fs::write(flag(flags, "stats")?, serde_json::to_string_pretty(&stats)?)?;
    println!("{stats}");
    Ok(())
}

fn get(flags: &HashMap<String, String>) -> Result<(), Error> {
    let (host, path) = split_url(flag(flags, "url")?)?;
    let count = number(flags, "count")?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes();
    let stats = drive(
        &host,
        vec![request; count],
        number(flags, "concurrency")?,
        false,
    )?;
    std::fs::write(flag(flags, "stats")?, serde_json::to_string_pretty(&stats)?)?;
    println!("{stats}");
    Ok(())
}

/// Sends every request once over `concurrency` keep-alive connections (each takes the next
/// unsent request when its answer has come) and returns the stats.
fn drive(
    host: &str,
    requests: Vec<Vec<u8>>,
    concurrency: usize,
    webhook: bool,
) -> Result<Value, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let requests = Arc::new(requests);
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency.max(1) {
            let (requests, next, host) = (requests.clone(), next.clone(), host.to_owned());
            tasks.push(tokio::spawn(async move {
                connection(&host, &requests, &next, webhook).await
            }));
        }
        let mut latencies = Vec::with_capacity(requests.len());
        let mut failures: Vec<String> = Vec::new();
        let mut failed = 0usize;
        for task in tasks {
            let result = task.await?;
            latencies.extend(result.latencies_us);
            failed += result.failed;
            failures.extend(result.failures);
        }
        let seconds = started.elapsed().as_secs_f64();
        latencies.sort_unstable();
        let pct = |p: f64| -> f64 {
            if latencies.is_empty() {
                return 0.0;
            }
            let i = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
            latencies[i.clamp(1, latencies.len()) - 1] as f64 / 1000.0
        };
        let ok = latencies.len() - failed;
        Ok::<_, Error>(json!({
            "requests": latencies.len(),
            "ok": ok,
            "failed": failed,
            "failures": failures,
            "concurrency": concurrency,
            "seconds": seconds,
            "rate": ok as f64 / seconds,
            "p50_ms": pct(50.0),
            "p90_ms": pct(90.0),
            "p99_ms": pct(99.0),
            "max_ms": pct(100.0),
        }))
    })
}

struct ConnectionResult {
    latencies_us: Vec<u64>,
    failed: usize,
    failures: Vec<String>,
}

async fn connection(
    host: &str,
    requests: &[Vec<u8>],
    next: &AtomicUsize,
    webhook: bool,
) -> ConnectionResult {
    let mut result = ConnectionResult {
        latencies_us: Vec::new(),
        failed: 0,
        failures: Vec::new(),
    };
    let mut stream: Option<TcpStream> = None;
    let mut buffer = Vec::with_capacity(4096);
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(request) = requests.get(index) else {
            return result;
        };
        let sent = Instant::now();
        let answer = exchange(&mut stream, host, request, &mut buffer).await;
        result
            .latencies_us
            .push(sent.elapsed().as_micros().try_into().unwrap_or(u64::MAX));
        let failure = match answer {
            Ok((200, body)) if !webhook || body.contains("\"duplicate\":false") => None,
            Ok((status, body)) => Some(format!("request {index}: {status} {body}")),
            Err(error) => {
                stream = None;
                Some(format!("request {index}: {error}"))
            }
        };
        if let Some(failure) = failure {
            result.failed += 1;
            if result.failures.len() < 5 {
                result.failures.push(failure);
            }
        }
    }
}

/// Writes `request` on the connection (opened if needed) and reads one answer: its status
/// and body (by Content-Length).
async fn exchange(
    stream: &mut Option<TcpStream>,
    host: &str,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<(u16, String), Error> {
    if stream.is_none() {
        let connected = TcpStream::connect(host).await?;
        connected.set_nodelay(true)?;
        *stream = Some(connected);
    }
    let connection = stream.as_mut().expect("connected above");
    connection.write_all(request).await?;
    buffer.clear();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end + 4;
        }
        let read = connection.read(&mut chunk).await?;
        if read == 0 {
            return Err("connection closed before the answer".into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or("no status line")?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or("an answer without Content-Length")?;
    while buffer.len() < head_end + length {
        let read = connection.read(&mut chunk).await?;
        if read == 0 {
            return Err("connection closed inside the body".into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = String::from_utf8_lossy(&buffer[head_end..head_end + length]).to_string();
    if head.to_ascii_lowercase().contains("connection: close") {
        *stream = None;
    }
    Ok((status, body))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_of_a_known_address() {
        let address = hex::decode("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").expect("hex");
        assert_eq!(
            checksummed(&address),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        );
    }

    #[test]
    fn stripes_documented_scheme() {
        // HMAC-SHA256 over "t.body", hex, under v1.
        let header = sign("whsec_test", 1_700_000_000, "{}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
    }
}
