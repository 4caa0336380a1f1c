"""GPT Generation: how a stack of self-attention blocks turns a prompt into Shakespeare-like text,
one character at a time."""
import html
import re
import time
from itertools import zip_longest

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core.cache import generation_service, load_gpt, load_meta, scheduler
from core.checkpoint import WeightsError
from core.generation import MAX_NEW_TOKENS, stream
from core.gpt_tools import ATTENTION_CHARS, attention_window, next_char_odds, prepare_prompt, visible
from app_pages._ui import compute, load, lost_run_notice, remember_run, session_owner, weights_error

DEFAULT_PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\n"
REDRAW_S = 0.15  # redraw streamed text about 7 times a second: smooth enough, and twenty pages redrawing
                 # at once leave the server's threads time for the model (each redraw is Python work)


def md_escape(text: str) -> str:
    """Show pasted characters literally, not as Markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|$~<>:])", r"\\\1", text)


def text_box(prompt_text: str, new_text: str) -> str:
    """The prompt in grey, the model's continuation in the normal colour, whitespace kept."""
    return ("<div style='white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:0.9rem;"
            "line-height:1.45;padding:0.8rem 1rem;border-radius:0.5rem;background:rgba(128,128,128,0.08);"
            "border:1px solid rgba(128,128,128,0.25)'>"
            f"<span style='color:rgba(128,128,128,0.85)'>{html.escape(prompt_text)}</span>"
            f"<span>{html.escape(new_text)}</span></div>")


def result_caption(res: dict) -> str:
    n, want = len(res["text"]), res["want"]
    secs = res.get("seconds")
    speed = f" in {secs:.1f} s ({n / max(secs, 1e-9):,.0f} characters/s)" if secs else ""
    status = f"{n:,} characters{speed}" if res["done"] else f"⏹ stopped after {n:,} of {want:,} characters"
    return f"{status} · {res['settings']} · grey: the prompt the model saw"


class GenerationFailed(RuntimeError):
    """The shared generator could not finish this request (the message says why)."""


def follow(service, ids: list[int], length: int, seed: int, sampling: dict, status):
    """Submit one request to the shared batched generator and yield its text as it grows
    (at most once per REDRAW_S, and once more at the end).

    The request leaves the batch when this generator is closed: when the run ends, when the learner
    clicks anything (Streamlit stops this script run), or when the browser goes away.
    """
    request = service.submit(ids, length, seed=seed, **sampling)
    decode = service.model.tokenizer.decode
    try:
        shown, last = 0, 0.0
        while not request.done:
            request.wait(shown, timeout=REDRAW_S)  # returns at once when there is something new
            if len(request.new_ids) > shown:
                time.sleep(max(0.0, last + REDRAW_S - time.perf_counter()))  # never spin: other threads need the GIL
                shown, last = len(request.new_ids), time.perf_counter()
                yield decode(request.new_ids[:shown])
            elif shown == 0 and (ahead := service.queue_position(request)):
                status.caption(f"⏳ waiting for a free place in the batch: {ahead} ahead of you…")
        if request.error:
            raise GenerationFailed(request.error)
        yield decode(request.new_ids)
    finally:
        request.cancel()


st.title("✍️ GPT Generation")
st.markdown(
    "A **GPT** reads the characters so far and gives odds for the next one; we draw a character from "
    "those odds, append it, and repeat. Inside, a stack of **self-attention blocks** lets every position "
    "look back at the earlier ones and pick what matters. It was trained on tiny Shakespeare only."
)

