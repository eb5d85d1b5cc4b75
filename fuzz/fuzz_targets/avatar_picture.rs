//! Fuzzes the avatar loading path: the bytes of an avatar file through
//! [`decode_picture_bytes`], the decode that `decode_picture` (and so the element's `avatar`
//! property) runs once it has read the file. Seed corpus: `corpus/avatar_picture/`, made from
//! real avatars by `cargo test --test avatar_pictures -- --ignored write_fuzz_corpus`.
//!
//! The contract: no panic escapes (libFuzzer reports one as a crash), and an `Ok` picture has an
//! even width and height, no side over `MAX_AVATAR_SIDE`, no more than `MAX_AVATAR_PIXELS`
//! before the padding to even (at most one column and one row), and a buffer of exactly 3 bytes
//! a pixel. Errors are fine; each must name the file.
#![no_main]

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use gstfacereenact::avatar::{decode_picture_bytes, MAX_AVATAR_PIXELS, MAX_AVATAR_SIDE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // libfuzzer-sys's hook aborts at any panic, even one that `decode_picture_bytes` catches
        // and turns into an error (a decoder's panic on corrupt data). This one only prints each
        // panic location once; a panic that escapes still aborts (libfuzzer-sys's own
        // `catch_unwind` around this target), which libFuzzer reports as a crash.
        static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
        std::panic::set_hook(Box::new(|info| {
            let at = info.location().map(|l| l.to_string()).unwrap_or_default();
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            if seen.get_or_insert_with(HashSet::new).insert(at) {
                eprintln!("[avatar_picture] panic (shown once per location): {info}");
            }
        }));
    },
    |data: &[u8]| {
        // No extension: the format comes from the bytes' signature, as for a real avatar file.
        let name = Path::new("fuzz-avatar");
        match decode_picture_bytes(data, name) {
            Ok(img) => {
                let (w, h) = img.dimensions();
                assert!(w % 2 == 0 && h % 2 == 0, "odd size {w}x{h}");
                assert!(w <= MAX_AVATAR_SIDE && h <= MAX_AVATAR_SIDE, "{w}x{h} over the side limit");
                let (sw, sh) = (u64::from(w.saturating_sub(1)), u64::from(h.saturating_sub(1)));
                assert!(sw * sh <= MAX_AVATAR_PIXELS, "{w}x{h} over the area limit");
                assert_eq!(img.as_raw().len() as u64, u64::from(w) * u64::from(h) * 3, "{w}x{h}");
            }
            Err(e) => assert!(e.to_string().contains("fuzz-avatar"), "error without the file: {e}"),
        }
    }
);
