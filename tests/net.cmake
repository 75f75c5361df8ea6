# Network engine tests.  test_net: layers, configurations, safetensors and
# agreement with PyTorch on the committed reduced-width fixtures
# (fixtures/net/, made by gen_net_fixtures.py).  test_net_torch: a full-size
# VGG-16 against PyTorch, its reference made at test time (skipped where
# torch is not installed).
vgg_add_test(NAME test_net SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net.c LIBS vggnet)
target_include_directories(test_net PRIVATE ${CMAKE_SOURCE_DIR}/net/src)

vgg_add_test(NAME test_net_torch SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_torch.c
  LIBS vggnet LABELS integration)
target_include_directories(test_net_torch PRIVATE ${CMAKE_SOURCE_DIR}/net/src)
set_tests_properties(test_net_torch PROPERTIES TIMEOUT 900)

# non-finite weights and activations, a caffemodel given as weights
vgg_add_test(NAME test_net_guard SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_guard.c LIBS vggnet)

# device options of a command line over the environment; the CPU refuses tf32
vgg_add_test(NAME test_device_opts SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_device_opts.c LIBS vggnet)
