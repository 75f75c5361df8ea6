vgg_add_fuzzer(NAME fuzz_svm_scores SOURCES fuzz_svm_scores.c LIBS vggclassifier)
