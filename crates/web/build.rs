// Embeds the source commit as `TRAILPROOF_BUILD_COMMIT` (`xtask/src/commit.rs`).
include!("../../xtask/src/commit.rs");

fn main() {
    emit_build_commit();
}
