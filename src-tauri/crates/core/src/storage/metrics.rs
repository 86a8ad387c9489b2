//! The take_metrics table: a take's speech metrics kept once measured, with the size of
//! the file they were measured from (`takes::metrics_store` decides when to measure).

use rusqlite::OptionalExtension;

use super::Storage;
use crate::error::Result;
use crate::model::metrics::SpeechMetrics;
use crate::model::TakeId;
use crate::time_fmt::now_rfc3339;

impl Storage {
    pub(crate) fn kept_metrics(&self, id: TakeId, size: u64) -> Result<Option<SpeechMetrics>> {
        let conn = &self.conn;
        let mut st = conn.prepare_cached(
            "SELECT duration_ms, first_word_ms, speaking_ms, silence_ms, long_pauses_json, peak_dbfs, rms_dbfs, clipped_samples
             FROM take_metrics WHERE take_id = ?1 AND wav_bytes = ?2",
        )?;
        let row = st
            .query_row(rusqlite::params![id.0, size as i64], |r| {
                Ok(SpeechMetrics {
                    duration_ms: r.get::<_, i64>(0)?.max(0) as u64,
                    time_to_first_word_ms: r.get::<_, Option<i64>>(1)?.map(|v| v.max(0) as u64),
                    speaking_ms: r.get::<_, i64>(2)?.max(0) as u64,
                    silence_ms: r.get::<_, i64>(3)?.max(0) as u64,
                    long_pauses: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
                    peak_dbfs: r.get(5)?,
                    rms_dbfs: r.get(6)?,
                    clipped_samples: r.get::<_, i64>(7)?.max(0) as u64,
                })
            })
            .optional()?;
        Ok(row)
    }

    pub(crate) fn keep_metrics(&self, id: TakeId, size: u64, m: &SpeechMetrics) -> Result<()> {
        let conn = &self.conn;
        conn.prepare_cached(
            "INSERT OR REPLACE INTO take_metrics (take_id, wav_bytes, duration_ms, first_word_ms, speaking_ms, silence_ms,
                 long_pauses_json, peak_dbfs, rms_dbfs, clipped_samples, computed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(rusqlite::params![
            id.0,
            size as i64,
            m.duration_ms as i64,
            m.time_to_first_word_ms.map(|v| v as i64),
            m.speaking_ms as i64,
            m.silence_ms as i64,
            serde_json::to_string(&m.long_pauses).unwrap_or_else(|_| "[]".into()),
            m.peak_dbfs,
            m.rms_dbfs,
            m.clipped_samples as i64,
            now_rfc3339(),
        ])?;
        Ok(())
    }

    pub(crate) fn takes_without_metrics(&self, limit: u32) -> Result<Vec<TakeId>> {
        let conn = &self.conn;
        let mut st = conn.prepare_cached(
            "SELECT t.id FROM takes t WHERE t.status != 'damaged'
               AND NOT EXISTS (SELECT 1 FROM take_metrics m WHERE m.take_id = t.id)
             ORDER BY t.id DESC LIMIT ?1",
        )?;
        let ids = st.query_map([i64::from(limit)], |r| r.get::<_, i64>(0).map(TakeId))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// How many takes are not measured yet.
    pub(crate) fn pending_metrics(&self) -> Result<u64> {
        let conn = &self.conn;
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM takes t WHERE t.status != 'damaged' AND NOT EXISTS (SELECT 1 FROM take_metrics m WHERE m.take_id = t.id)",
            [],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }
}
