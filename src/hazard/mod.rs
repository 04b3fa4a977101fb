//! Stage 3: hazards. Owns the raster type the hazard models share ([`grid`]).
//! The flood, fire and chemical-release models and their effects on roads and
//! people arrive with the hazards issue.

pub mod grid;
