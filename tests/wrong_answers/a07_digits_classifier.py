"""Wrong answers for 07-digits-classifier: the mistakes students make building and training a
network from their own layers.

Each entry is a whole solution cell a student might submit; `fails` lists the test cells that
must score 0 (every other test keeps its points). Each is the reference solution with one
mistake made in it (`_variant`: the lines replaced must stand in the reference exactly once), so
an entry reads as the mistake itself. A wrong layer is also in the networks that the hidden test
of `fit` retrains: where the mistake costs them their accuracy, that test is listed too.
"""

from pathlib import Path

from autograder.demo import strip_solution_markers
from autograder.sources import read_script

SCRIPT = Path(__file__).resolve().parents[2] / "source" / "07-digits-classifier" / "07-digits-classifier.py"
_CELLS = {cell.metadata["nbgrader"]["grade_id"]: strip_solution_markers(cell.source) + "\n"
          for cell in read_script(SCRIPT).cells
          if cell.metadata.get("nbgrader", {}).get("solution")}


def _variant(cell, *replacements):
    """The reference solution of `cell` with each (old, new) replaced; old must occur once."""
    source = _CELLS[cell]
    for old, new in replacements:
        if source.count(old) != 1:
            raise ValueError(f"{cell}: {old!r} occurs {source.count(old)} times in the reference")
        source = source.replace(old, new)
    return source


def _entry(name, cell, mistake, fails, *replacements):
    return {"name": name, "cell": cell, "mistake": mistake, "fails": fails,
            "source": _variant(cell, *replacements)}


def _tests(*exercises):
    return [f"test-{e}{suffix}" for e in exercises for suffix in ("", "-hidden")]


FIT = "test-fit-hidden"     # retrains the MLP and the CNN and scores them on the test set

