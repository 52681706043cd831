//! `skillgen fetch`: downloads each models.toml model's `config.json` from the HuggingFace Hub into
//! the config cache (`autoconfigs/<id>[@<revision>]/config.json`), byte for byte as served, after
//! checking it is a config the generator can read. A failed download leaves nothing behind.

use std::fmt;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use ureq::config::RedirectAuthHeaders;

use skillgen_generator::atomic::write_atomic;
use skillgen_generator::Error;
use skillgen_generator::ModelEntry;
use skillgen_generator::{config_path, AutoConfig, MAX_CONFIG_BYTES};

/// The Hub, unless `HF_ENDPOINT` names a mirror.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Retries for rate limits (429), server errors (5xx) and network failures; nothing else is
/// retried, since a 404 or a bad body will not change.
#[derive(Debug, Clone)]
pub struct Retry {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub first_delay: Duration,
    /// Cap on any wait, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl Retry {
    fn delay(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// `https://huggingface.co` or a mirror (`HF_ENDPOINT`).
    pub endpoint: String,
    /// Sent as `Authorization: Bearer` for gated and private models (`HF_TOKEN`), only where
    /// [`token_allowed`] permits.
    pub token: Option<String>,
    /// Refuse to download anything (`HF_HUB_OFFLINE`).
    pub offline: bool,
    /// Download configs that are already cached too.
    pub refresh: bool,
    /// Downloads running at once.
    pub jobs: usize,
    /// Per attempt, from connecting to the last body byte, redirects included.
    pub timeout: Duration,
    pub retry: Retry,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            endpoint: DEFAULT_ENDPOINT.into(),
            token: None,
            offline: false,
            refresh: false,
            jobs: 4,
            timeout: Duration::from_secs(30),
            retry: Retry::default(),
        }
    }
}

/// A model to fetch: a Hub repo id and an optional revision (`main` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub id: String,
    pub revision: Option<String>,
}

impl Model {
    pub fn new(id: impl Into<String>) -> Self {
        Model {
            id: id.into(),
            revision: None,
        }
    }

    pub fn revision(&self) -> &str {
        self.revision.as_deref().unwrap_or("main")
    }
}

impl From<&ModelEntry> for Model {
    fn from(m: &ModelEntry) -> Self {
        Model {
            id: m.id.clone(),
            revision: m.revision.clone(),
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.revision {
            Some(r) => write!(f, "{}@{r}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Fetched {
        bytes: usize,
    },
    /// Already cached; skipped without `refresh`.
    Cached,
    /// One line saying what went wrong and what to do.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub model: Model,
    pub path: PathBuf,
    pub status: Status,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (model, path) = (&self.model, self.path.display());
        match &self.status {
            Status::Fetched { bytes } => write!(f, "{model}: fetched {bytes} bytes into {path}"),
            Status::Cached => write!(
                f,
                "{model}: cached at {path}, skipped (--refresh fetches it again)"
            ),
            Status::Failed(why) => write!(f, "{model}: failed: {why}"),
        }
    }
}

/// Every model's outcome, in models.toml order.
#[derive(Debug, Clone)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Things the user should know about the run as a whole (at most one each), e.g. that
    /// `HF_TOKEN` was not sent; [`Report::summary`] includes them.
    pub notes: Vec<String>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.count(|s| matches!(s, Status::Failed(_)))
    }

    fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(&o.status)).count()
    }

    /// E.g. `fetched 2, skipped 3 (cached), failed 1`, then a `note: ...` line per note.
    pub fn summary(&self) -> String {
        let mut summary = format!(
            "fetched {}, skipped {} (cached), failed {}",
            self.count(|s| matches!(s, Status::Fetched { .. })),
            self.count(|s| *s == Status::Cached),
            self.failed()
        );
        for note in &self.notes {
            summary.push_str("\nnote: ");
            summary.push_str(note);
        }
        summary
    }
}

