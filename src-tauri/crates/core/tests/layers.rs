//! The shape of rehearse-core, checked on its source: the lower layers (errors, model,
//! settings, the data folder, storage) and `Library` import nothing from the features,
//! and no module imports another that imports it back (no circle, directly or round
//! about). Module paths are read as `crate::a::b` in code outside test modules and
//! comments; the flat compatibility paths of lib.rs (`crate::deck`) are resolved to the
//! files they name. And every SQL statement of core is in `storage/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Lower layers: modules every feature may use, which use only each other (and the value
/// formats below). A trailing '/' names a folder.
const LOWER: &[&str] = &["error", "model", "model/", "text_limit", "time_fmt", "rng", "fold", "settings", "datadir/", "storage/"];
/// The file formats and values storage keeps: parsed and checked with lower layers only.
const VALUES: &[&str] = &["decks/deck", "rehearsals/template", "transcripts/transcript"];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn sources(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).expect("src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            sources(&p, base, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p.strip_prefix(base).expect("inside").with_extension("");
            out.insert(rel.to_string_lossy().replace('\\', "/"), std::fs::read_to_string(&p).expect("read"));
        }
    }
}

/// The code of a file without its test modules and comments.
fn code(text: &str) -> String {
    let end = ["#[cfg(test)]\nmod tests", "#[cfg(test)]\npub(crate) mod tests"].iter().filter_map(|m| text.find(m)).min();
    text[..end.unwrap_or(text.len())].lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// lib.rs's compatibility paths: `pub use decks::deck;` and `pub use practice::{query, review};`.
fn aliases(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.strip_prefix("pub use ").or_else(|| line.strip_prefix("pub(crate) use ")) else { continue };
        let rest = rest.trim_end_matches(';');
        let Some((folder, names)) = rest.split_once("::") else { continue };
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for n in names.split(',').map(str::trim) {
            if n.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !n.is_empty() {
                out.insert(n.to_string(), format!("{folder}/{n}"));
            }
        }
    }
    out
}

/// The file a `crate::a::b::c` path names: the deepest module file it reaches.
fn resolve(path: &str, files: &BTreeMap<String, String>, aliases: &BTreeMap<String, String>) -> Option<String> {
    let mut parts = path.split("::");
    let first = parts.next()?;
    let mut at = aliases.get(first).cloned().unwrap_or_else(|| first.to_string());
    for p in parts {
        let next = format!("{at}/{p}");
        if files.contains_key(&next) || files.contains_key(&format!("{next}/mod")) {
            at = next;
        } else {
            break;
        }
    }
    if !files.contains_key(&at) && files.contains_key(&format!("{at}/mod")) {
        at = format!("{at}/mod");
    }
    files.contains_key(&at).then_some(at)
}

/// Every source file of the crate, by its path under src/ without ".rs".
fn files() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    sources(&src, &src, &mut files);
    files
}

fn graph() -> Graph {
    let files = files();
    let aliases = aliases(&files["lib"]);
    let mut g = Graph::new();
    for (name, text) in &files {
        let code = code(text);
        let mut deps = BTreeSet::new();
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let path: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == ':').collect();
            if let Some(t) = resolve(path.trim_end_matches(':'), &files, &aliases) {
                if &t != name && t != "lib" {
                    deps.insert(t);
                }
            }
        }
        g.insert(name.clone(), deps);
    }
    assert!(g.len() > 40 && g.contains_key("library") && g.contains_key("storage/mod"), "read the sources: {:?}", g.keys());
    g
}

fn is_in(module: &str, set: &[&str]) -> bool {
    set.iter().any(|s| if s.ends_with('/') { module.starts_with(s) } else { module == *s })
}

#[test]
fn lower_layers_and_the_library_import_nothing_from_the_features() {
    let g = graph();
    let mut wrong = vec![];
    for (m, deps) in &g {
        let allowed: &[&[&str]] = if is_in(m, LOWER) || is_in(m, VALUES) || m == "library" { &[LOWER, VALUES] } else { continue };
        for d in deps {
            if !allowed.iter().any(|set| is_in(d, set)) {
                wrong.push(format!("{m} -> {d}"));
            }
        }
    }
    // The check itself sees imports: storage does use the model.
    assert!(g["storage/takes"].contains("model"), "{:?}", g["storage/takes"]);
    assert!(wrong.is_empty(), "lower layers importing features: {wrong:?}");
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let g = graph();
    // Depth-first search; a module met again while still on the path closes a circle.
    fn visit(m: &str, g: &Graph, path: &mut Vec<String>, done: &mut BTreeSet<String>, circles: &mut Vec<String>) {
        if done.contains(m) {
            return;
        }
        if let Some(i) = path.iter().position(|p| p == m) {
            circles.push(format!("{} -> {m}", path[i..].join(" -> ")));
            return;
        }
        path.push(m.to_string());
        for d in &g[m] {
            visit(d, g, path, done, circles);
        }
        path.pop();
        done.insert(m.to_string());
    }
    let (mut done, mut circles) = (BTreeSet::new(), vec![]);
    for m in g.keys() {
        visit(m, &g, &mut vec![], &mut done, &mut circles);
    }
    assert!(circles.is_empty(), "import circles: {circles:?}");
}

/// What only code that speaks SQL writes: a statement, or the connection used directly.
const SQL_MARKS: &[&str] = &[
    "prepare(",
    "prepare_cached(",
    "query_row(",
    "query_map(",
    ".execute(",
    "execute_batch(",
    "conn_ref()",
    "\"SELECT ",
    "\"INSERT ",
    "\"UPDATE ",
    "\"DELETE ",
];

#[test]
fn every_sql_statement_of_core_lives_in_storage() {
    let files = files();
    let speaks = |text: &str| -> Vec<&str> {
        let code = code(text);
        SQL_MARKS.iter().copied().filter(|m| code.contains(m)).collect()
    };
    let mut wrong = vec![];
    for (name, text) in &files {
        // Test-only files (a `tests.rs` beside its module) may set up rows as they like.
        if name.starts_with("storage/") || name.ends_with("/tests") {
            continue;
        }
        let marks = speaks(text);
        if !marks.is_empty() {
            wrong.push(format!("{name}: {marks:?}"));
        }
    }
    // The check itself sees SQL where it is.
    assert!(!speaks(&files["storage/takes"]).is_empty() && !speaks(&files["storage/take_query"]).is_empty());
    assert!(wrong.is_empty(), "SQL outside storage/: {wrong:?}");
}
