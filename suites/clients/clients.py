#!/usr/bin/env python3
"""Client compatibility suite: the official OpenAI, Anthropic and Google GenAI
Python SDKs against a running droidgate edge (with the fake backend behind it).

Run through suites/clients/run, which builds the venv and starts the stack;
this file only talks to an edge that is already up:

    clients.py --edge http://127.0.0.1:PORT --log LAUNCHER_OUTPUT

For each SDK surface it checks a plain call, a streamed call that must arrive
incrementally, a tool-call round trip, an injected 429 surfacing as the SDK's
typed exception, and an 8 MiB request. Prints a table per SDK and ends with
`clients: N passed, M failed`; exits 1 on any failure. A failing case prints
the HTTP exchanges the SDK made and the launcher's log lines (edged, backend)
written while it ran.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import traceback

MODEL_OPENAI = "gpt-5"
MODEL_CLAUDE = "claude-sonnet-4-6"
MODEL_GEMINI = "gemini-2.5-flash"

# What the fake backend answers (ReplyPlan.defaultText).
FAKE_TEXT = "Hello from the fake backend."
PROMPT = "Say hello."
TOOL_PROMPT = "What is the weather in Paris?"
TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "Current weather for a city."
TOOL_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
}
TOOL_RESULT = {"city": "Paris", "forecast": "sunny", "celsius": 21}

STREAM_EVENTS = 5
STREAM_DELAY_MS = 300
STREAM_HEADERS = {"x-fake-events": str(STREAM_EVENTS), "x-fake-event-delay-ms": str(STREAM_DELAY_MS)}
# The first event must arrive at least this long before the stream ends: with
# 300 ms between events the fake needs >= 1.2 s for 5 events, so a proxy that
# buffers the stream delivers everything at once and fails this.
STREAM_MIN_SPREAD_S = 0.8
# ...and the text deltas must themselves be spread out (not batched at the end).
STREAM_MIN_DELTA_GAP_S = 0.15

ERROR_HEADERS = {"x-fake-status": "429"}

LARGE_BYTES = 8 * 1024 * 1024
REQUEST_TIMEOUT_S = 60


class CaseFailure(AssertionError):
    pass


def check(cond, message):
    if not cond:
        raise CaseFailure(message)


def check_whole_body_seen(field, tokens):
    """The fake counts one token per 4 body bytes: fewer means the backend got part of the body."""
    check(tokens >= LARGE_BYTES // 4, f"{field} {tokens} < {LARGE_BYTES // 4}: the backend saw less than the body")


def large_text():
    unit = "The quick brown fox jumps over the lazy dog. 0123456789\n"
    text = unit * (LARGE_BYTES // len(unit) + 1)
    return text[:LARGE_BYTES]


# MARK: HTTP trace (what the SDK sent and got, for failure reports)

class Trace:
    def __init__(self):
        self.lines = []

    def reset(self):
        self.lines = []

    def on_request(self, request):
        fake = " ".join(f"{k}={v}" for k, v in request.headers.items() if k.lower().startswith("x-fake-"))
        length = request.headers.get("content-length", "?")
        self.lines.append(f"> {request.method} {request.url} content-length={length} {fake}".rstrip())

    def on_response(self, response):
        h = response.headers
        framing = f"content-length={h['content-length']}" if "content-length" in h else \
            f"transfer-encoding={h.get('transfer-encoding', '-')}"
        line = f"< {response.status_code} content-type={h.get('content-type', '-')} {framing}"
        if response.status_code >= 400:
            try:
                response.read()
                line += f" body={response.text[:1000]!r}"
            except Exception as e:  # noqa: BLE001 - diagnostics only
                line += f" (body unreadable: {e})"
        self.lines.append(line)

    def hooks(self):
        return {"request": [self.on_request], "response": [self.on_response]}


TRACE = Trace()


# MARK: launcher log (edged's lines during a case)

class LauncherLog:
    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.mark()
        self.run_start = self.offset

    def mark(self):
        try:
            self.offset = os.path.getsize(self.path)
        except OSError:
            self.offset = 0

    def since_mark(self, limit=60):
        return self.since(self.offset, limit)

    def since(self, offset, limit=60):
        try:
            with open(self.path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError as e:
            return [f"(cannot read {self.path}: {e})"]
        lines = data.decode("utf-8", "replace").splitlines()
        out = [ln if len(ln) <= 400 else ln[:400] + "…" for ln in lines]
        if len(out) > limit:
            out = out[:limit // 2] + [f"… {len(out) - limit} lines left out …"] + out[-limit // 2:]
        return out


# MARK: stream timing

class StreamClock:
    """Arrival times of a stream's events and of its text deltas."""

    def __init__(self):
        self.start = time.monotonic()
        self.events = []
        self.deltas = []
        self.end = None

    def event(self):
        self.events.append(time.monotonic())

    def delta(self, text):
        if text:
            self.deltas.append((time.monotonic(), text))

    def finish(self):
        self.end = time.monotonic()

    def verify(self, expected_text):
        check(self.events, "the stream produced no events")
        text = "".join(t for _, t in self.deltas)
        check(text == expected_text, f"streamed text {text!r}, expected {expected_text!r}")
        check(len(self.deltas) == STREAM_EVENTS,
              f"{len(self.deltas)} text deltas, expected {STREAM_EVENTS} (x-fake-events)")
        spread = self.end - self.events[0]
        check(spread >= STREAM_MIN_SPREAD_S,
              f"first event only {spread:.3f}s before the stream ended (want >= {STREAM_MIN_SPREAD_S}s): "
              f"the events were not relayed as they were produced; arrival offsets "
              f"{[round(t - self.start, 3) for t in self.events]}")
        gaps = [b[0] - a[0] for a, b in zip(self.deltas, self.deltas[1:])]
        spaced = sum(1 for g in gaps if g >= STREAM_MIN_DELTA_GAP_S)
        check(spaced >= len(gaps) - 1,
              f"text deltas arrived in bursts: gaps {[round(g, 3) for g in gaps]} s")
        return (f"{len(self.events)} events, first {self.events[0] - self.start:.2f}s, "
                f"first→end {spread:.2f}s")


