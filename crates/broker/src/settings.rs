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

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
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
    /// Creating the user data directory failed.
    #[error("create {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
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
}

/// The settings file of one user data directory.
#[derive(Debug)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    /// The store in `dir` (created if missing). Temporary files left by a
    /// writer that died mid-save are removed: they are never the truth.
    pub fn open(dir: &Path) -> Result<SettingsStore, SettingsError> {
        fs::create_dir_all(dir).map_err(|source| SettingsError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
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
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the settings. A file that does not parse (or is absurdly
    /// large) is renamed to `settings.json.corrupt-<unix time>` and
    /// defaults are returned.
    pub fn load(&self) -> Result<(Settings, Loaded), SettingsError> {
        let bytes = match fs::File::open(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Settings::default(), Loaded::Missing))
            }
            Err(source) => {
                return Err(SettingsError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
            Ok(f) => {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(f, MAX_FILE_BYTES + 1),
                    &mut buf,
                )
                .map_err(|source| SettingsError::Read {
                    path: self.path.clone(),
                    source,
                })?;
                buf
            }
        };
        let parsed = (bytes.len() as u64 <= MAX_FILE_BYTES)
            .then(|| serde_json::from_slice::<Settings>(&bytes).ok())
            .flatten();
        match parsed {
            Some(settings) => Ok((settings, Loaded::Valid)),
            None => {
                let stamp = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                let aside = self
                    .path
                    .with_file_name(format!("{FILE_NAME}.corrupt-{stamp}"));
                fs::rename(&self.path, &aside).map_err(|source| SettingsError::MoveAside {
                    path: self.path.clone(),
                    source,
                })?;
                Ok((Settings::default(), Loaded::MovedAside(aside)))
            }
        }
    }

    /// Writes `settings` atomically: temporary file, fsync, rename, fsync
    /// of the directory. A crash at any point leaves either the old file or
    /// the new one, never a mix.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let json = serde_json::to_vec_pretty(settings).map_err(SettingsError::Encode)?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".{FILE_NAME}.tmp-{}", std::process::id()));
        let write = |path: &Path| -> std::io::Result<()> {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)?;
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()
        };
        write(&tmp).map_err(|source| SettingsError::Write {
            path: tmp.clone(),
            source,
        })?;
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

/// Settings plus the debounce timer: the driver's view.
#[derive(Debug)]
pub struct Keeper {
    store: Option<SettingsStore>,
    settings: Settings,
    save_at: Option<Instant>,
}

impl Keeper {
    /// A keeper writing to `store` (or nowhere, for tests and `--headless`
    /// without a data directory).
    pub fn new(store: Option<SettingsStore>, settings: Settings) -> Keeper {
        Keeper {
            store,
            settings,
            save_at: None,
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
        self.settings
            .windows
            .insert(role.as_str().to_owned(), placement);
        self.save_at = Some(now + DEBOUNCE);
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
        if let Some(store) = &self.store {
            match store.save(&self.settings) {
                Ok(()) => tracing::debug!(path = %store.path().display(), "settings saved"),
                Err(e) => tracing::error!(error = %e, "could not save settings"),
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
}
