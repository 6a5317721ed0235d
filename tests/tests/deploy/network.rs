//! deploy/k8s/network-policies.yaml read as Kubernetes would: a small evaluator of
//! NetworkPolicy rules (label selectors, namespaces by their `kubernetes.io/metadata.name`,
//! IPv4 blocks with exceptions, ports) asked who may reach each Deployment's ports and where the
//! services may connect. Only what the policies use is modelled; an unknown construct fails.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde_norway::Value;

use super::manifests::{container, container_port, kind, name, resources, sequence};
use super::support::{at, str_at, string_map};

/// The namespace the kustomization deploys to.
const NAMESPACE: &str = "vte";

/// Where a connection comes from or goes to.
#[derive(Debug, Clone)]
enum Peer {
    /// A pod of a namespace, with its labels.
    Pod {
        namespace: &'static str,
        labels: BTreeMap<String, String>,
    },
    /// An address outside the cluster.
    Address(Ipv4Addr),
}

fn pod(namespace: &'static str, labels: &[(&str, &str)]) -> Peer {
    Peer::Pod {
        namespace,
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn policies() -> Vec<Value> {
    resources()
        .into_iter()
        .filter(|document| kind(document) == "NetworkPolicy")
        .collect()
}

/// A `matchLabels` selector (the only form the policies use) against labels.
fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    if let Some(map) = selector.as_mapping() {
        assert!(
            map.keys().all(|key| key.as_str() == Some("matchLabels")),
            "only matchLabels is modelled: {selector:?}"
        );
    }
    // `{}` selects everything.
    selector.get("matchLabels").is_none_or(|wanted| {
        string_map(wanted)
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
    })
}

fn in_cidr(address: Ipv4Addr, cidr: &str) -> bool {
    let (network, bits) = cidr.split_once('/').expect("a CIDR block");
    let Ok(network) = network.parse::<Ipv4Addr>() else {
        return false; // an IPv6 block never holds an IPv4 address
    };
    let bits: u32 = bits.parse().expect("a prefix length");
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(address) & mask == u32::from(network) & mask
}

/// Whether one entry of a rule's `from` / `to` list matches the peer.
fn peer_matches(entry: &Value, peer: &Peer) -> bool {
    let namespace_selector = entry.get("namespaceSelector");
    let pod_selector = entry.get("podSelector");
    let block = entry.get("ipBlock");
    match peer {
        Peer::Pod { namespace, labels } => {
            if block.is_some() {
                return false;
            }
            let namespace_ok = match namespace_selector {
                Some(selector) => selects(
                    selector,
                    &[(
                        "kubernetes.io/metadata.name".to_owned(),
                        (*namespace).to_owned(),
                    )]
                    .into(),
                ),
                None => *namespace == NAMESPACE,
            };
            namespace_ok && pod_selector.is_none_or(|selector| selects(selector, labels))
        }
        Peer::Address(address) => block.is_some_and(|block| {
            in_cidr(*address, str_at(block, &["cidr"]))
                && !block.get("except").is_some_and(|except| {
                    sequence(except)
                        .iter()
                        .any(|cidr| in_cidr(*address, cidr.as_str().unwrap()))
                })
        }),
    }
}

fn port_matches(rule: &Value, port: u16) -> bool {
    rule.get("ports").is_none_or(|ports| {
        sequence(ports).iter().any(|entry| {
            entry.get("port").and_then(Value::as_u64) == Some(u64::from(port))
                && entry
                    .get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("TCP")
                    == "TCP"
        })
    })
}

/// Whether a TCP connection from `source` to `target`'s `port` is allowed, in one direction
/// (`Ingress` with `from` on the target's policies, `Egress` with `to` on the source's).
fn allowed_one_way(
    direction: &str,
    subject: &BTreeMap<String, String>,
    peer: &Peer,
    port: u16,
) -> bool {
    let (rules_key, peers_key) = match direction {
        "Ingress" => ("ingress", "from"),
        _ => ("egress", "to"),
    };
    let governing: Vec<Value> = policies()
        .into_iter()
        .filter(|policy| selects(at(policy, &["spec", "podSelector"]), subject))
        .filter(|policy| {
            sequence(at(policy, &["spec", "policyTypes"]))
                .iter()
                .any(|kind| kind.as_str() == Some(direction))
        })
        .collect();
    if governing.is_empty() {
        return true; // no policy isolates the pod in this direction
    }
    governing.iter().any(|policy| {
        policy["spec"].get(rules_key).is_some_and(|rules| {
            sequence(rules).iter().any(|rule| {
                port_matches(rule, port)
                    && rule.get(peers_key).is_none_or(|peers| {
                        sequence(peers)
                            .iter()
                            .any(|entry| peer_matches(entry, peer))
                    })
            })
        })
    })
}

/// The Deployments' pod labels and ports, by name.
fn services() -> Vec<(String, BTreeMap<String, String>, u16, u16)> {
    resources()
        .iter()
        .filter(|document| kind(document) == "Deployment")
        .map(|deployment| {
            let labels = string_map(at(deployment, &["spec", "template", "metadata", "labels"]));
            let container = container(deployment);
            (
                name(deployment).to_owned(),
                labels,
                container_port(container, "grpc"),
                container_port(container, "metrics"),
            )
        })
        .collect()
}

fn can_reach(to: &BTreeMap<String, String>, from: &Peer, port: u16) -> bool {
    allowed_one_way("Ingress", to, from, port)
        && match from {
            Peer::Pod {
                namespace, labels, ..
            } if *namespace == NAMESPACE => allowed_one_way(
                "Egress",
                labels,
                &Peer::Pod {
                    namespace: NAMESPACE,
                    labels: to.clone(),
                },
                port,
            ),
            _ => true,
        }
}

#[test]
fn every_service_pod_is_isolated_both_ways_by_default() {
    for (service, labels, ..) in services() {
        for direction in ["Ingress", "Egress"] {
            assert!(
                policies().iter().any(|policy| {
                    selects(at(policy, &["spec", "podSelector"]), &labels)
                        && sequence(at(policy, &["spec", "policyTypes"]))
                            .iter()
                            .any(|kind| kind.as_str() == Some(direction))
                }),
                "no policy isolates {service} for {direction}"
            );
        }
    }
}

#[test]
fn the_gateway_reaches_only_the_apis_and_prometheus_only_the_metrics() {
    let gateway = pod("ingress", &[("app", "gateway")]);
    let prometheus = pod("monitoring", &[("app", "prometheus")]);
    let stranger = pod("default", &[("app", "anything")]);
    for (service, labels, grpc, metrics) in services() {
        assert!(
            can_reach(&labels, &gateway, grpc),
            "gateway → {service} API"
        );
        assert!(
            !can_reach(&labels, &gateway, metrics),
            "gateway → {service} metrics"
        );
        assert!(
            can_reach(&labels, &prometheus, metrics),
            "Prometheus → {service} metrics"
        );
        assert!(
            !can_reach(&labels, &prometheus, grpc),
            "Prometheus → {service} API"
        );
        for port in [grpc, metrics, 5432] {
            assert!(
                !can_reach(&labels, &stranger, port),
                "stranger → {service}:{port}"
            );
        }
    }
}

#[test]
fn services_call_only_the_candidates_service_among_themselves() {
    let all = services();
    for (caller, caller_labels, ..) in &all {
        let from = Peer::Pod {
            namespace: NAMESPACE,
            labels: caller_labels.clone(),
        };
        for (callee, callee_labels, grpc, metrics) in &all {
            if caller == callee {
                continue;
            }
            assert_eq!(
                can_reach(callee_labels, &from, *grpc),
                callee == "candidates",
                "{caller} → {callee} API"
            );
            assert!(
                !can_reach(callee_labels, &from, *metrics),
                "{caller} → {callee} metrics"
            );
        }
    }
}

#[test]
fn services_reach_dns_their_database_kafka_and_traces_and_only_notifications_the_internet() {
    let dns = pod("kube-system", &[("k8s-app", "kube-dns")]);
    let postgres = pod("postgres", &[("app", "postgres")]);
    let kafka = pod(
        NAMESPACE,
        &[("strimzi.io/cluster", "vte"), ("strimzi.io/kind", "Kafka")],
    );
    let collector = pod("observability", &[("app", "otel-collector")]);
    let public = Peer::Address(Ipv4Addr::new(203, 0, 113, 7));
    for (service, labels, ..) in services() {
        let out = |peer: &Peer, port| allowed_one_way("Egress", &labels, peer, port);
        assert!(out(&dns, 53), "{service} → DNS");
        assert!(out(&postgres, 5432), "{service} → PostgreSQL");
        assert!(out(&kafka, 9092), "{service} → Kafka");
        assert!(out(&collector, 4317), "{service} → collector");
        assert!(
            !out(&postgres, 22),
            "{service} → PostgreSQL's namespace on another port"
        );
        assert_eq!(
            out(&public, 443),
            service == "notifications",
            "{service} → internet"
        );
        for private in [
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(169, 254, 169, 254),
            Ipv4Addr::new(192, 168, 1, 1),
            Ipv4Addr::new(100, 64, 0, 1),
            Ipv4Addr::new(198, 18, 0, 1),
        ] {
            let target = Peer::Address(private);
            assert!(!out(&target, 443), "{service} → {private}");
        }
        assert!(
            !out(&public, 8080),
            "{service} → a public address on another port"
        );
    }
}
