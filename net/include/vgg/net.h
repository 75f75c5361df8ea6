/* vggfeat network engine: the VGG configurations of Table 1 of Simonyan &
 * Zisserman (ICLR 2015) as data, the backend line (CPU now, CUDA later),
 * forward passes (classification and dense), and safetensors weights.
 *
 * Shapes are written (N, C, H, W); tensors are float32, row-major NCHW.
 */
#ifndef VGG_NET_H
#define VGG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgg/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Backends                                                            */
/* ------------------------------------------------------------------ */

typedef struct vgg_backend vgg_backend;

/* Open a backend by name: "cpu", "cpu-ref", "cuda", "cuda:N" (NULL:
 * "cpu"), chosen through the registry of the backends this build has
 * (net/src/registry.c; vgg_backend_list_devices lists them).  "cpu" runs
 * forward passes on oneDNN (Winograd or direct convolutions, blocked
 * layouts; within 1e-4 relative of the reference, see net/README.md);
 * "cpu-ref" is the plain reference implementation (im2col + OpenBLAS),
 * the one every other backend is checked against.  Both train with the
 * reference operations.  threads (CPU) is the number of worker threads
 * (oneDNN's OpenMP team or cpu-ref's pool, and OpenBLAS's), 1 to
 * VGG_MAX_THREADS (INVALID otherwise), 0 for one per core, as many as the
 * address-space limit leaves room for.  A count whose stacks and buffers
 * do not fit under that limit is TOO_LARGE, a thread that cannot be
 * started NOMEM, both naming the count, before anything runs.  A name no
 * backend has is VGG_STATUS_INVALID listing the names there are; a CUDA
 * name in a build without CUDA returns VGG_STATUS_UNSUPPORTED saying so. */
vgg_status vgg_backend_open(const char *device, int threads, vgg_backend **out);
void vgg_backend_close(vgg_backend *be);

/* Arithmetic of a backend: fp32 everywhere by default; tf32 on a GPU;
 * bf16 for forward passes (extraction) on "cpu" where the CPU has bf16
 * instructions. */
typedef enum vgg_precision {
    VGG_PRECISION_FP32 = 0, /* fp32 products and sums: cuDNN CUDNN_FMA_MATH, cuBLAS
                               pedantic, no TF32 (within 1e-5 of cpu-ref) */
    VGG_PRECISION_TF32,     /* convolutions and fc products on tensor cores with
                               10-bit mantissa inputs, fp32 sums (descriptors: a
                               target of 1e-2 relative L2, docs/gpu.md) */
    VGG_PRECISION_BF16,     /* "cpu" forward passes only: oneDNN convolutions and fc
                               products on bf16 inputs, weights and activations
                               (8-bit mantissa), fp32 sums, fp32 output (see
                               net/README.md for its error).  Needs AVX512-BF16 or
                               AMX; training refuses it */
    VGG_PRECISION_INT8      /* "cpu" forward passes only: the 3x3 convolutions after
                               the first on 8-bit activations (unsigned, one scale an
                               image, set by its largest value) and 8-bit weights
                               (signed, one scale an output channel), exact 32-bit
                               sums; the first convolution, the pooling and the fc
                               layers in fp32 (net/README.md for its error).  Needs
                               AVX512-VNNI or AVX-VNNI; training refuses it */
} vgg_precision;

/* Options of a GPU backend; the CPU backends ignore them. */
typedef struct vgg_device_opts {
    vgg_precision precision;
    /* the most workspace one convolution may use, in MiB (algorithms that
     * need more are not chosen); 0: 1024 */
    size_t workspace_mb;
    /* only deterministic algorithms (training runs that must repeat bit
     * for bit); false */
    bool deterministic;
} vgg_device_opts;

/* Defaults (fp32, 1024 MiB, not deterministic), then the environment
 * where set: VGG_PRECISION ("fp32" or "tf32"), VGG_WORKSPACE_MB (a
 * positive number), VGG_DETERMINISTIC ("1").  A value that does not parse
 * is VGG_STATUS_INVALID naming the variable. */
vgg_status vgg_device_opts_default(vgg_device_opts *o);

/* One command-line option into o, over what vgg_device_opts_default set:
 * option "precision" (value "fp32", "tf32", "bf16" or "int8"), "workspace" (value a
 * positive number of MiB) or "deterministic" (value NULL).  A bad value
 * is VGG_STATUS_INVALID naming the option and the value
 * ("--precision 'fp16': expected fp32, tf32, bf16 or int8"); o is then unchanged. */