WRONG_ANSWERS = [
    # --- init-linear ---------------------------------------------------------------------------
    _entry("init-std-one", "init-linear", "scale", _tests("init-linear"),
           ("* np.sqrt(2.0 / fan_in)", "")),
    _entry("init-lecun-for-relu", "init-linear", "scale", _tests("init-linear"),
           ("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")),
    _entry("init-fan-out", "init-linear", "swapped_inputs", ["test-init-linear-hidden"],
           ("np.sqrt(2.0 / fan_in)", "np.sqrt(2.0 / fan_out)")),

    # --- dropout-function ----------------------------------------------------------------------
    _entry("dropout-scaled-at-eval", "dropout-function", "scale", _tests("dropout-function"),
           ("        if not training or p == 0:\n            ctx.save_for_backward(None)\n"
            "            return x\n",
            "        if not training or p == 0:\n            ctx.save_for_backward(None)\n"
            "            return x * (1.0 - p)\n")),
    _entry("dropout-keeps-with-probability-p", "dropout-function", "unknown",
           _tests("dropout-function"),
           ("(rng.random(x.shape) >= p)", "(rng.random(x.shape) < p)")),
    _entry("dropout-new-mask-in-backward", "dropout-function", "unknown",
           _tests("dropout-function"),
           ("        ctx.save_for_backward(scaled_mask)\n",
            "        ctx.save_for_backward(scaled_mask)\n        ctx.p, ctx.rng = p, rng\n"),
           ("        dx = grad if scaled_mask is None else grad * scaled_mask\n",
            "        if scaled_mask is not None:\n"
            "            scaled_mask = (ctx.rng.random(grad.shape) >= ctx.p) / (1.0 - ctx.p)\n"
            "        dx = grad if scaled_mask is None else grad * scaled_mask\n")),
    _entry("dropout-global-random-state", "dropout-function", "unknown",
           _tests("dropout-function"),
           ("(rng.random(x.shape) >= p)", "(np.random.random(x.shape) >= p)")),

    # --- batchnorm-stepwise --------------------------------------------------------------------
    _entry("stepwise-no-variance-path", "batchnorm-stepwise", "partial",
           _tests("batchnorm-stepwise"),
           ("        d_xc = d_xc + 2 * xc * d_sq                       # 3. (second use of xc: add)\n",
            "")),
    _entry("stepwise-no-mean-path", "batchnorm-stepwise", "partial", _tests("batchnorm-stepwise"),
           ("        d_x = d_xc + d_mu / n ", "        d_x = d_xc ")),
    _entry("stepwise-fan-out-overwritten", "batchnorm-stepwise", "not_accumulated",
           _tests("batchnorm-stepwise"),
           ("        d_xc = d_xc + 2 * xc * d_sq ", "        d_xc = 2 * xc * d_sq ")),

    # --- batchnorm-function --------------------------------------------------------------------
    _entry("batchnorm-no-mean-or-variance-path", "batchnorm-function", "partial",
           _tests("batchnorm-function"),
           ("dx = inv_std * (g_hat - g_hat.mean(axis=0) - x_hat * (g_hat * x_hat).mean(axis=0))",
            "dx = inv_std * g_hat")),
    _entry("batchnorm-no-variance-path", "batchnorm-function", "partial",
           _tests("batchnorm-function"),
           ("dx = inv_std * (g_hat - g_hat.mean(axis=0) - x_hat * (g_hat * x_hat).mean(axis=0))",
            "dx = inv_std * (g_hat - g_hat.mean(axis=0))")),
    _entry("batchnorm-running-stats-rebound", "batchnorm-function", "unknown",
           _tests("batchnorm-function") + [FIT],
           ("            running_mean *= 1.0 - BN_MOMENTUM\n"
            "            running_mean += BN_MOMENTUM * mean\n"
            "            running_var *= 1.0 - BN_MOMENTUM\n"
            "            running_var += BN_MOMENTUM * var\n",
            "            running_mean = (1.0 - BN_MOMENTUM) * running_mean + BN_MOMENTUM * mean\n"
            "            running_var = (1.0 - BN_MOMENTUM) * running_var + BN_MOMENTUM * var\n")),
    _entry("batchnorm-momentum-flipped", "batchnorm-function", "unknown",
           _tests("batchnorm-function"),
           ("            running_mean *= 1.0 - BN_MOMENTUM\n"
            "            running_mean += BN_MOMENTUM * mean\n",
            "            running_mean *= BN_MOMENTUM\n"
            "            running_mean += (1.0 - BN_MOMENTUM) * mean\n"),
           ("            running_var *= 1.0 - BN_MOMENTUM\n"
            "            running_var += BN_MOMENTUM * var\n",
            "            running_var *= BN_MOMENTUM\n"
            "            running_var += (1.0 - BN_MOMENTUM) * var\n")),

    # --- conv2d-naive --------------------------------------------------------------------------
    _entry("conv-naive-flipped-filter", "conv2d-naive", "unknown", _tests("conv2d-naive"),
           ("np.sum(xp[n, :, i:i + kh, j:j + kw] * W[f])",
            "np.sum(xp[n, :, i:i + kh, j:j + kw] * W[f, :, ::-1, ::-1])"),
           ("dxp[n, :, i:i + kh, j:j + kw] += W[f] * grad[n, f, i, j]",
            "dxp[n, :, i:i + kh, j:j + kw] += W[f, :, ::-1, ::-1] * grad[n, f, i, j]"),
           ("dW[f] += xp[n, :, i:i + kh, j:j + kw] * grad[n, f, i, j]",
            "dW[f] += xp[n, :, i:i + kh, j:j + kw][:, ::-1, ::-1] * grad[n, f, i, j]")),
    _entry("conv-naive-dx-keeps-padding", "conv2d-naive", "shape", _tests("conv2d-naive"),
           ("        dx = dxp[:, :, p:xp.shape[2] - p, p:xp.shape[3] - p]\n", "        dx = dxp\n")),
    _entry("conv-naive-bias-summed-over-batch-only", "conv2d-naive", "unreduced_broadcast",
           _tests("conv2d-naive"),
           ("grad.sum(axis=(0, 2, 3))", "grad.sum(axis=0)")),

    # --- im2col --------------------------------------------------------------------------------
    _entry("col2im-overwrites-overlaps", "im2col", "not_accumulated",
           _tests("im2col", "conv2d-function"),
           ("dxp[:, :, a:a + h_out, d:d + w_out] += ", "dxp[:, :, a:a + h_out, d:d + w_out] = ")),
    _entry("im2col-columns-position-major", "im2col", "transpose",
           _tests("im2col") + ["test-conv2d-function-hidden"],
           ("    cols = np.empty((n, h_out, w_out, c, kh, kw))\n",
            "    cols = np.empty((n, h_out, w_out, kh, kw, c))\n"),
           ("            cols[:, :, :, :, a, d] = ", "            cols[:, :, :, a, d, :] = "),
           ("    windows = cols.reshape(n, h_out, w_out, c, kh, kw)\n",
            "    windows = cols.reshape(n, h_out, w_out, kh, kw, c).transpose(0, 1, 2, 5, 3, 4)\n")),
    _entry("col2im-keeps-padding", "im2col", "shape", _tests("im2col", "conv2d-function") + [FIT],
           ("return dxp[:, :, padding:padding + h, padding:padding + w]", "return dxp")),

    # --- conv2d-function -----------------------------------------------------------------------
    _entry("conv-dW-from-the-transposed-product", "conv2d-function", "transpose",
           _tests("conv2d-function") + [FIT],
           ("dW = (g.T @ cols).reshape(W.shape)", "dW = (cols.T @ g).reshape(W.shape)")),
    _entry("conv-col2im-without-the-padding", "conv2d-function", "shape",
           _tests("conv2d-function") + [FIT],
           ("col2im(g @ W.reshape(F, -1), ctx.x_shape, kh, kw, ctx.padding)",
            "col2im(g @ W.reshape(F, -1), ctx.x_shape, kh, kw, 0)")),
    _entry("conv-bias-gradient-averaged", "conv2d-function", "scale",
           _tests("conv2d-function"),
           ("return dx, dW, g.sum(axis=0), None", "return dx, dW, g.mean(axis=0), None")),

    # --- maxpool2d-naive -----------------------------------------------------------------------
    _entry("maxpool-naive-maximum-starts-at-zero", "maxpool2d-naive", "unknown",
           _tests("maxpool2d-naive"),
           ("out[k, ch, i, j] = x[k, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max()",
            "out[k, ch, i, j] = max(0.0, x[k, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max())")),
    _entry("maxpool-naive-routes-to-every-tie", "maxpool2d-naive", "unknown",
           _tests("maxpool2d-naive"),
           ("                        a, d = np.unravel_index(np.argmax(window), (2, 2))\n"
            "                        dx[k, ch, 2 * i + a, 2 * j + d] = grad[k, ch, i, j]\n",
            "                        dx[k, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = "
            "(window == window.max()) * grad[k, ch, i, j]\n")),
    _entry("maxpool-naive-spreads-over-the-window", "maxpool2d-naive", "unknown",
           _tests("maxpool2d-naive"),
           ("                        a, d = np.unravel_index(np.argmax(window), (2, 2))\n"
            "                        dx[k, ch, 2 * i + a, 2 * j + d] = grad[k, ch, i, j]\n",
            "                        dx[k, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = grad[k, ch, i, j] / 4\n")),

    # --- maxpool2d-function --------------------------------------------------------------------
    _entry("maxpool-mask-of-the-maxima", "maxpool2d-function", "unknown",
           _tests("maxpool2d-function"),
           ("        ctx.save_for_backward(winners)\n",
            "        ctx.save_for_backward(winners, windows)\n"),
           ("        (winners,) = ctx.saved_tensors\n",
            "        winners, windows = ctx.saved_tensors\n"),
           ("        np.put_along_axis(d_windows, winners, grad[..., None], axis=-1)\n",
            "        d_windows = (windows == windows.max(axis=-1, keepdims=True)) * grad[..., None]\n")),
    _entry("maxpool-windows-without-the-transpose", "maxpool2d-function", "transpose",
           _tests("maxpool2d-function"),
           ("windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)",
            "windows = x.reshape(n, c, h // 2, w // 2, 4)"),
           ("return d_windows.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)",
            "return d_windows.reshape(n, c, h, w)")),
    _entry("maxpool-argmax-without-its-axis", "maxpool2d-function", "shape",
           _tests("maxpool2d-function") + [FIT],
           ("winners = windows.argmax(axis=-1)[..., None]", "winners = windows.argmax(axis=-1)")),

    # --- module-system -------------------------------------------------------------------------
    _entry("layer-overwrites-grad", "module-system", "not_accumulated", _tests("module-system"),
           ("            param.grad += g\n", "            param.grad = g\n")),
    _entry("sequential-parameters-listed-twice", "module-system", "unknown",
           _tests("module-system"),
           ("                if id(param) not in seen:\n"
            "                    seen.add(id(param))\n"
            "                    found.append(param)\n",
            "                found.append(param)\n")),
    _entry("sequential-mode-not-propagated", "module-system", "unknown",
           _tests("module-system") + [FIT],
           ("        super().train(mode)\n        for layer in self.layers:\n"
            "            layer.train(mode)\n",
            "        super().train(mode)\n")),
    _entry("layer-single-gradient-indexed", "module-system", "shape",
           _tests("module-system", "model-gradient-check", "fit"),
           ("        if not isinstance(grads, tuple):\n            grads = (grads,)\n", "")),

    # --- sgd-momentum --------------------------------------------------------------------------
    _entry("momentum-velocity-sign", "sgd-momentum", "sign", _tests("sgd-momentum"),
           ("            velocity += param.grad\n            param.data -= self.lr * velocity\n",
            "            velocity -= param.grad\n            param.data -= self.lr * velocity\n")),
    _entry("momentum-dampened", "sgd-momentum", "scale", _tests("sgd-momentum"),
           ("            velocity += param.grad\n",
            "            velocity += (1 - self.momentum) * param.grad\n")),
    _entry("momentum-velocity-not-kept", "sgd-momentum", "not_accumulated", _tests("sgd-momentum"),
           ("            velocity *= self.momentum\n            velocity += param.grad\n",
            "            velocity = self.momentum * velocity + param.grad\n")),

    # --- adam ----------------------------------------------------------------------------------
    _entry("adam-no-bias-correction", "adam", "scale", _tests("adam"),
           ("            m_hat = m / (1 - beta1 ** self.t)\n            v_hat = v / (1 - beta2 ** self.t)\n",
            "            m_hat, v_hat = m, v\n")),
    _entry("adam-eps-inside-the-root", "adam", "unknown", _tests("adam"),
           ("(np.sqrt(v_hat) + self.eps)", "np.sqrt(v_hat + self.eps)")),
    _entry("adam-moments-shared", "adam", "shape", ["test-adam", "test-fit", FIT],
           ("        self.m = [np.zeros_like(p.data) for p in self.params]\n"
            "        self.v = [np.zeros_like(p.data) for p in self.params]\n",
            "        self.m = [np.zeros_like(self.params[0].data)] * len(self.params)\n"
            "        self.v = [np.zeros_like(self.params[0].data)] * len(self.params)\n")),

    # --- model-gradient-check ------------------------------------------------------------------
    _entry("gradient-check-divides-by-eps", "model-gradient-check", "scale",
           _tests("model-gradient-check"),
           ("numeric = (loss_plus - loss_minus) / (2 * eps)", "numeric = (loss_plus - loss_minus) / eps")),
    _entry("gradient-check-leaves-entries-perturbed", "model-gradient-check", "unknown",
           _tests("model-gradient-check"),
           ("            param.data.flat[k] = kept\n", "")),
    _entry("gradient-check-without-zero-grad", "model-gradient-check", "not_accumulated",
           ["test-model-gradient-check"],
           ("    zero_grad(params)\n", "")),

    # --- fit -----------------------------------------------------------------------------------
    _entry("fit-shuffles-once", "fit", "unknown", ["test-fit"],
           ("        order = shuffler.permutation(n)\n", ""),
           ("    for epoch in range(epochs):\n", "    order = shuffler.permutation(n)\n"
                                                "    for epoch in range(epochs):\n")),
    _entry("fit-restores-parameters-only", "fit", "partial", ["test-fit"],
           ("            best_state = [a.copy() for a in [p.data for p in params] + model.buffers()]\n"
            "    for array, saved in zip([p.data for p in params] + model.buffers(), best_state):\n",
            "            best_state = [p.data.copy() for p in params]\n"
            "    for array, saved in zip([p.data for p in params], best_state):\n")),
    _entry("fit-keeps-the-last-epoch", "fit", "unknown", ["test-fit"],
           ("    for array, saved in zip([p.data for p in params] + model.buffers(), best_state):\n"
            "        array[...] = saved\n", "")),
    _entry("fit-trains-in-eval-mode-after-epoch-one", "fit", "unknown", ["test-fit"],
           ("    for epoch in range(epochs):\n        model.train()\n",
            "    model.train()\n    for epoch in range(epochs):\n")),

    # --- update-ratio --------------------------------------------------------------------------
    _entry("update-ratio-inverted", "update-ratio", "swapped_inputs", _tests("update-ratio"),
           ("np.linalg.norm(after - before) / np.linalg.norm(before)",
            "np.linalg.norm(before) / np.linalg.norm(after - before)")),
    _entry("update-ratio-mean-of-ratios", "update-ratio", "unknown", _tests("update-ratio"),
           ("np.linalg.norm(after - before) / np.linalg.norm(before)",
            "np.mean(np.abs(after - before) / np.abs(before))")),
    _entry("update-ratio-of-the-weights", "update-ratio", "unknown", _tests("update-ratio"),
           ("np.linalg.norm(after - before) / np.linalg.norm(before)",
            "np.linalg.norm(after) / np.linalg.norm(before)")),
]
