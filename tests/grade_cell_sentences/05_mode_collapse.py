"""Notebook 05, sentence by sentence (issue 50); the layout is tests/grade_cell_sentences/01_binary_rnn.py's. The
held-out answers (benchmarks/heldout/05_mode_collapse.py), each written from one sentence, serve here (with the three
the text now judges otherwise, ``RECLASSIFIED``), and the sentences they left alone get mutants of their own."""

from _heldout import answers

ANSWERS = answers("05_mode_collapse")

_CLS, _HIST = "test_classifier_from_discriminator", "test_label_histogram"
_U_EXACT, _U_ALONE = "test_unrolled_g_step_exact", "test_unrolled_g_step_leaves_D_alone"
_S_EXACT, _S_ALONE = "test_unrolled_surrogate_exact", "test_unrolled_surrogate_leaves_D_alone"
_CONTRACT, _DIST = "test_augment_with_noise_contract", "test_augment_with_noise_distributions"
_CELL = {"classifier-": _CLS, "histogram-": _HIST,
         "unrolled-one-fake": _U_ALONE, "unrolled-returns": _U_ALONE, "unrolled-noise": _U_ALONE, "unrolled-": _U_EXACT,
         "surrogate-D-": _S_ALONE, "surrogate-": _S_EXACT,
         "noise-salt-and-pepper-amount": _DIST, "noise-gaussian-amount": _DIST, "noise-one-pattern": _DIST,
         "noise-poisson-without": _DIST, "noise-": _CONTRACT}


def _cell(name: str) -> str:
    return next(c for prefix, c in _CELL.items() if name.startswith(prefix))


# one unrolled step in the text's words, with a slot per sentence a mutant breaks
_UNROLLED = '''
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D_copy = {copy}
    opt = {opt}
    {zero_early}
    for _ in range({steps}):
        fake = G(torch.randn(len(real), z_dim, device=real.device)){detach}
        {zero_copy}bce_d_loss(D_copy(real), D_copy(fake)).backward()
        opt.step()
    {zero_late}
    loss = bce_g_loss(D_copy(G(torch.randn(len(real), z_dim, device=real.device))))
    loss.backward()
    opt_G.step(){again}
    return {ret}
'''


def _unrolled(copy="copy.deepcopy(D)", opt="torch.optim.SGD(D_copy.parameters(), lr=d_lr)", zero_early="",
              steps="k", detach=".detach()", zero_copy="opt.zero_grad(); ", zero_late="opt_G.zero_grad()", again="",
              ret="loss.item()"):
    return _UNROLLED.format(copy=copy, opt=opt, zero_early=zero_early, steps=steps, detach=detach,
                            zero_copy=zero_copy, zero_late=zero_late, again=again, ret=ret)


_SURROGATE = '''
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    params = {{n: p.detach().requires_grad_() for n, p in D.named_parameters()}}
    {shared}
    for _ in range({steps}):
        fake = {fake}
        loss = bce_d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,))){scale}
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {{n: p - d_lr * g for (n, p), g in zip(params.items(), grads)}}
    {zero}
    loss = bce_g_loss(functional_call(D, params, ({final},)))
    loss.backward()
    opt_G.step(){again}
    return {ret}
'''


def _surrogate(shared="", steps="k", fake="G(torch.randn(len(real), z_dim, device=real.device))", scale="",
               zero="opt_G.zero_grad()", final="G(torch.randn(len(real), z_dim, device=real.device))", again="",
               ret="loss.item()"):
    return _SURROGATE.format(shared=shared, steps=steps, fake=fake, scale=scale, zero=zero, final=final, again=again,
                             ret=ret)


_NOISE = '''
def augment_with_noise(images, kind, amount, generator=None):
    if kind == "gaussian":
        out = (images + amount * torch.randn(images.shape, generator=generator, dtype=images.dtype, device=images.device)){g_post}
    elif kind == "salt_and_pepper":
        u = torch.rand(images.shape, generator=generator, device=images.device)
        out = torch.where(u < amount / 2, -1.0, torch.where(u < amount, 1.0, {kept})).to(images.dtype)
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2{p_gen}) / amount - 1
    else:
        raise ValueError(kind)
    return {ret}
'''


def _noise(g_post="", kept="images", p_gen=", generator=generator", ret="out.clamp(-1, 1)"):
    return _NOISE.format(g_post=g_post, kept=kept, p_gen=p_gen, ret=ret)


