vgg_add_fuzzer(NAME fuzz_store SOURCES fuzz_store.c LIBS vggfeatures)
