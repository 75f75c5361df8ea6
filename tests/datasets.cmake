# Dataset readers and the per-dataset pipeline scripts.
if(TARGET vggdatasets)
  vgg_add_test(NAME test_datasets SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_datasets.c LIBS vggdatasets)
endif()
