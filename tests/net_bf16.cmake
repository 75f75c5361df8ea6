# The "cpu" device's batching (an image and its flip, --batch N, in one
# oneDNN call) and --precision bf16 against fp32 (full-size VGG-16 with
# random weights, hence the integration label).
if(TARGET vggextract)
  vgg_add_test(NAME test_net_bf16 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_bf16.c
               LIBS vggextract vggnet ${MATH_LIB} LABELS integration)
  target_include_directories(test_net_bf16 PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                             ${CMAKE_SOURCE_DIR}/net/cpu)
  set_tests_properties(test_net_bf16 PROPERTIES TIMEOUT 900)
endif()
