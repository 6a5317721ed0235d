//! A real HTTP endpoint on loopback (axum on `127.0.0.1:0`) standing for a school's or
//! Bpifrance's information system: it keeps every request it gets, and answers 503 while told
//! to be down (for a number of requests, or for good), 200 otherwise; or, told to hang, counts
//! the request and never answers (as a stuck endpoint would, until the caller's timeout).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// One request the endpoint got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The status it answered.
    pub status: u16,
}

impl Hit {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is not JSON")
    }
}

#[derive(Debug, Default)]
struct Behaviour {
    down_for: AtomicUsize,
    down_forever: AtomicBool,
    hang: AtomicBool,
    /// Requests received while hanging (never answered).
    hanging: AtomicUsize,
    hits: Mutex<Vec<Hit>>,
}

/// The endpoint: its URL and what it received.
#[derive(Debug, Clone)]
pub struct Endpoint {
    addr: SocketAddr,
    behaviour: Arc<Behaviour>,
}

impl Endpoint {
    /// An endpoint that answers 200.
    pub async fn start() -> Self {
        let behaviour = Arc::new(Behaviour::default());
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(behaviour.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, behaviour }
    }

    /// Down (503) for the next `requests` requests.
    pub fn down_for(&self, requests: usize) {
        self.behaviour.down_for.store(requests, Ordering::SeqCst);
    }

    /// Down for good.
    pub fn down_forever(&self) {
        self.behaviour.down_forever.store(true, Ordering::SeqCst);
    }

    /// Never answers from now on.
    pub fn hang(&self) {
        self.behaviour.hang.store(true, Ordering::SeqCst);
    }

    /// How many requests it received and left unanswered.
    pub fn hanging(&self) -> usize {
        self.behaviour.hanging.load(Ordering::SeqCst)
    }

    /// Up again, answering 200 (the owner fixed it).
    pub fn up(&self) {
        self.behaviour.down_forever.store(false, Ordering::SeqCst);
        self.behaviour.down_for.store(0, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.behaviour.hits.lock().unwrap().clone()
    }

    /// The requests answered 2xx.
    pub fn delivered(&self) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|hit| hit.status == 200)
            .collect()
    }
}

async fn receive(
    State(behaviour): State<Arc<Behaviour>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if behaviour.hang.load(Ordering::SeqCst) {
        behaviour.hanging.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<()>().await;
    }
    let down = behaviour.down_forever.load(Ordering::SeqCst)
        || behaviour
            .down_for
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
    let status = if down {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    behaviour.hits.lock().unwrap().push(Hit {
        headers,
        body,
        status: status.as_u16(),
    });
    status
}
