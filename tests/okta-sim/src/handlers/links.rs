//! Linking users (`manager`, `sponsor`...): `PUT /api/v1/users/{associated}/linkedObjects/{primaryName}/{primaryUserId}`
//! and `DELETE /api/v1/users/{user}/linkedObjects/{primaryName}`. The links themselves live in
//! `resources::links`, which the GET route serves.

use axum::extract::Path;
use axum::response::Response;

use crate::errors::ApiError;
use crate::handlers::{Sim, no_content};
use crate::resources::links;

/// `PUT /api/v1/users/{associatedUserIdOrLogin}/linkedObjects/{primaryRelationshipName}/{primaryUserId}`.
pub async fn assign(
    sim: Sim,
    Path((associated, name, primary)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let mut org = sim.write_org();
    links::link(&mut org, &sim.base, &associated, &name, &primary)?;
    Ok(no_content())
}

/// `DELETE /api/v1/users/{userIdOrLogin}/linkedObjects/{relationshipName}`.
pub async fn remove(sim: Sim, Path((user, name)): Path<(String, String)>) -> Result<Response, ApiError> {
    let mut org = sim.write_org();
    links::unlink(&mut org, &user, &name)?;
    Ok(no_content())
}
