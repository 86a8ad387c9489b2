//! The rerates table: blind re-ratings of old takes, kept apart from the take's own rating
//! (they train calibration and never touch the schedule).

use rusqlite::{params, Row};

use super::takes::{take_column_count, take_columns_of, take_from_row, TAKE_COLUMNS};
use super::Storage;
use crate::error::Result;
use crate::model::rubric::{Calibration, Rerate};
use crate::model::{Take, TakeId};

fn rerate_from_row(r: &Row<'_>) -> rusqlite::Result<Rerate> {
    Ok(Rerate { id: r.get(0)?, take_id: TakeId(r.get(1)?), rating: r.get(2)?, previous_rating: r.get(3)?, rated_at: r.get(4)? })
}

impl Storage {
    pub fn insert_rerate(&mut self, take: TakeId, rating: u8, previous: Option<u8>, rated_at: &str) -> Result<Rerate> {
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO rerates (take_id, rating, previous_rating, rated_at) VALUES (?1, ?2, ?3, ?4)",
                params![take.0, rating, previous, rated_at],
            )?;
            Ok(tx.query_row(
                "SELECT id, take_id, rating, previous_rating, rated_at FROM rerates WHERE id = ?1",
                [tx.last_insert_rowid()],
                rerate_from_row,
            )?)
        })
    }

    /// Re-rates of a take, oldest first.
    pub fn rerates(&self, take: TakeId) -> Result<Vec<Rerate>> {
        let mut st = self.conn_ref().prepare_cached(
            "SELECT id, take_id, rating, previous_rating, rated_at FROM rerates WHERE take_id = ?1 ORDER BY rated_at, id",
        )?;
        let rows = st.query_map([take.0], rerate_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Rated takes whose rating is older than `rated_before`: those never re-rated first
    /// (oldest take first), then the rest by their latest re-rate, least recent first.
    pub fn rerate_candidates(&self, rated_before: &str, limit: usize) -> Result<Vec<(Take, Option<String>)>> {
        let mut out: Vec<(Take, Option<String>)> = Vec::new();
        // Walks the rowid order and stops at `limit`: no sort over every take.
        let sql = format!(
            "SELECT {TAKE_COLUMNS} FROM takes t
             WHERE t.rating IS NOT NULL AND t.rated_at < ?1 AND NOT EXISTS (SELECT 1 FROM rerates r WHERE r.take_id = t.id)
             ORDER BY t.id LIMIT ?2"
        );
        let mut st = self.conn_ref().prepare_cached(&sql)?;
        let rows = st.query_map(params![rated_before, limit as i64], take_from_row)?;
        for t in rows {
            out.push((t?, None));
        }
        if out.len() < limit {
            let cols = take_columns_of("t");
            let sql = format!(
                "SELECT {cols}, r.last FROM (SELECT take_id, max(rated_at) AS last FROM rerates GROUP BY take_id) r
                 JOIN takes t ON t.id = r.take_id
                 WHERE t.rating IS NOT NULL AND t.rated_at < ?1
                 ORDER BY r.last, t.id LIMIT ?2"
            );
            let mut st = self.conn_ref().prepare_cached(&sql)?;
            let rows =
                st.query_map(params![rated_before, (limit - out.len()) as i64], |r| Ok((take_from_row(r)?, r.get(take_column_count())?)))?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// How re-rates compare with the rating the take had when it was re-rated.
    pub fn calibration(&self) -> Result<Calibration> {
        let (count, diff, same): (i64, Option<f64>, Option<i64>) = self.conn_ref().query_row(
            "SELECT count(*), avg(abs(rating - previous_rating)), sum(rating = previous_rating)
             FROM rerates WHERE previous_rating IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(Calibration {
            count: count.max(0) as u64,
            mean_abs_difference: diff,
            identical_share: (count > 0).then(|| same.unwrap_or(0) as f64 / count as f64),
        })
    }
}
