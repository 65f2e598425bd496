"""Customer satisfaction commands: ``cvm satisfaction pls`` (the structural model).

Other satisfaction commands register on the same group: ``from .satisfaction import
satisfaction`` and ``@satisfaction.command(...)``.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, main, note, output, warn


#: the printed table's words, English and Simplified Chinese
_WORDS = {
    "en": {"title": "PLS path coefficients ({scheme} scheme, {n:,} respondents)",
           "path": "path", "centroid": "centroid", "factorial": "factorial",
           "from": "from", "to": "to", "coefficient": "coefficient",
           "std_error": "standard error", "interval": "95% interval"},
    "zh": {"title": "PLS 路径系数（{scheme}加权，{n:,} 名受访者）",
           "path": "路径", "centroid": "重心", "factorial": "因子",
           "from": "自", "to": "至", "coefficient": "路径系数",
           "std_error": "标准误", "interval": "95% 置信区间"},
}


@main.group("satisfaction")
def satisfaction() -> None:
    """Customer satisfaction surveys: indices and the structural (PLS path) model."""


@satisfaction.command("pls")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model", default="ecsi", show_default=True,
              help="Structural model: a template name (ecsi) or a TOML model file.")
@click.option("--scheme", type=click.Choice(["path", "centroid", "factorial"]), default="path",
              show_default=True, help="Inner weighting scheme.")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=0), default=0,
              show_default=True,
              help="Bootstrap resamples for standard errors and percentile intervals.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--out", default="cvm-pls", show_default=True,
              help="Folder for the result tables (CSV).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the printed table (the CSV files keep the model's names).")
@friendly_errors
def pls(file, model, scheme, n_bootstrap, seed, out, lang):
    """Estimate a structural satisfaction model (ECSI/ACSI) on survey answers FILE (CSV, one
    row per respondent, a column per indicator) by PLS path modelling.

    Writes OUT/path_coefficients.csv (from, to, coefficient), OUT/outer_weights.csv
    (construct, indicator, weight), OUT/loadings.csv, OUT/total_effects.csv (from, to,
    effect), OUT/quality.csv (R², Cronbach's α, ρ_C, ρ_A, AVE per construct) and OUT/htmt.csv;
    with --bootstrap N, the path and total-effect tables get std_error, ci_lower and ci_upper
    (95 % percentile intervals) and OUT/bootstrap.csv holds every estimate's.
    """
    import pandas as pd

    from ..ingest.readers import SourceError
    from ..satisfaction.pls import PLSPathModel

    data = None
    for encoding in ("utf-8-sig", "gb18030"):  # UTF-8 (with or without BOM), else Chinese GBK
        try:
            data = pd.read_csv(file, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SourceError(f"{file} cannot be read as CSV: {exc}") from None
    if data is None:
        raise SourceError(f"{file} is neither UTF-8 nor GBK text; save it as UTF-8 CSV")
    fitted = PLSPathModel(model, scheme=scheme, n_bootstrap=n_bootstrap,
                          random_state=seed).fit(data)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = fitted.path_coefficients_
    totals = fitted.total_effects_
    if n_bootstrap:
        boot = fitted.bootstrap_
        extra = ["std_error", "ci_lower", "ci_upper"]
        paths = paths.merge(boot[boot.kind == "path"][["from", "to", *extra]],
                            on=["from", "to"], how="left")
        totals = totals.merge(boot[boot.kind == "total_effect"][["from", "to", *extra]],
                              on=["from", "to"], how="left")
        boot.to_csv(folder / "bootstrap.csv", index=False, float_format="%.10g")
    paths.to_csv(folder / "path_coefficients.csv", index=False, float_format="%.10g")
    fitted.outer_weights_.to_csv(folder / "outer_weights.csv", index=False,
                                 float_format="%.10g")
    fitted.loadings_.to_csv(folder / "loadings.csv", index=False, float_format="%.10g")
    totals.to_csv(folder / "total_effects.csv", index=False, float_format="%.10g")
    fitted.quality_.to_csv(folder / "quality.csv", index=False, float_format="%.10g")
    fitted.htmt_.to_csv(folder / "htmt.csv", index_label="construct", float_format="%.10g")

    from ..satisfaction.pls_model import construct_label

    words = _WORDS[lang]
    table = Table(title=words["title"].format(scheme=words[scheme], n=fitted.n_observations_))
    heads = [words["from"], words["to"], words["coefficient"]]
    if n_bootstrap:
        heads += [words["std_error"], words["interval"]]
    for i, head in enumerate(heads):
        table.add_column(head, justify="left" if i < 2 else "right")
    for r in paths.itertuples(index=False):
        cells = [construct_label(r[0], lang), construct_label(r[1], lang), f"{r[2]:.3f}"]
        if n_bootstrap:
            cells += [f"{r.std_error:.3f}", f"[{r.ci_lower:.3f}, {r.ci_upper:.3f}]"]
        table.add_row(*cells)
    output.print(table)
    r2 = ", ".join(f"{construct_label(k, lang)} {v:.3f}" for k, v in fitted.r_squared_.items())
    output.print(f"R²: {r2}")
    if not fitted.converged_:
        warn(f"the PLS iteration stopped after {fitted.n_iter_} steps without converging")
    note(f"Results in {folder}/ (path_coefficients.csv, outer_weights.csv, total_effects.csv, "
         "quality.csv …)")
