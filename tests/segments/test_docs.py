"""Every lifecycle, value and matrix option is documented, with its default."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from cvm.config import LifecycleOptions, MatrixOptions, ValueOptions

DOC = Path(__file__).resolve().parents[2] / "docs" / "lifecycle-value-matrix.md"


@pytest.mark.parametrize("prefix, options", [("lifecycle", LifecycleOptions),
                                             ("value", ValueOptions), ("matrix", MatrixOptions)])
def test_every_option_is_in_the_docs_table(prefix, options):
    text = DOC.read_text(encoding="utf-8")
    for f in fields(options):
        assert f"| `{prefix}.{f.name}` |" in text, f"{prefix}.{f.name} is not documented"
        assert f"``{f.name}``" in (options.__doc__ or ""), f"{f.name} not in the docstring"
