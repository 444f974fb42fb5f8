//! The import rules of docs/ARCHITECTURE.md, checked on the source: each layer imports only what is below
//! it, and nothing below `routes` and `service` knows HTTP or the HTTP error type.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/<folder>`.
fn sources(folder: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    assert!(!found.is_empty(), "no sources under src/{folder}");
    found
}

/// The lines of `folder` that name any of `forbidden` (comments and `#[cfg(test)]` modules aside), as
/// `file:line: text`.
fn violations(folder: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in sources(folder) {
        let text = std::fs::read_to_string(&file).expect("readable source");
        let production = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in production.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if forbidden.iter().any(|name| code.contains(name)) {
                found.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

const HTTP: [&str; 4] = ["actix_web", "crate::error", "ApiError", "crate::routes"];

#[test]
fn storage_cache_domain_and_jobs_know_nothing_of_http() {
    for folder in ["db", "cache", "domain", "jobs"] {
        let found = violations(folder, &HTTP);
        assert!(
            found.is_empty(),
            "src/{folder} reaches up into HTTP:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_domain_depends_on_no_storage_and_no_service() {
    let found = violations(
        "domain",
        &[
            "crate::db",
            "crate::cache",
            "crate::service",
            "crate::jobs",
            "diesel::",
            "redis::",
            "actix",
        ],
    );
    assert!(
        found.is_empty(),
        "src/domain must stay pure:\n{}",
        found.join("\n")
    );
}

#[test]
fn storage_and_cache_never_reach_up_or_sideways() {
    let found = violations("db", &["crate::cache", "crate::service", "crate::jobs"]);
    assert!(found.is_empty(), "src/db reaches up:\n{}", found.join("\n"));
    let found = violations("cache", &["crate::db", "crate::service", "crate::jobs"]);
    assert!(
        found.is_empty(),
        "src/cache reaches up:\n{}",
        found.join("\n")
    );
}

#[test]
fn routes_reach_storage_only_through_services() {
    let found: Vec<String> = violations(
        "routes",
        &["crate::db", "crate::cache", "diesel", "redis::"],
    )
    .into_iter()
    .filter(|line| !line.ends_with("use crate::db::{DbPool, QueryCounter};"))
    .collect();
    assert!(
        found.is_empty(),
        "src/routes bypasses the services:\n{}",
        found.join("\n")
    );
}

#[test]
fn services_do_not_speak_http() {
    let found = violations(
        "service",
        &["actix_web", "crate::routes", "HttpRequest", "StatusCode"],
    );
    assert!(
        found.is_empty(),
        "src/service speaks HTTP:\n{}",
        found.join("\n")
    );
}

#[test]
fn main_only_parses_and_dispatches() {
    let main = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs"))
        .expect("src/main.rs");
    assert!(
        main.lines().count() < 60,
        "src/main.rs has grown past 60 lines"
    );
}

#[test]
fn handlers_take_their_preconditions_as_extractors() {
    // Parsing a path id, the query string or the token by hand belongs in routes/extract.rs.
    let mut found = Vec::new();
    for file in sources("routes") {
        if file.ends_with("extract.rs") || file.ends_with("query.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        let production = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in production.lines().enumerate() {
            if [
                "web::Path<",
                "QueryParams::parse(",
                "ResourceId::parse(",
                "match_info()",
                "query_string()",
            ]
            .iter()
            .any(|pattern| line.contains(pattern))
            {
                found.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a handler parses its own input:\n{}",
        found.join("\n")
    );
}
