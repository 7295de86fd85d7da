"""The study box: what the study is (family, truths, sizes, estimators)."""

from __future__ import annotations

from ...core.labels import params_label
from ...diagnostics import efficiency
from .. import targets
from ..format import rate
from ..html import esc
from .section import Section

ORDER = 10



def definition(r) -> str:
    s = r.study
    grid = params_label(s.params)
    theory = sorted(r.tables["consistency"]["theory_slope"].dropna().unique())
    rates = ", ".join(rate(t) for t in theory) or "–"
    items = [("family", f"{s.family.name}: {s.family.doc}"), ("true values", grid),
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
    return ("<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
            + f'<dt>Fisher information</dt><dd data-fact="information">{esc(info)}</dd></dl>')


SECTION = Section("definition", "The study", body=definition)
