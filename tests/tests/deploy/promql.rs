//! What the monitoring files may name: the metrics the services register (read from their
//! source, where every metric is made by a `prometheus` constructor with its name written out,
//! under the `vte_` prefix of `vte_service::metrics::Metrics`), the gRPC methods of the
//! contract, and the metric names and label values a PromQL expression mentions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use prost::Message as _;

/// Metrics the alerts and dashboards may name that no service exports, with their source.
pub const EXTERNAL_METRICS: [(&str, &str); 1] = [(
    "kafka_consumergroup_lag",
    "Strimzi's Kafka Exporter (deploy/OPERATIONS.md, Observability)",
)];

/// Calls whose first argument, a string literal, is a metric's name; the lower-case ones are the
/// local helpers of the services' metric structs (`counter("events_handled_total", ...)`).
const CONSTRUCTORS: [&str; 8] = [
    "Opts::new(",
    "IntCounter::new(",
    "IntGauge::new(",
    "Counter::new(",
    "Gauge::new(",
    "counter(",
    "gauge(",
    "Histogram::new(",
];
/// Constructors of histograms, which Prometheus reads as `_bucket`, `_sum` and `_count`.
const HISTOGRAM_CONSTRUCTORS: [&str; 2] = ["HistogramOpts::new(", "Histogram::new("];

/// The prefix every service's registry gives its metrics (`Registry::new_custom(Some("vte"))`).
pub const PREFIX: &str = "vte_";

/// The repository root (this module is also included by tests/tests/metrics_exported.rs).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_owned()
}

/// Every series name the services export: what their source registers, with the prefix.
pub fn exported_metrics() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for root in ["crates", "services", "apps"] {
        for crate_dir in std::fs::read_dir(repo().join(root)).unwrap() {
            let src = crate_dir.unwrap().path().join("src");
            if src.is_dir() {
                collect(&src, &mut names);
            }
        }
    }
    names
}

fn collect(dir: &Path, names: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, names);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            if source.contains("prometheus") {
                names.extend(registered_in(&source));
            }
        }
    }
}

/// The series names the metrics made in `source` export.
fn registered_in(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for constructor in CONSTRUCTORS.iter().chain(&HISTOGRAM_CONSTRUCTORS) {
        let histogram = HISTOGRAM_CONSTRUCTORS.contains(constructor);
        for (at, _) in source.match_indices(constructor) {
            // `Opts::new(` inside `HistogramOpts::new(` is the histogram's, counted once.
            if source[..at].chars().next_back().is_some_and(is_word) {
                continue;
            }
            let Some(name) = literal_at(&source[at + constructor.len()..]) else {
                continue;
            };
            if !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                continue;
            }
            let name = format!("{PREFIX}{name}");
            if histogram {
                names.extend(["_bucket", "_sum", "_count"].map(|suffix| format!("{name}{suffix}")));
            } else {
                names.push(name);
            }
        }
    }
    names
}

/// The string literal opening `text` (after blanks), without its quotes.
fn literal_at(text: &str) -> Option<&str> {
    let text = text.trim_start().strip_prefix('"')?;
    text.find('"').map(|end| &text[..end])
}

/// The request paths (`/vte.offers.v1.OffersService/PublishOffer`) the metrics' `method` label
/// takes for the contract's services.
pub fn contract_methods() -> BTreeSet<String> {
    let set = prost_types::FileDescriptorSet::decode(vte_proto::FILE_DESCRIPTOR_SET).unwrap();
    set.file
        .iter()
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service.method.iter().map(move |method| {
                    format!("/{}.{}/{}", file.package(), service.name(), method.name())
                })
            })
        })
        .collect()
}

/// The names of the series an expression selects (functions, keywords, label names, numbers,
/// durations and Grafana's `$variables` left out).
pub fn metric_names(expression: &str) -> BTreeSet<String> {
    let cleaned = without_grouping(&blanked(expression));
    let chars: Vec<char> = cleaned.chars().collect();
    let mut names = BTreeSet::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c == '$' || c.is_ascii_digit() || c == '.' {
            // A variable, a number or a duration: skip the whole word.
            at += 1;
            while at < chars.len() && is_word(chars[at]) {
                at += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = at;
            while at < chars.len() && is_word(chars[at]) {
                at += 1;
            }
            let word: String = chars[start..at].iter().collect();
            let called = chars[at..].iter().find(|c| !c.is_whitespace()) == Some(&'(');
            if !called && !KEYWORDS.contains(&word.to_lowercase().as_str()) {
                names.insert(word);
            }
        } else {
            at += 1;
        }
    }
    names
}

