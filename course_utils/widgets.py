"""Interactive widgets (ipywidgets 8) that let students poke at their own code.

They call the student's functions; they never contain an answer. Under nbval and nbgrader they render
to a static fallback, and their outputs are never compared.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def hidden_traces(forward: Callable, x: np.ndarray, U, W, b_h, h0) -> np.ndarray:
    """Hidden states over time, read out through the student's own ``rnn_forward``.

    With the read-out ``v = e_i`` and ``b_y = -1/2`` the output is ``sigma(h_t[i] - 1/2) = h_t[i]`` for binary
    hidden states, so one call per hidden unit recovers that unit's trace without re-implementing the RNN.
    """
    n_hidden = np.asarray(W).shape[0]
    traces = []
    for i in range(n_hidden):
        e_i = np.zeros(n_hidden)
        e_i[i] = 1.0
        traces.append(np.asarray(forward(x, U, W, b_h, e_i, -0.5, h0)).reshape(-1))
    return np.stack(traces)


def rnn_stepper(encode: Callable, forward: Callable, U, W, b_h, v, b_y, h0, a: int = 39, b: int = 50):
    """Step through the binary-addition RNN one time step at a time for two numbers the student picks.

    ``encode`` and ``forward`` are the student's ``encode_addition`` and ``rnn_forward``; the weights are
    theirs too. Shows inputs, hidden states and outputs up to the chosen step, and the sum read so far.
    """
    import ipywidgets as w
    from IPython.display import HTML, display

    a_box = w.BoundedIntText(value=a, min=0, max=2**64, description="a")
    b_box = w.BoundedIntText(value=b, min=0, max=2**64, description="b")
    step = w.IntSlider(value=0, min=0, max=1, description="step t")
    out = w.Output()

    def render(*_):
        x, y = encode(int(a_box.value), int(b_box.value))
        x = np.asarray(x)
        T = len(x)
        step.max = T - 1
        t = min(step.value, T - 1)
        y_hat = np.asarray(forward(x, U, W, b_h, v, b_y, h0)).reshape(-1)
        hidden = hidden_traces(forward, x, U, W, b_h, h0)
        rows = [("x1 (bit of a)", x[:, 0]), ("x2 (bit of b)", x[:, 1])]
        rows += [(f"h{i + 1}", hidden[i]) for i in range(hidden.shape[0])]
        rows += [("y (RNN)", y_hat), ("target", np.asarray(y))]
        head = "".join(f"<th style='padding:2px 6px'>t={k}</th>" for k in range(T))
        body = ""
        for name, values in rows:
            cells = ""
            for k in range(T):
                style = "padding:2px 6px;text-align:center;"
                style += "background:#ffe08a;" if k == t else ("" if k < t else "color:#bbb;")
                cells += f"<td style='{style}'>{int(values[k])}</td>"
            body += f"<tr><th style='text-align:left;padding:2px 6px'>{name}</th>{cells}</tr>"
        read = sum(int(bit) << k for k, bit in enumerate(y_hat[: t + 1]))
        html = (f"<table style='border-collapse:collapse;font-family:monospace'><tr><th></th>{head}</tr>{body}</table>"
                f"<p>bits 0..{t} of the RNN's output give {read}; {a_box.value} + {b_box.value} = "
                f"{a_box.value + b_box.value} (bits are least significant first)</p>")
        with out:
            out.clear_output(wait=True)
            display(HTML(html))

    for control in (a_box, b_box, step):
        control.observe(render, names="value")
    render()
    box = w.VBox([w.HBox([a_box, b_box]), step, out])
    display(box)
    return box


def class_sampler(generate: Callable[[int, int], "object"], class_names: list[str], n: int = 8, seed: int = 0):
    """Pick a class and see what a conditional generator draws for it.

    ``generate(label, n)`` returns ``n`` images (n, 1, H, W) in [-1, 1] for class ``label``; it is built by
    the notebook from the student's generator. A button draws new noise.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    import torch
    from IPython.display import display

    from .plotting import image_grid

    picker = w.Dropdown(options=[(name, i) for i, name in enumerate(class_names)], value=0, description="class")
    again = w.Button(description="new samples")
    out = w.Output()
    state = {"seed": seed}

    def render(*_):
        torch.manual_seed(state["seed"])
        images = generate(int(picker.value), n)
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(n * 1.1, 1.6))
            image_grid(images, nrow=n, ax=ax, title=f"{n} samples of class '{class_names[int(picker.value)]}'")
            plt.show()

    def resample(_):
        state["seed"] += 1
        render()

    picker.observe(render, names="value")
    again.on_click(resample)
    render()
    box = w.VBox([w.HBox([picker, again]), out])
    display(box)
    return box


def interpolate(encode: Callable, decode: Callable, a, b, steps: int = 9):
    """Decode ``steps`` points on the straight line between the latent codes of images ``a`` and ``b``.

    ``encode(images) -> codes`` (a VAE's posterior means, so the path is deterministic) and
    ``decode(codes) -> images`` come from the notebook. Returns (steps, C, H, W) images, a first, b last.
    """
    import torch

    with torch.no_grad():
        za, zb = encode(torch.stack([a, b])).unbind(0)
        t = torch.linspace(0, 1, steps, device=za.device).unsqueeze(1)
        return decode((1 - t) * za + t * zb).cpu()


def latent_explorer(encode: Callable, decode: Callable, images, steps: int = 9):
    """Walk through a VAE's latent space between two images (interactive in JupyterLab).

    Two sliders pick the images (indices into ``images``), a third the point ``t`` on the line between their
    codes; the strip below shows the whole path. Built on :func:`interpolate`.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    from .plotting import image_grid

    first = w.IntSlider(value=0, min=0, max=len(images) - 1, description="image A")
    second = w.IntSlider(value=1, min=0, max=len(images) - 1, description="image B")
    where = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="t")
    out = w.Output()

    def render(*_):
        a, b = images[first.value], images[second.value]
        path = interpolate(encode, decode, a, b, steps)
        middle = interpolate(encode, decode, a, b, 2)  # the two endpoints' reconstructions
        t = float(where.value)
        point = interpolate(encode, decode, a, b, 101)[round(t * 100)]
        with out:
            out.clear_output(wait=True)
            fig = plt.figure(figsize=(12, 3.2))
            top = fig.subfigures(2, 1, height_ratios=[1.3, 1])
            axes = top[0].subplots(1, 5)
            for ax, img, title in zip(axes, [a, middle[0], point, middle[1], b],
                                      ["A", "A decoded", f"z = (1-t) z_A + t z_B, t = {t:.2f}", "B decoded", "B"]):
                image_grid(img.unsqueeze(0).cpu(), nrow=1, ax=ax, title=title)
            image_grid(path, nrow=steps, ax=top[1].subplots(), title=f"the path from A to B in {steps} steps")
            plt.show()

    for slider in (first, second, where):
        slider.observe(render, names="value")
    render()
    box = w.VBox([w.HBox([first, second, where]), out])
    display(box)
    return box
