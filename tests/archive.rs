//! Export and import through the CLI, on a library with real takes recorded from the
//! virtual microphone: the whole library into one archive and back into a fresh data
//! folder (the same state), refusals that change nothing, session and take exports.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rehearse_tests::*;

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(bin("rehearse-cli")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A refusal: non-zero exit, one line on stderr starting with `rehearse-cli:` that names `needle`.
fn refused(out: Output, needle: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "expected a refusal, got success: {}", String::from_utf8_lossy(&out.stdout));
    let line = err.lines().last().unwrap_or("");
    assert!(line.starts_with("rehearse-cli: ") && line.contains(needle), "expected one line naming \"{needle}\", got: {err}");
    line.to_string()
}

const DECK: &str = r#"format = 1
[deck]
id = "my-oracle"
name = { en = "My Oracle questions", ko = "내 오라클 질문" }
languages = ["en", "ko"]

[[questions]]
id = "mine.redo"
category = "technical"
think_secs = 5
answer_secs = 60
text = { en = "What is redo for? <b>bold?</b>", ko = "리두 로그는 무엇을 위한 것인가요? 😀" }
key_points.en = ["crash recovery"]
key_points.ko = ["장애 복구"]

[[questions]]
id = "mine.undo"
category = "technical"
think_secs = 5
answer_secs = 60
text = { en = "What is undo for?", ko = "언두는 무엇을 위한 것인가요?" }
"#;

const NOTE: &str = "<script>alert('x')</script> 노트 & \"quotes\"";

struct Fixture {
    tmp: tempfile::TempDir,
    data: PathBuf,
    session: i64,
    takes: Vec<i64>,
}

fn record(mic: &VirtualMic, data: &Path, question: &str, session: Option<i64>) -> i64 {
    let mut c = Command::new(bin("rehearse-cli"));
    c.arg("--data-dir").arg(data).args(["record", "--question", question, "--seconds", "0.6", "--json"]);
    if let Some(s) = session {
        c.args(["--session", &s.to_string()]);
    }
    mic.apply(&mut c);
    let v: serde_json::Value = serde_json::from_str(&ok(c.output().unwrap())).unwrap();
    v["take"]["id"].as_i64().unwrap()
}

