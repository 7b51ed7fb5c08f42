//! The surface the renderer paints into: the broker's shared memory itself.
//!
//! The widget kit paints straight into the shared buffer (premultiplied
//! RGBA8, tiny-skia's layout), only while no frame is in flight: the broker
//! reads the buffer between `FrameReady` and `FrameAck`, converting the
//! damaged rectangle to the window's pixel format as it copies. No private
//! canvas, no second pass over the pixels.

use ipc_channel::ipc::IpcSharedMemory;
use thiserror::Error;
use workshop_transport::surface::{surface_bytes, SurfaceHandle};
use workshop_ui::{Canvas, PixelStore};

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
    /// The canvas could not be created.
    #[error("canvas: {0}")]
    Canvas(String),
}

/// The shared memory as the widget kit's pixel store.
struct SharedPixels(IpcSharedMemory);

impl PixelStore for SharedPixels {
    fn bytes(&self) -> &[u8] {
        &self.0
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: this is the only handle to the mapping in this process
        // (the surface handle was moved in, never cloned), so no other
        // reference to these bytes exists while this one lives. The broker
        // reads them only between our FrameReady and its FrameAck, and the
        // runtime never paints while a frame is in flight.
        unsafe { self.0.deref_mut() }
    }
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
    /// What the widgets paint into: the shared memory.
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
    /// Checks `handle` against the announced size and paints into it.
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
            Canvas::with_store(Box::new(SharedPixels(handle.pixels)), width, height, scale)
                .map_err(|e| SurfaceError::Canvas(e.to_string()))?;
        Ok(Surface {
            generation: handle.generation,
            width,
            height,
            scale,
            canvas,
        })
    }
}
