//! A release build embeds `web/dist` (see `src/static_files.rs`): rebuild when it changes,
//! including when it appears after the first build. Debug builds read the folder at
//! run time, so they need no rebuild for it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../../web/dist");
    }
}
