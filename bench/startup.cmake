# Start-up: weights loaded in place from the file's map against copied,
# then the first and second image (bench_startup.c).
add_executable(bench_startup ${CMAKE_CURRENT_SOURCE_DIR}/bench_startup.c)
target_link_libraries(bench_startup PRIVATE vggnet ${MATH_LIB})
