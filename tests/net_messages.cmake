# The weights reader's messages: metadata values it refuses, a tensor name
# given twice (net/src/weights.c, net/src/safetensors.c)
if(TARGET vggnet)
  vgg_add_test(NAME test_net_messages SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_net_messages.c
               LIBS vggnet)
endif()
