/* Opening backends by name through the registry (registry.c): device
 * names and lists, device options, the listings of devices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

/* s as a precision; what names its source ("VGG_PRECISION=", "--precision ") */
static vgg_status parse_precision(const char *what, const char *s, vgg_precision *out)
{
    if (strcasecmp(s, "fp32") == 0)
        *out = VGG_PRECISION_FP32;
    else if (strcasecmp(s, "tf32") == 0)
        *out = VGG_PRECISION_TF32;
    else if (strcasecmp(s, "bf16") == 0)
        *out = VGG_PRECISION_BF16;
    else if (strcasecmp(s, "int8") == 0)
        *out = VGG_PRECISION_INT8;
    else
        return vgg_fail(VGG_STATUS_INVALID, "%s'%s': expected fp32, tf32, bf16 or int8", what,
                        s);
    return VGG_STATUS_OK;
}

static vgg_status parse_workspace(const char *what, const char *s, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0' || s[0] == '-' || v == 0 || v > ((size_t)1 << 30))
        return vgg_fail(VGG_STATUS_INVALID, "%s'%s': expected a positive number of MiB", what, s);
    *out = (size_t)v;
    return VGG_STATUS_OK;
}

vgg_status vgg_device_opts_default(vgg_device_opts *o)
{
    *o = (vgg_device_opts){ .precision = VGG_PRECISION_FP32, .workspace_mb = 1024 };
    vgg_status st = VGG_STATUS_OK;
    const char *p = getenv("VGG_PRECISION");
    if (p && *p && (st = parse_precision("VGG_PRECISION=", p, &o->precision)) != VGG_STATUS_OK)
        return st;
    const char *m = getenv("VGG_WORKSPACE_MB");
    if (m && *m && (st = parse_workspace("VGG_WORKSPACE_MB=", m, &o->workspace_mb)) != VGG_STATUS_OK)
        return st;
    const char *d = getenv("VGG_DETERMINISTIC");
    if (d && *d) {
        if (strcmp(d, "1") != 0 && strcmp(d, "0") != 0)
            return vgg_fail(VGG_STATUS_INVALID, "VGG_DETERMINISTIC='%s': expected 0 or 1", d);
        o->deterministic = d[0] == '1';
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_device_opts_set(vgg_device_opts *o, const char *option, const char *value)
{
    if (strcmp(option, "precision") == 0)
        return parse_precision("--precision ", value ? value : "", &o->precision);
    if (strcmp(option, "workspace") == 0)
        return parse_workspace("--workspace ", value ? value : "", &o->workspace_mb);
    if (strcmp(option, "deterministic") == 0 && !value) {
        o->deterministic = true;
        return VGG_STATUS_OK;
    }
    return vgg_fail(VGG_STATUS_INVALID, "--%s: not a device option (precision, workspace, "
                    "deterministic)", option);
}

vgg_status vgg_device_opts_command(const char *device, const char *precision,
                                   const char *workspace, bool deterministic, vgg_device_opts *o)
{
    vgg_status st = vgg_device_opts_default(o);
    if (st != VGG_STATUS_OK)
        return st;
    const vgg_backend_reg *reg = vgg_backend_reg_find(device ? device : "cpu", NULL);
    if (!reg || reg->kind != VGG_BACKEND_GPU)
        o->precision = VGG_PRECISION_FP32;   /* VGG_PRECISION is a GPU setting */
    if (precision && (st = vgg_device_opts_set(o, "precision", precision)) != VGG_STATUS_OK)
        return st;
    if (workspace && (st = vgg_device_opts_set(o, "workspace", workspace)) != VGG_STATUS_OK)
        return st;
    if (deterministic)
        o->deterministic = true;
    return VGG_STATUS_OK;
}

/* ---- device names ---- */

static const char *const precision_names[] = { "fp32", "tf32", "bf16", "int8" };

const char *vgg_precision_name(vgg_precision p)
{
    return (unsigned)p < sizeof precision_names / sizeof *precision_names ? precision_names[p]
                                                                          : "?";
}

/* every name the registry knows, as its backends write them: "cpu,
 * cpu-ref, cuda, cuda:N" */
static void known_forms(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < vgg_backend_reg_count() && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                 vgg_backend_reg_at(i)->forms);
}

vgg_status vgg_backend_parse_none(const vgg_backend_reg *reg, const char *device,
                                  const char *rest, int *index)
{
    *index = -1;
    if (*rest == '\0')
        return VGG_STATUS_OK;
    return vgg_fail(VGG_STATUS_INVALID, "device '%s': %s has no device numbers (write %s)",
                    device, reg->name, reg->name);
}

vgg_status vgg_backend_parse_index(const vgg_backend_reg *reg, const char *device,
                                   const char *rest, int *index)
{
    *index = -1;
    if (*rest == '\0')
        return VGG_STATUS_OK;
    const char *digits = rest + 1;
    const size_t len = strspn(digits, "0123456789");
    if (rest[0] != ':' || len == 0 || len > 3 || digits[len] != '\0' || atoi(digits) > 255)
        return vgg_fail(VGG_STATUS_INVALID, "device '%s': expected %s:N, N a device number "
                        "from 0 to 255", device, reg->name);
    *index = atoi(digits);
    return VGG_STATUS_OK;
}

/* device's backend into *reg, the spec into s */
static vgg_status parse_device(const char *device, const vgg_backend_reg **reg,
                               vgg_device_spec *s)
{
    const char *rest = NULL;
    *reg = vgg_backend_reg_find(device, &rest);
    if (!*reg) {
        char forms[256];
        known_forms(forms, sizeof forms);
        return vgg_fail(VGG_STATUS_INVALID, "unknown device '%s' (%s)", device, forms);
    }
    int index = -1;
    vgg_status st = (*reg)->parse(*reg, device, rest, &index);
    if (st != VGG_STATUS_OK)
        return st;
    *s = (vgg_device_spec){ .index = index, .numbered = (*reg)->numbered,
                            .built = !(*reg)->missing };
    snprintf(s->backend, sizeof s->backend, "%s", (*reg)->name);
    if (index >= 0)
        snprintf(s->name, sizeof s->name, "%s:%d", (*reg)->name, index);
    else
        snprintf(s->name, sizeof s->name, "%s", (*reg)->name);
    return VGG_STATUS_OK;
}

vgg_status vgg_device_parse(const char *device, vgg_device_spec *out)
{
    memset(out, 0, sizeof *out);
    if (!device || !*device)
        return vgg_fail(VGG_STATUS_INVALID, "no device given");
    const vgg_backend_reg *reg = NULL;
    return parse_device(device, &reg, out);
}

/* item (one name of list) into s; prev: the device before it, or NULL */
static vgg_status parse_item(const char *list, const char *item, const vgg_device_spec *prev,
                             vgg_device_spec *s)
{
    const vgg_backend_reg *reg = NULL;
    char name[48];
    const size_t len = strlen(item);
    if (strspn(item, "0123456789") == len) {
        if (!prev || !prev->numbered)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': '%s' is a device number, but no numbered "
                            "device comes before it (write e.g. cuda:0,1)", list, item);
        snprintf(name, sizeof name, "%s:%s", prev->backend, item);
    } else if (!vgg_backend_reg_find(item, NULL)) {
        char forms[256];
        known_forms(forms, sizeof forms);
        return vgg_fail(VGG_STATUS_INVALID, "'%s': '%s' is not a device (%s; a bare N after a "
                        "numbered device: cuda:0,1)", list, item, forms);
    } else {
        snprintf(name, sizeof name, "%s", item);
    }
    vgg_status st = parse_device(name, &reg, s);
    return st == VGG_STATUS_OK ? st : vgg_fail_context(st, "'%s': ", list);
}

