# C++ dependencies come from Debian 12 packages (scripts/bootstrap.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

# Standalone Asio (libasio-dev) is header-only.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(asio_standalone INTERFACE)
target_include_directories(asio_standalone SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
target_compile_definitions(asio_standalone INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
target_link_libraries(asio_standalone INTERFACE Threads::Threads)
add_library(asio::asio ALIAS asio_standalone)

pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# toml++ (libtomlplusplus-dev) reads `.aster-identity` and ~/.aster/config.toml.
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(MURMURHASH REQUIRED IMPORTED_TARGET libmurmurhash)
# zstd for COMPRESSED frames (aster_wire). Through pkg-config, as asterConfig.cmake.in
# re-creates it for installed trees (PkgConfig::ZSTD).
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
add_library(cli11 INTERFACE)
target_include_directories(cli11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})

if(ASTER_BUILD_TESTS OR ASTER_FUZZ)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(ASTER_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
