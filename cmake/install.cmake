# `cmake --install build --prefix DIR`: the libraries an embedder links, their headers, the
# session VM component, the command-line tools, and a CMake package, so another project can
#   find_package(lokust REQUIRED)
#   target_link_libraries(app PRIVATE lokust::host_service)
# and find the component at ${LOKUST_SESSION_GUEST_WASM} (examples/embed/CMakeLists.txt does).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(lokust_export_targets
  lokust_engine_core lokust_engine_component lokust_wasi_core lokust_engine_wasi
  lokust_host_agents lokust_host_gpu lokust_host_store lokust_host_session_vm lokust_host_service)
foreach(t ${lokust_export_targets})
  string(REGEX REPLACE "^lokust_" "" short ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${short})
endforeach()
install(TARGETS ${lokust_export_targets} EXPORT lokustTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/engine include/host DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS session-host wasm-run RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET session_guest_component)
  install(FILES ${PROJECT_BINARY_DIR}/guest/session_guest.wasm
          DESTINATION ${CMAKE_INSTALL_DATADIR}/lokust)
endif()

set(lokust_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/lokust)
install(EXPORT lokustTargets NAMESPACE lokust:: DESTINATION ${lokust_cmake_dir})
get_property(LOKUST_PACKAGE_CUDA GLOBAL PROPERTY LOKUST_HOST_GPU_CUDA)
configure_package_config_file(cmake/lokustConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lokustConfig.cmake
  INSTALL_DESTINATION ${lokust_cmake_dir}
  PATH_VARS CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lokustConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lokustConfig.cmake
              ${PROJECT_BINARY_DIR}/lokustConfigVersion.cmake
        DESTINATION ${lokust_cmake_dir})
