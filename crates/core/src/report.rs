//! Verification report (written by the chain verifier work).