vgg_status vgg_device_opts_set(vgg_device_opts *o, const char *option, const char *value);

/* The device options of a command for device: vgg_device_opts_default
 * (the environment; VGG_PRECISION only where device is a GPU, by its
 * backend's kind, so that a shell's GPU setting does not stop CPU runs),
 * then the command line's precision and workspace where not NULL
 * (vgg_device_opts_set) and deterministic where true: the options win
 * over the environment.
 * VGG_STATUS_INVALID naming the variable or the option. */
vgg_status vgg_device_opts_command(const char *device, const char *precision,
                                   const char *workspace, bool deterministic, vgg_device_opts *o);

/* vgg_backend_open with explicit device options, kept by the backend
 * (vgg_backend_device_opts).  TF32 on "cpu" or "cpu-ref" is
 * VGG_STATUS_INVALID saying it needs a GPU; BF16 is for "cpu" alone
 * (INVALID on "cpu-ref" and on a GPU; UNSUPPORTED where the CPU lacks
 * bf16 instructions, saying so); the
 * workspace and determinism have no effect there (the CPU backends bound
 * their scratch by a fixed rule and repeat bit for bit anyway).
 * vgg_backend_open opens with vgg_device_opts_command(device, NULL,
 * NULL, false). */
vgg_status vgg_backend_open_opts(const char *device, int threads, const vgg_device_opts *o,
                                 vgg_backend **out);

/* The device options be was opened with (borrowed; NULL for NULL). */
const vgg_device_opts *vgg_backend_device_opts(const vgg_backend *be);
/* "fp32", "tf32", "bf16" or "int8" ("?" for a value outside the enum) */
const char *vgg_precision_name(vgg_precision p);

/* One line per GPU this build can use ("cuda:0  NVIDIA H200  139.8 GiB  compute 9.0"),
 * written into buf (NUL-terminated, cut at size); returns their number.
 * With none, returns 0 and buf says why (this build has no CUDA backend;
 * the driver's message: no driver, no device). */
int vgg_backend_list_gpus(char *buf, size_t size);

/* Every backend of the registry with its devices, into buf as
 * vgg_backend_list_gpus does: the CPU's ("cpu       2 cores: oneDNN ...";
 * "cpu-ref   2 cores: ..."), then each GPU backend's lines, or its line
 * saying why it has none ("no GPUs: this build has no CUDA backend ...").
 * Returns the number of devices listed. */
int vgg_backend_list_devices(char *buf, size_t size);

/* A device as a command line names it, resolved through the registry:
 * the backend's name and the device's number. */
typedef struct vgg_device_spec {
    char name[24];      /* written the backend's way: "cpu", "cpu-ref", "cuda", "cuda:1" */
    char backend[16];   /* the backend's name: "cuda" */
    int index;          /* the device's number; -1 where none was given */
    bool numbered;      /* the backend numbers its devices (cuda:N) */
    bool built;         /* false: a backend this build lacks (opening it says why) */
} vgg_device_spec;

/* device ("cpu", "CUDA:1") into out.  VGG_STATUS_INVALID naming device:
 * no backend has its name ("unknown device 'tpu' (cpu, cpu-ref, cuda,
 * cuda:N)"), or what follows the name is not the backend's
 * ("device 'cuda:x': expected cuda:N, N a number from 0 to 255"). */
vgg_status vgg_device_parse(const char *device, vgg_device_spec *out);

/* A comma-separated list of devices ("cuda:0,1,2,3", "cuda:0,cuda:2",
 * "cpu,cpu"; a bare N stands for the numbered device N of the backend
 * named before it) into out[0..*n), at most max.  A numbered device may
 * appear once (two threads cannot share a GPU's communicator rank); the
 * CPU's may repeat.  VGG_STATUS_INVALID with a message that quotes the
 * list and says what is wrong in it ("'cuda:0,0': 0 given twice";
 * "'gpu0' is not a device (cpu, cpu-ref, cuda, cuda:N)"); a caller
 * prefixes its option's name. */
#define VGG_MAX_DEVICES 64
vgg_status vgg_device_list_parse(const char *list, vgg_device_spec *out, int max, int *n);
const char *vgg_backend_name(const vgg_backend *be);   /* "cpu", "cpu-ref", "cuda:0" */
int vgg_backend_threads(const vgg_backend *be);

