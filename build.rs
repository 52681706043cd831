// The build script only calls the generator library (src/generator/, shared with the binary).
#[path = "src/generator/mod.rs"]
#[allow(dead_code)]
mod generator;

fn main() {
    generator::build_script();
}
