//! Planning at scale: randomized batches of runs.
//!
//! - [`dist`]: the distributions a scenario's `uncertainty` section uses.
//! - [`draw`]: run `i`'s draws applied to a checked scenario.
//! - [`stats`]: summaries with confidence intervals.
//! - [`run`]: the batch itself, shards and their merge.
//! - [`compare`]: depot layouts on common random numbers.
//! - [`site`]: where to put new depots (capacitated MCLP, then simulation).
pub mod compare;
pub mod dist;
pub mod draw;
pub mod run;
pub mod site;
pub mod stats;
