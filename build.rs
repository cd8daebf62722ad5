//! Rebuilds the core when a migration changes, so a new migration never ships missing.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