# MARK: OpenAI

def openai_suite(edge):
    import openai
    from openai.types.chat import ChatCompletion
    from openai.types.responses import Response

    client = openai.OpenAI(
        api_key="sk-droidgate-clients-test", base_url=f"{edge}/v1", max_retries=0, timeout=REQUEST_TIMEOUT_S,
        http_client=openai.DefaultHttpxClient(event_hooks=TRACE.hooks()),
    )
    chat_tools = [{"type": "function", "function": {
        "name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA}}]
    resp_tools = [{"type": "function", "name": TOOL_NAME, "description": TOOL_DESCRIPTION,
                   "parameters": TOOL_SCHEMA, "strict": False}]

    # chat.completions

    def chat_plain():
        r = client.chat.completions.create(model=MODEL_OPENAI, messages=[{"role": "user", "content": PROMPT}])
        check(isinstance(r, ChatCompletion), f"got {type(r).__name__}, expected ChatCompletion")
        check(r.object == "chat.completion", f"object {r.object!r}")
        check(r.id.startswith("chatcmpl-"), f"id {r.id!r}")
        check(len(r.choices) == 1, f"{len(r.choices)} choices")
        c = r.choices[0]
        check(c.message.role == "assistant", f"role {c.message.role!r}")
        check(c.message.content == FAKE_TEXT, f"content {c.message.content!r}")
        check(c.finish_reason == "stop", f"finish_reason {c.finish_reason!r}")
        check(r.usage is not None and r.usage.total_tokens > 0, f"usage {r.usage!r}")
        return f"{c.message.content!r}"

    def chat_stream():
        clock = StreamClock()
        stream = client.chat.completions.create(
            model=MODEL_OPENAI, messages=[{"role": "user", "content": PROMPT}], stream=True,
            stream_options={"include_usage": True}, extra_headers=STREAM_HEADERS)
        finish = None
        usage = None
        for chunk in stream:
            clock.event()
            check(chunk.object == "chat.completion.chunk", f"chunk object {chunk.object!r}")
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                clock.delta(choice.delta.content)
                finish = choice.finish_reason or finish
        clock.finish()
        note = clock.verify(FAKE_TEXT)
        check(finish == "stop", f"finish_reason {finish!r}")
        check(usage is not None and usage.total_tokens > 0, f"no usage chunk (include_usage): {usage!r}")
        return note

    def chat_tools_round_trip():
        messages = [{"role": "user", "content": TOOL_PROMPT}]
        r1 = client.chat.completions.create(model=MODEL_OPENAI, messages=messages, tools=chat_tools)
        c1 = r1.choices[0]
        check(c1.finish_reason == "tool_calls", f"first finish_reason {c1.finish_reason!r}")
        calls = c1.message.tool_calls or []
        check(len(calls) == 1, f"{len(calls)} tool calls")
        call = calls[0]
        check(call.type == "function" and call.function.name == TOOL_NAME, f"tool call {call!r}")
        args = json.loads(call.function.arguments)
        check(isinstance(args, dict), f"arguments {call.function.arguments!r}")
        messages += [
            {"role": "assistant", "content": None, "tool_calls": [{
                "id": call.id, "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps(TOOL_RESULT)},
        ]
        r2 = client.chat.completions.create(model=MODEL_OPENAI, messages=messages, tools=chat_tools)
        c2 = r2.choices[0]
        check(c2.finish_reason == "stop", f"final finish_reason {c2.finish_reason!r}")
        check(not c2.message.tool_calls, f"final answer calls tools again: {c2.message.tool_calls!r}")
        check(c2.message.content == FAKE_TEXT, f"final content {c2.message.content!r}")
        return f"{call.function.name}({call.function.arguments}) → {c2.message.content!r}"

    def chat_error():
        try:
            client.chat.completions.create(model=MODEL_OPENAI, messages=[{"role": "user", "content": PROMPT}],
                                           extra_headers=ERROR_HEADERS)
        except openai.RateLimitError as e:
            check(e.status_code == 429, f"status {e.status_code}")
            body = e.body if isinstance(e.body, dict) else {}
            check(body.get("type") == "rate_limit_error" or body.get("code") == "rate_limit_exceeded",
                  f"error body {e.body!r}")
            return f"RateLimitError: {e.message[:60]}"
        raise CaseFailure("no exception: expected openai.RateLimitError")

    def chat_large():
        text = large_text()
        r = client.chat.completions.create(model=MODEL_OPENAI, messages=[{"role": "user", "content": text}])
        check(r.choices[0].message.content == FAKE_TEXT, f"content {r.choices[0].message.content!r}")
        # The fake counts a token per 4 request bytes: the whole body got through.
        check_whole_body_seen("prompt_tokens", r.usage.prompt_tokens)
        return f"prompt_tokens {r.usage.prompt_tokens}"

    # responses

    def responses_plain():
        r = client.responses.create(model=MODEL_OPENAI, input=PROMPT)
        check(isinstance(r, Response), f"got {type(r).__name__}, expected Response")
        check(r.object == "response" and r.status == "completed", f"object {r.object!r} status {r.status!r}")
        check(r.id.startswith("resp_"), f"id {r.id!r}")
        check(r.output and r.output[0].type == "message", f"output {r.output!r}")
        check(r.output_text == FAKE_TEXT, f"output_text {r.output_text!r}")
        check(r.usage is not None and r.usage.total_tokens > 0, f"usage {r.usage!r}")
        return f"{r.output_text!r}"

    def responses_stream():
        clock = StreamClock()
        stream = client.responses.create(model=MODEL_OPENAI, input=PROMPT, stream=True, extra_headers=STREAM_HEADERS)
        types = []
        final = None
        for event in stream:
            clock.event()
            types.append(event.type)
            if event.type == "response.output_text.delta":
                clock.delta(event.delta)
            elif event.type == "response.completed":
                final = event.response
        clock.finish()
        note = clock.verify(FAKE_TEXT)
        check(types[0] == "response.created", f"first event {types[0]!r}")
        check(final is not None and final.output_text == FAKE_TEXT,
              f"response.completed missing or wrong: {final!r}; events {types}")
        return note

    def responses_tools_round_trip():
        r1 = client.responses.create(model=MODEL_OPENAI, input=TOOL_PROMPT, tools=resp_tools)
        calls = [o for o in r1.output if o.type == "function_call"]
        check(len(calls) == 1, f"{len(calls)} function_call items in {r1.output!r}")
        call = calls[0]
        check(call.name == TOOL_NAME and call.call_id, f"function_call {call!r}")
        json.loads(call.arguments)
        r2 = client.responses.create(model=MODEL_OPENAI, tools=resp_tools, input=[
            {"type": "message", "role": "user", "content": TOOL_PROMPT},
            {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": json.dumps(TOOL_RESULT)},
        ])
        check(not [o for o in r2.output if o.type == "function_call"], f"final answer calls tools again: {r2.output!r}")
        check(r2.output_text == FAKE_TEXT, f"final output_text {r2.output_text!r}")
        return f"{call.name}({call.arguments}) → {r2.output_text!r}"

    def responses_error():
        try:
            client.responses.create(model=MODEL_OPENAI, input=PROMPT, extra_headers=ERROR_HEADERS)
        except openai.RateLimitError as e:
            check(e.status_code == 429, f"status {e.status_code}")
            return f"RateLimitError: {e.message[:60]}"
        raise CaseFailure("no exception: expected openai.RateLimitError")

    def responses_large():
        r = client.responses.create(model=MODEL_OPENAI, input=[{"role": "user", "content": large_text()}])
        check(r.output_text == FAKE_TEXT, f"output_text {r.output_text!r}")
        check_whole_body_seen("input_tokens", r.usage.input_tokens)
        return f"input_tokens {r.usage.input_tokens}"

    return f"openai {openai.__version__}", [
        ("chat.completions plain", chat_plain),
        ("chat.completions stream", chat_stream),
        ("chat.completions tool round trip", chat_tools_round_trip),
        ("chat.completions 429 → RateLimitError", chat_error),
        ("chat.completions 8 MiB request", chat_large),
        ("responses plain", responses_plain),
        ("responses stream", responses_stream),
        ("responses tool round trip", responses_tools_round_trip),
        ("responses 429 → RateLimitError", responses_error),
        ("responses 8 MiB request", responses_large),
    ]


# MARK: Anthropic

def anthropic_suite(edge):
    import anthropic
    from anthropic.types import Message

    client = anthropic.Anthropic(
        api_key="sk-ant-droidgate-clients-test", base_url=edge, max_retries=0, timeout=REQUEST_TIMEOUT_S,
        http_client=anthropic.DefaultHttpxClient(event_hooks=TRACE.hooks()),
    )
    tools = [{"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": TOOL_SCHEMA}]

    def plain():
        r = client.messages.create(model=MODEL_CLAUDE, max_tokens=256, messages=[{"role": "user", "content": PROMPT}])
        check(isinstance(r, Message), f"got {type(r).__name__}, expected Message")
        check(r.type == "message" and r.role == "assistant", f"type {r.type!r} role {r.role!r}")
        check(r.id.startswith("msg_"), f"id {r.id!r}")
        check(len(r.content) == 1 and r.content[0].type == "text", f"content {r.content!r}")
        check(r.content[0].text == FAKE_TEXT, f"text {r.content[0].text!r}")
        check(r.stop_reason == "end_turn", f"stop_reason {r.stop_reason!r}")
        check(r.usage.input_tokens > 0 and r.usage.output_tokens > 0, f"usage {r.usage!r}")
        return f"{r.content[0].text!r}"

    def stream():
        clock = StreamClock()
        types = []
        with client.messages.stream(model=MODEL_CLAUDE, max_tokens=256, messages=[{"role": "user", "content": PROMPT}],
                                    extra_headers=STREAM_HEADERS) as s:
            for event in s:
                # The helper adds derived events ("text", ...) next to the wire's.
                if event.type in ("text", "input_json", "citation", "thinking", "signature"):
                    continue
                clock.event()
                types.append(event.type)
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    clock.delta(event.delta.text)
            final = s.get_final_message()
        clock.finish()
        note = clock.verify(FAKE_TEXT)
        check(types[0] == "message_start" and types[-1] == "message_stop", f"events {types}")
        check(isinstance(final, Message) and final.content[0].text == FAKE_TEXT, f"final message {final!r}")
        check(final.stop_reason == "end_turn", f"stop_reason {final.stop_reason!r}")
        return note

    def tools_round_trip():
        messages = [{"role": "user", "content": TOOL_PROMPT}]
        r1 = client.messages.create(model=MODEL_CLAUDE, max_tokens=256, messages=messages, tools=tools)
        check(r1.stop_reason == "tool_use", f"first stop_reason {r1.stop_reason!r}")
        uses = [b for b in r1.content if b.type == "tool_use"]
        check(len(uses) == 1, f"{len(uses)} tool_use blocks in {r1.content!r}")
        use = uses[0]
        check(use.name == TOOL_NAME and use.id.startswith("toolu_"), f"tool_use {use!r}")
        check(isinstance(use.input, dict), f"input {use.input!r}")
        messages += [
            {"role": "assistant", "content": r1.content},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": use.id, "content": json.dumps(TOOL_RESULT)}]},
        ]
        r2 = client.messages.create(model=MODEL_CLAUDE, max_tokens=256, messages=messages, tools=tools)
        check(r2.stop_reason == "end_turn", f"final stop_reason {r2.stop_reason!r}")
        texts = [b.text for b in r2.content if b.type == "text"]
        check(texts == [FAKE_TEXT], f"final content {r2.content!r}")
        return f"{use.name}({json.dumps(use.input)}) → {texts[0]!r}"

    def error():
        try:
            client.messages.create(model=MODEL_CLAUDE, max_tokens=256, messages=[{"role": "user", "content": PROMPT}],
                                   extra_headers=ERROR_HEADERS)
        except anthropic.RateLimitError as e:
            check(e.status_code == 429, f"status {e.status_code}")
            body = e.body if isinstance(e.body, dict) else {}
            check((body.get("error") or {}).get("type") == "rate_limit_error", f"error body {e.body!r}")
            return f"RateLimitError: {str(e)[:60]}"
        raise CaseFailure("no exception: expected anthropic.RateLimitError")

    def thinking_plain():
        return check_thinking(client, stream=False, visible=True)

    def thinking_stream():
        return check_thinking(client, stream=True, visible=True)

    def large():
        r = client.messages.create(model=MODEL_CLAUDE, max_tokens=256,
                                   messages=[{"role": "user", "content": large_text()}])
        check(r.content and r.content[0].type == "text" and r.content[0].text == FAKE_TEXT, f"content {r.content!r}")
        check_whole_body_seen("input_tokens", r.usage.input_tokens)
        return f"input_tokens {r.usage.input_tokens}"

    return f"anthropic {anthropic.__version__}", [
        ("messages plain", plain),
        ("messages stream", stream),
        ("messages tool round trip", tools_round_trip),
        ("messages 429 → RateLimitError", error),
        ("messages 8 MiB request", large),
        ("messages thinking visible", thinking_plain),
        ("messages stream thinking visible", thinking_stream),
    ]


def check_thinking(client, stream, visible):
    """Thinking turned on by the client: today's cli-proxy-api (the fake, faithful to it)
    redacts the thinking text unless the body says how it is shown; edged's
    thinking-display rule adds "display":"summarized" (off: the text comes back empty)."""
    kw = dict(model=MODEL_CLAUDE, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024},
              messages=[{"role": "user", "content": PROMPT}])
    if stream:
        text, signature = "", ""
        with client.messages.stream(**kw) as s:
            for event in s:
                if event.type == "content_block_delta" and event.delta.type == "thinking_delta":
                    text += event.delta.thinking
                if event.type == "content_block_delta" and event.delta.type == "signature_delta":
                    signature += event.delta.signature
            final = s.get_final_message()
        blocks = [b for b in final.content if b.type == "thinking"]
    else:
        final = client.messages.create(**kw)
        blocks = [b for b in final.content if b.type == "thinking"]
        text = "".join(b.thinking for b in blocks)
        signature = "".join(b.signature for b in blocks)
    check(len(blocks) == 1, f"thinking blocks: {final.content!r}")
    check(signature, f"the thinking block is signed: {final.content!r}")
    if visible:
        check(text.strip(), f"thinking text is empty (redacted): {final.content!r}")
    else:
        check(text == "", f"with the rule off the backend redacts thinking, got {text[:80]!r}")
    check(any(b.type == "text" and b.text == FAKE_TEXT for b in final.content), f"answer text: {final.content!r}")
    return f"thinking {len(text)} chars"


def thinking_off_suite(edge, config, droidgate):
    """The thinking-display rule switched off (rewrites.thinkingDisplay ""), by a
    config change and an edged reload; restored afterwards."""
    import anthropic
    import urllib.request

    def edged_pid():
        with urllib.request.urlopen(f"{edge}/healthz", timeout=5) as r:
            return json.load(r)["edged"]["pid"]

    def reconfigure(display):
        with open(config) as f:
            doc = json.load(f)
        doc.setdefault("rewrites", {})["thinkingDisplay"] = display
        with open(config, "w") as f:
            json.dump(doc, f, indent=2)
        before = edged_pid()
        subprocess.run([droidgate, "reload", "edged", "--config", config], check=True, capture_output=True, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if edged_pid() != before:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise CaseFailure("edged did not reload")

    client = anthropic.Anthropic(api_key="sk-ant-droidgate-clients-test", base_url=edge, max_retries=0,
                                 timeout=REQUEST_TIMEOUT_S)

    def off_plain():
        reconfigure("")
        return check_thinking(client, stream=False, visible=False)

    def off_stream():
        try:
            return check_thinking(client, stream=True, visible=False)
        finally:
            reconfigure("summarized")

    return "thinking display rule off", [
        ("messages thinking redacted (rule off)", off_plain),
        ("messages stream thinking redacted (rule off)", off_stream),
    ]


# MARK: Google GenAI

def genai_suite(edge):
    from google import genai
    from google.genai import errors, types

    client = genai.Client(api_key="droidgate-clients-test-key", http_options=types.HttpOptions(
        base_url=edge, api_version="v1beta", timeout=REQUEST_TIMEOUT_S * 1000,
        retry_options=types.HttpRetryOptions(attempts=1),
        client_args={"event_hooks": TRACE.hooks()},
    ))
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name=TOOL_NAME, description=TOOL_DESCRIPTION, parameters_json_schema=TOOL_SCHEMA)])
    no_afc = types.AutomaticFunctionCallingConfig(disable=True)

    def with_headers(headers, **kw):
        return types.GenerateContentConfig(http_options=types.HttpOptions(headers=headers), **kw)

    def plain():
        r = client.models.generate_content(model=MODEL_GEMINI, contents=PROMPT)
        check(isinstance(r, types.GenerateContentResponse), f"got {type(r).__name__}")
        check(r.candidates and r.candidates[0].content.role == "model", f"candidates {r.candidates!r}")
        check(r.text == FAKE_TEXT, f"text {r.text!r}")
        check(r.candidates[0].finish_reason == types.FinishReason.STOP, f"finish_reason {r.candidates[0].finish_reason!r}")
        check(r.usage_metadata and r.usage_metadata.total_token_count > 0, f"usage {r.usage_metadata!r}")
        return f"{r.text!r}"

    def stream():
        clock = StreamClock()
        last = None
        for chunk in client.models.generate_content_stream(model=MODEL_GEMINI, contents=PROMPT,
                                                            config=with_headers(STREAM_HEADERS)):
            clock.event()
            check(isinstance(chunk, types.GenerateContentResponse), f"chunk {type(chunk).__name__}")
            clock.delta(chunk.text)
            last = chunk
        clock.finish()
        note = clock.verify(FAKE_TEXT)
        check(last.candidates[0].finish_reason == types.FinishReason.STOP,
              f"last chunk finish_reason {last.candidates[0].finish_reason!r}")
        return note

    def tools_round_trip():
        config = types.GenerateContentConfig(tools=[tool], automatic_function_calling=no_afc)
        contents = [types.Content(role="user", parts=[types.Part.from_text(text=TOOL_PROMPT)])]
        r1 = client.models.generate_content(model=MODEL_GEMINI, contents=contents, config=config)
        calls = r1.function_calls or []
        check(len(calls) == 1 and calls[0].name == TOOL_NAME, f"function calls {calls!r}")
        call = calls[0]
        contents += [
            r1.candidates[0].content,
            types.Content(role="user", parts=[types.Part.from_function_response(name=call.name, response=TOOL_RESULT)]),
        ]
        r2 = client.models.generate_content(model=MODEL_GEMINI, contents=contents, config=config)
        check(not r2.function_calls, f"final answer calls tools again: {r2.function_calls!r}")
        check(r2.text == FAKE_TEXT, f"final text {r2.text!r}")
        return f"{call.name}({json.dumps(call.args)}) → {r2.text!r}"

    def error():
        try:
            client.models.generate_content(model=MODEL_GEMINI, contents=PROMPT, config=with_headers(ERROR_HEADERS))
        except errors.ClientError as e:
            check(e.code == 429, f"code {e.code}")
            check(e.status == "RESOURCE_EXHAUSTED", f"status {e.status!r}")
            return f"ClientError {e.code} {e.status}"
        raise CaseFailure("no exception: expected google.genai.errors.ClientError 429")

    def large():
        r = client.models.generate_content(model=MODEL_GEMINI, contents=large_text())
        check(r.text == FAKE_TEXT, f"text {r.text!r}")
        n = r.usage_metadata.prompt_token_count
        check_whole_body_seen("prompt_token_count", n)
        return f"prompt_token_count {n}"

    return f"google-genai {genai.__version__}", [
        ("generate_content plain", plain),
        ("generate_content stream", stream),
        ("generate_content tool round trip", tools_round_trip),
        ("generate_content 429 → ClientError", error),
        ("generate_content 8 MiB request", large),
    ]


# MARK: stack health

# Launcher lines (no "name |" prefix) about a child that died, and supervisord's
# lines about a backend that died or stopped answering.
STACK_TROUBLE = re.compile(
    r"^\S+ \w+: (authd|supervisord|edged):? (exited|killed by|cannot start)"
    r"|supervisord: backend pid \d+ (stopped answering|.* during )"
    r"|supervisord: backend ready -> ")


def factory_suite(edge):
    """The Factory route: models served from (fake) Factory's LLM API, translated
    for chat clients and passed through for Anthropic ones."""
    import anthropic
    import openai
    from anthropic.types import Message
    from openai.types.chat import ChatCompletion

    oa = openai.OpenAI(api_key="sk-droidgate-clients-test", base_url=f"{edge}/v1", max_retries=0,
                       timeout=REQUEST_TIMEOUT_S, http_client=openai.DefaultHttpxClient(event_hooks=TRACE.hooks()))
    an = anthropic.Anthropic(api_key="sk-ant-droidgate-clients-test", base_url=edge, max_retries=0,
                             timeout=REQUEST_TIMEOUT_S, http_client=anthropic.DefaultHttpxClient(event_hooks=TRACE.hooks()))

    def chat(model):
        def case():
            r = oa.chat.completions.create(model=model, messages=[{"role": "user", "content": PROMPT}])
            check(isinstance(r, ChatCompletion), f"got {type(r).__name__}")
            check(r.choices[0].message.content == FAKE_TEXT, f"content {r.choices[0].message.content!r}")
            check(r.choices[0].finish_reason == "stop", f"finish_reason {r.choices[0].finish_reason!r}")
            check(r.usage is not None and r.usage.total_tokens > 0, f"usage {r.usage!r}")
            return f"{r.choices[0].message.content!r}"
        return case

    def chat_stream(model):
        def case():
            parts, finishes, n = [], [], 0
            for chunk in oa.chat.completions.create(model=model, stream=True, messages=[{"role": "user", "content": PROMPT}]):
                n += 1
                if chunk.choices:
                    if chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                    if chunk.choices[0].finish_reason:
                        finishes.append(chunk.choices[0].finish_reason)
            check("".join(parts) == FAKE_TEXT, f"streamed text {''.join(parts)!r}")
            check(finishes == ["stop"], f"finish reasons {finishes!r}")
            return f"{n} chunks"
        return case

    def messages_plain():
        r = an.messages.create(model="factory-claude", max_tokens=256, messages=[{"role": "user", "content": PROMPT}])
        check(isinstance(r, Message) and r.role == "assistant", f"got {r!r}")
        texts = [b.text for b in r.content if b.type == "text"]
        check(texts == [FAKE_TEXT], f"text blocks {texts!r}")
        return f"{texts[0]!r}"

    def messages_stream():
        with an.messages.stream(model="factory-claude", max_tokens=256, messages=[{"role": "user", "content": PROMPT}]) as st:
            text = "".join(st.text_stream)
            final = st.get_final_message()
        check(text == FAKE_TEXT, f"streamed text {text!r}")
        check(final.stop_reason == "end_turn", f"stop_reason {final.stop_reason!r}")
        return f"{text!r}"

    return "factory route (openai + anthropic SDKs)", [
        ("chat → anthropic model plain", chat("factory-claude")),
        ("chat → anthropic model stream", chat_stream("factory-claude")),
        ("chat → responses model plain", chat("factory-gpt")),
        ("chat → responses model stream", chat_stream("factory-gpt")),
        ("messages pass-through plain", messages_plain),
        ("messages pass-through stream", messages_stream),
    ]


def stack_check(log):
    """Nothing in the stack died or restarted while the clients ran."""
    lines = log.since(log.run_start, limit=10_000)
    trouble = [ln for ln in lines if STACK_TROUBLE.search(ln)]
    check(not trouble, f"{len(trouble)} line(s) of trouble: " + "\n".join(trouble[:20]))
    edged = [ln for ln in lines if ln.startswith("edged ") and " route=" in ln]
    return f"{len(edged)} requests in edged's access log, no restarts"


# MARK: runner

def describe_exception(e):
    first, *rest = f"{type(e).__module__}.{type(e).__name__}: {e}".splitlines() or [""]
    lines = [first] + ["  " + ln for ln in rest]
    status = getattr(e, "status_code", None) or getattr(e, "code", None)
    if status is not None:
        lines.append(f"status: {status}")
    body = getattr(e, "body", None)
    if body is not None:
        lines.append(f"body: {json.dumps(body)[:1500] if not isinstance(body, str) else body[:1500]}")
    response = getattr(e, "response", None)
    if response is not None and hasattr(response, "headers"):
        lines.append("response headers: " + ", ".join(f"{k}: {v}" for k, v in response.headers.items()))
    if not isinstance(e, CaseFailure):
        tb = traceback.format_exception(type(e), e, e.__traceback__)
        lines.append("traceback (last frames):")
        lines += ["  " + ln for ln in "".join(tb[-4:]).rstrip().splitlines()]
    return lines


def run_suite(name, build, edge, log, results):
    try:
        title, cases = build(edge)
    except Exception as e:  # noqa: BLE001 - an SDK that cannot even load is a failure
        title, cases = name, []
        results.append((name, "setup", False, 0.0, str(e), describe_exception(e)))
        print(f"== {name}: setup failed: {e}", flush=True)
        return
    print(f"== {title}", flush=True)
    rows = []
    for case, fn in cases:
        TRACE.reset()
        log.mark()
        t0 = time.monotonic()
        try:
            note = fn() or ""
            ok, detail = True, None
        except Exception as e:  # noqa: BLE001 - every failure is reported, never raised
            ok, note = False, f"{type(e).__name__}: {e}".splitlines()[0][:110]
            detail = describe_exception(e)
        elapsed = time.monotonic() - t0
        if not ok:
            time.sleep(0.3)  # let the launcher flush edged's access line
            detail += ["HTTP exchanges (SDK side):"] + ["  " + ln for ln in TRACE.lines or ["(none)"]]
            detail += ["launcher output during the case:"] + ["  " + ln for ln in log.since_mark() or ["(none)"]]
        rows.append((case, ok, elapsed, note, detail))
        results.append((title, case, ok, elapsed, note, detail))
        print(f"  {case:<40} {'PASS' if ok else 'FAIL':<5} {elapsed:6.2f}s  {note}", flush=True)
    for case, ok, _, _, detail in rows:
        if not ok:
            print(f"  -- {case}: failure detail", flush=True)
            for ln in detail:
                print(f"     {ln}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edge", required=True, help="edged's base URL, e.g. http://127.0.0.1:8317")
    ap.add_argument("--log", required=True, help="the launcher's output file (for failure reports)")
    ap.add_argument("--only", default="", help="comma-separated suites to run (openai,anthropic,genai,factory,thinking-off,stack)")
    ap.add_argument("--config", default="", help="the stack's config file (the thinking-off suite edits it and reloads edged)")
    ap.add_argument("--droidgate", default="droidgate", help="the droidgate CLI (for the reload)")
    args = ap.parse_args()

    edge = args.edge.rstrip("/")
    log = LauncherLog(args.log)
    suites = [("openai", openai_suite), ("anthropic", anthropic_suite), ("genai", genai_suite), ("factory", factory_suite)]
    if args.config:
        suites.append(("thinking-off", lambda e: thinking_off_suite(e, args.config, args.droidgate)))
    only = {s for s in args.only.split(",") if s}
    results = []
    for name, build in suites:
        if only and name not in only:
            continue
        run_suite(name, build, edge, log, results)

    if not only or "stack" in only:
        run_suite("stack", lambda _edge: ("stack", [("no daemon exited or restarted", lambda: stack_check(log))]),
                  edge, log, results)

    passed = sum(1 for r in results if r[2])
    failed = len(results) - passed
    print(f"clients: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
