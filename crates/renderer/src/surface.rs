//! The surface the renderer paints into: the broker's shared memory plus a
//! local canvas.
//!
//! The widget kit paints into a private RGBA canvas; only the damaged
//! rectangle is converted into the shared 0RGB buffer, and only while no
//! frame is in flight (the broker reads the buffer between `FrameReady` and
//! `FrameAck`).

use ipc_channel::ipc::IpcSharedMemory;
use thiserror::Error;
use workshop_transport::surface::{surface_bytes, SurfaceHandle};
use workshop_ui::{Canvas, PxRect};

/// Why a surface from the broker cannot be used.
#[derive(Debug, Error)]
pub enum SurfaceError {
    /// The handle does not match the control message.
    #[error("surface {got} arrived, {expected} announced")]
    Mismatch {
        /// Announced generation.
        expected: u32,
        /// Received generation.
        got: u32,
    },
    /// The shared memory is not `width × height × 4` bytes.
    #[error("surface of {len} bytes for {width}×{height}")]
    WrongSize {
        /// Its length.
        len: usize,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The mapping is not aligned for `u32` pixels.
    #[error("surface mapping not aligned")]
    Unaligned,
    /// The canvas could not be created.
    #[error("canvas: {0}")]
    Canvas(String),
}

/// The current surface.
pub struct Surface {
    /// Its generation.
    pub generation: u32,
    /// Width, physical pixels.
    pub width: u32,
    /// Height, physical pixels.
    pub height: u32,
    /// Scale factor.
    pub scale: f32,
    shm: IpcSharedMemory,
    /// What the widgets paint into.
    pub canvas: Canvas,
}

impl std::fmt::Debug for Surface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Surface")
            .field("generation", &self.generation)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

impl Surface {
    /// Checks `handle` against the announced size and builds the canvas.
    pub fn new(
        handle: SurfaceHandle,
        width: u32,
        height: u32,
        scale: f32,
    ) -> Result<Surface, SurfaceError> {
        let expected = surface_bytes(width, height);
        if handle.width != width || handle.height != height || expected != Some(handle.pixels.len())
        {
            return Err(SurfaceError::WrongSize {
                len: handle.pixels.len(),
                width,
                height,
            });
        }
        let canvas =
            Canvas::new(width, height, scale).map_err(|e| SurfaceError::Canvas(e.to_string()))?;
        Ok(Surface {
            generation: handle.generation,
            width,
            height,
            scale,
            shm: handle.pixels,
            canvas,
        })
    }

    /// Copies `damage` of the canvas into the shared buffer.
    pub fn publish(&mut self, damage: PxRect) -> Result<(), SurfaceError> {
        // SAFETY: by the frame protocol the broker does not read this
        // memory until we send FrameReady, and we never write it while a
        // frame is in flight (the runtime checks before painting); this is
        // the only mutable view of it in this process.
        let bytes = unsafe { self.shm.deref_mut() };
        // SAFETY: any bit pattern is a valid u32; the mapping is page
        // aligned, which the empty prefix check below confirms.
        let (prefix, pixels, _) = unsafe { bytes.align_to_mut::<u32>() };
        if !prefix.is_empty() {
            return Err(SurfaceError::Unaligned);
        }
        self.canvas.copy_to_0rgb(damage, pixels, self.width);
        Ok(())
    }
}
