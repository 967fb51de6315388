# cmake -P script run by the aster_iroh_cargo target (see AsterBridge.cmake).
# Inputs: CARGO, CARGO_HOME, CARGO_TARGET_DIR, BRIDGE_DIR, OUT; optional TARGET_ARGS (cargo's
# target selection, default "--lib") and ARTIFACT (path under CARGO_TARGET_DIR, default
# release/libaster_iroh.a) for the hash-only product (AsterBridge.cmake).
#
# Every checkout on the machine (worktrees, CI clones) shares CARGO_TARGET_DIR so the iroh
# dependency tree is compiled once. But cargo hashes path packages by their path *relative to
# the workspace*, so all checkouts' aster_iroh units collide on one fingerprint and one
# release/libaster_iroh.a, and a build from checkout A can look fresh to checkout B while the
# library holds A's code (observed). Passing a per-checkout rustc flag (the path remap below,
# which also keeps absolute paths out of panic messages) through `cargo rustc` puts the
# checkout into the fingerprint: switching checkouts rebuilds only this crate (≈1 min), and
# an unchanged checkout stays fresh (≈0.5 s).
#
# Cargo locks the target dir only while it builds; the copy below happens after that lock is
# gone, so checkout B's build could replace release/libaster_iroh.a between A's build and A's
# copy, and A would link B's code (observed: a worktree linked another branch's bridge and its
# tests crashed). One lock file held for build + copy serializes them; it is released when this
# script's process ends (GUARD PROCESS).
file(MAKE_DIRECTORY "${CARGO_TARGET_DIR}")
file(LOCK "${CARGO_TARGET_DIR}/.aster-bridge-build.lock" GUARD PROCESS TIMEOUT 3600
     RESULT_VARIABLE lock_rc)
if(NOT lock_rc EQUAL 0)
  message(FATAL_ERROR "could not lock ${CARGO_TARGET_DIR} for the bridge build: ${lock_rc}")
endif()
if(NOT TARGET_ARGS)
  set(TARGET_ARGS --lib)
endif()
if(NOT ARTIFACT)
  set(ARTIFACT release/libaster_iroh.a)
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env CARGO_HOME=${CARGO_HOME} CARGO_TARGET_DIR=${CARGO_TARGET_DIR}
          ${CARGO} rustc --release --locked ${TARGET_ARGS} --manifest-path ${BRIDGE_DIR}/Cargo.toml
          -- --remap-path-prefix=${BRIDGE_DIR}=aster_iroh
  WORKING_DIRECTORY ${BRIDGE_DIR}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cargo build of the bridge failed (${rc})")
endif()
get_filename_component(out_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
# copy_if_different keeps the mtime when nothing changed, so nothing relinks needlessly.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
                "${CARGO_TARGET_DIR}/${ARTIFACT}" "${OUT}")
