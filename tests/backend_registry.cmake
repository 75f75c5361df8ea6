# The registry of backends (net/src/registry.c): every backend registered
# once under a name no other shadows, device names and lists parsed in
# net/, the listings, options and collectives through the descriptors.
vgg_add_test(NAME test_backend_registry
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_backend_registry.c LIBS vggnet)
target_include_directories(test_backend_registry PRIVATE ${CMAKE_SOURCE_DIR}/net/src)