/// Fetches every model without a cached config (all with `refresh`), `jobs` at a time, calling
/// `progress(done, total, outcome)` as each finishes. `Err` only when `offline` forbids the
/// downloads, before anything is written; per-model failures are in the report.
pub fn fetch_all(
    models: &[Model],
    cache: &Path,
    options: &Options,
    progress: &(dyn Fn(usize, usize, &Outcome) + Sync),
) -> Result<Report, Error> {
    let paths: Vec<PathBuf> = models
        .iter()
        .map(|m| config_path(cache, &m.id, m.revision.as_deref()))
        .collect();
    // Any entry counts as cached (even a link or a bad file): `generate` reports those itself.
    let (todo, cached): (Vec<usize>, Vec<usize>) = (0..models.len())
        .partition(|&i| options.refresh || fs::symlink_metadata(&paths[i]).is_err());
    if options.offline && !todo.is_empty() {
        let ids: Vec<String> = todo.iter().map(|&i| models[i].to_string()).collect();
        return Err(Error::new(format!(
            "HF_HUB_OFFLINE is set: not downloading {} config(s): {}",
            ids.len(),
            ids.join(", ")
        ))
        .fix("unset HF_HUB_OFFLINE to download, or put the configs into the cache by hand"));
    }
    let notes = match (&options.token, token_allowed(&options.endpoint)) {
        (Some(_), Err(why)) => vec![format!("HF_TOKEN was not sent: {why}")],
        _ => Vec::new(),
    };
    let total = models.len();
    let done = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; total]);
    let finish = |i: usize, status: Status| {
        let outcome = Outcome {
            model: models[i].clone(),
            path: paths[i].clone(),
            status,
        };
        progress(done.fetch_add(1, Ordering::SeqCst) + 1, total, &outcome);
        slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
    };
    for &i in &cached {
        finish(i, Status::Cached);
    }
    let agent = agent(options);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.clamp(1, todo.len().max(1)) {
            scope.spawn(|| {
                while let Some(&i) = todo.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let status = match download(&agent, options, &models[i])
                        .and_then(|b| store(&paths[i], &b))
                    {
                        Ok(bytes) => Status::Fetched { bytes },
                        Err(why) => Status::Failed(why),
                    };
                    finish(i, status);
                }
            });
        }
    });
    let outcomes = slots
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|o| o.expect("every model has an outcome"))
        .collect();
    Ok(Report { outcomes, notes })
}

fn agent(options: &Options) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(options.timeout))
        // Statuses are classified below (retry, gated, not found) rather than as opaque errors.
        .http_status_as_error(false)
        .user_agent(concat!("skillgen/", env!("CARGO_PKG_VERSION")))
        // The Hub redirects renamed repos on its own host, where the token must go along; it is
        // never sent to another host (the CDN URLs are signed).
        .redirect_auth_headers(RedirectAuthHeaders::SameHost)
        .build()
        .into()
}

/// `{endpoint}/{id}/resolve/{revision}/config.json` (id and revision are validated by the manifest).
pub fn config_url(endpoint: &str, model: &Model) -> String {
    format!(
        "{}/{}/resolve/{}/config.json",
        endpoint.trim_end_matches('/'),
        model.id,
        model.revision()
    )
}

/// Whether `HF_TOKEN` may go to `endpoint`: over https, or over plain http to a loopback host
/// (`127.0.0.0/8`, `::1`, `localhost`), where it never crosses a network. `Err` says why not.
/// Same-host redirects keep the token only where they do not downgrade https to http.
pub fn token_allowed(endpoint: &str) -> Result<(), String> {
    let uri: ureq::http::Uri = endpoint
        .trim()
        .parse()
        .map_err(|_| format!("HF_ENDPOINT `{endpoint}` is not a URL"))?;
    let scheme = uri.scheme_str().unwrap_or("");
    if scheme.eq_ignore_ascii_case("https") {
        return Ok(());
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(format!("HF_ENDPOINT `{endpoint}` is not an https URL"));
    }
    let host = uri.host().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "HF_ENDPOINT `{endpoint}` is plain http to a non-loopback host (`{host}`), where the token would cross the network unencrypted; use an https endpoint"
        ))
    }
}

