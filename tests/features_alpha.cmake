# features/: the description's record of transparency ("alpha")
if(TARGET vggfeatures)
  vgg_add_test(NAME test_featdesc_alpha SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_featdesc_alpha.c
               LIBS vggfeatures)
endif()
