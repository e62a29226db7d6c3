//! Small, careful file operations: atomic replacement and private files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file in the same folder,
/// flushed to disk, then renamed over the target, then the folder synced.
/// With `private`, the file is created readable by its owner only (0600).
/// With `create_new`, fails if `path` already exists (nothing is overwritten).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool, create_new: bool) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    if create_new && path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", path.display()),
        ));
    }
    // The temporary file: a random name, created only if nothing is there
    // (O_CREAT|O_EXCL, which also refuses a symbolic link planted there).
    // A predictable name could be prepared by anyone who can write to the
    // folder; a collision with a random one is retried.
    let mut attempt = 0;
    let (tmp, mut f) = loop {
        let mut rnd = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut rnd);
        let hex: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = dir.join(format!(".{}.tmp-{hex}", name.to_string_lossy()));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if private { 0o600 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = private;
        match opts.open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 3 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        if create_new {
            // hard_link fails if the target exists, so a concurrent creator is never overwritten.
            fs::hard_link(&tmp, path)?;
            fs::remove_file(&tmp)?;
        } else {
            fs::rename(&tmp, path)?;
        }
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Flushes a folder's entries to disk (so a rename survives power loss).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Creates a folder (and parents) readable by its owner only.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Someone who can write to the folder plants a symbolic link where the
    /// temporary file would be written (its name was `.NAME.tmp-PID`,
    /// predictable), pointing at a file of theirs or ours: writing the key
    /// must neither follow it nor fail because of it.
    #[test]
    fn a_planted_symbolic_link_at_the_temporary_name_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        fs::write(&victim, b"untouched").unwrap();
        let path = d.path().join("member.key");
        let planted = d
            .path()
            .join(format!(".member.key.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        for create_new in [false, true] {
            let _ = fs::remove_file(&path);
            write_atomic(&path, b"secret", true, create_new).unwrap();
            assert_eq!(fs::read(&path).unwrap(), b"secret");
            assert_eq!(fs::read(&victim).unwrap(), b"untouched");
            assert!(fs::symlink_metadata(&path).unwrap().file_type().is_file());
        }
        // Nothing of ours is left behind: only the planted link, the victim
        // and the file.
        let mut names: Vec<String> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                format!(".member.key.tmp-{}", std::process::id()),
                "member.key".to_owned(),
                "victim".to_owned()
            ]
        );
    }
}
