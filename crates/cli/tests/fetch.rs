//! `skillgen fetch` against a fake Hub: a tiny_http server on 127.0.0.1 inside the test. Each
//! model id picks a behaviour (see `respond`); a raw TCP server produces the truncated body.
//! No test reaches the network.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use skillgen_cli::fetch::{self, Model, Options, Report, Retry, Status};
use skillgen_generator::MAX_CONFIG_BYTES;
use tiny_http::{Header, Request, Response, StatusCode};

/// Odd spacing on purpose: the cache must hold the bytes as served, not a re-serialisation.
const CONFIG: &str = "{\"model_type\":  \"bert\",\n \"architectures\": [\"BertForMaskedLM\"]}\n";
const TOKEN: &str = "sekrit";
/// As Python's `json.dumps` writes a non-finite float: not JSON, but what the Hub serves for
/// Mamba2-style models, and what transformers reads.
const MAMBA2: &str = "{\n  \"architectures\": [\"Mamba2ForCausalLM\"],\n  \"model_type\": \"mamba2\",\n  \"time_step_limit\": [\n    0.0,\n    Infinity\n  ]\n}\n";

#[derive(Default)]
struct Log {
    /// Request paths with their `Authorization` header, in arrival order.
    hits: Mutex<Vec<(String, Option<String>)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

struct Hub {
    url: String,
    server: Arc<tiny_http::Server>,
    log: Arc<Log>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

impl Hub {
    fn start() -> Hub {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let log = Arc::new(Log::default());
        let (s, l) = (server.clone(), log.clone());
        thread::spawn(move || {
            for request in s.incoming_requests() {
                let l = l.clone();
                // One thread per request, so a slow response does not hold up the others.
                thread::spawn(move || respond(request, &l));
            }
        });
        Hub {
            url: format!("http://127.0.0.1:{port}"),
            server,
            log,
        }
    }

    /// How many requests asked for `id`'s config (any revision).
    fn hits(&self, id: &str) -> usize {
        let prefix = format!("/{id}/resolve/");
        self.log
            .hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with(&prefix))
            .count()
    }

    fn options(&self) -> Options {
        Options {
            endpoint: self.url.clone(),
            timeout: Duration::from_secs(10),
            retry: Retry {
                attempts: 3,
                first_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(20),
            },
            ..Options::default()
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name, value).unwrap()
}

fn respond(request: Request, log: &Log) {
    let path = request.url().to_string();
    let auth = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("authorization"))
        .map(|h| h.value.to_string());
    let earlier = {
        let mut hits = log.hits.lock().unwrap();
        let n = hits.iter().filter(|(p, _)| *p == path).count();
        hits.push((path.clone(), auth.clone()));
        n
    };
    let now = log.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    log.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let id = path
        .trim_start_matches('/')
        .split("/resolve/")
        .next()
        .unwrap_or("");
    let ok = || Response::from_string(CONFIG);
    let status = |code: u16| Response::from_string(format!("status {code}")).with_status_code(code);
    let response = match id {
        "ok/model" | "ok/other" => ok(),
        "moved/model" => {
            status(302).with_header(header("Location", "/ok/model/resolve/main/config.json"))
        }
        "missing/model" => status(404).with_header(header("X-Error-Message", "Revision Not Found")),
        "private/model" if auth.as_deref() == Some(&format!("Bearer {TOKEN}")) => ok(),
        "private/model" => status(401),
        "gated/model" => status(403).with_header(header(
            "X-Error-Message",
            "Access to model gated/model is restricted",
        )),
        "busy/model" if earlier == 0 => status(429).with_header(header("Retry-After", "3600")),
        "flaky/model" if earlier == 0 => status(500),
        "busy/model" | "flaky/model" => ok(),
        "down/model" => status(503),
        "teapot/model" => status(418),
        "slow/model" => {
            thread::sleep(Duration::from_secs(3));
            ok()
        }
        id if id.starts_with("paced/") => {
            thread::sleep(Duration::from_millis(300));
            ok()
        }
        "huge/model" => Response::from_data(oversized()),
        "hugechunked/model" => {
            // No length given: tiny_http sends it chunked, so only the read limit can stop it.
            let body = oversized();
            Response::new(StatusCode(200), vec![], Cursor::new(body), None, None)
        }
        "badjson/model" => Response::from_string("{\"model_type\": \"bert\",\n"),
        "mamba2/model" => Response::from_string(MAMBA2),
        "badfloat/model" => Response::from_string("{\"model_type\": \"bert\",\n \"x\": Infinityx}"),
        "array/model" => Response::from_string("[{\"model_type\": \"bert\"}]"),
        "notype/model" => Response::from_string("{\"hidden_size\": 768}"),
        _ => status(404),
    };
    log.in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = request.respond(response);
}

/// A server whose every response promises 1000 bytes, sends a few, then closes: a connection
/// dropped mid-body. Raw TCP, since tiny_http keeps connections open and pads nothing. Returns the
/// endpoint and a request counter.
fn truncating_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            // Read the request head, so closing does not reset the connection.
            read_head(&mut stream);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"model_type\": ");
            let _ = stream.shutdown(Shutdown::Both);
        }
    });
    (url, hits)
}

