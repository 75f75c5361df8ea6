# Installing and packaging, included last by the top-level CMakeLists.txt
# (after every module has declared its targets and install rules):
#   - include/vgg/version.h: the project version and the build options
#     that --version prints;
#   - the quickstart's nets and scripts under <datadir>/vggfeat and the
#     vggfeat-quickstart command;
#   - man pages and bash completion, made from --help (man/);
#   - CPack's Debian package: one package, vggfeat, with everything any
#     install() rule declares (pipelines/package.sh builds it).
include(GNUInstallDirs)

# ---- version.h ---------------------------------------------------------------
# "RelWithDebInfo, GNU 12.2.0; oneDNN 2.6.3, OpenBLAS 0.3.21, LIBLINEAR 2.30;
#  CUDA no; MPI yes (MPI-3.1)": one line a bug report can quote (the MPI
#  library's own name where FindMPI reports it).
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

# ---- the Debian package --------------------------------------------------------
# One package with everything the install rules declare (programs, data,
# man pages, completion; the library, its header and vggfeat.pc, and the
# Python bindings where the tree has them), as LIBLINEAR ships its tools,
# library and bindings from one source.  Depends: computed by
# dpkg-shlibdeps from the ELF files.  Recommends: what no ELF file names
# but parts of the package use: the quickstart's data (Debian's CJK fonts,
# which vggdata glyphs renders from, dataset-fashion-mnist) and jq (its
# scripts read JSON), and python3 with numpy for the bindings: apt installs
# them by default, and --no-install-recommends leaves the four programs,
# which need none of them.
set(VGG_PACKAGE_MAINTAINER "vggfeat maintainers <maintainers@vggfeat.invalid>"
    CACHE STRING "The Debian package's Maintainer field")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vggfeat)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${VGG_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "very deep ConvNet (VGG-16/19) image descriptors and linear SVMs")
# (the long description: lines of at most 72 characters, no double quotes)
string(CONCAT desc
  "vggfeat computes the image descriptors of Simonyan and Zisserman, Very\n"
  "Deep Convolutional Networks for Large-Scale Image Recognition (ICLR\n"
  "2015): dense, multi-scale, flipped VGG-16 and VGG-19 features of your\n"
  "images in a self-describing feature store (vggfeat); LIBLINEAR SVMs on\n"
  "them and their metrics (vggsvm); SGD training and evaluation of the\n"
  "configurations A-E (vggtrain); lists and splits of Caltech, PASCAL VOC\n"
  "and ILSVRC (vggdata).  vggfeat-quickstart runs the paper's transfer\n"
  "protocol in miniature, offline, with the small pretrained nets that\n"
  "come with the package.")
if(TARGET libvggfeat)
  string(APPEND desc "\nThe package also has libvggfeat, its header and pkg-config file, for\n"
                     "programs that call the extractor.")
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/python/vggfeat)
  string(APPEND desc "\nThe Python bindings (import vggfeat: numpy arrays in and out) come\n"
                     "with it.")
endif()
set(CPACK_PACKAGE_DESCRIPTION "${desc}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(recommends "fonts-noto-cjk, fonts-arphic-ukai, fonts-arphic-uming, fonts-ipafont-gothic, fonts-ipafont-mincho, fonts-wqy-microhei, dataset-fashion-mnist, jq")
if(EXISTS ${CMAKE_SOURCE_DIR}/python/vggfeat)
  string(PREPEND recommends "python3, python3-numpy, ")
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "${recommends}")
if(VGG_HAVE_MPI)
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "openmpi-bin")
endif()
include(CPack)
