//! `settings.json`: window positions that are never lost.
//!
//! Lives in the user data directory (`$XDG_CONFIG_HOME/workshop`, or
//! `--user-data-dir`). Each window's position is stored with the display it
//! was on, as the original's `Window.ts` does, and restored only when that
//! display still exists. Writes are atomic (a temporary file in the same
//! directory, written, fsynced, renamed over the old one, directory
//! fsynced), debounced while a window moves and flushed on exit. A file that
//! does not parse is moved aside under a new name and reported, never
//! silently overwritten.
//!
//! Forward-compatible: a file written by a newer build keeps what this one
//! does not understand. Unknown keys (at the top and inside each window's
//! entry) are kept from the file as read and merged under what this build
//! writes; a file whose `version` is newer than [`VERSION`] is read for
//! what this build understands and never written (logged once). Tidy:
//! temporary files of a writer that died mid-save are removed at start, and
//! at most [`CORRUPT_KEPT`] corrupt copies are kept (the newest).
//!
//! Nothing planted in the directory is followed or waited on: the directory
//! is private ([`crate::private`]); `settings.json` is opened with
//! `O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC` and read only if `fstat` says it is a
//! regular file (a symlink, FIFO or device is reported and moved aside like
//! a corrupt file, so start-up never blocks on it); the temporary file is
//! created with `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600 (set again with
//! `fchmod`, whatever the umask), so a name someone planted is never
//! written through: the save tries the next name.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use workshop_common::geometry::Position;
use workshop_common::Role;

/// The file name inside the user data directory.
pub const FILE_NAME: &str = "settings.json";
/// How long a window must stay still before its position is written.
pub const DEBOUNCE: Duration = Duration::from_millis(500);
/// The format version written.
pub const VERSION: u32 = 1;
/// Largest settings file read (anything bigger is treated as corrupt).
pub const MAX_FILE_BYTES: u64 = 64 * 1024;
/// How many `settings.json.corrupt-*` copies are kept (the newest).
pub const CORRUPT_KEPT: usize = 3;
/// How many temporary names a save tries before it gives up (each one
/// taken means something already sits at that name).
pub const TEMP_ATTEMPTS: u32 = 16;

/// A display (monitor) as the window system names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Display {
    /// The monitor's name, when the platform gives one.
    pub name: Option<String>,
    /// Left edge on the virtual desktop, physical pixels.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Where a window was, and on which display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Outer top-left corner, physical pixels.
    pub x: i32,
    /// Outer top-left corner, physical pixels.
    pub y: i32,
    /// The display the window was on.
    pub display: Display,
}

/// Everything in `settings.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Format version.
    pub version: u32,
    /// Placement per window, keyed by role name (`main`, `login`).
    #[serde(default)]
    pub windows: BTreeMap<String, Placement>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            version: VERSION,
            windows: BTreeMap::new(),
        }
    }
}

