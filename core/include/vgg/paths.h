/* Where an installed vggfeat keeps its data: <prefix>/share/vggfeat (the
 * quickstart's nets and scripts; a models folder for the paper's nets),
 * found relative to the running program or library, so that an installation
 * works wherever its prefix is (cmake --install --prefix P, the .deb's /usr). */
#ifndef VGG_PATHS_H
#define VGG_PATHS_H

#ifdef __cplusplus
extern "C" {
#endif

/* The installed data folder as an absolute, canonical path, or NULL when
 * there is none: <dir>/<rel>, where <dir> is the folder of the shared
 * library this code was loaded from (libvggfeat.so, <rel> the way from the
 * library folder to <datadir>/vggfeat) or else of the program
 * (/proc/self/exe, <rel> the way from <bindir>), and the folder exists.  A
 * program run from a build folder has none.  Found once; thread-safe; the
 * string lives as long as the process.  Sets no error message. */
const char *vgg_data_dir(void);

#ifdef __cplusplus
}
#endif

#endif
