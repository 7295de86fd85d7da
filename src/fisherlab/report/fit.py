"""Text that fits its figure: measured with the figure's own renderer, never guessed.

* :func:`wrap`: a text broken at spaces into lines no wider than a width in pixels;
* :func:`tidy`: run on every figure before it is saved (:func:`fisherlab.report.figures.save`):
  the suptitle wrapped to the figure's width and each panel's title to its panel's, a
  font size smaller only where one word is wider still; tick labels that would touch
  thinned (fewer ticks from the same kind of locator; every second one of fixed ticks,
  the first kept). Constrained layout then makes room for the taller titles.

Labels come from study files (an estimator's options, an estimand's name) and can be of
any length; a figure must stay readable for all of them. ``tests/test_figures_fit.py``
measures every text of every figure the page draws.
"""

from __future__ import annotations

from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FixedLocator, LogLocator, MaxNLocator

#: the smallest font size (points) a title is shrunk to when a word is wider than its room
MIN_SIZE = 6.0
#: the least gap between neighbouring tick labels, in points
TICK_GAP = 3.0


def _props(size) -> FontProperties:
    return size if isinstance(size, FontProperties) else FontProperties(size=size)


def text_width(text: str, size, renderer) -> float:
    """The width in pixels of ``text`` (its widest line) at ``size`` points (or in a
    FontProperties)."""
    prop = _props(size)
    return max(renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
               for line in text.split("\n"))


def wrap(text: str, width: float, size, renderer) -> str:
    """``text`` with each line broken at spaces so that no line is wider than ``width``
    pixels where a break can do it (a single word wider than that stays whole)."""
    prop = _props(size)
    out = []
    for line in text.split("\n"):
        words, current = line.split(" "), ""
        for word in words:
            trial = f"{current} {word}" if current else word
            if current and text_width(trial, prop, renderer) > width:
                out.append(current)
                current = word
            else:
                current = trial
        out.append(current)
    return "\n".join(out)


def fit_text(t, width: float, renderer) -> bool:
    """Wrap the Text ``t`` to ``width`` pixels, and shrink its font where a word is still
    wider; whether it changed."""
    if t is None or not t.get_visible() or not t.get_text().strip():
        return False
    if t.get_window_extent(renderer).width <= width:
        return False
    t.set_text(wrap(t.get_text(), width, t.get_fontproperties(), renderer))
    while t.get_window_extent(renderer).width > width and t.get_fontsize() > MIN_SIZE:
        t.set_fontsize(max(MIN_SIZE, t.get_fontsize() - 0.5))
    return True


def _drawn(axis) -> list:
    # the ticks matplotlib draws (inside the view limits), as Axis.get_tightbbox finds them
    return [t for t in axis._update_ticks() if t.label1.get_visible() and t.label1.get_text()]


def crowded(axis, renderer) -> bool:
    """Whether two neighbouring tick labels of ``axis`` touch or overlap."""
    gap = TICK_GAP * axis.figure.dpi / 72
    boxes = [t.label1.get_window_extent(renderer) for t in _drawn(axis)]
    if axis.axis_name == "x":
        spans = sorted((b.x0, b.x1) for b in boxes)
    else:
        spans = sorted((b.y0, b.y1) for b in boxes)
    return any(b0 < a1 + gap for (_, a1), (b0, _) in zip(spans, spans[1:], strict=False))


def _ticks(axis) -> list:
    # every tick drawn, with or without a label: what a pass would draw differently
    return [(t.get_loc(), t.label1.get_text()) for t in axis._update_ticks()]


def thin(axis, renderer) -> bool:
    """Fewer tick labels on ``axis`` until none touch; whether its ticks changed (a log
    axis's minor labels stay when its major ones are thinned: labels that still touch
    after the first thinning do not ask for another pass and draw)."""
    if not crowded(axis, renderer):
        return False
    before = _ticks(axis)
    _thin(axis, renderer)
    return _ticks(axis) != before


def _thin(axis, renderer) -> None:
    loc = axis.get_major_locator()
    if isinstance(loc, FixedLocator):  # ticks the figure chose: keep every k-th
        locs = list(loc.locs)
        fmt = axis.get_major_formatter()
        labels = list(getattr(fmt, "seq", [])) or [t.label1.get_text() for t in _drawn(axis)]
        for k in range(2, max(3, len(locs))):
            axis.set_ticks(locs[::k], labels[::k] if len(labels) == len(locs) else None)
            if not crowded(axis, renderer):
                break
        return
    log = axis.get_scale() == "log"
    for count in range(len(_drawn(axis)) - 1, 1, -1):
        axis.set_major_locator(LogLocator(numticks=count) if log
                               else MaxNLocator(nbins=count - 1, steps=[1, 2, 2.5, 5, 10]))
        if not crowded(axis, renderer):
            break


def tidy(fig, passes: int = 3, render: bool = False) -> bool:
    """Fit the titles and tick labels of ``fig`` (see the module's docstring); each pass
    lays the figure out again, since wrapped titles move the panels. With ``render``
    each pass draws the figure on its canvas, so that when a pass changes nothing the
    canvas already holds the finished figure (a draw is most of a figure's cost, and
    :func:`fisherlab.report.figures.save` then needs no other); returns whether the
    last pass changed nothing."""
    for _ in range(passes):
        if render:
            fig.canvas.draw()
        else:
            fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        changed = fit_text(getattr(fig, "_suptitle", None), 0.98 * fig.bbox.width, r)
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            for t in (ax.title, ax._left_title, ax._right_title):
                changed |= fit_text(t, ax.bbox.width, r)
            changed |= thin(ax.xaxis, r) | thin(ax.yaxis, r)
        if not changed:
            return True
    return False
