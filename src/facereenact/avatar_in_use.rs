//! The avatar in use: loaded at start, swapped while playing (a bad file keeps the old one),
//! fitted again to the negotiated output size, with the bus messages that say why the output's
//! size differs from the picture's.

use std::path::Path;
use std::sync::Arc;

use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::prelude::*;

use super::errors::ErrorCode;
use super::imp::{FaceReenact, CAT};
use super::AlphaChoice;
use crate::avatar::{AlphaRequest, AvatarError, AvatarModel};
use crate::face::human_likeness;
use crate::models::{person_segmenter, FaceModels};
use crate::output_size::{capped, SizeRule};

impl FaceReenact {
    /// Loads the avatar at `path` prepared at the size `rule` gives it (the picture is scaled
    /// once, here), with warnings for an alpha it lacks and a face that looks little human.
    pub(super) fn load_avatar(
        &self,
        path: &Path,
        models: &FaceModels,
        rule: SizeRule,
    ) -> Result<AvatarModel, AvatarError> {
        let settings = self.settings.lock().unwrap().clone();
        let (face, alpha) = (settings.avatar_face as usize, settings.alpha);
        let mut tracker = models.tracker();
        // The segmentation model is loaded only for a matte (its session is cached per process).
        let mut segmenter = None;
        if alpha == AlphaChoice::Matte {
            segmenter = Some(
                person_segmenter(
                    &settings.models_dir(),
                    settings.execution_provider.into(),
                    settings.inference_threads as usize,
                )
                .map_err(AvatarError::Runtime)?,
            );
        }
        let request = match (alpha, segmenter.as_mut()) {
            (AlphaChoice::Picture, _) => AlphaRequest::Picture,
            (AlphaChoice::Matte, Some(s)) => AlphaRequest::Matte(s),
            _ => AlphaRequest::Opaque,
        };
        let avatar = AvatarModel::load_sized(path, &mut tracker, face, request, rule)?;
        if alpha == AlphaChoice::Picture && avatar.alpha.is_none() {
            gst::element_imp_warning!(
                self,
                gst::StreamError::Format,
                (
                    "alpha=picture but avatar picture {} has no alpha channel: the output is opaque \
                     (use a PNG with transparency, or alpha=matte to cut the person out)",
                    path.display()
                )
            );
        }
        let presence = avatar.landmarks.presence;
        if !human_likeness::looks_human(presence) {
            gst::element_imp_warning!(
                self,
                gst::StreamError::Format,
                (
                    "the face in avatar picture {} looks little like a human face (landmark confidence {:.2}; \
                     human faces give {} or more): the animation may put human features on it (the actor's teeth \
                     in its mouth, human eyelids). Use a picture of a human face, or motion-region=pose to move \
                     only its head",
                    path.display(),
                    presence,
                    human_likeness::HUMAN_FACE_MIN_PRESENCE
                )
            );
        }
        gst::info!(
            CAT,
            imp = self,
            "avatar {} loaded: {}x{} (the picture is {}x{})",
            path.display(),
            avatar.size().0,
            avatar.size().1,
            avatar.picture_size.0,
            avatar.picture_size.1
        );
        Ok(avatar)
    }

    /// The `avatar` property changed: while running, the new picture is loaded on the calling
    /// thread and swapped in (renegotiating if its size differs); a bad file, or no file, keeps
    /// the old avatar with a warning. Stopped: start() loads it.
    pub(super) fn avatar_property_changed(&self) {
        let Some(models) = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .map(|s| s.models.clone())
        else {
            return;
        };
        let (path, max_side) = {
            let settings = self.settings.lock().unwrap();
            (settings.avatar_path(), settings.output_max_side)
        };
        let Some(path) = path else {
            gst::element_imp_warning!(
                self,
                gst::ResourceError::NotFound,
                ("avatar unset while running: keeping the previous avatar; set avatar to a PNG or JPEG picture of a face")
            );
            self.restore_avatar_setting(None);
            return;
        };
        match self.load_avatar(&path, &models, SizeRule::Capped(max_side)) {
            Ok(avatar) => {
                let mut guard = self.state.lock().unwrap();
                let Some(state) = guard.as_mut() else { return };
                let resized = state.avatar.size() != avatar.size();
                state.avatar = Arc::new(avatar);
                state.avatar_pending = true;
                drop(guard);
                if resized {
                    self.obj().reconfigure_src();
                }
            }
            Err(e) => {
                // The same domain and code as the error at start, as a warning.
                let text = format!("keeping the previous avatar: {e}");
                gst::warning!(CAT, imp = self, "{text}");
                let warning = ErrorCode::from(&e).glib_error(&text);
                let _ = self.obj().post_message(
                    gst::message::Warning::builder_from_error(warning)
                        .src(&*self.obj())
                        .build(),
                );
                self.restore_avatar_setting(Some(&path));
            }
        }
    }

