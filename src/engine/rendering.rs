//! An engine's rendering: the avatar picture with the re-posed head drawn over it, its alpha,
//! and the rectangle where it differs from the avatar's own, kept frame to frame so that a frame
//! restores and redraws only that rectangle. Both engines draw into one ([`super::MeshEngine`]
//! with its mesh, [`super::NeuralEngine`] by pasting its networks' output back); it answers
//! [`super::ReenactEngine::output`] and [`super::ReenactEngine::output_alpha`].

use image::RgbImage;

use crate::avatar::AvatarModel;
use crate::video::Rect;

/// Copies `rect` of `src` into `dst` (same size, 8-bit RGB): the rendering made the avatar
/// picture (or its alpha) again there.
fn copy_rect(src: &RgbImage, dst: &mut RgbImage, rect: Rect) {
    let stride = src.width() as usize * 3;
    let (a, b) = (rect.x0 as usize * 3, rect.x1 as usize * 3);
    let (src, dst): (&[u8], &mut [u8]) = (src, dst);
    for y in rect.y0 as usize..rect.y1 as usize {
        let row = y * stride;
        dst[row + a..row + b].copy_from_slice(&src[row + a..row + b]);
    }
}

/// The avatar picture with what an engine drew over it (8-bit RGB, the avatar's size), the
/// rendering's alpha when the avatar has one ([`AvatarModel::alpha`]: 0 transparent .. 255
/// opaque in each of R, G and B, the same size), and the rectangle outside which both equal the
/// avatar's picture and alpha.
///
/// Empty (0x0, no alpha, nothing changed) until [`Rendering::clear_to`] or
/// [`Rendering::ensure_size`] makes it an avatar's picture.
#[derive(Debug, Clone)]
pub struct Rendering {
    canvas: RgbImage,
    alpha: Option<RgbImage>,
    changed: Rect,
}

impl Default for Rendering {
    fn default() -> Self {
        Rendering::new()
    }
}

impl Rendering {
    /// An empty rendering (no avatar yet).
    pub fn new() -> Self {
        Rendering {
            canvas: RgbImage::new(0, 0),
            alpha: None,
            changed: Rect::default(),
        }
    }

    /// Forgets the avatar (it was replaced): empty again, so that the next
    /// [`Rendering::ensure_size`] copies the new avatar's picture and alpha whole.
    pub fn reset(&mut self) {
        *self = Rendering::new();
    }

    /// Makes the rendering `avatar`'s picture and alpha again: copies back only the changed
    /// rectangle when the canvas (or alpha) already has the avatar's size, else the whole
    /// picture (or alpha). Nothing is changed afterwards.
    pub fn clear_to(&mut self, avatar: &AvatarModel) {
        if self.canvas.dimensions() == avatar.image.dimensions() {
            copy_rect(&avatar.image, &mut self.canvas, self.changed);
        } else {
            self.canvas = avatar.image.clone();
        }
        match (&avatar.alpha, self.alpha.as_mut()) {
            (Some(a), Some(mine)) if mine.dimensions() == a.dimensions() => {
                copy_rect(a, mine, self.changed)
            }
            (a, _) => self.alpha = a.clone(),
        }
        self.changed = Rect::default();
    }

    /// [`Rendering::clear_to`] `avatar` when the canvas has another size than its picture (the
    /// first frame, or the first after [`Rendering::reset`]); else nothing.
    pub fn ensure_size(&mut self, avatar: &AvatarModel) {
        if self.canvas.dimensions() != avatar.image.dimensions() {
            self.clear_to(avatar);
        }
    }

    /// Whether the rendering is the avatar's picture (nothing drawn since it was last cleared).
    pub fn is_clear(&self) -> bool {
        self.changed == Rect::default()
    }

    /// Where the rendering may differ from the avatar's picture and alpha (pixels; empty when it
    /// is clear).
    pub fn changed(&self) -> Rect {
        self.changed
    }

    /// Before drawing `region` again from scratch: restores the avatar's picture (and alpha)
    /// over `region` and what was changed before, which then becomes `region` alone. The caller
    /// draws only inside `region`. `avatar` is the one the rendering was sized for.
    pub fn restore_for(&mut self, avatar: &AvatarModel, region: Rect) {
        let restored = region.union(&self.changed);
        copy_rect(&avatar.image, &mut self.canvas, restored);
        if let (Some(a), Some(mine)) = (&avatar.alpha, self.alpha.as_mut()) {
            copy_rect(a, mine, restored);
        }
        self.changed = region;
    }

    /// After drawing `rect` over what is there (no restore): the changed rectangle grows by it.
    pub fn mark_changed(&mut self, rect: Rect) {
        self.changed = self.changed.union(&rect);
    }

    /// The canvas and the alpha (when the avatar has one) to draw into; what is drawn must lie
    /// inside [`Rendering::changed`] (see [`Rendering::restore_for`] and
    /// [`Rendering::mark_changed`]).
    pub fn split_mut(&mut self) -> (&mut RgbImage, Option<&mut RgbImage>) {
        (&mut self.canvas, self.alpha.as_mut())
    }

    /// The canvas and the changed rectangle ([`super::ReenactEngine::output`]).
    pub fn output(&self) -> (&RgbImage, Rect) {
        (&self.canvas, self.changed)
    }