/// Why settings could not be read or written.
#[derive(Debug, Error)]
pub enum SettingsError {
    /// The user data directory could not be created, or is not private.
    #[error("user data directory: {0}")]
    DataDir(#[from] crate::private::PrivateError),
    /// Reading the file failed.
    #[error("read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Moving a corrupt file aside failed.
    #[error("move corrupt {path} aside: {source}")]
    MoveAside {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Every temporary name was already taken.
    #[error("no free temporary name in {dir} after {attempts} attempts")]
    NoTempName {
        /// The directory.
        dir: PathBuf,
        /// How many names were tried.
        attempts: u32,
    },
    /// The temporary file's mode could not be set to 0600.
    #[error("temporary settings file: {0}")]
    TempMode(crate::private::PrivateError),
    /// Writing the temporary file failed.
    #[error("write {path}: {source}")]
    Write {
        /// The temporary file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Replacing the file failed.
    #[error("rename {path}: {source}")]
    Rename {
        /// The destination.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Encoding failed.
    #[error("encode settings: {0}")]
    Encode(serde_json::Error),
}

/// What loading found.
#[derive(Debug, PartialEq, Eq)]
pub enum Loaded {
    /// No file yet.
    Missing,
    /// A valid file.
    Valid,
    /// A corrupt file, now at this path.
    MovedAside(PathBuf),
    /// A file from a newer build (its `version`): read for what this
    /// build understands; it must not be written.
    Newer(u64),
}

/// The settings file of one user data directory.
#[derive(Debug)]
pub struct SettingsStore {
    path: PathBuf,
    /// The file's JSON object as last read or written: what this build
    /// does not understand is kept from it.
    base: RefCell<serde_json::Map<String, serde_json::Value>>,
}

impl SettingsStore {
    /// The store in `dir` (created if missing). Temporary files left by a
    /// writer that died mid-save are removed: they are never the truth.
    pub fn open(dir: &Path) -> Result<SettingsStore, SettingsError> {
        crate::private::ensure_dir(dir)?;
        if let Ok(entries) = fs::read_dir(dir) {
            let prefix = format!(".{FILE_NAME}.tmp-");
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(SettingsStore {
            path: dir.join(FILE_NAME),
            base: RefCell::new(serde_json::Map::new()),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the settings. A file that does not parse (or is absurdly
    /// large, or is not a regular file) is renamed to
    /// `settings.json.corrupt-<unix time>` and defaults are returned.
    pub fn load(&self) -> Result<(Settings, Loaded), SettingsError> {
        let read_err = |source| SettingsError::Read {
            path: self.path.clone(),
            source,
        };
        // No symlink followed, no wait for a FIFO's writer.
        let file = match fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&self.path)
        {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Settings::default(), Loaded::Missing))
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return self.move_aside("a symbolic link");
            }
            Err(source) => return Err(read_err(source)),
            Ok(f) => f,
        };
        let kind = file.metadata().map_err(read_err)?.file_type();
        if !kind.is_file() {
            return self.move_aside(describe(kind));
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_FILE_BYTES + 1),
            &mut bytes,
        )
        .map_err(read_err)?;
        let object = (bytes.len() as u64 <= MAX_FILE_BYTES)
            .then(|| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .flatten()
            .and_then(|v| match v {
                serde_json::Value::Object(map) => Some(map),
                _ => None,
            });
        let Some(object) = object else {
            return self.move_aside("not valid settings");
        };
        let version = object.get("version").and_then(serde_json::Value::as_u64);
        if let Some(v) = version.filter(|&v| v > u64::from(VERSION)) {
            // Not ours to judge, nor to overwrite: what we understand, or
            // defaults.
            let settings = understood(&object).unwrap_or_default();
            return Ok((settings, Loaded::Newer(v)));
        }
        match understood(&object) {
            Some(settings) => {
                *self.base.borrow_mut() = object;
                Ok((settings, Loaded::Valid))
            }
            None => self.move_aside("not valid settings"),
        }
    }

    /// Removes all but the newest [`CORRUPT_KEPT`] corrupt copies; returns
    /// how many were removed.
    pub fn prune_corrupt(&self) -> usize {
        let Some(dir) = self.path.parent() else {
            return 0;
        };
        let prefix = format!("{FILE_NAME}.corrupt-");
        let Ok(entries) = fs::read_dir(dir) else {
            return 0;
        };
        let mut copies: Vec<(u128, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name();
                let stamp = name.to_str()?.strip_prefix(&prefix)?.parse().ok()?;
                Some((stamp, e.path()))
            })
            .collect();
        copies.sort();
        let excess = copies.len().saturating_sub(CORRUPT_KEPT);
        copies
            .iter()
            .take(excess)
            .filter(|(_, p)| fs::remove_file(p).is_ok())
            .count()
    }

    /// Renames the file (whatever it is) out of the way; defaults are used.
    fn move_aside(&self, what: &str) -> Result<(Settings, Loaded), SettingsError> {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let aside = self
            .path
            .with_file_name(format!("{FILE_NAME}.corrupt-{stamp}"));
        tracing::warn!(path = %self.path.display(), found = what, "settings file unusable; moving it aside");
        fs::rename(&self.path, &aside).map_err(|source| SettingsError::MoveAside {
            path: self.path.clone(),
            source,
        })?;
        let removed = self.prune_corrupt();
        if removed > 0 {
            tracing::warn!(
                removed,
                kept = CORRUPT_KEPT,
                "removed older corrupt settings copies; the newest are kept"
            );
        }
        Ok((Settings::default(), Loaded::MovedAside(aside)))
    }

    /// The temporary file name of save attempt `attempt` (the first is
    /// `.settings.json.tmp-<pid>`, as a reader of the directory expects).
    pub fn temp_path(&self, attempt: u32) -> PathBuf {
        let pid = std::process::id();
        let name = match attempt {
            0 => format!(".{FILE_NAME}.tmp-{pid}"),
            n => format!(".{FILE_NAME}.tmp-{pid}-{n}"),
        };
        self.path.with_file_name(name)
    }

    /// Writes `settings` atomically: temporary file, fsync, rename, fsync
    /// of the directory. A crash at any point leaves either the old file or
    /// the new one, never a mix.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let merged = merge(&self.base.borrow(), settings)?;
        let json = serde_json::to_vec_pretty(&merged).map_err(SettingsError::Encode)?;
        self.write(&json)?;
        *self.base.borrow_mut() = merged;
        Ok(())
    }

    /// What [`SettingsStore::save`] would write.
    fn encode(&self, settings: &Settings) -> Result<Vec<u8>, SettingsError> {
        let merged = merge(&self.base.borrow(), settings)?;
        serde_json::to_vec_pretty(&merged).map_err(SettingsError::Encode)
    }

    /// Writes `json` atomically.
    fn write(&self, json: &[u8]) -> Result<(), SettingsError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let (tmp, mut f) = self.create_temp(dir)?;
        let write = |f: &mut fs::File| -> std::io::Result<()> {
            f.write_all(json)?;
            f.write_all(b"\n")?;
            f.sync_all()
        };
        if let Err(source) = write(&mut f) {
            let _ = fs::remove_file(&tmp);
            return Err(SettingsError::Write { path: tmp, source });
        }
        drop(f);
        fs::rename(&tmp, &self.path).map_err(|source| SettingsError::Rename {
            path: self.path.clone(),
            source,
        })?;
        // Make the rename itself durable.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Creates a new temporary file, exclusively: a name already taken (by
    /// a planted symlink, say) is never opened, the next one is tried.
    fn create_temp(&self, dir: &Path) -> Result<(PathBuf, fs::File), SettingsError> {
        for attempt in 0..TEMP_ATTEMPTS {
            let tmp = self.temp_path(attempt);
            let opened = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(crate::private::FILE_MODE)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&tmp);
            match opened {
                Ok(f) => {
                    // The umask may have narrowed the mode; make it exact.
                    if let Err(e) = crate::private::set_mode(&f, &tmp, crate::private::FILE_MODE) {
                        let _ = fs::remove_file(&tmp);
                        return Err(SettingsError::TempMode(e));
                    }
                    return Ok((tmp, f));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    tracing::warn!(path = %tmp.display(), "something already exists at the temporary settings name; not touching it, trying another");
                }
                Err(source) => return Err(SettingsError::Write { path: tmp, source }),
            }
        }
        Err(SettingsError::NoTempName {
            dir: dir.to_path_buf(),
            attempts: TEMP_ATTEMPTS,
        })
    }
}

/// What this build understands of a settings object: its `version` and
/// each window entry that is a placement (an entry of another shape, a
/// newer build's, is left to [`merge`] to keep). `None`: not settings at
/// all (no version, or `windows` not an object).
fn understood(object: &serde_json::Map<String, serde_json::Value>) -> Option<Settings> {
    let version = u32::try_from(object.get("version")?.as_u64()?).ok()?;
    let windows = match object.get("windows") {
        None => BTreeMap::new(),
        Some(serde_json::Value::Object(entries)) => entries
            .iter()
            .filter_map(|(role, entry)| {
                let placement = Placement::deserialize(entry).ok()?;
                Some((role.clone(), placement))
            })
            .collect(),
        Some(_) => return None,
    };
    Some(Settings { version, windows })
}

/// `settings` written over `base`: this build's keys replace theirs, every
/// other key (top level and inside each window's entry) is kept.
fn merge(
    base: &serde_json::Map<String, serde_json::Value>,
    settings: &Settings,
) -> Result<serde_json::Map<String, serde_json::Value>, SettingsError> {
    use serde_json::Value;
    let ours = match serde_json::to_value(settings).map_err(SettingsError::Encode)? {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let mut out = base.clone();
    for (key, value) in ours {
        match (key.as_str(), value, out.get_mut(&key)) {
            ("windows", Value::Object(windows), Some(Value::Object(theirs))) => {
                // Windows this build no longer knows about are dropped only
                // if it never had them; their extra fields survive.
                let mut merged = serde_json::Map::new();
                for (role, entry) in windows {
                    let entry = match (entry, theirs.get(&role)) {
                        (Value::Object(mine), Some(Value::Object(old))) => {
                            let mut e = old.clone();
                            e.extend(mine);
                            Value::Object(e)
                        }
                        (mine, _) => mine,
                    };
                    merged.insert(role, entry);
                }
                for (role, entry) in theirs.iter() {
                    merged.entry(role.clone()).or_insert_with(|| entry.clone());
                }
                *theirs = merged;
            }
            (_, value, _) => {
                out.insert(key, value);
            }
        }
    }
    Ok(out)
}

/// What a non-regular file is, for the report.
fn describe(kind: fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Where window `role` should open: its saved position if the display it was
/// on still exists (same name and geometry), otherwise `None` (default).
pub fn restore(settings: &Settings, role: Role, displays: &[Display]) -> Option<Position> {
    let saved = settings.windows.get(role.as_str())?;
    displays.contains(&saved.display).then_some(Position {
        x: saved.x,
        y: saved.y,
    })
}

/// The pending save, encoded, for [`rescue`]: the one place that may have
/// to write settings without the driver (the display connection died under
/// it, inside an Xlib call that will not return).
static RESCUE: Mutex<Option<(PathBuf, Vec<u8>)>> = Mutex::new(None);

/// Writes the pending save staged by a keeper with
/// [`Keeper::stage_for_rescue`] on, if there is one. Never blocks: if the
/// staging lock is held, nothing is written.
pub fn rescue() -> bool {
    let Ok(mut staged) = RESCUE.try_lock() else {
        return false;
    };
    let Some((path, json)) = staged.take() else {
        return false;
    };
    let store = SettingsStore {
        path,
        base: RefCell::new(serde_json::Map::new()),
    };
    store.write(&json).is_ok()
}

/// Settings plus the debounce timer: the driver's view.
#[derive(Debug)]
pub struct Keeper {
    store: Option<SettingsStore>,
    settings: Settings,
    save_at: Option<Instant>,
    /// A save has failed (read-only or full directory): said once, then
    /// later failures are debug lines.
    failing: bool,
    /// Every pending save is also staged for [`rescue`].
    rescue: bool,
}

impl Keeper {
    /// A keeper writing to `store` (or nowhere, for tests and `--headless`
    /// without a data directory).
    pub fn new(store: Option<SettingsStore>, settings: Settings) -> Keeper {
        Keeper {
            store,
            settings,
            save_at: None,
            failing: false,
            rescue: false,
        }
    }

    /// Stages every pending save for [`rescue`] from now on (the desktop
    /// shell, whose display may vanish).
    pub fn stage_for_rescue(&mut self) {
        self.rescue = true;
    }

    fn stage(&self, pending: bool) {
        if !self.rescue {
            return;
        }
        let staged = match (&self.store, pending) {
            (Some(store), true) => store
                .encode(&self.settings)
                .ok()
                .map(|json| (store.path().to_path_buf(), json)),
            _ => None,
        };
        if let Ok(mut slot) = RESCUE.lock() {
            *slot = staged;
        }
    }

    /// The current settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Records where `role` is; schedules a write after the debounce.
    pub fn moved(&mut self, now: Instant, role: Role, placement: Placement) {
        if self.settings.windows.get(role.as_str()) == Some(&placement) {
            return;
        }
        tracing::debug!(
            role = role.as_str(),
            x = placement.x,
            y = placement.y,
            "window position to save"
        );
        self.settings
            .windows
            .insert(role.as_str().to_owned(), placement);
        self.save_at = Some(now + DEBOUNCE);
        self.stage(true);
    }

    /// When the pending write is due.
    pub fn deadline(&self) -> Option<Instant> {
        self.save_at
    }

    /// Writes if the debounce has passed.
    pub fn tick(&mut self, now: Instant) {
        if self.save_at.is_some_and(|t| now >= t) {
            self.flush();
        }
    }

    /// Writes now if anything changed.
    pub fn flush(&mut self) {
        if self.save_at.take().is_none() {
            return;
        }
        self.stage(false);
        if let Some(store) = &self.store {
            match store.save(&self.settings) {
                Ok(()) => {
                    if std::mem::take(&mut self.failing) {
                        tracing::info!(path = %store.path().display(), "settings saved again");
                    }
                    tracing::debug!(path = %store.path().display(), "settings saved");
                }
                Err(e) if self.failing => tracing::debug!(error = %e, "could not save settings"),
                Err(e) => {
                    self.failing = true;
                    tracing::error!(error = %e, "could not save settings; window positions will not be saved");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn display() -> Display {
        Display {
            name: Some("DP-1".into()),
            x: 0,
            y: 0,
            width: 1920,
            height: 1080,
        }
    }

    fn placement(x: i32) -> Placement {
        Placement {
            x,
            y: 200,
            display: display(),
        }
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        assert_eq!(
            store.load().unwrap(),
            (Settings::default(), Loaded::Missing)
        );
        let mut s = Settings::default();
        s.windows.insert("main".into(), placement(123));
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap(), (s, Loaded::Valid));
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[test]
    fn restore_only_on_the_same_display() {
        let mut s = Settings::default();
        s.windows.insert("main".into(), placement(300));
        assert_eq!(
            restore(&s, Role::Main, &[display()]),
            Some(Position { x: 300, y: 200 })
        );
        let other = Display {
            name: Some("HDMI-1".into()),
            ..display()
        };
        assert_eq!(restore(&s, Role::Main, &[other]), None);
        assert_eq!(restore(&s, Role::Login, &[display()]), None);
        let resized = Display {
            width: 1280,
            ..display()
        };
        assert_eq!(restore(&s, Role::Main, &[resized]), None);
    }

    #[test]
    fn a_corrupt_file_is_kept_aside_and_defaults_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        fs::write(store.path(), b"{ \"version\": 1, \"windows\": { \"main\": ").unwrap();
        let (s, loaded) = store.load().unwrap();
        assert_eq!(s, Settings::default());
        let Loaded::MovedAside(aside) = loaded else {
            panic!("{loaded:?}")
        };
        assert!(aside
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("settings.json.corrupt-"));
        assert_eq!(
            fs::read(&aside).unwrap(),
            b"{ \"version\": 1, \"windows\": { \"main\": "
        );
        assert!(!store.path().exists());
    }

    #[test]
    fn keeper_debounces_and_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        let path = store.path().to_path_buf();
        let mut k = Keeper::new(Some(store), Settings::default());
        let t = Instant::now();
        k.moved(t, Role::Main, placement(1));
        k.moved(t + Duration::from_millis(100), Role::Main, placement(2));
        k.tick(t + Duration::from_millis(200));
        assert!(!path.exists(), "written while still moving");
        assert_eq!(
            k.deadline(),
            Some(t + Duration::from_millis(100) + DEBOUNCE)
        );
        k.tick(t + Duration::from_millis(100) + DEBOUNCE);
        let saved: Settings = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(saved.windows["main"], placement(2));
        k.moved(t + Duration::from_secs(5), Role::Login, placement(9));
        k.flush();
        let saved: Settings = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(saved.windows["login"], placement(9));
        assert_eq!(k.deadline(), None);
    }

    #[test]
    fn a_planted_symlink_at_the_temp_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let target = elsewhere.path().join("precious");
        fs::write(&target, b"precious").unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        // Planted after `open` (which clears stale temporary files).
        let planted = store.temp_path(0);
        std::os::unix::fs::symlink(&target, &planted).unwrap();
        let mut s = Settings::default();
        s.windows.insert("main".into(), placement(7));
        store.save(&s).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&planted).unwrap().is_symlink());
        assert_eq!(store.load().unwrap(), (s, Loaded::Valid));
        assert!(fs::symlink_metadata(store.path()).unwrap().is_file());
    }

    #[test]
    fn a_symlinked_settings_file_is_moved_aside_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let target = elsewhere.path().join("other.json");
        let mut s = Settings::default();
        s.windows.insert("main".into(), placement(3));
        fs::write(&target, serde_json::to_vec(&s).unwrap()).unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        std::os::unix::fs::symlink(&target, store.path()).unwrap();
        let (loaded, how) = store.load().unwrap();
        assert_eq!(loaded, Settings::default());
        let Loaded::MovedAside(aside) = how else {
            panic!("{how:?}")
        };
        assert!(fs::symlink_metadata(&aside).unwrap().is_symlink());
        // The next save writes a regular file, never through the link.
        store.save(&Settings::default()).unwrap();
        assert_eq!(
            serde_json::from_slice::<Settings>(&fs::read(&target).unwrap()).unwrap(),
            s
        );
    }

    #[test]
    fn files_are_0600_and_the_directory_0700() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("workshop");
        let store = SettingsStore::open(&dir).unwrap();
        store.save(&Settings::default()).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(store.path()), 0o600);
    }

