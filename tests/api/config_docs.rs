//! The settings are written down three times, and the three agree: the names the code reads (recorded by
//! asking `Settings::from_lookup` which names it looks up), the README's configuration table, and
//! `.env.example`, with the same defaults in the last two.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use blog_api::config::Settings;

/// Read by the log subscriber (tracing's `EnvFilter`), not by `Settings`.
const READ_BY_THE_LOGGER: &[&str] = &["RUST_LOG"];

fn repository_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Every variable the code looks up: with Redis configured, so its settings are read too.
fn read_by_the_code() -> BTreeSet<String> {
    let seen = RefCell::new(BTreeSet::new());
    let settings = Settings::from_lookup(|name| {
        seen.borrow_mut().insert(name.to_owned());
        (name == "REDIS_URL").then(|| String::from("redis://127.0.0.1:6379"))
    });
    assert!(settings.is_ok(), "defaults are valid");
    let mut names = seen.into_inner();
    names.extend(READ_BY_THE_LOGGER.iter().map(|name| (*name).to_owned()));
    names
}

/// The README's configuration table: name -> default (empty for `unset`).
fn readme_table() -> BTreeMap<String, String> {
    let readme = repository_file("README.md");
    let section = readme
        .split("## Configuration")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Configuration section");
    section
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim);
            let (_, name, default) = (cells.next()?, cells.next()?, cells.next()?);
            let name = name.strip_prefix('`')?.strip_suffix('`')?;
            let default = default.trim_matches('`');
            let default = if default == "unset" { "" } else { default };
            Some((name.to_owned(), default.to_owned()))
        })
        .collect()
}

/// `.env.example`: name -> default, from its `# NAME=default` lines.
fn env_example() -> BTreeMap<String, String> {
    repository_file(".env.example")
        .lines()
        .filter_map(|line| {
            let (name, default) = line.trim_start_matches("# ").split_once('=')?;
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                .then(|| (name.to_owned(), default.to_owned()))
        })
        .collect()
}

#[test]
fn the_code_the_readme_and_env_example_list_the_same_settings() {
    let code = read_by_the_code();
    let readme = readme_table();
    let example = env_example();
    let readme_names: BTreeSet<String> = readme.keys().cloned().collect();
    let example_names: BTreeSet<String> = example.keys().cloned().collect();
    assert_eq!(readme_names, code, "README table vs the code");
    assert_eq!(example_names, code, ".env.example vs the code");
    assert_eq!(example, readme, ".env.example defaults vs the README's");
}
