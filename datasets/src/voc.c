/* PASCAL VOC: image sets and XML annotations (libxml2). */
#include "vgg/datasets.h"
#include "datasets_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

void vgg_voc_image_clear(vgg_voc_image *img)
{
    if (!img)
        return;
    for (size_t i = 0; i < img->n_labels; i++)
        free(img->labels[i].name);
    free(img->labels);
    free(img->id);
    free(img->path);
    memset(img, 0, sizeof *img);
}

void vgg_voc_set_free(vgg_voc_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_images; i++)
        vgg_voc_image_clear(&s->images[i]);
    free(s->images);
    vgg_ds_strings_free(s->classes, s->n_classes);
    free(s);
}

/* The element child of node called name, or NULL. */
static xmlNode *child(xmlNode *node, const char *name)
{
    for (xmlNode *c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, (const xmlChar *)name) == 0)
            return c;
    return NULL;
}

/* The element's text with surrounding white space trimmed (malloc'd). */
static char *text_of(xmlNode *node)
{
    xmlChar *t = xmlNodeGetContent(node);
    if (!t)
        return strdup("");
    const char *s = (const char *)t;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    char *out = strndup(s, n);
    xmlFree(t);
    return out;
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const vgg_voc_label *)a)->name, ((const vgg_voc_label *)b)->name);
}

/* Add one object of class name; a class is difficult only while every
 * object of it seen so far is difficult. */
static vgg_status add_object(vgg_voc_image *img, char *name, bool difficult, const char *path)
{
    for (size_t i = 0; i < img->n_labels; i++) {
        if (strcmp(img->labels[i].name, name) == 0) {
            img->labels[i].difficult = img->labels[i].difficult && difficult;
            free(name);
            return VGG_STATUS_OK;
        }
    }
    vgg_voc_label *p = realloc(img->labels, (img->n_labels + 1) * sizeof *p);
    if (!p) {
        free(name);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    img->labels = p;
    img->labels[img->n_labels++] = (vgg_voc_label){ name, difficult };
    return VGG_STATUS_OK;
}

vgg_status vgg_voc_read_annotation(const char *xml_path, vgg_voc_image *img)
{
    if (!ds_is_file(xml_path))
        return vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no such annotation file", xml_path);
    xmlResetLastError();
    xmlDoc *doc = xmlReadFile(xml_path, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        char msg[256] = "not well-formed XML";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t n = strlen(msg);
            while (n && msg[n - 1] == '\n')
                msg[--n] = 0;
        }
        int line = e ? e->line : 0;
        xmlResetLastError();
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: %s", xml_path, line, msg);
    }
    vgg_status st = VGG_STATUS_OK;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || xmlStrcmp(root->name, (const xmlChar *)"annotation") != 0) {
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': the root element is not <annotation>", xml_path);
        goto done;
    }
    int index = 0;
    for (xmlNode *o = root->children; o; o = o->next) {
        if (o->type != XML_ELEMENT_NODE || xmlStrcmp(o->name, (const xmlChar *)"object") != 0)
            continue;
        index++;
        xmlNode *nm = child(o, "name");
        char *name = nm ? text_of(nm) : NULL;
        if (!name || !*name) {
            free(name);
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': object %d has no <name>", xml_path, index);
            goto done;
        }
        if (strpbrk(name, "\t\n\r,?")) {
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': object %d: class name '%s' holds a tab, comma or '?'",
                          xml_path, index, name);
            free(name);
            goto done;
        }
        bool difficult = false;
        xmlNode *df = child(o, "difficult");
        if (df) {
            char *t = text_of(df);
            if (!t) {
                free(name);
                st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", xml_path);
                goto done;
            }
            if (strcmp(t, "1") == 0)
                difficult = true;
            else if (strcmp(t, "0") != 0 && *t) {
                st = vgg_fail(VGG_STATUS_FORMAT, "'%s': object %d (%s): <difficult> is '%s', not 0 or 1",
                              xml_path, index, name, t);
                free(t);
                free(name);
                goto done;
            }
            free(t);
        }
        st = add_object(img, name, difficult, xml_path);
        if (st != VGG_STATUS_OK)
            goto done;
    }
    if (img->n_labels > 1)
        qsort(img->labels, img->n_labels, sizeof *img->labels, cmp_label);
done:
    xmlFreeDoc(doc);
    return st;
}

