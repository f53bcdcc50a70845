//! The `.planning/` files of a project on this machine's disk and in a zip:
//! file I/O the import and export routes need, bounded and without following links.

use agented_roadmaps::MAX_IMPORT_FILES;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bytes a path import may read, at most.
pub const MAX_IMPORT_BYTES: u64 = 5 * 1024 * 1024;

/// Reads the markdown files under a local `.planning/` folder (no symbolic links, bounded).
pub fn read_planning(path: &str) -> Result<BTreeMap<String, String>, String> {
    let root = Path::new(path.trim());
    if !root.is_absolute() {
        return Err("must be an absolute path".into());
    }
    let folder =
        if root.file_name().is_some_and(|n| n == ".planning") { root.to_owned() } else { root.join(".planning") };
    if !folder.is_dir() {
        return Err(format!("{} is not a folder", folder.display()));
    }
    let mut files = BTreeMap::new();
    let mut budget = MAX_IMPORT_BYTES;
    let mut stack: Vec<(PathBuf, usize)> = vec![(folder.clone(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let p = entry.path();
            if kind.is_dir() && depth < 6 {
                stack.push((p, depth + 1));
            } else if kind.is_file() && p.extension().is_some_and(|e| e == "md") {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
                if size > budget || files.len() >= MAX_IMPORT_FILES {
                    return Err(format!("more than {MAX_IMPORT_FILES} files or {MAX_IMPORT_BYTES} bytes of markdown"));
                }
                budget -= size;
                let text = std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                let relative = p.strip_prefix(&folder).map_err(|e| e.to_string())?.to_string_lossy().into_owned();
                files.insert(relative, text);
            }
        }
    }
    if files.is_empty() {
        return Err(format!("{} holds no markdown files", folder.display()));
    }
    Ok(files)
}

/// The files in a zip, each path under `prefix` (`.planning/`, or none).
pub fn zip_files(files: &BTreeMap<String, String>, prefix: &str) -> Result<Vec<u8>, zip::result::ZipError> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (path, text) in files {
        zip.start_file(format!("{prefix}{path}"), options)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