/// A library with an imported deck, a practice session, four takes of real speech from
/// the virtual microphone, ratings, notes, a rubric and bookmarks.
fn library() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let deck = tmp.path().join("mine.toml");
    std::fs::write(&deck, DECK).unwrap();
    ok(cli(&data, &["deck", "import", deck.to_str().unwrap()]));
    // Sessions are started by the app's practice driver; the same core call here.
    let session = {
        let mut lib = rehearse_core::Library::open(rehearse_core::DataDir::new(&data)).unwrap();
        let opts = rehearse_core::PracticeOptions {
            deck_id: "my-oracle".into(),
            category: None,
            tag: None,
            count: 0,
            order: rehearse_core::Order::InOrder,
            language: "ko".into(),
            overtime: false,
            seed: None,
        };
        lib.start_session(opts).unwrap().id
    };
    let takes = {
        let _s = serial();
        let mic = VirtualMic::start(&tmp.path().join("vmic"));
        let (speech_raw, _) = speech(tmp.path(), "Redo is written before the data blocks change");
        mic.feed_loop(&speech_raw);
        let t = vec![
            record(&mic, &data, "mine.redo", Some(session)),
            record(&mic, &data, "mine.redo", Some(session)),
            record(&mic, &data, "mine.undo", Some(session)),
            record(&mic, &data, "db.deadlock", None),
        ];
        mic.stop_feed();
        t
    };
    let id = |i: usize| takes[i].to_string();
    ok(cli(&data, &["rate", &id(0), "--rating", "hard", "--note", NOTE]));
    ok(cli(&data, &["rate", &id(1), "--rating", "good", "--note", "second try, 🎤 better"]));
    ok(cli(&data, &["rate", &id(2), "--rating", "again"]));
    ok(cli(&data, &["rate", &id(3), "--rating", "easy"]));
    {
        // The rubric and bookmarks have no CLI command of their own yet: written as the app would.
        let c = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
        c.execute(
            "UPDATE takes SET rubric_json = ?2 WHERE id = ?1",
            rusqlite::params![takes[1], r#"{"star":true,"i_not_we":false,"key_points":"1/1"}"#],
        )
        .unwrap();
        c.execute(
            "INSERT INTO bookmarks (take_id, at_ms, note, created_at) VALUES (?1, 250, 'good opening <i>', '2026-11-25T00:00:00.000Z')",
            [takes[0]],
        )
        .unwrap();
        c.execute("INSERT INTO bookmarks (take_id, at_ms, note, created_at) VALUES (?1, 500, '', '2026-11-25T00:00:01.000Z')", [takes[3]])
            .unwrap();
        c.execute("UPDATE sessions SET ended_at = '2026-11-25T00:10:00.000Z' WHERE id = ?1", [session]).unwrap();
    }
    {
        // A transcript, stored as the transcription worker stores it.
        use rehearse_core::transcript::{ModelIdentity, Segment, Transcript, Word};
        let mut lib = rehearse_core::Library::open(rehearse_core::DataDir::new(&data)).unwrap();
        let id = rehearse_core::TakeId(takes[0]);
        let words = vec![Word { start_ms: 80, end_ms: 300, text: "Redo".into() }, Word { start_ms: 300, end_ms: 420, text: "is".into() }];
        let t = Transcript {
            language: "ko".into(),
            model: ModelIdentity { name: "whisper-base".into(), sha256: "ab".into() },
            segments: vec![Segment { start_ms: 80, end_ms: 590, text: "Redo is written before".into(), words }],
        };
        let file = lib.take_file_identity(id).unwrap();
        lib.save_transcript(id, &t, &file).unwrap();
    }
    Fixture { tmp, data, session, takes }
}

fn value(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => format!("{f:?}"),
        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("blob {b:?}"),
    }
}

/// Every table's rows as text (built-in decks' refresh time aside: it is set at each start).
fn tables(data: &Path) -> BTreeMap<String, Vec<String>> {
    let c = rusqlite::Connection::open(data.join("rehearse.db")).unwrap();
    let mut out = BTreeMap::new();
    for (name, sql) in [
        ("decks", "SELECT id, name_json, description_json, languages_json, builtin, CASE WHEN builtin THEN '' ELSE updated_at END FROM decks ORDER BY id"),
        ("questions", "SELECT * FROM questions ORDER BY id"),
        ("takes", "SELECT * FROM takes ORDER BY id"),
        ("bookmarks", "SELECT * FROM bookmarks ORDER BY id"),
        ("rerates", "SELECT * FROM rerates ORDER BY id"),
        ("schedule", "SELECT * FROM schedule ORDER BY question_id"),
        ("sessions", "SELECT * FROM sessions ORDER BY id"),
        ("settings", "SELECT * FROM settings ORDER BY key"),
        ("transcripts", "SELECT * FROM transcripts ORDER BY take_id"),
        ("transcript_segments", "SELECT * FROM transcript_segments ORDER BY take_id, position"),
        ("transcript_words", "SELECT * FROM transcript_words ORDER BY take_id, segment, position"),
    ] {
        let mut st = c.prepare(sql).unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| Ok((0..n).map(|i| value(r.get_ref(i).unwrap())).collect::<Vec<_>>().join(" | ")))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.insert(name.to_string(), rows);
    }
    out
}

