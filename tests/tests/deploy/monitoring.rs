//! What operators watch: the alerts (deploy/k8s/alerts.yaml, a PrometheusRule, and its plain
//! copy deploy/prometheus/rules.yml with the unit tests `promtool test rules` runs) and the
//! Grafana dashboards (deploy/grafana). Every alert is unit-tested firing and quiet, names its
//! runbook in deploy/OPERATIONS.md, and, like every panel, selects only metrics the services
//! export; the files are what their generators write.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_norway::Value;

use crate::manifests::{kind, name, resources, sequence};
use crate::promql::{
    EXTERNAL_METRICS, contract_methods, exported_metrics, label_values, metric_names,
};
use crate::support::{at, read, repo, services, str_at, yaml_documents};

const ALERTS: &str = "deploy/k8s/alerts.yaml";
const RULES: &str = "deploy/prometheus/rules.yml";
const RULES_TEST: &str = "deploy/prometheus/rules.test.yml";
const DASHBOARDS: &str = "deploy/grafana/dashboards";

/// The PrometheusRule's fields the Prometheus Operator's CRD defines (monitoring.coreos.com/v1).
const GROUP_FIELDS: [&str; 5] = ["name", "interval", "rules", "limit", "query_offset"];
const RULE_FIELDS: [&str; 7] = [
    "alert",
    "record",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// The PrometheusRule of deploy/k8s.
fn prometheus_rule() -> Value {
    let mut documents = yaml_documents(ALERTS);
    assert_eq!(documents.len(), 1, "{ALERTS}: one PrometheusRule");
    documents.remove(0)
}

/// Every alerting rule of the PrometheusRule.
fn alerts() -> Vec<Value> {
    sequence(at(&prometheus_rule(), &["spec", "groups"]))
        .iter()
        .flat_map(|group| sequence(at(group, &["rules"])).to_vec())
        .collect()
}

/// The `#anchor`s GitHub gives deploy/OPERATIONS.md's headings.
fn operations_anchors() -> BTreeSet<String> {
    read("deploy/OPERATIONS.md")
        .lines()
        .filter_map(|line| line.strip_prefix("## ").or(line.strip_prefix("### ")))
        .map(|heading| {
            heading
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[test]
fn the_alerts_are_a_prometheus_rule_the_kustomization_applies_each_with_its_runbook() {
    let rule = prometheus_rule();
    assert_eq!(str_at(&rule, &["apiVersion"]), "monitoring.coreos.com/v1");
    assert_eq!(kind(&rule), "PrometheusRule");
    assert!(
        resources()
            .iter()
            .any(|document| kind(document) == "PrometheusRule" && name(document) == name(&rule)),
        "deploy/k8s/kustomization.yaml applies {ALERTS}"
    );
    for group in sequence(at(&rule, &["spec", "groups"])) {
        for field in group.as_mapping().unwrap().keys() {
            let field = field.as_str().unwrap();
            assert!(
                GROUP_FIELDS.contains(&field),
                "groups[].{field} is not a field"
            );
        }
    }
    let anchors = operations_anchors();
    let mut names = BTreeSet::new();
    for alert in alerts() {
        let alert_name = str_at(&alert, &["alert"]).to_owned();
        for field in alert.as_mapping().unwrap().keys() {
            let field = field.as_str().unwrap();
            assert!(
                RULE_FIELDS.contains(&field),
                "{alert_name}: {field} is not a field"
            );
        }
        assert!(names.insert(alert_name.clone()), "{alert_name} twice");
        assert!(
            ["critical", "warning"].contains(&str_at(&alert, &["labels", "severity"])),
            "{alert_name}: severity critical or warning"
        );
        assert!(!str_at(&alert, &["annotations", "summary"]).is_empty());
        let description = str_at(&alert, &["annotations", "description"]);
        let anchor = description
            .split_once("Runbook: deploy/OPERATIONS.md#")
            .map(|(_, rest)| rest.trim_end_matches('.'))
            .unwrap_or_else(|| panic!("{alert_name}: the description names its runbook"));
        assert!(
            anchors.contains(anchor),
            "{alert_name}: deploy/OPERATIONS.md has no section #{anchor}"
        );
    }
    // A service with no series at all (none of its pods scraped) has no relay either.
    let without_leader = alerts()
        .into_iter()
        .find(|alert| str_at(alert, &["alert"]) == "VteOutboxRelayWithoutLeader")
        .expect("an alert on a relay without a leader");
    for spec in services() {
        let absent = format!(
            "absent(vte_outbox_relay_leader{{service=\"{}\"}})",
            spec.name()
        );
        assert!(
            str_at(&without_leader, &["expr"]).contains(&absent),
            "VteOutboxRelayWithoutLeader names {}",
            spec.name()
        );
    }
    // The six concerns of issue 16: dead letters, outbox backlog, relay without a leader,
    // consumer lag, error ratio and latency.
    let selected: BTreeSet<String> = alerts()
        .iter()
        .flat_map(|alert| metric_names(str_at(alert, &["expr"])))
        .collect();
    for metric in [
        "vte_events_dead_letters_total",
        "vte_outbox_backlog",
        "vte_outbox_relay_leader",
        "kafka_consumergroup_lag",
        "vte_grpc_calls_total",
        "vte_grpc_call_seconds_bucket",
    ] {
        assert!(selected.contains(metric), "no alert watches {metric}");
    }
}

#[test]
fn the_plain_rule_file_is_the_prometheus_rules_spec() {
    let spec = at(&prometheus_rule(), &["spec"]).clone();
    assert_eq!(
        yaml_documents(RULES),
        vec![spec],
        "{RULES} differs from the spec of {ALERTS}: run deploy/prometheus/generate"
    );
}

#[test]
fn every_alert_is_unit_tested_firing_and_quiet() {
    let tests = yaml_documents(RULES_TEST).remove(0);
    assert_eq!(
        sequence(at(&tests, &["rule_files"])),
        [Value::from("rules.yml")],
        "{RULES_TEST} tests {RULES}"
    );
    // alert name -> (fires somewhere, stays quiet somewhere)
    let mut seen: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for test in sequence(at(&tests, &["tests"])) {
        for case in sequence(at(test, &["alert_rule_test"])) {
            let fires = !sequence(at(case, &["exp_alerts"])).is_empty();
            let entry = seen
                .entry(str_at(case, &["alertname"]).to_owned())
                .or_default();
            entry.0 |= fires;
            entry.1 |= !fires;
        }
    }
    let names: BTreeSet<String> = alerts()
        .iter()
        .map(|alert| str_at(alert, &["alert"]).to_owned())
        .collect();
    for alert_name in &names {
        assert_eq!(
            seen.get(alert_name),
            Some(&(true, true)),
            "{RULES_TEST}: {alert_name} is shown firing and not firing"
        );
    }
    let unknown: Vec<&String> = seen.keys().filter(|name| !names.contains(*name)).collect();
    assert!(unknown.is_empty(), "tests of no alert: {unknown:?}");
}

/// Every dashboard of deploy/grafana/dashboards, by file name.
fn dashboards() -> BTreeMap<String, serde_json::Value> {
    std::fs::read_dir(repo().join(DASHBOARDS))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|file| file.ends_with(".json"))
        .map(|file| {
            let text = read(&format!("{DASHBOARDS}/{file}"));
            let dashboard = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{file} is not JSON: {error}"));
            (file, dashboard)
        })
        .collect()
}

/// A dashboard's panels that query (rows left out).
fn query_panels(dashboard: &serde_json::Value) -> Vec<&serde_json::Value> {
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|panel| panel["type"] != "row")
        .collect()
}

/// A dashboard's expressions.
fn expressions(dashboard: &serde_json::Value) -> Vec<String> {
    query_panels(dashboard)
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap())
        .map(|target| target["expr"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_service_has_a_dashboard_on_the_provisioned_prometheus_and_the_flow_has_one() {
    let datasources = yaml_documents("deploy/grafana/provisioning/datasources.yaml").remove(0);
    let prometheus = &sequence(at(&datasources, &["datasources"]))[0];
    assert_eq!(str_at(prometheus, &["type"]), "prometheus");
    let uid = str_at(prometheus, &["uid"]);
    let providers = yaml_documents("deploy/grafana/provisioning/dashboards.yaml").remove(0);
    let provider = &sequence(at(&providers, &["providers"]))[0];
    assert_eq!(str_at(provider, &["type"]), "file");
    assert!(str_at(provider, &["options", "path"]).starts_with('/'));

    let dashboards = dashboards();
    let mut uids = BTreeSet::new();
    for (file, dashboard) in &dashboards {
        assert!(
            uids.insert(dashboard["uid"].as_str().unwrap()),
            "{file}: uid reused"
        );
        assert!(!dashboard["title"].as_str().unwrap().is_empty());
        let mut ids = BTreeSet::new();
        for panel in dashboard["panels"].as_array().unwrap() {
            assert!(
                ids.insert(panel["id"].as_u64().unwrap()),
                "{file}: panel id reused"
            );
            let grid = &panel["gridPos"];
            assert!(grid["x"].as_u64().unwrap() + grid["w"].as_u64().unwrap() <= 24);
        }
        for panel in query_panels(dashboard) {
            assert_eq!(
                panel["datasource"]["uid"], uid,
                "{file}: {}",
                panel["title"]
            );
            assert!(!panel["targets"].as_array().unwrap().is_empty());
        }
    }
    for spec in services() {
        let file = format!("vte-{}.json", spec.name());
        let dashboard = dashboards
            .get(&file)
            .unwrap_or_else(|| panic!("no dashboard {DASHBOARDS}/{file}"));
        for expression in expressions(dashboard) {
            let others = label_values(&expression, "service");
            assert!(
                others.iter().all(|service| service == spec.name()),
                "{file} shows another service: {expression}"
            );
        }
    }
    let flow = expressions(&dashboards["vte-flow.json"]).join("\n");
    for method in [
        "OffersService/PublishOffer",
        "CandidatesService/PushProfiles",
        "OffersService/Apply",
        "OffersService/AcceptApplication",
        "OffersService/DecideLabel",
        "vte_notifications_offer_alerts_told_total",
    ] {
        assert!(flow.contains(method), "the business flow counts {method}");
    }
}

#[test]
fn every_alert_and_panel_names_only_metrics_methods_and_services_the_platform_has() {
    let exported = exported_metrics();
    for known in [
        "vte_grpc_calls_total",
        "vte_outbox_backlog",
        "vte_events_handled_total",
    ] {
        assert!(
            exported.contains(known),
            "the source scan finds {known}: {exported:?}"
        );
    }
    let external: BTreeSet<&str> = EXTERNAL_METRICS.iter().map(|(name, _)| *name).collect();
    let operations = read("deploy/OPERATIONS.md");
    for (metric, source) in EXTERNAL_METRICS {
        assert!(
            operations.contains(metric),
            "OPERATIONS.md says where {metric} comes from ({source})"
        );
    }
    let methods = contract_methods();
    let service_names: BTreeSet<&str> = services().iter().map(|spec| spec.name()).collect();
    // (where it is, the expression)
    let mut queries: Vec<(String, String)> = alerts()
        .iter()
        .map(|alert| {
            (
                str_at(alert, &["alert"]).to_owned(),
                str_at(alert, &["expr"]).to_owned(),
            )
        })
        .collect();
    for (file, dashboard) in dashboards() {
        queries.extend(
            expressions(&dashboard)
                .into_iter()
                .map(|expression| (file.clone(), expression)),
        );
    }
    for (source, expression) in &queries {
        let names = metric_names(expression);
        assert!(
            !names.is_empty(),
            "{source}: selects no metric: {expression}"
        );
        for metric in names {
            assert!(
                exported.contains(&metric) || external.contains(metric.as_str()),
                "{source}: no service exports {metric}: {expression}"
            );
        }
        for method in label_values(expression, "method") {
            assert!(methods.contains(&method), "{source}: no method {method}");
        }
        for service in label_values(expression, "service") {
            assert!(
                service_names.contains(service.as_str()),
                "{source}: no service {service}"
            );
        }
    }
}

/// promtool, as scripts/test installs it (Debian's prometheus package), or `VTE_PROMTOOL`.
fn promtool() -> PathBuf {
    std::env::var_os("VTE_PROMTOOL").map_or_else(|| PathBuf::from("promtool"), PathBuf::from)
}

#[test]
fn every_panel_is_valid_promql() {
    // Each expression as a recording rule, Grafana's variables replaced by durations.
    let mut rules = String::from("groups:\n  - name: dashboards\n    rules:\n");
    for (index, (file, dashboard)) in dashboards().iter().enumerate() {
        for (panel, expression) in expressions(dashboard).iter().enumerate() {
            let expression = expression
                .replace("$__rate_interval", "1m")
                .replace("$__range", "1d");
            let quoted = serde_json::to_string(&expression).unwrap();
            rules +=
                &format!("      - record: d{index}_p{panel} # {file}\n        expr: {quoted}\n");
        }
    }
    let path = std::env::temp_dir().join(format!("vte-dashboards-{}.yml", std::process::id()));
    std::fs::write(&path, rules).unwrap();
    let output = Command::new(promtool())
        .args(["check", "rules"])
        .arg(&path)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|error| {
            panic!("promtool: {error} (Debian: apt-get install prometheus; scripts/test does)")
        });
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_dashboards_and_the_plain_rules_are_what_their_generators_write() {
    for generator in ["deploy/grafana/generate", "deploy/prometheus/generate"] {
        let output = Command::new("python3")
            .arg(repo().join(generator))
            .arg("--check")
            // Not the test process's directory: a figment Jail of another test may remove it.
            .current_dir(repo())
            .output()
            .unwrap_or_else(|error| panic!("python3 {generator}: {error}"));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
