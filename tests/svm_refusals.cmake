# vggsvm's refusals (issue 24): NaN and repeated scores, rows without
# scores, --cv capped, NaN/inf options, byte order marks, option messages,
# AP within [0, 1].  Library calls and the program on stores made here.
if(TARGET vggclassifier)
  vgg_add_test(NAME test_svm_refusals SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_svm_refusals.c
               LIBS vggclassifier vggfeatures vggcore PkgConfig::JSONC ${MATH_LIB}
               LABELS integration)
  add_dependencies(test_svm_refusals vggsvm)
endif()
