# Builds the Rust bridge crate (bridge/, crate aster_iroh) with cargo and exposes it as the
# imported static library aster::iroh_bridge. Cargo's home and target dir live under
# ASTER_CACHE_DIR, outside the clone, so fresh clones (CI) reuse the compiled iroh stack.
# The Rust side is always built in release: debug ring/QUIC is slow and makes timing flaky.
find_program(CARGO_EXECUTABLE cargo HINTS $ENV{HOME}/.cargo/bin REQUIRED)

set(ASTER_CARGO_HOME "${ASTER_CACHE_DIR}/cargo-home" CACHE PATH "CARGO_HOME for the bridge")
set(ASTER_CARGO_TARGET_DIR "${ASTER_CACHE_DIR}/cargo-target" CACHE PATH "cargo target dir")
# Which bridge/ to build. A second checkout that leaves bridge/ untouched (a worktree) may point
# this at another checkout's bridge/ so both share one compiled crate instead of rebuilding it
# each time the other builds (cmake/AsterBridgeBuild.cmake).
set(ASTER_BRIDGE_DIR "${PROJECT_SOURCE_DIR}/bridge" CACHE PATH "bridge crate to build")
set(_bridge_dir "${ASTER_BRIDGE_DIR}")
# Every checkout shares the target dir but links the library built from its own bridge/,
# copied into its build tree (cmake/AsterBridgeBuild.cmake explains why). cargo runs on every
# build; it takes ≈0.5 s when nothing changed.
set(_bridge_lib "${PROJECT_BINARY_DIR}/bridge/libaster_iroh.a")
add_custom_target(aster_iroh_cargo
  COMMAND ${CMAKE_COMMAND} -DCARGO=${CARGO_EXECUTABLE} -DCARGO_HOME=${ASTER_CARGO_HOME}
          -DCARGO_TARGET_DIR=${ASTER_CARGO_TARGET_DIR} -DBRIDGE_DIR=${_bridge_dir}
          -DOUT=${_bridge_lib} -P ${CMAKE_CURRENT_LIST_DIR}/AsterBridgeBuild.cmake
  BYPRODUCTS "${_bridge_lib}"
  WORKING_DIRECTORY "${_bridge_dir}"
  COMMENT "cargo build aster_iroh (Rust iroh bridge)"
  USES_TERMINAL)

# BLAKE3 alone (aster::blake3): the same crate built a second time as its `aster_blake3`
# example without the `iroh` feature — a small staticlib with only `aster_iroh_blake3`, so
# aster_contract (and the fuzz preset) hash without compiling or linking iroh. Its own target
# dir: this build of the crate's lib (empty, other features) must not replace the full
# release/libaster_iroh.a. docs/architecture.md explains the choice.
set(ASTER_CARGO_BLAKE3_TARGET_DIR "${ASTER_CACHE_DIR}/cargo-target-blake3" CACHE PATH
    "cargo target dir of the hash-only bridge product")
set(_blake3_lib "${CMAKE_BINARY_DIR}/bridge/libaster_blake3.a")
add_custom_target(aster_blake3_cargo
  COMMAND ${CMAKE_COMMAND} -DCARGO=${CARGO_EXECUTABLE} -DCARGO_HOME=${ASTER_CARGO_HOME}
          -DCARGO_TARGET_DIR=${ASTER_CARGO_BLAKE3_TARGET_DIR} -DBRIDGE_DIR=${_bridge_dir}
          "-DTARGET_ARGS=--example\;aster_blake3\;--no-default-features"
          -DARTIFACT=release/examples/libaster_blake3.a
          -DOUT=${_blake3_lib} -P ${CMAKE_CURRENT_LIST_DIR}/AsterBridgeBuild.cmake
  BYPRODUCTS "${_blake3_lib}"
  WORKING_DIRECTORY "${_bridge_dir}"
  COMMENT "cargo build aster_blake3 (BLAKE3 only)"
  USES_TERMINAL)
add_library(aster_blake3 STATIC IMPORTED GLOBAL)
set_target_properties(aster_blake3 PROPERTIES IMPORTED_LOCATION "${_blake3_lib}")
target_include_directories(aster_blake3 INTERFACE "${_bridge_dir}/include")
target_link_libraries(aster_blake3 INTERFACE Threads::Threads dl m rt util gcc_s)
add_dependencies(aster_blake3 aster_blake3_cargo)
add_library(aster::blake3 ALIAS aster_blake3)

add_library(aster_iroh_bridge STATIC IMPORTED GLOBAL)
set_target_properties(aster_iroh_bridge PROPERTIES IMPORTED_LOCATION "${_bridge_lib}")
target_include_directories(aster_iroh_bridge INTERFACE "${_bridge_dir}/include")
# From `cargo rustc --crate-type staticlib -- --print native-static-libs` for this crate on
# Linux (verified with rustc 1.95: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc).
target_link_libraries(aster_iroh_bridge INTERFACE Threads::Threads dl m rt util gcc_s)
target_link_options(aster_iroh_bridge INTERFACE -Wl,--gc-sections)
# aster_iroh_blake3 of the C header comes from the hash-only product (one definition).
target_link_libraries(aster_iroh_bridge INTERFACE aster::blake3)
add_dependencies(aster_iroh_bridge aster_iroh_cargo)
add_library(aster::iroh_bridge ALIAS aster_iroh_bridge)
