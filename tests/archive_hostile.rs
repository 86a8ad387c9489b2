//! Hostile archives and hostile databases through the real CLI: more than 40 archives
//! forged from a real `export --all` (paths in the database outside the data folder,
//! schema objects Rehearse does not make, a database with the right version and none of
//! the tables, zip bombs, duplicate names, the classic zip-slip and damage), each refused
//! with one line and the data folder's logical content unchanged; a database naming files
//! outside the data folder, which no command touches; `--overwrite` over links, FIFOs and
//! devices; leftovers of killed imports and exports removed at the next start; a data
//! folder whose path is not UTF-8.
//!
//! Length: more than 40 forged archives share one real export to forge them from.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use rehearse_tests::archives::*;
use rehearse_tests::*;

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A refusal: non-zero exit and exactly one line on stderr, starting with `rehearse-cli:`,
/// naming `needle`, and short (values echoed are cut).
fn refused(out: Output, needle: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "expected a refusal, got success: {}{err}", String::from_utf8_lossy(&out.stdout));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("rehearse-cli: ") && lines[0].contains(needle), "expected one line naming \"{needle}\", got: {err}");
    assert!(lines[0].chars().count() < 600, "too long: {} chars", lines[0].chars().count());
    lines[0].to_string()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The source library (three takes) and its archive, exported by the CLI.
fn source(tmp: &Path) -> (PathBuf, PathBuf, Vec<i64>) {
    let data = tmp.join("source");
    let ids = synthetic_library(&data, &[("db.deadlock", 0.5), ("db.ora-01555", 0.4), ("db.deadlock", 0.3)]);
    ok(cli(&data, &["rate", &ids[0].to_string(), "--rating", "good", "--note", "노트"]));
    let archive = tmp.join("good.zip");
    ok(cli(&data, &["export", "--all", s(&archive)]));
    (data, archive, ids)
}

