/* vggsvm eval's results on stdout: per class, then the summary; in words
 * or as JSON. */
#include <math.h>
#include <stdio.h>

#include <json-c/json.h>

#include "commands.h"
#include "svm_internal.h"

static json_object *jnum(double v)
{
    return isnan(v) ? NULL : json_object_new_double(v);
}

void eval_print_json(const vgg_svm_scores *s, const vgg_svm_scored *r)
{
    const vgg_svm_eval *e = r->eval;
    json_object *j = json_object_new_object();
    json_object_object_add(j, "images", json_object_new_int64((int64_t)r->n_evaluated));
    json_object_object_add(j, "scored_without_truth", json_object_new_int64((int64_t)r->n_without_truth));
    json_object_object_add(j, "multilabel", json_object_new_boolean(r->labels->multilabel));
    json_object_object_add(j, "accuracy", jnum(e->accuracy));
    json_object_object_add(j, "top1", jnum(e->accuracy));
    json_object_object_add(j, "top5", jnum(e->top5));
    json_object_object_add(j, "mean_class_recall", jnum(e->mean_recall));
    json_object_object_add(j, "map_voc07", jnum(e->map07));
    json_object_object_add(j, "map_area", jnum(e->map_area));
    json_object_object_add(j, "map_plain", jnum(e->map_plain));
    json_object_object_add(j, "ap_classes", json_object_new_int(e->n_ap_classes));
    json_object *cl = json_object_new_array();
    for (int k = 0; k < s->n_classes; k++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", svm_json_escaped(s->class_names[k]));
        json_object_object_add(o, "positives", json_object_new_int64((int64_t)e->n_pos[k]));
        json_object_object_add(o, "recall", jnum(e->recall[k]));
        json_object_object_add(o, "ap_voc07", jnum(e->ap07[k]));
        json_object_object_add(o, "ap_area", jnum(e->ap_area[k]));
        json_object_object_add(o, "ap_plain", jnum(e->ap_plain[k]));
        json_object_array_add(cl, o);
    }
    json_object_object_add(j, "classes", cl);
    printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
}

void eval_print_text(const vgg_svm_scores *s, const vgg_svm_scored *r)
{
    const vgg_svm_eval *e = r->eval;
    printf("%-24s %9s %8s %8s %8s\n", "class", "positives", "recall", "AP07", "AP");
    for (int k = 0; k < s->n_classes; k++) {
        printf("%-24s %9zu ", s->class_names[k], e->n_pos[k]);
        if (isnan(e->recall[k]))
            printf("%8s ", "-");
        else
            printf("%8.4f ", e->recall[k]);
        if (isnan(e->ap07[k]))
            printf("%8s %8s\n", "-", "-");
        else
            printf("%8.4f %8.4f\n", e->ap07[k], e->ap_area[k]);
    }
    printf("\nimages evaluated          %zu (%zu scored images without ground truth)\n",
           r->n_evaluated, r->n_without_truth);
    if (!r->labels->multilabel) {
        printf("accuracy (top-1)          %.4f\n", e->accuracy);
        printf("top-5 accuracy            %.4f\n", e->top5);
        printf("mean class recall         %.4f\n", e->mean_recall);
    }
    printf("mAP, VOC-2007 11-point    %.4f\n", e->map07);
    printf("mAP, VOC-2010+ area       %.4f\n", e->map_area);
    printf("  (over %d classes with positives; AP07 = 11-point, AP = area)\n", e->n_ap_classes);
}
