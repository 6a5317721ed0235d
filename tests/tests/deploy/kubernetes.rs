//! `deploy/k8s` against the services: what the kustomization applies, each service's hardened
//! Deployment (gRPC health probes on its port, non-root, read-only root filesystem, resources),
//! Service, PodDisruptionBudget and HorizontalPodAutoscaler, an environment made only of
//! settings the service reads, and Secrets referenced but never committed.

use std::collections::{BTreeMap, BTreeSet};

use secrecy::ExposeSecret;
use serde_norway::Value;

use crate::dockerfile::binary;
use crate::manifests::{
    DIR, EXAMPLE_SECRETS, KUSTOMIZATION, container, container_port, environment, example_secrets,
    fewest_partitions, find, kafka_cluster, kind, kustomization, name, resources, sequence,
    yaml_files,
};
use crate::support::{
    at, host_of, load_settings, port_of, scalar, services, str_at, string_map, yaml_documents,
};

#[test]
fn every_manifest_parses_and_the_kustomization_applies_all_but_the_example_secrets() {
    let mut expected = BTreeSet::new();
    for file in yaml_files() {
        let documents = yaml_documents(&format!("{DIR}/{file}"));
        assert!(!documents.is_empty(), "{file} is empty");
        for document in &documents {
            assert!(
                at(document, &["apiVersion"]).is_string(),
                "{file}: a document without apiVersion"
            );
            assert!(!kind(document).is_empty());
            if file != KUSTOMIZATION {
                assert!(!name(document).is_empty());
            }
        }
        if file != KUSTOMIZATION && !file.ends_with(".example.yaml") {
            expected.insert(file);
        }
    }
    let kustomization = kustomization();
    let listed: BTreeSet<String> = sequence(at(&kustomization, &["resources"]))
        .iter()
        .map(scalar)
        .collect();
    assert_eq!(
        listed, expected,
        "{KUSTOMIZATION} applies every manifest but the examples"
    );

    let images: BTreeSet<String> = sequence(at(&kustomization, &["images"]))
        .iter()
        .map(|image| str_at(image, &["name"]).to_owned())
        .collect();
    for deployment in resources()
        .iter()
        .filter(|document| kind(document) == "Deployment")
    {
        let pod = at(deployment, &["spec", "template", "spec"]);
        for container in sequence(at(pod, &["containers"]))
            .iter()
            .chain(pod.get("initContainers").map(sequence).unwrap_or_default())
        {
            let image = str_at(container, &["image"]);
            assert!(
                images.contains(image),
                "{}: image {image} is not set by {KUSTOMIZATION}",
                name(deployment)
            );
        }
    }
}

fn assert_hardened(owner: &str, container: &Value) {
    let security = at(container, &["securityContext"]);
    assert_eq!(
        at(security, &["readOnlyRootFilesystem"]).as_bool(),
        Some(true),
        "{owner}"
    );
    assert_eq!(
        at(security, &["allowPrivilegeEscalation"]).as_bool(),
        Some(false),
        "{owner}"
    );
    let dropped: Vec<String> = sequence(at(security, &["capabilities", "drop"]))
        .iter()
        .map(scalar)
        .collect();
    assert_eq!(dropped, ["ALL"], "{owner}: drops every capability");
    let resources = at(container, &["resources"]);
    for path in [
        ["requests", "cpu"],
        ["requests", "memory"],
        ["limits", "memory"],
    ] {
        assert!(
            resources
                .get(path[0])
                .and_then(|part| part.get(path[1]))
                .is_some(),
            "{owner}: resources.{}",
            path.join(".")
        );
    }
}