_HISTOGRAM = '''
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    was = G.training
    {eval}
    counts = np.zeros(10, dtype=np.int64)
    {ctx}
        for start in range(0, n, 1000):
            z = torch.randn({batch}, {width}, device=next(G.parameters()).device)
            pred = classifier(G(z)).argmax(1).cpu().numpy()
            counts += {count}
    G.train(was)
    return {ret}
'''


def _histogram(eval="G.eval()", ctx="with torch.no_grad():", batch="min(1000, n - start)", width="z_dim",
               count="np.bincount(pred, minlength=10)", ret="counts"):
    return _HISTOGRAM.format(eval=eval, ctx=ctx if ctx else "if True:", batch=batch, width=width, count=count, ret=ret)


SENTENCES = [(name, note, _cell(name), code) for kind, name, note, code in ANSWERS if kind == "wrong"] + [
    ("classifier-always-ten-classes", "replaced by a new nn.Linear with num_classes outputs", _CLS, '''
def classifier_from_discriminator(D, num_classes=10):
    clf = copy.deepcopy(D)
    clf[-1] = nn.Linear(clf[-1].in_features, 10)
    return clf
'''),
    ("classifier-D-itself", "a copy of D (copy.deepcopy); training it must not change D", _CLS, '''
def classifier_from_discriminator(D, num_classes=10):
    D[-1] = nn.Linear(D[-1].in_features, num_classes)
    return D
'''),
    ("histogram-with-gradients", "Sample ... without gradients", _HIST, _histogram(ctx="")),
    ("histogram-in-training-mode", "Sample in evaluation mode", _HIST, _histogram(eval="")),
    ("histogram-global-noise-width", "noise torch.randn(., z_dim)", _HIST, _histogram(width="Z_DIM")),
    ("histogram-batches-of-1000-always", "draw n samples from G", _HIST, _histogram(batch="1000")),
    ("histogram-bincount-without-minlength", "a NumPy integer array of length 10 (classes never predicted count 0)",
     _HIST, '''
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    was = G.training
    G.eval()
    with torch.no_grad():
        pred = classifier(G(torch.randn(n, z_dim, device=next(G.parameters()).device))).argmax(1)
    G.train(was)
    return np.bincount(pred.cpu().numpy())
'''),
    ("histogram-returns-a-list", "counts as a NumPy integer array", _HIST, _histogram(ret="counts.tolist()")),
    ("unrolled-adam-copy", "plain SGD (learning rate d_lr)", _U_EXACT,
     _unrolled(opt="torch.optim.Adam(D_copy.parameters(), lr=d_lr)")),
    ("unrolled-one-step-short", "train the copy for k steps", _U_EXACT, _unrolled(steps="max(k - 1, 0)")),
    ("unrolled-copy-gradients-pile-up", "k steps of plain SGD (each step its own gradient)", _U_EXACT,
     _unrolled(zero_copy="")),
    ("unrolled-undetached-fakes-gradients-leak", "fakes G(z).detach()", _U_EXACT,
     _unrolled(detach="", zero_early="opt_G.zero_grad()", zero_late="")),
    ("unrolled-two-g-steps", "update G once with opt_G", _U_EXACT, _unrolled(again="; opt_G.step()")),
    ("unrolled-trains-D-itself", "The original D must be untouched by this step", _U_ALONE, _unrolled(copy="D")),
    ("unrolled-no-zero-grad-for-G", "update G once (its gradient of this step)", _U_EXACT, _unrolled(zero_late="")),
    ("unrolled-loss-after-the-step", "return that generator loss", _U_EXACT,
     _unrolled(ret="bce_g_loss(D_copy(G(torch.randn(len(real), z_dim, device=real.device)))).item()")),
    ("surrogate-always-one-step", "With k = 0 this is one ordinary generator step", _S_EXACT,
     _surrogate(steps="max(k, 1)")),
    ("surrogate-returns-the-tensor", "return that loss as a Python float", _S_EXACT, _surrogate(ret="loss.detach()")),
    ("surrogate-one-fake-batch", "fakes G(z) from fresh noise ... k times; fresh fakes for the generator loss",
     _S_ALONE, _surrogate(shared="z = torch.randn(len(real), z_dim, device=real.device)", fake="G(z)", final="G(z)")),
    ("surrogate-two-g-steps", "one step of opt_G", _S_EXACT, _surrogate(again="; opt_G.step()")),
    ("surrogate-no-zero-grad", "one step of opt_G (with this step's gradient)", _S_EXACT, _surrogate(zero="")),
    ("surrogate-summed-loss", "the BCE discriminator loss (means over the batch)", _S_EXACT,
     _surrogate(scale=" * len(real)")),
    ("noise-not-clamped", "clamped to [-1, 1]", _CONTRACT, _noise(ret="out")),
    ("noise-gaussian-detached", "The Gaussian kind must let gradients through to images", _CONTRACT,
     _noise(g_post=".detach()")),
    ("noise-poisson-ignores-generator", "Draw all randomness from generator when one is given", _CONTRACT,
     _noise(p_gen="")),
    ("noise-salt-and-pepper-dims-the-rest", "otherwise it keeps its value", _DIST, _noise(kept="0.9 * images")),
]