with st.expander("📖 How a stack of self-attention blocks writes text"):
    st.markdown(
        "Each character becomes a vector (its *token embedding* plus a *position embedding*). Each block "
        "then does two things, and the last layer turns each position's vector into odds for the next character.\n\n"
        "**1. Communicate — self-attention.** Every position emits a *query* (what am I looking for?), a *key* "
        "(what do I contain?) and a *value* (what I pass on). A position's output is a weighted average of "
        "the values, weighted by how well its query matches each key:")
    st.latex(r"\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^{\top}}{\sqrt{d}}\right) V")
    st.markdown(
        "Dividing by √d (the head size) keeps the scores from growing with d, so the softmax does not "
        "collapse onto one character. The **causal mask** sets the scores of later positions to −∞ "
        "before the softmax: a position may only look back, so training on every position at once is honest. "
        "Several **heads** run side by side, each free to look for something different.\n\n"
        "**2. Compute — a feed-forward network** works on each position separately.\n\n"
        "Both are **residual** branches, x = x + f(LayerNorm(x)): the signal and its gradient flow straight "
        "through the stack, which is what lets deep stacks train. **LayerNorm** keeps each vector at a steady "
        "scale; **dropout** randomly zeroes a fraction of activations during training (never here) so the "
        "model cannot lean on any single path and overfits less.\n\n"
        "Generation repeats one step: run the last characters through the stack, take the odds for the next "
        "one, draw it, append it. A **KV cache** keeps each head's keys and values so each new character "
        "costs one position instead of the whole context.")

model = load(load_gpt, "gpt-shakespeare")
meta = load(load_meta, "gpt-shakespeare")
tok = model.tokenizer
cfg = model.cfg

# --- the prompt and the sampling settings every section shares -------------------------------------
# Each is kept in the URL too (bind="query-params"): after a server restart, or in a shared link,
# the page comes back as the learner left it.
lost_run_notice("gpt_run", "The server restarted, so the text generated before is gone. Your prompt and "
                           "settings are back: press Generate to write again.")
left, right = st.columns([3, 2], gap="large")
with left:
    raw = st.text_area("Prompt", DEFAULT_PROMPT, key="gpt_prompt", height=190, bind="query-params",
                       help="Any text. Characters the model never saw are replaced or dropped; "
                            f"only the last {cfg.block_size} characters reach the model.")
with right:
    c1, c2 = st.columns(2)
    length = c1.number_input("Characters to generate", 1, MAX_NEW_TOKENS, 300, step=50, key="gpt_len",
                             bind="query-params")
    seed = c2.number_input("Seed", 0, 2**31 - 1, 1337, step=1, key="gpt_seed", bind="query-params",
                           help="The same seed and settings give the same text.")
    temperature = st.slider("Temperature", 0.1, 2.0, 1.0, step=0.05, key="gpt_temp", bind="query-params",
                            help="Divides the logits: below 1 sharpens the odds (safer, repetitive), "
                                 "above 1 flattens them (wilder).")
    c3, c4 = st.columns(2)
    top_k = c3.number_input("Top-k", 1, tok.vocab_size, tok.vocab_size, step=1, key="gpt_topk", bind="query-params",
                            help=f"Draw only from the k likeliest characters ({tok.vocab_size} = all of them).")
    top_p = c4.slider("Top-p", 0.05, 1.0, 1.0, step=0.05, key="gpt_topp", bind="query-params",
                      help="Draw only from the likeliest characters whose odds add up to p (1 = all).")

prompt = prepare_prompt(tok, raw, cfg.block_size)
notes_box = st.empty()  # always there, so the tabs below keep their place (and the chosen tab) on every rerun
if prompt.notes:
    notes_box.info("**Your prompt was adjusted to fit the model** (nothing is an error):\n"
                   + "\n".join(f"- {md_escape(n)}" for n in prompt.notes), icon="🧹")
sampling = dict(temperature=float(temperature), top_k=int(top_k) if top_k < tok.vocab_size else None,
                top_p=float(top_p) if top_p < 1.0 else None)
settings_line = (f"seed {seed} · temperature {temperature:.2f} · top-k {top_k} · top-p {top_p:.2f}")


tab_gen, tab_cmp, tab_odds, tab_attn, tab_card = st.tabs(
    ["✍️ Generate", "⚖️ Bigram vs GPT", "🎲 Next-character odds", "👀 Attention maps", "🪪 Model card"],
    key="gpt_tabs", bind="query-params")