#[test]
fn every_service_runs_non_root_on_a_read_only_root_probed_on_its_grpc_health() {
    let documents = resources();
    for spec in services() {
        let deployment = find(&documents, "Deployment", spec.name());
        assert!(
            at(deployment, &["spec"]).get("replicas").is_none(),
            "{}: the autoscaler owns the replica count",
            spec.name()
        );
        let pod = at(deployment, &["spec", "template", "spec"]);
        assert_eq!(
            str_at(pod, &["securityContext", "seccompProfile", "type"]),
            "RuntimeDefault"
        );
        assert_eq!(
            at(pod, &["securityContext", "runAsNonRoot"]).as_bool(),
            Some(true)
        );
        assert!(
            at(pod, &["securityContext", "runAsUser"])
                .as_u64()
                .is_some_and(|user| user > 0)
        );
        let container = container(deployment);
        assert_hardened(spec.name(), container);
        for init in pod.get("initContainers").map(sequence).unwrap_or_default() {
            assert_hardened(&format!("{} init container", spec.name()), init);
        }

        let (binary, _) = binary(spec);
        assert_eq!(str_at(container, &["image"]), "vte");
        assert_eq!(
            sequence(at(container, &["command"]))
                .iter()
                .map(scalar)
                .collect::<Vec<_>>(),
            [binary]
        );
        let grpc = spec.defaults.grpc_port;
        assert_eq!(container_port(container, "grpc"), grpc, "{}", spec.name());
        assert_eq!(
            container_port(container, "metrics"),
            spec.defaults.metrics_port,
            "{}",
            spec.name()
        );
        for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
            let port = at(container, &[probe, "grpc", "port"]).as_u64();
            assert_eq!(
                port,
                Some(u64::from(grpc)),
                "{}: {probe} on the gRPC port",
                spec.name()
            );
        }
        assert_eq!(
            str_at(container, &["readinessProbe", "grpc", "service"]),
            spec.api,
            "{}: ready when its API serves",
            spec.name()
        );

        let annotations = string_map(at(
            deployment,
            &["spec", "template", "metadata", "annotations"],
        ));
        assert_eq!(annotations["prometheus.io/scrape"], "true");
        assert_eq!(
            annotations["prometheus.io/port"],
            spec.defaults.metrics_port.to_string()
        );
        assert_eq!(annotations["prometheus.io/path"], "/metrics");
    }
}

fn labels_match(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    string_map(selector)
        .iter()
        .all(|(key, value)| labels.get(key) == Some(value))
}

#[test]
fn every_service_has_a_service_a_disruption_budget_and_an_autoscaler_bounded_by_partitions() {
    let documents = resources();
    for spec in services() {
        let deployment = find(&documents, "Deployment", spec.name());
        let labels = string_map(at(deployment, &["spec", "template", "metadata", "labels"]));
        assert!(labels_match(
            at(deployment, &["spec", "selector", "matchLabels"]),
            &labels
        ));

        let service = find(&documents, "Service", spec.name());
        assert!(
            labels_match(at(service, &["spec", "selector"]), &labels),
            "{}: Service selects the pods",
            spec.name()
        );
        let ports = sequence(at(service, &["spec", "ports"]));
        for (port_name, number) in [
            ("grpc", spec.defaults.grpc_port),
            ("metrics", spec.defaults.metrics_port),
        ] {
            let port = ports
                .iter()
                .find(|port| str_at(port, &["name"]) == port_name)
                .expect("named port");
            assert_eq!(
                at(port, &["port"]).as_u64(),
                Some(u64::from(number)),
                "{} {port_name}",
                spec.name()
            );
            assert_eq!(str_at(port, &["targetPort"]), port_name);
        }

        let budget = find(&documents, "PodDisruptionBudget", spec.name());
        assert_eq!(str_at(budget, &["apiVersion"]), "policy/v1");
        assert!(labels_match(
            at(budget, &["spec", "selector", "matchLabels"]),
            &labels
        ));

        let autoscaler = find(&documents, "HorizontalPodAutoscaler", spec.name());
        assert_eq!(str_at(autoscaler, &["apiVersion"]), "autoscaling/v2");
        assert_eq!(
            str_at(autoscaler, &["spec", "scaleTargetRef", "kind"]),
            "Deployment"
        );
        assert_eq!(
            str_at(autoscaler, &["spec", "scaleTargetRef", "name"]),
            spec.name()
        );
        let min = at(autoscaler, &["spec", "minReplicas"]).as_u64().unwrap();
        let max = at(autoscaler, &["spec", "maxReplicas"]).as_u64().unwrap();
        let available = at(budget, &["spec", "minAvailable"]).as_u64().unwrap();
        assert!(
            available < min,
            "{}: the budget lets a node drain at the fewest replicas",
            spec.name()
        );
        assert!(
            max <= fewest_partitions(&documents),
            "{}: {max} replicas but only {} partitions to share between their consumers",
            spec.name(),
            fewest_partitions(&documents)
        );
    }
}