/// Reads up to the blank line that ends an HTTP head, and returns it.
fn read_head(stream: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Each proxied connection's (CONNECT head, tunnelled request head).
type Tunnelled = Arc<Mutex<Vec<(String, String)>>>;

/// An HTTP proxy on 127.0.0.1 that accepts every `CONNECT` and then answers the tunnelled request
/// itself, with [`CONFIG`] (401 for `private/` ids): with `HTTP_PROXY` pointing at it, a fetch from a non-loopback endpoint
/// is served without any connection leaving the machine (ureq leaves name resolution to the
/// proxy). Returns the proxy URL and each connection's (CONNECT head, tunnelled request head).
fn connect_proxy() -> (String, Tunnelled) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let log = heads.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let log = log.clone();
            thread::spawn(move || {
                let connect = read_head(&mut stream);
                let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let request = read_head(&mut stream);
                let (status, body) = if request.starts_with("GET /private/") {
                    ("401 Unauthorized", "")
                } else {
                    ("200 OK", CONFIG)
                };
                log.lock().unwrap().push((connect, request));
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            });
        }
    });
    (url, heads)
}

/// Valid JSON one byte over the cap, so only the size can be the reason it is refused.
fn oversized() -> Vec<u8> {
    let frame = "{\"model_type\": \"bert\", \"pad\": \"\"}".len() as u64;
    let pad = "x".repeat((MAX_CONFIG_BYTES + 1 - frame) as usize);
    let body = format!("{{\"model_type\": \"bert\", \"pad\": \"{pad}\"}}");
    assert_eq!(body.len() as u64, MAX_CONFIG_BYTES + 1);
    body.into_bytes()
}

fn model(spec: &str) -> Model {
    match spec.split_once('@') {
        Some((id, rev)) => Model {
            id: id.into(),
            revision: Some(rev.into()),
        },
        None => Model::new(spec),
    }
}

fn run(hub: &Hub, cache: &Path, specs: &[&str], tweak: impl FnOnce(&mut Options)) -> Report {
    let mut options = hub.options();
    tweak(&mut options);
    let models: Vec<Model> = specs.iter().map(|s| model(s)).collect();
    fetch::fetch_all(&models, cache, &options, &|_, _, _| {}).unwrap()
}

/// The failure message of `id`, or a panic naming what happened instead.
fn failure(report: &Report, id: &str) -> String {
    let outcome = report.outcomes.iter().find(|o| o.model.id == id).unwrap();
    match &outcome.status {
        Status::Failed(why) => {
            assert!(!why.contains('\n'), "one line: {why}");
            why.clone()
        }
        other => panic!("{id}: expected a failure, got {other:?}"),
    }
}

/// Every file under `dir` (hidden ones too), relative, sorted: shows partial and temporary files.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Directories left under `dir`: a failed fetch must not leave an empty model folder either.
fn dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|it| {
            it.map(|e| e.unwrap().path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn configs_are_cached_byte_for_byte_per_revision() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(&hub, cache.path(), &["ok/model", "ok/other@v1.0"], |_| {});
    assert_eq!(report.failed(), 0, "{report:?}");
    assert_eq!(
        files(cache.path()),
        ["ok/model/config.json", "ok/other@v1.0/config.json"]
    );
    for f in files(cache.path()) {
        assert_eq!(
            std::fs::read_to_string(cache.path().join(f)).unwrap(),
            CONFIG
        );
    }
    assert_eq!(report.summary(), "fetched 2, skipped 0 (cached), failed 0");
    let hits = hub.log.hits.lock().unwrap().clone();
    assert!(
        hits.contains(&("/ok/other/resolve/v1.0/config.json".into(), None)),
        "{hits:?}"
    );
}

#[test]
fn redirects_are_followed() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(&hub, cache.path(), &["moved/model"], |_| {});
    assert_eq!(
        report.outcomes[0].status,
        Status::Fetched {
            bytes: CONFIG.len()
        }
    );
    assert_eq!(
        std::fs::read_to_string(cache.path().join("moved/model/config.json")).unwrap(),
        CONFIG
    );
    assert_eq!((hub.hits("moved/model"), hub.hits("ok/model")), (1, 1));
}

