# The CPU backend's thread pool (net/cpu/cpu.c).
if(TARGET vggnet)
  vgg_add_test(NAME test_cpu_pool SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_cpu_pool.c
               LIBS vggnet Threads::Threads)
  target_include_directories(test_cpu_pool PRIVATE ${CMAKE_SOURCE_DIR}/net/src
                             ${CMAKE_SOURCE_DIR}/net/cpu)
endif()
