//! The binding covers the whole C API: every function of the library's
//! linker map (capi/roster.map) is declared in roster-sys and called from
//! the safe crate. Runs in the source tree only (a packaged crate has
//! neither the map nor roster-sys's sources beside it).

use std::fs;
use std::path::{Path, PathBuf};

/// The exported names of a linker map: `name;` lines of its `global:` parts.
fn exported(map: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut global = false;
    for line in map.lines() {
        let line = line.trim();
        if line == "global:" {
            global = true;
        } else if line == "local:" || line.starts_with('}') {
            global = false;
        } else if global {
            if let Some(name) = line.strip_suffix(';') {
                names.push(name.to_string());
            }
        }
    }
    names
}

fn read_sources(dir: &Path) -> String {
    let mut text = String::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().map_or(false, |e| e == "rs") {
            text.push_str(&fs::read_to_string(&path).unwrap());
        }
    }
    text
}

#[test]
fn every_exported_function_is_declared_and_wrapped() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let map_path = crate_dir.join("../../../capi/roster.map");
    let sys_path = crate_dir.join("../roster-sys/src/lib.rs");
    let (map, sys) = match (fs::read_to_string(&map_path), fs::read_to_string(&sys_path)) {
        (Ok(map), Ok(sys)) => (map, sys),
        _ => {
            eprintln!("not in roster's source tree: the coverage check does not apply");
            return;
        }
    };
    let safe = read_sources(&crate_dir.join("src"));
    let names = exported(&map);
    assert!(names.len() >= 44, "the map lists {} functions", names.len());
    let mut missing = Vec::new();
    for name in &names {
        if !sys.contains(&format!("pub fn {}(", name)) {
            missing.push(format!("{}: not declared in roster-sys", name));
        }
        if !safe.contains(&format!("sys::{}(", name)) {
            missing.push(format!("{}: not called from the safe crate", name));
        }
    }
    assert!(missing.is_empty(), "missing:\n{}", missing.join("\n"));
}
