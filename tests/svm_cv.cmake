# vggsvm train's choice of C by cross-validation and on a held-out part,
# against LIBLINEAR's own programs on the same folds and scikit-learn's
# mean class recall (tests/svm_cv_ref.py).
if(TARGET vggsvm)
  vgg_add_test(NAME test_svm_cv SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_svm_cv.c
               LIBS vggfeatures vggcore PkgConfig::JSONC ${MATH_LIB} LABELS integration)
  add_dependencies(test_svm_cv vggsvm)
endif()
