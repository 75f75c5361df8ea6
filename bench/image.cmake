# Decode + resize throughput (images/s on one core) on generated 500x375
# JPEGs, full-size and reduced-scale decoding, side by side with Pillow
# (bench_image.py, run by bench_image in the same run).
#   build/bin/bench_image [--n 32] [--q 256,128] [--size 500x375] [--seconds 2]
if(TARGET vggimage)
  find_program(VGG_BENCH_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  add_executable(bench_image ${CMAKE_CURRENT_SOURCE_DIR}/bench_image.c)
  target_link_libraries(bench_image PRIVATE vggimage m)
  target_compile_definitions(bench_image PRIVATE
    VGG_PYTHON="${VGG_BENCH_PYTHON}"
    VGG_IMAGE_BENCH_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/bench_image.py")
endif()
