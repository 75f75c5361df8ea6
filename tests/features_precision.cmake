# features/: the description's record of the nets' precision ("precision")
if(TARGET vggfeatures)
  vgg_add_test(NAME test_featdesc_precision
               SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_featdesc_precision.c LIBS vggfeatures)
endif()