    #[test]
    fn a_save_with_every_temp_name_taken_reports_and_touches_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        for attempt in 0..TEMP_ATTEMPTS {
            fs::write(store.temp_path(attempt), b"planted").unwrap();
        }
        let err = store.save(&Settings::default()).unwrap_err();
        assert!(
            matches!(
                err,
                SettingsError::NoTempName {
                    attempts: TEMP_ATTEMPTS,
                    ..
                }
            ),
            "{err}"
        );
        assert!(!store.path().exists());
        for attempt in 0..TEMP_ATTEMPTS {
            assert_eq!(fs::read(store.temp_path(attempt)).unwrap(), b"planted");
        }
    }

    #[test]
    fn unknown_keys_survive_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        fs::write(
            store.path(),
            r#"{"version":1,"theme":"dark","windows":{"main":{"x":1,"y":2,"display":{"name":null,"x":0,"y":0,"width":9,"height":9},"maximized":true},"help":{"x":5}}}"#,
        )
        .unwrap();
        let (mut s, how) = store.load().unwrap();
        assert_eq!(how, Loaded::Valid);
        s.windows.get_mut("main").unwrap().x = 40;
        store.save(&s).unwrap();
        let saved: serde_json::Value =
            serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
        assert_eq!(saved["theme"], "dark");
        assert_eq!(saved["windows"]["main"]["x"], 40);
        assert_eq!(saved["windows"]["main"]["maximized"], true);
        assert_eq!(saved["windows"]["help"]["x"], 5);
        assert_eq!(saved["version"], VERSION);
    }

    #[test]
    fn a_newer_version_is_read_and_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let written = r#"{"version":99,"windows":{"main":{"x":1,"y":2,"display":{"name":null,"x":0,"y":0,"width":9,"height":9}}},"new":[1]}"#;
        fs::write(dir.path().join(FILE_NAME), written).unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        let (s, how) = store.load().unwrap();
        assert_eq!(how, Loaded::Newer(99));
        assert_eq!(s.windows["main"].x, 1);
        // One it cannot understand at all is not moved aside either.
        fs::write(store.path(), r#"{"version":100,"windows":[]}"#).unwrap();
        let (s, how) = store.load().unwrap();
        assert_eq!((s, how), (Settings::default(), Loaded::Newer(100)));
        assert_eq!(
            fs::read_to_string(store.path()).unwrap(),
            r#"{"version":100,"windows":[]}"#
        );
    }

    #[test]
    fn stale_temp_files_are_removed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".settings.json.tmp-1234"), b"half").unwrap();
        fs::write(dir.path().join(".settings.json.tmp-1234-3"), b"half").unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        store.save(&Settings::default()).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[test]
    fn only_the_newest_corrupt_copies_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for stamp in [5u64, 100, 7, 60, 9] {
            fs::write(
                dir.path().join(format!("{FILE_NAME}.corrupt-{stamp}")),
                b"x",
            )
            .unwrap();
        }
        let store = SettingsStore::open(dir.path()).unwrap();
        fs::write(store.path(), b"not json").unwrap();
        let (_, how) = store.load().unwrap();
        let Loaded::MovedAside(newest) = how else {
            panic!("{how:?}")
        };
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        left.sort();
        assert_eq!(left.len(), CORRUPT_KEPT, "{left:?}");
        assert!(left.contains(&newest));
        assert!(left.contains(&dir.path().join(format!("{FILE_NAME}.corrupt-100"))));
        assert!(left.contains(&dir.path().join(format!("{FILE_NAME}.corrupt-60"))));
    }

    #[test]
    fn a_failing_save_is_said_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::open(dir.path()).unwrap();
        for attempt in 0..TEMP_ATTEMPTS {
            fs::write(store.temp_path(attempt), b"planted").unwrap();
        }
        let mut k = Keeper::new(Some(store), Settings::default());
        let t = Instant::now();
        k.moved(t, Role::Main, placement(1));
        k.flush();
        assert!(k.failing);
        k.moved(t, Role::Main, placement(2));
        k.flush();
        assert!(k.failing, "still failing, not said again");
    }
}
