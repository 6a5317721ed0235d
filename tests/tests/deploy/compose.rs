//! `docker-compose.yml` against the services: the image and binaries, the ports, an environment
//! made only of settings the services read, the databases, broker, peers and collector they are
//! pointed at, the topics, the start order, Prometheus, Jaeger and the SMTP sink; then
//! `docker compose config` where Docker is installed.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_norway::Value;
use vte_service::Settings;

use crate::dockerfile::binary;
use crate::support::{
    Spec, at, env_lock, host_of, load_settings, port_of, read, repo, scalar, services, str_at,
    string_map, yaml_documents,
};

const FILE: &str = "docker-compose.yml";

fn compose() -> Value {
    let mut documents = yaml_documents(FILE);
    assert_eq!(documents.len(), 1, "{FILE} is one YAML document");
    documents.remove(0)
}

fn container<'a>(compose: &'a Value, name: &str) -> &'a Value {
    at(compose, &["services", name])
}

/// Compose's interpolation, with every `${NAME:-default}` taking its default (the check must
/// not depend on the environment it runs in) and `$$` standing for `$`.
fn interpolate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if let Some(after) = after.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').expect("a closing brace");
            let (name, default) = inner[..end].split_once(":-").unwrap_or((&inner[..end], ""));
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{FILE}: ${{{}}} is not an interpolation Compose knows",
                &inner[..end]
            );
            out.push_str(default);
            rest = &inner[end + 1..];
        } else {
            panic!("{FILE}: a lone $ in {text:?} (write $$ for a literal $)");
        }
    }
    out.push_str(rest);
    out
}

/// A container's environment, interpolated.
fn environment(container: &Value) -> BTreeMap<String, String> {
    string_map(at(container, &["environment"]))
        .into_iter()
        .map(|(key, value)| (key, interpolate(&value)))
        .collect()
}

/// The environment of a service's container, loaded through the service's settings.
fn settings(compose: &Value, spec: Spec) -> (BTreeMap<String, String>, Settings) {
    let env = environment(container(compose, spec.name()));
    let settings = load_settings(spec, &env, &BTreeMap::new());
    (env, settings)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("not a list: {value:?}"))
        .iter()
        .map(|item| interpolate(&scalar(item)))
        .collect()
}

#[test]
fn every_service_runs_its_own_binary_from_the_image_the_dockerfile_builds() {
    let compose = compose();
    let mut images = BTreeSet::new();
    for spec in services() {
        let service = container(&compose, spec.name());
        assert_eq!(str_at(service, &["build", "context"]), ".");
        let dockerfile = str_at(service, &["build", "dockerfile"]);
        assert_eq!(dockerfile, "deploy/Dockerfile");
        images.insert(str_at(service, &["image"]).to_owned());
        let (binary, _) = binary(spec);
        assert_eq!(
            strings(at(service, &["command"])),
            [binary],
            "{}",
            spec.name()
        );
    }
    assert_eq!(
        images.len(),
        1,
        "one image for the four services: {images:?}"
    );
}

#[test]
fn every_service_can_verify_tokens_and_listens_on_its_default_ports_published_on_loopback() {
    let compose = compose();
    for spec in services() {
        let (_, settings) = settings(&compose, spec);
        vte_service::auth::Authenticator::from_settings(&settings.auth)
            .unwrap_or_else(|error| panic!("{}: would refuse to start: {error}", spec.name()));
        let (grpc, metrics) = (spec.defaults.grpc_port, spec.defaults.metrics_port);
        assert_eq!(settings.server.grpc_addr.port(), grpc, "{}", spec.name());
        assert_eq!(
            settings.server.metrics_addr.port(),
            metrics,
            "{}",
            spec.name()
        );
        assert!(settings.server.grpc_addr.ip().is_unspecified());
        assert!(settings.server.metrics_addr.ip().is_unspecified());
        let service = container(&compose, spec.name());
        let ports = strings(at(service, &["ports"]));
        for port in [grpc, metrics] {
            assert!(
                ports.contains(&format!("127.0.0.1:{port}:{port}")),
                "{} should publish {port} on loopback: {ports:?}",
                spec.name()
            );
        }
        let probe = strings(at(service, &["healthcheck", "test"]));
        assert_eq!(
            probe,
            [
                "CMD".to_owned(),
                "grpc_health_probe".to_owned(),
                format!("-addr=127.0.0.1:{grpc}")
            ],
            "{}",
            spec.name()
        );
    }
}

