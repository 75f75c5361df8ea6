# The options of one command's --help text, for bash completion:
#
#   awk -f complete.awk HELP_TEXT
#
# prints "opts OPTION..." (every option named in the usage line and its
# continuation lines and in the indented lines: the option tables; prose at
# column 0 is left out, as it names other commands' options too) and
# "choice OPTION WORD..." for an option whose metavariable lists its values
# ("--format npy|liblinear|csv", "--device cpu|cpu-ref|cuda[:N]": the
# lower-case ones, "[...]" dropped).

function add_opt(o) {
    if (!(o in seen)) {
        seen[o] = 1
        order[++n_opts] = o
    }
}

function add_choices(o, w,    k, i, alt, a) {
    gsub(/[]),;]+$/, "", w)
    k = split(w, alt, /\|/)
    for (i = 1; i <= k; i++) {
        a = alt[i]
        gsub(/\[[^]]*\]/, "", a)
        if (a ~ /^[a-z0-9][a-z0-9.-]*$/ && !((o, a) in has)) {
            has[o, a] = 1
            choices[o] = choices[o] " " a
        }
    }
}

NR == 1 || /^[ \t]/ {
    k = split($0, w, /[ \t]+/)
    for (i = 1; i <= k; i++) {
        t = w[i]
        sub(/^[[(|]+/, "", t)           # "[--seed", "(--data"
        if (t !~ /^--?[A-Za-z][A-Za-z0-9-]*/)
            continue
        match(t, /^--?[A-Za-z][A-Za-z0-9-]*/)
        o = substr(t, 1, RLENGTH)
        add_opt(o)
        if (i < k && w[i + 1] ~ /\|/ && w[i + 1] !~ /^-/)
            add_choices(o, w[i + 1])
    }
}

END {
    line = "opts"
    for (i = 1; i <= n_opts; i++)
        line = line " " order[i]
    print line
    for (i = 1; i <= n_opts; i++)
        if (order[i] in choices)
            print "choice " order[i] choices[order[i]]
}
