from tests.workers.pipeline.context.localize.trees import filler_module, write_tree
from workers.pipeline.context.localize import rank_files
from workers.pipeline.context.localize.boilerplate import strip_boilerplate

# Shaped like the PyData projects' template: checklist, hidden instructions, show_versions().
TEMPLATE_ISSUE = (
    "`where(..., keep_attrs=True)` overwrites coordinate attributes\r\n"
    "### What happened?\r\n\r\n"
    "Calling `where` with keep_attrs=True replaces the coordinate attributes.\r\n\r\n"
    "<!-- Please search the existing issues first. -->\r\n"
    "### MVCE confirmation\r\n\r\n"
    "- [X] Minimal example — the example is as focused as reasonably possible.\r\n"
    "- [X] Complete example — the example is self-contained.\r\n\r\n"
    "```python\r\n"
    "# keep the time attributes\r\n"
    "result = where(True, temperature, temperature, keep_attrs=True)\r\n"
    "```\r\n\r\n"
    "### Environment\r\n\r\n"
    "<details>\r\n"
    "INSTALLED VERSIONS\r\n"
    "------------------\r\n"
    "commit: None\r\n"
    "python: 3.9.13 | packaged by conda-forge | (main, May 27 2022, 16:56:21)\r\n"
    "OS: Linux\r\n"
    "OS-release: 5.15.0-52-generic\r\n"
    "zarr: 2.13.3\r\n"
    "dask: 2022.10.0\r\n"
    "plotting: None\r\n"
    "netcdf: 1.6.1\r\n"
    "</details>\r\n"
)


def test_the_template_s_checklist_comments_labels_and_versions_are_left_out():
    stripped = strip_boilerplate(TEMPLATE_ISSUE)
    for gone in ("Minimal example", "Please search", "What happened", "MVCE", "### Environment",
                 "zarr", "dask", "plotting", "OS-release", "OS: Linux", "conda-forge"):
        assert gone not in stripped, gone
    for kept in ("Calling `where` with keep_attrs=True replaces",
                 "# keep the time attributes",  # a comment in code, not a markdown heading
                 "result = where(True, temperature, temperature, keep_attrs=True)"):
        assert kept in stripped, kept
    assert stripped.startswith(TEMPLATE_ISSUE.split("\n", 1)[0] + "\n")


def test_the_title_prose_and_headings_with_code_are_kept():
    issue = (
        "In v5.3, mask propagation fails\n"
        "### `NDDataRef.multiply` drops the mask\n"
        "Since 5.3 the mask is lost. It worked in 5.2.\n"
        "pytest 7.1.3\n"
        "- Sphinx version: 4.0.2\n"
        "attrs==21.2.0\n"
    )
    stripped = strip_boilerplate(issue)
    assert stripped.startswith("In v5.3, mask propagation fails\n")
    assert "### `NDDataRef.multiply` drops the mask" in stripped
    assert "Since 5.3 the mask is lost. It worked in 5.2." in stripped
    for gone in ("pytest 7.1.3", "Sphinx version", "attrs==21.2.0"):
        assert gone not in stripped, gone


def test_files_named_only_by_the_version_listing_get_no_evidence(tmp_path):
    # The listed packages are also this project's module names.
    write_tree(tmp_path, {
        "geo/__init__.py": "",
        "geo/core/merge.py": filler_module("merge")
        + "\ndef merge_attrs(variable_attrs, coordinate_attrs):\n    return dict(coordinate_attrs)\n",
        "geo/backends/zarr.py": filler_module("zarr") + "\ndef open_zarr(store):\n    return store\n",
        "geo/backends/netcdf.py": filler_module("netcdf") + "\ndef open_netcdf(path):\n    return path\n",
        "geo/core/dask.py": filler_module("dask") + "\ndef chunk_dask(array):\n    return array\n",
        "geo/plotting.py": filler_module("plotting") + "\ndef plot(array):\n    return array\n",
    })
    issue = (
        "Merging keeps the wrong attributes\r\n"
        "### What happened?\r\n\r\n"
        "After a merge the coordinate attributes are replaced by the variable attributes.\r\n\r\n"
        "### Environment\r\n\r\n"
        "<details>\r\nINSTALLED VERSIONS\r\n------------------\r\n"
        "zarr: 2.13.3\r\ndask: 2022.10.0\r\nplotting: None\r\nnetcdf: 1.6.1\r\n</details>\r\n"
    )
    assert [ranked.path for ranked in rank_files(tmp_path, issue)] == ["geo/core/merge.py"]
