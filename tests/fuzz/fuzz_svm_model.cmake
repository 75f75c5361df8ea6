vgg_add_fuzzer(NAME fuzz_svm_model SOURCES fuzz_svm_model.c LIBS vggclassifier)
