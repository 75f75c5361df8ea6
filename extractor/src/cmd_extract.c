/* vggfeat extract: descriptors for a list of images into a feature store,
 * resumable, with decoding and resizing in worker threads. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "inputs.h"
#include "vgg/extract.h"
#include "vgg/features.h"
#include "vgg/image.h"
#include "vgg/net.h"


static void usage(FILE *fp)
{
    fprintf(fp,
"usage: vggfeat extract [options] -o FEATURES INPUT...\n"
"Compute the paper's dense multi-scale descriptor for every image into the\n"
"feature store FEATURES.  INPUTs are image files or directories (searched\n"
"recursively, sorted, images recognised by content).  Rerunning the same\n"
"command after an interruption resumes where it stopped.\n"
"\n"
"  --net LIST         nets, stacked in this order: letters A B C D E (resolved in\n"
"                     the models folder: vgg11 vgg13 vgg16c vgg16 vgg19\n"
"                     .safetensors) or weight files (default D)\n"
"  --models DIR       the models folder (default $VGGFEAT_MODELS, else ./models)\n"
"  --scales LIST      smallest-side sizes Q, e.g. 256,384 (default 256)\n"
"  --aggregate MODE   stack (default) or average the scales\n"
"  --layer NAME       fc7 (default), fc6 or pool5, global-average-pooled\n"
"  --no-flip          skip averaging with the horizontally flipped image\n"
"  --no-l2            skip the final L2 normalisation\n"
"  --list FILE        more inputs: one path per line, optionally a TAB and a label\n"
"  --shard K/N        only every N-th input, starting at K (0 <= K < N)\n"
"  --on-error MODE    fail (default: stop at an unreadable image) or skip (log,\n"
"                     count and go on)\n"
"  --threads N        threads for the nets (default 0: all cores)\n"
"  --loaders N        threads decoding and resizing ahead (default 2)\n"
"  --device DEV       cpu (default) or cuda:N\n"
"  --batch N          run up to N images of the same resized size together\n"
"  --quiet            no progress line and no summary\n"
"  -o, --output FILE  the feature store (created, or resumed if it exists)\n");
}

/* ------------------------------------------------------------ inputs */

typedef struct str_list {
    char **v;
    size_t n, cap;
} str_list;

static int str_push(str_list *l, char *s)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 64;
        char **nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    bool slash = dl > 0 && dir[dl - 1] == '/';
    size_t n = dl + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

/* every regular file under dir (symlinked files followed, symlinked
 * directories not) */
static int walk(const char *dir, str_list *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "vggfeat extract: '%s': cannot read directory: %s\n", dir,
                strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = join_path(dir, e->d_name);
        if (!p) {
            rc = -1;
            break;
        }
        struct stat lsb, sb;
        if (lstat(p, &lsb) != 0) {
            free(p);
            continue;
        }
        if (S_ISDIR(lsb.st_mode)) {
            rc = walk(p, out);
            free(p);
        } else if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (str_push(out, p) != 0) {
                free(p);
                rc = -1;
            }
        } else {
            free(p);
        }
    }
    closedir(d);
    return rc;
}

static int add_directory(input_list *l, const char *dir)
{
    str_list files = { 0 };
    int rc = walk(dir, &files);
    if (rc == 0) {
        qsort(files.v, files.n, sizeof *files.v, cmp_str);
        for (size_t i = 0; i < files.n && rc == 0; i++)
            if (vgg_image_sniff_file(files.v[i]))
                rc = input_add(l, files.v[i], NULL);
    }
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    return rc;
}

/* ------------------------------------------------------------ nets */

static const struct { const char *letter, *file; } net_files[] = {
    { "A", "vgg11" }, { "B", "vgg13" }, { "C", "vgg16c" }, { "D", "vgg16" }, { "E", "vgg19" },
};

static const char *net_file_for(const char *name)
{
    for (size_t i = 0; i < sizeof net_files / sizeof net_files[0]; i++)
        if (strcasecmp(name, net_files[i].letter) == 0 || strcmp(name, net_files[i].file) == 0)
            return net_files[i].file;
    return NULL;
}

