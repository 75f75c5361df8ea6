# --precision int8 on the "cpu" device: its refusals, the FINISH step
# against its definition (vector against plain code), and descriptors
# against fp32 (full-size VGG-16 with random weights, hence the
# integration label).
if(TARGET vggextract)
  vgg_add_test(NAME test_net_int8 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_int8.c
               LIBS vggextract vggnet ${MATH_LIB} LABELS integration)
  target_include_directories(test_net_int8 PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                             ${CMAKE_SOURCE_DIR}/net/cpu)
  set_tests_properties(test_net_int8 PROPERTIES TIMEOUT 900)
endif()