#[test]
fn forty_odd_hostile_archives_are_each_refused_with_one_line_and_the_data_folder_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let (_src, archive, _) = source(tmp.path());
    let good = Forge::open(&archive);
    let wav = good.take_entries(".wav")[0].clone();
    let json = good.take_entries(".json")[0].clone();
    let stem = wav.trim_end_matches(".wav").to_string();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("x.wav"), b"not yours").unwrap();
    let outside_before = content_of_dir(&outside);
    let mut n = 0;
    let mut path = |tag: &str| {
        n += 1;
        tmp.path().join(format!("{n:02}-{tag}.zip"))
    };
    let db = |sql: &str| {
        let mut f = good.clone();
        f.edit_db(sql);
        f
    };
    let take_path = |p: &str| db(&format!("UPDATE takes SET file_path = '{}' WHERE id = 1", p.replace('\'', "''")));
    let session_path = |p: &str| {
        db(&format!("INSERT INTO sessions (kind, language, started_at, template_id, wav_path, status) VALUES ('rehearsal', 'en', 'x', 'default', '{p}', 'finished')"))
    };
    let outside_abs = outside.join("x.wav").display().to_string();
    let long = format!("../{}", "x".repeat(10_000));
    const NOT_INSIDE: &str = "not inside the data folder";

    let mut cases: Vec<(PathBuf, String)> = vec![];
    let mut case = |p: PathBuf, needle: &str| cases.push((p, needle.to_string()));

    // 1. Paths stored in the database (the archive's checksums all correct).
    for (tag, p) in [
        ("dotdot", "../other/x.wav"),
        ("absolute", outside_abs.as_str()),
        ("takes-dotdot", "takes/../../x.wav"),
        ("subfolder", "takes/sub/x.wav"),
        ("hidden", "takes/.x.wav"),
        ("backslash", "takes\\..\\..\\x.wav"),
        ("sessions-dotdot", "sessions/../rehearse.db"),
        ("empty", ""),
        ("takes-only", "takes/"),
        ("long", long.as_str()),
    ] {
        case(take_path(p).write(&path(tag)), NOT_INSIDE);
    }
    case(session_path("../s.wav").write(&path("session-dotdot")), "sessions.wav_path");
    case(session_path("/etc/passwd").write(&path("session-absolute")), "sessions.wav_path");
    // 1. Schema objects Rehearse does not make, or makes differently.
    case(
        db("CREATE TRIGGER evil AFTER UPDATE ON takes BEGIN SELECT RAISE(ABORT, 'rating refused'); END;").write(&path("trigger")),
        "trigger \"evil\"",
    );
    case(db("CREATE VIEW evil AS SELECT * FROM takes;").write(&path("view")), "view \"evil\"");
    case(db("CREATE TABLE evil (x);").write(&path("table")), "table \"evil\"");
    case(db("CREATE INDEX evil ON takes(notes);").write(&path("index")), "index \"evil\"");
    case(db("DROP TRIGGER take_counts_insert;").write(&path("dropped-trigger")), "is missing");
    case(db("ALTER TABLE takes ADD COLUMN evil TEXT;").write(&path("altered-table")), "not defined as Rehearse defines it");
    case(
        db("DROP TRIGGER take_counts_update; CREATE TRIGGER take_counts_update AFTER UPDATE ON takes BEGIN DELETE FROM schedule; END;")
            .write(&path("disguised-trigger")),
        "not defined as Rehearse defines it",
    );
    // 2. A valid SQLite file at the current version with none of the tables; versions that lie.
    case(db(&empty_db_sql()).write(&path("no-tables")), "is missing");
    case(db("PRAGMA user_version = 5;").write(&path("version-lie")), "has schema 5 but manifest.json says");
    {
        let mut f = db("PRAGMA user_version = 4; CREATE TABLE evil (x);");
        let mut m = f.manifest();
        m["schema_version"] = 4.into();
        f.set_manifest(&m);
        case(f.write(&path("old-with-extra")), "is not one Rehearse wrote");
    }
    // 2. SQLite's own checks.
    {
        // The b-tree header of the questions table's root page overwritten.
        let mut f = good.clone();
        let mut b = f.get("rehearse.db");
        let scratch = tmp.path().join("scratch.db");
        std::fs::write(&scratch, &b).unwrap();
        let root: i64 = rusqlite::Connection::open(&scratch)
            .unwrap()
            .query_row("SELECT rootpage FROM sqlite_schema WHERE name = 'questions'", [], |r| r.get(0))
            .unwrap();
        let page = u16::from_be_bytes([b[16], b[17]]) as usize;
        let at = (root as usize - 1) * page;
        b[at..at + 12].iter_mut().for_each(|x| *x = 0xFF);
        f.set("rehearse.db", b).honest_manifest();
        case(f.write(&path("corrupt-page")), "the database in it");
    }
    case(
        db("PRAGMA foreign_keys = OFF; INSERT INTO bookmarks (take_id, at_ms, created_at) VALUES (999, 0, 'x');")
            .write(&path("fk-bookmark")),
        "refers to a missing row of takes",
    );
    case(
        db("PRAGMA foreign_keys = OFF; UPDATE takes SET question_id = 'nope' WHERE id = 1;").write(&path("fk-question")),
        "refers to a missing row of questions",
    );
    case(db("PRAGMA ignore_check_constraints = ON; UPDATE takes SET rating = 9 WHERE id = 1;").write(&path("check")), "is damaged");
    {
        let mut f = good.clone();
        f.set("rehearse.db", b"SQLite format 3\0 but nothing of the sort".repeat(50)).honest_manifest();
        case(f.write(&path("junk-db")), "the database in it");
        let mut f = good.clone();
        let mut b = f.get("rehearse.db");
        b.extend(vec![0u8; 64 * 1024]);
        f.set("rehearse.db", b).honest_manifest();
        case(f.write(&path("db-padded")), "the database in it says it is");
    }
    // 9. Zip bombs and files nothing refers to, with honest manifests.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    {
        let mut f = good.clone();
        f.set("takes/bomb.wav", zeros.clone()).honest_manifest();
        case(f.write(&path("bomb-unreferenced")), "belongs to no take");
        let mut f = good.clone();
        f.set(&wav, zeros.clone()).honest_manifest();
        case(f.write(&path("bomb-as-take")), "more than its take can hold");
        let mut f = good.clone();
        f.set(&format!("{stem}.peaks"), vec![0u8; 8 * 1024 * 1024]).honest_manifest();
        case(f.write(&path("bomb-as-peaks")), "more than its take can hold");
        let mut f = good.clone();
        f.set("takes/orphan.json", b"{}".to_vec()).honest_manifest();
        case(f.write(&path("orphan-sidecar")), "belongs to no take");
        let mut f = good.clone();
        f.set(&format!("{wav}.damaged"), b"RIFF".to_vec()).honest_manifest();
        case(f.write(&path("orphan-damaged")), "belongs to no take");
        let mut f = good.clone();
        let mut m = f.manifest();
        let e = m["files"].as_array_mut().unwrap().iter_mut().find(|e| e["path"] == wav.as_str()).unwrap();
        e["size"] = 1_000_000_000_000_000u64.into();
        f.set_manifest(&m);
        case(f.write(&path("size-lie")), "not enough free space");
    }
    // 10. A name twice in the central directory.
    {
        let mut f = good.clone();
        let twin = format!("takes/{}", "y".repeat(wav.len() - "takes/".len()));
        f.set(&twin, f.get(&wav));
        case(f.write_with_duplicate(&path("same-wav-twice"), &twin, &wav), "appears twice");
        let mut f = good.clone();
        f.set("manifesx.json", f.get("manifest.json"));
        case(f.write_with_duplicate(&path("manifest-twice"), "manifesx.json", "manifest.json"), "appears twice");
        // Two different WAVs under one name, the manifest matching the second.
        let mut f = good.clone();
        let original = f.get(&wav);
        f.set(&wav, vec![7u8; original.len()]);
        f.set(&twin, original);
        case(f.write_with_duplicate(&path("two-wavs-one-name"), &twin, &wav), "appears twice");
        let mut f = good.clone();
        f.set("rehearse.dx", f.get("rehearse.db"));
        case(f.write_with_duplicate(&path("db-twice"), "rehearse.dx", "rehearse.db"), "appears twice");
    }
    // The classics: zip-slip, absolute names, unlisted and missing entries, damage, versions.
    {
        let mut f = good.clone();
        f.set("takes/../../evil.txt", b"owned".to_vec()).honest_manifest();
        case(f.write(&path("zip-slip")), "zip-slip");
        let mut f = good.clone();
        f.set("/tmp/evil.json", b"owned".to_vec()).honest_manifest();
        case(f.write(&path("absolute-name")), "absolute path");
        let mut f = good.clone();
        f.set(&format!("takes/{}", "a".repeat(10_000)), b"x".to_vec()).honest_manifest();
        case(f.write(&path("long-name")), "not part of a Rehearse archive");
        let mut f = good.clone();
        let mut m = f.manifest();
        m["files"].as_array_mut().unwrap().retain(|e| e["path"] != json.as_str());
        f.set_manifest(&m);
        case(f.write(&path("unlisted")), "not listed in manifest.json");
        let mut f = good.clone();
        f.remove(&json);
        case(f.write(&path("missing")), "missing from the archive");
        let mut f = good.clone();
        let mut b = f.get(&wav);
        let at = b.len() - 10;
        b[at] ^= 0x40;
        f.set(&wav, b);
        case(f.write(&path("flipped")), "checksum mismatch");
        let mut f = good.clone();
        f.rename(&json, &json.replace("takes/", "other/")).honest_manifest();
        case(f.write(&path("other-folder")), "not part of a Rehearse archive");
        let mut f = good.clone();
        let mut m = f.manifest();
        m["schema_version"] = 99.into();
        f.set_manifest(&m);
        case(f.write(&path("newer")), "newer Rehearse");
        let mut f = good.clone();
        let mut m = f.manifest();
        m["format"] = "something-else".into();
        f.set_manifest(&m);
        case(f.write(&path("format")), "names format");
        let mut f = good.clone();
        f.set("manifest.json", b"{\"format\": ".to_vec());
        case(f.write(&path("bad-json")), "manifest.json is not valid");
        let mut f = good.clone();
        f.remove("manifest.json");
        case(f.write(&path("no-manifest")), "no manifest.json");
        let bytes = std::fs::read(&archive).unwrap();
        let p = path("truncated");
        std::fs::write(&p, &bytes[..bytes.len() * 2 / 3]).unwrap();
        case(p, "not a readable zip archive");
        let p = path("not-a-zip");
        std::fs::write(&p, b"PK\x03\x04 not really").unwrap();
        case(p, "not a readable zip archive");
    }
    {
        // A link and a folder entry, written by the zip crate itself.
        use std::io::Write;
        let p = path("symlink");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        for (name, body) in &good.entries {
            z.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(body).unwrap();
        }
        z.add_symlink("takes/link.wav", "/etc/passwd", zip::write::SimpleFileOptions::default()).unwrap();
        z.finish().unwrap();
        case(p, "a folder or a link");
        let p = path("folder");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        for (name, body) in &good.entries {
            z.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(body).unwrap();
        }
        z.add_directory("takes/dir/", zip::write::SimpleFileOptions::default()).unwrap();
        z.finish().unwrap();
        case(p, "not part of a Rehearse archive");
    }
    assert!(cases.len() >= 40, "{} hostile archives", cases.len());

    // Into an empty library that exists, and into one that has settings of its own.
    let fresh = tmp.path().join("fresh");
    ok(cli(&fresh, &["interview-date", &day_from_today(45)]));
    let before = content(&fresh);
    for (p, needle) in &cases {
        let line = refused(cli(&fresh, &["import", "--all", s(p)]), needle);
        println!("{}: {line}", p.file_name().unwrap().to_string_lossy());
        assert_eq!(content(&fresh), before, "{} changed the data folder", p.display());
        assert_eq!(content_of_dir(&outside), outside_before, "{} touched a file outside", p.display());
        assert!(!tmp.path().join("evil.txt").exists() && !Path::new("/tmp/evil.json").exists());
    }
    // The good archive imports there afterwards, and the imported library works.
    ok(cli(&fresh, &["import", "--all", s(&archive)]));
    assert!(ok(cli(&fresh, &["takes"])).contains("db.deadlock"));
    ok(cli(&fresh, &["rate", "2", "--rating", "easy"]));
}

