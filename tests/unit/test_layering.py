"""The house rules: every module lives in a room, and imports point one way.

    edges (http, channels, analytics, cli, the composition root)
      -> roles (extraction, quoting, ordering, providers)
        -> libraries (selection, privacy, baskets, registry, concepts, outbound)
          -> streams/ (the runtime)
            -> schemas/ (the contracts)

- A room imports only rooms below it (an edge may also use another edge, a library another library).
- A role never imports another role (their tables least of all): the composition root hands over what
  one role needs of another.
- The reference providers use only the provider SDK (agents.providers.sdk) and the contracts, exactly as
  a third-party provider would.
- No cycles between rooms; `streams/` never names `agents.` at all, not even in a string.

Imports are read from the source (ast), at any depth, TYPE_CHECKING ones included; a string literal
that is a dotted module name (`importlib.import_module("agents.x")`, `-m agents.cli`) counts as an
import. The checker runs on a copy of the tree too, with deliberately wrong imports, to show it fails.
"""

from __future__ import annotations

import ast
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("schemas", "streams", "agents")
LIBRARIES = (
    "agents.selection", "agents.privacy", "agents.baskets", "agents.registry", "agents.concepts",
    "agents.outbound",
)  # fmt: skip
ROLES = ("agents.extraction", "agents.quoting", "agents.ordering", "agents.providers")
REFERENCE = "agents.reference"
SDK = "agents.providers.sdk"
EDGES = ("agents.http", "agents.channels", "agents.analytics", "agents.cli", "agents.composition")
LEVEL = {
    "schemas": 0,
    "streams": 1,
    **dict.fromkeys(LIBRARIES, 2),
    **dict.fromkeys(ROLES, 3),
    REFERENCE: 3,
    **dict.fromkeys(EDGES, 4),
}
KIND = {
    "schemas": "the contracts",
    "streams": "the runtime",
    **dict.fromkeys(LIBRARIES, "a library"),
    **dict.fromkeys(ROLES, "a role"),
    REFERENCE: "the reference providers",
    **dict.fromkeys(EDGES, "an edge"),
}
MODULE_NAME = re.compile(r"^(schemas|streams|agents)(\.[A-Za-z_]\w*)+$")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    line: int
    by_string: bool = False


def modules_of(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def room_of(module: str) -> str | None:
    """The room a module belongs to: schemas, streams, or agents.<package> (None for `agents` itself)."""
    parts = module.split(".")
    if parts[0] != "agents":
        return parts[0]
    return ".".join(parts[:2]) if len(parts) > 1 else None


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module `name` refers to: itself, or the module that defines it (`pkg.mod.Name` -> `pkg.mod`)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def add(name: str, line: int, by_string: bool = False) -> None:
        target = resolve(name, modules)
        if target is not None and target != module:
            found.append(Import(module, target, line, by_string))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base, node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.match(node.value):
            add(node.value, node.lineno, by_string=True)
    return found


def declares_tables(path: Path) -> bool:
    return "__tablename__" in path.read_text(encoding="utf-8")


def rule_broken(source_room: str, target_room: str, target: str, modules: dict[str, Path]) -> str | None:
    """Why an import from one room into another is not allowed, or None."""
    if source_room == REFERENCE:
        if target_room == "schemas" or target == SDK or target.startswith(SDK + "."):
            return None
        return "the reference providers may use only the provider SDK and the contracts"
    if source_room in ROLES and target_room in ROLES:
        if declares_tables(modules[target]):
            return f"a role imports another role's tables ({target})"
        return "a role imports another role: the composition root hands over what one needs of another"
    if target_room == REFERENCE and source_room != "agents.composition":
        return "only the composition root hosts the reference providers"
    if LEVEL[target_room] > LEVEL[source_room]:
        return f"{KIND[source_room]} imports {KIND[target_room]}, which sits above it"
    if LEVEL[target_room] == LEVEL[source_room] and source_room in ROLES:
        return "a role imports another role"
    return None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected rooms (Tarjan), each a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def violations(root: Path) -> list[str]:
    """Every broken house rule in the tree at `root`, as a sentence naming the file and line."""
    modules = modules_of(root)
    problems: list[str] = []
    room_edges: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        source_room = room_of(module)
        if source_room is None:
            continue
        if source_room not in LEVEL:
            problems.append(
                f"{module}: the room {source_room} is not in the house plan (tests/unit/test_layering.py)"
            )
            continue
        where = path.relative_to(root)
        if source_room == "streams" and "agents." in path.read_text(encoding="utf-8"):
            problems.append(f"{where}: streams/ names agents. (the runtime knows no role, not even by name)")
        for found in imports_of(module, path, modules):
            target_room = room_of(found.target)
            if target_room is None or target_room == source_room:
                continue
            room_edges[source_room].add(target_room)
            if target_room not in LEVEL:
                continue
            why = rule_broken(source_room, target_room, found.target, modules)
            if why:
                how = "names" if found.by_string else "imports"
                problems.append(f"{where}:{found.line}: {module} {how} {found.target}: {why}")
    for cycle in cycles(room_edges):
        problems.append(f"a cycle between rooms: {' <-> '.join(cycle)}")
    return problems


def test_the_house_rules_hold() -> None:
    assert violations(ROOT) == []


def test_every_room_is_a_package_that_exists() -> None:
    for room in LEVEL:
        assert (ROOT / room.replace(".", "/")).is_dir() or (
            ROOT / f"{room.replace('.', '/')}.py"
        ).is_file(), room


WRONG_IMPORTS = [
    ("schemas/values.py", "from streams.topics import Topic", "the contracts imports the runtime"),
    ("streams/app.py", 'ROLE = importlib.import_module("agents.quoting.agent")', "streams/ names agents."),
    ("streams/app.py", 'ROLE = importlib.import_module("agents.quoting.agent")', "app names agents.quoting"),
    ("agents/ordering/handlers.py", "from agents.quoting.tables import QuoteRound",
     "a role imports another role's tables (agents.quoting.tables)"),
    ("agents/ordering/handlers.py", "from agents.quoting.decisions import reselect",
     "a role imports another role"),
    ("agents/selection/optimise.py", "from agents.quoting import decisions", "a library imports a role"),
    ("agents/reference/shop.py", "from agents.registry.providers import ProviderRow",
     "the reference providers may use only the provider SDK and the contracts"),
    ("agents/reference/shop.py", "from streams.persistence import utcnow",
     "the reference providers may use only the provider SDK and the contracts"),
    ("agents/quoting/routing.py", "from agents.reference.catalog import catalog_of",
     "only the composition root hosts the reference providers"),
    ("agents/privacy/policy.py", "from agents.baskets.store import Basket",
     "a cycle between rooms: agents.baskets <-> agents.privacy"),
    ("agents/newroom/__init__.py", "", "the room agents.newroom is not in the house plan"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "line", "expected"), WRONG_IMPORTS)
def test_a_wrong_import_is_caught(tmp_path: Path, path: str, line: str, expected: str) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.json")
        )
    if path == "agents/privacy/policy.py":  # and the way back, for the cycle
        store = tmp_path / "agents/baskets/store.py"
        store.write_text(store.read_text() + "\nfrom agents.privacy import vault\n")
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((target.read_text() if target.exists() else "") + f"\nimport importlib\n{line}\n")
    found = violations(tmp_path)
    assert any(expected in problem for problem in found), found
