//! The library view's list of takes: what the window's and the CLI's library ask for. The
//! query types and the planner that answers them in SQL live in `storage::take_query`; this
//! is the feature's door to it.

pub use crate::storage::take_query::{LibraryRow, RatingFilter, SortKey, TakePage, TakeQuery};

use crate::error::Result;
use crate::library::Library;

impl Library {
    /// The library view's page of takes.
    pub fn query_takes(&self, q: &TakeQuery) -> Result<TakePage> {
        self.storage_ref().query_takes(q)
    }

    /// SQLite's plan for the page query (diagnostics for tests and the benchmark).
    pub fn explain_take_query(&self, q: &TakeQuery) -> Result<Vec<String>> {
        self.storage_ref().explain_take_query(q)
    }
}
