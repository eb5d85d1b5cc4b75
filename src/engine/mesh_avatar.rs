//! What the mesh engine ([`super::MeshEngine`]) derives from an avatar, once per avatar: the
//! neutral pose the actor's motion starts from, the warp mesh it poses, and the skin colour its
//! mouth interior is matched to. Made by the engine (in [`super::ReenactEngine::prepare`], or on
//! the first frame that needs it) and dropped with [`super::ReenactEngine::avatar_changed`]; the
//! LivePortrait engine never makes it.

use crate::avatar::AvatarModel;
use crate::motion::openings::closed_mouth;
use crate::render::mouth::skin_colour;
use crate::render::WarpMesh;

/// The mesh engine's data of one avatar ([`MeshAvatar::of`]).
#[derive(Debug, Clone)]
pub struct MeshAvatar {
    /// The avatar's neutral pose that the actor's motion starts from: its landmarks, with the
    /// mouth closed when the picture shows it open ([`closed_mouth`]), 468 points, avatar pixels.
    pub neutral: Vec<[f32; 3]>,
    /// The warp mesh built around the avatar's landmarks (avatar pixels); the engine poses this
    /// copy in place frame after frame.
    pub mesh: WarpMesh,
    /// Mean skin colour of the avatar picture, RGB 0..255 ([`skin_colour`] at its landmarks), for
    /// colour matching the actor's mouth interior.
    pub skin: [f32; 3],
}

impl MeshAvatar {
    /// Derives it from `avatar`'s landmarks and picture (no inference; about a millisecond).
    pub fn of(avatar: &AvatarModel) -> MeshAvatar {
        let points = &avatar.landmarks.points;
        MeshAvatar {
            neutral: closed_mouth(points).unwrap_or_else(|| points.clone()),
            mesh: WarpMesh::new(points),
            skin: skin_colour(&avatar.image, 1.0, points),
        }
    }
}
