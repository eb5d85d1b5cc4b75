//! The broadcast overlay pipelines (pipelines/overlay.sh, pipelines/virtual_camera.sh), run as a
//! user would run them: picture-in-picture and cut-out over a programme, recorded to files and
//! sent over SRT and RTMP on 127.0.0.1, and their refusals.

mod common;
mod overlay;

use std::ffi::OsStr;

use common::*;
use image::RgbImage;
use overlay::*;

/// Checks a picture-in-picture frame: outside the box at (x0, y0), `side` pixels plus a border
/// of `border` pixels on each side, the programme unchanged; inside, the avatar (its lower part,
/// away from the moving head), not the programme.
fn check_pip(
    out: &RgbImage,
    programme: &RgbImage,
    (x0, y0): (u32, u32),
    side: u32,
    border: u32,
    what: &str,
) {
    let all = side + 2 * border;
    let inside = |x: u32, y: u32| x >= x0 && x < x0 + all && y >= y0 && y < y0 + all;
    let (x0, y0) = (x0 + border, y0 + border);
    let outside = mean_abs_diff(out, programme, |x, y| !inside(x, y));
    let changed = share_changed(out, programme, |x, y| !inside(x, y));
    let avatar = image::imageops::resize(
        &avatar_rgb(),
        side,
        side,
        image::imageops::FilterType::Triangle,
    );
    let pip = image::imageops::crop_imm(out, x0, y0, side, side).to_image();
    let under = image::imageops::crop_imm(programme, x0, y0, side, side).to_image();
    let lower = |_: u32, y: u32| y > side * 3 / 4;
    let to_avatar = mean_abs_diff(&pip, &avatar, lower);
    let to_programme = mean_abs_diff(&pip, &under, lower);
    println!(
        "{what}: outside the box {outside:.2} from the programme ({:.3} % changed); in it \
         {to_avatar:.2} from the avatar, {to_programme:.2} from the programme",
        100.0 * changed
    );
    assert!(
        outside < 1.0 && changed < 0.002,
        "{what}: outside the box the frame differs from the programme by {outside:.1}, {:.2} % changed",
        100.0 * changed
    );
    assert!(
        to_avatar < 20.0 && to_programme > 3.0 * to_avatar,
        "{what}: the box differs from the avatar by {to_avatar:.1}, from the programme by {to_programme:.1}"
    );
}

#[test]
fn pip_overlay_keeps_the_programme_and_shows_the_avatar_in_the_corner() {
    let programme_file = programme(true);
    let out = tempdir().join("pip.mp4");
    overlay(
        &programme_file,
        &avatars().0,
        out.to_str().unwrap(),
        "pip",
        &[],
    );
    let got = receive(&out);
    let programme = decode(&programme_file);
    // One frame out per frame in, the programme's size, the actor's sound along.
    assert_eq!(got.frames.len(), FRAMES);
    assert_eq!(got.frames[0].dimensions(), (W, H));
    assert!(
        (got.sound_s - SECONDS).abs() < 0.1,
        "{} s of sound",
        got.sound_s
    );
    // The documented defaults: a quarter of the height, bottom-right, a 36th of the height in.
    let (side, margin) = (H / 4, H / 36);
    for i in [15, 75] {
        dump(&got.frames[i], &format!("pip_bright_{i}"));
        check_pip(
            &got.frames[i],
            &programme[i].image,
            (W - margin - side, H - margin - side),
            side,
            0,
            &format!("pip frame {i}"),
        );
    }
}

