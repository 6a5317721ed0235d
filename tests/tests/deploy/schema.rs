//! deploy/k8s against the Kubernetes API's own JSON schemas, in their strict form (an unknown
//! or misspelt field fails), for the oldest and the newest Kubernetes the manifests target.
//! The schemas come with kubernetes-validate, a PyPI package that deploy/schema-check/install
//! puts in deploy/schema-check/.venv (scripts/test runs it); `VTE_KUBERNETES_VALIDATE` may name
//! another installation. Custom resources are not among them: topics.rs checks Strimzi's
//! KafkaTopic fields, monitoring.rs the Prometheus Operator's PrometheusRule.

use std::path::PathBuf;
use std::process::Command;

use crate::manifests::yaml_files;
use crate::support::{env_lock, repo, str_at, yaml_documents};

/// The Kubernetes versions whose schemas the manifests must pass.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

/// The custom resources (kind, apiVersion) the schemas do not know, checked by other modules.
const CUSTOM_RESOURCES: [(&str, &str); 2] = [
    ("KafkaTopic", "kafka.strimzi.io/v1beta2"),
    ("PrometheusRule", "monitoring.coreos.com/v1"),
];

fn is_custom(kind: &str) -> bool {
    CUSTOM_RESOURCES.iter().any(|(custom, _)| *custom == kind)
}

fn validator() -> PathBuf {
    std::env::var_os("VTE_KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("deploy/schema-check/.venv/bin/kubernetes-validate"))
}

#[test]
fn the_manifests_pass_the_kubernetes_schemas_strictly() {
    let _env = env_lock();
    let validator = validator();
    assert!(
        validator.is_file(),
        "{} is missing: run deploy/schema-check/install (scripts/test does)",
        validator.display()
    );
    let files: Vec<String> = yaml_files()
        .into_iter()
        .filter(|file| file != "kustomization.yaml")
        .collect();
    let checkable = files
        .iter()
        .flat_map(|file| yaml_documents(&format!("deploy/k8s/{file}")))
        .filter(|document| !is_custom(str_at(document, &["kind"])))
        .count();
    for version in KUBERNETES_VERSIONS {
        let output = Command::new(&validator)
            .args(["--strict", "--kubernetes-version", version])
            .args(&files)
            .current_dir(repo().join("deploy/k8s"))
            .output()
            .unwrap_or_else(|error| panic!("{}: {error}", validator.display()));
        let report = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "deploy/k8s fails the Kubernetes {version} schemas:\n{report}"
        );
        // Only the custom resources may go unchecked here; any other unknown kind or apiVersion
        // (a typo, a removed API) is a failure.
        let unexpected: Vec<&str> = report
            .lines()
            .filter(|line| !line.starts_with("INFO ") && !line.trim().is_empty())
            .filter(|line| {
                !CUSTOM_RESOURCES.iter().any(|(kind, api)| {
                    line.contains(&format!("kind {kind} with api version {api}"))
                })
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "Kubernetes {version}:\n{}",
            unexpected.join("\n")
        );
        let passed = report
            .lines()
            .filter(|line| line.contains(" passed for resource "))
            .count();
        assert_eq!(
            passed, checkable,
            "every resource but the custom ones is validated:\n{report}"
        );
    }
}
