vgg_add_fuzzer(NAME fuzz_caffe SOURCES fuzz_caffe.c LIBS vggnet)
