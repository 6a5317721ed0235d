//! What the deployment checks share: the repository's files, YAML documents with their merge
//! keys applied, the four services as their code defines them, and loading an environment
//! through a service's own settings, as its binary would at start-up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use figment::Jail;
use figment::providers::{Format, Toml};
use figment::value::{Dict, Value as FigmentValue};
use serde::Deserialize;
use serde_norway::Value;
use vte_service::settings::OwnSettings;
use vte_service::{Service, ServiceDefaults, Settings};

/// One of the four services, as its crate defines it.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub defaults: ServiceDefaults,
    /// The gRPC API its readiness is reported under (`vte.offers.v1.OffersService`).
    pub api: &'static str,
}

impl Spec {
    pub fn name(&self) -> &'static str {
        self.defaults.name
    }

    /// `services/<name>`.
    pub fn dir(&self) -> String {
        format!("services/{}", self.name())
    }
}

/// The four services.
pub fn services() -> [Spec; 4] {
    use vte_proto::vte;
    [
        Spec {
            defaults: <vte_offers::Application as Service>::DEFAULTS,
            api: vte::offers::v1::offers_service_server::SERVICE_NAME,
        },
        Spec {
            defaults: <vte_candidates::Application as Service>::DEFAULTS,
            api: vte::candidates::v1::candidates_service_server::SERVICE_NAME,
        },
        Spec {
            defaults: <vte_matching::Application as Service>::DEFAULTS,
            api: vte::matching::v1::matching_service_server::SERVICE_NAME,
        },
        Spec {
            defaults: <vte_notifications::Application as Service>::DEFAULTS,
            api: vte::notifications::v1::notifications_service_server::SERVICE_NAME,
        },
    ]
}

/// The service named `name`.
pub fn service(name: &str) -> Spec {
    services()
        .into_iter()
        .find(|spec| spec.name() == name)
        .unwrap_or_else(|| panic!("{name} is not one of the four services"))
}

/// Every topic the platform deploys: the contract's topics and their dead-letter topics.
pub fn all_topics() -> Vec<String> {
    vte_proto::TOPICS
        .iter()
        .flat_map(|topic| [topic.to_string(), format!("{topic}.dlq")])
        .collect()
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_owned()
}

/// A file of the repository, by its path from the root.
pub fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative))
        .unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// Every YAML document of a file, `<<` merge keys applied.
pub fn yaml_documents(relative: &str) -> Vec<Value> {
    let text = read(relative);
    serde_norway::Deserializer::from_str(&text)
        .map(|document| {
            let mut value = Value::deserialize(document)
                .unwrap_or_else(|error| panic!("{relative} is not valid YAML: {error}"));
            value
                .apply_merge()
                .unwrap_or_else(|error| panic!("{relative}: merge keys: {error}"));
            value
        })
        .filter(|value| !value.is_null())
        .collect()
}

/// `value[path[0]][path[1]]...`, or a panic naming the path.
pub fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    let mut current = value;
    for (depth, key) in path.iter().enumerate() {
        current = current
            .get(*key)
            .unwrap_or_else(|| panic!("missing {}", path[..=depth].join(".")));
    }
    current
}

/// The string at `path`.
pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    at(value, path)
        .as_str()
        .unwrap_or_else(|| panic!("{} is not a string", path.join(".")))
}

/// A YAML scalar as the string a process would see in its environment.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// A mapping of scalars (an `environment:` block, a ConfigMap's `data`) as strings.
pub fn string_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_mapping()
        .unwrap_or_else(|| panic!("not a mapping: {value:?}"))
        .iter()
        .map(|(key, value)| (scalar(key), scalar(value)))
        .collect()
}

