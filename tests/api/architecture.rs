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
    for folder in ["db", "cache", "media", "domain", "jobs"] {
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
    let found = violations(
        "media",
        &["crate::db", "crate::cache", "crate::service", "crate::jobs"],
    );
    assert!(
        found.is_empty(),
        "src/media reaches up or sideways:\n{}",
        found.join("\n")
    );
}

#[test]
fn routes_reach_storage_only_through_services() {
    let found: Vec<String> = violations(
        "routes",
        &[
            "crate::db",
            "crate::cache",
            "crate::media",
            "diesel",
            "redis::",
            "object_store",
        ],
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
        main.lines().count() < 30,
        "src/main.rs has grown to 30 lines or more"
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

/// The modules of `src/`, by path (`db::posts`; `db::webhooks` for `src/db/webhooks/mod.rs`; the empty
/// path for `lib.rs`), each with its production code (comments, string literals and `#[cfg(test)]` modules left out).
fn modules() -> std::collections::BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = std::collections::BTreeMap::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("main.rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).expect("under src");
            let mut parts: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts
                .last()
                .is_some_and(|last| last == "mod" || last == "lib")
            {
                parts.pop();
            }
            if parts.last().is_some_and(|last| last == "tests") {
                continue; // a module's unit tests, in a file of their own
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            found.insert(parts.join("::"), production_code(&text));
        }
    }
    found
}

/// `text` without its `#[cfg(test)]` module, comments and string literals.
fn production_code(text: &str) -> String {
    let production = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut code = String::new();
    for line in production.lines() {
        let mut kept = String::new();
        let mut in_string = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if in_string => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                '/' if !in_string && chars.peek() == Some(&'/') => break,
                _ if !in_string => kept.push(c),
                _ => {}
            }
        }
        code.push_str(&kept);
        code.push('\n');
    }
    code
}

/// Every path a module's `use` statements name (braces expanded, `self`/`super`/`crate` resolved to
/// absolute module paths), and the `crate::...` paths its code names inline.
fn imported_paths(module: &str, code: &str) -> Vec<Vec<String>> {
    let own: Vec<String> = module
        .split("::")
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect();
    let resolve = |path: &str| -> Option<Vec<String>> {
        let mut parts = path
            .split("::")
            .map(str::trim)
            .filter(|part| !part.is_empty());
        let first = parts.next()?;
        let mut absolute = match first {
            "crate" => Vec::new(),
            "self" => own.clone(),
            "super" => own[..own.len().saturating_sub(1)].to_vec(),
            _ => return None, // another crate
        };
        for part in parts {
            if part == "super" {
                absolute.pop();
            } else {
                absolute.push(part.split_whitespace().next().unwrap_or(part).to_owned());
            }
        }
        Some(absolute)
    };
    let mut paths = Vec::new();
    // `use` statements, up to their `;`.
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        for path in expand(rest[..end].trim()) {
            if let Some(absolute) = resolve(&path) {
                paths.push(absolute);
            }
        }
    }
    // Inline `crate::a::b` paths.
    for (at, _) in code.match_indices("crate::") {
        let tail: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        if let Some(absolute) = resolve(tail.trim_end_matches(':')) {
            paths.push(absolute);
        }
    }
    paths
}

/// `a::{b, c::{d, e}}` -> `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else {
        return vec![tree
            .split(" as ")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (index, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .flat_map(|part| {
            expand(part)
                .into_iter()
                .map(|tail| match tail.as_str() {
                    "self" => prefix.to_owned(),
                    _ => format!("{prefix}::{tail}"),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Module -> the other modules it imports: each path resolved to the longest known module it starts with.
/// A module and the modules declared inside it are one unit: their edges to each other are left out.
fn import_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let modules = modules();
    let mut graph = std::collections::BTreeMap::new();
    for (module, code) in &modules {
        let mut targets = std::collections::BTreeSet::new();
        for path in imported_paths(module, code) {
            let target = (0..=path.len())
                .rev()
                .map(|length| path[..length].join("::"))
                .find(|candidate| modules.contains_key(candidate))
                .unwrap_or_default();
            let related = |a: &str, b: &str| {
                a.is_empty()
                    || b.is_empty()
                    || a.starts_with(&format!("{b}::"))
                    || b.starts_with(&format!("{a}::"))
            };
            if target != *module && !related(&target, module) {
                targets.insert(target);
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// The floor of each top-level module, from the ground up (docs/ARCHITECTURE.md "The layers"): a module may
/// import those on lower floors, never one above.
const FLOORS: &[(&str, u32)] = &[
    ("redact", 1),
    ("domain", 1),
    ("metrics", 1),
    ("cache", 2),
    ("db", 2),
    ("media", 2),
    ("config", 3),
    ("telemetry", 4),
    ("error", 4),
    ("service", 5),
    ("jobs", 6),
    ("routes", 7),
    ("startup", 8),
    ("cli", 9),
];

#[test]
fn the_module_graph_has_no_circle_and_no_upward_import() {
    let graph = import_graph();
    let floor = |module: &str| {
        let top = module.split("::").next().unwrap_or_default();
        FLOORS.iter().find(|(name, _)| *name == top).map_or_else(
            || panic!("{module} has no floor in FLOORS"),
            |(_, floor)| *floor,
        )
    };
    let mut upward = Vec::new();
    for (module, targets) in &graph {
        if module.is_empty() {
            continue; // lib.rs lists the modules
        }
        for target in targets {
            if floor(target) > floor(module) {
                upward.push(format!("{module} -> {target}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports from a lower floor up:\n{}",
        upward.join("\n")
    );
    // Circles: a module reached again from itself through the imports.
    let mut circles = Vec::new();
    for start in graph.keys() {
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = std::collections::BTreeSet::new();
        while let Some((module, path)) = stack.pop() {
            for next in graph.get(&module).into_iter().flatten() {
                if next == start {
                    circles.push(format!("{} -> {start}", path.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "modules importing each other in a circle:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_import_reader_sees_what_it_should() {
    // The parsing the test above relies on, on known cases.
    assert_eq!(
        expand("crate::db::{self, run_query, posts::{list, find}}"),
        [
            "crate::db",
            "crate::db::run_query",
            "crate::db::posts::list",
            "crate::db::posts::find"
        ]
    );
    let graph = import_graph();
    assert!(
        graph["service::posts"].contains("db::rankings"),
        "{:?}",
        graph["service::posts"]
    );
    assert!(graph["cache::redis::client"].contains("cache::redis::call"));
    assert!(graph["routes::client_ip"].contains("config"));
}