/// Every file under takes/ with its bytes.
fn take_files(data: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(data.join("takes"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != ".write-test")
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// The whole observable state: tables, take files, and what the data folder holds.
type State = (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<u8>>, Vec<String>);

fn state(data: &Path) -> State {
    let mut entries: Vec<String> = std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with("-shm") && !n.ends_with("-wal"))
        .collect();
    entries.sort();
    (tables(data), take_files(data), entries)
}

#[test]
fn a_library_exported_and_imported_into_a_fresh_data_folder_is_the_same() {
    let f = library();
    let archive = f.tmp.path().join("백업 all 🎤.zip");
    let out = ok(cli(&f.data, &["export", "--all", archive.to_str().unwrap()]));
    assert!(out.contains("exported 4 take(s)"), "{out}");

    let fresh = f.tmp.path().join("other machine");
    let out = ok(cli(&fresh, &["import", "--all", archive.to_str().unwrap()]));
    assert!(out.contains("imported 4 take(s)"), "{out}");

    let (a, b) = (tables(&f.data), tables(&fresh));
    for t in a.keys() {
        assert_eq!(a[t], b[t], "table {t} differs");
    }
    assert_eq!(a["takes"].len(), 4);
    assert!(a["takes"].iter().any(|r| r.contains(r#"{\"star\":true"#)), "rubric_json not set: {:?}", a["takes"]);
    assert_eq!(a["bookmarks"].len(), 2);
    assert_eq!(a["schedule"].len(), 3);
    assert_eq!((a["transcripts"].len(), a["transcript_segments"].len(), a["transcript_words"].len()), (1, 1, 2));
    // What was said is found in the imported library, and the transcript still fits its file.
    let found: serde_json::Value = serde_json::from_str(&ok(cli(&fresh, &["library", "--said", "written bef", "--json"]))).unwrap();
    assert_eq!(found["rows"].as_array().unwrap().iter().map(|r| r["take"]["id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![f.takes[0]]);
    // The WAVs (and sidecars) are bit for bit the same.
    let (fa, fb) = (take_files(&f.data), take_files(&fresh));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    assert_eq!(fa.keys().filter(|k| k.ends_with(".wav")).count(), 4);
    for (name, bytes) in &fa {
        assert!(&fb[name] == bytes, "{name} differs");
    }
    // The same through the CLI: takes with ratings and notes, decks, questions, schedule, sessions.
    for args in
        [&["takes", "--json"][..], &["deck", "list", "--json"], &["questions", "--json"], &["due", "--json"], &["sessions", "--json"]]
    {
        assert_eq!(ok(cli(&f.data, args)), ok(cli(&fresh, args)), "{args:?}");
    }
    let due: serde_json::Value = serde_json::from_str(&ok(cli(&fresh, &["due", "--json"]))).unwrap();
    assert_eq!(due[0]["question_id"], "mine.undo", "Again makes it due: {due}");
    let takes: serde_json::Value = serde_json::from_str(&ok(cli(&fresh, &["takes", "--json"]))).unwrap();
    let first = takes.as_array().unwrap().iter().find(|t| t["id"] == f.takes[0]).unwrap();
    assert_eq!((first["rating"].as_i64(), first["notes"].as_str()), (Some(2), Some(NOTE)));
    // Playable: the speech metrics of an imported take are those of the original.
    let id = f.takes[1].to_string();
    assert_eq!(ok(cli(&f.data, &["metrics", &id, "--json"])), ok(cli(&fresh, &["metrics", &id, "--json"])));
    assert!(wav_stats(&fresh.join(first["file_path"].as_str().unwrap())).rms > 0.01);
}

/// Rewrites an archive entry by entry; `edit` may rename or change entries, `extra` is added.
fn rewrite(src: &Path, dest: &Path, edit: impl Fn(&str, Vec<u8>) -> (String, Vec<u8>), extra: Option<(&str, &[u8])>) {
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(dest).unwrap());
    for i in 0..zin.len() {
        let mut e = zin.by_index(i).unwrap();
        let mut body = vec![];
        e.read_to_end(&mut body).unwrap();
        let (name, body) = edit(e.name(), body);
        zout.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zout.write_all(&body).unwrap();
    }
    if let Some((name, body)) = extra {
        zout.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zout.write_all(body).unwrap();
    }
    zout.finish().unwrap();
}

fn sha256_hex(b: &[u8]) -> String {
    // sha256sum is an independent implementation of the checksum the manifest carries.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x");
    std::fs::write(&p, b).unwrap();
    let out = Command::new("sha256sum").arg(&p).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string()
}

#[test]
fn bad_archives_and_non_empty_libraries_are_refused_and_nothing_changes() {
    let f = library();
    let archive = f.tmp.path().join("all.zip");
    ok(cli(&f.data, &["export", "--all", archive.to_str().unwrap()]));
    let line = refused(cli(&f.data, &["export", "--all", archive.to_str().unwrap()]), "already exists");
    assert!(line.contains("--overwrite"), "the CLI names its flag: {line}");

    // Into the library it came from (it holds takes): refused, unchanged, and told how to proceed.
    let before = state(&f.data);
    let line = refused(cli(&f.data, &["import", "--all", archive.to_str().unwrap()]), "not empty");
    assert!(line.contains("4 takes") && line.contains("--data-dir"), "{line}");
    assert_eq!(state(&f.data), before);

    let good = std::fs::read(&archive).unwrap();
    let bad = |name: &str, bytes: &[u8]| {
        let p = f.tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    // Bytes flipped inside a stored WAV.
    let mut flipped = good.clone();
    let at = flipped.windows(4).position(|w| w == b"data").unwrap() + 600;
    for b in &mut flipped[at..at + 8] {
        *b ^= 0x5A;
    }
    let truncated = &good[..good.len() / 2];
    // A zip-slip entry, listed in the manifest with its true size and checksum.
    let evil = b"owned";
    let slip = f.tmp.path().join("slip.zip");
    rewrite(
        &archive,
        &slip,
        |name, body| {
            if name != "manifest.json" {
                return (name.to_string(), body);
            }
            let mut m: serde_json::Value = serde_json::from_slice(&body).unwrap();
            m["files"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({ "path": "takes/../../evil.txt", "size": evil.len(), "sha256": sha256_hex(evil) }));
            (name.to_string(), serde_json::to_vec(&m).unwrap())
        },
        Some(("takes/../../evil.txt", evil)),
    );
    // A newer schema.
    let newer = f.tmp.path().join("newer.zip");
    rewrite(
        &archive,
        &newer,
        |name, body| {
            if name != "manifest.json" {
                return (name.to_string(), body);
            }
            let mut m: serde_json::Value = serde_json::from_slice(&body).unwrap();
            m["schema_version"] = 99.into();
            (name.to_string(), serde_json::to_vec(&m).unwrap())
        },
        None,
    );

    let fresh = f.tmp.path().join("fresh");
    ok(cli(&fresh, &["takes"])); // an empty library that exists
    let empty = state(&fresh);
    for (path, needle) in [
        (bad("flipped.zip", &flipped), "\""),
        (bad("truncated.zip", truncated), "not a readable zip archive"),
        (bad("junk.zip", b"PK\x03\x04 not really"), "not a readable zip archive"),
        (slip, "zip-slip"),
        (newer, "newer Rehearse"),
    ] {
        let line = refused(cli(&fresh, &["import", "--all", path.to_str().unwrap()]), needle);
        println!("{line}");
        assert!(line.contains(path.file_name().unwrap().to_str().unwrap()) && line.contains("nothing was changed"), "{line}");
        if path.ends_with("flipped.zip") {
            assert!(line.contains("checksum") || line.contains("damaged"), "{line}");
        }
        assert_eq!(state(&fresh), empty, "{}", path.display());
        assert!(!f.tmp.path().join("evil.txt").exists() && !fresh.join("evil.txt").exists());
    }
    // The good archive still imports there afterwards.
    ok(cli(&fresh, &["import", "--all", archive.to_str().unwrap()]));
    assert_eq!(take_files(&fresh), take_files(&f.data));
}

#[test]
fn a_session_and_a_take_export_with_readable_names_and_an_escaped_report() {
    let f = library();
    let sessions: serde_json::Value = serde_json::from_str(&ok(cli(&f.data, &["sessions", "--json"]))).unwrap();
    assert_eq!(
        (sessions[0]["id"].as_i64(), sessions[0]["takes"].as_i64(), sessions[0]["questions"].as_i64()),
        (Some(f.session), Some(3), Some(2))
    );
    assert!(ok(cli(&f.data, &["sessions"])).contains("2 question(s), 3 take(s)"));

    let takes: serde_json::Value = serde_json::from_str(&ok(cli(&f.data, &["takes", "--json"]))).unwrap();
    let file_of = |id: i64| f.data.join(takes.as_array().unwrap().iter().find(|t| t["id"] == id).unwrap()["file_path"].as_str().unwrap());

    let dest = f.tmp.path().join("세션 1.zip");
    let sid = f.session.to_string();
    ok(cli(&f.data, &["export", "--session", &sid, dest.to_str().unwrap()]));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&dest).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(String::from).collect();
    names.sort();
    assert_eq!(names, ["01-mine.redo-take1.wav", "01-mine.redo-take2.wav", "02-mine.undo-take1.wav", "report.html"]);
    for (name, id) in
        [("01-mine.redo-take1.wav", f.takes[0]), ("01-mine.redo-take2.wav", f.takes[1]), ("02-mine.undo-take1.wav", f.takes[2])]
    {
        let mut b = vec![];
        zip.by_name(name).unwrap().read_to_end(&mut b).unwrap();
        assert!(b == std::fs::read(file_of(id)).unwrap(), "{name}");
    }
    let mut html = String::new();
    zip.by_name("report.html").unwrap().read_to_string(&mut html).unwrap();
    std::fs::write(artifacts_dir().join("session-report.html"), &html).unwrap();
    assert!(!html.to_lowercase().contains("<script"), "a note's script tag reached the page");
    assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt; 노트 &amp; \"quotes\""), "{html}");
    // Each question, in the session's language (Korean) and in English, escaped.
    assert!(html.contains("리두 로그는 무엇을 위한 것인가요? 😀") && html.contains("What is redo for? &lt;b&gt;bold?&lt;/b&gt;"), "{html}");
    assert!(html.contains("언두는 무엇을 위한 것인가요?") && html.contains("What is undo for?"));
    assert!(html.contains("src=\"01-mine.redo-take1.wav\"") && html.contains("star: true"), "{html}");
    assert!(html.contains("good opening &lt;i&gt;"), "bookmark: {html}");
    assert!(!html.contains("http://") && !html.contains("https://"));

    // The same session into a new folder.
    let folder = f.tmp.path().join("session folder");
    ok(cli(&f.data, &["export", "--session", &sid, folder.to_str().unwrap()]));
    assert!(folder.join("report.html").exists() && folder.join("02-mine.undo-take1.wav").exists());
    refused(cli(&f.data, &["export", "--session", &sid, folder.to_str().unwrap()]), "already exists");
    refused(cli(&f.data, &["export", "--session", "999", f.tmp.path().join("x.zip").to_str().unwrap()]), "no practice session with id 999");

    // One take, bit for bit, to an odd name; not over an existing file unless asked.
    let one = f.tmp.path().join("면접 답변 🎤 take.wav");
    let tid = f.takes[3].to_string();
    ok(cli(&f.data, &["export", "--take", &tid, one.to_str().unwrap()]));
    assert!(std::fs::read(&one).unwrap() == std::fs::read(file_of(f.takes[3])).unwrap());
    std::fs::write(&one, b"keep me").unwrap();
    refused(cli(&f.data, &["export", "--take", &tid, one.to_str().unwrap()]), "already exists");
    assert_eq!(std::fs::read(&one).unwrap(), b"keep me");
    ok(cli(&f.data, &["export", "--take", &tid, "--overwrite", one.to_str().unwrap()]));
    assert!(std::fs::read(&one).unwrap() == std::fs::read(file_of(f.takes[3])).unwrap());
    refused(cli(&f.data, &["export", "--take", "9999", one.to_str().unwrap()]), "no take with id 9999");
    refused(cli(&f.data, &["export", "--take", &tid, f.tmp.path().join("no/such/dir/x.wav").to_str().unwrap()]), "no such folder");
}
