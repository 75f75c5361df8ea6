# Caffe .caffemodel conversion (net/src/caffe.c) and pipelines/pth2safetensors.py.
# Fixtures: tests/fixtures/convert/, made by tests/gen_caffe_fixtures.py.
if(TARGET vggnet)
  vgg_add_test(NAME test_convert SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_convert.c LIBS vggnet)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_convert_torch.c)
    vgg_add_test(NAME test_convert_torch SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_convert_torch.c
                 LIBS vggnet LABELS integration)
    set_tests_properties(test_convert_torch PROPERTIES TIMEOUT 300)
  endif()
endif()
