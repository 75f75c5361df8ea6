# extractor/: an all-zero or non-finite descriptor before L2 normalisation
# is an error of its image (--on-error fail stops naming it, skip counts
# and names it), on "cpu" and "cpu-ref"; the program's summary too.
if(TARGET vggfeat)
  vgg_add_test(NAME test_extract_finite
               SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_extract_finite.c
               LIBS vggextract PNG::PNG ${MATH_LIB})
  add_dependencies(test_extract_finite vggfeat)
endif()
