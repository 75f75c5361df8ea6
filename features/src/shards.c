/* Sets of shards: "0-1,3" parsed, written and counted (shards.h). */
#include "shards.h"

#include "vgg/features.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool read_int(const char **p, int n, int *v)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || x < 0 || x >= n)
        return false;
    *v = (int)x;
    *p = end;
    return true;
}

bool shards_parse(const char *text, int n, shard_span **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    size_t cap = 1;
    for (const char *q = text; *q; q++)
        cap += *q == ',';
    shard_span *s = malloc(cap * sizeof *s);
    if (!s)
        return false;
    const char *p = text;
    size_t k = 0;
    for (;;) {
        shard_span sp;
        if (!read_int(&p, n, &sp.lo))
            break;
        sp.hi = sp.lo;
        if (*p == '-') {
            p++;
            if (!read_int(&p, n, &sp.hi) || sp.hi < sp.lo)
                break;
        }
        if (k > 0 && sp.lo <= s[k - 1].hi)
            break;
        s[k++] = sp;
        if (*p == 0) {
            *out = s;
            *count = k;
            return true;
        }
        if (*p != ',')
            break;
        p++;
    }
    free(s);
    return false;
}

bool shards_format(const shard_span *s, size_t count, char *buf, size_t cap)
{
    size_t at = 0;
    if (cap == 0)
        return false;
    buf[0] = 0;
    for (size_t i = 0; i < count;) {
        int lo = s[i].lo, hi = s[i].hi;
        for (i++; i < count && s[i].lo <= hi + 1; i++)
            if (s[i].hi > hi)
                hi = s[i].hi;
        int w = lo == hi ? snprintf(buf + at, cap - at, "%s%d", at ? "," : "", lo)
                         : snprintf(buf + at, cap - at, "%s%d-%d", at ? "," : "", lo, hi);
        if (w < 0 || (size_t)w >= cap - at)
            return false;
        at += (size_t)w;
    }
    return true;
}

/* inputs whose shard (i % n) is below x */
static uint64_t below(uint64_t inputs, int n, int x)
{
    uint64_t r = inputs % (uint64_t)n;
    return inputs / (uint64_t)n * (uint64_t)x + (r < (uint64_t)x ? r : (uint64_t)x);
}

uint64_t shards_inputs(uint64_t inputs, int n, int lo, int hi)
{
    if (n < 1 || lo > hi)
        return 0;
    return below(inputs, n, hi + 1) - below(inputs, n, lo);
}

void shards_describe(const vgg_featdesc *d, char *buf, size_t cap)
{
    if (d->shard_n <= 0)
        snprintf(buf, cap, "no input list");
    else if (d->shard_n == 1)
        snprintf(buf, cap, "the whole list %.12s... (%llu inputs)", d->list_digest,
                 (unsigned long long)d->list_inputs);
    else
        snprintf(buf, cap, "shard%s %s of %d of the list %.12s... (%llu inputs)",
                 strpbrk(d->shards, ",-") ? "s" : "", d->shards, d->shard_n, d->list_digest,
                 (unsigned long long)d->list_inputs);
}

bool shards_other_list(const vgg_featdesc *a, const vgg_featdesc *b)
{
    if (a->shard_n <= 0 || b->shard_n <= 0)
        return false;
    return strcmp(a->list_digest, b->list_digest) != 0 || a->list_inputs != b->list_inputs ||
           a->shard_n != b->shard_n || strcmp(a->shards, b->shards) != 0;
}
