//! Builds the C shim for the variadic logging entry point and regenerates
//! `include/coap3/coap.h` from the Rust definitions with cbindgen.
use std::{env, fs, path::Path};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&root);

    // Stable Rust cannot define C-variadic functions, so coap_log_impl lives in C.
    cc::Build::new()
        .file(root.join("src/ffi/log_shim.c"))
        .flag_if_supported("-fvisibility=hidden")
        .warnings(true)
        .compile("coap_log_shim");
    println!("cargo:rerun-if-changed=src/ffi/log_shim.c");
    // The OpenSSL headers we were built against (coap_tls_version_t.built_version).
    if let Ok(v) = env::var("DEP_OPENSSL_VERSION_NUMBER") {
        println!("cargo:rustc-env=COAP_OPENSSL_BUILT={v}");
    }

    // The Makefile asks for the header (`make header`); plain `cargo test`
    // leaves the checked-in file alone.
    println!("cargo:rerun-if-env-changed=COAP_GEN_HEADER");
    if env::var_os("COAP_GEN_HEADER").is_some() {
        generate_header(root);
    }
}

fn generate_header(root: &Path) {
    let piece = |name: &str| {
        let p = root.join("src/ffi/header").join(name);
        println!("cargo:rerun-if-changed={}", p.display());
        fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
    };
    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    // Our own include guard: cbindgen's would close before the trailer,
    // leaving the macros and static inlines unguarded.
    config.header = Some("#ifndef COAP3_COAP_H_\n#define COAP3_COAP_H_".to_string());
    config.after_includes = Some(piece("prelude.h"));
    config.trailer = Some(format!("{}\n{}\n#endif /* COAP3_COAP_H_ */", piece("pending.h"), piece("trailer.h")));
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");

    let header = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    let mut out = Vec::new();
    header.write(&mut out);
    let target = root.join("include/coap3/coap.h");
    // Only touch the checked-in header when it really changes, so make and
    // CI's drift check see a stable file.
    if fs::read(&target).ok().as_deref() != Some(out.as_slice()) {
        fs::create_dir_all(target.parent().expect("has a parent")).expect("mkdir include/coap3");
        fs::write(&target, out).expect("write include/coap3/coap.h");
    }
}