vgg_status vgg_device_list_parse(const char *list, vgg_device_spec *out, int max, int *n)
{
    *n = 0;
    if (!list || !*list)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': no device given", list ? list : "");
    for (const char *p = list;; p++) {
        const size_t len = strcspn(p, ",");
        char item[32];
        if (len == 0)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': an empty name (devices are separated by "
                            "single commas: cuda:0,1)", list);
        if (len >= sizeof item)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': '%.*s' is too long to be a device", list,
                            (int)len, p);
        if (*n == max)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': more than %d devices", list, max);
        memcpy(item, p, len);
        item[len] = '\0';
        vgg_device_spec *s = &out[*n];
        vgg_status st = parse_item(list, item, *n ? &out[*n - 1] : NULL, s);
        if (st != VGG_STATUS_OK)
            return st;
        const bool same = strcmp(item, s->name) == 0;
        for (int i = 0; i < *n && s->numbered; i++)
            if (strcmp(out[i].backend, s->backend) == 0 && out[i].index == s->index)
                return vgg_fail(VGG_STATUS_INVALID, "'%s': %s given twice%s%s%s", list, item,
                                same ? "" : " (", same ? "" : s->name, same ? "" : ")");
        (*n)++;
        p += len;
        if (*p == '\0')
            return VGG_STATUS_OK;
    }
}

