vgg_add_fuzzer(NAME fuzz_idx SOURCES fuzz_idx.c LIBS vggpretrain)
