//! Append-only migrations. Never edit a released step: add a new one.

use rusqlite::{Connection, TransactionBehavior};

const V1: &str = r#"
CREATE TABLE decks (
    id             TEXT PRIMARY KEY,
    name_json      TEXT NOT NULL,
    description_json TEXT NOT NULL DEFAULT '{}',
    languages_json TEXT NOT NULL,
    builtin        INTEGER NOT NULL DEFAULT 0,
    updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE questions (
    id              TEXT PRIMARY KEY,
    deck_id         TEXT NOT NULL REFERENCES decks(id),
    position        INTEGER NOT NULL,
    category        TEXT NOT NULL,
    tags_json       TEXT NOT NULL DEFAULT '[]',
    think_secs      INTEGER NOT NULL,
    answer_secs     INTEGER NOT NULL,
    retakes         INTEGER NOT NULL,
    text_json       TEXT NOT NULL,
    key_points_json TEXT NOT NULL DEFAULT '{}',
    probes_json     TEXT NOT NULL DEFAULT '{}',
    -- A question dropped from its deck file is retired, never deleted: its takes stay.
    retired         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX questions_by_deck ON questions(deck_id, retired, position);

CREATE TABLE takes (
    id             INTEGER PRIMARY KEY,
    question_id    TEXT NOT NULL REFERENCES questions(id),
    started_at     TEXT NOT NULL,
    duration_ms    INTEGER NOT NULL CHECK (duration_ms >= 0),
    sample_rate    INTEGER NOT NULL,
    channels       INTEGER NOT NULL,
    file_path      TEXT NOT NULL UNIQUE,
    rating         INTEGER CHECK (rating BETWEEN 1 AND 4),
    notes          TEXT NOT NULL DEFAULT '',
    dropped_frames INTEGER NOT NULL DEFAULT 0,
    device         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX takes_by_question ON takes(question_id, started_at);
CREATE INDEX takes_by_start ON takes(started_at);
"#;

/// v2: takes remember how they ended (recovered after a crash, damaged, stopped early);
/// a settings table (chosen input device, interface language, ...).
const V2: &str = r#"
ALTER TABLE takes ADD COLUMN status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'recovered', 'damaged'));
ALTER TABLE takes ADD COLUMN stop_reason TEXT;
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
"#;

/// v3: practice sessions; a take belongs to a session, may be marked best, and records
/// how late its first sample came after the scheduled start.
const V3: &str = r#"
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL DEFAULT 'practice',
    deck_id      TEXT REFERENCES decks(id),
    language     TEXT NOT NULL,
    options_json TEXT NOT NULL DEFAULT '{}',
    started_at   TEXT NOT NULL,
    ended_at     TEXT
) STRICT;
ALTER TABLE takes ADD COLUMN session_id INTEGER REFERENCES sessions(id);
ALTER TABLE takes ADD COLUMN best INTEGER NOT NULL DEFAULT 0;
ALTER TABLE takes ADD COLUMN start_delay_ms INTEGER;
CREATE INDEX takes_by_session ON takes(session_id, id);
"#;

/// v4: spaced repetition. Each rated take is a review; a question's schedule is derived
/// from its reviews (replayed through FSRS) and cached here.
const V4: &str = r#"
CREATE TABLE schedule (
    question_id TEXT PRIMARY KEY REFERENCES questions(id),
    stability   REAL NOT NULL,
    difficulty  REAL NOT NULL,
    due_at      TEXT NOT NULL,
    last_review TEXT NOT NULL,
    reviews     INTEGER NOT NULL,
    agains      INTEGER NOT NULL
) STRICT;
CREATE INDEX schedule_by_due ON schedule(due_at);
ALTER TABLE takes ADD COLUMN rated_at TEXT;
"#;

