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

/* Parse an annotation file whose root is <annotation>: FORMAT naming the
 * file (and the XML's line) otherwise. */
static vgg_status open_doc(const char *xml_path, xmlDoc **out)
{
    *out = NULL;
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
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || xmlStrcmp(root->name, (const xmlChar *)"annotation") != 0) {
        xmlFreeDoc(doc);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': the root element is not <annotation>", xml_path);
    }
    *out = doc;
    return VGG_STATUS_OK;
}

vgg_status vgg_voc_read_annotation(const char *xml_path, vgg_voc_image *img)
{
    xmlDoc *doc;
    vgg_status st = open_doc(xml_path, &doc);
    if (st != VGG_STATUS_OK)
        return st;
    xmlNode *root = xmlDocGetRootElement(doc);
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

/* One image of a set: its annotation's labels, and its classes added to
 * classes (the set's, each once). */
static vgg_status load_image(const char *ann_dir, const char *img_dir, const char *id,
                             const char *set_path, vgg_voc_image *img, ds_strvec *classes)
{
    char file[512];
    snprintf(file, sizeof file, "%s.xml", id);
    char *xml = ds_join(ann_dir, file);
    snprintf(file, sizeof file, "%s.jpg", id);
    img->path = ds_join(img_dir, file);
    img->id = strdup(id);
    if (!xml || !img->path || !img->id) {
        free(xml);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", set_path);
    }
    vgg_status st = vgg_voc_read_annotation(xml, img);
    free(xml);
    if (st != VGG_STATUS_OK)
        return st;
    if (img->n_labels == 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s/%s.xml': no <object> in the annotation", ann_dir,
                        img->id);
    for (size_t l = 0; l < img->n_labels && st == VGG_STATUS_OK; l++) {
        bool seen = false;
        for (size_t c = 0; c < classes->n && !seen; c++)
            seen = strcmp(classes->s[c], img->labels[l].name) == 0;
        if (!seen)
            st = ds_strvec_push(classes, strdup(img->labels[l].name));
    }
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
        s->n_images = i + 1;
        st = load_image(ann_dir, img_dir, ids.s[i], set_path, &s->images[i], &classes);
        if (st != VGG_STATUS_OK)
            goto fail;
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

/* ---- VOC-2012 action classification ---- */

const char *const vgg_voc_actions[VGG_VOC_N_ACTIONS] = {
    "jumping", "phoning", "playinginstrument", "reading", "ridingbike",
    "ridinghorse", "running", "takingphoto", "usingcomputer", "walking",
};

void vgg_voc_persons_free(vgg_voc_persons *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].id);
        free(p->v[i].path);
    }
    free(p->v);
    free(p);
}

/* A whole number in the element (a decimal such as "273.5" is rounded);
 * -1 when it is missing or does not read. */
static long number_of(xmlNode *node, const char *name)
{
    xmlNode *c = node ? child(node, name) : NULL;
    char *t = c ? text_of(c) : NULL;
    char *end = NULL;
    double v = t ? strtod(t, &end) : -1;
    long r = t && end != t && *end == 0 && v >= 0 && v < 1e7 ? (long)(v + 0.5) : -1;
    free(t);
    return r;
}

/* one person's box (clipped to size w x h where known, else w, h <= 0)
 * and actions */
static vgg_status read_person(xmlNode *o, xmlNode *acts, const char *xml, int index, long w,
                              long h, vgg_voc_person *p)
{
    xmlNode *bb = child(o, "bndbox");
    const char *side[4] = { "xmin", "ymin", "xmax", "ymax" };
    for (int k = 0; k < 4; k++) {
        long v = number_of(bb, side[k]);
        if (v < 1)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': object %d: <bndbox> has no whole number "
                            "<%s> of 1 or more", xml, index, side[k]);
        long lim = k % 2 ? h : w;
        p->box[k] = (int)(lim > 0 && v > lim ? lim : v);
    }
    if (p->box[2] < p->box[0] || p->box[3] < p->box[1])
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': object %d: <bndbox> %d,%d,%d,%d is empty",
                        xml, index, p->box[0], p->box[1], p->box[2], p->box[3]);
    for (int a = 0; a < VGG_VOC_N_ACTIONS; a++) {
        xmlNode *f = child(acts, vgg_voc_actions[a]);
        char *t = f ? text_of(f) : NULL;
        bool ok = !t || strcmp(t, "0") == 0 || strcmp(t, "1") == 0 || !*t;
        p->actions[a] = t && strcmp(t, "1") == 0;
        free(t);
        if (!ok)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': object %d: <%s> is not 0 or 1", xml, index,
                            vgg_voc_actions[a]);
    }
    p->object = index;
    return VGG_STATUS_OK;
}

