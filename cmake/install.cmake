# Installation: the library, its headers, a CMake package and a pkg-config
# file, all relocatable: they find each other from where they were installed,
# so `cmake --install <build> --prefix <anywhere>` gives a working tree.
include(CMakePackageConfigHelpers)

install(TARGETS mpool EXPORT mpoolTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/mpool DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The CMake package. It satisfies a request for a version of the same major
# that is not newer (this 0.2.0: 0.1 and 0.2, not 0.3 nor 1.0), the major
# version being the one the soname carries (libmpool.so.0).
set(mpool_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/mpool)
install(EXPORT mpoolTargets NAMESPACE mpool:: DESTINATION ${mpool_cmake_dir})
configure_package_config_file(cmake/mpoolConfig.cmake.in ${PROJECT_BINARY_DIR}/mpoolConfig.cmake
  INSTALL_DESTINATION ${mpool_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mpoolConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mpoolConfig.cmake ${PROJECT_BINARY_DIR}/mpoolConfigVersion.cmake
  DESTINATION ${mpool_cmake_dir})

# pkg-config. The prefix is found from the .pc file's own directory
# (${pcfiledir}, <prefix>/<libdir>/pkgconfig), with as many ".." as that
# directory is deep: 2 for lib/pkgconfig, 3 for lib/x86_64-linux-gnu/pkgconfig.
# An absolute libdir or includedir is written as it is.
set(mpool_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(MPOOL_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(MPOOL_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  string(REGEX REPLACE "[^/]+" ".." MPOOL_PC_PREFIX "${mpool_pc_dir}")
  string(REGEX REPLACE "/+$" "" MPOOL_PC_PREFIX "\${pcfiledir}/${MPOOL_PC_PREFIX}")
  set(MPOOL_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(MPOOL_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(MPOOL_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# What a static link needs besides libmpool.a: the C++ runtime (a C program
# is linked without it) and threads.
list(TRANSFORM MPOOL_CXX_RUNTIME PREPEND "-l" OUTPUT_VARIABLE mpool_pc_private)
list(APPEND mpool_pc_private -lpthread)
list(JOIN mpool_pc_private " " MPOOL_PC_LIBS_PRIVATE)
configure_file(cmake/mpool.pc.in ${PROJECT_BINARY_DIR}/mpool.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mpool.pc DESTINATION ${mpool_pc_dir})