/// The SQL that empties a database of everything but a version: what item 2 of the review
/// built by hand (a valid SQLite file at the current version with none of the tables).
fn empty_db_sql() -> String {
    let v = rehearse_core::storage::SCHEMA_VERSION;
    format!(
        "PRAGMA foreign_keys = OFF; {} PRAGMA user_version = {v}; VACUUM;",
        [
            "DROP TRIGGER take_counts_insert",
            "DROP TRIGGER take_counts_delete",
            "DROP TRIGGER take_counts_update",
            "DROP TABLE take_counts",
            "DROP TABLE take_metrics",
            "DROP TABLE markers",
            "DROP TABLE templates",
            "DROP TABLE rerates",
            "DROP TABLE bookmarks",
            "DROP TABLE schedule",
            "DROP TABLE takes",
            "DROP TABLE settings",
            "DROP TABLE sessions",
            "DROP TABLE questions",
            "DROP TABLE decks",
        ]
        .map(|s| format!("{s};"))
        .join(" ")
    )
}

fn content_of_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap_or_default()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_database_naming_files_outside_the_data_folder_makes_no_command_touch_them() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ids = synthetic_library(&data, &[("db.deadlock", 0.5), ("db.ora-01555", 0.5), ("db.mvcc-mechanisms", 0.5)]);
    // A real WAV outside, with a sidecar and peaks beside it: what a delete would remove.
    let outside = tmp.path().join("other");
    std::fs::create_dir(&outside).unwrap();
    let inside = data.join(rehearse_tests::db_takes(&data)[0].3.clone());
    std::fs::copy(&inside, outside.join("x.wav")).unwrap();
    std::fs::write(outside.join("x.json"), b"{}").unwrap();
    std::fs::write(outside.join("x.peaks"), b"keep").unwrap();
    let before = content_of_dir(&outside);
    {
        let c = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
        c.execute("UPDATE takes SET file_path = ?2 WHERE id = ?1", rusqlite::params![ids[0], outside.join("x.wav").display().to_string()])
            .unwrap();
        c.execute("UPDATE takes SET file_path = '../other/x.wav' WHERE id = ?1", [ids[1]]).unwrap();
        c.execute("UPDATE takes SET file_path = 'takes/../../other/x.wav' WHERE id = ?1", [ids[2]]).unwrap();
    }
    // The start-up recovery finds the three WAVs no row names any more and indexes them
    // again (takes 4-6); then every command on takes 1-3 is refused.
    let o = ok(cli(&data, &["recover"]));
    assert!(o.contains("recovered 3"), "{o}");
    let dest = tmp.path().join("out.wav");
    for id in &ids {
        let id = id.to_string();
        refused(cli(&data, &["export", "--take", &id, s(&dest)]), "not inside the data folder");
        refused(cli(&data, &["peaks", &id]), "not inside the data folder");
        refused(cli(&data, &["metrics", &id]), "not inside the data folder");
        refused(cli(&data, &["play", &id]), "not inside the data folder");
        refused(cli(&data, &["delete", &id]), "not inside the data folder");
    }
    assert!(!dest.exists());
    // recover re-checks every take file: these are counted damaged, their files never opened.
    ok(cli(&data, &["recover"]));
    // Rating needs no file: it works.
    ok(cli(&data, &["rate", &ids[0].to_string(), "--rating", "good"]));
    assert_eq!(content_of_dir(&outside), before, "a file outside the data folder was touched");
    assert_eq!(rehearse_tests::db_takes(&data).len(), 6, "the refused deletes kept their rows");
    // Exporting everything leaves them out (their files are not the library's) and the
    // archive imports: what it holds is what the importer accepts.
    let archive = tmp.path().join("all.zip");
    let out = cli(&data, &["export", "--all", s(&archive)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let f = Forge::open(&archive);
    assert!(f.names().iter().all(|n| !n.contains("other")), "{:?}", f.names());
}

#[cfg(unix)]
#[test]
fn overwrite_replaces_only_a_regular_file_never_a_link_fifo_or_device() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ids = synthetic_library(&data, &[("db.deadlock", 0.3)]);
    let session = {
        let mut lib = rehearse_core::Library::open(rehearse_core::DataDir::new(&data)).unwrap();
        let opts = rehearse_core::PracticeOptions {
            deck_id: "databases".into(),
            category: None,
            tag: None,
            count: 1,
            order: rehearse_core::Order::InOrder,
            language: "en".into(),
            overtime: false,
            seed: None,
        };
        lib.start_session(opts).unwrap().id.to_string()
    };
    let target = tmp.path().join("precious.txt");
    std::fs::write(&target, b"precious").unwrap();
    let link = tmp.path().join("link.zip");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = tmp.path().join("fifo.zip");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // A character device of our own (the same as /dev/full), where we may make one.
    let device = tmp.path().join("full.zip");
    let have_device = Command::new("mknod").arg(&device).args(["c", "1", "7"]).status().is_ok_and(|s| s.success());
    let take = ids[0].to_string();
    let mut dests = vec![(link.clone(), "a symbolic link"), (fifo.clone(), "FIFO")];
    if have_device {
        dests.push((device.clone(), "a device"));
    } else {
        println!("mknod not permitted here: the device case is skipped");
    }
    for (dest, what) in &dests {
        for args in [
            vec!["export", "--all", s(dest), "--overwrite"],
            vec!["export", "--take", &take, s(dest), "--overwrite"],
            vec!["export", "--session", &session, s(dest), "--overwrite"],
            vec!["deck", "export", "databases", s(dest)],
        ] {
            let line = refused(cli(&data, &args), what);
            assert!(line.contains("not a regular file") && line.contains("nothing was written"), "{line}");
        }
    }
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert_eq!(std::fs::read(&target).unwrap(), b"precious", "the link was followed");
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    if have_device {
        assert!(std::fs::symlink_metadata(&device).unwrap().file_type().is_char_device());
    }
    // No temporary file is left beside them, and a regular file is still overwritten.
    let hidden: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    let regular = tmp.path().join("regular.zip");
    std::fs::write(&regular, b"old").unwrap();
    ok(cli(&data, &["export", "--all", s(&regular), "--overwrite"]));
    assert_ne!(std::fs::read(&regular).unwrap(), b"old");
}