#[test]
fn not_found_names_the_id_and_revision() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(&hub, cache.path(), &["missing/model@v2"], |_| {});
    let why = failure(&report, "missing/model");
    assert!(
        why.contains("HTTP 404") && why.contains("`missing/model`") && why.contains("`v2`"),
        "{why}"
    );
    assert!(
        why.contains("Revision Not Found"),
        "the Hub's own message is passed on: {why}"
    );
    assert_eq!(hub.hits("missing/model"), 1, "a 404 is not retried");
    assert!(files(cache.path()).is_empty() && dirs(cache.path()).is_empty());
}

#[test]
fn unauthorized_and_forbidden_say_to_set_hf_token() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(
        &hub,
        cache.path(),
        &["private/model", "gated/model"],
        |_| {},
    );
    let why = failure(&report, "private/model");
    assert!(
        why.contains("HTTP 401") && why.contains("gated") && why.contains("set HF_TOKEN"),
        "{why}"
    );
    let why = failure(&report, "gated/model");
    assert!(
        why.contains("HTTP 403") && why.contains("HF_TOKEN") && why.contains("is restricted"),
        "{why}"
    );
    assert_eq!((hub.hits("private/model"), hub.hits("gated/model")), (1, 1));
    assert!(files(cache.path()).is_empty());

    let report = run(&hub, cache.path(), &["gated/model"], |o| {
        o.token = Some("wrong".into())
    });
    let why = failure(&report, "gated/model");
    assert!(why.contains("with the HF_TOKEN given"), "{why}");
}

#[test]
fn the_token_is_sent_as_a_bearer_header() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(&hub, cache.path(), &["private/model"], |o| {
        o.token = Some(TOKEN.into())
    });
    assert_eq!(report.failed(), 0, "{report:?}");
    let hits = hub.log.hits.lock().unwrap().clone();
    assert_eq!(hits[0].1.as_deref(), Some("Bearer sekrit"));
}

#[test]
fn the_token_is_sent_over_plain_http_to_loopback_hosts() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let by_name = hub.url.replace("127.0.0.1", "localhost");
    for endpoint in [hub.url.clone(), by_name] {
        let report = run(&hub, cache.path(), &["private/model"], |o| {
            o.token = Some(TOKEN.into());
            o.endpoint = endpoint.clone();
            o.refresh = true;
        });
        assert_eq!(report.failed(), 0, "{endpoint}: {report:?}");
        assert!(report.notes.is_empty(), "{endpoint}: {:?}", report.notes);
        let hits = hub.log.hits.lock().unwrap().clone();
        assert_eq!(
            hits.last().unwrap().1.as_deref(),
            Some("Bearer sekrit"),
            "{endpoint}"
        );
    }
    assert_eq!(hub.hits("private/model"), 2);
}

#[test]
fn a_withheld_token_is_noted_once_per_run() {
    // Everything is cached, so nothing is requested from the (non-loopback) endpoint.
    let cache = tempfile::tempdir().unwrap();
    for id in ["a/model", "b/model"] {
        let dir = cache.path().join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), CONFIG).unwrap();
    }
    let models = [Model::new("a/model"), Model::new("b/model")];
    let options = |endpoint: &str, token: Option<&str>| Options {
        endpoint: endpoint.into(),
        token: token.map(Into::into),
        ..Options::default()
    };
    let report = fetch::fetch_all(
        &models,
        cache.path(),
        &options("http://example.com", Some(TOKEN)),
        &|_, _, _| {},
    )
    .unwrap();
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert_eq!(
        report.summary(),
        "fetched 0, skipped 2 (cached), failed 0\nnote: HF_TOKEN was not sent: HF_ENDPOINT `http://example.com` is plain http to a non-loopback host (`example.com`), where the token would cross the network unencrypted; use an https endpoint"
    );
    for (endpoint, token) in [
        ("http://example.com", None),
        ("https://example.com", Some(TOKEN)),
        ("http://127.0.0.1:9", Some(TOKEN)),
    ] {
        let report = fetch::fetch_all(
            &models,
            cache.path(),
            &options(endpoint, token),
            &|_, _, _| {},
        )
        .unwrap();
        assert!(report.notes.is_empty(), "{endpoint}: {:?}", report.notes);
    }
}