/* path for a --net entry (malloc'd); NULL and a message if unknown */
static char *resolve_net(const char *entry, const char *models, const char *models_from)
{
    const char *file = net_file_for(entry);
    if (!file) {
        if (strchr(entry, '/') || strchr(entry, '.'))
            return strdup(entry);
        fprintf(stderr,
                "vggfeat extract: --net '%s': not a configuration letter (A, B, C, D, E) or a "
                "weights file\n", entry);
        return NULL;
    }
    size_t n = strlen(models) + strlen(file) + 16;
    char *p = malloc(n);
    if (!p)
        return NULL;
    snprintf(p, n, "%s/%s.safetensors", models, file);
    if (access(p, F_OK) != 0) {
        fprintf(stderr,
                "vggfeat extract: net '%s': no weights file '%s' (models folder %s).\n"
                "  Put the weights there: convert the Oxford Caffe release with\n"
                "    vggfeat convert VGG_ILSVRC_%s_layers.caffemodel -o %s\n"
                "  or save torchvision's %s weights as safetensors under that name; or point\n"
                "  --models or $VGGFEAT_MODELS at the folder that holds them, or give --net PATH.\n",
                entry, p, models_from, strcmp(file, "vgg19") == 0 ? "19" : "16", p, file);
        free(p);
        return NULL;
    }
    return p;
}

/* ------------------------------------------------------------ pipeline */

typedef struct slot {
    bool ready;
    vgg_status status;
    char *error;        /* message for a failed image */
    vgg_prepared *prep;
} slot;

typedef struct pipeline {
    const input *const *items;   /* the work, in order */
    size_t n;
    const vgg_extractor *ex;
    slot *slots;
    size_t cap;                  /* ring size */
    size_t next_take;            /* next item a worker claims */
    size_t consumed;             /* items the main thread has taken */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv_ready;     /* a slot became ready */
    pthread_cond_t cv_space;     /* the main thread consumed one */
} pipeline;

static void *worker(void *arg)
{
    pipeline *pl = arg;
    vgg_decode_opts dopts;
    vgg_decode_opts_default(&dopts);
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (!pl->stop && pl->next_take < pl->n && pl->next_take >= pl->consumed + pl->cap)
            pthread_cond_wait(&pl->cv_space, &pl->mu);
        if (pl->stop || pl->next_take >= pl->n) {
            pthread_mutex_unlock(&pl->mu);
            return NULL;
        }
        size_t t = pl->next_take++;
        pthread_mutex_unlock(&pl->mu);

        const input *in = pl->items[t];
        vgg_image *img = NULL;
        vgg_prepared *prep = NULL;
        vgg_status st = vgg_image_load(in->path, &dopts, &img);
        if (st == VGG_STATUS_OK)
            st = vgg_extractor_prepare(pl->ex, img, &prep);
        vgg_image_free(img);
        char *err = st == VGG_STATUS_OK ? NULL : strdup(vgg_last_error());

        pthread_mutex_lock(&pl->mu);
        slot *s = &pl->slots[t % pl->cap];
        s->status = st;
        s->error = err;
        s->prep = prep;
        s->ready = true;
        pthread_cond_broadcast(&pl->cv_ready);
        pthread_mutex_unlock(&pl->mu);
    }
}

/* Wait for item t (the next to consume) and take its slot's contents. */
static void take(pipeline *pl, size_t t, slot *out)
{
    pthread_mutex_lock(&pl->mu);
    slot *s = &pl->slots[t % pl->cap];
    while (!s->ready)
        pthread_cond_wait(&pl->cv_ready, &pl->mu);
    *out = *s;
    memset(s, 0, sizeof *s);
    pl->consumed = t + 1;
    pthread_cond_broadcast(&pl->cv_space);
    pthread_mutex_unlock(&pl->mu);
}

/* ------------------------------------------------------------ signals */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ------------------------------------------------------------ progress */

static void format_eta(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e7)
        snprintf(buf, n, "--");
    else if (s >= 3600)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%ds", (int)s);
}

/* ------------------------------------------------------------ command */

typedef struct skipped {
    char *path;
    char *why;
} skipped;

