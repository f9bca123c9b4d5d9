# Install rules and packages (SLUICE_INSTALL): headers, the libraries sluice::core, sluice::coro,
# sluice::adapters and sluice::sluice, a CMake package (find_package(sluice 0.1 REQUIRED)), a
# pkg-config file, and the `sluice` CLI when it is built.
#
# Static and shared builds install side by side into one prefix: each writes its own export file
# (sluice-static-targets.cmake, sluice-shared-targets.cmake) and sluiceConfig.cmake picks one (see
# cmake/sluiceConfig.cmake.in). Install one of each to offer both:
#   cmake -B build-static && cmake --build build-static && cmake --install build-static --prefix P
#   cmake -B build-shared -DBUILD_SHARED_LIBS=ON && ... && cmake --install build-shared --prefix P
include(CMakePackageConfigHelpers)

if(BUILD_SHARED_LIBS)
  set(sluice_kind shared)
else()
  set(sluice_kind static)
endif()
set(sluice_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sluice)

install(TARGETS sluice_lib sluice_coro sluice_adapters sluice_all EXPORT sluice_targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT sluice_targets NAMESPACE sluice:: DESTINATION ${sluice_cmake_dir}
  FILE sluice-${sluice_kind}-targets.cmake)

# Public headers keep their layout (sluice/<room>/<file>.hpp); the CLI's are the executable's own.
foreach(layer lib coro adapters)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${layer}/sluice DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.hpp" PATTERN "cli" EXCLUDE)
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/generated/include/sluice/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sluice)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sluiceConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sluiceConfig.cmake INSTALL_DESTINATION ${sluice_cmake_dir})
# 0.x: a minor release may break the API, so find_package(sluice 0.1) accepts 0.1.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sluiceConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sluiceConfig.cmake ${PROJECT_BINARY_DIR}/sluiceConfigVersion.cmake
  DESTINATION ${sluice_cmake_dir})

file(RELATIVE_PATH sluice_pc_to_prefix /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/sluice.pc.in ${PROJECT_BINARY_DIR}/sluice.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sluice.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(SLUICE_BUILD_CLI)
  install(TARGETS sluice RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${PROJECT_SOURCE_DIR}/CHANGELOG.md ${PROJECT_SOURCE_DIR}/README.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
