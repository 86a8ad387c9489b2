//! The data folder: where everything lives (`paths`, `DataDir`), who may use it at the same
//! time across processes (`data_lock`), and the leftovers of killed imports and exports
//! (`leftovers`). A lower layer: it imports nothing from the features.

pub mod data_lock;
pub(crate) mod files;
pub mod layout;
pub mod leftovers;
pub mod paths;