enum Attempt {
    Done(Vec<u8>),
    /// Worth trying again, after `after` when the server said so.
    Retry {
        why: String,
        after: Option<Duration>,
    },
    Fail(String),
}

/// Downloads and validates one config, retrying transient failures.
pub fn download(agent: &ureq::Agent, options: &Options, model: &Model) -> Result<Vec<u8>, String> {
    let url = config_url(&options.endpoint, model);
    let attempts = options.retry.attempts.max(1);
    for failures in 1.. {
        match attempt(agent, options, model, &url) {
            Attempt::Done(bytes) => return validate(model, &bytes).map(|()| bytes),
            Attempt::Fail(why) => return Err(why),
            Attempt::Retry { why, .. } if failures >= attempts => {
                return Err(format!("{why} (gave up after {attempts} attempts)"))
            }
            Attempt::Retry { after, .. } => {
                let wait = after.map_or_else(
                    || options.retry.delay(failures),
                    |d| d.min(options.retry.max_delay),
                );
                std::thread::sleep(wait);
            }
        }
    }
    unreachable!("the loop returns")
}

fn attempt(agent: &ureq::Agent, options: &Options, model: &Model, url: &str) -> Attempt {
    let mut request = agent.get(url);
    let allowed = token_allowed(&options.endpoint);
    if let (Some(token), Ok(())) = (&options.token, &allowed) {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut response = match request.call() {
        Ok(r) => r,
        Err(e) => return network_failure(options, url, e),
    };
    let status = response.status().as_u16();
    let hub_says = response
        .headers()
        .get("x-error-message")
        .and_then(|v| v.to_str().ok())
        .map(|m| format!(" (the Hub says: {m})"))
        .unwrap_or_default();
    match status {
        200..=299 => match response
            .body_mut()
            .with_config()
            .limit(MAX_CONFIG_BYTES)
            .read_to_vec()
        {
            Ok(bytes) => Attempt::Done(bytes),
            Err(ureq::Error::BodyExceedsLimit(_)) => Attempt::Fail(format!(
                "the response is over the {MAX_CONFIG_BYTES} byte limit for a config.json ({url})"
            )),
            Err(e) => network_failure(options, url, e),
        },
        401 | 403 => Attempt::Fail(match (&options.token, &allowed) {
            (None, _) => format!(
                "access denied (HTTP {status}): `{}` is gated or private (or does not exist); accept its terms on the Hub, then set HF_TOKEN to a token with access{hub_says}",
                model.id
            ),
            (Some(_), Err(why)) => format!(
                "access denied (HTTP {status}) to `{}`: HF_TOKEN was not sent: {why}{hub_says}",
                model.id
            ),
            (Some(_), Ok(())) => format!(
                "access denied (HTTP {status}) with the HF_TOKEN given: that token has no access to `{}`; accept the model's terms on the Hub with its account, or check the token{hub_says}",
                model.id
            ),
        }),
        404 => Attempt::Fail(format!(
            "not found (HTTP 404): no config.json for `{}` at revision `{}` on {}; check the id and revision in models.toml{hub_says}",
            model.id,
            model.revision(),
            options.endpoint
        )),
        429 | 500..=599 => Attempt::Retry {
            why: format!("HTTP {status} from {url}{hub_says}"),
            after: retry_after(&response),
        },
        _ => Attempt::Fail(format!("unexpected HTTP {status} from {url}{hub_says}")),
    }
}

/// Network-level failures: connection, timeout and truncated bodies are retried, the rest is not.
fn network_failure(options: &Options, url: &str, e: ureq::Error) -> Attempt {
    use ureq::Error as E;
    let why = match &e {
        E::Timeout(_) => format!("timed out after {:?} ({url})", options.timeout),
        E::ConnectionFailed | E::HostNotFound => format!("cannot connect to {url}: {e}"),
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("the connection closed before the whole response arrived ({url})")
        }
        _ => format!("{e} ({url})"),
    };
    match e {
        E::Timeout(_)
        | E::ConnectionFailed
        | E::HostNotFound
        | E::Io(_)
        | E::Protocol(_)
        | E::BodyStalled => Attempt::Retry { why, after: None },
        _ => Attempt::Fail(why),
    }
}

