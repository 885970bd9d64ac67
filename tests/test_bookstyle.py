"""The book's figure style and the render configuration used by `make html`."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rsslib import bookstyle  # noqa: E402


def test_figures_fit_the_column_with_readable_text():
    bookstyle.use()
    fig, axes = bookstyle.subplots(2, 2)
    width, height = fig.get_size_inches()
    # fails if a figure were wider than the ~670 px column, so the page had to shrink it
    assert width * fig.dpi <= 670
    assert height == pytest.approx(2 * bookstyle.ROW_INCHES)
    # fails if any text were smaller than the 9 pt the book promises (shown at 100 dpi 1:1)
    sizes = [matplotlib.rcParams[k] for k in ("font.size", "legend.fontsize")]
    sizes += [
        matplotlib.font_manager.FontProperties(size=matplotlib.rcParams[k]).get_size()
        for k in ("xtick.labelsize", "ytick.labelsize", "axes.labelsize")
    ]
    assert min(sizes) >= 9
    plt.close(fig)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((1, 3), {}, "ncols"),
        ((0, 1), {}, "nrows"),
        ((1, 1), {"height": -1}, "height"),
        ((1, 1), {"figsize": (10, 4)}, "figsize"),
    ],
)
def test_subplots_rejects_layouts_the_page_cannot_show(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        bookstyle.subplots(*args, **kwargs)


def test_render_config_executes_nothing_and_resolves_extensions(tmp_path):
    import importlib.util
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location(
        "render_config", root / "scripts/render_config.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "elsewhere" / "config.yml"
    module.main([str(out)])
    config = yaml.safe_load(out.read_text())
    # fails if the CI build re-executed notebooks (a third run) instead of rendering them
    assert config["execute"]["execute_notebooks"] == "off"
    # fails if a config outside the repository resolved extensions against its own folder
    for path in config["sphinx"]["local_extensions"].values():
        assert Path(path).is_absolute() and Path(path).is_dir()
    # the source config itself still executes (through the cache) for `make book`
    source = yaml.safe_load((root / "_config.yml").read_text())
    assert source["execute"]["execute_notebooks"] == "cache"


def test_formatted_rounds_as_print_and_names_missing_columns():
    import pandas as pd

    table = pd.DataFrame({"eps": [0.1, 0.01], "p": [0.80875, 0.5]})
    shown = bookstyle.formatted(table, {"p": ".4f"})
    # fails if the table showed other digits than print(f"{p:.4f}") would
    assert list(shown["p"]) == [f"{0.80875:.4f}", "0.5000"]
    assert list(shown["eps"]) == [0.1, 0.01]  # columns not named are left as they are
    with pytest.raises(ValueError, match="lacks"):
        bookstyle.formatted(table, {"q": ".2f"})


def test_formatted_with_one_spec_formats_every_float_cell():
    import pandas as pd

    table = pd.DataFrame({"n": [3, 4], "p": [0.80875, 0.5]})
    shown = bookstyle.formatted(table, ".3f")
    # fails if a float cell kept other digits than f"{p:.3f}", or an int were formatted
    assert list(shown["p"]) == [f"{0.80875:.3f}", "0.500"]
    assert list(shown["n"]) == [3, 4]
