# Builds the Rust bridge crate (bridge/, crate aster_iroh) with cargo and exposes it as the
# imported static library aster::iroh_bridge. Cargo's home and target dir live under
# ASTER_CACHE_DIR, outside the clone, so fresh clones (CI) reuse the compiled iroh stack.
# The Rust side is always built in release: debug ring/QUIC is slow and makes timing flaky.
find_program(CARGO_EXECUTABLE cargo HINTS $ENV{HOME}/.cargo/bin REQUIRED)

set(ASTER_CARGO_HOME "${ASTER_CACHE_DIR}/cargo-home" CACHE PATH "CARGO_HOME for the bridge")
set(ASTER_CARGO_TARGET_DIR "${ASTER_CACHE_DIR}/cargo-target" CACHE PATH "cargo target dir")
set(_bridge_dir "${CMAKE_SOURCE_DIR}/bridge")
set(_cargo_lib "${ASTER_CARGO_TARGET_DIR}/release/libaster_iroh.a")
# The target dir is shared by every checkout on the machine (worktrees, CI clones), and all of
# them write the same release/libaster_iroh.a. So cargo runs on every build (≈0.5 s when
# fresh; cargo re-links its output even for fresh units) and the result is copied into this
# build tree: we always link the library built from *this* checkout's bridge/.
set(_bridge_lib "${CMAKE_BINARY_DIR}/bridge/libaster_iroh.a")
add_custom_target(aster_iroh_cargo
  COMMAND ${CMAKE_COMMAND} -E env CARGO_HOME=${ASTER_CARGO_HOME}
          CARGO_TARGET_DIR=${ASTER_CARGO_TARGET_DIR}
          ${CARGO_EXECUTABLE} build --release --locked --lib
          --manifest-path ${_bridge_dir}/Cargo.toml
  COMMAND ${CMAKE_COMMAND} -E make_directory "${CMAKE_BINARY_DIR}/bridge"
  # copy_if_different keeps the mtime when nothing changed, so nothing relinks needlessly.
  COMMAND ${CMAKE_COMMAND} -E copy_if_different "${_cargo_lib}" "${_bridge_lib}"
  BYPRODUCTS "${_bridge_lib}"
  WORKING_DIRECTORY "${_bridge_dir}"
  COMMENT "cargo build aster_iroh (Rust iroh bridge)"
  USES_TERMINAL)

add_library(aster_iroh_bridge STATIC IMPORTED GLOBAL)
set_target_properties(aster_iroh_bridge PROPERTIES IMPORTED_LOCATION "${_bridge_lib}")
target_include_directories(aster_iroh_bridge INTERFACE "${_bridge_dir}/include")
# From `cargo rustc --crate-type staticlib -- --print native-static-libs` for this crate on
# Linux (verified with rustc 1.95: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc).
target_link_libraries(aster_iroh_bridge INTERFACE Threads::Threads dl m rt util gcc_s)
target_link_options(aster_iroh_bridge INTERFACE -Wl,--gc-sections)
add_dependencies(aster_iroh_bridge aster_iroh_cargo)
add_library(aster::iroh_bridge ALIAS aster_iroh_bridge)
