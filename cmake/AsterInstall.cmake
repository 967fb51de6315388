# Install and export (issue 15): `cmake --install build --prefix P` gives P a tree that
# `find_package(aster CONFIG)` (asterConfig.cmake) and pkg-config (aster.pc) can use.
#
# Targets are exported under the namespace aster:: with their short names (aster::codec,
# aster::contract, …) plus the umbrella aster::aster. The Rust bridge is an imported static
# library: it is installed as a file, stripped of its debug line tables (the release artifact
# is then a fraction of the build tree's copy), and re-created as an imported target by
# asterConfig.cmake with its native link libraries and --gc-sections as usage requirements.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ASTER_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/aster")

# aster_install_parts(<part>...): installs aster_<part> for each part that was built, and the
# umbrella. Call once, after every src/<part> was added.
function(aster_install_parts)
  set(_targets aster_status asio_standalone)
  set(_libs "")
  foreach(part ${ARGN})
    if(TARGET aster_${part})
      list(APPEND _targets aster_${part})
      list(APPEND _libs aster_${part})
    endif()
  endforeach()
  set_target_properties(asio_standalone PROPERTIES EXPORT_NAME asio)
  foreach(t ${_targets})
    string(REGEX REPLACE "^aster_" "" _short "${t}")
    if(NOT t STREQUAL "asio_standalone")
      set_target_properties(${t} PROPERTIES EXPORT_NAME ${_short})
    endif()
  endforeach()

  list(APPEND _targets aster_umbrella)

  install(TARGETS ${_targets} EXPORT asterTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/aster DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(FILES ${ASTER_BRIDGE_DIR}/include/aster_iroh.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT asterTargets NAMESPACE aster:: DESTINATION ${ASTER_INSTALL_CMAKEDIR})

  # The bridge archives (iroh, and the hash-only one aster_contract links), without line
  # tables: `strip --strip-debug` on the installed copies.
  find_program(ASTER_STRIP NAMES strip)
  foreach(_bridge_target aster_iroh_bridge aster_blake3)
    get_target_property(_bridge_lib ${_bridge_target} IMPORTED_LOCATION)
    get_filename_component(_bridge_name ${_bridge_lib} NAME)
    install(FILES ${_bridge_lib} DESTINATION ${CMAKE_INSTALL_LIBDIR})
    if(ASTER_STRIP)
      install(CODE "execute_process(COMMAND ${ASTER_STRIP} --strip-debug
                    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/${_bridge_name}\")")
    endif()
  endforeach()

  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/asterConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/asterConfig.cmake INSTALL_DESTINATION ${ASTER_INSTALL_CMAKEDIR})
  write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/asterConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/asterConfig.cmake
                ${CMAKE_CURRENT_BINARY_DIR}/asterConfigVersion.cmake
          DESTINATION ${ASTER_INSTALL_CMAKEDIR})

  # pkg-config: every archive in link order (a part before the parts it links), then what they
  # need. The order is the dependency graph of docs/architecture.md, highest first.
  set(ASTER_PC_LIBS "")
  foreach(part registry rpc trust transport contract wire byte_stream codec)
    if(aster_${part} IN_LIST _libs)
      string(APPEND ASTER_PC_LIBS " -laster_${part}")
      list(REMOVE_ITEM _libs aster_${part})
    endif()
  endforeach()
  if(_libs)
    message(FATAL_ERROR "aster.pc: place ${_libs} in the link order in cmake/AsterInstall.cmake")
  endif()
  # Relocatable: the prefix is found from the .pc file's own directory, so the tree works
  # wherever `cmake --install --prefix` put it.
  file(RELATIVE_PATH ASTER_PC_PREFIX_FROM_PCDIR "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/aster.pc.in ${CMAKE_CURRENT_BINARY_DIR}/aster.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/aster.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