/* ---- opening ---- */

/* "fp32 or tf32": the precisions of mask */
static void precisions_text(unsigned mask, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int p = 0; p < 4 && used < size; p++)
        if (mask & VGG_PRECISION_BIT(p))
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " or " : "",
                                     precision_names[p]);
}

/* o against what reg computes: the backend's own words first, then the
 * registry's, the same for every backend (and the stand-ins of missing
 * ones, so that a bad option is refused before a missing backend is) */
static vgg_status check_opts(const vgg_backend_reg *reg, const char *device,
                             const vgg_device_opts *o)
{
    vgg_status st = reg->check_opts ? reg->check_opts(device, o) : VGG_STATUS_OK;
    if (st != VGG_STATUS_OK)
        return st;
    const unsigned p = (unsigned)o->precision;
    if (p > 3)
        return vgg_fail(VGG_STATUS_INVALID, "device '%s': precision %u is none of fp32, tf32, "
                        "bf16 and int8", device, p);
    if (reg->precisions & VGG_PRECISION_BIT(p))
        return VGG_STATUS_OK;
    char who[128] = "", has[64];
    size_t used = 0;
    for (int i = 0; i < vgg_backend_reg_count() && used < sizeof who; i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        if (r->precisions & VGG_PRECISION_BIT(p))
            used += (size_t)snprintf(who + used, sizeof who - used, "%s%s", used ? " or " : "",
                                     r->name);
    }
    precisions_text(reg->precisions, has, sizeof has);
    return vgg_fail(VGG_STATUS_INVALID, "device '%s': precision %s is for the device %s; %s "
                    "computes %s", device, precision_names[p],
                    used ? who : "(none in this build)", reg->name, has);
}

vgg_status vgg_backend_open_opts(const char *device, int threads, const vgg_device_opts *o,
                                 vgg_backend **out)
{
    *out = NULL;
    if (!device)
        device = "cpu";
    const vgg_backend_reg *reg = NULL;
    vgg_device_spec s;
    vgg_status st = parse_device(device, &reg, &s);
    if (st == VGG_STATUS_OK)
        st = check_opts(reg, device, o);
    if (st != VGG_STATUS_OK)
        return st;
    if (reg->missing)
        return vgg_fail(VGG_STATUS_UNSUPPORTED, "device '%s': %s", device, reg->missing);
    if ((st = reg->open(s.index < 0 ? 0 : s.index, threads, o, out)) != VGG_STATUS_OK)
        return st;
    VGG_ASSERT((*out)->host_memory == reg->is_host);
    (*out)->opts = *o;
    (*out)->reg = reg;
    return VGG_STATUS_OK;
}

vgg_status vgg_backend_open(const char *device, int threads, vgg_backend **out)
{
    *out = NULL;
    vgg_device_opts o;
    vgg_status st = vgg_device_opts_command(device, NULL, NULL, false, &o);
    return st ? st : vgg_backend_open_opts(device, threads, &o, out);
}

void vgg_backend_close(vgg_backend *be)
{
    if (be)
        be->ops->close(be);
}

/* ---- listings ---- */

/* every backend's lines (gpus: the GPU backends' only): its own listing,
 * or its stand-in's reason */
static int list_backends(bool gpus, char *buf, size_t size)
{
    size_t used = 0;
    int count = 0;
    if (size)
        buf[0] = '\0';
    for (int i = 0; i < vgg_backend_reg_count(); i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        if (gpus && r->kind != VGG_BACKEND_GPU)
            continue;
        char part[4096] = "";
        if (r->missing)
            snprintf(part, sizeof part, "%s: %s", r->kind == VGG_BACKEND_GPU ? "no GPUs" : r->name,
                     r->missing);
        else
            count += r->list(part, sizeof part);
        if (used > 0 && used < size && buf[used - 1] != '\n')
            used += (size_t)snprintf(buf + used, size - used, "\n");
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s", part);
    }
    if (gpus && used == 0 && size)
        snprintf(buf, size, "no GPUs: this build has no GPU backend");
    return count;
}

int vgg_backend_list_gpus(char *buf, size_t size)
{
    return list_backends(true, buf, size);
}

int vgg_backend_list_devices(char *buf, size_t size)
{
    return list_backends(false, buf, size);
}

const char *vgg_backend_name(const vgg_backend *be) { return be ? be->name : ""; }

int vgg_backend_threads(const vgg_backend *be) { return be ? be->threads : 0; }

const vgg_device_opts *vgg_backend_device_opts(const vgg_backend *be) { return be ? &be->opts : NULL; }
