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
    # a study read from a file of estimates has no consistency or efficiency table
    cons, eff = r.tables["consistency"], r.tables["efficiency"]
    left_out = r.left_out
    theory = sorted(cons["theory_slope"].dropna().unique()) if "theory_slope" in cons else []
    rates = ", ".join(rate(t) for t in theory) or "–"
    seed = f" (seed {s.seed})" if s.seed is not None else ""
    # estimates read from a file may come without sample sizes (n 0) or factors
    sizes = ", ".join(map(str, s.sample_sizes)) if s.sample_sizes != [0] else "not given"
    fit = s.fit_model
    model = ([("family", f"{s.family.name}: {s.family.doc}")] if fit is None else
             [("data drawn from", f"{s.family.name}: {s.family.doc}"),
              ("model fitted", f"{fit.family.name}: {fit.family.doc}"),
              ("truths", misspec.truths_text(s))])
    truths = "" if fit is None else "".join(  # a fit_model's truths, per condition
        f"<dt></dt><dd>{esc(label)}: {html}</dd>"
        for label, html in misspec.truth_items(r.summary))
    items = [*model, ("true values" if fit is None else "data model's values", grid or "–"),
             ("sample sizes n", sizes),
             ("replications", f"{s.replications} per condition{seed}"
              if s.targets is None else targets.targets_text(s)),
             # a study with target MCSEs: per condition × n, the replications used
             *((("replications used" if i == 0 else ""), line) for i, line in
               enumerate(targets.per_condition(r.tables.get("precision")))),
             ("estimators", "; ".join(e.label for e in s.estimators)),
             ("estimands", ", ".join(s.estimands)), ("intervals", f"{s.level:.0%}"),
             *((("theoretical RMSE rate", rates),) if "consistency" not in left_out else ())]
    info = (f'<dt>Fisher information</dt><dd data-fact="information">'
            f"{esc(efficiency.information_statement(eff))}</dd>" if "efficiency" not in left_out
            else "")
    head = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items[:len(model)])
    return ("<dl>" + head + truths
            + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items[len(model):])
            + info + "</dl>")


SECTION = Section("definition", "The study", body=definition)
