//! The shared-memory surface handle, sent broker → renderer on ipc-channel.
//!
//! The broker allocates each window's pixels (`width × height × 4` bytes of
//! premultiplied RGBA8, the widget kit's layout) and sends the handle; the
//! renderer paints straight into it and announces damage on the control
//! socket; the broker converts the damaged rectangle to softbuffer's 0RGB
//! as it copies it out. Only the broker ever sends
//! on this channel, so the renderer's ipc-channel `recv` trusts its sender,
//! which is the only way ipc-channel's receive path is safe to use.

use ipc_channel::ipc::IpcSharedMemory;
use serde::{Deserialize, Serialize};

/// Bytes per pixel of a surface (RGBA8).
pub const BYTES_PER_PIXEL: usize = 4;

/// A surface's pixels and the generation that names it in control messages.
#[derive(Serialize, Deserialize)]
pub struct SurfaceHandle {
    /// Matches `BrokerToRenderer::Surface { generation, .. }`.
    pub generation: u32,
    /// Width, physical pixels.
    pub width: u32,
    /// Height, physical pixels.
    pub height: u32,
    /// `width × height × 4` bytes.
    pub pixels: IpcSharedMemory,
}

impl std::fmt::Debug for SurfaceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurfaceHandle")
            .field("generation", &self.generation)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.pixels.len())
            .finish()
    }
}

/// The byte length of a `width × height` surface, or `None` on overflow.
pub fn surface_bytes(width: u32, height: u32) -> Option<usize> {
    (width as usize)
        .checked_mul(height as usize)?
        .checked_mul(BYTES_PER_PIXEL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(surface_bytes(400, 400), Some(640_000));
        assert_eq!(surface_bytes(0, 400), Some(0));
        assert_eq!(
            surface_bytes(u32::MAX, u32::MAX).is_some(),
            usize::BITS > 64
        );
    }
}
