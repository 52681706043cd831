//! The `skillgen` command line's side effects, as a library the binary and the tests share:
//! [`vendor`] (write skillsets and their runtime into the Python package) and [`fetch`] (download
//! config.json files into the cache). The generation itself is `skillgen-generator`.

pub mod fetch;
pub mod vendor;
