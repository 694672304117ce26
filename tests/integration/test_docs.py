"""test_docs.py - the documentation says what the code does: the example
configurations of README.md and superd.yaml(5) pass `superd -t`, every key
the configuration checker and the shipped modules accept is documented in
superd.yaml(5), and every flag of `superd -h` in superd(8)."""

import os
import re
import tempfile

import harness as h

MAN = os.path.join(h.TOP_BUILDDIR, "man")


def read(*parts):
    with open(os.path.join(*parts)) as f:
        return f.read()


def check_example(yaml_text, what):
    """`superd -t` accepts yaml_text once /srv/www is an existing dir."""
    www = tempfile.mkdtemp(prefix="superd-docs-www-")
    h._temp_dirs.append(www)
    r, path = h.check_config(yaml_text.replace("/srv/www", www))
    h.eq(r.returncode, 0, "%s: superd -t (stderr: %s)" % (what, r.stderr.strip()))


def man_examples(page):
    """The .EX/.EE blocks of a built man page, unescaped."""
    text = read(MAN, page)
    blocks = re.findall(r"^\.EX\n(.*?)^\.EE\n", text, re.S | re.M)
    return [b.replace("\\-", "-").replace("\\(dq", '"').replace("\\&", "")
            for b in blocks]


def source_list(path, start):
    """The quoted words of the C array that follows start in path."""
    text = read(h.TOP_SRCDIR, path)
    i = text.index(start)
    return re.findall(r'"([a-z_]+)"', text[i:text.index("NULL", i)])


@h.test()
def readme_configuration_is_valid():
    text = read(h.TOP_SRCDIR, "README.md")
    sec = text[text.index("## A complete configuration"):]
    body = sec[sec.index("```yaml\n") + 8:]
    check_example(body[:body.index("```\n")], "README.md")


@h.test()
def man_page_configuration_is_valid():
    blocks = [b for b in man_examples("superd.yaml.5") if "services:" in b and "global:" in b]
    h.check(blocks, "superd.yaml(5) has no complete example")
    for b in blocks:
        check_example(b, "superd.yaml(5)")


@h.test()
def every_key_is_documented():
    page = read(MAN, "superd.yaml.5")
    documented = set(re.findall(r"^\.BR ([a-z_]+) ", page, re.M))
    keys = {
        "global": source_list("core/config/config_global.c", "keys[] = {"),
        "service": source_list("core/config/config.c", "service_keys[K_COUNT + 1] = {"),
        "http": source_list("modules/http/http.c", "option_keys[] = {"),
        "exec": source_list("modules/exec/exec.c", "keys[] = {"),
        "tls": source_list("core/config/config_tls.c", 'keys[] = { "cert"'),
        "sni": source_list("core/config/config_tls.c", 'keys[] = { "names"'),
    }
    for where, names in keys.items():
        h.check(names, "no %s keys found in the source" % where)
        missing = [k for k in names if k not in documented]
        h.check(not missing, "superd.yaml(5) does not document %s keys %s" % (where, missing))


@h.test()
def every_flag_is_documented():
    usage = h.run_superd("-h").stdout
    page = read(MAN, "superd.8")
    for flag in sorted(set(re.findall(r"(?<![\w-])-([a-zA-Z])\b", usage))):
        h.check(re.search(r"^\.(B|BI|BR|RB) .*\\-%s\b" % flag, page, re.M),
                "superd(8) does not document -%s" % flag)


if __name__ == "__main__":
    h.main(timeout=60)
