"""Sphinx extension: emit each page script once.

sphinx-thebe 0.3.1 registers its inline configuration script after the HTML
builder exists; with Sphinx 7.4 that script reaches the page's script list twice (once
with filename None, once with ""), so every page declares ``const THEBE_JS_URL`` twice
and the browser stops the second script with a SyntaxError (found by
``make check-html``). Dropping exact duplicates from the script list fixes it without
touching the theme.
"""


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # the two copies differ only in a filename of None vs "" (both mean inline)
        filename = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(filename), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    # run after every other handler has added its scripts
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
