"""The multi-turn agent loop and its verdict.

`Dialogue` plays a case's conversation one answer at a time (`converse`: from all the model's
answers so far at once), as BFCL's inference loop (`BaseHandler.inference_multi_turn_FC` /
`_prompting`) runs it: each turn's user messages (a miss_func turn offers the held-out functions
and says so), the model's answer, its calls run against the simulated APIs, the results back as
tool messages (fc) or one user message listing them (prompt), until an answer makes no call (the
turn ends) or 20 steps (force-terminated). It keeps the conversation and, while the case is not
finished, the messages and tools of the next request. `verdict` applies bfcl-eval's
multi_turn_checker."""
from __future__ import annotations

import copy
import inspect
import json
from typing import Callable, Iterator

from benchgate.agent import fc_mode, prompt_mode
from benchgate.agent.multi_turn import (MAX_STEPS, MORE_FUNCTIONS_FC, Conversation, World, call_text,
                                        parse_call_text)
from benchgate.agent.prompt_mode import DecodeError
from benchgate.models.base import tool_calls_text


def _calls(answer: str, mode: str) -> list[dict]:
    """The answer's calls [{name: args}], [] when it makes none or cannot be decoded (BFCL
    ends the turn on both)."""
    try:
        decoded = fc_mode.decode(answer) if mode == "fc" else prompt_mode.decode(answer)
    except DecodeError:
        return []
    if not isinstance(decoded, list) or not decoded or decoded == [{}]:
        return []
    return [c for c in decoded if isinstance(c, dict) and len(c) == 1 and isinstance(next(iter(c.values())), dict)]


def _assistant(answer: str, mode: str, turn: int, step: int) -> tuple[dict, list[str]]:
    """The answer as a history message, and the ids of its tool calls (fc)."""
    if mode == "fc" and answer.lstrip().startswith("{") and '"tool_calls"' in answer:
        try:
            wire = json.loads(answer)
        except ValueError:
            wire = None
        if isinstance(wire, dict) and isinstance(wire.get("tool_calls"), list):
            ids = [f"call_{turn}_{step}_{i}" for i in range(len(wire["tool_calls"]))]
            return {"role": "assistant", "content": wire.get("content"), "tool_calls": [
                {"id": i, "type": "function", "function": {"name": c.get("name"), "arguments": c.get("arguments")}}
                for i, c in zip(ids, wire["tool_calls"])]}, ids
    return {"role": "assistant", "content": answer}, [f"call_{turn}_{step}_{i}" for i in range(64)]


class Dialogue:
    """A case's conversation advanced one answer at a time (`answer`), as BFCL's inference loop
    runs it: the engine asks for each step's request after every round, and a replay of all the
    answers so far at every step (`converse`) would cost the square of the conversation's
    length. `next` is the next request as (messages, offered docs), None when finished; with
    `states`, the APIs' state after each turn is kept for the verdict."""

    def __init__(self, case: dict, docs: list[dict], held: dict[int, list[dict]], mode: str,
                 system_prompt: Callable[[list[dict]], str], hinted: Callable[[list[dict]], list[dict]],
                 states: bool = True):
        self.conv = Conversation(messages=[], tools=list(docs))
        self.answers: list[str] = []
        self._steps = _play(self.conv, case, docs, held, mode, system_prompt, hinted, states)
        self.next: tuple[list[dict], list[dict]] | None = next(self._steps, None)

    def answer(self, text: str) -> None:
        """Play the model's next answer: its calls run, and `next` becomes the request after it."""
        if self.next is None:
            raise ValueError("the conversation is finished: no answer is asked for")
        self.answers.append(text)
        try:
            self.next = self._steps.send(text)
        except StopIteration:
            self.next = None


def converse(case: dict, docs: list[dict], held: dict[int, list[dict]], answers: list[str], mode: str,
             system_prompt: Callable[[list[dict]], str], hinted: Callable[[list[dict]], list[dict]],
             states: bool = True):
    """(Conversation, next request as (messages, offered docs) or None when finished), replayed
    from all the answers so far (answers past the end are not used)."""
    dialogue = Dialogue(case, docs, held, mode, system_prompt, hinted, states)
    for answer in answers:
        if dialogue.next is None:
            break
        dialogue.answer(answer)
    return dialogue.conv, dialogue.next


