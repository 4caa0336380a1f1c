"""The load test's protocol client, against messages recorded from a real GenLab session (no server).

tests/fixtures/streamlit_session.jsonl was recorded with `python scripts/loadtest.py --record <file>`: one
student opens the GPT page, generates 40 characters, opens the GAN's "Train one live" tab, starts it, lets
the fragment timer redraw a few times and pauses. Re-record it when Streamlit changes its protocol."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from scripts.loadtest import cli, line, mixed, proxy
from scripts.loadtest.lab import percentile, spread
from scripts.loadtest.protocol import Page, Session, Watch, rerun_msg, value_state, widget_key
from scripts.loadtest.texts import first_character, last_character, step_of

FIXTURE = Path(__file__).parent / "fixtures" / "streamlit_session.jsonl"


def recorded() -> list[tuple[str, float, ForwardMsg]]:
    out = []
    for row in FIXTURE.read_text().splitlines():
        d = json.loads(row)
        msg = ForwardMsg()
        msg.ParseFromString(base64.b64decode(d["b64"]))
        out.append((d["step"], d["t"], msg))
    return out


def fed_until(step: str) -> Page:
    """A Page fed every recorded message up to and including the given step."""
    page, seen_step = Page(), False
    for s, t, msg in recorded():
        if seen_step and s != step:
            break
        seen_step = seen_step or s == step
        page.feed(msg, t)
    return page


def test_widget_key_from_id():
    assert widget_key("$$ID-d2cae6b1d43acc9c000c469036ebff06-gpt_go") == "gpt_go"
    assert widget_key("$$ID-2e23d865630001cbb78f31f7bdaff22e-live_lr_g") == "live_lr_g"  # keys may hold "_" and "-"
    assert widget_key("$$ID-0123-a-b") == "a-b"
    assert widget_key("some-generated-id") is None
    assert widget_key("") is None


def test_opening_the_gpt_page_learns_its_widgets_and_pages():
    page = fed_until("open gpt-generation")
    assert page.runs_finished == 1 and not page.running
    assert {"gpt_go", "gpt_seed", "gpt_tabs", "lang"} <= set(page.widgets)
    assert page.widget_kinds["gpt_go"] == "button" and page.widget_kinds["gpt_tabs"] == "tab_container"
    assert page.widget_kinds["gpt_seed"] == "number_input" and page.ranges["gpt_seed"][0] == 0
    assert {"", "gpt-generation", "gan-training", "latent-space"} <= set(page.pages)
    assert page.page_hash == page.pages["gpt-generation"]
    assert "lang=en" in page.query_string
    assert page.session_id
    assert not page.errors


def test_generate_streams_then_finishes_and_the_predicates_see_it_in_order():
    texts = []
    page = fed_until("open gpt-generation")
    for step, t, msg in recorded():
        if step == "click gpt_go":
            texts += page.feed(msg, t)
    firsts = [s.t for s in texts if first_character(s)]
    lasts = [s.t for s in texts if last_character(s)]
    assert firsts and lasts and firsts[0] <= lasts[0]
    final = next(s.text for s in texts if last_character(s))
    assert final.startswith("40 characters in ")
    assert page.runs_finished == 2


def test_live_trainer_timer_starts_redraws_and_stops():
    started = fed_until("click live_start")
    assert len(started.fragments) == 1 and list(started.fragments.values())[0] > 0
    page, steps, fragment_runs = fed_until("click live_start"), [], 0
    for step, t, msg in recorded():
        if step != "ticks":
            continue
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished == 3:
            fragment_runs += 1
        for seen in page.feed(msg, t):
            if (n := step_of(seen.text)) is not None:
                steps.append(n)
        # a fragment's own run starts with new_session too, and must not stop the timer
        assert page.fragments == started.fragments
    assert fragment_runs >= 2 and steps == sorted(steps) and steps[-1] > steps[0]
    paused = fed_until("click live_pause")
    assert paused.fragments == {}  # the full run after Pause asks for no timer


def test_a_full_run_drops_texts_it_did_not_redraw():
    page = Page()
    full = ForwardMsg()
    full.new_session.page_script_hash = "h"
    page.feed(full, 1.0)
    for t, path in ((1.1, [0, 0]), (1.2, [0, 1])):
        d = ForwardMsg()
        d.metadata.delta_path.extend(path)
        d.delta.new_element.markdown.body = f"text at {path}"
        page.feed(d, t)
    done = ForwardMsg()
    done.script_finished = 0
    page.feed(done, 1.3)
    page.feed(full, 2.0)  # the next run redraws only [0, 0]
    d = ForwardMsg()
    d.metadata.delta_path.extend([0, 0])
    d.delta.new_element.markdown.body = "redrawn"
    page.feed(d, 2.1)
    page.feed(done, 2.2)
    assert {p: s.text for p, s in page.texts.items()} == {(0, 0): "redrawn"}


def test_errors_and_shown_tracebacks_are_noticed():
    def exception(el):
        el.exception.type, el.exception.message = "ValueError", "x"

    def error_box(el):
        el.alert.body, el.alert.format = "broken", 1

    def traceback_code(el):
        el.code.code_text = 'Traceback (most recent call last):\n  File "a"\nKeyError: 1'

    def warning_box(el):
        el.alert.body, el.alert.format = "just a warning", 2

    page = Page()
    for fill in (exception, error_box, traceback_code, warning_box):
        m = ForwardMsg()
        m.metadata.delta_path.extend([0, 0])
        fill(m.delta.new_element)
        page.feed(m, 0.0)
    assert page.errors == ["exception: ValueError: x", "error box: broken", "traceback shown: KeyError: 1"]


def test_rerun_message_carries_values_trigger_and_fragment():
    page = fed_until("open gpt-generation")
    states = {"gpt_seed": value_state("number_input", 7), "gpt_temp": value_state("slider", 0.5), "gone": {"int_value": 1}}
    msg = BackMsg()
    msg.ParseFromString(rerun_msg(page, states, trigger="gpt_go").SerializeToString())
    cs = msg.rerun_script
    assert cs.page_script_hash == page.pages["gpt-generation"] and cs.query_string == page.query_string
    by_id = {w.id: w for w in cs.widget_states.widgets}
    assert by_id[page.widgets["gpt_seed"]].double_value == 7.0
    assert list(by_id[page.widgets["gpt_temp"]].double_array_value.data) == [0.5]
    assert by_id[page.widgets["gpt_go"]].trigger_value is True
    assert len(by_id) == 3  # a key the page does not show is left out
    auto = rerun_msg(page, {}, fragment_id="f1", auto=True).rerun_script
    assert auto.fragment_id == "f1" and auto.is_auto_rerun


def test_value_state_fields_by_widget_kind():
    assert value_state("button", True) == {"trigger_value": True}
    assert value_state("toggle", 1) == {"bool_value": True}
    assert value_state("select_slider", "2e-4") == {"string_array_value": ["2e-4"]}
    assert value_state("radio", "fast") == {"string_value": "fast"}
    assert value_state("tab_container", "Train one live") == {"string_value": "Train one live"}


class FakeSocket:
    def __init__(self):
        self.sent: list[bytes] = []

    async def send(self, data):
        self.sent.append(data)


def test_session_times_a_click_and_follows_the_fragment_timer():
    async def scenario():
        s = Session("http://127.0.0.1:1", "t")
        s.ws = FakeSocket()
        for step, t, msg in recorded():
            if step == "open gpt-generation":
                s._apply(msg, t)
        w = Watch(sent=100.0, first=first_character, last=last_character)
        s.watches.append(w)
        for step, t, msg in recorded():
            if step == "click gpt_go":
                s._apply(msg, 100.0 + t)
        assert w.done.is_set() and 100.0 < w.t_first <= w.t_last
        assert w.text_last.startswith("40 characters in")
        timer = ForwardMsg()
        timer.auto_rerun.interval, timer.auto_rerun.fragment_id = 0.02, "frag"
        s._apply(timer, 200.0)
        await asyncio.sleep(0.15)
        stop = ForwardMsg()
        stop.stop_auto_rerun.fragment_ids.append("frag")
        s._apply(stop, 201.0)
        n = len(s.ws.sent)
        await asyncio.sleep(0.06)
        assert n >= 3 and len(s.ws.sent) == n  # ticked, then stopped
        back = BackMsg()
        back.ParseFromString(s.ws.sent[0])
        assert back.rerun_script.fragment_id == "frag" and back.rerun_script.is_auto_rerun

    asyncio.run(scenario())


def test_session_refuses_other_hosts():
    with pytest.raises(AssertionError):
        Session("http://example.com:8501")


def test_percentiles_and_spread():
    xs = [float(i) for i in range(1, 21)]
    assert percentile(xs, 50) == 10.0 and percentile(xs, 95) == 19.0 and percentile([], 50) is None
    s = spread([{"first_s": 0.1, "last_s": 1.0}, {"first_s": 0.2, "last_s": None}])
    assert s["n"] == 2 and s["done"] == 1 and s["last_p50"] == 1.0 and s["first_p95"] == 0.2


def test_proxy_config_rewrites_servers_and_stats_port():
    template = (Path(__file__).parent.parent / "deploy" / "haproxy.cfg").read_text()
    cfg = proxy.proxy_config(template, [9001, 9002, 9003], 9009)
    assert cfg.count("    server app") == 3 and "127.0.0.1:9003 cookie a3" in cfg
    assert "bind 127.0.0.1:9009" in cfg and "bind 127.0.0.1:8609" not in cfg and ":8601 " not in cfg


def test_command_line_bounds():
    with pytest.raises(SystemExit):
        cli.parse_args(["--url", "http://10.0.0.2:8501"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--class-size", "1000"])
    a = cli.parse_args(["--scenario", "mixed", "--scenario", "mixed", "--class-size", "50", "100"])
    assert a.scenario == ["mixed"] and a.class_size == [50, 100]
    assert isinstance(a, argparse.Namespace)
    with pytest.raises(ValueError):
        mixed.parse_mix("generate=1,dance=2")
    assert mixed.parse_mix("generate=3,slide") == {"generate": 3.0, "slide": 1.0}


def test_line_reads_kinds_turns_and_fairness():
    assert line.parse(None) == {"vae": 10, "gan": 5, "gpt": 5}
    assert line.parse("vae=3,gpt=1") == {"vae": 3, "gpt": 1}
    with pytest.raises(ValueError):
        line.parse("vae=3,dance=1")
    # a page that redraws every 3 s: increases at 3, 6, 9 s (1 + 3 + 3 s: a turn's first counts one reading),
    # then the line for 13 s, then one more increase (1 s): 2 turns
    steps = [0, 0, 0, 30, 30, 30, 60, 60, 60, 90] + [90] * 10 + [90, 90, 120]
    series = [{"t": float(t), "step": s} for t, s in enumerate(steps)]
    assert line.training_seconds(series) == (8.0, 2)
    assert line.training_seconds([{"t": 0.0, "step": None}, {"t": 1.0, "step": 5}, {"t": 2.0, "step": 9}]) == (1.0, 1)
    assert line.training_seconds(series[:1]) == (0.0, 0)
    assert line.jain([30.0, 30.0, 30.0]) == 1.0
    assert line.jain([60.0, 0.0, 0.0]) == round(1 / 3, 3)
    assert line.jain([0.0, 0.0]) is None


def test_a_select_slider_is_told_from_a_slider_and_gets_one_of_its_options():
    page = Page()
    for key, kind, extra in [("ls_z_0", 2, {"options": ["-1,0", "0,0", "1,0"]}), ("live_steps", 1, {"min": 1, "max": 9})]:
        msg = ForwardMsg()
        msg.metadata.delta_path.extend([0, len(page.widgets)])
        slider = msg.delta.new_element.slider
        slider.id, slider.type = f"$$ID-0123-{key}", kind
        for name, value in extra.items():
            getattr(slider, name).extend(value) if isinstance(value, list) else setattr(slider, name, value)
        page.feed(msg, 0.0)
    assert page.widget_kinds == {"ls_z_0": "select_slider", "live_steps": "slider"}
    rng = random.Random(0)
    assert all(page.slider_pick("ls_z_0", rng) in {"-1,0", "0,0", "1,0"} for _ in range(10))
    assert 1 <= page.slider_pick("live_steps", rng) <= 9


def test_opening_a_trainer_tab_waits_for_its_start_button_on_a_fresh_page_too():
    """A class of 100 once lost 4 students: the run that opened the page ended before the tab's controls came."""
    from scripts.loadtest import train

    calls = []

    class Student:  # a student on the GPT page, about to open the GAN's live tab
        page = Page()

        def has(self, key):
            return False

        async def open(self, page, query, timeout):
            calls.append(("open", page, query))

        async def wait_widget(self, key, timeout):
            calls.append(("wait", key))
            return True

    asyncio.run(train.open_tab(Student(), train.TRAINERS["gan"], 5))
    assert calls == [("open", "gan-training", "gan_tab=Train+one+live"), ("wait", "live_start")]
