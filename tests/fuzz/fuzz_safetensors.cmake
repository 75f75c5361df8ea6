vgg_add_fuzzer(NAME fuzz_safetensors SOURCES fuzz_safetensors.c LIBS vggnet)