/// `Retry-After` in seconds (the Hub's form); HTTP dates are ignored in favour of the backoff.
fn retry_after(response: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value.trim().parse().ok().map(Duration::from_secs)
}

/// The checks `generate` will make ([`AutoConfig::parse`]), plus: it must say what model it is.
fn validate(model: &Model, bytes: &[u8]) -> Result<(), String> {
    let config = AutoConfig::parse(Path::new("config.json"), &model.id, bytes).map_err(|e| {
        let at = e
            .position
            .map(|(l, c)| format!(":{l}:{c}"))
            .unwrap_or_default();
        let field = e
            .field
            .as_ref()
            .map(|f| format!(" field `{f}`"))
            .unwrap_or_default();
        format!("the served config.json{at}{field} {}", e.message)
    })?;
    let has_type = matches!(config.model_type(), Ok(Some(_)));
    let has_architectures = config.architectures().is_ok_and(|a| !a.is_empty());
    if has_type || has_architectures {
        Ok(())
    } else {
        Err("the served config.json has neither `model_type` nor `architectures`; it is not a transformers model config".into())
    }
}

/// Caches the bytes atomically; returns their length.
fn store(path: &Path, bytes: &[u8]) -> Result<usize, String> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let created = !parent.exists();
    fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    write_atomic(path, bytes, None).map_err(|e| {
        if created {
            // Only removes it while empty: a failed fetch leaves the cache as it was.
            let _ = fs::remove_dir(parent);
        }
        format!("cannot write {}: {e}", path.display())
    })?;
    Ok(bytes.len())
}

/// How `huggingface_hub` reads boolean variables such as `HF_HUB_OFFLINE`.
pub fn env_flag(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "on" | "yes" | "true"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let r = Retry {
            attempts: 9,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        let delays: Vec<u128> = (1..=5).map(|n| r.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 500, 500]);
        assert_eq!(r.delay(200), Duration::from_millis(500));
    }

    #[test]
    fn urls() {
        let mut m = Model::new("org/name");
        assert_eq!(
            config_url("http://h/", &m),
            "http://h/org/name/resolve/main/config.json"
        );
        m.revision = Some("v1".into());
        assert_eq!(
            config_url("http://h", &m),
            "http://h/org/name/resolve/v1/config.json"
        );
    }

    #[test]
    fn the_token_goes_only_over_https_or_to_a_loopback_host() {
        for ok in [
            "https://huggingface.co",
            "https://x",
            "HTTPS://mirror.example:8443/hub/",
            "http://127.0.0.1:8080",
            "http://127.255.0.9",
            "http://localhost:1",
            "http://LOCALHOST",
            "http://[::1]:9",
            "http://[::ffff:127.0.0.1]:9",
            "http://user@127.0.0.1:5/",
        ] {
            assert_eq!(token_allowed(ok), Ok(()), "{ok}");
        }
        for (bad, host) in [
            ("http://example.com", "example.com"),
            ("http://10.0.0.1", "10.0.0.1"),
            ("http://192.168.1.2:8080/", "192.168.1.2"),
            ("http://[2001:db8::1]:80", "[2001:db8::1]"),
            ("http://0.0.0.0:80", "0.0.0.0"),
            ("http://localhost.example.com", "localhost.example.com"),
            ("http://127.0.0.1.nip.io", "127.0.0.1.nip.io"),
            ("http://127.0.0.1@example.com", "example.com"),
            ("HTTP://Example.COM", "Example.COM"),
        ] {
            let why = token_allowed(bad).expect_err(bad);
            assert!(
                why.contains("plain http to a non-loopback host") && why.contains(host),
                "{bad}: {why}"
            );
        }
        for odd in ["ftp://127.0.0.1", "huggingface.co", "", "http://"] {
            assert!(token_allowed(odd).is_err(), "{odd}");
        }
    }

    #[test]
    fn flags() {
        assert!(env_flag("1") && env_flag("TRUE") && env_flag(" yes"));
        assert!(!env_flag("0") && !env_flag("") && !env_flag("false"));
    }
}