/// Checks a cut-out frame with the avatar in a box at (x0, y0), `side` pixels: outside the box
/// and where `clear(x, y)` (avatar pixels, 256x256), the programme unchanged; where `solid`, the
/// avatar.
fn check_cutout(
    out: &RgbImage,
    programme: &RgbImage,
    (x0, y0): (u32, u32),
    side: u32,
    clear: impl Fn(f32, f32) -> bool,
    solid: impl Fn(f32, f32) -> bool,
    what: &str,
) {
    let scale = 256.0 / side as f32;
    let in_avatar = |x: u32, y: u32| {
        (x >= x0 && y >= y0 && x < x0 + side && y < y0 + side)
            .then(|| ((x - x0) as f32 * scale, (y - y0) as f32 * scale))
    };
    let clear = |x: u32, y: u32| in_avatar(x, y).is_none_or(|(ax, ay)| clear(ax, ay));
    let head = |x: u32, y: u32| in_avatar(x, y).is_some_and(|(ax, ay)| solid(ax, ay));
    let see_through = mean_abs_diff(out, programme, clear);
    let changed = share_changed(out, programme, clear);
    let avatar = image::imageops::resize(
        &avatar_rgb(),
        side,
        side,
        image::imageops::FilterType::Triangle,
    );
    let mut placed = programme.clone();
    image::imageops::replace(&mut placed, &avatar, x0 as i64, y0 as i64);
    let to_avatar = mean_abs_diff(out, &placed, head);
    let to_programme = mean_abs_diff(out, programme, head);
    println!(
        "{what}: where transparent {see_through:.2} from the programme ({:.3} % changed); on the \
         head {to_avatar:.2} from the avatar, {to_programme:.2} from the programme",
        100.0 * changed
    );
    assert!(
        see_through < 1.0 && changed < 0.002,
        "{what}: where the avatar is transparent the frame differs from the programme by \
         {see_through:.1}, {:.2} % changed: the avatar's background is drawn",
        100.0 * changed
    );
    assert!(
        to_programme > 40.0 && to_programme > 2.5 * to_avatar,
        "{what}: on the head the frame differs from the avatar by {to_avatar:.1}, from the \
         programme by {to_programme:.1}: the head is not drawn"
    );
}

/// Cut-out of the head avatar (alpha=picture) over `bright` or dark programme, top-left, 0.75 of
/// the height, 10 pixels in, recorded to `dest_name` (its extension picks the container).
fn cutout_over(bright: bool, dest_name: &str) {
    let programme_file = programme(bright);
    let out = tempdir().join(dest_name);
    overlay(
        &programme_file,
        &avatars().1,
        out.to_str().unwrap(),
        "cutout",
        &[
            ("OVERLAY_CORNER", "top-left"),
            ("OVERLAY_MARGIN", "10"),
            ("OVERLAY_HEIGHT", "0.75"),
        ],
    );
    let got = receive(&out);
    let programme = decode(&programme_file);
    assert_eq!(got.frames.len(), FRAMES);
    assert_eq!(got.frames[0].dimensions(), (W, H));
    assert!(
        (got.sound_s - SECONDS).abs() < 0.1,
        "{} s of sound",
        got.sound_s
    );
    let side = H * 3 / 4; // 270: even
    let light = if bright { "bright" } else { "dark" };
    for i in [15, 75] {
        dump(&got.frames[i], &format!("cutout_{light}_{i}"));
        // Transparent well outside the head's ellipse (the head moves), opaque well inside.
        check_cutout(
            &got.frames[i],
            &programme[i].image,
            (10, 10),
            side,
            |x, y| head_radius(x, y) > 1.4,
            |x, y| head_radius(x, y) < 0.6,
            &format!("cutout over the {light} programme, frame {i}"),
        );
    }
}

// These two need the element's `alpha` property (alpha=picture).
#[test]
fn cutout_over_a_bright_programme_shows_the_programme_where_the_avatar_is_transparent() {
    cutout_over(true, "cutout_bright.ts");
}

#[test]
fn cutout_over_a_dark_programme_shows_the_programme_where_the_avatar_is_transparent() {
    cutout_over(false, "cutout_dark.mkv");
}

// Needs the element's `alpha` property (alpha=matte) and models/selfie_segmentation.onnx.
#[test]
fn cutout_with_a_matte_removes_the_avatar_pictures_background() {
    let programme_file = programme(false);
    let out = tempdir().join("cutout_matte.mp4");
    overlay(
        &programme_file,
        &avatars().0,
        out.to_str().unwrap(),
        "cutout",
        &[
            ("OVERLAY_ALPHA", "matte"),
            ("OVERLAY_POS", "300,40"),
            ("OVERLAY_HEIGHT", "0.8"),
        ],
    );
    let got = receive(&out);
    let programme = decode(&programme_file);
    assert_eq!(got.frames.len(), FRAMES);
    let side = 288; // 0.8 of 360
    dump(&got.frames[45], "cutout_matte_dark_45");
    // The background of the picture: the flag's top (left) and the wall above the shoulder, next
    // to the hair (right); the face is the person.
    check_cutout(
        &got.frames[45],
        &programme[45].image,
        (300, 40),
        side,
        |x, y| (x < 30.0 && y < 100.0) || ((160.0..185.0).contains(&x) && y < 35.0),
        |x, y| head_radius(x, y) < 0.6,
        "matte cutout over the dark programme, frame 45",
    );
}

