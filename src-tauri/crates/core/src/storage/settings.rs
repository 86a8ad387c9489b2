//! The settings table: small key/value preferences (input device, interface language).

use rusqlite::{params, OptionalExtension};

use super::Storage;
use crate::error::Result;

impl Storage {
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
    }

    /// Sets a setting; `None` removes it.
    pub fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        crate::text_limit::check(&format!("setting {}", crate::error::echo(key)), &(key, value))?;
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, v],
            )?,
            None => self.conn.execute("DELETE FROM settings WHERE key = ?1", [key])?,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_stored_replaced_and_removed() {
        let mut s = Storage::open_in_memory().expect("db");
        assert_eq!(s.setting("input").expect("get"), None);
        s.set_setting("input", Some("Mic A")).expect("set");
        s.set_setting("input", Some("Mic B")).expect("replace");
        assert_eq!(s.setting("input").expect("get").as_deref(), Some("Mic B"));
        s.set_setting("input", None).expect("remove");
        assert_eq!(s.setting("input").expect("get"), None);
    }
}
