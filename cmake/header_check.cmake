# SLUICE_HEADER_CHECK: every public header compiles on its own (it includes what it uses). One
# translation unit per header includes it twice (the second time proves its include guard);
# the CI build turns this on (CMakePresets.json, preset "ci").
file(GLOB_RECURSE sluice_public_headers RELATIVE ${PROJECT_SOURCE_DIR}
  ${PROJECT_SOURCE_DIR}/lib/sluice/*.hpp ${PROJECT_SOURCE_DIR}/coro/sluice/*.hpp ${PROJECT_SOURCE_DIR}/adapters/sluice/*.hpp)
list(FILTER sluice_public_headers EXCLUDE REGEX "^adapters/sluice/cli/")
set(sluice_header_units)
foreach(header IN LISTS sluice_public_headers)
  string(REGEX REPLACE "^(lib|coro|adapters)/" "" include_name ${header})
  string(MAKE_C_IDENTIFIER ${include_name} unit)
  set(unit_file ${PROJECT_BINARY_DIR}/header_check/${unit}.cpp)
  file(CONFIGURE OUTPUT ${unit_file} CONTENT "#include \"${include_name}\"\n#include \"${include_name}\"\n")
  list(APPEND sluice_header_units ${unit_file})
endforeach()
list(APPEND sluice_header_units ${PROJECT_BINARY_DIR}/header_check/sluice_version_hpp.cpp)
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/header_check/sluice_version_hpp.cpp
  CONTENT "#include \"sluice/version.hpp\"\n#include \"sluice/version.hpp\"\n")
add_library(sluice_header_check OBJECT ${sluice_header_units})
target_link_libraries(sluice_header_check PRIVATE sluice::sluice sluice_build_flags)
