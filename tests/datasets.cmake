# Dataset readers (unit) and the per-dataset pipeline scripts end to end
# on miniature dataset copies (integration).
if(TARGET vggdatasets)
  vgg_add_test(NAME test_datasets SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_datasets.c LIBS vggdatasets)
  add_test(NAME test_pipelines
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_pipelines.sh ${CMAKE_BINARY_DIR}/bin
                   ${VGG_PYTHON} ${CMAKE_SOURCE_DIR}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(test_pipelines PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()
if(TARGET vggdatasets)
  vgg_add_test(NAME test_glyphs SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_glyphs.c LIBS vggdatasets vggimage)
  target_include_directories(test_glyphs PRIVATE ${CMAKE_SOURCE_DIR}/datasets/src)
endif()