# --- 1. generate, streamed -----------------------------------------------------------------------------
with tab_gen:
    b1, b2, _ = st.columns([1, 1, 4])
    go_clicked = b1.button("Generate", key="gpt_go", type="primary", icon="✍️", width="stretch")
    # Any click makes Streamlit rerun, which ends a running generation; what was produced is kept.
    b2.button("Stop", key="gpt_stop", icon="⏹", width="stretch")
    st.caption("The text appears as it is sampled. Stop (or any other change) ends the run and keeps what "
               "was written so far.")
    if go_clicked:
        res = st.session_state["gpt_result"] = {"prompt": prompt.text, "text": "", "want": int(length),
                                                "done": False, "settings": settings_line}
        box, status = st.empty(), st.empty()
        t0 = time.perf_counter()
        texts = follow(generation_service("gpt-shakespeare"), prompt.ids, int(length), int(seed), sampling, status)
        try:
            for text in texts:
                res["text"] = text  # in session_state at once: a Stop keeps it
                box.html(text_box(res["prompt"], res["text"]))
                status.caption(f"✍️ writing… {len(res['text']):,} of {res['want']:,} characters (Stop ends it)")
            res["done"], res["seconds"] = True, time.perf_counter() - t0
            remember_run("gpt_run")
            status.caption(result_caption(res))
        except GenerationFailed as e:
            status.error(f"Generation stopped on a problem on the server: {e}. What was written is kept; "
                         "press Generate to try again.")
        finally:
            texts.close()  # leaves the batch at once, even when Stop or a closed tab ends this run
        box.html(text_box(res["prompt"], res["text"]))
    elif res := st.session_state.get("gpt_result"):
        st.html(text_box(res["prompt"], res["text"]))
        st.caption(result_caption(res))

# --- 2. the lecture's starting point next to its end ------------------------------------------------
with tab_cmp:
    st.markdown("The **bigram** model picks the next character from the current one alone: a table of "
                f"{tok.vocab_size} × {tok.vocab_size} odds. The **GPT** looks back at up to "
                f"{cfg.block_size} characters. Same prompt, same seed, same settings:")
    try:
        bigram = load_gpt("bigram")
        bigram_meta = load_meta("bigram")
    except WeightsError as e:  # the rest of the page works without the baseline
        bigram = None
        weights_error(e)
    if bigram is not None:
        compare_clicked = st.button("Compare", key="gpt_compare_go", type="primary", icon="⚖️")
        col_b, col_g = st.columns(2)
        col_b.markdown(f"**Bigram** · {bigram_meta['parameters']:,} parameters · "
                       f"validation loss {bigram_meta['metrics']['val_loss']:.2f}")
        col_g.markdown(f"**GPT** · {meta['parameters']:,} parameters · "
                       f"validation loss {meta['metrics']['val_loss']:.2f}")
        if compare_clicked:
            cmp = st.session_state["gpt_compare"] = {"prompt": prompt.text, "bigram": "", "gpt": "",
                                                     "want": int(length), "done": False, "settings": settings_line}
            box_b, box_g, status = col_b.empty(), col_g.empty(), st.empty()
            runs = (follow(generation_service("bigram"), bigram.tokenizer.encode(prompt.text), int(length),
                           int(seed), sampling, status),
                    follow(generation_service("gpt-shakespeare"), prompt.ids, int(length), int(seed), sampling, status))
            both = zip_longest(*runs)
            try:
                for text_b, text_g in both:
                    cmp["bigram"], cmp["gpt"] = text_b or cmp["bigram"], text_g or cmp["gpt"]
                    box_b.html(text_box(cmp["prompt"], cmp["bigram"]))
                    box_g.html(text_box(cmp["prompt"], cmp["gpt"]))
                status.empty()
            except GenerationFailed as e:
                status.error(f"Generation stopped on a problem on the server: {e}")
            finally:
                for run in runs:
                    run.close()
            cmp["done"] = True
            box_b.html(text_box(cmp["prompt"], cmp["bigram"]))
            box_g.html(text_box(cmp["prompt"], cmp["gpt"]))
        elif cmp := st.session_state.get("gpt_compare"):
            col_b.html(text_box(cmp["prompt"], cmp["bigram"]))
            col_g.html(text_box(cmp["prompt"], cmp["gpt"]))
        if cmp := st.session_state.get("gpt_compare"):
            n = len(cmp["gpt"])
            cmp_status = (f"{n:,} characters each" if cmp["done"]
                          else f"⏹ stopped after {n:,} of {cmp['want']:,} characters")
            st.caption(f"{cmp_status} · {cmp['settings']}")


