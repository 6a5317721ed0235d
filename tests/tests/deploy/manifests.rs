//! deploy/k8s as documents: the files, what the kustomization applies, lookups by kind and name,
//! and a container's environment and files as the kubelet would assemble them, the example
//! Secrets standing in for the real ones.

use std::collections::{BTreeMap, BTreeSet};

use serde_norway::Value;

use crate::support::{at, repo, scalar, str_at, string_map, yaml_documents};

pub const DIR: &str = "deploy/k8s";
pub const KUSTOMIZATION: &str = "kustomization.yaml";
pub const EXAMPLE_SECRETS: &str = "secrets.example.yaml";

/// The YAML files of deploy/k8s, by name.
pub fn yaml_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo().join(DIR))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") || name.ends_with(".yml"))
        .collect();
    files.sort();
    files
}

/// deploy/k8s/kustomization.yaml.
pub fn kustomization() -> Value {
    yaml_documents(&format!("{DIR}/{KUSTOMIZATION}")).remove(0)
}

/// Every document of every file the kustomization applies.
pub fn resources() -> Vec<Value> {
    let kustomization = kustomization();
    at(&kustomization, &["resources"])
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|file| yaml_documents(&format!("{DIR}/{}", scalar(file))))
        .collect()
}

/// A document's `kind`.
pub fn kind(document: &Value) -> &str {
    str_at(document, &["kind"])
}

/// A document's `metadata.name`.
pub fn name(document: &Value) -> &str {
    str_at(document, &["metadata", "name"])
}

/// The document of that kind and name, or a panic naming what is missing.
pub fn find<'a>(documents: &'a [Value], wanted_kind: &str, wanted_name: &str) -> &'a Value {
    documents
        .iter()
        .find(|document| kind(document) == wanted_kind && name(document) == wanted_name)
        .unwrap_or_else(|| panic!("no {wanted_kind} {wanted_name} in {DIR}"))
}

/// A YAML list, or a panic.
pub fn sequence(value: &Value) -> &[Value] {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("not a list: {value:?}"))
}

/// The service's own container in its Deployment.
pub fn container(deployment: &Value) -> &Value {
    let containers = sequence(at(deployment, &["spec", "template", "spec", "containers"]));
    assert_eq!(containers.len(), 1, "{}: one container", name(deployment));
    &containers[0]
}

/// The number of a container's port, by the port's name.
pub fn container_port(container: &Value, port_name: &str) -> u16 {
    sequence(at(container, &["ports"]))
        .iter()
        .find(|port| str_at(port, &["name"]) == port_name)
        .and_then(|port| at(port, &["containerPort"]).as_u64())
        .and_then(|port| u16::try_from(port).ok())
        .unwrap_or_else(|| panic!("no container port named {port_name}"))
}

/// The keys and values of the example Secrets, by Secret name.
pub fn example_secrets() -> BTreeMap<String, BTreeMap<String, String>> {
    yaml_documents(&format!("{DIR}/{EXAMPLE_SECRETS}"))
        .iter()
        .map(|secret| {
            assert_eq!(kind(secret), "Secret");
            (
                name(secret).to_owned(),
                string_map(at(secret, &["stringData"])),
            )
        })
        .collect()
}

/// The environment of a Deployment's container (ConfigMaps and the example Secrets standing in
/// for the real ones) and the files its ConfigMap volumes put in it.
pub fn environment(
    documents: &[Value],
    deployment: &Value,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let secrets = example_secrets();
    let config_map =
        |config_name: &str| string_map(at(find(documents, "ConfigMap", config_name), &["data"]));
    let secret = |secret_name: &str, key: &str| {
        secrets
            .get(secret_name)
            .and_then(|secret| secret.get(key))
            .cloned()
            .unwrap_or_else(|| {
                panic!("{EXAMPLE_SECRETS} lacks the key {key} of Secret {secret_name}")
            })
    };
    let container = container(deployment);
    let mut env = BTreeMap::new();
    for source in container.get("envFrom").map(sequence).unwrap_or_default() {
        env.extend(config_map(str_at(source, &["configMapRef", "name"])));
    }
    for variable in sequence(at(container, &["env"])) {
        let value = match (variable.get("value"), variable.get("valueFrom")) {
            (Some(value), None) => scalar(value),
            (None, Some(from)) => match (from.get("secretKeyRef"), from.get("configMapKeyRef")) {
                (Some(reference), None) => {
                    secret(str_at(reference, &["name"]), str_at(reference, &["key"]))
                }
                (None, Some(reference)) => {
                    config_map(str_at(reference, &["name"]))[str_at(reference, &["key"])].clone()
                }
                _ => panic!("unexpected valueFrom {from:?}"),
            },
            _ => panic!("unexpected env entry {variable:?}"),
        };
        env.insert(str_at(variable, &["name"]).to_owned(), value);
    }
    let volumes = sequence(at(deployment, &["spec", "template", "spec", "volumes"]));
    let mut files = BTreeMap::new();
    for mount in sequence(at(container, &["volumeMounts"])) {
        let volume = volumes
            .iter()
            .find(|volume| str_at(volume, &["name"]) == str_at(mount, &["name"]))
            .expect("a mounted volume is declared");
        if let Some(source) = volume.get("configMap") {
            for (key, contents) in config_map(str_at(source, &["name"])) {
                files.insert(format!("{}/{key}", str_at(mount, &["mountPath"])), contents);
            }
        }
    }
    (env, files)
}
/// The Strimzi cluster the KafkaTopics belong to.
pub fn kafka_cluster(documents: &[Value]) -> String {
    let clusters: BTreeSet<&str> = documents
        .iter()
        .filter(|document| kind(document) == "KafkaTopic")
        .map(|topic| str_at(topic, &["metadata", "labels", "strimzi.io/cluster"]))
        .collect();
    assert_eq!(
        clusters.len(),
        1,
        "every topic in one cluster: {clusters:?}"
    );
    clusters.into_iter().next().unwrap().to_owned()
}

/// The partitions of the topics the services consume: replicas beyond them would idle.
pub fn fewest_partitions(documents: &[Value]) -> u64 {
    documents
        .iter()
        .filter(|document| kind(document) == "KafkaTopic")
        .map(|topic| at(topic, &["spec", "partitions"]).as_u64().unwrap())
        .min()
        .expect("KafkaTopics")
}
