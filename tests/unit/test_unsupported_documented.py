"""Every ``Unsupported`` (and ``NotModelled``) message in the model's source is listed in
docs/differences.md's "Every Unsupported" section: an ordinary program that reaches one finds
there what it is and why (issue 13 item 11).

Messages are read from the source with ``ast``: the string given to ``Unsupported(...)`` (an
f-string's replacement fields become ``…``; a name is the f-string assigned to it in the same
function), and the ``what`` of the socket-option rules ``unmodelled("what")`` and
``struct_of(size, "what")``, whose message is ``f"{what} is not modelled"``. The test tools'
own errors (``epollsim.tools``, ``epollsim.testing``) are not a program's and are left out.
"""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "epollsim"
DOC = ROOT / "docs" / "differences.md"
SECTION = "## Every `Unsupported`"
EXCLUDED = ("tools", "testing")
RULES_TEMPLATE = "… is not modelled"  # unmodelled/struct_of's own raise: their callers name each option


def render(node: ast.AST, names: dict[str, ast.AST]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = render(node.left, names), render(node.right, names)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Name) and node.id in names:
        return render(names[node.id], names)
    return None


def _outermost_functions(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    """Each node -> the outermost function around it (the module for module-level code)."""
    owner: dict[ast.AST, ast.AST] = {}

    def visit(node: ast.AST, current: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child if current is tree and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else current
            owner[child] = inner
            visit(child, inner)

    visit(tree, tree)
    return owner


def messages() -> dict[str, list[str]]:
    """message -> where it is raised (file:line)."""
    out: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] in EXCLUDED:
            continue
        tree = ast.parse(path.read_text())
        owner = _outermost_functions(tree)
        assigned: dict[ast.AST, dict[str, ast.AST]] = {}
        for n in ast.walk(tree):
            if not isinstance(n, ast.Call) or not isinstance(n.func, ast.Name) or not n.args:
                continue
            unit = owner[n]
            if unit not in assigned:
                body = unit.body if isinstance(unit, ast.Module) else [unit]
                assigned[unit] = {t.id: a.value for b in body for a in ast.walk(b) if isinstance(a, ast.Assign)
                                  for t in a.targets if isinstance(t, ast.Name)}
            where = f"{path.relative_to(ROOT)}:{n.lineno}"
            if n.func.id in ("Unsupported", "NotModelled"):
                message = render(n.args[0], assigned[unit])
            elif n.func.id == "unmodelled" and isinstance(n.args[0], ast.Constant):
                message = f"{n.args[0].value} is not modelled"
            elif n.func.id == "struct_of" and len(n.args) > 1 and isinstance(n.args[1], ast.Constant):
                message = f"{n.args[1].value} is not modelled"
            else:
                continue
            assert message is not None, f"{where}: a message this test cannot read; name it in a literal"
            if message == RULES_TEMPLATE:
                continue
            if where not in out.setdefault(message, []):
                out[message].append(where)
    return out


def test_every_unsupported_message_is_in_docs_differences() -> None:
    text = DOC.read_text()
    assert SECTION in text
    section = text[text.index(SECTION):]
    found = messages()
    assert len(found) > 40  # the scan works
    missing = {m: w for m, w in found.items() if f"`{m}`" not in section}
    assert not missing, "\n".join(f"{m!r}  ({', '.join(w)})" for m, w in sorted(missing.items()))