# --- 3. the odds of the next character, and one character per click ------------------------------------
def sample_one(ids: list[int], restart: bool, seed: int, sampling: dict) -> None:
    """Draw one character from the odds shown and append it to the prompt (before the rerun draws the page)."""
    n = st.session_state.get("gpt_steps", 0)
    ch = scheduler().run(session_owner(), lambda: "".join(stream(model, ids, 1, seed=seed + n, **sampling)))
    st.session_state["gpt_prompt"] = ("\n" if restart else st.session_state["gpt_prompt"]) + ch
    st.session_state["gpt_steps"] = n + 1


with tab_odds:
    odds = [(c, p) for c, p in compute(next_char_odds, model, prompt.ids, k=15, **sampling) if p > 0]  # top-k/p cut the rest
    tail = prompt.text[-40:]
    fig = go.Figure(go.Bar(
        x=[visible(c) for c, _ in odds], y=[p for _, p in odds], text=[f"{p:.0%}" for _, p in odds],
        textposition="outside", marker_color="#4C78A8", hovertemplate="%{x}: %{y:.2%}<extra></extra>"))
    fig.update_layout(height=380, margin=dict(t=50, b=40, l=50, r=20), yaxis_tickformat=".0%",
                      yaxis_title="probability", xaxis_title="next character (↵ newline, · space)",
                      xaxis_type="category", xaxis_tickfont_size=16,
                      title=f"After “…{''.join(visible(c) for c in tail)}”, the model draws…")
    st.plotly_chart(fig, key="gpt_odds_chart")
    st.caption(f"The {len(odds)} likeliest of {tok.vocab_size} characters after temperature, top-k and top-p: "
               "the exact odds Generate draws from.")
    s1, s2 = st.columns([1, 3])
    s1.button("Sample one character", key="gpt_step", icon="🎲", on_click=sample_one,
              args=(prompt.ids, prompt.text == "\n" and not raw.endswith("\n"), int(seed), sampling),
              width="stretch")
    s2.caption("Appends one character drawn from these odds to your prompt above; the chart then shows the "
               "odds for the character after it. Click a few times: this is all generation does.")

