//! Compiles the XDP program (src/bpf/xdp_dhcp.c) into a BPF ELF object in OUT_DIR, so the
//! crate can embed it with `include_bytes!` and never depends on a file at run time.
//!
//! The compiler is `$XDHCP_CLANG` when set, else the first of `clang-19`, `clang` that runs.
//! Headers: <linux/bpf.h> and <asm/types.h> come from Debian's `linux-libc-dev` (pulled in by
//! `libc6-dev`), <bpf/bpf_helpers.h> from `libbpf-dev`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, exit};

const SOURCE: &str = "src/bpf/xdp_dhcp.c";
const INSTALL_HINT: &str = "install them with: apt-get install clang-19 libbpf-dev \
     (Debian 12; linux-libc-dev, which libc6-dev already pulls in, provides <linux/*.h> and <asm/*.h>)";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=XDHCP_CLANG");

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let object = out_dir.join("xdp_dhcp.o");
    let clang = find_clang();

    let mut cmd = Command::new(&clang);
    cmd.args(["-O2", "-g", "-target", "bpf", "-Wall"]);
    if let Some(dir) = multiarch_include_dir() {
        cmd.arg(format!("-I{dir}"));
    }
    cmd.arg("-c").arg(SOURCE).arg("-o").arg(&object);

    let output = match cmd.output() {
        Ok(output) => output,
        Err(err) => fail(&format!("could not run {clang}: {err}")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = missing_header_hint(&stderr);
        fail(&format!(
            "{clang} failed to compile {SOURCE}:\n{stderr}\n{hint}"
        ));
    }
    if !Path::new(&object).exists() {
        fail(&format!(
            "{clang} reported success but wrote no {}",
            object.display()
        ));
    }
}

/// Picks the compiler: `$XDHCP_CLANG`, then `clang-19`, then `clang`.
fn find_clang() -> String {
    if let Some(clang) = env::var_os("XDHCP_CLANG") {
        let clang = clang.to_string_lossy().into_owned();
        if runs(&clang) {
            return clang;
        }
        fail(&format!(
            "XDHCP_CLANG={clang} does not run (`{clang} --version` failed)"
        ));
    }
    for candidate in ["clang-19", "clang"] {
        if runs(candidate) {
            return candidate.to_string();
        }
    }
    fail(
        "no clang found (tried clang-19, clang; set XDHCP_CLANG to override) to build the XDP program",
    )
}

fn runs(clang: &str) -> bool {
    Command::new(clang)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The Debian multiarch directory holding <asm/types.h> for the build host, which clang does
/// not search when targeting bpf.
fn multiarch_include_dir() -> Option<String> {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").ok()?;
    let triple = match arch.as_str() {
        "x86_64" => "x86_64-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        "riscv64" => "riscv64-linux-gnu",
        "powerpc64" => "powerpc64le-linux-gnu",
        "s390x" => "s390x-linux-gnu",
        _ => return None,
    };
    let dir = format!("/usr/include/{triple}");
    Path::new(&dir).is_dir().then_some(dir)
}

/// Names the package that provides the header clang could not find.
fn missing_header_hint(stderr: &str) -> String {
    if stderr.contains("bpf/bpf_helpers.h") || stderr.contains("bpf/bpf_endian.h") {
        format!("the libbpf headers are missing; {INSTALL_HINT}")
    } else if stderr.contains("asm/") || stderr.contains("linux/") {
        format!("the Linux UAPI headers are missing (package linux-libc-dev); {INSTALL_HINT}")
    } else {
        String::new()
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: xdhcp-ebpf build: {message}");
    eprintln!("error: xdhcp-ebpf needs clang (BPF target) and the libbpf headers; {INSTALL_HINT}");
    exit(1);
}
