# SVM training time and peak RSS on a Caltech-101-shaped problem
# (3,060 x 24,576, 102 classes): vggsvm train, liblinear-train on the
# exported text file and scikit-learn LinearSVC (bench_svm.py), in the same
# run.   build/bin/bench_svm [--n 3060] [--dim 24576] [--classes 102] [--cv]
if(TARGET vggclassifier)
  find_program(VGG_BENCH_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  add_executable(bench_svm ${CMAKE_CURRENT_SOURCE_DIR}/bench_svm.c)
  target_link_libraries(bench_svm PRIVATE vggfeatures vggcore m)
  target_compile_definitions(bench_svm PRIVATE
    VGG_PYTHON="${VGG_BENCH_PYTHON}"
    VGG_BIN_DIR="${CMAKE_BINARY_DIR}/bin"
    VGG_BENCH_SVM_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/bench_svm.py")
  add_dependencies(bench_svm vggsvm)
endif()