ALTERNATIVES = [(name, note, code) for kind, name, note, code in ANSWERS if kind == "correct"] + [
    ("classifier-del-and-append", "Sequential editing instead of item assignment", '''
def classifier_from_discriminator(D, num_classes=10):
    clf = copy.deepcopy(D)
    width = clf[-1].in_features
    del clf[-1]
    clf.append(nn.Linear(width, num_classes))
    return clf
'''),
    ("histogram-torch-distributions-normal", "torch.distributions.Normal on G's device for the noise", '''
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    dev = next(G.parameters()).device
    normal = torch.distributions.Normal(torch.tensor(0.0, device=dev), torch.tensor(1.0, device=dev))
    was = G.training
    G.eval()
    with torch.no_grad():
        labels = classifier(G(normal.sample((n, z_dim)))).argmax(dim=-1)
    G.train(was)
    return np.bincount(labels.cpu().numpy(), minlength=10).astype(np.int32)
'''),
    ("unrolled-functional-copy", "the copy as a dict of detached tensors, plain SGD by hand (same computation)", '''
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    from torch.func import functional_call
    w = {n: p.detach().clone().requires_grad_() for n, p in D.named_parameters()}
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)).detach()
        loss = F.softplus(-functional_call(D, w, (real,))).mean() + F.softplus(functional_call(D, w, (fake,))).mean()
        grads = torch.autograd.grad(loss, list(w.values()))
        w = {n: (p - d_lr * g).detach().requires_grad_() for (n, p), g in zip(w.items(), grads)}
    fixed = {n: p.detach() for n, p in w.items()}
    opt_G.zero_grad()
    loss = F.softplus(-functional_call(D, fixed, (G(torch.randn(len(real), z_dim, device=real.device)),))).mean()
    loss.backward()
    opt_G.step()
    return float(loss)
'''),
    ("surrogate-float64-reference-style", "float64 arithmetic inside, explicit zip of names and tensors", '''
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    names, tensors = zip(*[(n, p.detach().double().requires_grad_()) for n, p in D.named_parameters()])
    call = lambda x: functional_call(D, dict(zip(names, tensors)), (x.double(),))
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device))
        loss = bce_d_loss(call(real), call(fake))
        tensors = tuple(t - d_lr * g for t, g in zip(tensors, torch.autograd.grad(loss, tensors, create_graph=True)))
    opt_G.zero_grad()
    loss = bce_g_loss(call(G(torch.randn(len(real), z_dim, device=real.device))))
    loss.backward()
    opt_G.step()
    return loss.item()
'''),
]

ALTERNATIVES.append(("surrogate-torch-func-grad", "torch.func.grad for the unrolled updates instead of torch.autograd.grad", '''
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    from torch.func import grad, functional_call
    params = {n: p.detach() for n, p in D.named_parameters()}
    def d_loss_of(params, fake):
        return bce_d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device))
        grads = grad(d_loss_of)(params, fake)
        params = {n: params[n] - d_lr * grads[n] for n in params}
    opt_G.zero_grad()
    loss = bce_g_loss(functional_call(D, params, (G(torch.randn(len(real), z_dim, device=real.device)),)))
    loss.backward()
    opt_G.step()
    return loss.item()
'''))

UNTESTED = [
    ("in batches of at most 1000 if you like", "a permission: one batch and batches of 500 are among the alternatives"),
    ("the predicted class is the argmax of its logits (which classifier mode)", "the text fixes G's mode only"),
    ("Training is not graded", "the training runs read the functions; the tests check them on small inputs"),
    ("Part 6, the written answers", "graded by hand in the formgrader"),
]
