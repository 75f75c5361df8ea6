# A page of docs/ (markdown) as man(7) source, so that a section-5 page and
# its document are one text:
#
#   awk -f md2man.awk docs/feature-store.md
#
# What the documents use: "# title" (left out: the page's NAME says it),
# "## heading" (.SH), paragraphs, ``` code blocks (.nf), tables (tbl: the
# page must start with '\" t), "- " lists (continued by indented lines), and
# inline `code` (bold), **strong** (bold), *emphasis* (italic), [text](link)
# (the text).

function esc(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    return s
}

# (match() sets RSTART and RLENGTH for every caller: each loop keeps its own)
function inline(s,    r, m, a, l) {
    s = esc(s)
    # [text](target) -> text
    while (match(s, /\[[^]]*\]\([^)]*\)/)) {
        m = substr(s, RSTART + 1, RLENGTH - 2)
        sub(/\]\(.*/, "", m)
        s = substr(s, 1, RSTART - 1) m substr(s, RSTART + RLENGTH)
    }
    r = ""
    while (match(s, /`[^`]*`/)) {
        a = RSTART
        l = RLENGTH
        r = r emph(substr(s, 1, a - 1)) "\\fB" substr(s, a + 1, l - 2) "\\fR"
        s = substr(s, a + l)
    }
    return r emph(s)
}

function emph(s,    r, a, l) {
    r = ""
    while (match(s, /\*\*[^*]+\*\*/)) {
        a = RSTART
        l = RLENGTH
        r = r ital(substr(s, 1, a - 1)) "\\fB" substr(s, a + 2, l - 4) "\\fR"
        s = substr(s, a + l)
    }
    return r ital(s)
}

function ital(s,    r) {
    r = ""
    while (match(s, /\*[^* ][^*]*\*/)) {
        r = r substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fR"
        s = substr(s, RSTART + RLENGTH)
    }
    return r s
}

function out(s) {
    if (s ~ /^[.']/)
        s = "\\&" s
    print s
}

function cells(s, arr,    n, i) {
    sub(/^ *\| */, "", s)
    sub(/ *\| *$/, "", s)
    n = split(s, arr, / *\| */)
    for (i = 1; i <= n; i++)
        arr[i] = inline(arr[i])
    return n
}

function end_table() {
    if (in_table)
        print ".TE"
    in_table = 0
}

# the paragraph or list item gathered so far, as one filled text line (so
# that `code` may run across the markdown's line breaks)
function flush() {
    if (buf != "") {
        print (kind == "item" ? ".IP \\(bu 2" : ".PP")
        out(inline(buf))
    }
    buf = ""
    kind = ""
}

function add(s, k) {
    sub(/^ +/, "", s)
    if (buf == "")
        kind = k
    buf = buf (buf == "" ? "" : " ") s
}

BEGIN { in_code = 0; in_table = 0; buf = ""; kind = "" }

in_code {
    if ($0 ~ /^```/) {
        print ".fi"
        print ".RE"
        in_code = 0
    } else {
        out(esc($0))
    }
    next
}

/^```/ {
    flush()
    end_table()
    print ".PP"
    print ".RS 4"
    print ".nf"
    in_code = 1
    next
}

/^\|/ {
    flush()
    if ($0 ~ /^\| *-+ *\|/)
        next                            # the header's rule
    n = cells($0, c)
    if (!in_table) {
        print ".PP"
        print ".TS"
        fmt = ""
        for (i = 1; i <= n; i++)
            fmt = fmt (i > 1 ? " " : "") (i < n ? "l" : "lx")
        print "tab(\t);"
        print fmt "."
        row = ""
        for (i = 1; i <= n; i++)
            row = row (i > 1 ? "\t" : "") "\\fB" c[i] "\\fR"
        out(row)
        print "_"
        in_table = 1
        next
    }
    # the last column wraps (a text block)
    row = ""
    for (i = 1; i < n; i++)
        row = row c[i] "\t"
    out(row "T{")
    out(c[n])
    print "T}"
    next
}

{ end_table() }

/^# / { flush(); next }

/^## / {
    flush()
    print ".SH \"" toupper(esc(substr($0, 4))) "\""
    next
}

/^### / {
    flush()
    print ".SS \"" esc(substr($0, 5)) "\""
    next
}

/^ *$/ { flush(); next }

/^- / {
    flush()
    add(substr($0, 3), "item")
    next
}

# a list item's continuation lines are indented; other lines go on the paragraph
{ add($0, kind == "" ? "para" : kind) }

END {
    flush()
    end_table()
}
