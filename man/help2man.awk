# A program's --help text as man(7) source: the option tables as tagged
# paragraphs (.TP), prose filled, anything else kept as it is laid out.
#
#   awk -v cmd="vggfeat extract" [-v usage=skip] -f help2man.awk HELP_TEXT
#
# The help text is the one source: this only reformats it, word for word
# (tests/test_man_help.py compares the options of both).  The layout it
# reads is the programs' own:
#   usage: CMD ...          the first line ("usage: " dropped), and the
#          ...              indented lines after it that have no column gap
#   TERM  DESCRIPTION       a line indented 1-8 columns with a gap of two or
#                           more spaces: an item (TERM: options, metavariables)
#         more text         a line indented deeper: the item goes on (unless it
#                           starts with '-' left of the description's column)
#   text at column 0        prose (a short line without a full stop, followed
#                           by an item, is a heading)
#   other indented lines    kept as they are (.nf)
# usage=skip leaves the usage line out (the SYNOPSIS shows it).

function esc(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    return s
}

# a text line that would read as a request
function out(s) {
    if (s ~ /^[.']/)
        s = "\\&" s
    print s
}

function indent_of(s) {
    match(s, /^ */)
    return RLENGTH
}

# option names bold, metavariables italic ("-o, --output FILE")
function term(t,    n, i, w, parts, r, tail) {
    n = split(t, parts, / +/)
    r = ""
    for (i = 1; i <= n; i++) {
        w = parts[i]
        tail = ""
        if (w ~ /,$/) {
            tail = ","
            w = substr(w, 1, length(w) - 1)
        }
        if (w ~ /^-/ || i == 1)
            w = "\\fB" esc(w) "\\fR"
        else
            w = "\\fI" esc(w) "\\fR"
        r = r (i > 1 ? " " : "") w tail
    }
    return r
}

function is_item(s,    ind, txt) {
    ind = indent_of(s)
    txt = substr(s, ind + 1)
    return ind >= 1 && ind <= 8 && (index(txt, "  ") > 0 || txt ~ /^-/)
}

function close_lit() {
    if (mode == "lit")
        print ".fi"
}

{ line[++n] = $0 }

END {
    i = 1
    if (line[1] ~ /^usage: /) {
        if (usage != "skip") {
            print ".nf"
            syn(substr(line[1], 8))
        }
        i = 2
        while (i <= n && line[i] ~ /^ +[^ ]/ && index(substr(line[i], indent_of(line[i]) + 1), "  ") == 0 &&
               substr(line[i], indent_of(line[i]) + 1) !~ /^-/) {
            if (usage != "skip") {
                ind = indent_of(line[i])
                syn(substr(line[i], (ind >= 7 ? 8 : ind + 1)))
            }
            i++
        }
        if (usage != "skip")
            print ".fi\n.PP"
    }
    mode = ""
    printed = 0
    for (; i <= n; i++) {
        s = line[i]
        if (s ~ /^ *$/) {
            close_lit()
            if (printed)
                print ".PP"
            mode = ""
            printed = 0
            continue
        }
        ind = indent_of(s)
        txt = substr(s, ind + 1)
        printed = 1
        if (mode == "item" && ind > item_ind && (txt !~ /^-/ || ind >= desc_col)) {
            out(esc(txt))
            continue
        }
        if (ind >= 1 && ind <= 8 && (index(txt, "  ") > 0 || txt ~ /^-/)) {
            close_lit()
            p = index(txt, "  ")
            if (p > 0) {
                t = substr(txt, 1, p - 1)
                d = substr(txt, p)
                sub(/^ +/, "", d)
            } else {
                t = txt
                d = ""
            }
            print ".TP"
            print term(t)
            if (d != "")
                out(esc(d))
            mode = "item"
            item_ind = ind
            desc_col = (d != "") ? ind + length(txt) - length(d) : 1000
            continue
        }
        if (ind == 0) {
            close_lit()
            if (mode == "item" || mode == "lit")
                print ".PP"
            if (mode != "prose" && length(txt) <= 40 && txt !~ /[.:;,]$/ && i < n && is_item(line[i + 1]))
                out("\\fB" esc(txt) "\\fR")
            else
                out(esc(txt))
            mode = "prose"
            continue
        }
        if (mode != "lit") {
            if (mode == "item")
                print ".PP"
            print ".nf"
            mode = "lit"
        }
        out(esc(s))
    }
    close_lit()
}

# a synopsis line: the command's own words bold
function syn(s) {
    if (cmd != "" && index(s, cmd) == 1)
        out("\\fB" esc(cmd) "\\fR" esc(substr(s, length(cmd) + 1)))
    else
        out(esc(s))
}