int cmd_extract(int argc, char **argv)
{
    enum { O_MODELS = 256, O_SCALES, O_AGG, O_LAYER, O_NOFLIP, O_NOL2, O_LIST, O_SHARD,
           O_ONERR, O_THREADS, O_LOADERS, O_DEVICE, O_BATCH, O_QUIET, O_NET };
    static const struct option opts[] = {
        { "net", required_argument, NULL, O_NET },
        { "models", required_argument, NULL, O_MODELS },
        { "scales", required_argument, NULL, O_SCALES },
        { "aggregate", required_argument, NULL, O_AGG },
        { "layer", required_argument, NULL, O_LAYER },
        { "no-flip", no_argument, NULL, O_NOFLIP },
        { "no-l2", no_argument, NULL, O_NOL2 },
        { "list", required_argument, NULL, O_LIST },
        { "shard", required_argument, NULL, O_SHARD },
        { "on-error", required_argument, NULL, O_ONERR },
        { "threads", required_argument, NULL, O_THREADS },
        { "loaders", required_argument, NULL, O_LOADERS },
        { "device", required_argument, NULL, O_DEVICE },
        { "batch", required_argument, NULL, O_BATCH },
        { "quiet", no_argument, NULL, O_QUIET },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *net_arg = "D", *models = NULL, *output = NULL, *device = "cpu";
    const char *list_file = NULL;
    vgg_extract_opts eo;
    vgg_extract_opts_default(&eo);
    int shard_k = 0, shard_n = 1, threads = 0, loaders = 2, batch = 1;
    bool skip_errors = false, quiet = false;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_NET: net_arg = optarg; break;
        case O_MODELS: models = optarg; break;
        case O_SCALES:
            if (vgg_parse_int_list(optarg, eo.scales, VGG_FEAT_MAX_SCALES, &eo.n_scales) !=
                VGG_STATUS_OK) {
                fprintf(stderr, "vggfeat extract: --scales: %s\n", vgg_last_error());
                return 2;
            }
            for (int s = 0; s < eo.n_scales; s++)
                if (eo.scales[s] < 1 || eo.scales[s] > 100000) {
                    fprintf(stderr, "vggfeat extract: --scales: %d is not a usable size\n",
                            eo.scales[s]);
                    return 2;
                }
            break;
        case O_AGG:
            if (strcmp(optarg, "stack") == 0)
                eo.aggregate = VGG_AGGREGATE_STACK;
            else if (strcmp(optarg, "average") == 0)
                eo.aggregate = VGG_AGGREGATE_AVERAGE;
            else {
                fprintf(stderr, "vggfeat extract: --aggregate '%s': stack or average\n", optarg);
                return 2;
            }
            break;
        case O_LAYER:
            if (vgg_extract_layer_parse(optarg, &eo.layer) != VGG_STATUS_OK) {
                fprintf(stderr, "vggfeat extract: --layer: %s\n", vgg_last_error());
                return 2;
            }
            break;
        case O_NOFLIP: eo.flip = false; break;
        case O_NOL2: eo.l2 = false; break;
        case O_LIST: list_file = optarg; break;
        case O_SHARD:
            if (sscanf(optarg, "%d/%d", &shard_k, &shard_n) != 2 || shard_n < 1 ||
                shard_k < 0 || shard_k >= shard_n) {
                fprintf(stderr, "vggfeat extract: --shard '%s': expected K/N with 0 <= K < N\n",
                        optarg);
                return 2;
            }
            break;
        case O_ONERR:
            if (strcmp(optarg, "fail") == 0)
                skip_errors = false;
            else if (strcmp(optarg, "skip") == 0)
                skip_errors = true;
            else {
                fprintf(stderr, "vggfeat extract: --on-error '%s': fail or skip\n", optarg);
                return 2;
            }
            break;
        case O_THREADS:
        case O_LOADERS:
        case O_BATCH: {
            long v = strtol(optarg, &end, 10);
            if (*end || v < (c == O_THREADS ? 0 : 1) || v > 1024) {
                fprintf(stderr, "vggfeat extract: '%s' is not a usable count\n", optarg);
                return 2;
            }
            if (c == O_THREADS)
                threads = (int)v;
            else if (c == O_LOADERS)
                loaders = (int)v;
            else
                batch = (int)v;
            break;
        }
        case O_DEVICE: device = optarg; break;
        case O_QUIET: quiet = true; break;
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!output) {
        fprintf(stderr, "vggfeat extract: no feature store given (-o FEATURES)\n");
        usage(stderr);
        return 2;
    }
    if (optind >= argc && !list_file) {
        fprintf(stderr, "vggfeat extract: no inputs (files, directories or --list FILE)\n");
        usage(stderr);
        return 2;
    }

    int rc = 1;
    input_list inputs = { 0 };
    char *net_list = NULL, *net_paths[VGG_FEAT_MAX_NETS] = { 0 };
    const char *net_names[VGG_FEAT_MAX_NETS] = { 0 };
    vgg_net *nets[VGG_FEAT_MAX_NETS] = { 0 };
    int n_nets = 0;
    vgg_backend *be = NULL;
    vgg_extractor *ex = NULL;
    vgg_featwriter *w = NULL;
    const input **work = NULL;
    skipped *skips = NULL;
    size_t n_skips = 0;
    float *rows = NULL;
    vgg_prepared **group = NULL;
    const input **group_in = NULL;
    pthread_t *tids = NULL;
    int n_tids = 0;
    pipeline pl;
    memset(&pl, 0, sizeof pl);
    bool pl_init = false;

    /* inputs, in order: the arguments, then the list */
    for (int i = optind; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if (add_directory(&inputs, argv[i]) != 0)
                goto done;
        } else if (input_add(&inputs, argv[i], NULL) != 0) {
            goto done;
        }
    }
    if (list_file && inputs_add_list_file(&inputs, list_file, "vggfeat extract") != 0)
        goto done;
    if (inputs.n == 0) {
        fprintf(stderr, "vggfeat extract: no images found in the inputs\n");
        goto done;
    }
    /* name and label slots fit every input (before sharding, so that the
     * shards and the unsharded store share one layout) */
    vgg_featlayout layout;
    if (inputs_layout(&inputs, &layout, "vggfeat extract") != 0)
        goto done;

    /* nets */
    const char *models_from = "from --models";
    if (!models) {
        models = getenv("VGGFEAT_MODELS");
        models_from = "from $VGGFEAT_MODELS";
        if (!models || !*models) {
            models = "models";
            models_from = "the default ./models; set --models or $VGGFEAT_MODELS";
        }
    }
    if (vgg_backend_open(device, threads, &be) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: --device %s: %s\n", device, vgg_last_error());
        goto done;
    }
    net_list = strdup(net_arg);
    for (char *save = NULL, *tok = strtok_r(net_list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n_nets == VGG_FEAT_MAX_NETS) {
            fprintf(stderr, "vggfeat extract: at most %d nets\n", VGG_FEAT_MAX_NETS);
            goto done;
        }
        net_names[n_nets] = tok;
        net_paths[n_nets] = resolve_net(tok, models, models_from);
        if (!net_paths[n_nets])
            goto done;
        if (vgg_net_load(net_paths[n_nets], be, &nets[n_nets]) != VGG_STATUS_OK) {
            fprintf(stderr, "vggfeat extract: net '%s': %s\n", tok, vgg_last_error());
            n_nets++;
            goto done;
        }
        n_nets++;
    }
    if (n_nets == 0) {
        fprintf(stderr, "vggfeat extract: --net names no nets\n");
        goto done;
    }
    if (vgg_extractor_create(nets, net_names, n_nets, &eo, &ex) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
        goto done;
    }
    const int dim = vgg_extractor_dim(ex);

    /* the store: new, or resumed after checking it holds this run's rows */
    size_t existing = 0;
    if (vgg_featwriter_open_layout(output, vgg_extractor_desc(ex), &layout, true, &w,
                                   &existing) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
        goto done;
    }
    if (vgg_featwriter_cut_bytes(w) && !quiet)
        fprintf(stderr, "vggfeat extract: '%s': cut off %zu bytes of an incomplete or damaged "
                "last row\n", output, vgg_featwriter_cut_bytes(w));

    /* this run's share of the inputs */
    size_t n_work = 0;
    work = malloc(inputs.n * sizeof *work);
    if (!work)
        goto done;
    for (size_t i = 0; i < inputs.n; i++)
        if ((int)(i % (size_t)shard_n) == shard_k)
            work[n_work++] = &inputs.v[i];
    size_t start = 0;
    if (existing > 0) {
        vgg_featstore *fs = NULL;
        if (vgg_featstore_open(output, &fs) != VGG_STATUS_OK) {
            fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
            goto done;
        }
        bool ok = true;
        for (size_t r = 0; r < vgg_featstore_rows(fs) && ok; r++) {
            uint64_t idx = vgg_featstore_index(fs, r);
            while (start < n_work && work[start]->index < idx)
                start++;
            const char *label = vgg_featstore_label(fs, r);
            if (start >= n_work || work[start]->index != idx ||
                strcmp(work[start]->path, vgg_featstore_name(fs, r)) != 0 ||
                strcmp(work[start]->label ? work[start]->label : "", label) != 0) {
                fprintf(stderr,
                        "vggfeat extract: '%s': row %zu is '%s' (input %llu), which is not "
                        "this run's input %llu; the store was made from another input list, "
                        "shard or labels; not appending to it\n",
                        output, r + 1, vgg_featstore_name(fs, r), (unsigned long long)idx,
                        (unsigned long long)idx);
                ok = false;
            }
            start++;
        }
        vgg_featstore_close(fs);
        if (!ok)
            goto done;
        if (!quiet)
            fprintf(stderr, "vggfeat extract: '%s': resuming after %zu rows\n", output,
                    existing);
    }

    /* the pipeline: loaders decode and resize ahead, the nets run here */
    pl.items = work + start;
    pl.n = n_work - start;
    pl.ex = ex;
    pl.cap = (size_t)(2 * loaders + batch + 1);
    pl.slots = calloc(pl.cap, sizeof *pl.slots);
    rows = malloc((size_t)batch * dim * sizeof(float));
    group = malloc((size_t)batch * sizeof *group);
    group_in = malloc((size_t)batch * sizeof *group_in);
    tids = malloc((size_t)loaders * sizeof *tids);
    if (!pl.slots || !rows || !group || !group_in || !tids) {
        fprintf(stderr, "vggfeat extract: out of memory\n");
        goto done;
    }
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv_ready, NULL);
    pthread_cond_init(&pl.cv_space, NULL);
    pl_init = true;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    for (int i = 0; i < loaders; i++) {
        if (pthread_create(&tids[n_tids], NULL, worker, &pl) != 0)
            break;
        n_tids++;
    }
    if (n_tids == 0) {
        fprintf(stderr, "vggfeat extract: cannot start a loader thread\n");
        goto done;
    }

    const bool progress = !quiet && isatty(2);
    const double t0 = vgg_now_seconds();
    double last_print = 0;
    size_t done_items = 0, written = 0, n_group = 0;
    bool failed = false;
    vgg_status st = VGG_STATUS_OK;
    for (size_t t = 0; t <= pl.n && !failed; t++) {
        slot s = { 0 };
        bool have = t < pl.n && !interrupted;
        if (have)
            take(&pl, t, &s);
        /* run the group when it is full, at an error, or at the end */
        bool flush = !have || s.status != VGG_STATUS_OK || n_group == (size_t)batch;
        if (flush && n_group > 0) {
            st = vgg_extractor_run(ex, group, (int)n_group, batch, rows);
            for (size_t g = 0; g < n_group && st == VGG_STATUS_OK; g++) {
                st = vgg_featwriter_append_at(w, group_in[g]->index, group_in[g]->path,
                                              group_in[g]->label, rows + g * (size_t)dim);
                written += st == VGG_STATUS_OK;
            }
            if (st != VGG_STATUS_OK) {
                fprintf(stderr, "vggfeat extract: '%s': %s\n", group_in[0]->path,
                        vgg_last_error());
                failed = true;
            }
            for (size_t g = 0; g < n_group; g++)
                vgg_prepared_free(group[g]);
            done_items += n_group;
            n_group = 0;
        }
        if (!have || failed) {
            vgg_prepared_free(s.prep);
            free(s.error);
            break;
        }
        if (s.status != VGG_STATUS_OK) {
            if (!skip_errors) {
                fprintf(stderr, "vggfeat extract: %s\n", s.error ? s.error : "error");
                fprintf(stderr, "vggfeat extract: stopped at '%s'; the store holds %zu rows "
                        "and resumes from there (--on-error skip goes on past bad images)\n",
                        pl.items[t]->path, vgg_featwriter_rows(w));
                free(s.error);
                failed = true;
                break;
            }
            fprintf(stderr, "vggfeat extract: skipping '%s': %s\n", pl.items[t]->path,
                    s.error ? s.error : "error");
            skipped *ns = realloc(skips, (n_skips + 1) * sizeof *ns);
            if (ns) {
                skips = ns;
                skips[n_skips].path = pl.items[t]->path;
                skips[n_skips].why = s.error;
                n_skips++;
            } else {
                free(s.error);
            }
            done_items++;
            continue;
        }
        group[n_group] = s.prep;
        group_in[n_group] = pl.items[t];
        n_group++;
        if (progress) {
            double now = vgg_now_seconds();
            if (now - last_print > 0.5) {
                double rate = (double)done_items / (now - t0);
                char eta[32];
                format_eta(rate > 0 ? (double)(pl.n - done_items) / rate : -1, eta, sizeof eta);
                fprintf(stderr, "\r%zu/%zu images  %.2f images/s  ETA %s   ",
                        start + done_items, n_work, rate, eta);
                last_print = now;
            }
        }
    }
    for (size_t g = 0; g < n_group; g++)
        vgg_prepared_free(group[g]);
    if (progress)
        fprintf(stderr, "\r%*s\r", 60, "");
    double secs = vgg_now_seconds() - t0;
    vgg_status cst = vgg_featwriter_close(w);
    w = NULL;
    if (cst != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
        failed = true;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (interrupted && !failed) {
        fprintf(stderr, "vggfeat extract: interrupted after %zu rows in '%s'; rerun the same "
                "command to resume\n", existing + written, output);
        rc = 130;
        goto done;
    }
    if (!quiet) {
        fprintf(stderr, "vggfeat extract: %zu images, %zu skipped, %.1f s, %.2f images/s; "
                "'%s' holds %zu rows of %d floats\n", written, n_skips, secs,
                secs > 0 ? (double)written / secs : 0.0, output, existing + written, dim);
        for (size_t i = 0; i < n_skips; i++)
            fprintf(stderr, "  skipped '%s': %s\n", skips[i].path, skips[i].why);
    }
    if (failed)
        rc = 1;
    else if (n_skips > 0 && written == 0 && existing == 0)
        rc = 1; /* nothing at all could be extracted */
    else
        rc = 0;
done:
    if (pl_init) {
        pthread_mutex_lock(&pl.mu);
        pl.stop = true;
        pthread_cond_broadcast(&pl.cv_space);
        pthread_mutex_unlock(&pl.mu);
        for (int i = 0; i < n_tids; i++)
            pthread_join(tids[i], NULL);
        for (size_t i = 0; i < pl.cap; i++) {
            vgg_prepared_free(pl.slots[i].prep);
            free(pl.slots[i].error);
        }
        pthread_mutex_destroy(&pl.mu);
        pthread_cond_destroy(&pl.cv_ready);
        pthread_cond_destroy(&pl.cv_space);
    }
    free(pl.slots);
    free(tids);
    vgg_featwriter_close(w);
    for (size_t i = 0; i < n_skips; i++)
        free(skips[i].why);
    free(skips);
    free(rows);
    free(group);
    free(group_in);
    free(work);
    vgg_extractor_free(ex);
    for (int j = 0; j < VGG_FEAT_MAX_NETS; j++) {
        vgg_net_free(nets[j]);
        free(net_paths[j]);
    }
    vgg_backend_close(be);
    free(net_list);
    inputs_free(&inputs);
    return rc;
}