/* ------------------------------------------------------------------ */
/* Architectures                                                       */
/* ------------------------------------------------------------------ */

typedef enum vgg_config_id {
    VGG_CONFIG_A = 0,
    VGG_CONFIG_A_LRN,
    VGG_CONFIG_B,
    VGG_CONFIG_C,
    VGG_CONFIG_D,
    VGG_CONFIG_E,
    VGG_CONFIG_COUNT_
} vgg_config_id;

typedef enum vgg_pool_round {
    VGG_POOL_FLOOR = 0, /* PyTorch: out = floor((in - 2) / 2) + 1 */
    VGG_POOL_CEIL = 1   /* Caffe:   out = ceil((in - 2) / 2) + 1, windows clipped */
} vgg_pool_round;

typedef struct vgg_arch {
    vgg_config_id config;
    float width;        /* conv channel multiplier: channels = max(1, round(c * width)); 1 */
    int fc_dim;         /* fc6/fc7 width; 4096 */
    int num_classes;    /* fc8 outputs; 1000 */
    int input_size;     /* training crop S x S, a multiple of 32; 224.  fc6 is a
                           (input_size/32) x (input_size/32) convolution */
    vgg_pool_round pool_round;
    bool batch_norm;    /* a batch normalisation after each convolution, before its
                           ReLU, as torchvision's vgg11_bn ... vgg19_bn (not in the
                           paper); false */
} vgg_arch;

/* Defaults for a configuration: width 1, fc 4096, 1000 classes, 224, floor,
 * no batch normalisation. */
void vgg_arch_default(vgg_arch *a, vgg_config_id config);

/* The configuration's name, with "-BN" for batch normalisation ("D",
 * "D-BN"), into buf (at least 16 bytes); returns buf. */
const char *vgg_arch_name(const vgg_arch *a, char *buf, size_t size);

/* "A", "A-LRN", "B", "C", "D", "E" (case-insensitive; "vgg11", "vgg13",
 * "vgg16", "vgg19" accepted too). */
vgg_status vgg_config_parse(const char *text, vgg_config_id *out);
const char *vgg_config_name(vgg_config_id c);   /* "A", "A-LRN", ... */

/* Check an arch for sense (positive sizes, input_size multiple of 32, no
 * batch normalisation with A-LRN...). */
vgg_status vgg_arch_validate(const vgg_arch *a);

/* The layer list of an architecture, as data. */
typedef enum vgg_layer_kind {
    VGG_LAYER_CONV = 0,  /* k x k, stride 1, pad k/2, then ReLU */
    VGG_LAYER_LRN,       /* AlexNet LRN across channels: size 5, alpha 1e-4, beta .75, k 2 */
    VGG_LAYER_POOL,      /* 2x2 max-pool, stride 2 */
    VGG_LAYER_FC         /* fc6 (a kxk conv in dense mode), fc7, fc8 (1x1); ReLU except fc8 */
} vgg_layer_kind;

typedef struct vgg_layer_info {
    vgg_layer_kind kind;
    char name[16];       /* "conv1_1", "pool1", "lrn1", "fc6" */
    int in_channels;
    int out_channels;
    int kernel;          /* conv/fc kernel size (fc6: input_size/32, fc7/fc8: 1) */
    bool relu;
    char weight_key[48]; /* torchvision key prefix: "features.0", "classifier.0"; "" if none */
    bool batch_norm;     /* conv followed by batch normalisation (then the ReLU) */
    char bn_key[48];     /* its key prefix, the next module: "features.1"; "" if none */
} vgg_layer_info;

/* Fill layers[] (up to max) and *count.  At most 64 layers for any config.
 *
 * weight_key follows torchvision's nn.Sequential numbering, where every
 * module counts (conv, ReLU, pool): D conv keys features.0, 2, 5, 7, 10, 12,
 * 14, 17, 19, 21, 24, 26, 28; E 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25,
 * 28, 30, 32, 34; A 0, 3, 6, 8, 11, 13, 16, 18; B 0, 2, 5, 7, 10, 12, 15,
 * 17, 20, 22.  Our choices for the two torchvision does not have:
 *   A-LRN: conv1_1 features.0, ReLU 1, LRN 2 ("lrn1"), pool1 3, then A's
 *          layers one index later: 4, 7, 9, 12, 14, 17, 19.
 *   C:     as D (a 1x1 conv is one module like a 3x3 one); conv3_3,
 *          conv4_3 and conv5_3 (features.14, 21, 28) are the 1x1 convs.
 * With batch_norm every conv is followed by a BatchNorm2d module, as in
 * torchvision's vgg*_bn: conv, BN, ReLU take three indices (vgg16_bn conv
 * keys features.0, 3, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40, each BN
 * at the next index).
 * Layer names: conv<block>_<i>, lrn1, pool<block>, fc6, fc7, fc8. */