#[test]
fn pip_with_a_transparent_avatar_shows_the_programme_around_the_figure_not_a_white_box() {
    // The head avatar (RGBA, transparent outside the head) in the default corner, half the
    // height tall: where the picture is transparent the programme shows, as in cutout.
    let programme_file = programme(true);
    let out = tempdir().join("pip_transparent.mp4");
    overlay(
        &programme_file,
        &avatars().1,
        out.to_str().unwrap(),
        "pip",
        &[("OVERLAY_HEIGHT", "0.5")],
    );
    let got = receive(&out);
    let programme = decode(&programme_file);
    assert_eq!(got.frames.len(), FRAMES);
    let (side, margin) = (H / 2, H / 36);
    for i in [15, 75] {
        dump(&got.frames[i], &format!("pip_transparent_{i}"));
        check_cutout(
            &got.frames[i],
            &programme[i].image,
            (W - margin - side, H - margin - side),
            side,
            |x, y| head_radius(x, y) > 1.4,
            |x, y| head_radius(x, y) < 0.6,
            &format!("pip with a transparent avatar, frame {i}"),
        );
    }
}

/// Where the figure avatar's torso is (avatar pixels, 256x256): from below the chin to the
/// picture's bottom edge.
fn torso(x: f32, y: f32) -> bool {
    y >= 120.0 && (40.0..190.0).contains(&x)
}

#[test]
fn cutout_in_a_bottom_corner_stands_the_figure_on_the_bottom_edge() {
    // A figure: the astronaut opaque on the head and a torso that reaches the picture's bottom
    // edge, transparent elsewhere.
    let rgb = avatar_rgb();
    let figure = with_alpha(&rgb, |x, y| {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let opaque = head_radius(fx, fy) <= 1.0 || torso(fx, fy);
        if opaque {
            255
        } else {
            0
        }
    });
    let figure_path = inputs_dir().join("astronaut_figure_rgba.png");
    figure.save(&figure_path).unwrap();
    let programme_file = programme(true);
    let out = tempdir().join("cutout_standing.mp4");
    // The default corner (bottom-right) and margin (a 36th of the height: 10 pixels).
    overlay(
        &programme_file,
        &figure_path,
        out.to_str().unwrap(),
        "cutout",
        &[("OVERLAY_HEIGHT", "0.5")],
    );
    let got = receive(&out);
    let programme = decode(&programme_file);
    assert_eq!(got.frames.len(), FRAMES);
    let (side, margin) = (H / 2, H / 36);
    let (x0, y0) = (W - margin - side, H - side);
    let scale = 256.0 / side as f32;
    let in_torso = |x: u32, y: u32| {
        x >= x0
            && x < x0 + side
            && y >= y0
            && torso((x - x0) as f32 * scale, (y - y0) as f32 * scale)
    };
    let avatar = image::imageops::resize(&rgb, side, side, image::imageops::FilterType::Triangle);
    for i in [15, 75] {
        let frame = &got.frames[i];
        dump(frame, &format!("cutout_standing_{i}"));
        // The side margin kept, nothing below the figure: the box's place, checked by its
        // transparent parts and its head.
        check_cutout(
            frame,
            &programme[i].image,
            (x0, y0),
            side,
            |x, y| head_radius(x, y) > 1.4 && !torso(x, y) && !(30.0..200.0).contains(&x),
            |x, y| head_radius(x, y) < 0.6,
            &format!("standing cutout, frame {i}"),
        );
        // The torso reaches the frame's last rows: the figure's lowest opaque row is the
        // frame's bottom edge (at 20 pixels up, as before, these rows were the programme).
        let mut placed = programme[i].image.clone();
        image::imageops::replace(&mut placed, &avatar, x0 as i64, y0 as i64);
        let bottom = |x: u32, y: u32| y >= H - 3 && in_torso(x, y);
        let to_figure = mean_abs_diff(frame, &placed, bottom);
        let to_programme = mean_abs_diff(frame, &programme[i].image, bottom);
        println!(
            "standing cutout, frame {i}: bottom rows under the torso {to_figure:.2} from the \
             figure, {to_programme:.2} from the programme"
        );
        assert!(
            to_figure < 20.0 && to_programme > 2.5 * to_figure,
            "frame {i}: the frame's bottom rows under the torso differ from the figure by \
             {to_figure:.1}, from the programme by {to_programme:.1}: the figure does not stand \
             on the bottom edge"
        );
    }
}

