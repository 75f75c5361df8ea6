/* The one escaping rule for names and labels in TSV, CSV and JSON output
 * (docs/escaping.md).  The escaped form of a name is printable, valid UTF-8:
 *   backslash -> \\   TAB -> \t   LF -> \n   CR -> \r
 *   other control bytes (0x00-0x1f, 0x7f) and every byte that is not part
 *   of a valid UTF-8 sequence -> \xHH (two lower-case hex digits)
 * TSV writes the escaped form as it is; CSV writes it as an RFC 4180 field
 * (quoted, quotes doubled, when it holds a comma or a quote); JSON writes it
 * as a JSON string.  So every standard parser of the three formats reads
 * the same text, and vgg_text_unescape() gives back the original bytes. */
#include "vgg/core.h"

#include <stdlib.h>
#include <string.h>

/* length of the valid UTF-8 sequence at p (1-4), or 0 if p starts none */
static int utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    int n;
    unsigned min, cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2; min = 0x80; cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3; min = 0x800; cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4; min = 0x10000; cp = c & 0x07;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool vgg_text_is_plain(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = utf8_len(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
        p += n;
    }
    return true;
}

enum { PLAIN, JSON, CSV_QUOTED };

/* Emit the escaped form of s through put(c, ctx).  JSON mode also escapes
 * the quote and the backslashes that the escaped form itself contains;
 * CSV_QUOTED doubles the quote. */
static void escape_to(const char *s, int mode, void (*put)(char, void *), void *ctx)
{
    const bool json = mode == JSON;
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    const char *bs = json ? "\\\\" : "\\";
    while (*p) {
        int n = utf8_len(p);
        unsigned c = *p;
        const char *esc = NULL;
        if (c == '\\')
            esc = "\\";
        else if (c == '\t')
            esc = "t";
        else if (c == '\n')
            esc = "n";
        else if (c == '\r')
            esc = "r";
        if (esc) {
            for (const char *b = bs; *b; b++)
                put(*b, ctx);
            if (json && c == '\\')
                put('\\', ctx), put('\\', ctx);
            else
                put(*esc, ctx);
            p++;
        } else if (n == 0 || c < 0x20 || c == 0x7f) {
            for (const char *b = bs; *b; b++)
                put(*b, ctx);
            put('x', ctx);
            put(hex[c >> 4], ctx);
            put(hex[c & 15], ctx);
            p++;
        } else {
            if (json && c == '"')
                put('\\', ctx);
            else if (mode == CSV_QUOTED && c == '"')
                put('"', ctx);
            for (int i = 0; i < n; i++)
                put((char)p[i], ctx);
            p += n;
        }
    }
}

typedef struct buf_sink {
    char *data;
    size_t len, cap;
    bool oom;
} buf_sink;

static void put_buf(char c, void *ctx)
{
    buf_sink *b = ctx;
    if (b->oom)
        return;
    if (b->len + 2 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        char *nd = realloc(b->data, cap);
        if (!nd) {
            b->oom = true;
            return;
        }
        b->data = nd;
        b->cap = cap;
    }
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

static void put_file(char c, void *ctx)
{
    putc(c, (FILE *)ctx);
}

vgg_status vgg_text_escape(const char *s, char **out)
{
    *out = NULL;
    buf_sink b = { 0 };
    put_buf('\0', &b);      /* allocate, so an empty name gives "" */
    b.len = 0;
    escape_to(s, PLAIN, put_buf, &b);
    if (b.oom) {
        free(b.data);
        return vgg_fail(VGG_STATUS_NOMEM, "escaping a name: out of memory");
    }
    *out = b.data;
    return VGG_STATUS_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

vgg_status vgg_text_unescape(const char *s, char **out)
{
    *out = NULL;
    char *o = malloc(strlen(s) + 1);
    if (!o)
        return vgg_fail(VGG_STATUS_NOMEM, "unescaping a name: out of memory");
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        if (*p != '\\') {
            o[n++] = *p;
            continue;
        }
        p++;
        int hi, lo;
        switch (*p) {
        case '\\': o[n++] = '\\'; break;
        case 't': o[n++] = '\t'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 'x':
            hi = p[1] ? hexval(p[1]) : -1;
            lo = hi >= 0 && p[2] ? hexval(p[2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                goto bad;
            o[n++] = (char)(hi * 16 + lo);
            p += 2;
            break;
        default:
            goto bad;
        }
    }
    o[n] = '\0';
    *out = o;
    return VGG_STATUS_OK;
bad:
    free(o);
    return vgg_fail(VGG_STATUS_FORMAT, "'%s': a backslash must start \\\\, \\t, \\n, \\r or "
                    "\\xHH", s);
}

void vgg_tsv_put(FILE *fp, const char *s)
{
    escape_to(s, PLAIN, put_file, fp);
}

void vgg_csv_put(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"")) {
        escape_to(s, PLAIN, put_file, fp);
        return;
    }
    putc('"', fp);
    escape_to(s, CSV_QUOTED, put_file, fp);
    putc('"', fp);
}

void vgg_json_put(FILE *fp, const char *s)
{
    putc('"', fp);
    escape_to(s, JSON, put_file, fp);
    putc('"', fp);
}