vgg_status vgg_arch_layers(const vgg_arch *a, vgg_layer_info *layers, int max, int *count);

/* Number of learnable parameters (D: 138,357,544; E: 143,667,240; D with
 * batch normalisation 138,365,992, its scales and shifts counted, not its
 * running statistics); -1 for an invalid arch (message recorded). */
int64_t vgg_arch_param_count(const vgg_arch *a);

/* ------------------------------------------------------------------ */
/* Networks                                                            */
/* ------------------------------------------------------------------ */

typedef struct vgg_net vgg_net;

/* A parameter tensor: a host-side view of one weight or bias, named by its
 * torchvision key ("features.0.weight", "classifier.6.bias").  fc6's weight
 * is always held as (fc_dim, C, k, k).  data is owned by the net.  A net
 * with batch normalisation also holds, after each conv's weight and bias,
 * its BN's weight, bias, running_mean and running_var ("features.1.
 * running_var"); the running statistics are not trained (running is
 * true). */
typedef struct vgg_param {
    const char *name;
    int ndim;
    int64_t shape[4];
    size_t numel;
    float *data;
    bool running;   /* a BN running statistic: updated by the training forward,
                       not by SGD */
} vgg_param;

/* A net with every parameter zero (batch normalisation: scales and
 * running variances one), on backend be (borrowed; must outlive the net).
 * Preprocessing defaults to torchvision's. */
vgg_status vgg_net_create(const vgg_arch *arch, vgg_backend *be, vgg_net **out);

/* Load a safetensors weights file (see vgg_st_* below for the keys and
 * metadata).  The architecture comes from the metadata, or is inferred from
 * the tensor names and shapes when there is none (torchvision/timm files);
 * preprocessing and pool rounding default to torchvision's then.
 *
 * With a "config" metadata key, the other architecture keys default to
 * vgg_arch_default's values when absent.  Without it: the configuration
 * from the number of features.N.weight tensors (8: A, or A-LRN when the
 * second conv is features.4; 10: B; 13: C if any is 1x1, else D; 16: E),
 * width = conv1_1's out channels / 64, fc_dim and num_classes from fc6 and
 * fc8, input_size = 32 * fc6's kernel (from a 4-D fc6, or from a 2-D
 * [fc_dim, C5*k*k] one).  Keys accepted: torchvision's, and timm's
 * pre_logits.fc1 / pre_logits.fc2 / head.fc for classifier.0 / 3 / 6; fc
 * weights as 2-D matrices or 4-D (O, I, k, k); F32, F16, BF16, F64.  Other
 * tensors in the file are ignored.
 * Batch normalisation (torchvision's and timm's vgg*_bn): with a
 * "batch_norm" metadata key of "1", or without metadata when
 * features.1.running_var is present; each BN's weight, bias, running_mean
 * and running_var are loaded (num_batches_tracked is ignored), and the
 * forward pass uses the conv folded with its BN's running statistics
 * (s = weight / sqrt(running_var + 1e-5); W' = W s, b' = (b - mean) s +
 * bias), refolded by vgg_net_params_changed.
 * Statuses: those of vgg_st_open; VGG_STATUS_FORMAT naming the file for a
 * missing tensor, a tensor whose shape does not fit the configuration, a
 * bad metadata value, or tensors that fit no configuration; NUMERIC naming
 * the file and the tensor when a weight or bias holds a NaN or an infinity,
 * or the file and the layer when the weights can make values, for inputs
 * the preprocessing gives, past the range every backend computes in float
 * without overflow (a bound from the weights, net/README.md "Non-finite
 * values").
 * A Caffe .caffemodel (by name or by its protobuf start) is FORMAT with a
 * message pointing at 'vggfeat convert'.
 * Memory: the file is mapped, and its float32 tensors at a float's
 * alignment (every one in a file vgg_net_save or torch wrote) are the
 * net's parameters where they lie, with no copy: the map is private and
 * writable, so a write to a parameter copies that page for this process
 * and never reaches the file; the net unmaps it when freed.  Replacing the
 * file by a rename (as vgg_net_save, vggtrain and 'vggfeat convert' do)
 * leaves a loaded net as it was; rewriting or truncating it in place while
 * a net is loaded is not supported (what the net reads is then undefined,
 * and a read past a truncated end is SIGBUS).  Other dtypes, and every
 * tensor when the environment sets VGG_NO_MMAP=1, are copied into the
 * net's own memory and the map released at once (net/README.md,
 * "Loading"). */
