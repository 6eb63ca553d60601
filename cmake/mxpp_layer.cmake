# mxpp_add_layer(NAME SOURCES ... HEADERS ... DEPENDS ...): one shared library per layer.
# Layers link only the layers beneath them, and --no-undefined makes a reach upwards a link error.
function(mxpp_add_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;HEADERS;DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  add_library(mxpp_${name} SHARED ${ARG_SOURCES})
  add_library(mxpp::${name} ALIAS mxpp_${name})
  target_include_directories(mxpp_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(mxpp_${name} PUBLIC ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE_DEPENDS})
  if(NOT MXPP_FUZZ)  # clang's fuzzer and ASan runtimes live in the executable, so libraries leave them undefined
    target_link_options(mxpp_${name} PRIVATE -Wl,--no-undefined)
  endif()
  target_compile_options(mxpp_${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -fno-semantic-interposition>)
  set_target_properties(mxpp_${name} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  install(TARGETS mxpp_${name} EXPORT mxppTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES ${ARG_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mx/${name})
endfunction()