#[test]
fn every_service_reaches_its_database_broker_peers_and_collector_by_their_compose_names() {
    let compose = compose();
    let init = read("deploy/postgres-init.sql");
    let kafka = container(&compose, "kafka");
    let advertised = string_map(at(kafka, &["environment"]))["KAFKA_ADVERTISED_LISTENERS"].clone();
    let in_network = advertised
        .split(',')
        .find_map(|listener| listener.strip_prefix("PLAINTEXT://"))
        .expect("a PLAINTEXT listener for the containers");
    for spec in services() {
        let name = spec.name();
        let (env, settings) = settings(&compose, spec);

        let url = &env["DATABASE_URL"];
        let (credentials, location) = url
            .strip_prefix("postgres://")
            .and_then(|rest| rest.split_once('@'))
            .expect("postgres://user:password@host:port/database");
        assert_eq!(
            location,
            format!("postgres:5432/{name}"),
            "{name}: one database per service"
        );
        let (user, password) = credentials.split_once(':').expect("user:password");
        assert!(
            init.contains(&format!("CREATE ROLE {user} LOGIN PASSWORD '{password}';"))
                && init.contains(&format!("CREATE DATABASE {name} OWNER {user};")),
            "deploy/postgres-init.sql should create role {user} and database {name}"
        );

        assert_eq!(
            settings.kafka.brokers, in_network,
            "{name}: the broker's listener for containers"
        );
        assert!(
            !settings.kafka.create_topics,
            "{name}: topics come from the kafka-topics job"
        );

        for peer in services() {
            let url = match peer.name() {
                "offers" => &settings.peers.offers,
                "candidates" => &settings.peers.candidates,
                "matching" => &settings.peers.matching,
                _ => &settings.peers.notifications,
            };
            assert_eq!(
                url,
                &format!("http://{}:{}", peer.name(), peer.defaults.grpc_port),
                "{name} reaches {}",
                peer.name()
            );
        }

        let endpoint = settings
            .telemetry
            .otlp_endpoint
            .as_deref()
            .expect("traces are exported");
        let collector = container(&compose, host_of(endpoint));
        assert!(str_at(collector, &["image"]).starts_with("otel/opentelemetry-collector"));
        assert_eq!(port_of(endpoint), otlp_grpc_port());

        let service = container(&compose, name);
        let mount = strings(at(service, &["volumes"]))
            .into_iter()
            .find(|volume| volume.split(':').nth(1) == settings.reference.dir.to_str())
            .unwrap_or_else(|| panic!("{name}: nothing mounted at reference.dir"));
        assert_eq!(
            mount, "../shared/reference:/reference:ro",
            "{name}: the reference data, read-only"
        );
    }
}

#[test]
fn services_start_after_the_database_the_broker_and_the_topics() {
    let compose = compose();
    for (name, service) in at(&compose, &["services"]).as_mapping().unwrap() {
        let Some(depends_on) = service.get("depends_on") else {
            continue;
        };
        for (target, condition) in depends_on.as_mapping().expect("depends_on with conditions") {
            let target = scalar(target);
            // Every dependency is a service of this file, with a health check when awaited.
            let target_service = container(&compose, &target);
            if str_at(condition, &["condition"]) == "service_healthy" {
                assert!(
                    target_service.get("healthcheck").is_some(),
                    "{} waits for {target}, which has no health check",
                    scalar(name)
                );
            }
        }
    }
    for spec in services() {
        let depends_on = at(container(&compose, spec.name()), &["depends_on"]);
        for (target, condition) in [
            ("postgres", "service_healthy"),
            ("kafka", "service_healthy"),
            ("kafka-topics", "service_completed_successfully"),
        ] {
            assert_eq!(
                str_at(depends_on, &[target, "condition"]),
                condition,
                "{} on {target}",
                spec.name()
            );
        }
        assert!(
            container(&compose, spec.name())
                .get("healthcheck")
                .is_some()
        );
    }
    let notifications = at(container(&compose, "notifications"), &["depends_on"]);
    assert!(
        notifications.get("mailpit").is_some(),
        "the SMTP sink starts before notifications"
    );
}