vgg_status vgg_net_load(const char *path, vgg_backend *be, vgg_net **out);

/* Save weights and metadata atomically (temp file + rename): every metadata
 * key listed below, F32 tensors under torchvision's keys, fc6/fc7/fc8
 * weights as 2-D matrices (torchvision's Linear layout), so that
 * torchvision's VGG loads the file as its state dict. */
vgg_status vgg_net_save(const vgg_net *net, const char *path);

void vgg_net_free(vgg_net *net);

const vgg_arch *vgg_net_arch(const vgg_net *net);
const vgg_preproc *vgg_net_preproc(const vgg_net *net);
void vgg_net_set_preproc(vgg_net *net, const vgg_preproc *p);
void vgg_net_set_pool_round(vgg_net *net, vgg_pool_round r);
vgg_backend *vgg_net_backend(const vgg_net *net);

int vgg_net_param_count(const vgg_net *net);             /* tensors, not scalars */
vgg_param *vgg_net_param(vgg_net *net, int i);
vgg_param *vgg_net_find_param(vgg_net *net, const char *name); /* NULL if none */

/* Call after changing parameter data through vgg_param (so a device
 * backend can upload it, and the CPU backend's forward passes reorder it
 * again into their layout).  vgg_net_param and vgg_net_find_param count
 * as a change too. */
vgg_status vgg_net_params_changed(vgg_net *net);

/* SHA-256 over the parameter names, shapes and float32 data in order
 * (independent of the file's dtype or key style).  hex: 64 chars + NUL.
 * Exactly: for each parameter in vgg_net_param order, its torchvision name
 * with a terminating NUL, ndim as u32 little-endian, each dimension as u64
 * little-endian (weights are always 4-D here, fc6 (fc_dim, C5, k, k)), then
 * its data as float32 little-endian.  Preprocessing and metadata are not
 * part of it. */
void vgg_net_digest(const vgg_net *net, char hex[65]);

/* What a forward pass returns. */
typedef enum vgg_output {
    VGG_OUTPUT_POOL5 = 0,  /* (N, C5, h, w) after pool5 */
    VGG_OUTPUT_FC6,        /* (N, fc_dim, h', w') after ReLU; h' = h - k + 1 */
    VGG_OUTPUT_FC7,        /* (N, fc_dim, h', w') after ReLU */
    VGG_OUTPUT_SCORES      /* (N, num_classes, h', w') before softmax */
} vgg_output;

/* Smallest input side for which dense mode gives at least a 1x1 fc6 map:
 * input_size for floor pooling (224 for the paper's nets), 32*(k-1)+1 for
 * ceil pooling (193). */
int vgg_net_min_input(const vgg_net *net);

/* Output shape for an (N, 3, h, w) input.  An input whose pool5 map is
 * smaller than fc6's kernel returns VGG_STATUS_INVALID with a message
 * naming the minimum size. */
vgg_status vgg_net_output_shape(const vgg_net *net, int h, int w, vgg_output what,
                                int *oc, int *oh, int *ow);

/* Dense forward: input is host (n, 3, h, w), already preprocessed; output is
 * host memory of n * oc * oh * ow floats (see vgg_net_output_shape).
 * Classification mode is the same call with h = w = input_size: the score
 * map is then (n, num_classes, 1, 1).  The n images go through every layer
 * together (fc6 and fc7 read their weights once per call).  Buffers are
 * kept between calls (by the net, or by the backend for all its nets) and
 * grown to the largest batch seen.  Not reentrant on one net: use one net
 * per thread.  NUMERIC: an input holding a NaN or an infinity (naming the
 * element and the image); weights that can make values past the range
 * every backend computes in float without overflow, for inputs of this
 * one's range (naming the layer; the bound is computed once per change of
 * the weights, as vgg_net_load does, so "cpu" and "cpu-ref" refuse the
 * same weights); and, as a backend fault, an output holding a NaN or an
 * infinity (naming the first layer that made one, found by running that
 * sample again layer by layer). */