#[test]
fn rate_limits_and_server_errors_are_retried() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let report = run(&hub, cache.path(), &["busy/model", "flaky/model"], |_| {});
    assert_eq!(report.failed(), 0, "{report:?}");
    assert_eq!((hub.hits("busy/model"), hub.hits("flaky/model")), (2, 2));
    // `Retry-After: 3600` is capped by the retry policy's max_delay.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        files(cache.path()),
        ["busy/model/config.json", "flaky/model/config.json"]
    );
}

#[test]
fn retries_are_bounded() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(&hub, cache.path(), &["down/model"], |_| {});
    let why = failure(&report, "down/model");
    assert!(
        why.contains("HTTP 503") && why.contains("gave up after 3 attempts"),
        "{why}"
    );
    assert_eq!(hub.hits("down/model"), 3);
    assert!(files(cache.path()).is_empty() && dirs(cache.path()).is_empty());
}

#[test]
fn a_slow_response_times_out() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let report = run(&hub, cache.path(), &["slow/model"], |o| {
        o.timeout = Duration::from_millis(200);
        o.retry.attempts = 2;
    });
    let why = failure(&report, "slow/model");
    assert!(
        why.contains("timed out") && why.contains("gave up after 2 attempts"),
        "{why}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(hub.hits("slow/model"), 2);
    assert!(files(cache.path()).is_empty());
}

#[test]
fn oversized_bodies_are_refused_whether_or_not_their_length_is_announced() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(
        &hub,
        cache.path(),
        &["huge/model", "hugechunked/model"],
        |_| {},
    );
    for id in ["huge/model", "hugechunked/model"] {
        let why = failure(&report, id);
        assert!(
            why.contains(&format!("{MAX_CONFIG_BYTES} byte limit")),
            "{why}"
        );
        assert_eq!(hub.hits(id), 1, "{id}: a too-large body is not retried");
    }
    assert!(files(cache.path()).is_empty() && dirs(cache.path()).is_empty());
}

#[test]
fn a_truncated_body_is_retried_and_never_cached() {
    let hub = Hub::start();
    let (url, hits) = truncating_server();
    let cache = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let report = run(&hub, cache.path(), &["truncated/model"], |o| {
        o.endpoint = url
    });
    let why = failure(&report, "truncated/model");
    assert!(why.contains("gave up after 3 attempts"), "{why}");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "no wait for a timeout: {:?}",
        start.elapsed()
    );
    assert!(files(cache.path()).is_empty() && dirs(cache.path()).is_empty());
}

#[test]
fn bodies_that_are_no_model_config_are_not_cached() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(
        &hub,
        cache.path(),
        &[
            "badjson/model",
            "badfloat/model",
            "array/model",
            "notype/model",
        ],
        |_| {},
    );
    let expect = [
        ("badjson/model", "config.json:2:1 is not valid JSON"),
        ("badfloat/model", "config.json:2:15 is not valid JSON"),
        ("array/model", "is not a JSON object"),
        ("notype/model", "neither `model_type` nor `architectures`"),
    ];
    for (id, what) in expect {
        let why = failure(&report, id);
        assert!(why.contains(what), "{id}: {why}");
        assert_eq!(hub.hits(id), 1, "{id}: an invalid body is not retried");
    }
    assert!(files(cache.path()).is_empty() && dirs(cache.path()).is_empty());
}

#[test]
fn bare_non_finite_floats_are_read_as_transformers_reads_them() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(&hub, cache.path(), &["mamba2/model"], |_| {});
    assert_eq!(report.failed(), 0, "{report:?}");
    assert_eq!(
        std::fs::read_to_string(cache.path().join("mamba2/model/config.json")).unwrap(),
        MAMBA2,
        "cached as served, not re-serialised"
    );
}

#[test]
fn other_statuses_are_reported_as_unexpected() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let report = run(&hub, cache.path(), &["teapot/model"], |_| {});
    let why = failure(&report, "teapot/model");
    assert!(
        why.contains("unexpected HTTP 418")
            && why.contains("/teapot/model/resolve/main/config.json"),
        "{why}"
    );
}

