"""Every docstring example of the installed package runs (doctest), module by module.

Run against the imported package rather than the source files, so that the same test works
for an editable install and for a plain ``pip install .``.
"""

import doctest
import importlib
import pkgutil

import pytest

import corridor_sim

MODULES = sorted(m.name for m in pkgutil.walk_packages(corridor_sim.__path__, "corridor_sim."))


def test_the_package_has_docstring_examples():
    found = sum(len(doctest.DocTestFinder().find(importlib.import_module(name)))
                for name in ["corridor_sim", *MODULES])
    assert found > 20


@pytest.mark.parametrize("name", ["corridor_sim", *MODULES])
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
