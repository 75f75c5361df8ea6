vgg_add_fuzzer(NAME fuzz_image SOURCES fuzz_image.c LIBS vggimage)