#[test]
fn the_topics_job_creates_every_topic_and_its_dead_letter_topic_before_the_services() {
    let compose = compose();
    let job = container(&compose, "kafka-topics");
    let env = environment(job);
    let topics: Vec<&str> = env["TOPICS"].split_whitespace().collect();
    assert_eq!(
        topics,
        vte_proto::TOPICS,
        "the job's topics are vte_proto::TOPICS"
    );
    let script = strings(at(job, &["command"])).join("\n");
    for expected in [
        "$topic.dlq",
        "--if-not-exists",
        "--partitions \"$PARTITIONS\"",
        "$BOOTSTRAP",
    ] {
        assert!(
            script.contains(expected),
            "the topics job should use {expected}: {script}"
        );
    }
    assert!(env["PARTITIONS"].parse::<u32>().unwrap() >= 1);
    // Each topic is made with vte_events::topic_config's settings.
    let config_of = |flags: &str| -> Vec<(String, String)> {
        flags
            .split_whitespace()
            .filter(|word| *word != "--config")
            .map(|entry| {
                let (key, value) = entry.split_once('=').unwrap();
                (key.to_owned(), value.to_owned())
            })
            .collect()
    };
    let wanted = |topic: &str| -> Vec<(String, String)> {
        vte_events::topic_config::TopicConfig::of(topic)
            .entries()
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect()
    };
    let compacted: Vec<&str> = env["COMPACTED_TOPICS"].split_whitespace().collect();
    for topic in vte_proto::TOPICS {
        let flags = if compacted.contains(&topic) {
            &env["COMPACTED_CONFIG"]
        } else {
            &env["EVENTS_CONFIG"]
        };
        assert_eq!(config_of(flags), wanted(topic), "{topic}");
        assert_eq!(
            config_of(&env["DEAD_LETTERS_CONFIG"]),
            wanted(&format!("{topic}.dlq")),
            "{topic}.dlq"
        );
    }
    for expected in [
        "$COMPACTED_CONFIG",
        "$EVENTS_CONFIG",
        "$DEAD_LETTERS_CONFIG",
    ] {
        assert!(
            script.contains(expected),
            "the topics job should use {expected}"
        );
    }
    let kafka = container(&compose, "kafka");
    assert_eq!(
        str_at(job, &["image"]),
        str_at(kafka, &["image"]),
        "the job uses the broker's own tools"
    );
    assert_eq!(env["BOOTSTRAP"], "kafka:9092");
    assert_eq!(
        str_at(job, &["depends_on", "kafka", "condition"]),
        "service_healthy"
    );
    assert_eq!(
        string_map(at(kafka, &["environment"]))["KAFKA_AUTO_CREATE_TOPICS_ENABLE"],
        "false",
        "a topic the job did not create does not appear by itself"
    );
    let image = str_at(kafka, &["image"]);
    assert!(
        image.starts_with("apache/kafka:"),
        "the official image: {image}"
    );
    let roles = &string_map(at(kafka, &["environment"]))["KAFKA_PROCESS_ROLES"];
    assert_eq!(roles, "broker,controller", "KRaft, a single combined node");
}

/// The port of the collector's OTLP/gRPC receiver in deploy/otel-collector.yaml.
fn otlp_grpc_port() -> u16 {
    let config = &yaml_documents("deploy/otel-collector.yaml")[0];
    port_of(str_at(
        config,
        &["receivers", "otlp", "protocols", "grpc", "endpoint"],
    ))
}