/* The image ids of a set file: the first word of each non-empty line. */
static vgg_status read_ids(const char *path, ds_strvec *ids)
{
    char *text;
    size_t len;
    vgg_status st = vgg_read_file(path, 0, &text, &len);
    if (st != VGG_STATUS_OK)
        return st;
    if (strlen(text) != len) {
        free(text);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': holds a NUL byte: not an image set file", path);
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *w = line + strspn(line, " \t\r");
        size_t n = strcspn(w, " \t\r");
        if (n == 0)
            continue;
        st = ds_strvec_push(ids, strndup(w, n));
        if (st != VGG_STATUS_OK)
            break;
    }
    free(text);
    if (st == VGG_STATUS_OK && ids->n == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': lists no images", path);
    return st;
}

vgg_status vgg_voc_load(const char *voc_dir, const char *set, vgg_voc_set **out)
{
    *out = NULL;
    if (!ds_is_dir(voc_dir))
        return vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no such folder", voc_dir);
    if (!set || !*set || strchr(set, '/'))
        return vgg_fail(VGG_STATUS_INVALID, "'%s': not an image set name", set ? set : "");
    char name[512];
    snprintf(name, sizeof name, "ImageSets/Main/%s.txt", set);
    char *set_path = ds_join(voc_dir, name);
    char *ann_dir = ds_join(voc_dir, "Annotations");
    char *img_dir = ds_join(voc_dir, "JPEGImages");
    vgg_voc_set *s = calloc(1, sizeof *s);
    ds_strvec ids = { 0 };
    ds_strvec classes = { 0 };
    vgg_status st = VGG_STATUS_OK;
    if (!set_path || !ann_dir || !img_dir || !s) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", voc_dir);
        goto fail;
    }
    if (!ds_is_file(set_path)) {
        st = vgg_fail(VGG_STATUS_NOT_FOUND,
                      "'%s': no such image set file (is '%s' a VOCdevkit/VOC20xx folder?)",
                      set_path, voc_dir);
        goto fail;
    }
    if (!ds_is_dir(ann_dir)) {
        st = vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no Annotations folder (the %s set may have no public labels)",
                      ann_dir, set);
        goto fail;
    }
    st = read_ids(set_path, &ids);
    if (st != VGG_STATUS_OK)
        goto fail;
    s->images = calloc(ids.n, sizeof *s->images);
    if (!s->images) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", set_path);
        goto fail;
    }
    for (size_t i = 0; i < ids.n; i++) {
        vgg_voc_image *img = &s->images[i];
        s->n_images = i + 1;
        char file[512];
        snprintf(file, sizeof file, "%s.xml", ids.s[i]);
        char *xml = ds_join(ann_dir, file);
        snprintf(file, sizeof file, "%s.jpg", ids.s[i]);
        img->path = ds_join(img_dir, file);
        img->id = strdup(ids.s[i]);
        if (!xml || !img->path || !img->id) {
            free(xml);
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", set_path);
            goto fail;
        }
        st = vgg_voc_read_annotation(xml, img);
        free(xml);
        if (st != VGG_STATUS_OK)
            goto fail;
        if (img->n_labels == 0) {
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s/%s.xml': no <object> in the annotation", ann_dir,
                          img->id);
            goto fail;
        }
        for (size_t l = 0; l < img->n_labels; l++) {
            bool seen = false;
            for (size_t c = 0; c < classes.n && !seen; c++)
                seen = strcmp(classes.s[c], img->labels[l].name) == 0;
            if (!seen) {
                st = ds_strvec_push(&classes, strdup(img->labels[l].name));
                if (st != VGG_STATUS_OK)
                    goto fail;
            }
        }
    }
    ds_sort_strings(classes.s, classes.n);
    s->classes = classes.s;
    s->n_classes = classes.n;
    classes.s = NULL;
    *out = s;
    s = NULL;
fail:
    vgg_ds_strings_free(ids.s, ids.n);
    vgg_ds_strings_free(classes.s, classes.n);
    vgg_voc_set_free(s);
    free(set_path);
    free(ann_dir);
    free(img_dir);
    return st;
}

vgg_status vgg_voc_write_labels(const vgg_voc_set *s, const char *path)
{
    for (size_t i = 0; i < s->n_images; i++) {
        vgg_status st = ds_check_path(path, s->images[i].path);
        if (st != VGG_STATUS_OK)
            return st;
    }
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open(path, &af);
    if (st != VGG_STATUS_OK)
        return st;
    for (size_t i = 0; i < s->n_images; i++) {
        const vgg_voc_image *img = &s->images[i];
        fprintf(af.fp, "%s\t", img->path);
        for (size_t l = 0; l < img->n_labels; l++)
            fprintf(af.fp, "%s%s%s", l ? "," : "", img->labels[l].name,
                    img->labels[l].difficult ? "?" : "");
        fputc('\n', af.fp);
    }
    return ds_finish(&af, path);
}

void vgg_voc_cleanup(void)
{
    xmlCleanupParser();
}
