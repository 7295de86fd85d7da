"""The study box: what the study is (family, truths, sizes, estimators)."""

from __future__ import annotations

from ...core.labels import params_label
from ...diagnostics import efficiency
from .. import misspec, targets
from ..format import rate
from ..html import esc
from .section import Section

ORDER = 10



def definition(r) -> str:
    s = r.study
    grid = params_label(s.params)
    theory = sorted(r.tables["consistency"]["theory_slope"].dropna().unique())
    rates = ", ".join(rate(t) for t in theory) or "–"
    fit = s.fit_model
    model = ([("family", f"{s.family.name}: {s.family.doc}")] if fit is None else
             [("data drawn from", f"{s.family.name}: {s.family.doc}"),
              ("model fitted", f"{fit.family.name}: {fit.family.doc}"),
              ("truths", misspec.truths_text(s))])
    truths = "" if fit is None else "".join(  # a fit_model's truths, per condition
        f"<dt></dt><dd>{esc(label)}: {html}</dd>"
        for label, html in misspec.truth_items(r.summary))
    items = [*model, ("true values" if fit is None else "data model's values", grid),
             ("sample sizes n", ", ".join(map(str, s.sample_sizes))),
             ("replications", f"{s.replications} per condition (seed {s.seed})"
              if s.targets is None else targets.targets_text(s)),
             # a study with target MCSEs: per condition × n, the replications used
             *((("replications used" if i == 0 else ""), line) for i, line in
               enumerate(targets.per_condition(r.tables.get("precision")))),
             ("estimators", "; ".join(e.label for e in s.estimators)),
             ("estimands", ", ".join(s.estimands)), ("intervals", f"{s.level:.0%}"),
             ("theoretical RMSE rate", rates)]
    info = efficiency.information_statement(r.tables["efficiency"])
    head = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items[:len(model)])
    return ("<dl>" + head + truths
            + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items[len(model):])
            + f'<dt>Fisher information</dt><dd data-fact="information">{esc(info)}</dd></dl>')


SECTION = Section("definition", "The study", body=definition)
