# The CPU backend's oneDNN forward chain ("cpu") against the reference
# ("cpu-ref"): operation by operation, then VGG-16 and VGG-19 descriptors
# at Q=256 and 512 (full-size random weights; the reference side takes a
# while, hence the integration label).
if(TARGET vggextract)
  vgg_add_test(NAME test_net_fast SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_fast.c
               LIBS vggextract vggnet ${MATH_LIB} LABELS integration)
  target_include_directories(test_net_fast PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                             ${CMAKE_SOURCE_DIR}/net/cpu)
  set_tests_properties(test_net_fast PROPERTIES TIMEOUT 900)
endif()
