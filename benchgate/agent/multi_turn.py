"""BFCL multi-turn: a conversation with a model over BFCL's simulated APIs (file system,
trading, travel, messaging, tickets, vehicle, math: the classes of bfcl-eval's
`eval_checker.multi_turn_eval.func_source_code`, imported from an installed bfcl-eval), and the
per-turn state and response checks of bfcl-eval's multi_turn_checker.

The conversation is rebuilt from the answers alone (`replay_answers`): each answer's calls run
against fresh instances loaded with the case's initial_config, so the next request, and the
verdict, follow from the answers without hidden state (cache and replay work unchanged).
Calls run as method calls with the decoded arguments (BFCL evaluates the call text with eval);
a call the APIs reject is the error text `Error during execution: ...`, shown to the model as
BFCL does."""
from __future__ import annotations

import ast
import copy
import importlib
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTALL = "pip install --no-deps bfcl-eval==2026.3.23 mpmath"
PREFIX = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
CLASSES = {"GorillaFileSystem": "gorilla_file_system", "MathAPI": "math_api", "MessageAPI": "message_api",
           "TwitterAPI": "posting_api", "TicketAPI": "ticket_api", "TradingBot": "trading_bot",
           "TravelAPI": "travel_booking", "VehicleControlAPI": "vehicle_control"}
DOC_FILES = {"GorillaFileSystem": "gorilla_file_system.json", "MathAPI": "math_api.json",
             "MessageAPI": "message_api.json", "TwitterAPI": "posting_api.json", "TicketAPI": "ticket_api.json",
             "TradingBot": "trading_bot.json", "TravelAPI": "travel_booking.json",
             "VehicleControlAPI": "vehicle_control.json"}
STATELESS = ("MathAPI",)
MAX_STEPS = 20  # BFCL's MAXIMUM_STEP_LIMIT: more steps in one turn force-terminate the case
MORE_FUNCTIONS_FC = "I have updated some more functions you can choose from. What about now?"
BLOCKED = ("kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run")


def missing_reason() -> str | None:
    """Why the simulated APIs cannot be used (bfcl-eval not installed), else None."""
    try:
        for module in CLASSES.values():
            importlib.import_module(f"{PREFIX}.{module}")
    except ImportError as e:
        return (f"multi-turn needs BFCL's simulated APIs from the bfcl-eval package ({e}); install them "
                f"with `{INSTALL}`")
    return None


def function_docs(folder: Path, case: dict) -> tuple[list[dict], dict[int, list[dict]]]:
    """(the docs offered from the start, {turn: docs held out until that turn}) as BFCL's
    populate_test_cases_with_predefined_functions builds them."""
    docs: list[dict] = []
    for name in case["involved_classes"]:
        with open(folder / "multi_turn_func_doc" / DOC_FILES[name], encoding="utf-8") as f:
            docs += [json.loads(line) for line in f if line.strip()]
    held: dict[int, list[dict]] = {}
    for turn, names in case.get("missed_function", {}).items():
        held[int(turn)] = []
        for name in names:
            for i, doc in enumerate(docs):
                if doc["name"] == name:
                    held[int(turn)].append(docs.pop(i))
                    break
    return docs, held


class World:
    """Fresh instances of a case's API classes, loaded with its initial_config."""

    def __init__(self, case: dict, long_context: bool):
        self.instances: dict[str, Any] = {}
        self.methods: dict[str, Any] = {}
        for name in case["involved_classes"]:
            cls = getattr(importlib.import_module(f"{PREFIX}.{CLASSES[name]}"), name)
            instance = cls()
            if name not in STATELESS:
                instance._load_scenario(copy.deepcopy(case.get("initial_config", {}).get(name, {})),
                                        long_context=long_context)
            self.instances[name] = instance
            for method_name, method in inspect.getmembers(instance, predicate=inspect.ismethod):
                if not method_name.startswith("_"):
                    self.methods[method_name] = method

    def call(self, name: str, args: tuple, kwargs: dict) -> str:
        """One call's result as the text the model sees (BFCL: str, JSON for dicts, or the error)."""
        try:
            if name.split(".")[-1] in BLOCKED:
                raise Exception(f"Function call {name} is not allowed.")
            if name not in self.methods:
                raise NameError(f"name '{name}' is not defined")
            result = self.methods[name](*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - the APIs' own errors are shown to the model, as BFCL does
            return f"Error during execution: {e}"
        if isinstance(result, str):
            return result
        if isinstance(result, dict):
            try:
                return json.dumps(result)
            except (TypeError, ValueError):
                return str(result)
        return str(result)

    def state(self) -> dict[str, dict]:
        """Every instance's public attributes (what BFCL's state check compares)."""
        return {name: {k: v for k, v in vars(obj).items() if not k.startswith("_")}
                for name, obj in self.instances.items()}


def parse_call_text(text: str) -> tuple[str, tuple, dict]:
    """A ground-truth call `name(arg, key=value)` with literal arguments."""
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Call):
        raise ValueError(f"not a call: {text!r}")
    name = ast.unparse(node.func)
    return name, tuple(ast.literal_eval(a) for a in node.args), {k.arg: ast.literal_eval(k.value) for k in node.keywords}


def call_text(name: str, args: dict) -> str:
    """A call as BFCL's execution list writes it: name(k=repr(v),...)."""
    return f"{name}({','.join(f'{k}={v!r}' for k, v in args.items())})"


@dataclass
class Conversation:
    """The conversation rebuilt from the answers so far."""

    messages: list[dict]
    tools: list[dict]  # function docs offered now
    turn: int = 0  # the turn the next answer belongs to
    steps: int = 0  # answers in this turn so far
    calls: list[list[list[str]]] = field(default_factory=list)  # per turn, per step: executed call texts
    results: list[list[str]] = field(default_factory=list)  # per turn: all results, in order
    states: list[dict] = field(default_factory=list)  # per finished turn: the APIs' state after it
    finished: bool = False
    force_quit: bool = False


def is_multi_turn_case(case: dict) -> bool:
    return "involved_classes" in case and "initial_config" in case
