//! The bookmarks table: a moment in a take, with a short note.

use rusqlite::{params, OptionalExtension, Row};

use super::Storage;
use crate::error::{CoreError, Result};
use crate::model::rubric::Bookmark;
use crate::model::TakeId;

const COLUMNS: &str = "id, take_id, at_ms, note, created_at";

fn bookmark_from_row(r: &Row<'_>) -> rusqlite::Result<Bookmark> {
    Ok(Bookmark {
        id: r.get(0)?,
        take_id: TakeId(r.get(1)?),
        at_ms: r.get::<_, i64>(2)?.max(0) as u64,
        note: r.get(3)?,
        created_at: r.get(4)?,
    })
}

impl Storage {
    /// (at_ms, note) of a take's bookmarks in time order, as a report lists them.
    pub(crate) fn bookmark_notes(&self, take: i64) -> Result<Vec<(i64, String)>> {
        let mut st = self.conn.prepare_cached("SELECT at_ms, note FROM bookmarks WHERE take_id = ?1 ORDER BY at_ms, id")?;
        let rows = st.query_map(params![take], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn insert_bookmark(&mut self, take: TakeId, at_ms: u64, note: &str, created_at: &str) -> Result<Bookmark> {
        crate::text_limit::check("the bookmark note", &note)?;
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO bookmarks (take_id, at_ms, note, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![take.0, at_ms as i64, note, created_at],
            )?;
            let sql = format!("SELECT {COLUMNS} FROM bookmarks WHERE id = ?1");
            Ok(tx.query_row(&sql, [tx.last_insert_rowid()], bookmark_from_row)?)
        })
    }

    /// Bookmarks of a take, in time order.
    pub fn bookmarks(&self, take: TakeId) -> Result<Vec<Bookmark>> {
        let sql = format!("SELECT {COLUMNS} FROM bookmarks WHERE take_id = ?1 ORDER BY at_ms, id");
        let mut st = self.conn_ref().prepare_cached(&sql)?;
        let rows = st.query_map([take.0], bookmark_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn bookmark(&self, id: i64) -> Result<Bookmark> {
        let sql = format!("SELECT {COLUMNS} FROM bookmarks WHERE id = ?1");
        self.conn_ref().prepare_cached(&sql)?.query_row([id], bookmark_from_row).optional()?.ok_or(CoreError::UnknownBookmark(id))
    }

    pub fn set_bookmark_note(&mut self, id: i64, note: &str) -> Result<()> {
        crate::text_limit::check("the bookmark note", &note)?;
        let n = self.conn_mut().execute("UPDATE bookmarks SET note = ?2 WHERE id = ?1", params![id, note])?;
        if n == 0 {
            return Err(CoreError::UnknownBookmark(id));
        }
        Ok(())
    }

    pub fn delete_bookmark(&mut self, id: i64) -> Result<()> {
        let n = self.conn_mut().execute("DELETE FROM bookmarks WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(CoreError::UnknownBookmark(id));
        }
        Ok(())
    }
}