/* append a slot to ps (zeroed) */
static vgg_voc_person *person_slot(vgg_voc_persons *ps, size_t *cap)
{
    if (ps->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        vgg_voc_person *nv = realloc(ps->v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        ps->v = nv;
        *cap = nc;
    }
    memset(&ps->v[ps->n], 0, sizeof ps->v[ps->n]);
    return &ps->v[ps->n];
}

/* the persons (objects with <actions>) of one image */
static vgg_status read_persons(const char *xml, const char *id, const char *path,
                               vgg_voc_persons *ps, size_t *cap)
{
    xmlDoc *doc;
    vgg_status st = open_doc(xml, &doc);
    if (st != VGG_STATUS_OK)
        return st;
    xmlNode *root = xmlDocGetRootElement(doc), *size = child(root, "size");
    long w = number_of(size, "width"), h = number_of(size, "height");
    int index = 0;
    size_t before = ps->n;
    for (xmlNode *o = root->children; o && st == VGG_STATUS_OK; o = o->next) {
        if (o->type != XML_ELEMENT_NODE || xmlStrcmp(o->name, (const xmlChar *)"object") != 0)
            continue;
        xmlNode *acts = child(o, "actions");
        index++;
        if (!acts)
            continue;
        vgg_voc_person *p = person_slot(ps, cap);
        if (!p)
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", xml);
        else if ((st = read_person(o, acts, xml, index, w, h, p)) == VGG_STATUS_OK) {
            p->id = strdup(id);
            p->path = strdup(path);
            ps->n++;
            if (!p->id || !p->path)
                st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", xml);
        }
    }
    if (st == VGG_STATUS_OK && ps->n == before)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': no <object> with <actions> (not an action "
                      "annotation)", xml);
    xmlFreeDoc(doc);
    return st;
}

/* the person (id, object) of ps, searched from *cursor on (the files list
 * the persons in the set's order), or NULL */
static vgg_voc_person *find_person(vgg_voc_persons *ps, const char *id, int object,
                                   size_t *cursor)
{
    for (size_t k = 0; k < ps->n; k++) {
        vgg_voc_person *p = &ps->v[(*cursor + k) % ps->n];
        if (p->object == object && strcmp(p->id, id) == 0) {
            *cursor = (*cursor + k + 1) % ps->n;
            return p;
        }
    }
    return NULL;
}

/* one line "id object gt" of an action's file */
static vgg_status action_line(char *line, const char *path, size_t lineno, int a,
                              vgg_voc_persons *ps, size_t *cursor)
{
    char id[256], extra;
    int object, gt;
    int n = sscanf(line, "%255s %d %d %c", id, &object, &gt, &extra);
    if (n == EOF || (n >= 1 && id[0] == 0))
        return VGG_STATUS_OK;   /* a blank line */
    if (n != 3 || gt < -1 || gt > 1)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: expected '<image id> <object> "
                        "<1, 0 or -1>'", path, lineno);
    vgg_voc_person *p = find_person(ps, id, object, cursor);
    if (!p)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: %s object %d is no person of the "
                        "set (no <actions> in its annotation)", path, lineno, id, object);
    if (gt != 0 && (gt == 1) != p->actions[a])
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: %s object %d is %d here and %d in "
                        "its annotation", path, lineno, id, object, gt, p->actions[a]);
    p->ignored[a] = gt == 0;
    return VGG_STATUS_OK;
}