#[test]
fn overlay_shows_the_elements_warnings_in_its_progress_output() {
    // An actor without a face (the colour bars, 90 frames): the element warns after 60 frames,
    // and overlay.sh says so on stderr, one line, naming the element.
    let bars = programme(false);
    let out = tempdir().join("faceless.mp4");
    let (status, stderr) = run_script(
        "overlay.sh",
        &[
            bars.as_os_str(),
            programme(true).as_os_str(),
            avatars().0.as_os_str(),
            out.as_os_str(),
        ],
        &[],
        SCRIPT_LIMIT_S,
    );
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.lines().any(|l| l
            .starts_with("overlay: warning (facereenact): no face in the last 60 actor frames: ")),
        "{stderr}"
    );
    // gst-launch's own chatter stays out.
    assert!(
        !stderr.contains("Setting pipeline") && !stderr.contains("Additional debug info"),
        "{stderr}"
    );
}

#[test]
fn srt_delivery_reaches_a_listener_with_picture_and_sound() {
    let dir = tempdir();
    let port = free_port(true);
    let recording = dir.join("received.ts");
    let mut rx = receiver(
        &format!("srtsrc uri=srt://:{port}?mode=listener"),
        &recording,
    );
    wait_for(&mut rx.0, "the SRT listener", || bound("udp", port));
    // The pip with a border, top-left: the box is 90 px high in all.
    let programme_file = programme(false);
    overlay(
        &programme_file,
        &avatars().0,
        &format!("srt://127.0.0.1:{port}"),
        "pip",
        &[
            ("OVERLAY_CORNER", "top-left"),
            ("OVERLAY_BORDER", "4"),
            ("OVERLAY_MARGIN", "10"),
        ],
    );
    // srtsink closes at the end of the stream without waiting for the receiver to play out the
    // last SRT latency (125 ms): those frames are lost (overlay.sh's header).
    let got = check_received(rx, &recording, "SRT", 0.125);
    let programme = decode(&programme_file);
    dump(&got.frames[45], "srt_pip_border_dark_45");
    // White border, 4 px, around the 82 px avatar.
    let border = got.frames[45].get_pixel(10 + 1, 10 + 45).0;
    assert!(
        border.iter().all(|&c| c > 200),
        "border pixel {border:?} is not white"
    );
    check_pip(
        &got.frames[45],
        &programme[45].image,
        (10, 10),
        82,
        4,
        "SRT pip frame 45",
    );
}

#[test]
fn rtmp_delivery_through_nginx_reaches_a_player_with_picture_and_sound() {
    let dir = tempdir().join("nginx");
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port(false);
    let _server = nginx(&dir, port);
    let url = format!("rtmp://127.0.0.1:{port}/live/show");
    let recording = dir.join("received.flv");
    // The player first, so that it gets the stream from its first frame.
    let mut rx = receiver(&format!("rtmp2src location={url}"), &recording);
    let log = dir.join("error.log");
    wait_for(&mut rx.0, "the RTMP player", || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("play: name='show'")
    });
    overlay(&programme(true), &avatars().0, &url, "pip", &[]);
    check_received(rx, &recording, "RTMP", 0.0);
}

