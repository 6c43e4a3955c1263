//! Links the crate with libroster, found with the `pkg-config` program (no
//! crates): `pkg-config --libs roster` gives the -L and -l flags. Point
//! PKG_CONFIG_PATH at an installed roster.pc, or at a meson build root's
//! `meson-uninstalled` directory to use a build tree (as run.sh does).
//! PKG_CONFIG may name another pkg-config program. With DOCS_RS set (a
//! documentation build, which never links) nothing is looked up.

use std::env;
use std::process::{self, Command};

fn fail(message: &str) -> ! {
    eprintln!("error: roster build script: {}", message);
    process::exit(1);
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "PKG_CONFIG",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "DOCS_RS",
    ] {
        println!("cargo:rerun-if-env-changed={}", var);
    }
    if env::var_os("DOCS_RS").is_some() {
        return;
    }

    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let output = match Command::new(&program).args(["--libs", "roster"]).output() {
        Ok(output) => output,
        Err(err) => fail(&format!("cannot run `{}`: {}", program, err)),
    };
    if !output.status.success() {
        fail(&format!(
            "`{} --libs roster` failed (is PKG_CONFIG_PATH set?): {}",
            program,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let libs = match String::from_utf8(output.stdout) {
        Ok(libs) => libs,
        Err(_) => fail("pkg-config printed something that is not UTF-8"),
    };

    // Flags are split on whitespace: paths with spaces are not supported.
    let mut linked = false;
    for flag in libs.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={}", lib);
            linked = true;
        }
        // Anything else (e.g. -pthread) is not needed to link a shared library.
    }
    if !linked {
        fail(&format!(
            "`{} --libs roster` named no library: {}",
            program,
            libs.trim()
        ));
    }
}