/// A take of `minutes` of 16 kHz mono written fast (raw header and samples).
fn big_take(data: &Path, minutes: u64) {
    let mut lib = rehearse_core::Library::open(rehearse_core::DataDir::new(data)).unwrap();
    let plan = lib.plan_take(&rehearse_core::QuestionId::from("db.deadlock")).unwrap();
    let frames = minutes * 60 * 16_000;
    let data_len = (frames * 2) as u32;
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data_len).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&16_000u32.to_le_bytes());
    h.extend_from_slice(&32_000u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    let chunk: Vec<u8> = (0..32_000u32).flat_map(|i| (((i as f64 * 0.05).sin() * 9000.0) as i16).to_le_bytes()).collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(&plan.path).unwrap());
    use std::io::Write;
    f.write_all(&h).unwrap();
    for _ in 0..(frames * 2 / chunk.len() as u64) {
        f.write_all(&chunk).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    let rec = synthetic_recorded(frames);
    lib.commit_take(&plan, &rec).unwrap();
}

fn staging_dirs(data: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(data) else { return vec![] };
    dir.map(|e| e.unwrap().path()).filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix)).collect()
}

fn partials(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(".partial"))
        .collect()
}

/// Starts `rehearse-cli args` and kills it once `ready` holds, or fails after 30 s.
fn kill_when(data: &Path, args: &[&str], ready: impl Fn() -> bool) {
    let mut child = Command::new(bin("rehearse-cli"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !ready() {
        assert!(child.try_wait().unwrap().is_none(), "{args:?} finished before it could be killed");
        assert!(t.elapsed() < Duration::from_secs(30), "{args:?} never got there");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn killed_imports_and_exports_leave_nothing_after_the_next_start_and_a_running_import_keeps_its_staging() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    big_take(&data, 60); // 115 MB
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let dest = out.join("백업.zip");

    // An export killed while it writes: its staging folder and the partial archive stay.
    kill_when(&data, &["export", "--all", s(&dest)], || {
        !partials(&out).is_empty() && partials(&out).iter().any(|p| p.metadata().is_ok_and(|m| m.len() > 1_000_000))
    });
    assert_eq!(staging_dirs(&data, ".export-").len(), 1);
    let left = partials(&out);
    assert_eq!(left.len(), 1);
    // The next start (any command) removes both and says how much that freed.
    let o = cli(&data, &["takes"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.contains("removed 2 staging folders and temporary files") && err.contains("MB freed"), "{err}");
    assert!(staging_dirs(&data, ".export-").is_empty() && partials(&out).is_empty());
    assert!(!ok(cli(&data, &["takes"])).is_empty());
    assert!(!String::from_utf8_lossy(&cli(&data, &["takes"]).stderr).contains("removed"), "nothing more to remove");

    // An import killed while it extracts: the next start in that folder removes its staging.
    ok(cli(&data, &["export", "--all", s(&dest)]));
    let fresh = tmp.path().join("fresh");
    let staged_take = |d: &Path| {
        staging_dirs(d, ".import-").iter().any(|s| {
            std::fs::read_dir(s.join("takes"))
                .is_ok_and(|mut r| r.any(|e| e.is_ok_and(|e| e.metadata().is_ok_and(|m| m.len() > 1_000_000))))
        })
    };
    kill_when(&fresh, &["import", "--all", s(&dest)], || staged_take(&fresh));
    assert_eq!(staging_dirs(&fresh, ".import-").len(), 1);
    let o = cli(&fresh, &["takes"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("removed 1 staging folder or temporary file") && err.contains("MB freed"), "{err}");
    assert!(staging_dirs(&fresh, ".import-").is_empty());
    assert_eq!(ok(cli(&fresh, &["takes"])).trim(), "", "the killed import left no take");

    // A start while another process imports leaves that import's staging alone: the
    // import completes.
    let other = tmp.path().join("other");
    let mut import = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&other).args(["import", "--all", s(&dest)]).spawn().unwrap();
    let t = Instant::now();
    while !staged_take(&other) {
        assert!(import.try_wait().unwrap().is_none() && t.elapsed() < Duration::from_secs(30), "the import never staged a take");
        std::thread::sleep(Duration::from_millis(2));
    }
    let o = cli(&other, &["questions"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("removed"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(import.wait().unwrap().success(), "the running import was disturbed");
    assert!(ok(cli(&other, &["takes"])).contains("db.deadlock"));
}

#[cfg(unix)]
#[test]
fn a_data_folder_whose_path_is_not_utf8_exports_and_imports_everything() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let name = |b: &[u8]| tmp.path().join(std::ffi::OsStr::from_bytes(b));
    let data = name(b"library-\xff\xfe");
    synthetic_library(&data, &[("db.deadlock", 0.4), ("db.ora-01555", 0.2)]);
    let archive = name(b"backup-\xff.zip");
    let o = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&data).arg("export").arg("--all").arg(&archive).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fresh = name(b"restored-\xe9");
    let o = Command::new(bin("rehearse-cli")).arg("--data-dir").arg(&fresh).arg("import").arg("--all").arg(&archive).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (a, b) = (content(&data), content(&fresh));
    assert_eq!(a.0["takes"], b.0["takes"]);
    assert_eq!(a.1, b.1);
}
