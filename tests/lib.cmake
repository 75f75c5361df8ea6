# libvggfeat (the public C library) and its Python bindings:
#   test_lib              the C API through vgg/vggfeat.h alone, rows byte for byte
#                         those of vggfeat extract (tiny nets)
#   test_lib_abi          exports exactly the header's functions; soname
#   test_lib_example      examples/describe.c built against the library as CMake
#                         builds it and against an installed copy through
#                         pkg-config, its rows those of vggfeat extract
#   test_python_lib       python/vggfeat from the source tree
#   test_python_installed python/vggfeat installed with the library, found there
if(TARGET libvggfeat AND TARGET vggfeat)
  vgg_add_test(NAME test_lib
               SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_lib.c
               LIBS libvggfeat Threads::Threads
               LABELS integration)
  target_compile_definitions(test_lib PRIVATE VGG_PROJECT_VERSION="${PROJECT_VERSION}")
  add_dependencies(test_lib vggfeat)

  find_program(VGG_CXX NAMES c++ g++)
  add_test(NAME test_lib_abi
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_lib_abi.sh $<TARGET_FILE:libvggfeat>
                   ${PROJECT_SOURCE_DIR}/include/vgg/vggfeat.h ${PROJECT_VERSION_MAJOR}
                   ${CMAKE_C_COMPILER} ${VGG_CXX})
  set_tests_properties(test_lib_abi PROPERTIES LABELS unit)

  if(VGG_PYTHON AND TARGET example_describe)
    include(GNUInstallDirs)
    # the sanitizer build's library needs its runtime in the program too
    set(lib_example_flags "")
    if(VGG_SANITIZE)
      set(lib_example_flags "-fsanitize=address,undefined")
    endif()
    add_test(NAME test_lib_example
             COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_lib_example.sh ${CMAKE_BINARY_DIR}
                     ${PROJECT_SOURCE_DIR} ${CMAKE_INSTALL_LIBDIR} ${PROJECT_VERSION}
                     ${CMAKE_C_COMPILER} ${VGG_PYTHON} "${lib_example_flags}")
    set_tests_properties(test_lib_example PROPERTIES LABELS integration SKIP_RETURN_CODE 77)
  endif()

  # Python cannot load a sanitizer-built library (its runtime must come
  # first): the bindings are tested in the plain build.
  if(VGG_PYTHON AND NOT VGG_SANITIZE AND NOT VGG_FUZZ)
    add_test(NAME test_python_lib
             COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_python_lib.py source
                     ${CMAKE_BINARY_DIR})
    set_tests_properties(test_python_lib PROPERTIES LABELS integration SKIP_RETURN_CODE 77
      ENVIRONMENT "VGGFEAT_LIB=$<TARGET_FILE:libvggfeat>;PYTHONPATH=${PROJECT_SOURCE_DIR}/python")
    add_test(NAME test_python_installed
             COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_python_lib.py installed
                     ${CMAKE_BINARY_DIR} ${VGG_PYTHON_INSTALL_DIR})
    set_tests_properties(test_python_installed PROPERTIES LABELS integration
                         SKIP_RETURN_CODE 77)
  endif()
endif()
