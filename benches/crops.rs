//! Micro-benchmark of the model crops (`Roi::crop_into`): nanoseconds per output sample (one RGB
//! pixel of the tensor) of the 192x192 landmark crop and a 64x64 eye crop, for the layouts the
//! element reads (packed RGBx / RGB, I420, NV12) and an RGB picture (the throughput floor's path).
//!
//!     cargo bench --bench crops
//!
//! Synthetic frames (pseudo-random bytes); crops placed as on a face: inside the picture, rotated;
//! one partly outside (through the clamping path). Not a test: it prints figures only.

use std::time::Instant;

use gstfacereenact::face::Roi;
use gstfacereenact::video::{FrameView, Layout, RgbSource, YuvMatrix};
use image::RgbImage;

/// Pseudo-random bytes (a fixed LCG).
fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 24) as u8
        })
        .collect()
}

/// Nanoseconds per output sample of `roi` cut at `n`x`n` from `img`: the best of 7 passes of
/// enough crops for about 2.5 million samples each (so a busy machine shows in the spread).
fn time(name: &str, img: &(impl RgbSource + ?Sized), roi: &Roi, n: usize) {
    let mut out = vec![0.0f32; n * n * 3];
    let reps = (2_500_000 / (n * n)).max(1);
    let mut all = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..reps {
            roi.crop_into(img, 1.0, n, 0.0, 1.0, &mut out);
            std::hint::black_box(&mut out);
        }
        all.push(t.elapsed().as_secs_f64() * 1e9 / (reps * n * n) as f64);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "{name:<40} {:>6.2} ns/sample (best of 7; median {:.2}), {:>7.1} us per crop",
        all[0],
        all[3],
        all[0] * (n * n) as f64 / 1e3
    );
}

fn main() {
    let face_512 = Roi {
        cx: 256.0,
        cy: 240.0,
        size: 300.0,
        angle: 0.15,
    };
    let face_720 = Roi {
        cx: 640.0,
        cy: 360.0,
        size: 420.0,
        angle: 0.15,
    };
    let edge_512 = Roi {
        cx: 60.0,
        cy: 80.0,
        size: 300.0,
        angle: -0.3,
    };
    let eye_512 = Roi {
        cx: 200.0,
        cy: 200.0,
        size: 70.0,
        angle: 0.1,
    };

    let rgbx = noise(512 * 512 * 4, 1);
    let rgbx_layout = Layout::Packed {
        pixel_stride: 4,
        offsets: [0, 1, 2],
    };
    let rgbx = FrameView::new(512, 512, rgbx_layout, &[(&rgbx, 512 * 4)]).unwrap();
    let bgr = noise(512 * 512 * 3, 2);
    let bgr_layout = Layout::Packed {
        pixel_stride: 3,
        offsets: [2, 1, 0],
    };
    let bgr = FrameView::new(512, 512, bgr_layout, &[(&bgr, 512 * 3)]).unwrap();
    let picture = RgbImage::from_raw(512, 512, noise(512 * 512 * 3, 3)).unwrap();
    let (luma, u, v) = (
        noise(1280 * 720, 4),
        noise(640 * 360, 5),
        noise(640 * 360, 6),
    );
    let uv = noise(1280 * 360, 7);
    let m = YuvMatrix::BT709;
    let i420 = FrameView::new(
        1280,
        720,
        Layout::I420(m),
        &[(&luma, 1280), (&u, 640), (&v, 640)],
    )
    .unwrap();
    let nv12 = FrameView::new(1280, 720, Layout::Nv12(m), &[(&luma, 1280), (&uv, 1280)]).unwrap();

    time("192x192, RGBx 512x512", &rgbx, &face_512, 192);
    time("192x192, BGR 512x512", &bgr, &face_512, 192);
    time("192x192, RgbImage 512x512", &picture, &face_512, 192);
    time("192x192, I420 1280x720", &i420, &face_720, 192);
    time("192x192, NV12 1280x720", &nv12, &face_720, 192);
    time(
        "192x192, RGBx 512x512, partly outside",
        &rgbx,
        &edge_512,
        192,
    );
    time("64x64 eye, RGBx 512x512", &rgbx, &eye_512, 64);
}