    /// The alpha when the avatar has one and it has the canvas's size
    /// ([`super::ReenactEngine::output_alpha`]); `None`: the output is opaque.
    pub fn output_alpha(&self) -> Option<&RgbImage> {
        self.alpha
            .as_ref()
            .filter(|a| a.dimensions() == self.canvas.dimensions())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use image::Rgb;

    use super::*;
    use crate::face::FaceLandmarks;

    /// A `w` x `h` avatar of a colour gradient (with an alpha gradient when `alpha`); no face
    /// (the rendering reads no landmarks).
    fn avatar(w: u32, h: u32, shade: u8, alpha: bool) -> AvatarModel {
        let image = RgbImage::from_fn(w, h, |x, y| Rgb([x as u8, y as u8, shade]));
        let landmarks = FaceLandmarks {
            points: Vec::new(),
            presence: 1.0,
        };
        let mut model = AvatarModel::from_parts(Path::new("test.png"), image, landmarks);
        model.alpha = alpha.then(|| RgbImage::from_fn(w, h, |x, _| Rgb([x as u8 ^ shade; 3])));
        model
    }

    /// Draws a flat square at `rect` (colour and alpha), as an engine draws a head.
    fn draw(rendering: &mut Rendering, rect: Rect) {
        let (canvas, mut alpha) = rendering.split_mut();
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                canvas.put_pixel(x, y, Rgb([1, 2, 3]));
                if let Some(a) = alpha.as_deref_mut() {
                    a.put_pixel(x, y, Rgb([7; 3]));
                }
            }
        }
    }

    fn rect(x0: u32, y0: u32, x1: u32, y1: u32) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    #[test]
    fn empty_until_sized_then_the_avatar_picture() {
        let a = avatar(40, 30, 9, true);
        let mut r = Rendering::new();
        assert_eq!(r.output().0.dimensions(), (0, 0));
        assert!(r.output_alpha().is_none());
        r.ensure_size(&a);
        assert_eq!(r.output(), (&a.image, Rect::default()));
        assert_eq!(r.output_alpha(), a.alpha.as_ref());
        assert!(r.is_clear());
    }

    #[test]
    fn cleared_after_drawing_it_is_the_avatar_again_alpha_included() {
        let a = avatar(40, 30, 9, true);
        let mut r = Rendering::new();
        r.ensure_size(&a);
        let drawn = rect(5, 6, 20, 25);
        r.restore_for(&a, drawn);
        draw(&mut r, drawn);
        assert_eq!(r.changed(), drawn);
        assert!(!r.is_clear());
        assert_ne!(r.output().0, &a.image);
        assert_ne!(r.output_alpha(), a.alpha.as_ref());
        // Not resized on a same-size avatar: the drawing stays.
        r.ensure_size(&a);
        assert_ne!(r.output().0, &a.image);
        r.clear_to(&a);
        assert_eq!(r.output(), (&a.image, Rect::default()));
        assert_eq!(r.output_alpha(), a.alpha.as_ref());
    }

    #[test]
    fn a_region_drawn_again_restores_the_last_and_keeps_only_the_new() {
        let a = avatar(40, 30, 9, true);
        let mut r = Rendering::new();
        r.ensure_size(&a);
        draw(&mut r, rect(0, 0, 10, 10));
        r.mark_changed(rect(0, 0, 10, 10));
        let now = rect(20, 20, 30, 30);
        r.restore_for(&a, now);
        draw(&mut r, now);
        assert_eq!(r.changed(), now);
        // Outside the changed rectangle the rendering is the avatar's picture and alpha.
        let (canvas, _) = r.output();
        let alpha = r.output_alpha().unwrap();
        for (x, y, p) in canvas.enumerate_pixels() {
            let inside = (20..30).contains(&x) && (20..30).contains(&y);
            assert_eq!(*p == *a.image.get_pixel(x, y), !inside, "{x},{y}");
            assert_eq!(
                alpha.get_pixel(x, y) == a.alpha.as_ref().unwrap().get_pixel(x, y),
                !inside
            );
        }
        // Pasting over grows the changed rectangle.
        r.mark_changed(rect(0, 0, 5, 5));
        assert_eq!(r.changed(), rect(0, 0, 30, 30));
    }

    #[test]
    fn a_new_avatar_replaces_picture_and_alpha_whatever_their_sizes() {
        let a = avatar(40, 30, 9, true);
        let mut r = Rendering::new();
        r.ensure_size(&a);
        r.restore_for(&a, rect(1, 1, 8, 8));
        draw(&mut r, rect(1, 1, 8, 8));
        // Another size, without alpha: the alpha goes.
        let b = avatar(24, 16, 50, false);
        r.ensure_size(&b);
        assert_eq!(r.output(), (&b.image, Rect::default()));
        assert!(r.output_alpha().is_none());
        // The same size as `a` after a reset: picture and alpha are the new avatar's.
        let c = avatar(40, 30, 200, true);
        r.reset();
        assert!(r.output_alpha().is_none());
        r.ensure_size(&a);
        r.reset();
        r.ensure_size(&c);
        assert_eq!(r.output(), (&c.image, Rect::default()));
        assert_eq!(r.output_alpha(), c.alpha.as_ref());
    }

    #[test]
    fn an_alpha_of_another_size_is_no_output_alpha() {
        let mut a = avatar(40, 30, 9, true);
        a.alpha = Some(RgbImage::new(10, 10));
        let mut r = Rendering::new();
        r.ensure_size(&a);
        assert!(r.output_alpha().is_none());
    }
}
