/* `vggfeat info` on a feature store: what the store holds, to fp. */
#include <stdio.h>
#include <string.h>

#include "vgg/features.h"

vgg_status vgg_featstore_describe(const vgg_featstore *fs, const char *path, FILE *fp)
{
    const vgg_featdesc *d = vgg_featstore_desc(fs);
    size_t rows = vgg_featstore_rows(fs);
    vgg_featlayout l;
    vgg_featstore_layout(fs, &l);
    fprintf(fp, "file:        %s\n", path);
    fprintf(fp, "kind:        vggfeat feature store (format 1)\n");
    fprintf(fp, "written by:  %s\n", d->version);
    for (int j = 0; j < d->n_nets; j++)
        fprintf(fp, "net %d:       %s (config %s, digest %s)\n", j + 1, d->net_names[j],
               d->net_configs[j], d->net_digests[j]);
    fprintf(fp, "layer:       %s\n", d->layer);
    fprintf(fp, "scales:      ");
    for (int s = 0; s < d->n_scales; s++)
        fprintf(fp, "%s%d", s ? "," : "", d->scales[s]);
    fprintf(fp, "\naggregate:   %s\n", d->aggregate);
    fprintf(fp, "flip:        %s\n", d->flip ? "yes" : "no");
    fprintf(fp, "l2:          %s\n", d->l2_per_net ? (d->l2 ? "per net, then final" : "per net")
                                               : d->l2 ? "yes" : "no");
    fprintf(fp, "alpha:       %s\n", d->alpha_white ? "white (transparency composed on white)"
                                                   : "drop (transparency dropped)");
    if (d->n_nets > 0)
        fprintf(fp, "precision:   %s\n", *d->precision ? d->precision
                                                      : "not recorded (fp32, tf32 or bf16)");
    fprintf(fp, "dim:         %d\n", d->dim);
    fprintf(fp, "rows:        %zu\n", rows);
    size_t labelled = 0;
    for (size_t r = 0; r < rows; r++)
        labelled += vgg_featstore_label(fs, r)[0] != '\0';
    if (labelled == 0)
        fprintf(fp, "labels:      none\n");
    else
        fprintf(fp, "labels:      %zu of %zu rows\n", labelled, rows);
    if (rows)
        fprintf(fp, "indices:     %llu .. %llu\n", (unsigned long long)vgg_featstore_index(fs, 0),
               (unsigned long long)vgg_featstore_index(fs, rows - 1));
    fprintf(fp, "slots:       name %d bytes, label %d bytes\n", l.name_bytes, l.label_bytes);
    if (d->shard_n <= 0)
        fprintf(fp, "list:        not recorded\n");
    else
        fprintf(fp, "list:        %llu inputs, sha256 %s\n", (unsigned long long)d->list_inputs,
                d->list_digest);
    if (d->shard_n > 1)
        fprintf(fp, "%s%s of %d\n", strpbrk(d->shards, ",-") ? "shards:      " : "shard:       ",
                d->shards, d->shard_n);
    if (ferror(fp))
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot write its description", path);
    return VGG_STATUS_OK;
}