#[test]
fn cached_models_are_skipped_unless_refresh() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let cached = cache.path().join("ok/model/config.json");
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::write(&cached, "{\"model_type\": \"old\"}").unwrap();

    let report = run(&hub, cache.path(), &["ok/model"], |_| {});
    assert_eq!(report.outcomes[0].status, Status::Cached);
    assert_eq!(hub.hits("ok/model"), 0);
    assert_eq!(
        std::fs::read_to_string(&cached).unwrap(),
        "{\"model_type\": \"old\"}"
    );

    let report = run(&hub, cache.path(), &["ok/model"], |o| o.refresh = true);
    assert_eq!(
        report.outcomes[0].status,
        Status::Fetched {
            bytes: CONFIG.len()
        }
    );
    assert_eq!(std::fs::read_to_string(&cached).unwrap(), CONFIG);
}

#[test]
fn a_failed_refresh_keeps_the_cached_file() {
    let hub = Hub::start();
    let (url, _) = truncating_server();
    let cache = tempfile::tempdir().unwrap();
    let cached = cache.path().join("truncated/model/config.json");
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::write(&cached, CONFIG).unwrap();
    let report = run(&hub, cache.path(), &["truncated/model"], |o| {
        o.refresh = true;
        o.endpoint = url;
    });
    assert_eq!(report.failed(), 1);
    assert_eq!(std::fs::read_to_string(&cached).unwrap(), CONFIG);
    assert_eq!(files(cache.path()), ["truncated/model/config.json"]);
}

#[test]
fn downloads_run_concurrently_up_to_jobs_with_a_progress_line_each() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let models: Vec<Model> = (1..=6).map(|i| Model::new(format!("paced/m{i}"))).collect();
    let mut options = hub.options();
    options.jobs = 2;
    let seen = Mutex::new(Vec::new());
    let progress = |done: usize, total: usize, o: &fetch::Outcome| {
        seen.lock().unwrap().push((done, total, o.to_string()));
    };
    let report = fetch::fetch_all(&models, cache.path(), &options, &progress).unwrap();
    assert_eq!(report.failed(), 0, "{report:?}");
    assert_eq!(hub.log.max_in_flight.load(Ordering::SeqCst), 2);
    let seen = seen.into_inner().unwrap();
    assert_eq!(
        seen.iter().map(|(d, t, _)| (*d, *t)).collect::<Vec<_>>(),
        (1..=6).map(|d| (d, 6)).collect::<Vec<_>>()
    );
    assert!(
        seen[0]
            .2
            .contains(&format!(": fetched {} bytes into ", CONFIG.len())),
        "{}",
        seen[0].2
    );
    // The report keeps the input order whatever order the downloads finished in.
    let ids: Vec<&str> = report
        .outcomes
        .iter()
        .map(|o| o.model.id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["paced/m1", "paced/m2", "paced/m3", "paced/m4", "paced/m5", "paced/m6"]
    );
}

#[test]
fn offline_refuses_before_anything_is_fetched_or_written() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().unwrap();
    let mut options = hub.options();
    options.offline = true;
    let models = [Model::new("ok/model"), Model::new("ok/other")];
    let err = fetch::fetch_all(&models, cache.path(), &options, &|_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HF_HUB_OFFLINE") && err.contains("ok/model, ok/other"),
        "{err}"
    );
    assert!(hub.log.hits.lock().unwrap().is_empty());
    assert!(files(cache.path()).is_empty());

    // With every config cached there is nothing to download, so offline is fine.
    for id in ["ok/model", "ok/other"] {
        std::fs::create_dir_all(cache.path().join(id)).unwrap();
        std::fs::write(cache.path().join(id).join("config.json"), CONFIG).unwrap();
    }
    let report = fetch::fetch_all(&models, cache.path(), &options, &|_, _, _| {}).unwrap();
    assert!(report.outcomes.iter().all(|o| o.status == Status::Cached));
}

// --- The binary: environment variables and exit status. ---

