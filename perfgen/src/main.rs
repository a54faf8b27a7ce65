//! perfgen binary.
fn main() {
    std::process::exit(xdhcp_perfgen::app::main());
}