/// v5: review. A take carries its rubric (key points covered, STAR, "I not we", a number,
/// principle level) as JSON; bookmarks at a time in a take; blind re-rates kept apart from
/// the take's own rating (calibration history); indexes for the library's filters and sorts.
const V5: &str = r#"
ALTER TABLE takes ADD COLUMN rubric_json TEXT NOT NULL DEFAULT '{}';
CREATE TABLE bookmarks (
    id         INTEGER PRIMARY KEY,
    take_id    INTEGER NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
    at_ms      INTEGER NOT NULL CHECK (at_ms >= 0),
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX bookmarks_by_take ON bookmarks(take_id, at_ms);
CREATE TABLE rerates (
    id              INTEGER PRIMARY KEY,
    take_id         INTEGER NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    previous_rating INTEGER CHECK (previous_rating BETWEEN 1 AND 4),
    rated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX rerates_by_take ON rerates(take_id, rated_at);
CREATE INDEX takes_by_rating ON takes(rating, started_at);
CREATE INDEX takes_by_duration ON takes(duration_ms);
CREATE INDEX takes_by_status ON takes(status, started_at);
"#;

/// v6: timed video-call rehearsals. Templates (stored as their validated TOML); a session
/// of kind 'rehearsal' keeps its template, its one continuous WAV (relative to the data
/// folder), rate, frames and status; markers are sample offsets into that WAV; a probe's
/// take points to the take of the question it follows.
const V6: &str = r#"
CREATE TABLE templates (
    id         TEXT PRIMARY KEY,
    name_json  TEXT NOT NULL,
    body_toml  TEXT NOT NULL,
    builtin    INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
) STRICT;
ALTER TABLE sessions ADD COLUMN template_id TEXT;
ALTER TABLE sessions ADD COLUMN wav_path TEXT;
ALTER TABLE sessions ADD COLUMN sample_rate INTEGER;
ALTER TABLE sessions ADD COLUMN frames INTEGER;
ALTER TABLE sessions ADD COLUMN status TEXT;
CREATE INDEX sessions_by_status ON sessions(kind, status);
CREATE TABLE markers (
    id            INTEGER PRIMARY KEY,
    session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    label         TEXT NOT NULL DEFAULT '',
    question_id   TEXT,
    take_id       INTEGER REFERENCES takes(id) ON DELETE SET NULL,
    sample_offset INTEGER NOT NULL CHECK (sample_offset >= 0),
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX markers_by_session ON markers(session_id, id);
ALTER TABLE takes ADD COLUMN parent_take_id INTEGER REFERENCES takes(id) ON DELETE SET NULL;
ALTER TABLE takes ADD COLUMN probe TEXT;
"#;

/// v7: a take's speech metrics, kept once computed from its WAV (charts over thousands of
/// takes cannot read every file; `wav_bytes` tells a stale row from a current one); the
/// takes marked best indexed apart (a partial index: "best only" no longer walks every take).
const V7: &str = r#"
CREATE TABLE take_metrics (
    take_id          INTEGER PRIMARY KEY REFERENCES takes(id) ON DELETE CASCADE,
    wav_bytes        INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    first_word_ms    INTEGER,
    speaking_ms      INTEGER NOT NULL,
    silence_ms       INTEGER NOT NULL,
    long_pauses_json TEXT NOT NULL DEFAULT '[]',
    peak_dbfs        REAL NOT NULL,
    rms_dbfs         REAL NOT NULL,
    clipped_samples  INTEGER NOT NULL,
    computed_at      TEXT NOT NULL
) STRICT;
CREATE INDEX takes_best ON takes(started_at, id) WHERE best = 1;
"#;

/// v8: the library view's totals without counting takes. `take_counts` holds how many
/// takes each (question, rating, status) has (rating 0 = unrated), kept by triggers on
/// every insert, delete and change of those columns, so whatever writes the takes (this
/// app, the CLI, an import, recovery, another process) keeps it right and a total over
/// any questions, ratings and statuses is a sum over a few rows. Rows that reach 0 are
/// removed. (A REPLACE that deletes a take fires no delete trigger unless recursive
/// triggers are on: nothing writes takes that way.) An index of takes by rating, question
/// and start time serves totals that add a date range to those filters (rating first, so
/// that queries by question alone keep `takes_by_question`, in time order). The rating,
/// duration and status indexes are replaced by ones that also carry the other filtered
/// columns (question, rating, status, start time; and the id, so that ties keep id order):
/// walking them tests the filters on the index and reads only the matching takes (in
/// duration order those are scattered over the table).
const V8: &str = r#"
CREATE TABLE take_counts (
    question_id TEXT NOT NULL,
    rating      INTEGER NOT NULL,
    status      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (question_id, rating, status)
) STRICT, WITHOUT ROWID;
INSERT INTO take_counts (question_id, rating, status, n)
    SELECT question_id, coalesce(rating, 0), status, count(*) FROM takes GROUP BY 1, 2, 3;
CREATE TRIGGER take_counts_insert AFTER INSERT ON takes BEGIN
    INSERT INTO take_counts (question_id, rating, status, n) VALUES (NEW.question_id, coalesce(NEW.rating, 0), NEW.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER take_counts_delete AFTER DELETE ON takes BEGIN
    UPDATE take_counts SET n = n - 1 WHERE question_id = OLD.question_id AND rating = coalesce(OLD.rating, 0) AND status = OLD.status;
    DELETE FROM take_counts WHERE question_id = OLD.question_id AND rating = coalesce(OLD.rating, 0) AND status = OLD.status AND n <= 0;
END;
CREATE TRIGGER take_counts_update AFTER UPDATE OF question_id, rating, status ON takes
    WHEN OLD.question_id IS NOT NEW.question_id OR OLD.rating IS NOT NEW.rating OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE take_counts SET n = n - 1 WHERE question_id = OLD.question_id AND rating = coalesce(OLD.rating, 0) AND status = OLD.status;
    DELETE FROM take_counts WHERE question_id = OLD.question_id AND rating = coalesce(OLD.rating, 0) AND status = OLD.status AND n <= 0;
    INSERT INTO take_counts (question_id, rating, status, n) VALUES (NEW.question_id, coalesce(NEW.rating, 0), NEW.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE INDEX takes_by_rating_question ON takes(rating, question_id, started_at);
DROP INDEX takes_by_rating;
CREATE INDEX takes_by_rating_filtered ON takes(rating, started_at, id, question_id, status);
DROP INDEX takes_by_duration;
CREATE INDEX takes_by_duration_filtered ON takes(duration_ms, id, question_id, rating, status, started_at);
DROP INDEX takes_by_status;
CREATE INDEX takes_by_status_filtered ON takes(status, started_at, id, question_id, rating);
"#;

/// v9: transcripts. A take has a language (the one its question was practised in: the
/// session's, else the interface's question language; overridable per take), filled for
/// the takes already there the same way. `transcripts` holds one row per transcribed take:
/// done or failed (with why), the language the model was told, the model's name and
/// sha256, and the identity of the WAV it heard (size, modification time and sha256: an
/// imported take has a new modification time and the same content), so a take whose file
/// changed or a new model can be told apart and transcribed again. Segments and
/// words keep their times. `transcript_fts` indexes the text (external content: the text is
/// stored once, in `transcripts`) with the trigram tokenizer, which needs no spaces between
/// words (Korean) and matches any 3 characters or more inside a word. Triggers keep it in
/// step with every write, and delete a take's transcript with the take on every path
/// (also on a connection without foreign keys).
const V9: &str = r#"
ALTER TABLE takes ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ko'));
UPDATE takes SET language = coalesce(
    (SELECT s.language FROM sessions s WHERE s.id = takes.session_id AND s.language IN ('en', 'ko')),
    (SELECT value FROM settings WHERE key = 'ui_language' AND value IN ('en', 'ko')),
    'en');
CREATE TABLE transcripts (
    take_id      INTEGER PRIMARY KEY REFERENCES takes(id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    failure      TEXT,
    language     TEXT NOT NULL,
    model_name   TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    wav_bytes    INTEGER NOT NULL,
    wav_mtime_ms INTEGER NOT NULL,
    wav_sha256   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    text         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE transcript_segments (
    take_id  INTEGER NOT NULL REFERENCES transcripts(take_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start_ms INTEGER NOT NULL CHECK (start_ms >= 0),
    end_ms   INTEGER NOT NULL CHECK (end_ms >= start_ms),
    text     TEXT NOT NULL,
    PRIMARY KEY (take_id, position)
) STRICT, WITHOUT ROWID;
CREATE TABLE transcript_words (
    take_id  INTEGER NOT NULL REFERENCES transcripts(take_id) ON DELETE CASCADE,
    segment  INTEGER NOT NULL,
    position INTEGER NOT NULL,
    start_ms INTEGER NOT NULL CHECK (start_ms >= 0),
    end_ms   INTEGER NOT NULL CHECK (end_ms >= start_ms),
    text     TEXT NOT NULL,
    PRIMARY KEY (take_id, segment, position)
) STRICT, WITHOUT ROWID;
CREATE VIRTUAL TABLE transcript_fts USING fts5(text, content = 'transcripts', content_rowid = 'take_id', tokenize = 'trigram');
CREATE TRIGGER transcripts_fts_insert AFTER INSERT ON transcripts BEGIN
    INSERT INTO transcript_fts (rowid, text) VALUES (NEW.take_id, NEW.text);
END;
CREATE TRIGGER transcripts_fts_delete AFTER DELETE ON transcripts BEGIN
    INSERT INTO transcript_fts (transcript_fts, rowid, text) VALUES ('delete', OLD.take_id, OLD.text);
    DELETE FROM transcript_segments WHERE take_id = OLD.take_id;
    DELETE FROM transcript_words WHERE take_id = OLD.take_id;
END;
CREATE TRIGGER transcripts_fts_update AFTER UPDATE OF text ON transcripts BEGIN
    INSERT INTO transcript_fts (transcript_fts, rowid, text) VALUES ('delete', OLD.take_id, OLD.text);
    INSERT INTO transcript_fts (rowid, text) VALUES (NEW.take_id, NEW.text);
END;
CREATE TRIGGER transcripts_take_delete AFTER DELETE ON takes BEGIN
    DELETE FROM transcripts WHERE take_id = OLD.id;
END;
"#;

/// v10: the story bank. A story (title, situation, task, action, result, the numbers in its
/// result, role, team, year, tags, a cue card, notes) carries a revision counter that every
/// change raises, so an edit based on an older revision is refused instead of silently
/// overwriting another window's or the CLI's change. `uid` names it across libraries (the
/// story file and re-imports). Its principles (one primary, at most one by a partial unique
/// index), the questions it is meant to answer, and the takes that told it are link tables;
/// a take tells at most one story. Deleting a story keeps its takes (only the link goes);
/// deleting a take removes its link (a trigger too, for connections without foreign keys).
/// `story_drafts` keeps what the editor has typed, saved as the user types, valid or not,
/// until it is saved as the story or discarded: a killed app loses nothing.
const V10: &str = r#"
CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    uid           TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    situation     TEXT NOT NULL DEFAULT '',
    task          TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL DEFAULT '',
    result        TEXT NOT NULL DEFAULT '',
    numbers_json  TEXT NOT NULL DEFAULT '[]',
    role          TEXT NOT NULL DEFAULT '',
    team          TEXT NOT NULL DEFAULT '',
    year          INTEGER,
    tags_json     TEXT NOT NULL DEFAULT '[]',
    cue_card_json TEXT NOT NULL DEFAULT '[]',
    notes         TEXT NOT NULL DEFAULT '',
    revision      INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE TABLE story_principles (
    story_id   INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    principle  TEXT NOT NULL,
    position   INTEGER NOT NULL,
    is_primary INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    PRIMARY KEY (story_id, principle)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX story_principles_one_primary ON story_principles(story_id) WHERE is_primary = 1;
CREATE INDEX story_principles_by_principle ON story_principles(principle, story_id);
CREATE TABLE story_questions (
    story_id    INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL REFERENCES questions(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (story_id, question_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX story_questions_by_question ON story_questions(question_id, story_id);
CREATE TABLE story_takes (
    take_id   INTEGER PRIMARY KEY REFERENCES takes(id) ON DELETE CASCADE,
    story_id  INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    linked_at TEXT NOT NULL
) STRICT;
CREATE INDEX story_takes_by_story ON story_takes(story_id, take_id);
CREATE TRIGGER story_takes_take_delete AFTER DELETE ON takes BEGIN
    DELETE FROM story_takes WHERE take_id = OLD.id;
END;
CREATE TABLE story_drafts (
    draft_key     TEXT PRIMARY KEY,
    base_revision INTEGER,
    body_json     TEXT NOT NULL,
    saved_at      TEXT NOT NULL
) STRICT;
"#;

/// v11: where the parts of a story's take began (task, action, result), as the user moved
/// them in review (the boundaries found in the transcript are computed, not stored). Deleting
/// the take removes them (a trigger too, for connections without foreign keys).
const V11: &str = r#"
CREATE TABLE story_take_parts (
    take_id INTEGER NOT NULL REFERENCES takes(id) ON DELETE CASCADE,
    part    TEXT NOT NULL CHECK (part IN ('task', 'action', 'result')),
    at_ms   INTEGER NOT NULL CHECK (at_ms >= 0),
    set_at  TEXT NOT NULL,
    PRIMARY KEY (take_id, part)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER story_take_parts_take_delete AFTER DELETE ON takes BEGIN
    DELETE FROM story_take_parts WHERE take_id = OLD.id;
END;
"#;

/// v12: the story picked for a question of a mock call, stored on its question marker the
/// moment it is picked, so that the question's take (cut when the answer ends, or at the
/// next start after a crash) is linked to it however the call ended.
const V12: &str = r#"
CREATE TABLE marker_stories (
    marker_id INTEGER PRIMARY KEY REFERENCES markers(id) ON DELETE CASCADE,
    story_id  INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    picked_at TEXT NOT NULL
) STRICT;
CREATE TRIGGER marker_stories_marker_delete AFTER DELETE ON markers BEGIN
    DELETE FROM marker_stories WHERE marker_id = OLD.id;
END;
CREATE TRIGGER marker_stories_story_delete AFTER DELETE ON stories BEGIN
    DELETE FROM marker_stories WHERE story_id = OLD.id;
END;
"#;

/// Step n brings the schema from version n to n + 1.
const STEPS: [&str; 12] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12];

pub const SCHEMA_VERSION: i64 = STEPS.len() as i64;

/// The same steps for `rusqlite_migration` (validation, and tests that need an older schema).
#[cfg(test)]
pub fn migrations() -> rusqlite_migration::Migrations<'static> {
    rusqlite_migration::Migrations::new(STEPS.iter().map(|s| rusqlite_migration::M::up(s)).collect())
}

/// Brings the schema up to date in one transaction that takes SQLite's write lock before
/// it reads the version (`BEGIN IMMEDIATE`). Two processes opening a new data folder at the
/// same moment then run the steps once: the second waits for the first (the busy timeout)
/// and finds nothing left to do. (`rusqlite_migration` reads the version before its
/// transaction begins, so both would run the first step, and one would fail on a table
/// that already exists.) On any error nothing is changed.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// [`migrate`] up to `target` (at most [`SCHEMA_VERSION`]): an archive's database is
/// compared with the schema these steps make at its own version.
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> rusqlite::Result<()> {
    let target = target.clamp(0, SCHEMA_VERSION);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found >= target {
        return Ok(()); // another process got here first (dropping `tx` rolls back, writing nothing)
    }
    for step in STEPS.iter().take(target as usize).skip(found.max(0) as usize) {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()
}