#[test]
fn prometheus_scrapes_every_service_and_the_collector_sends_traces_to_jaeger() {
    let compose = compose();
    let prometheus = container(&compose, "prometheus");
    assert!(
        strings(at(prometheus, &["volumes"]))
            .contains(&"./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro".to_owned())
    );
    let config = &yaml_documents("deploy/prometheus.yml")[0];
    let targets: BTreeSet<String> = at(config, &["scrape_configs"])
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|job| at(job, &["static_configs"]).as_sequence().unwrap().iter())
        .flat_map(|group| strings(at(group, &["targets"])))
        .collect();
    for spec in services() {
        let target = format!("{}:{}", spec.name(), spec.defaults.metrics_port);
        assert!(
            targets.contains(&target),
            "Prometheus should scrape {target}: {targets:?}"
        );
    }

    let collector = container(&compose, "otel-collector");
    assert!(
        strings(at(collector, &["volumes"]))
            .contains(&"./deploy/otel-collector.yaml:/etc/otelcol/config.yaml:ro".to_owned())
    );
    let config = &yaml_documents("deploy/otel-collector.yaml")[0];
    let exporters = strings(at(config, &["service", "pipelines", "traces", "exporters"]));
    let jaeger_exports = exporters.iter().any(|exporter| {
        let endpoint = str_at(config, &["exporters", exporter, "endpoint"]);
        host_of(endpoint) == "jaeger" && port_of(endpoint) == 4317
    });
    assert!(jaeger_exports, "the traces pipeline exports to jaeger:4317");
    let jaeger = container(&compose, "jaeger");
    assert!(str_at(jaeger, &["image"]).starts_with("jaegertracing/"));
    assert!(
        strings(at(jaeger, &["ports"])).contains(&"127.0.0.1:16686:16686".to_owned()),
        "Jaeger's UI"
    );
}

#[test]
fn the_notifications_service_sends_its_email_to_the_smtp_sink() {
    let compose = compose();
    let (env, _) = settings(&compose, crate::support::service("notifications"));
    let sink = container(&compose, &env["VTE_NOTIFICATIONS__SMTP__HOST"]);
    assert!(str_at(sink, &["image"]).starts_with("axllent/mailpit:"));
    assert_eq!(
        env["VTE_NOTIFICATIONS__SMTP__PORT"], "1025",
        "Mailpit's SMTP port"
    );
    assert_eq!(
        env["VTE_NOTIFICATIONS__SMTP__TLS"], "none",
        "Mailpit speaks plain SMTP"
    );
    assert!(
        strings(at(sink, &["ports"])).contains(&"127.0.0.1:8025:8025".to_owned()),
        "Mailpit's UI"
    );
}

#[test]
fn every_file_compose_mounts_is_in_the_repository() {
    let compose = compose();
    for (name, service) in at(&compose, &["services"]).as_mapping().unwrap() {
        let Some(volumes) = service.get("volumes") else {
            continue;
        };
        for volume in strings(volumes) {
            if let Some(path) = volume
                .strip_prefix("./")
                .and_then(|rest| rest.split(':').next())
            {
                assert!(
                    repo().join(path).is_file(),
                    "{}: {path} is not in the repository",
                    scalar(name)
                );
            }
        }
    }
}

#[test]
fn docker_compose_accepts_the_file_where_docker_is_installed() {
    let _env = env_lock();
    let candidates: [&[&str]; 2] = [&["docker", "compose"], &["docker-compose"]];
    for command in candidates {
        let available = Command::new(command[0])
            .args(&command[1..])
            .arg("version")
            .output()
            .is_ok_and(|output| output.status.success());
        if !available {
            continue;
        }
        let output = Command::new(command[0])
            .args(&command[1..])
            .args(["-f", FILE, "config", "-q"])
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "`{} config` refuses {FILE}:\n{}",
            command.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!(
            "{FILE}: `{} -f {FILE} config -q` accepts it",
            command.join(" ")
        );
        return;
    }
    eprintln!(
        "{FILE}: `docker compose config` SKIPPED: neither `docker compose` nor `docker-compose` is installed"
    );
}