/// The port of `host:port` or `scheme://host:port[/...]`.
pub fn port_of(address: &str) -> u16 {
    let rest = address.split_once("://").map_or(address, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {address:?}"))
}

/// The host of `host:port` or `scheme://host:port[/...]`.
pub fn host_of(address: &str) -> &str {
    let rest = address.split_once("://").map_or(address, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

/// Serialises the tests that read or change the process environment (figment's Jail sets
/// variables; spawning a command reads them).
pub fn env_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A value of the wrong shape for any setting: a variable set to it makes loading fail, naming
/// the variable, if and only if the service reads it.
const PROBE: &str = "{deploy_probe = 1}";

/// Variables a service reads that are not settings themselves.
const NOT_SETTINGS: [&str; 1] = ["VTE_CONFIG"];

/// The conventional variables `Settings::figment` maps to a key, and that key.
const CONVENTIONAL: [(&str, &str); 3] = [
    ("DATABASE_URL", "DATABASE.URL"),
    ("KAFKA_BROKERS", "KAFKA.BROKERS"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "TELEMETRY.OTLP_ENDPOINT"),
];

/// Loads `env` through the settings of `spec` (shared and its own section), with `files`
/// (absolute path in the container → contents) present where the environment names them, and
/// checks that the service reads every variable and every key of a settings file. Returns the
/// shared settings loaded.
pub fn load_settings(
    spec: Spec,
    env: &BTreeMap<String, String>,
    files: &BTreeMap<String, String>,
) -> Settings {
    let _env = env_lock();
    let settings = in_jail(env, files, None, || load(spec))
        .unwrap_or_else(|error| panic!("{}: the environment does not load: {error}", spec.name()));
    let variables = env
        .keys()
        .filter(|key| !NOT_SETTINGS.contains(&key.as_str()))
        .map(|key| (key.clone(), format!("environment variable {key}")));
    let file_keys = files
        .iter()
        .filter(|(path, _)| path.ends_with(".toml"))
        .flat_map(|(path, contents)| {
            toml_keys(contents).into_iter().map(move |key| {
                let variable = format!("VTE_{}", key.to_ascii_uppercase().replace('.', "__"));
                (variable, format!("{key} in {path}"))
            })
        });
    for (variable, what) in variables.chain(file_keys) {
        let error = in_jail(env, files, Some(&variable), || load(spec)).err();
        let key = CONVENTIONAL
            .iter()
            .find(|(conventional, _)| *conventional == variable)
            .map_or_else(
                || variable.trim_start_matches("VTE_").replace("__", "."),
                |(_, key)| (*key).to_owned(),
            );
        let read = error.as_deref().is_some_and(|error| names_key(error, &key));
        assert!(
            read,
            "{}: {what} is not a setting the service reads (set to {PROBE}, loading gave {error:?})",
            spec.name()
        );
    }
    settings
}

/// Whether a loading error is about `key` (`SECTION.KEY`). Figment names the key upper-cased,
/// with the variant an enum was given after it, and the section last when a service extracts
/// its own section on its own (`SMTP.TLS.DEPLOY_PROBE.NOTIFICATIONS`).
fn names_key(error: &str, key: &str) -> bool {
    let expected: Vec<&str> = key.split('.').collect();
    let mut rotated = expected.clone();
    rotated.rotate_left(1);
    error.split("for key \"").skip(1).any(|rest| {
        let named: Vec<&str> = rest
            .split('"')
            .next()
            .unwrap_or_default()
            .split('.')
            .filter(|segment| *segment != "DEPLOY_PROBE")
            .collect();
        named == expected || named == rotated
    })
}

/// Runs `f` with exactly `env` (and `probed` set to [`PROBE`]) in the process environment and
/// `files` written to a temporary directory, the variables naming them pointed there.
// The closure's error type is figment's own, which Jail prescribes.
#[allow(clippy::result_large_err)]
fn in_jail<T>(
    env: &BTreeMap<String, String>,
    files: &BTreeMap<String, String>,
    probed: Option<&str>,
    f: impl FnOnce() -> T,
) -> T {
    let mut result = None;
    Jail::expect_with(|jail| {
        jail.clear_env();
        let mut env = env.clone();
        for (index, (path, contents)) in files.iter().enumerate() {
            let local = format!("file-{index}");
            jail.create_file(&local, contents)?;
            let local = jail.directory().join(local).display().to_string();
            for value in env.values_mut().filter(|value| *value == path) {
                value.clone_from(&local);
            }
        }
        if let Some(variable) = probed {
            env.insert(variable.to_owned(), PROBE.to_owned());
        }
        for (key, value) in &env {
            jail.set_env(key, value);
        }
        result = Some(f());
        Ok(())
    });
    result.expect("the jail ran")
}

/// The shared settings and the service's own section, loaded as the service does.
fn load(spec: Spec) -> Result<Settings, String> {
    let settings = Settings::load(spec.defaults).map_err(|error| error.to_string())?;
    match spec.name() {
        "offers" => own::<vte_offers::Application>(),
        "candidates" => own::<vte_candidates::Application>(),
        "matching" => own::<vte_matching::Application>(),
        "notifications" => own::<vte_notifications::Application>(),
        other => Err(format!("no settings loader for {other}")),
    }?;
    Ok(settings)
}

/// The service's own section, read and checked as the service reads it.
fn own<S: Service>() -> Result<(), String> {
    <S::Own as OwnSettings>::load(S::DEFAULTS).map(drop)
}

/// The dotted keys of a TOML document's leaves (an array of tables is one leaf).
fn toml_keys(contents: &str) -> Vec<String> {
    fn walk(prefix: &str, dict: &Dict, keys: &mut Vec<String>) {
        for (key, value) in dict {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                FigmentValue::Dict(_, inner) => walk(&path, inner, keys),
                _ => keys.push(path),
            }
        }
    }
    let dict: Dict = figment::Figment::from(Toml::string(contents))
        .extract()
        .unwrap_or_else(|error| panic!("not valid TOML: {error}"));
    let mut keys = Vec::new();
    walk("", &dict, &mut keys);
    keys
}
