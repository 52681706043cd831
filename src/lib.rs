//! skillgen: generates the per-model Python skillset files of ipfs_accelerate_py from
//! HuggingFace AutoConfigs. See the README for use and the architecture.

pub mod fetch;
pub mod generator;
pub mod vendor;

pub use generator::{Config, Error, Errors, GeneratedFile, Output};
