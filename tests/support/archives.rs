//! Libraries without a microphone (real SQLite, real WAV files written with hound, takes
//! committed through rehearse-core as the recorder does) and hostile archives forged from
//! a real `export --all`: entries replaced, renamed, added or written twice, the database
//! inside edited with SQL, the manifest's sizes and checksums made to match.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// What the recorder reports for a finished synthetic take of `frames` 16 kHz mono frames.
pub fn synthetic_recorded(frames: u64) -> rehearse_core::RecordedTake {
    rehearse_core::RecordedTake {
        frames,
        sample_rate: 16_000,
        channels: 1,
        dropped_frames: 0,
        device: "synthetic".into(),
        stop_reason: None,
        start_delay_ms: None,
        finalized: true,
    }
}

/// A library in `data` with one take of `secs` seconds of a tone per question id.
pub fn synthetic_library(data: &Path, questions: &[(&str, f64)]) -> Vec<i64> {
    let mut lib = rehearse_core::Library::open(rehearse_core::DataDir::new(data)).unwrap();
    let mut ids = vec![];
    for (q, secs) in questions {
        let plan = lib.plan_take(&rehearse_core::QuestionId::from(*q)).unwrap();
        let spec = hound::WavSpec { channels: 1, sample_rate: 16_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let frames = (secs * 16_000.0) as u64;
        let mut w = hound::WavWriter::create(&plan.path, spec).unwrap();
        for i in 0..frames {
            w.write_sample(((i as f64 * 0.07).sin() * 8000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
        let rec = synthetic_recorded(frames);
        ids.push(lib.commit_take(&plan, &rec).unwrap().id.0);
    }
    ids
}

pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|b| format!("{b:02x}")).collect()
}

/// The entries of an archive, in order, to be changed and written again.
#[derive(Clone)]
pub struct Forge {
    pub entries: Vec<(String, Vec<u8>)>,
}

impl Forge {
    pub fn open(path: &Path) -> Forge {
        let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let entries = (0..z.len())
            .map(|i| {
                let mut e = z.by_index(i).unwrap();
                let mut b = vec![];
                e.read_to_end(&mut b).unwrap();
                (e.name().to_string(), b)
            })
            .collect();
        Forge { entries }
    }

    pub fn names(&self) -> Vec<String> {
        self.entries.iter().map(|(n, _)| n.clone()).collect()
    }

    pub fn get(&self, name: &str) -> Vec<u8> {
        self.entries.iter().find(|(n, _)| n == name).unwrap().1.clone()
    }

    /// Replaces an entry's bytes (adding it at the end if absent).
    pub fn set(&mut self, name: &str, bytes: Vec<u8>) -> &mut Self {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = bytes,
            None => self.entries.push((name.to_string(), bytes)),
        }
        self
    }

    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.entries.retain(|(n, _)| n != name);
        self
    }

    pub fn rename(&mut self, from: &str, to: &str) -> &mut Self {
        self.entries.iter_mut().filter(|(n, _)| n == from).for_each(|e| e.0 = to.to_string());
        self
    }

    pub fn manifest(&self) -> serde_json::Value {
        serde_json::from_slice(&self.get("manifest.json")).unwrap()
    }

    pub fn set_manifest(&mut self, m: &serde_json::Value) -> &mut Self {
        self.set("manifest.json", serde_json::to_vec_pretty(m).unwrap())
    }

    /// Makes the manifest list every entry (the manifest aside) with its true size and
    /// checksum: an archive whose checksums are all correct.
    pub fn honest_manifest(&mut self) -> &mut Self {
        let mut m = self.manifest();
        let files: Vec<serde_json::Value> = self
            .entries
            .iter()
            .filter(|(n, _)| n != "manifest.json")
            .map(|(n, b)| serde_json::json!({ "path": n, "size": b.len(), "sha256": sha256_hex(b) }))
            .collect();
        m["files"] = files.into();
        self.set_manifest(&m)
    }

    /// Runs `sql` on the archive's database (in a scratch file) and puts it back, with an
    /// honest manifest.
    pub fn edit_db(&mut self, sql: &str) -> &mut Self {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("edit.db");
        std::fs::write(&p, self.get("rehearse.db")).unwrap();
        {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let bytes = std::fs::read(&p).unwrap();
        self.set("rehearse.db", bytes).honest_manifest()
    }

    /// The archive's takes/ entries with a given ending.
    pub fn take_entries(&self, ending: &str) -> Vec<String> {
        self.names().into_iter().filter(|n| n.starts_with("takes/") && n.ends_with(ending)).collect()
    }

    /// Writes the zip (deflated entries).
    pub fn write(&self, dest: &Path) -> PathBuf {
        let mut z = zip::ZipWriter::new(std::fs::File::create(dest).unwrap());
        for (n, b) in &self.entries {
            let opts = zip::write::SimpleFileOptions::default().large_file(b.len() as u64 >= u32::MAX as u64);
            z.start_file(n.as_str(), opts).unwrap();
            z.write_all(b).unwrap();
        }
        z.finish().unwrap();
        dest.to_path_buf()
    }

    /// Writes the zip, then renames every entry named `placeholder` to `name` in the
    /// bytes (local headers and central directory): a name that appears twice, which no
    /// zip writer produces on purpose. `placeholder` and `name` have the same length.
    pub fn write_with_duplicate(&self, dest: &Path, placeholder: &str, name: &str) -> PathBuf {
        assert_eq!(placeholder.len(), name.len());
        self.write(dest);
        let mut bytes = std::fs::read(dest).unwrap();
        let (from, to) = (placeholder.as_bytes(), name.as_bytes());
        let mut i = 0;
        let mut n = 0;
        while i + from.len() <= bytes.len() {
            if &bytes[i..i + from.len()] == from {
                bytes[i..i + from.len()].copy_from_slice(to);
                n += 1;
                i += from.len();
            } else {
                i += 1;
            }
        }
        assert!(n >= 2, "placeholder {placeholder} not found in local and central headers");
        std::fs::write(dest, bytes).unwrap();
        dest.to_path_buf()
    }
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

/// The logical content of a data folder: every table's rows (sorted; the refresh time of
/// built-in decks and templates aside, which a start may set) and every file below it with
/// its bytes (SQLite's -wal and -shm aside).
pub type Content = (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<u8>>);

pub fn content(data: &Path) -> Content {
    let c = rusqlite::Connection::open_with_flags(data.join("rehearse.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let names: Vec<String> = {
        let mut st = c.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").unwrap();
        let v = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        v
    };
    let mut tables = BTreeMap::new();
    for t in names {
        let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let cols: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
        let builtin = cols.iter().position(|c| c == "builtin");
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let is_builtin = builtin.is_some_and(|i| r.get_ref(i).ok().and_then(|v| v.as_i64().ok()) == Some(1));
                Ok((0..cols.len())
                    .map(|i| if is_builtin && cols[i] == "updated_at" { "-".to_string() } else { value(r.get_ref(i).unwrap()) })
                    .collect::<Vec<_>>()
                    .join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        tables.insert(t, rows);
    }
    let mut files = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel.ends_with("-wal") || rel.ends_with("-shm") || rel == "rehearse.db" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                out.insert(format!("{rel}/"), vec![]);
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    walk(data, data, &mut files);
    (tables, files)
}
