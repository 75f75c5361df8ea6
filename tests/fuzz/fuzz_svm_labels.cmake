vgg_add_fuzzer(NAME fuzz_svm_labels SOURCES fuzz_svm_labels.c LIBS vggclassifier)
