//! The decks and questions tables.

use rusqlite::{params, Row};

use super::Storage;
use crate::deck::{join_key_points, split_key_points, DeckFile, DeckMeta, KeyPointDef, QuestionDef, FORMAT_VERSION};
use crate::error::Result;
use crate::model::{DeckId, DeckSummary, Question, QuestionId};
use crate::time_fmt::now_rfc3339;

const QUESTION_COLUMNS: &str =
    "id, deck_id, position, category, tags_json, think_secs, answer_secs, retakes, text_json, key_points_json, probes_json";

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn parse<T: serde::de::DeserializeOwned + Default>(s: String) -> T {
    serde_json::from_str(&s).unwrap_or_default()
}

fn question_from_row(r: &Row<'_>) -> rusqlite::Result<Question> {
    // Key points are kept as the deck file has them: a string, or { text, terms }.
    let key_points: std::collections::BTreeMap<String, Vec<KeyPointDef>> = parse(r.get(9)?);
    let (key_points, key_point_terms) = split_key_points(&key_points);
    Ok(Question {
        id: QuestionId(r.get(0)?),
        deck_id: DeckId(r.get(1)?),
        position: r.get(2)?,
        category: r.get(3)?,
        tags: parse(r.get(4)?),
        think_secs: r.get(5)?,
        answer_secs: r.get(6)?,
        retakes: r.get(7)?,
        text: parse(r.get(8)?),
        key_points,
        key_point_terms,
        probes: parse(r.get(10)?),
    })
}

impl Storage {
    /// Inserts or updates a deck and its questions in one transaction. Questions that are
    /// no longer in the file are retired (kept with their takes), never deleted.
    pub fn upsert_deck(&mut self, deck: &DeckFile, builtin: bool) -> Result<()> {
        crate::text_limit::check(&format!("deck {}", crate::error::echo(&deck.deck.id)), deck)?;
        self.transact(|tx| {
            let now = now_rfc3339();
            tx.execute(
                "INSERT INTO decks (id, name_json, description_json, languages_json, builtin, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET name_json = excluded.name_json,
                   description_json = excluded.description_json, languages_json = excluded.languages_json,
                   builtin = excluded.builtin, updated_at = excluded.updated_at",
                params![deck.deck.id, json(&deck.deck.name), json(&deck.deck.description), json(&deck.deck.languages), builtin, now],
            )?;
            tx.execute("UPDATE questions SET retired = 1 WHERE deck_id = ?1", [&deck.deck.id])?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO questions (id, deck_id, position, category, tags_json, think_secs, answer_secs, retakes,
                                        text_json, key_points_json, probes_json, retired)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0)
                 ON CONFLICT(id) DO UPDATE SET deck_id = excluded.deck_id, position = excluded.position,
                   category = excluded.category, tags_json = excluded.tags_json, think_secs = excluded.think_secs,
                   answer_secs = excluded.answer_secs, retakes = excluded.retakes, text_json = excluded.text_json,
                   key_points_json = excluded.key_points_json, probes_json = excluded.probes_json, retired = 0",
            )?;
            for (i, q) in deck.questions.iter().enumerate() {
                upsert.execute(params![
                    q.id,
                    deck.deck.id,
                    i as i64,
                    q.category,
                    json(&q.tags),
                    q.think_secs,
                    q.answer_secs,
                    q.retakes,
                    json(&q.text),
                    json(&q.key_points),
                    json(&q.probes)
                ])?;
            }
            Ok(())
        })
    }

    /// Active questions, in deck order (decks by id).
    pub fn questions(&self, deck: Option<&DeckId>) -> Result<Vec<Question>> {
        let sql = format!(
            "SELECT {QUESTION_COLUMNS} FROM questions WHERE retired = 0 AND (?1 IS NULL OR deck_id = ?1)
             ORDER BY deck_id, position"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map([deck.map(|d| d.as_str())], question_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn decks(&self) -> Result<Vec<DeckSummary>> {
        let mut st = self.conn.prepare_cached(
            "SELECT d.id, d.name_json, d.description_json, d.languages_json, d.builtin,
                    (SELECT count(*) FROM questions q WHERE q.deck_id = d.id AND q.retired = 0)
             FROM decks d ORDER BY d.builtin DESC, d.id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(DeckSummary {
                id: DeckId(r.get(0)?),
                name: parse(r.get(1)?),
                description: parse(r.get(2)?),
                languages: parse(r.get(3)?),
                builtin: r.get(4)?,
                questions: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A deck as a file would describe it (its active questions, in order).
    pub fn deck_file(&self, id: &DeckId) -> Result<Option<DeckFile>> {
        let Some(meta) = self.decks()?.into_iter().find(|d| &d.id == id) else {
            return Ok(None);
        };
        let questions = self
            .questions(Some(id))?
            .into_iter()
            .map(|q| QuestionDef {
                id: q.id.0,
                category: q.category,
                tags: q.tags,
                think_secs: q.think_secs,
                answer_secs: q.answer_secs,
                retakes: q.retakes,
                text: q.text,
                key_points: join_key_points(&q.key_points, &q.key_point_terms),
                probes: q.probes,
            })
            .collect();
        Ok(Some(DeckFile {
            format: FORMAT_VERSION,
            deck: DeckMeta { id: meta.id.0, name: meta.name, description: meta.description, languages: meta.languages },
            questions,
        }))
    }

    /// Ids of every question (retired too) of a deck.
    pub fn question_ids_in(&self, deck: &DeckId) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached("SELECT id FROM questions WHERE deck_id = ?1")?;
        let rows = st.query_map([deck.as_str()], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// question id -> deck id, for every question of the other decks.
    pub fn question_owners_outside(&self, deck: &DeckId) -> Result<std::collections::HashMap<String, String>> {
        let mut st = self.conn.prepare_cached("SELECT id, deck_id FROM questions WHERE deck_id != ?1")?;
        let rows = st.query_map([deck.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A question by id, retired or not (old takes still point to it).
    pub fn question(&self, id: &QuestionId) -> Result<Option<Question>> {
        let sql = format!("SELECT {QUESTION_COLUMNS} FROM questions WHERE id = ?1");
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut rows = st.query_map([id.as_str()], question_from_row)?;
        Ok(rows.next().transpose()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::parse_deck;

    fn deck(questions: &[&str]) -> DeckFile {
        let mut s = String::from("format = 1\n[deck]\nid = \"d\"\nname = { en = \"D\" }\nlanguages = [\"en\"]\n");
        for q in questions {
            s += &format!("[[questions]]\nid = \"{q}\"\ncategory = \"c\"\nthink_secs = 0\nanswer_secs = 60\ntext = {{ en = \"{q}?\" }}\n");
        }
        parse_deck("d.toml", &s).expect("valid")
    }

    #[test]
    fn questions_come_back_in_deck_order_with_their_texts() {
        let mut s = Storage::open_in_memory().expect("db");
        s.upsert_deck(&deck(&["b", "a"]), false).expect("upsert");
        let qs = s.questions(None).expect("list");
        assert_eq!(qs.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(qs[1].text["en"], "a?");
    }

    #[test]
    fn a_question_removed_from_the_file_is_retired_but_still_found_by_id() {
        let mut s = Storage::open_in_memory().expect("db");
        s.upsert_deck(&deck(&["a", "b"]), false).expect("upsert");
        s.upsert_deck(&deck(&["a"]), false).expect("upsert again");
        assert_eq!(s.questions(None).expect("list").len(), 1);
        assert!(s.question(&"b".into()).expect("get").is_some());
    }
}