#[test]
fn every_service_environment_is_made_of_settings_it_reads_and_points_at_the_cluster() {
    let documents = resources();
    let cluster = kafka_cluster(&documents);
    for spec in services() {
        let deployment = find(&documents, "Deployment", spec.name());
        let (env, files) = environment(&documents, deployment);
        let settings = load_settings(spec, &env, &files);

        assert_eq!(settings.server.grpc_addr.port(), spec.defaults.grpc_port);
        assert_eq!(
            settings.server.metrics_addr.port(),
            spec.defaults.metrics_port
        );
        assert!(
            !settings.kafka.create_topics,
            "{}: topics are KafkaTopics",
            spec.name()
        );
        assert_eq!(
            host_of(&settings.kafka.brokers),
            format!("{cluster}-kafka-bootstrap"),
            "Strimzi's bootstrap service"
        );
        for peer in services() {
            let url = match peer.name() {
                "offers" => &settings.peers.offers,
                "candidates" => &settings.peers.candidates,
                "matching" => &settings.peers.matching,
                _ => &settings.peers.notifications,
            };
            let service = find(&documents, "Service", host_of(url));
            assert_eq!(name(service), peer.name());
            assert_eq!(
                port_of(url),
                peer.defaults.grpc_port,
                "{} reaches {}",
                spec.name(),
                peer.name()
            );
        }

        let pod = at(deployment, &["spec", "template", "spec"]);
        let reference = settings.reference.dir.to_str().unwrap();
        let mount = sequence(at(container(deployment), &["volumeMounts"]))
            .iter()
            .find(|mount| str_at(mount, &["mountPath"]) == reference)
            .unwrap_or_else(|| panic!("{}: nothing mounted at reference.dir", spec.name()));
        let volume = str_at(mount, &["name"]);
        let filled = pod
            .get("initContainers")
            .map(sequence)
            .unwrap_or_default()
            .iter()
            .any(|init| {
                str_at(init, &["image"]) == "vte-reference"
                    && sequence(at(init, &["volumeMounts"]))
                        .iter()
                        .any(|mount| str_at(mount, &["name"]) == volume)
            });
        assert!(
            filled,
            "{}: the reference data is copied in from the vte-reference image",
            spec.name()
        );

        let signing = settings
            .auth
            .signing_key
            .as_ref()
            .expect("a signing key in production");
        let kids: Vec<&str> = settings
            .auth
            .public_keys
            .iter()
            .map(|key| key.kid.as_str())
            .collect();
        assert!(
            kids.contains(&signing.kid.as_str()),
            "{}: every service can verify its tokens ({kids:?})",
            spec.name()
        );
        assert!(
            settings.auth.hs256_secret.is_none(),
            "no development secret in production"
        );
        assert_eq!(
            signing.pem.expose_secret(),
            env["VTE_AUTH__SIGNING_KEY__PEM"].trim(),
            "a PEM arrives intact through the environment"
        );
    }
}

#[test]
fn secrets_are_referenced_and_never_committed() {
    let documents = resources();
    assert!(
        documents.iter().all(|document| kind(document) != "Secret"),
        "the kustomization applies no Secret: they come from the operator's secret manager"
    );
    for (secret, keys) in example_secrets() {
        for (key, value) in keys {
            let sensitive =
                key.contains("url") || key.ends_with(".pem") || key.contains("password");
            assert!(
                !sensitive || value.contains("REPLACE_ME"),
                "{EXAMPLE_SECRETS}: {secret}/{key} must be a placeholder"
            );
        }
    }
}
