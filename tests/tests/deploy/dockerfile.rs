//! `deploy/Dockerfile` against the workspace: it builds the package of every service and ships
//! the binary Compose and Kubernetes run, beside the gRPC health probe Compose checks with.

use figment::Figment;
use figment::providers::{Format, Toml};
use figment::value::Value;

use crate::support::{Spec, read, repo, services};

/// The binary a service's package builds and the package name: the package's own name for
/// `src/main.rs`, else its one `[[bin]]`. Other binaries of the package (operators' tools in
/// `src/bin/`, such as matching's `evaluate` and `impressions-report`) are not the service.
pub fn binary(spec: Spec) -> (String, String) {
    let manifest = repo().join(spec.dir()).join("Cargo.toml");
    let figment = Figment::from(Toml::file_exact(&manifest));
    let package: String = figment
        .extract_inner("package.name")
        .unwrap_or_else(|error| panic!("{}: {error}", manifest.display()));
    if repo().join(spec.dir()).join("src/main.rs").exists() {
        return (package.clone(), package);
    }
    let bins: Vec<String> = match figment.find_value("bin") {
        Ok(Value::Array(_, bins)) => bins
            .iter()
            .filter_map(|bin| bin.find_ref("name")?.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    assert_eq!(
        bins.len(),
        1,
        "{}: expected one binary, found {bins:?}",
        spec.name()
    );
    (bins[0].clone(), package)
}

#[test]
fn the_image_builds_every_service_and_ships_its_binary() {
    let dockerfile = read("deploy/Dockerfile");
    for spec in services() {
        let (binary, package) = binary(spec);
        assert!(
            dockerfile.contains(&format!("-p {package}")),
            "deploy/Dockerfile does not build {package}"
        );
        assert!(
            dockerfile.contains(&format!("target/release/{binary}")),
            "deploy/Dockerfile does not copy {binary} out of the build"
        );
    }
    assert!(
        dockerfile.contains("--locked"),
        "the image builds what Cargo.lock pins"
    );
    assert!(
        dockerfile.contains("/usr/local/bin/grpc_health_probe"),
        "Compose's health checks run grpc_health_probe from the image"
    );
    assert!(
        dockerfile.contains("USER 10001"),
        "the image runs as the numeric non-root user Kubernetes' runAsUser names"
    );
}

#[test]
fn the_build_context_leaves_out_build_output_and_tools() {
    let ignored = read("deploy/Dockerfile.dockerignore");
    for path in [
        "target",
        ".git",
        "**/node_modules",
        "deploy/schema-check/.venv",
    ] {
        assert!(
            ignored.lines().any(|line| line.trim() == path),
            "deploy/Dockerfile.dockerignore should leave out {path}"
        );
    }
}
