//! The GStreamer error domain and code of each problem the core reports, so that an application
//! can tell a missing file (`RESOURCE NOT_FOUND`) from a picture without a face (`STREAM FORMAT`)
//! or a provider that cannot start (`LIBRARY SETTINGS`): `From` impls from the core's errors
//! into [`ErrorCode`] and `gst::ErrorMessage`.

use gst::glib;

use crate::avatar::AvatarError;
use crate::engine::factory::NoticeKind;
use crate::runtime::RuntimeError;

/// The GStreamer error domain and code of a problem, to post it as an error or a warning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ErrorCode {
    Core(gst::CoreError),
    Resource(gst::ResourceError),
    Stream(gst::StreamError),
    Library(gst::LibraryError),
}

impl ErrorCode {
    /// An error message with `text`, for a `Result` GStreamer posts (start, a flow error).
    pub fn message(self, text: &str) -> gst::ErrorMessage {
        match self {
            ErrorCode::Core(c) => gst::error_msg!(c, ("{}", text)),
            ErrorCode::Resource(c) => gst::error_msg!(c, ("{}", text)),
            ErrorCode::Stream(c) => gst::error_msg!(c, ("{}", text)),
            ErrorCode::Library(c) => gst::error_msg!(c, ("{}", text)),
        }
    }

    /// The same as a GLib error, to post as a warning.
    pub fn glib_error(self, text: &str) -> glib::Error {
        match self {
            ErrorCode::Core(c) => glib::Error::new(c, text),
            ErrorCode::Resource(c) => glib::Error::new(c, text),
            ErrorCode::Stream(c) => glib::Error::new(c, text),
            ErrorCode::Library(c) => glib::Error::new(c, text),
        }
    }
}

impl From<&RuntimeError> for ErrorCode {
    fn from(e: &RuntimeError) -> Self {
        match e {
            RuntimeError::Library(_) => ErrorCode::Library(gst::LibraryError::Init),
            RuntimeError::ModelMissing(_) => ErrorCode::Resource(gst::ResourceError::NotFound),
            // An engine folder that is not there (or not a folder), as a missing avatar is.
            RuntimeError::ModelSet(dir, _) if !dir.is_dir() => {
                ErrorCode::Resource(gst::ResourceError::NotFound)
            }
            RuntimeError::ModelInvalid(..)
            | RuntimeError::ModelChecksum(..)
            | RuntimeError::ModelSet(..) => ErrorCode::Resource(gst::ResourceError::OpenRead),
            RuntimeError::Provider(..) => ErrorCode::Library(gst::LibraryError::Settings),
            RuntimeError::Inference(_) => ErrorCode::Library(gst::LibraryError::Failed),
        }
    }
}

impl From<&AvatarError> for ErrorCode {
    fn from(e: &AvatarError) -> Self {
        match e {
            AvatarError::NotFound(_) => ErrorCode::Resource(gst::ResourceError::NotFound),
            AvatarError::Decode(..) | AvatarError::TooLarge(..) => {
                ErrorCode::Resource(gst::ResourceError::OpenRead)
            }
            // The header was read: the file ends or breaks part-way through its pixel data.
            AvatarError::Damaged(..) => ErrorCode::Resource(gst::ResourceError::Read),
            AvatarError::NoFace(_)
            | AvatarError::NoSuchFace(..)
            | AvatarError::NoFaceAtSize(..) => ErrorCode::Stream(gst::StreamError::Format),
            AvatarError::OutputTooLarge(..) => ErrorCode::Core(gst::CoreError::Negotiation),
            AvatarError::Runtime(r) => r.into(),
        }
    }
}

impl From<NoticeKind> for ErrorCode {
    /// A start-up notice's code when posted as a warning.
    fn from(kind: NoticeKind) -> Self {
        match kind {
            NoticeKind::MissingModel => ErrorCode::Resource(gst::ResourceError::NotFound),
            NoticeKind::Info | NoticeKind::Settings => {
                ErrorCode::Library(gst::LibraryError::Settings)
            }
        }
    }
}

impl From<RuntimeError> for gst::ErrorMessage {
    fn from(e: RuntimeError) -> Self {
        ErrorCode::from(&e).message(&e.to_string())
    }
}

impl From<AvatarError> for gst::ErrorMessage {
    fn from(e: AvatarError) -> Self {
        ErrorCode::from(&e).message(&e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn missing_files_are_not_found_and_faceless_pictures_a_format_error() {
        let missing = AvatarError::NotFound(PathBuf::from("nope.png"));
        assert_eq!(
            ErrorCode::from(&missing),
            ErrorCode::Resource(gst::ResourceError::NotFound)
        );
        let set = RuntimeError::ModelSet(PathBuf::from("/no/such/set"), vec!["missing".into()]);
        assert_eq!(
            ErrorCode::from(&set),
            ErrorCode::Resource(gst::ResourceError::NotFound)
        );
        // A model set folder that exists but does not load cannot be read.
        let set = RuntimeError::ModelSet(std::env::temp_dir(), vec!["missing files".into()]);
        assert_eq!(
            ErrorCode::from(&set),
            ErrorCode::Resource(gst::ResourceError::OpenRead)
        );
        let wrapped = AvatarError::Runtime(RuntimeError::Inference("x".into()));
        assert_eq!(
            ErrorCode::from(&wrapped),
            ErrorCode::Library(gst::LibraryError::Failed)
        );
    }

    #[test]
    fn the_message_keeps_the_error_s_text() {
        gst::init().unwrap();
        let msg = gst::ErrorMessage::from(AvatarError::NotFound(PathBuf::from("nope.png")));
        assert!(format!("{msg:?}").contains("nope.png"), "{msg:?}");
    }
}