    /// After an avatar change that was refused (to `refused`; `None`: unset): the `avatar`
    /// property reads back the avatar in use again, unless it was set once more meanwhile.
    fn restore_avatar_setting(&self, refused: Option<&Path>) {
        let Some(in_use) = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .map(|s| s.avatar.path.clone())
        else {
            return;
        };
        let mut settings = self.settings.lock().unwrap();
        if settings.avatar_path().as_deref() != refused {
            return;
        }
        settings.avatar = Some(in_use.to_string_lossy().into_owned());
        drop(settings);
        self.obj().notify("avatar");
    }

    /// The avatar picture's own size and the output size it prefers (its size up to
    /// `output-max-side`), once started.
    pub(super) fn preferred_size(&self) -> Option<((u32, u32), (u32, u32))> {
        let max_side = self.settings.lock().unwrap().output_max_side;
        let picture = self.state.lock().unwrap().as_ref()?.avatar.picture_size;
        Some((picture, capped(picture, max_side)))
    }

    /// Prepares the avatar in use again at the output's `size` when it has another (downstream
    /// asked for a size, or an avatar change kept the caps): the picture is decoded and scaled
    /// once, its face found again on the scaled picture, and the engine starts over with it.
    /// Says on the bus why the output's size differs from the picture's. Called by the
    /// streaming thread. Errors: the avatar's, as at start.
    pub(super) fn fit_avatar(&self, size: (u32, u32)) -> Result<(), gst::ErrorMessage> {
        let Some((models, path, current)) = self
            .state
            .lock()
            .unwrap()
            .as_ref()
            .map(|s| (s.models.clone(), s.avatar.path.clone(), s.avatar.size()))
        else {
            return Ok(());
        };
        if current != size {
            let avatar = self.load_avatar(&path, &models, SizeRule::Exact(size.0, size.1))?;
            {
                let mut guard = self.state.lock().unwrap();
                let Some(state) = guard.as_mut() else {
                    return Ok(());
                };
                state.avatar = Arc::new(avatar);
                state.avatar_pending = true;
            }
            let mut engine = self.engine.lock().unwrap();
            if let Some(engine) = engine.as_mut() {
                if let Some(inputs) = self.sync_engine(engine) {
                    engine.engine.prepare(&inputs.avatar)?;
                }
            }
        }
        self.report_size(size);
        Ok(())
    }

    /// Posts an info message when the output's `size` is not the avatar picture's own (padded to
    /// even), once per size: from which size, to which, why, and how to change it.
    fn report_size(&self, size: (u32, u32)) {
        let max_side = self.settings.lock().unwrap().output_max_side;
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else { return };
        let (pw, ph) = state.avatar.picture_size;
        if size == capped((pw, ph), 0) || state.size_reported == Some(size) {
            return;
        }
        state.size_reported = Some(size);
        let path = state.avatar.path.clone();
        drop(guard);
        let (w, h) = size;
        let text = if max_side != 0 && size == capped((pw, ph), max_side) {
            format!(
                "avatar picture {} is {pw}x{ph}: the output is scaled to {w}x{h}, its long side capped by \
                 output-max-side={max_side}. Set output-max-side=0 to keep the picture's size, or ask for a size \
                 with a caps filter after facereenact (e.g. video/x-raw,width=1920,height=1080)",
                path.display()
            )
        } else {
            let placed = crate::output_size::fit((pw, ph), size);
            // A side left to the picture's aspect ratio pads at most a pixel's rounding.
            let padding = if placed.width + 2 >= w && placed.height + 2 >= h {
                "its aspect ratio kept"
            } else {
                "whole and centred, the rest padded with the colour of its edges (transparent with an alpha)"
            };
            format!(
                "avatar picture {} is {pw}x{ph}: the output is {w}x{h} as downstream asked; the picture is \
                 scaled once, {padding}",
                path.display()
            )
        };
        gst::info!(CAT, imp = self, "{text}");
        // The text in the debug field too: gst-launch-1.0 -m prints only that of an info.
        gst::element_imp_info!(
            self,
            gst::CoreError::Negotiation,
            ("{}", text),
            ["{}", text]
        );
    }
}
