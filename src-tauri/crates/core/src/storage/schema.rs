//! Append-only migrations. Never edit a released step: add a new one.

use rusqlite_migration::{Migrations, M};

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

pub const SCHEMA_VERSION: i64 = 8;

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2), M::up(V3), M::up(V4), M::up(V5), M::up(V6), M::up(V7), M::up(V8)])
}
