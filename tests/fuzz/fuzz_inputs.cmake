# inputs.c is vggfeat's own (not in a library): compiled in.
vgg_add_fuzzer(NAME fuzz_inputs SOURCES fuzz_inputs.c ../../extractor/src/inputs.c LIBS vggextract)
target_include_directories(fuzz_inputs PRIVATE ${CMAKE_SOURCE_DIR}/extractor/src)
