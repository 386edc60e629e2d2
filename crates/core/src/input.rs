//! Input walking (in progress).
