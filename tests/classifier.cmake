# classifier: library unit tests (unit); LIBLINEAR tools, scikit-learn and
# the vggsvm program (integration).
if(TARGET vggclassifier)
  vgg_add_test(NAME test_svm SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_svm.c
               LIBS vggclassifier vggextract vggcore ${MATH_LIB})
endif()
