//! Composing the output frame: the avatar picture, converted once into the output's layout (a
//! [`Canvas`]), copied into each output frame, then the engine's changed rectangle written over
//! it. Only the head region is converted per frame.

use image::RgbImage;

use crate::avatar::AvatarModel;
use crate::engine::ReenactEngine;
use crate::video::write::{write_rect, AlphaOut, Canvas};
use crate::video::{FrameViewMut, PlaneError, Rect};

/// How an alpha (`None`: the avatar has none) is written: as such where the output format
/// carries one (`carried`), else composited over white.
fn alpha_out(alpha: Option<&RgbImage>, carried: bool) -> AlphaOut<'_> {
    match (alpha, carried) {
        (Some(a), true) => AlphaOut::Straight(a),
        (Some(a), false) => AlphaOut::OverWhite(a),
        (None, _) => AlphaOut::Opaque,
    }
}

/// Writes engines' renderings into output frames (see the module docs).
#[derive(Default)]
pub struct OutputComposition {
    /// The avatar picture in the output's layout; `None` after an avatar or format change.
    canvas: Option<Canvas>,
}

impl OutputComposition {
    /// The canvas is stale (another avatar, or another output format or alpha): it is made again
    /// on the next frame.
    pub fn invalidate(&mut self) {
        self.canvas = None;
    }

    /// Writes `engine`'s rendering of `avatar` into `out`; `alpha_carried`: the output format has
    /// an alpha channel (else the alpha is composited over white). A rendering of another size
    /// than `out` (the one frame between an avatar change and renegotiation) is written at the
    /// top-left, black around. Errors: `out`'s planes do not match its layout.
    pub fn compose(
        &mut self,
        out: &mut FrameViewMut<'_>,
        avatar: &AvatarModel,
        engine: &dyn ReenactEngine,
        alpha_carried: bool,
    ) -> Result<(), PlaneError> {
        let (rendering, changed) = engine.output();
        let rendering_alpha = alpha_out(engine.output_alpha(), alpha_carried);
        let (w, h) = out.dimensions();
        if rendering.dimensions() != (w, h) {
            let mut fitted = RgbImage::new(w, h);
            image::imageops::replace(&mut fitted, rendering, 0, 0);
            write_rect(&fitted, AlphaOut::Opaque, Rect::full(w, h), out);
            return Ok(());
        }
        let canvas = match self.canvas.take() {
            Some(c) if c.format() == (w, h, out.layout()) => c,
            _ => Canvas::new(
                &avatar.image,
                alpha_out(avatar.alpha.as_ref(), alpha_carried),
                out.layout(),
            ),
        };
        let copied = canvas.copy_to(out);
        self.canvas = Some(canvas);
        copied?;
        write_rect(rendering, rendering_alpha, changed, out);
        Ok(())
    }
}
