//! Links the `rhelm` binary as a position-dependent executable on Linux, as Go links Helm:
//! the dynamic loader then has no relocations to apply at every start (tens of thousands
//! in a PIE build of this size, about a fifth of a millisecond per command).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
