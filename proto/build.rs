//! Compiles the wire contract in `vte/` into Rust (prost messages, tonic
//! clients and servers) and writes the file descriptor set that gRPC
//! reflection serves. Uses the vendored `protoc`: no system install needed.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::{env, fs};

/// Root of the .proto tree, relative to this crate; also the import root.
const PROTO_ROOT: &str = "vte";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    println!("cargo:rerun-if-changed=build.rs");

    let mut files = Vec::new();
    collect_protos(Path::new(PROTO_ROOT), &mut files)?;
    files.sort();

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    // The vendored protoc is handed to prost-build through its config rather
    // than the PROTOC variable: `env::set_var` is unsafe in edition 2024.
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);

    // Imports resolve from the crate root (`import "vte/common/v1/..."`) and,
    // for google/protobuf/*.proto, from the vendored protoc's include dir.
    let includes = [PathBuf::from("."), protoc_bin_vendored::include_path()?];

    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("vte_descriptor.bin"))
        .emit_rerun_if_changed(false)
        .compile_with_config(config, &files, &includes)?;
    Ok(())
}

/// Appends every `.proto` file under `dir`, recursively.
fn collect_protos(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Box<dyn Error>> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            files.push(path);
        }
    }
    Ok(())
}
