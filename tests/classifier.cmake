# classifier: library unit tests (unit); LIBLINEAR tools, scikit-learn and
# the vggsvm program (integration).
if(TARGET vggclassifier)
  vgg_add_test(NAME test_svm SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_svm.c
               LIBS vggclassifier vggfeatures vggcore ${MATH_LIB})
  vgg_add_test(NAME test_svm_robust SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_svm_robust.c
               LIBS vggclassifier vggfeatures vggcore ${MATH_LIB})
  vgg_add_test(NAME test_svm_liblinear SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_svm_liblinear.c
               LIBS vggfeatures vggcore ${MATH_LIB} LABELS integration)
  add_dependencies(test_svm_liblinear vggsvm)
  if(TARGET vggfeat)
    target_compile_definitions(test_svm_liblinear PRIVATE VGG_HAVE_VGGFEAT=1)
    add_dependencies(test_svm_liblinear vggfeat)
  endif()
endif()
if(TARGET vggclassifier)
  vgg_add_test(NAME test_svm_sklearn SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_svm_sklearn.c
               LIBS vggclassifier vggfeatures vggcore PkgConfig::JSONC ${MATH_LIB} LABELS integration)
  add_dependencies(test_svm_sklearn vggsvm)
endif()
if(TARGET vggclassifier)
  vgg_add_test(NAME test_svm_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_svm_cli.c
               LIBS vggfeatures vggcore PkgConfig::JSONC ${MATH_LIB} LABELS integration)
  add_dependencies(test_svm_cli vggsvm)
endif()
