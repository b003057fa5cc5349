"""The shape of benchgate's imports, measured from the code (docs/architecture.md).

    python benchmarks/import_graph.py                 # this checkout
    python benchmarks/import_graph.py --root DIR      # another tree (DIR holds benchgate/)

Builds the import graph with grimp (what import-linter uses), which counts every import
statement: those at the top of a module, those inside functions (lazy imports) and those
under `if TYPE_CHECKING:`. Prints the top-level rooms of `benchgate/`, the module count,
the import circles (groups of modules that import each other, directly or through others)
and the upward imports: imports from a room into a room of a higher layer, the layers being
those of the layers contract in pyproject.toml ([tool.importlinter], bottom layer last).
"""
from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import grimp

PACKAGE = "benchgate"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def layer_of_room(pyproject: Path = PYPROJECT) -> dict[str, int]:
    """{room: layer number} from the layers contract over `benchgate` (0 = the bottom)."""
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"]
                    if c["type"] == "layers" and c.get("containers") == [PACKAGE])
    layers = list(reversed(contract["layers"]))
    return {room.strip(): n for n, layer in enumerate(layers)
            for room in layer.replace(":", "|").split("|")}


def room(module: str) -> str:
    """The top-level room of a module ('' for the package's own __init__)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module (Tarjan)."""
    adjacency = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in adjacency[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(adjacency)))
    for module in sorted(adjacency):
        if module not in index:
            visit(module)
    return sorted(found)


def upward_imports(graph: grimp.ImportGraph, layers: dict[str, int]) -> list[tuple[str, str, int, str]]:
    """(importer, imported, line, statement) for each import into a higher layer."""
    up = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            a, b = room(importer), room(imported)
            if a and b and a in layers and b in layers and layers[a] < layers[b]:
                for d in graph.get_import_details(importer=importer, imported=imported):
                    up.append((importer, imported, d["line_number"], d["line_contents"]))
    return up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="the folder that holds benchgate/ (default: this checkout)")
    args = parser.parse_args(argv)
    if args.root:
        sys.path.insert(0, str(args.root.resolve()))
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    layers = layer_of_room()
    rooms = sorted({room(m) for m in graph.modules} - {""})
    unplaced = [r for r in rooms if r not in layers]
    found = circles(graph)
    up = upward_imports(graph, layers)
    print(f"rooms: {len(rooms)}  modules: {len(graph.modules)}  circles: {len(found)} "
          f"(modules in them: {sum(map(len, found))})  upward imports: {len(up)} "
          f"(module pairs: {len({(a, b) for a, b, _, _ in up})})")
    for group in found:
        print(f"circle of {len(group)}: " + ", ".join(group))
    for importer, imported, line, text in up:
        print(f"upward: {importer}:{line} -> {imported}  ({text})")
    if unplaced:
        print(f"rooms in no layer of pyproject.toml: {', '.join(unplaced)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
