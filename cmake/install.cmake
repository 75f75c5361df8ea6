# Installing and packaging, included last by the top-level CMakeLists.txt
# (after every module has declared its targets and install rules):
#   - include/vgg/version.h: the project version and the build options
#     that --version prints;
#   - the quickstart's nets and scripts under <datadir>/vggfeat and the
#     vggfeat-quickstart command;
#   - man pages and bash completion, made from --help (man/).
include(GNUInstallDirs)

# ---- version.h ---------------------------------------------------------------
# "RelWithDebInfo, GNU 12.2.0; oneDNN 2.6.3, OpenBLAS 0.3.21, LIBLINEAR 2.30;
#  CUDA no; MPI Open MPI v4.1.4": one line a bug report can quote.
set(VGG_BUILD_INFO "${CMAKE_BUILD_TYPE}, ${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")
if(VGG_SANITIZE)
  string(APPEND VGG_BUILD_INFO ", ASan+UBSan")
endif()
set(libs "")
foreach(h oneapi/dnnl/dnnl_version.h dnnl_version.h)
  if(NOT libs AND EXISTS "${DNNL_INCLUDE_DIR}/${h}")
    file(STRINGS "${DNNL_INCLUDE_DIR}/${h}" v REGEX "^#define DNNL_VERSION_(MAJOR|MINOR|PATCH) ")
    string(REGEX REPLACE "[^;]*_MAJOR +([0-9]+);[^;]*_MINOR +([0-9]+);[^;]*_PATCH +([0-9]+).*"
           "\\1.\\2.\\3" v "${v}")
    if(v MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
      set(libs "oneDNN ${v}")
    endif()
  endif()
endforeach()
if(NOT libs)
  set(libs "oneDNN (version unknown)")
endif()
if(OPENBLAS_VERSION)
  string(APPEND libs ", OpenBLAS ${OPENBLAS_VERSION}")
endif()
if(LIBLINEAR_INCLUDE_DIR AND EXISTS "${LIBLINEAR_INCLUDE_DIR}/linear.h")
  file(STRINGS "${LIBLINEAR_INCLUDE_DIR}/linear.h" v REGEX "^#define LIBLINEAR_VERSION ")
  if(v MATCHES "LIBLINEAR_VERSION +([0-9]+)([0-9][0-9])")
    string(APPEND libs ", LIBLINEAR ${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
  endif()
endif()
string(APPEND VGG_BUILD_INFO "; ${libs}")
if(VGG_HAVE_CUDA)
  string(APPEND VGG_BUILD_INFO "; CUDA ${CUDAToolkit_VERSION} (cuDNN, architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  string(APPEND VGG_BUILD_INFO "; CUDA no")
endif()
if(VGG_HAVE_MPI)
  set(v "yes")
  if(MPI_C_VERSION)
    set(v "yes (MPI-${MPI_C_VERSION})")
  endif()
  if("${MPI_C_LIBRARY_VERSION_STRING}" MATCHES "^([^,\n]+)")
    set(v "${CMAKE_MATCH_1}")
  endif()
  string(APPEND VGG_BUILD_INFO "; MPI ${v}")
else()
  string(APPEND VGG_BUILD_INFO "; MPI no")
endif()
string(REPLACE "\"" "'" VGG_BUILD_INFO "${VGG_BUILD_INFO}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/version.h.in ${CMAKE_BINARY_DIR}/include/vgg/version.h @ONLY)

# ---- programs' data: the quickstart ------------------------------------------
# <datadir>/vggfeat/models (the quickstart's nets, and the default models
# folder of an installed vggfeat: vgg/paths.h) and .../pipelines (the
# scripts the quickstart runs); <bindir>/vggfeat-quickstart runs them with
# the installed programs, found relative to itself.
set(VGG_DATA_DEST ${CMAKE_INSTALL_DATADIR}/vggfeat)
file(RELATIVE_PATH VGG_BIN_TO_DATA ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_DATADIR}/vggfeat)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/pipelines/models/ DESTINATION ${VGG_DATA_DEST}/models)
install(PROGRAMS ${CMAKE_SOURCE_DIR}/pipelines/quickstart.sh ${CMAKE_SOURCE_DIR}/pipelines/pretrain_glyphs.sh
        DESTINATION ${VGG_DATA_DEST}/pipelines)
install(FILES ${CMAKE_SOURCE_DIR}/pipelines/lib.sh DESTINATION ${VGG_DATA_DEST}/pipelines)
configure_file(${CMAKE_SOURCE_DIR}/pipelines/vggfeat-quickstart.in
               ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/vggfeat-quickstart @ONLY
               FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                WORLD_READ WORLD_EXECUTE)
install(PROGRAMS ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/vggfeat-quickstart DESTINATION ${CMAKE_INSTALL_BINDIR})

# ---- man pages and bash completion --------------------------------------------
add_subdirectory(${CMAKE_SOURCE_DIR}/man ${CMAKE_BINARY_DIR}/man)
