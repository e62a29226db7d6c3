//! Writes a log's tiles, entry bundles and checkpoint into a folder laid out
//! exactly as C2SP tlog-tiles paths, so any static file server can serve it.
//! Files are written atomically; full tiles never change once written;
//! partial tiles are kept after their full tile appears (the spec allows
//! deleting them), so every checkpoint ever published stays servable.

use std::path::Path;

use hotline_log::log::{Log, LogError};
use hotline_log::tiles;

use crate::files;

/// Why writing tiles failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileDirError {
    /// Reading the log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// Writing a file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Writes every tile and bundle that changed from `old` to `new` entries,
/// then `checkpoint` (the signed note for `new`) as `DIR/checkpoint`.
pub fn write(
    log: &Log<'_>,
    dir: &Path,
    old: u64,
    new: u64,
    checkpoint: &[u8],
) -> Result<usize, TileDirError> {
    let changed = tiles::tiles_changed(old, new);
    for t in &changed {
        let bytes = log.tile(t)?;
        let path = dir.join(t.path());
        let io = |source| TileDirError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        files::write_atomic(&path, &bytes, false, false).map_err(io)?;
    }
    let cp = dir.join("checkpoint");
    std::fs::create_dir_all(dir).map_err(|source| TileDirError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    files::write_atomic(&cp, checkpoint, false, false).map_err(|source| TileDirError::Io {
        path: cp.display().to_string(),
        source,
    })?;
    Ok(changed.len())
}
