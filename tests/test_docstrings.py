"""Every public class, function and method has a complete numpydoc docstring.

Public means the names of ``sklearn_linkembed.__all__`` plus the public methods
that ``LinkEmbedder``, ``NegativeSampler`` and ``KeyedVectors`` define
themselves (inherited scikit-learn methods are documented by scikit-learn).
Each needs Parameters (when it takes arguments), Returns or Yields (when it
returns a value; Attributes for a class), See Also and Examples; the examples
themselves run as doctests (``--doctest-modules``). A small parser reads the
sections, so the test runs without numpydoc.
"""

import ast
import inspect
import re

import pytest

import sklearn_linkembed
from sklearn_linkembed import KeyedVectors, LinkEmbedder, NegativeSampler

CLASSES_WITH_METHODS = [LinkEmbedder, NegativeSampler, KeyedVectors]
_ENTRY = re.compile(r"^(?P<names>[^\s].*?)(?:\s+:(?:\s+.*)?)?$")


def _public_methods(cls):
    methods = []
    for name, member in vars(cls).items():
        if name.startswith("_") or isinstance(member, property):
            continue
        if isinstance(member, (classmethod, staticmethod)):
            member = member.__func__
        if callable(member):
            methods.append((f"{cls.__name__}.{name}", member))
    return methods


PUBLIC = [(name, getattr(sklearn_linkembed, name)) for name in sorted(sklearn_linkembed.__all__)]
for _cls in CLASSES_WITH_METHODS:
    PUBLIC += _public_methods(_cls)
IDS = [name for name, _ in PUBLIC]


def sections(doc):
    """``{title: body lines}`` of a numpydoc docstring (a title underlined by dashes)."""
    lines = inspect.cleandoc(doc).splitlines()
    found, title = {"Summary": []}, "Summary"
    i = 0
    while i < len(lines):
        line, rule = lines[i], lines[i + 1].strip() if i + 1 < len(lines) else ""
        if (line and not line[0].isspace() and rule and set(rule) == {"-"}
                and len(rule) == len(line.strip())):
            title = line.strip()
            found[title] = []
            i += 2
            continue
        found[title].append(line)
        i += 1
    return found


def entry_names(body):
    """Names documented in a Parameters-like section (``a, b : type`` documents both)."""
    names = []
    for line in body:
        if not line.strip() or line[0].isspace():
            continue
        match = _ENTRY.match(line)
        names += [name.strip().lstrip("*") for name in match["names"].split(",")]
    return names


def entries_without_description(body):
    """Entries of a Returns-like section not followed by an indented description."""
    lines = [line for line in body if line.strip()]
    return [line for line, after in zip(lines, lines[1:] + [""])
            if not line[0].isspace() and not after[:1].isspace()]


def signature_parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return []
    names = list(parameters)
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return names


def function_node(obj):
    source = inspect.getsource(inspect.unwrap(obj))
    if source[:1].isspace():
        # A method: keep its indentation (textwrap.dedent would stumble on string
        # lines continued at column 0) under a block that accepts it.
        return ast.parse("if True:\n" + source).body[0].body[0]
    return ast.parse(source).body[0]


def _own_nodes(node):
    """The nodes of a function's body, not those of functions or classes nested in it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                              ast.Lambda)):
            continue
        yield child
        yield from _own_nodes(child)


def returns_and_yields(obj):
    """Whether the function's own body returns a value, and whether it yields."""
    nodes = list(_own_nodes(function_node(obj)))
    returns = any(isinstance(n, ast.Return) and n.value is not None
                  and not (isinstance(n.value, ast.Constant) and n.value.value is None)
                  for n in nodes)
    yields = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes)
    return returns, yields


@pytest.fixture(params=PUBLIC, ids=IDS)
def documented(request):
    name, obj = request.param
    doc = obj.__doc__  # not inspect.getdoc, which would inherit a missing one
    assert doc and doc.strip(), f"{name} has no docstring"
    return name, obj, sections(doc)


def test_parser_reads_numpydoc_sections():
    doc = """Summary.

    Parameters
    ----------
    a, b : int
        Two numbers.
    c
        No type.

    Returns
    -------
    total : int
        The sum.
    """
    found = sections(doc)
    assert list(found) == ["Summary", "Parameters", "Returns"]
    assert entry_names(found["Parameters"]) == ["a", "b", "c"]
    assert entries_without_description(found["Returns"]) == []
    assert entries_without_description(["total : int"]) == ["total : int"]


def test_every_class_has_public_methods_to_check():
    for cls in CLASSES_WITH_METHODS:
        assert _public_methods(cls), cls


def test_summary_line(documented):
    name, _, found = documented
    summary = [line for line in found["Summary"] if line.strip()]
    assert summary, f"{name}: no summary line"


def test_parameters_section_documents_the_signature(documented):
    name, obj, found = documented
    expected = signature_parameters(obj)
    if not expected:
        return
    assert "Parameters" in found, f"{name}: no Parameters section"
    documented_names = entry_names(found["Parameters"])
    missing = [p for p in expected if p not in documented_names]
    unknown = [p for p in documented_names if p not in expected]
    assert not missing, f"{name}: parameters not documented: {missing}"
    assert not unknown, f"{name}: documented but not parameters: {unknown}"


def test_returns_yields_or_attributes_section(documented):
    name, obj, found = documented
    if inspect.isclass(obj):
        assert "Attributes" in found, f"{name}: no Attributes section"
        return
    returns, yields = returns_and_yields(obj)
    if returns:
        assert "Returns" in found, f"{name}: returns a value but has no Returns section"
        assert not entries_without_description(found["Returns"]), (
            f"{name}: Returns entries without a description: "
            f"{entries_without_description(found['Returns'])}")
    if yields:
        assert "Yields" in found, f"{name}: yields but has no Yields section"


def test_see_also_section(documented):
    name, _, found = documented
    assert "See Also" in found, f"{name}: no See Also section"
    assert entry_names(found["See Also"]), f"{name}: empty See Also section"


def test_examples_section_is_a_doctest(documented):
    name, _, found = documented
    assert "Examples" in found, f"{name}: no Examples section"
    assert any(line.lstrip().startswith(">>> ") for line in found["Examples"]), (
        f"{name}: the Examples section has no doctest")
