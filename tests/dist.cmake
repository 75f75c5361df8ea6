# Data-parallel pretraining (issue 15).  The pieces (slice loaders, the
# trainer's reduction and broadcast, NCCL refused on the CPU) in any build:
if(TARGET vggpretrain)
  vgg_add_test(NAME test_train_dist_unit
               SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_train_dist_unit.c LIBS vggpretrain)
endif()
# The whole: 2 CPU ranks
# under Open MPI's mpirun against one process, a rank killed mid-run, the
# resume on one rank, --devices cpu,cpu.  Only in a build with MPI and an mpirun.
if(TARGET vggtrain AND VGG_HAVE_MPI AND VGG_PYTHON)
  find_program(VGG_MPIRUN NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
  if(VGG_MPIRUN)
    add_test(NAME test_train_dist
             COMMAND ${VGG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_train_dist.py
                     ${CMAKE_BINARY_DIR}/bin ${VGG_MPIRUN} ${CMAKE_CURRENT_BINARY_DIR}/train_dist_work)
    set_tests_properties(test_train_dist PROPERTIES LABELS integration TIMEOUT 600)
  else()
    vgg_missing_test(test_train_dist "mpirun (openmpi-bin)")
  endif()
elseif(TARGET vggtrain AND VGG_PYTHON AND NOT VGG_MPI STREQUAL "OFF")
  # MPI not found (VGG_MPI=OFF leaves the test out on purpose)
  vgg_missing_test(test_train_dist "MPI for C (libopenmpi-dev)")
endif()