def _play(conv: Conversation, case: dict, docs: list[dict], held: dict[int, list[dict]], mode: str,
          system_prompt: Callable[[list[dict]], str], hinted: Callable[[list[dict]], list[dict]],
          states: bool) -> Iterator[tuple[list[dict], list[dict]]]:
    """The loop of `Dialogue`: yields each request and is sent the answer to it."""
    world = World(case, "long_context" in case["id"])
    offered = conv.tools
    for turn, turn_messages in enumerate(case["question"]):
        turn_messages = [dict(m) for m in turn_messages]
        if turn in held:
            offered = conv.tools = offered + held[turn]
            text = MORE_FUNCTIONS_FC if mode == "fc" else f"{held[turn]}\n{MORE_FUNCTIONS_FC}"
            turn_messages = [{"role": "user", "content": text}]
        if turn == 0 and mode == "prompt":
            system = system_prompt(hinted(offered))
            if turn_messages and turn_messages[0]["role"] == "system":
                turn_messages[0]["content"] = system + "\n\n" + turn_messages[0]["content"]
            else:
                turn_messages.insert(0, {"role": "system", "content": system})
        conv.messages += turn_messages
        conv.turn, conv.steps = turn, 0
        conv.calls.append([])
        conv.results.append([])
        while True:
            answer = yield conv.messages, offered
            message, ids = _assistant(answer, mode, turn, conv.steps)
            conv.messages.append(message)
            calls = _calls(answer, mode)
            if not calls:
                break
            texts, results = [], []
            for call in calls:
                name, args = next(iter(call.items()))
                texts.append(call_text(name, args))
                results.append(world.call(name, (), args))
            conv.calls[-1].append(texts)
            conv.results[-1] += results
            if mode == "fc":
                conv.messages += [{"role": "tool", "content": r, "tool_call_id": i} for r, i in zip(results, ids)]
            else:
                conv.messages.append({"role": "user", "content": repr(
                    [{"role": "tool", "name": t, "content": r} for t, r in zip(texts, results)])})
            conv.steps += 1
            if conv.steps > MAX_STEPS:
                conv.force_quit = conv.finished = True
                if states:
                    conv.states.append(copy.deepcopy(world.state()))
                return
        if states:
            conv.states.append(copy.deepcopy(world.state()))
    conv.finished = True


def ground_truth_states(case: dict, truth: list[list[str]]) -> tuple[list[dict], list[list[str]]]:
    """Per turn, the APIs' state after the ground-truth calls and those calls' results."""
    world = World(case, "long_context" in case["id"])
    states, results = [], []
    for turn_calls in truth:
        turn_results = []
        for text in turn_calls:
            name, args, kwargs = parse_call_text(text)
            turn_results.append(world.call(name, args, kwargs))
        states.append(copy.deepcopy(world.state()))
        results.append(turn_results)
    return states, results


def verdict(conv: Conversation, truth: list[list[str]], truth_states: list[dict],
            truth_results: list[list[str]]) -> tuple[bool, str | None, str | None]:
    """bfcl-eval's multi_turn_checker on a finished conversation: (valid, error_type, message)."""
    states = conv.states
    if conv.force_quit or len(conv.calls) != len(truth) or len(states) != len(truth):
        return False, "multi_turn:force_terminated", (
            f"the model was force-terminated ({MAX_STEPS} steps in one turn) after {len(conv.calls)} of "
            f"{len(truth)} turns")
    so_far: list[str] = []
    for turn, expected in enumerate(truth):
        so_far += conv.results[turn]
        if not expected:
            continue
        if not conv.calls[turn]:
            return False, "multi_turn:empty_turn_model_response", f"Model response list is empty for turn {turn}"
        for name, want in truth_states[turn].items():
            if states[turn].get(name) != want:
                diff = sorted(k for k in want if states[turn].get(name, {}).get(k) != want[k])
                return False, "multi_turn:instance_state_mismatch", (
                    f"Model instance for {name} does not match the state with ground truth instance (turn {turn}: "
                    f"{', '.join(diff)})")
        remaining = list(so_far)
        missing = []
        for item in truth_results[turn]:
            if item in remaining:
                remaining.remove(item)
            else:
                missing.append(item)
        if missing:
            return False, "multi_turn:execution_response_mismatch", (
                f"Model response execution results so far does not contain all the ground truth response "
                f"execution results for turn {turn} (missing {len(missing)})")
    return True, None, None


def oracle_answers(case: dict, truth: list[list[str]], mode: str, docs: list[dict],
                   held: dict[int, list[dict]]) -> list[str]:
    """The ground-truth calls as answers: per turn one answer with all its calls (keyword
    arguments, named from the methods' signatures), then an answer without calls."""
    world = World(case, "long_context" in case["id"])
    answers = []
    for turn_calls in truth:
        calls = []
        for text in turn_calls:
            name, args, kwargs = parse_call_text(text)
            bound = inspect.signature(world.methods[name]).bind(*args, **kwargs) if name in world.methods else None
            calls.append((name, dict(bound.arguments) if bound else kwargs))
        if calls:
            if mode == "fc":
                answers.append(tool_calls_text(None, [{"name": n, "arguments": json.dumps(a)} for n, a in calls]))
            else:
                answers.append("[" + ", ".join(f"{n}(" + ", ".join(f"{k}={v!r}" for k, v in a.items()) + ")"
                                               for n, a in calls) + "]")
        answers.append("Done.")
    return answers
