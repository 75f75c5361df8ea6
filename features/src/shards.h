/* Sets of shards ("1", "0-1,3": the shards of a list dealt into N that a
 * store's rows are; docs/feature-store.md, "Shards"): parsed, written and
 * counted.  Internal to features/. */
#ifndef VGG_FEATURES_SHARDS_H
#define VGG_FEATURES_SHARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* shards lo..hi, both included */
typedef struct shard_span {
    int lo, hi;
} shard_span;

/* text: numbers and ranges "a-b" below n, ascending, apart (a range
 * starts after the one before it ends), comma-separated, e.g. "0-1,3".
 * The spans into out (malloc'd, *count of them); false if malformed or
 * out of memory. */
bool shards_parse(const char *text, int n, shard_span **out, size_t *count);

/* sorted spans (perhaps touching: joined here) as text into buf; false if
 * it does not fit in cap bytes. */
bool shards_format(const shard_span *s, size_t count, char *buf, size_t cap);

/* Inputs 0..inputs-1 dealt into n shards (input i to shard i % n): how many
 * fall in shards lo..hi. */
uint64_t shards_inputs(uint64_t inputs, int n, int lo, int hi);

/* What d records of its list, in words: "shard 1 of 3 of the list
 * 0123456789ab... (48 inputs)", "the whole list ...", "shards 0-1,3 of 4
 * of ..." or "no input list" (not recorded). */
struct vgg_featdesc;
void shards_describe(const struct vgg_featdesc *d, char *buf, size_t cap);

/* True when a and b both record their list and differ in it (list or
 * shards). */
bool shards_other_list(const struct vgg_featdesc *a, const struct vgg_featdesc *b);

#endif