# --- 4. attention maps --------------------------------------------------------------------------------
with tab_attn:
    a1, a2, a3 = st.columns(3)
    layer = a1.radio("Layer", list(range(1, cfg.n_layer + 1)), horizontal=True, key="gpt_layer")
    head = a2.radio("Head", list(range(1, cfg.n_head + 1)), horizontal=True, key="gpt_head")
    longest = min(ATTENTION_CHARS, cfg.block_size)
    shown = a3.slider("Characters shown", min(8, longest), longest, min(48, longest), key="gpt_attn_chars",
                      help="The end of the prompt; more characters, smaller labels.")
    maps, labels = compute(attention_window, model, prompt.ids, shown)
    T = len(labels)
    w = maps[layer - 1, head - 1].numpy()
    hover = [[f"{labels[q]} (#{q}) looks at {labels[k]} (#{k})" for k in range(T)] for q in range(T)]
    fig = go.Figure(go.Heatmap(z=w, x=list(range(T)), y=list(range(T)), colorscale="Blues", zmin=0,
                               customdata=hover, hovertemplate="%{customdata}: %{z:.2f}<extra></extra>",
                               colorbar=dict(title="weight", thickness=12)))
    ticks = dict(tickmode="array", tickvals=list(range(T)), ticktext=labels, tickfont_size=13 if T <= 48 else 10,
                 tickangle=0, showgrid=False, zeroline=False)
    fig.update_layout(height=max(380, 180 + 14 * T), margin=dict(t=40, b=60, l=60, r=20),
                      title=f"Layer {layer}, head {head}: where each character looks",
                      xaxis=dict(title="…looks back at this character (key)", side="bottom", **ticks),
                      yaxis=dict(title="this character (query)…", autorange="reversed", scaleanchor="x", **ticks))
    st.plotly_chart(fig, key="gpt_attn_chart")
    st.caption(f"The last {T} characters of the prompt, run through the model on their own. Each row sums to 1: "
               "how much that position takes from each earlier one. The upper right triangle is empty because of "
               "the causal mask — no character may look at the future.")
    with st.expander("All heads at a glance"):
        grid = make_subplots(rows=cfg.n_layer, cols=cfg.n_head, horizontal_spacing=0.02, vertical_spacing=0.03,
                             subplot_titles=[f"L{i + 1} H{j + 1}"
                                             for i in range(cfg.n_layer) for j in range(cfg.n_head)])
        for i in range(cfg.n_layer):
            for j in range(cfg.n_head):
                grid.add_trace(go.Heatmap(z=maps[i, j].numpy(), colorscale="Blues", showscale=False, zmin=0,
                                          hoverinfo="skip"), row=i + 1, col=j + 1)
        grid.update_xaxes(showticklabels=False)
        grid.update_yaxes(showticklabels=False, autorange="reversed")
        grid.update_layout(height=190 * cfg.n_layer, margin=dict(t=30, b=10, l=10, r=10))
        st.plotly_chart(grid, key="gpt_attn_grid")
        st.caption("Rows: layers (input at the top); columns: heads. Heads of one layer often look for different "
                   "things: the previous character, the start of the word, the last newline…")

# --- 5. the model card, and how a block works -------------------------------------------------------------
with tab_card:
    m = st.columns(4)
    m[0].metric("Parameters", f"{meta['parameters'] / 1e6:.2f} M")
    try:
        vs_bigram = meta["metrics"]["val_loss"] - load_meta("bigram")["metrics"]["val_loss"]
    except WeightsError:  # the comparison tab already says the baseline is missing
        vs_bigram = None
    m[1].metric("Validation loss", f"{meta['metrics']['val_loss']:.3f}", delta_color="inverse",
                delta=None if vs_bigram is None else f"{vs_bigram:+.2f} vs the bigram",
                help="Cross-entropy per character on the last 10% of tiny Shakespeare "
                     "(ln 65 ≈ 4.17 is a blind guess).")
    m[2].metric("Context", f"{cfg.block_size} characters")
    m[3].metric("Training time", f"{meta.get('wall_time_s', 0) / 60:.1f} min")
    st.markdown(
        f"- **Architecture**: {cfg.n_layer} blocks × {cfg.n_head} attention heads, {cfg.n_embd}-dimensional "
        f"embeddings, dropout {cfg.dropout}, a vocabulary of {tok.vocab_size} characters\n"
        f"- **Training**: preset `{meta.get('preset', '?')}`, {meta.get('steps', 0):,} steps "
        f"(best at step {meta.get('best_iter', 0):,}) on {meta.get('hardware', '?')}, {meta.get('date', '?')[:10]}\n"
        f"- **Data**: {meta.get('dataset', '?')}\n"
        f"- **Command**: `{meta.get('command', '?')}`")
    curve = meta.get("curve", [])
    if len(curve) > 1:
        fig = go.Figure([go.Scatter(x=[c["iter"] for c in curve], y=[c[s] for c in curve], name=s, mode="lines+markers")
                         for s in ("train", "val")])
        fig.update_layout(height=300, margin=dict(t=40, b=40, l=50, r=20), title="Loss during training",
                          xaxis_title="step", yaxis_title="loss (nats per character)")
        st.plotly_chart(fig, key="gpt_curve")