vgg_status vgg_net_forward(vgg_net *net, const float *input, int n, int h, int w,
                           vgg_output what, float *output);

/* Dense forward, then global average pooling on the backend: output is
 * host (n, oc), the mean of each channel of each image's (oc, oh, ow)
 * map (see vgg_net_output_shape), so that only n * oc floats leave the
 * device.  Same statuses as vgg_net_forward. */
vgg_status vgg_net_forward_pooled(vgg_net *net, const float *input, int n, int h, int w,
                                  vgg_output what, float *output);

/* Per-layer timing of forward passes (for benchmarks): set_profiling
 * resets the times and turns timing on (a wait after every layer) or off;
 * layer_seconds copies up to max per-layer totals, in the order of
 * vgg_arch_layers (a layout change between layers counts to the layer
 * after it), and returns the number of layers. */
void vgg_net_set_profiling(vgg_net *net, bool on);
int vgg_net_layer_seconds(const vgg_net *net, double *seconds, int max);

/* ------------------------------------------------------------------ */
/* safetensors                                                         */
/* ------------------------------------------------------------------ */

/* Metadata keys written by vggfeat (all values are strings):
 *   "format"        "vggfeat-weights-1"
 *   "config"        "A" | "A-LRN" | "B" | "C" | "D" | "E"
 *   "width"         conv channel multiplier, e.g. "0.125"
 *   "fc_dim"        "4096"
 *   "num_classes"   "1000"
 *   "input_size"    "224"
 *   "pool_round"    "floor" | "ceil"
 *   "channel_order" "RGB" | "BGR"
 *   "input_range"   "1" | "255"
 *   "mean"          "0.485,0.456,0.406"   (network channel order)
 *   "std"           "0.229,0.224,0.225"
 *   "batch_norm"    "1" (only written for a net with batch normalisation)
 * Other keys are kept and ignored. */

typedef enum vgg_dtype {
    VGG_DTYPE_F32 = 0,
    VGG_DTYPE_F16,
    VGG_DTYPE_BF16,
    VGG_DTYPE_F64,
    VGG_DTYPE_I64   /* read (BN's num_batches_tracked), converted to float */
} vgg_dtype;

/* Bytes per element of a dtype; 0 for a value outside the enum.  The one
 * table of element sizes: readers, writers and tests all ask here. */
size_t vgg_dtype_size(vgg_dtype d);

typedef struct vgg_st_tensor {
    const char *name;
    vgg_dtype dtype;
    int ndim;
    int64_t shape[8];
    const void *data;     /* points into the mapped file */
    size_t nbytes;
} vgg_st_tensor;

typedef struct vgg_safetensors vgg_safetensors;

/* Map and validate a safetensors file: header length within the file and
 * at most 100,000,000 bytes, valid JSON, known dtypes, offsets in range,
 * tensors tiling the data buffer without gaps or overlaps, sizes matching
 * shapes.  Errors are VGG_STATUS_FORMAT naming the file and the problem. */
vgg_status vgg_st_open(const char *path, vgg_safetensors **out);
void vgg_st_close(vgg_safetensors *st);
int vgg_st_count(const vgg_safetensors *st);
const vgg_st_tensor *vgg_st_tensor_at(const vgg_safetensors *st, int i);
const vgg_st_tensor *vgg_st_find(const vgg_safetensors *st, const char *name);
/* Metadata value for key, NULL if absent. */
const char *vgg_st_meta(const vgg_safetensors *st, const char *key);
int vgg_st_meta_count(const vgg_safetensors *st);
void vgg_st_meta_at(const vgg_safetensors *st, int i, const char **key, const char **value);

/* Convert a tensor to float32 (f16, bf16, f64 are converted). */
vgg_status vgg_st_to_f32(const vgg_safetensors *st, const vgg_st_tensor *t, float *out);

/* Write a safetensors file atomically.  Tensors are written in the order
 * given, with data taken from data pointers (dtype F32 only is required;
 * others are written as given).  meta_keys/meta_values may be NULL when
 * n_meta is 0. */
typedef struct vgg_st_entry {
    const char *name;
    vgg_dtype dtype;
    int ndim;
    int64_t shape[8];
    const void *data;
} vgg_st_entry;

vgg_status vgg_st_write(const char *path, const vgg_st_entry *entries, int n,
                        const char *const *meta_keys, const char *const *meta_values,
                        int n_meta);

#ifdef __cplusplus
}
#endif
#endif