fn skillgen(hub: &Hub, dir: &Path, ids: &[&str], env: &[(&str, &str)]) -> Output {
    let manifest: String = ids
        .iter()
        .map(|id| format!("[[model]]\nid = \"{id}\"\n\n"))
        .collect();
    std::fs::write(dir.join("models.toml"), manifest).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skillgen"));
    cmd.current_dir(dir).args(["fetch", "--jobs", "2"]);
    let inherited = [
        "HF_TOKEN",
        "HF_HUB_OFFLINE",
        "ALL_PROXY",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
    ];
    for var in inherited
        .iter()
        .flat_map(|v| [v.to_string(), v.to_ascii_lowercase()])
    {
        cmd.env_remove(var);
    }
    cmd.env("HF_ENDPOINT", &hub.url).envs(env.iter().copied());
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn cli_offline_refuses_and_writes_nothing() {
    let hub = Hub::start();
    let dir = tempfile::tempdir().unwrap();
    let out = skillgen(&hub, dir.path(), &["ok/model"], &[("HF_HUB_OFFLINE", "1")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("HF_HUB_OFFLINE is set"),
        "{}",
        stderr(&out)
    );
    assert!(hub.log.hits.lock().unwrap().is_empty());
    assert!(!dir.path().join("autoconfigs").exists());
}

#[test]
fn cli_reads_endpoint_and_token_and_skips_cached_models() {
    let hub = Hub::start();
    let dir = tempfile::tempdir().unwrap();
    let cached = dir.path().join("autoconfigs/ok/model");
    std::fs::create_dir_all(&cached).unwrap();
    std::fs::write(cached.join("config.json"), CONFIG).unwrap();
    let out = skillgen(
        &hub,
        dir.path(),
        &["private/model", "ok/model"],
        &[("HF_TOKEN", TOKEN)],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("[1/2] ok/model: cached at "), "{err}");
    assert!(err.contains("[2/2] private/model: fetched"), "{err}");
    assert!(
        err.contains("fetched 1, skipped 1 (cached), failed 0"),
        "{err}"
    );
    assert_eq!(hub.hits("ok/model"), 0);
    let auth: HashMap<String, Option<String>> =
        hub.log.hits.lock().unwrap().iter().cloned().collect();
    assert_eq!(
        auth["/private/model/resolve/main/config.json"].as_deref(),
        Some("Bearer sekrit")
    );
}

#[test]
fn cli_exits_non_zero_when_any_model_fails() {
    let hub = Hub::start();
    let dir = tempfile::tempdir().unwrap();
    let out = skillgen(&hub, dir.path(), &["missing/model", "ok/model"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("missing/model: failed: not found (HTTP 404)"),
        "{err}"
    );
    assert!(
        err.contains("fetched 1, skipped 0 (cached), failed 1"),
        "{err}"
    );
    assert_eq!(
        files(&dir.path().join("autoconfigs")),
        ["ok/model/config.json"]
    );
}

#[test]
fn cli_withholds_the_token_from_plain_http_to_other_hosts_and_says_so_once() {
    let hub = Hub::start(); // unused: every request goes through the proxy
    let (proxy, tunnelled) = connect_proxy();
    let dir = tempfile::tempdir().unwrap();
    let out = skillgen(
        &hub,
        dir.path(),
        &["ok/model", "ok/other"],
        &[
            ("HF_TOKEN", TOKEN),
            ("HF_ENDPOINT", "http://hub.invalid"),
            ("HTTP_PROXY", &proxy),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("fetched 2, skipped 0 (cached), failed 0\nnote: HF_TOKEN was not sent: HF_ENDPOINT `http://hub.invalid` is plain http to a non-loopback host"),
        "{err}"
    );
    assert_eq!(err.matches("HF_TOKEN was not sent").count(), 1, "{err}");
    assert!(hub.log.hits.lock().unwrap().is_empty());
    let tunnelled = tunnelled.lock().unwrap().clone();
    assert_eq!(tunnelled.len(), 2, "{tunnelled:?}");
    for (connect, request) in &tunnelled {
        assert!(connect.starts_with("CONNECT hub.invalid:80 "), "{connect}");
        assert!(request.starts_with("GET /ok/"), "{request}");
        let lower = request.to_ascii_lowercase();
        assert!(
            !lower.contains("authorization") && !request.contains(TOKEN),
            "{request}"
        );
    }
}

#[test]
fn cli_says_a_refusal_may_be_due_to_the_withheld_token() {
    let hub = Hub::start(); // unused: every request goes through the proxy
    let (proxy, tunnelled) = connect_proxy();
    let dir = tempfile::tempdir().unwrap();
    let out = skillgen(
        &hub,
        dir.path(),
        &["private/model"],
        &[
            ("HF_TOKEN", TOKEN),
            ("HF_ENDPOINT", "http://hub.invalid"),
            ("HTTP_PROXY", &proxy),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("private/model: failed: access denied (HTTP 401) to `private/model`: HF_TOKEN was not sent: HF_ENDPOINT `http://hub.invalid` is plain http to a non-loopback host"),
        "{err}"
    );
    assert_eq!(tunnelled.lock().unwrap().len(), 1);
}
