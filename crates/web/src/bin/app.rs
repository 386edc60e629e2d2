//! The page: renders the Yew app.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    trailproof_web::offline::register();
    yew::Renderer::<trailproof_web::app::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the app runs only in a browser (wasm32); build it with `cargo xtask dist`");
}
