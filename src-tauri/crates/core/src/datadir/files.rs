//! Writing files so that a failure never leaves half of one under the name asked for:
//! written under a temporary name beside the destination, synced, then renamed; an existing
//! destination is refused unless overwriting was asked for. Every export, archive and deck
//! or template file written out goes through here.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{CoreError, Result};

/// Copy buffer: large enough to be fast, small enough that memory stays flat.
pub(crate) const COPY_BUF: usize = 256 * 1024;

/// A file being written under a temporary name beside its destination.
pub(crate) struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    overwrite: bool,
    file: Option<File>,
    committed: bool,
}

/// `.NAME.UUID.partial` beside `dest` (hidden; never clashes; any name works, Korean or emoji).
pub(crate) fn temp_beside(dest: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(dest.file_name().unwrap_or_default());
    name.push(format!(".{}.partial", uuid::Uuid::now_v7().simple()));
    dest.with_file_name(name)
}

/// What an existing destination is, when it is not a regular file.
fn not_a_file(t: std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    if t.is_symlink() {
        Some("a symbolic link")
    } else if t.is_file() {
        None
    } else {
        Some("not a file")
    }
}

/// The one check before anything is written under a name the user chose (the CLI's
/// `--overwrite` and the window's save dialogs alike): a new name is fine; an existing
/// regular file only when overwriting was asked for; a folder, link, device, FIFO or
/// socket never (the link is neither followed nor replaced).
pub(crate) fn refuse_existing(dest: &Path, overwrite: bool) -> Result<()> {
    match std::fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => Err(CoreError::DestinationExists { path: dest.to_path_buf() }),
        Ok(m) => match not_a_file(m.file_type()) {
            Some(what) => Err(CoreError::NotARegularFile { path: dest.to_path_buf(), what }),
            None if !overwrite => Err(CoreError::DestinationExists { path: dest.to_path_buf() }),
            None => Ok(()),
        },
        Err(_) => Ok(()),
    }
}

/// The folder a destination will be written into must exist (it is not created: a typo
/// should not make folders).
pub(crate) fn check_parent(dest: &Path) -> Result<()> {
    if dest.file_name().is_none() {
        return Err(CoreError::io("write to", dest, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name")));
    }
    match dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) if !p.is_dir() => Err(CoreError::io("write to", p, std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"))),
        _ => Ok(()),
    }
}

impl AtomicFile {
    pub(crate) fn create(dest: &Path, overwrite: bool) -> Result<Self> {
        check_parent(dest)?;
        refuse_existing(dest, overwrite)?;
        let tmp = temp_beside(dest);
        let file = File::options().write(true).create_new(true).open(&tmp).map_err(|e| CoreError::io("write", dest, e))?;
        Ok(AtomicFile { tmp, dest: dest.to_path_buf(), overwrite, file: Some(file), committed: false })
    }

    /// The temporary name it is written under until `commit`.
    pub(crate) fn temp_path(&self) -> &Path {
        &self.tmp
    }

    pub(crate) fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("open until committed")
    }

    /// Syncs and renames into place.
    pub(crate) fn commit(mut self) -> Result<PathBuf> {
        let file = self.file.take().expect("open until committed");
        file.sync_all().map_err(|e| CoreError::io("write", &self.dest, e))?;
        drop(file);
        refuse_existing(&self.dest, self.overwrite)?;
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| CoreError::io("write", &self.dest, e))?;
        self.committed = true;
        sync_parent(&self.dest);
        Ok(self.dest.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Makes a rename durable (the folder's entry). Best effort: not every platform can.
pub(crate) fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Copies `from` into `to`, returning the bytes copied; `also` sees every chunk (hashing).
pub(crate) fn copy_stream(from: &mut impl Read, to: &mut impl Write, mut also: impl FnMut(&[u8])) -> std::io::Result<u64> {
    let mut buf = vec![0u8; COPY_BUF];
    let mut n = 0u64;
    loop {
        let k = match from.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        also(&buf[..k]);
        to.write_all(&buf[..k])?;
        n += k as u64;
    }
}
