# The exported package: find_package(mxpp) and target_link_libraries(... mxpp::mxpp) in another project.
include(CMakePackageConfigHelpers)
set(MXPP_CONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mxpp)
install(EXPORT mxppTargets NAMESPACE mxpp:: DESTINATION ${MXPP_CONFIG_DIR})
configure_package_config_file(cmake/mxppConfig.cmake.in ${PROJECT_BINARY_DIR}/mxppConfig.cmake
  INSTALL_DESTINATION ${MXPP_CONFIG_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mxppConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mxppConfig.cmake ${PROJECT_BINARY_DIR}/mxppConfigVersion.cmake
  DESTINATION ${MXPP_CONFIG_DIR})