/// The values an expression's matchers give `label` with `=` (not the regular expressions).
pub fn label_values(expression: &str, label: &str) -> BTreeSet<String> {
    let needle = format!("{label}=\"");
    expression
        .match_indices(&needle)
        .filter(|(at, _)| {
            // `method="..."`, not `xmethod="..."` nor `method!="..."` / `method=~"..."`.
            !expression[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| is_word(c) || c == '!')
        })
        .filter_map(|(at, _)| literal_at(&expression[at + needle.len() - 1..]))
        .map(str::to_owned)
        .collect()
}

const KEYWORDS: [&str; 12] = [
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
];

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// The expression with its strings, label matchers (`{...}`) and ranges (`[...]`) blanked.
fn blanked(expression: &str) -> String {
    let mut out = String::with_capacity(expression.len());
    let (mut quote, mut escaped, mut depth) = (None, false, 0usize);
    for c in expression.chars() {
        match quote {
            Some(open) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == open {
                    quote = None;
                }
                out.push(' ');
            }
            None if c == '"' || c == '\'' || c == '`' => {
                quote = Some(c);
                out.push(' ');
            }
            None if c == '{' || c == '[' => {
                depth += 1;
                out.push(' ');
            }
            None if c == '}' || c == ']' => {
                depth = depth.saturating_sub(1);
                out.push(' ');
            }
            None => out.push(if depth > 0 { ' ' } else { c }),
        }
    }
    out
}

/// The expression without the label lists of `by`, `without`, `on`, `ignoring` and `group_*`.
fn without_grouping(expression: &str) -> String {
    let mut out = String::new();
    let mut rest = expression;
    'scan: while !rest.is_empty() {
        for keyword in [
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
        ] {
            let Some(after) = rest.strip_prefix(keyword) else {
                continue;
            };
            let preceded_by_word = out.chars().next_back().is_some_and(is_word);
            let list = after.trim_start();
            if !preceded_by_word
                && list.starts_with('(')
                && let Some(end) = list.find(')')
            {
                out.push(' ');
                rest = &list[end + 1..];
                continue 'scan;
            }
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[test]
fn an_expression_names_its_series_and_nothing_else() {
    let expression = r#"histogram_quantile(0.99, sum by (service, method, le) (rate(vte_grpc_call_seconds_bucket{method!~"/grpc\\..*", code="0"}[$__rate_interval])))
        > 1 and on (service) sum without (instance) (vte_outbox_backlog offset 15m) / ignoring(code) group_left(topic) up"#;
    assert_eq!(
        metric_names(expression),
        ["up", "vte_grpc_call_seconds_bucket", "vte_outbox_backlog"]
            .map(String::from)
            .into(),
    );
    assert_eq!(label_values(expression, "code"), ["0".to_owned()].into());
    assert!(
        label_values(expression, "method").is_empty(),
        "a regex is not a value"
    );
}

#[test]
fn the_source_scan_finds_names_as_the_registry_exports_them() {
    let source = r#"let calls = IntCounterVec::new(Opts::new("grpc_calls_total", "help"), &["code"]);
        let seconds = HistogramVec::new(HistogramOpts::new("grpc_call_seconds", "help"), &[]);
        handled: counter("events_handled_total", "help"),"#;
    let names: BTreeSet<String> = registered_in(source).into_iter().collect();
    assert_eq!(
        names,
        [
            "vte_events_handled_total",
            "vte_grpc_call_seconds_bucket",
            "vte_grpc_call_seconds_count",
            "vte_grpc_call_seconds_sum",
            "vte_grpc_calls_total",
        ]
        .map(String::from)
        .into()
    );
    // The prefix is the registry's: a service's /metrics says so.
    let metrics = vte_service::metrics::Metrics::new("offers");
    metrics.observe_call(
        "/vte.offers.v1.OffersService/PublishOffer",
        "0",
        Default::default(),
    );
    let rendered = metrics.render();
    for name in names.iter().filter(|name| name.starts_with("vte_grpc")) {
        assert!(
            rendered.contains(&format!("{name}{{")),
            "{name} in:\n{rendered}"
        );
    }
}
