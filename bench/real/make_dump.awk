# make_dump.awk - writes a Subversion dump (format 2, full texts) of a
# generated history, the same in every run: awk -v revisions=N -f make_dump.awk
#
# Revision 1 adds trunk/ with 10 directories of 10 files (40 lines each)
# and trunk/hot.c (100 lines). Each later revision r rewrites one line in
# each of 3 files chosen from r; every 2nd also rewrites a line of hot.c
# (so that `svn blame trunk/hot.c` has revisions/2 revisions to go
# through); every 10th adds a file; every 50th sets a property on a directory. Dates are a
# minute apart from 2020-01-01, the author is "bench". Needs LC_ALL=C (a
# length is a byte count).
BEGIN {
    printf "SVN-fs-dump-format-version: 2\n\nUUID: 5e1f0c2a-1717-4b17-8017-000000000017\n\n"
    revision_record(0, "")
    revision_record(1, "the tree")
    dir_add("trunk", "")
    for (d = 0; d < 10; d++) {
        dir_add("trunk/d" d, "")
        for (f = 0; f < 10; f++) new_file("trunk/d" d "/f" f ".c")
    }
    new_file("trunk/hot.c")
    added = 0
    for (r = 2; r <= revisions; r++) {
        revision_record(r, "revision " r ": three edits" (r % 2 == 0 ? ", hot.c" : ""))
        for (k = 0; k < 3; k++) edit("trunk/d" ((r * 3 + k) % 10) "/f" ((r * 7 + k * 3) % 10) ".c", r)
        if (r % 2 == 0) edit("trunk/hot.c", r)
        if (r % 10 == 0) new_file("trunk/d" (r % 10) "/added" (++added) ".c")
        if (r % 50 == 0) dir_props("trunk/d" (r / 50 % 10), "bench:note", "set in revision " r)
    }
}

function props(key, value) { return "K " length(key) "\n" key "\nV " length(value) "\n" value "\n" }

function date(r) {
    return sprintf("2020-01-%02dT%02d:%02d:00.000000Z", 1 + int(r / 1440), int(r % 1440 / 60), r % 60)
}

function revision_record(r, message,    block) {
    block = props("svn:date", date(r))
    if (r > 0) block = props("svn:author", "bench") block props("svn:log", message)
    block = block "PROPS-END\n"
    printf "Revision-number: %d\nProp-content-length: %d\nContent-length: %d\n\n%s\n", r, length(block), length(block), block
}

function dir_add(path, block) {
    block = block "PROPS-END\n"
    printf "Node-path: %s\nNode-kind: dir\nNode-action: add\nProp-content-length: %d\nContent-length: %d\n\n%s\n\n",
        path, length(block), length(block), block
}

function dir_props(path, key, value,    block) {
    block = props(key, value) "PROPS-END\n"
    printf "Node-path: %s\nNode-kind: dir\nNode-action: change\nProp-content-length: %d\nContent-length: %d\n\n%s\n\n",
        path, length(block), length(block), block
}

# A file's text: its size[path] lines (40, hot.c 100), kept in lines[path, i].
function new_file(path,    i) {
    size[path] = path == "trunk/hot.c" ? 100 : 40
    for (i = 0; i < size[path]; i++) lines[path, i] = sprintf("/* %s line %02d: %s */", path, i, "initial text of the generated file")
    file_record(path, "add")
}

function edit(path, r) {
    lines[path, r % size[path]] = sprintf("/* %s line %02d: rewritten in revision %d */", path, r % size[path], r)
    file_record(path, "change")
}

function file_record(path, action,    text, i, block) {
    text = ""
    for (i = 0; i < size[path]; i++) text = text lines[path, i] "\n"
    if (action == "add") {
        block = "PROPS-END\n"
        printf "Node-path: %s\nNode-kind: file\nNode-action: add\nProp-content-length: %d\nText-content-length: %d\nContent-length: %d\n\n%s%s\n\n",
            path, length(block), length(text), length(block) + length(text), block, text
    } else {
        printf "Node-path: %s\nNode-kind: file\nNode-action: change\nText-content-length: %d\nContent-length: %d\n\n%s\n\n",
            path, length(text), length(text), text
    }
}
