# The CPU backends' threads within their limits: the shared cap, a thread
# that cannot start, an address-space limit (net/cpu/cpu.c, core/src/threads.c).
if(TARGET vggnet)
  vgg_add_test(NAME test_cpu_threads SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_cpu_threads.c
               LIBS vggnet Threads::Threads)
endif()