/* ImageSets/Action/<action>_<set>.txt, where present */
static vgg_status read_action_file(const char *voc_dir, const char *set, int a,
                                   vgg_voc_persons *ps)
{
    char name[512];
    snprintf(name, sizeof name, "ImageSets/Action/%s_%s.txt", vgg_voc_actions[a], set);
    char *path = ds_join(voc_dir, name), *text = NULL;
    size_t len, cursor = 0;
    vgg_status st = path ? VGG_STATUS_OK : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    if (st == VGG_STATUS_OK && ds_is_file(path))
        st = vgg_read_file(path, 0, &text, &len);
    if (text && strlen(text) != len)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': holds a NUL byte: not an image set file", path);
    size_t lineno = 1;
    for (char *p = text; p && *p && st == VGG_STATUS_OK; lineno++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        st = action_line(p, path, lineno, a, ps, &cursor);
        p = nl ? nl + 1 : p + strlen(p);
    }
    free(text);
    free(path);
    return st;
}

vgg_status vgg_voc_load_actions(const char *voc_dir, const char *set, vgg_voc_persons **out)
{
    *out = NULL;
    if (!ds_is_dir(voc_dir))
        return vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no such folder", voc_dir);
    if (!set || !*set || strchr(set, '/'))
        return vgg_fail(VGG_STATUS_INVALID, "'%s': not an image set name", set ? set : "");
    char name[512];
    snprintf(name, sizeof name, "ImageSets/Action/%s.txt", set);
    char *set_path = ds_join(voc_dir, name);
    vgg_voc_persons *ps = calloc(1, sizeof *ps);
    ds_strvec ids = { 0 };
    size_t cap = 0;
    vgg_status st = VGG_STATUS_OK;
    if (!set_path || !ps)
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", voc_dir);
    else if (!ds_is_file(set_path))
        st = vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no such image set file (the action sets "
                      "are VOC-2012's: is '%s' VOCdevkit/VOC2012?)", set_path, voc_dir);
    else
        st = read_ids(set_path, &ids);
    for (size_t i = 0; i < ids.n && st == VGG_STATUS_OK; i++) {
        char xml_name[512], jpg_name[512];
        snprintf(xml_name, sizeof xml_name, "Annotations/%s.xml", ids.s[i]);
        snprintf(jpg_name, sizeof jpg_name, "JPEGImages/%s.jpg", ids.s[i]);
        char *xml = ds_join(voc_dir, xml_name), *jpg = ds_join(voc_dir, jpg_name);
        st = xml && jpg ? read_persons(xml, ids.s[i], jpg, ps, &cap)
                        : vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", voc_dir);
        free(xml);
        free(jpg);
    }
    for (int a = 0; a < VGG_VOC_N_ACTIONS && st == VGG_STATUS_OK && ps->n; a++)
        st = read_action_file(voc_dir, set, a, ps);
    vgg_ds_strings_free(ids.s, ids.n);
    free(set_path);
    if (st != VGG_STATUS_OK) {
        vgg_voc_persons_free(ps);
        return st;
    }
    *out = ps;
    return VGG_STATUS_OK;
}

vgg_status vgg_voc_write_actions(const vgg_voc_persons *ps, const char *path)
{
    for (size_t i = 0; i < ps->n; i++) {
        vgg_status st = ds_check_path(path, ps->v[i].path);
        if (st != VGG_STATUS_OK)
            return st;
    }
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open(path, &af);
    if (st != VGG_STATUS_OK)
        return st;
    for (size_t i = 0; i < ps->n; i++) {
        const vgg_voc_person *p = &ps->v[i];
        fprintf(af.fp, "%s\t", p->path);
        bool first = true;
        for (int a = 0; a < VGG_VOC_N_ACTIONS; a++)
            if (p->actions[a] || p->ignored[a]) {
                fprintf(af.fp, "%s%s%s", first ? "" : ",", vgg_voc_actions[a],
                        p->ignored[a] ? "?" : "");
                first = false;
            }
        /* 1-based inclusive -> 0-based, x2 and y2 exclusive */
        fprintf(af.fp, "\tbox=%d,%d,%d,%d\n", p->box[0] - 1, p->box[1] - 1, p->box[2],
                p->box[3]);
    }
    return ds_finish(&af, path);
}

void vgg_voc_cleanup(void)
{
    xmlCleanupParser();
}