#[test]
fn overlay_refuses_missing_files_and_bad_destinations_naming_them() {
    let dir = tempdir();
    let avatar = &avatars().0;
    let programme = programme(true);
    let missing = dir.join("missing_actor.mp4");
    let missing_avatar = dir.join("missing_avatar.png");
    let out = dir.join("never.ts");
    let (actor, programme, avatar, out_os) = (
        actor().as_os_str(),
        programme.as_os_str(),
        avatar.as_os_str(),
        out.as_os_str(),
    );
    let avatar_s = avatar.to_str().unwrap();
    // Each case: the arguments, what the message must name.
    let cases: [(Vec<&OsStr>, Vec<&str>); 8] = [
        (
            vec![missing.as_os_str(), programme, avatar, out_os],
            vec![missing.to_str().unwrap()],
        ),
        (
            vec![actor, missing.as_os_str(), avatar, out_os],
            vec![missing.to_str().unwrap()],
        ),
        (
            vec![actor, programme, missing_avatar.as_os_str(), out_os],
            vec![missing_avatar.to_str().unwrap()],
        ),
        (
            vec![actor, programme, avatar, "udp://127.0.0.1:5000".as_ref()],
            vec!["udp://127.0.0.1:5000"],
        ),
        (
            vec![actor, programme, avatar, "srt://127.0.0.1".as_ref()],
            vec!["srt://127.0.0.1"],
        ),
        (
            vec![actor, programme, avatar, "out.avi".as_ref()],
            vec!["out.avi"],
        ),
        // cutout with the picture's own alpha (the default) and an avatar without
        // transparency: it would cover the programme with the whole picture.
        (
            vec![actor, programme, avatar, out_os, "cutout".as_ref()],
            vec![avatar_s, "OVERLAY_ALPHA=matte"],
        ),
        // A layout that does not exist.
        (
            vec![actor, programme, avatar, out_os, "corner".as_ref()],
            vec!["'corner' is neither pip nor cutout"],
        ),
    ];
    for (args, named) in cases {
        let (status, stderr) = run_script("overlay.sh", &args, &[], SCRIPT_LIMIT_S);
        assert_eq!(status.code(), Some(1), "{stderr}");
        for named in named {
            assert!(
                stderr.contains(named),
                "the message does not name {named}:\n{stderr}"
            );
        }
        assert!(!out.exists(), "{} was written", out.display());
    }
    // The usage for too few arguments.
    let (status, stderr) = run_script("overlay.sh", &[actor], &[], SCRIPT_LIMIT_S);
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains("bash pipelines/overlay.sh ACTOR PROGRAMME AVATAR DEST [pip|cutout]"),
        "{stderr}"
    );
}

#[test]
fn overlay_names_missing_gstreamer_elements_and_their_debian_packages() {
    // Without GStreamer's installed plugins (a registry of its own, not to spoil the user's).
    let dir = tempdir();
    let registry = dir.join("registry.bin");
    let (status, stderr) = run_script(
        "overlay.sh",
        &[
            actor().as_os_str(),
            programme(true).as_os_str(),
            avatars().0.as_os_str(),
            format!("srt://127.0.0.1:{}", free_port(true)).as_ref(),
        ],
        &[
            ("GST_PLUGIN_SYSTEM_PATH_1_0", dir.to_str().unwrap()),
            ("GST_REGISTRY_1_0", registry.to_str().unwrap()),
        ],
        SCRIPT_LIMIT_S,
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    for named in [
        "compositor (gstreamer1.0-plugins-base)",
        "x264enc (gstreamer1.0-plugins-ugly)",
        "avenc_aac (gstreamer1.0-libav)",
        "srtsink (gstreamer1.0-plugins-bad)",
    ] {
        assert!(
            stderr.contains(named),
            "the message does not name {named}:\n{stderr}"
        );
    }
}

#[test]
fn virtual_camera_without_a_loopback_device_says_how_to_make_one() {
    let dir = tempdir();
    let absent = dir.join("video10");
    let (status, stderr) = run_script(
        "virtual_camera.sh",
        &[
            avatars().0.as_os_str(),
            actor().as_os_str(),
            absent.as_os_str(),
        ],
        &[],
        SCRIPT_LIMIT_S,
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("no video device {}", absent.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "modprobe v4l2loopback devices=1 video_nr=10 card_label=facereenact exclusive_caps=1"
        ),
        "{stderr}"
    );
    // A file is not a device.
    let file = dir.join("not_a_device");
    std::fs::write(&file, "").unwrap();
    let (status, stderr) = run_script(
        "virtual_camera.sh",
        &[
            avatars().0.as_os_str(),
            actor().as_os_str(),
            file.as_os_str(),
        ],
        &[],
        SCRIPT_LIMIT_S,
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{} is not a video device", file.display())),
        "{stderr}"
    );
}
