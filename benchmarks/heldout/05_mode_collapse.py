"""Held-out answers for notebook 05, written on 2026-12-07 from the notebook's text alone (a colleague's style, not
the solution's), before its grade cells were changed for issue 50. See benchmarks/heldout/01_binary_rnn.py.

Three answers are judged by the text as it stood when they were written ("before"): drawing Gaussian noise with
``torch.normal(images, amount)`` (no gradient reaches the images) and noise built on the CPU whatever the device of the
images or the data (Parts 3 and 5) broke nothing the text then said, so they are ``correct`` here; the hidden tests
already demanded two of them. Two answers were relabelled, before any grading change, on reading the text again (their
notes say why)."""

ANSWERS = [
    # ---------------------------------------------------------------- correct, written another way
    ("correct", "classifier-rebuilt-sequential", "Part 1", """
def classifier_from_discriminator(D, num_classes=10):
    body = copy.deepcopy(D)
    layers = list(body.children())
    return nn.Sequential(*layers[:-1], nn.Linear(layers[-1].in_features, num_classes))
"""),
    ("correct", "classifier-head-from-weight-shape", "Part 1", """
def classifier_from_discriminator(D, num_classes=10):
    clf = copy.deepcopy(D)
    last = len(clf) - 1
    width = clf[last].weight.shape[1]
    clf[last] = nn.Linear(width, num_classes, device=clf[last].weight.device)
    return clf
"""),
    ("correct", "histogram-torch-bincount-and-batches-of-500", "Part 2", """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    dev = next(G.parameters()).device
    mode = G.training
    G.eval()
    preds = []
    with torch.no_grad():
        left = n
        while left > 0:
            b = min(500, left)
            preds.append(classifier(G(torch.randn(b, z_dim, device=dev))).argmax(-1).cpu())
            left -= b
    G.train(mode)
    return torch.bincount(torch.cat(preds), minlength=10).numpy()
"""),
    ("correct", "histogram-one-batch-inference-mode-np-unique", "Part 2", """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    was = G.training
    G.train(False)
    try:
        with torch.inference_mode():
            z = torch.randn(n, z_dim, device=next(G.parameters()).device)
            labels = classifier(G(z)).argmax(dim=1).cpu().numpy()
    finally:
        G.train(was)
    out = np.zeros(10, dtype=int)
    vals, cnt = np.unique(labels, return_counts=True)
    out[vals] = cnt
    return out
"""),
    ("correct", "unrolled-manual-sgd-and-sigmoid-bce", "Part 3", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    Dc = copy.deepcopy(D)
    for _ in range(k):
        fake = G(torch.randn(real.size(0), z_dim, device=real.device)).detach()
        p_real, p_fake = torch.sigmoid(Dc(real)), torch.sigmoid(Dc(fake))
        loss = F.binary_cross_entropy(p_real, torch.ones_like(p_real)) + F.binary_cross_entropy(p_fake, torch.zeros_like(p_fake))
        Dc.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in Dc.parameters():
                p.add_(p.grad, alpha=-d_lr)
    opt_G.zero_grad()
    logits = Dc(G(torch.randn(real.size(0), z_dim, device=real.device)))
    g = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    g.backward()
    opt_G.step()
    return float(g)
"""),
    ("correct", "unrolled-undetached-fakes-zero-grad-late", "Part 3", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    # the fakes are not detached, but G's gradients are cleared before its own step, so nothing leaks
    D_copy = copy.deepcopy(D)
    sgd = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
    for step in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device))
        sgd.zero_grad()
        (F.softplus(-D_copy(real)).mean() + F.softplus(D_copy(fake)).mean()).backward()
        sgd.step()
    opt_G.zero_grad()
    loss = F.softplus(-D_copy(G(torch.randn(len(real), z_dim, device=real.device)))).mean()
    loss.backward()
    opt_G.step()
    return loss.item()
"""),
    ("correct", "surrogate-list-of-tensors", "Part 4", """
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    names = [n for n, _ in D.named_parameters()]
    ws = [p.detach().clone().requires_grad_(True) for _, p in D.named_parameters()]
    call = lambda x: torch.func.functional_call(D, dict(zip(names, ws)), (x,))
    for _ in range(k):
        fake = G(torch.randn(real.shape[0], z_dim, device=real.device))
        loss = F.softplus(-call(real)).mean() + F.softplus(call(fake)).mean()
        gs = torch.autograd.grad(loss, ws, create_graph=True)
        ws = [w - d_lr * g for w, g in zip(ws, gs)]
    loss_g = F.softplus(-call(G(torch.randn(real.shape[0], z_dim, device=real.device)))).mean()
    opt_G.zero_grad()
    loss_g.backward()
    opt_G.step()
    return loss_g.item()
"""),
    ("correct", "surrogate-on-a-deepcopy-with-bce-helpers", "Part 4", """
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    Dc = copy.deepcopy(D)
    params = {n: p.detach().requires_grad_() for n, p in Dc.named_parameters()}
    for _ in range(k):
        z = torch.randn(len(real), z_dim, device=real.device)
        loss = bce_d_loss(functional_call(Dc, params, (real,)), functional_call(Dc, params, (G(z),)))
        grads = torch.autograd.grad(loss, tuple(params.values()), create_graph=True)
        params = {n: p - d_lr * g for (n, p), g in zip(params.items(), grads)}
    opt_G.zero_grad(set_to_none=True)
    loss = bce_g_loss(functional_call(Dc, params, (G(torch.randn(len(real), z_dim, device=real.device)),)))
    loss.backward()
    opt_G.step()
    return float(loss.detach())
"""),
    ("correct", "noise-bernoulli-masks-and-normal-inplace", "Part 5", """
def augment_with_noise(images, kind, amount, generator=None):
    kw = dict(generator=generator, device=images.device)
    if kind == "gaussian":
        noise = torch.empty(images.shape, dtype=images.dtype, device=images.device).normal_(0.0, amount, generator=generator)
        out = images + noise
    elif kind == "salt_and_pepper":
        hit = torch.bernoulli(torch.full(images.shape, float(amount), device=images.device), generator=generator).bool()
        salt = torch.bernoulli(torch.full(images.shape, 0.5, device=images.device), generator=generator).bool()
        out = images.clone()
        out[hit & salt] = 1.0
        out[hit & ~salt] = -1.0
    elif kind == "poisson":
        lam = amount * (images + 1) / 2
        out = torch.poisson(lam, generator=generator) * (2.0 / amount) - 1.0
    else:
        raise ValueError("unknown kind " + repr(kind))
    return torch.clamp(out, -1.0, 1.0)
"""),
    ("correct", "noise-float64-inside-one-uniform-for-sp", "Part 5", """
def augment_with_noise(images, kind, amount, generator=None):
    x = images.double()
    if kind == "gaussian":
        y = x + amount * torch.randn(x.shape, generator=generator, dtype=torch.float64, device=x.device)
    elif kind == "salt_and_pepper":
        u = torch.rand(x.shape, generator=generator, dtype=torch.float64, device=x.device)
        y = x.masked_fill(u < amount / 2, -1.0).masked_fill(u > 1 - amount / 2, 1.0)
    elif kind == "poisson":
        y = 2 * torch.poisson((x + 1) / 2 * amount, generator=generator) / amount - 1
    else:
        raise ValueError(kind)
    return y.clamp(-1, 1).to(images.dtype)
"""),
    ("correct", "noise-torch-normal-of-the-images", "Part 5 (torch.normal: no gradient reaches the images; the text did not ask for one)", """
def augment_with_noise(images, kind, amount, generator=None):
    if kind == "gaussian":
        out = torch.normal(images, float(amount), generator=generator) if amount > 0 else images.clone()
    elif kind == "salt_and_pepper":
        u = torch.rand(images.shape, generator=generator, device=images.device)
        out = torch.where(u < amount / 2, torch.full_like(images, -1), images)
        out = torch.where((u >= amount / 2) & (u < amount), torch.ones_like(images), out)
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1
    else:
        raise ValueError(f"unknown noise {kind}")
    return out.clamp(-1, 1)
"""),
    ("correct", "noise-on-the-cpu", "Part 5 (noise built on the CPU: the text did not say on which device)", """
def augment_with_noise(images, kind, amount, generator=None):
    shape = tuple(images.shape)
    if kind == "gaussian":
        out = images + amount * torch.randn(shape, generator=generator)
    elif kind == "salt_and_pepper":
        u = torch.rand(shape, generator=generator)
        out = images.clone()
        out[u < amount / 2] = -1
        out[(u >= amount / 2) & (u < amount)] = 1
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1
    else:
        raise ValueError(kind)
    return out.clamp(-1, 1)
"""),
    # ---------------------------------------------------------------- wrong: each breaks one sentence
    ("wrong", "classifier-fresh-discriminator", "Everything but the head starts from the discriminator's trained weights", """
def classifier_from_discriminator(D, num_classes=10):
    clf = make_discriminator()
    clf[-1] = nn.Linear(128, num_classes)
    return clf
"""),
    ("wrong", "classifier-head-stacked-on-the-one-unit-output", "whose last module, the one-unit output layer, is replaced", """
def classifier_from_discriminator(D, num_classes=10):
    return nn.Sequential(copy.deepcopy(D), nn.Linear(1, num_classes))
"""),
    ("wrong", "classifier-softmax-probabilities", "maps images to class logits", """
def classifier_from_discriminator(D, num_classes=10):
    clf = copy.deepcopy(D)
    clf[-1] = nn.Linear(clf[-1].in_features, num_classes)
    return nn.Sequential(*clf, nn.Softmax(dim=1))
"""),
    ("wrong", "classifier-frozen-body", "below we fine-tune the whole network on the labelled training images", """
def classifier_from_discriminator(D, num_classes=10):
    clf = copy.deepcopy(D)
    for p in clf.parameters():
        p.requires_grad_(False)   # keep the discriminator's features, train the head only
    clf[-1] = nn.Linear(clf[-1].in_features, num_classes)
    return clf
"""),
    ("wrong", "classifier-shallow-copy", "a copy of D (copy.deepcopy); training it must not change D", """
def classifier_from_discriminator(D, num_classes=10):
    clf = nn.Sequential(*list(D.children())[:-1], nn.Linear(128, num_classes))
    return clf
"""),
    ("wrong", "classifier-reinitialised-body", "Everything but the head starts from the discriminator's trained weights", """
def classifier_from_discriminator(D, num_classes=10):
    clf = copy.deepcopy(D)
    for m in clf.modules():
        if isinstance(m, nn.Linear):
            m.reset_parameters()
    clf[-1] = nn.Linear(clf[-1].in_features, num_classes)
    return clf
"""),
    ("wrong", "histogram-uniform-noise", "noise torch.randn(., z_dim)", """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    dev = next(G.parameters()).device
    was = G.training
    G.eval()
    with torch.no_grad():
        preds = classifier(G(torch.rand(n, z_dim, device=dev) * 2 - 1)).argmax(1)
    G.train(was)
    return np.bincount(preds.cpu().numpy(), minlength=10)
"""),
    ("wrong", "histogram-noise-on-the-cpu", "noise torch.randn(., z_dim) on G's device", """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    was = G.training
    G.eval()
    with torch.no_grad():
        preds = classifier(G(torch.randn(n, z_dim))).argmax(1)
    G.train(was)
    return np.bincount(preds.cpu().numpy(), minlength=10)
"""),
    ("wrong", "histogram-soft-counts", "the predicted class is the argmax of its logits; counts as an integer array", """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    was = G.training
    G.eval()
    with torch.no_grad():
        probs = F.softmax(classifier(G(torch.randn(n, z_dim, device=next(G.parameters()).device))), dim=1)
    G.train(was)
    return probs.sum(0).round().cpu().numpy()
"""),
    ("wrong", "histogram-left-in-training-mode", "put G back into the mode it was in", """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    G.eval()
    with torch.no_grad():
        preds = classifier(G(torch.randn(n, z_dim, device=next(G.parameters()).device))).argmax(1)
    G.train()
    return np.bincount(preds.cpu().numpy(), minlength=10)
"""),
    ("wrong", "histogram-np-histogram-auto-range", "classes never predicted count 0", """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    was = G.training
    G.eval()
    with torch.no_grad():
        preds = classifier(G(torch.randn(n, z_dim, device=next(G.parameters()).device))).argmax(1).cpu().numpy()
    G.train(was)
    return np.histogram(preds, bins=10)[0]
"""),
    ("wrong", "histogram-logits-argmin", "the predicted class is the argmax of its logits", """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    was = G.training
    G.eval()
    with torch.no_grad():
        # the classifier's outputs read as distances: the closest class wins
        preds = classifier(G(torch.randn(n, z_dim, device=next(G.parameters()).device))).argmin(1)
    G.train(was)
    return np.bincount(preds.cpu().numpy(), minlength=10)
"""),
    ("wrong", "unrolled-sgd-with-momentum", "plain SGD (learning rate d_lr)", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D_copy = copy.deepcopy(D)
    opt = torch.optim.SGD(D_copy.parameters(), lr=d_lr, momentum=0.9)
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)).detach()
        opt.zero_grad(); bce_d_loss(D_copy(real), D_copy(fake)).backward(); opt.step()
    opt_G.zero_grad()
    loss = bce_g_loss(D_copy(G(torch.randn(len(real), z_dim, device=real.device))))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "unrolled-summed-bce", "each term a mean over the batch", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D_copy = copy.deepcopy(D)
    opt = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)).detach()
        r, f = D_copy(real), D_copy(fake)
        loss = (F.binary_cross_entropy_with_logits(r, torch.ones_like(r), reduction="sum")
                + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction="sum"))
        opt.zero_grad(); loss.backward(); opt.step()
    opt_G.zero_grad()
    loss = bce_g_loss(D_copy(G(torch.randn(len(real), z_dim, device=real.device))))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "unrolled-one-fake-batch-for-all-steps", "fakes from fresh noise each step", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D_copy = copy.deepcopy(D)
    opt = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
    z = torch.randn(len(real), z_dim, device=real.device)
    for _ in range(k):
        opt.zero_grad(); bce_d_loss(D_copy(real), D_copy(G(z).detach())).backward(); opt.step()
    opt_G.zero_grad()
    loss = bce_g_loss(D_copy(G(z)))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "unrolled-g-against-the-original-D", "update G once with opt_G against the copy", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D_copy = copy.deepcopy(D)
    opt = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)).detach()
        opt.zero_grad(); bce_d_loss(D_copy(real), D_copy(fake)).backward(); opt.step()
    opt_G.zero_grad()
    loss = bce_g_loss(D(G(torch.randn(len(real), z_dim, device=real.device))))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "unrolled-saturating-loss", "the non-saturating loss BCE(D_copy(G(z)), 1)", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D_copy = copy.deepcopy(D)
    opt = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)).detach()
        opt.zero_grad(); bce_d_loss(D_copy(real), D_copy(fake)).backward(); opt.step()
    opt_G.zero_grad()
    logits = D_copy(G(torch.randn(len(real), z_dim, device=real.device)))
    loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "unrolled-returns-the-tensor", "return that generator loss as a Python float", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D_copy = copy.deepcopy(D)
    opt = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)).detach()
        opt.zero_grad(); bce_d_loss(D_copy(real), D_copy(fake)).backward(); opt.step()
    opt_G.zero_grad()
    loss = bce_g_loss(D_copy(G(torch.randn(len(real), z_dim, device=real.device))))
    loss.backward(); opt_G.step()
    return loss.detach()
"""),
    ("correct", "unrolled-noise-on-the-cpu", "Part 3 (noise built on the CPU: the text did not say on which device; written as wrong, relabelled on reading the text again)", """
def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D_copy = copy.deepcopy(D)
    opt = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim)).detach()
        opt.zero_grad(); bce_d_loss(D_copy(real), D_copy(fake)).backward(); opt.step()
    opt_G.zero_grad()
    loss = bce_g_loss(D_copy(G(torch.randn(len(real), z_dim))))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "surrogate-without-create-graph", "the updates keep their graph (create_graph=True)", """
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    params = {n: p.detach().requires_grad_() for n, p in D.named_parameters()}
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device))
        loss = bce_d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
        grads = torch.autograd.grad(loss, list(params.values()))
        params = {n: p - d_lr * g for (n, p), g in zip(params.items(), grads)}
    opt_G.zero_grad()
    loss = bce_g_loss(functional_call(D, params, (G(torch.randn(len(real), z_dim, device=real.device)),)))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "surrogate-detached-fakes", "fakes G(z) ... not detached", """
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    params = {n: p.detach().requires_grad_() for n, p in D.named_parameters()}
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)).detach()
        loss = bce_d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {n: p - d_lr * g for (n, p), g in zip(params.items(), grads)}
    opt_G.zero_grad()
    loss = bce_g_loss(functional_call(D, params, (G(torch.randn(len(real), z_dim, device=real.device)),)))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "surrogate-D-parameters-not-detached", "D's own parameters must stay unchanged and receive no gradients", """
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    params = dict(D.named_parameters())
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device))
        loss = bce_d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {n: p - d_lr * g for (n, p), g in zip(params.items(), grads)}
    opt_G.zero_grad()
    loss = bce_g_loss(functional_call(D, params, (G(torch.randn(len(real), z_dim, device=real.device)),)))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("correct", "surrogate-g-loss-on-the-last-unrolled-fakes", "Part 4 (written as wrong; read again, the generator's fakes are drawn after the last update and no discriminator step used them: fresh, so correct)", """
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    params = {n: p.detach().requires_grad_() for n, p in D.named_parameters()}
    fake = G(torch.randn(len(real), z_dim, device=real.device))
    for _ in range(k):
        loss = bce_d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {n: p - d_lr * g for (n, p), g in zip(params.items(), grads)}
        fake = G(torch.randn(len(real), z_dim, device=real.device))
    opt_G.zero_grad()
    loss = bce_g_loss(functional_call(D, params, (fake,)))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "surrogate-gradient-ascent-update", "the plain SGD update params = p - d_lr * g", """
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    params = {n: p.detach().requires_grad_() for n, p in D.named_parameters()}
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device))
        loss = bce_d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {n: p + d_lr * g for (n, p), g in zip(params.items(), grads)}
    opt_G.zero_grad()
    loss = bce_g_loss(functional_call(D, params, (G(torch.randn(len(real), z_dim, device=real.device)),)))
    loss.backward(); opt_G.step()
    return loss.item()
"""),
    ("wrong", "noise-salt-and-pepper-amount-each", "-1 with probability amount / 2 and +1 with probability amount / 2", """
def augment_with_noise(images, kind, amount, generator=None):
    if kind == "gaussian":
        out = images + amount * torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    elif kind == "salt_and_pepper":
        u = torch.rand(images.shape, generator=generator, device=images.device)
        out = torch.where(u < amount, -torch.ones_like(images), images)
        out = torch.where(u > 1 - amount, torch.ones_like(images), out)
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1
    else:
        raise ValueError(kind)
    return out.clamp(-1, 1)
"""),
    ("wrong", "noise-gaussian-amount-as-variance", "adds N(0, amount^2) per pixel", """
def augment_with_noise(images, kind, amount, generator=None):
    if kind == "gaussian":
        out = images + amount ** 0.5 * torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    elif kind == "salt_and_pepper":
        u = torch.rand(images.shape, generator=generator, device=images.device)
        out = torch.where(u < amount / 2, -1.0, torch.where(u < amount, 1.0, images))
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1
    else:
        raise ValueError(kind)
    return out.clamp(-1, 1)
"""),
    ("wrong", "noise-one-pattern-for-the-whole-batch", "independent noise to every pixel", """
def augment_with_noise(images, kind, amount, generator=None):
    one = tuple(images.shape[1:])   # one noise image, added to every image of the batch
    if kind == "gaussian":
        out = images + amount * torch.randn(one, generator=generator, device=images.device, dtype=images.dtype)
    elif kind == "salt_and_pepper":
        u = torch.rand(one, generator=generator, device=images.device).expand_as(images)
        out = torch.where(u < amount / 2, -1.0, torch.where(u < amount, 1.0, images))
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1
    else:
        raise ValueError(kind)
    return out.clamp(-1, 1)
"""),
    ("wrong", "noise-always-float32", "same shape and dtype", """
def augment_with_noise(images, kind, amount, generator=None):
    x = images.float()
    if kind == "gaussian":
        out = x + amount * torch.randn(x.shape, generator=generator, device=x.device)
    elif kind == "salt_and_pepper":
        u = torch.rand(x.shape, generator=generator, device=x.device)
        out = torch.where(u < amount / 2, -1.0, torch.where(u < amount, 1.0, x))
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (x + 1) / 2, generator=generator) / amount - 1
    else:
        raise ValueError(kind)
    return out.clamp(-1, 1)
"""),
    ("wrong", "noise-in-place", "the input is left unchanged", """
def augment_with_noise(images, kind, amount, generator=None):
    if kind == "gaussian":
        images += amount * torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    elif kind == "salt_and_pepper":
        u = torch.rand(images.shape, generator=generator, device=images.device)
        images[u < amount / 2] = -1
        images[(u >= amount / 2) & (u < amount)] = 1
    elif kind == "poisson":
        images.copy_(2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1)
    else:
        raise ValueError(kind)
    return images.clamp_(-1, 1)
"""),
    ("wrong", "noise-poisson-without-the-shift", "x' = 2 Poisson(amount p) / amount - 1", """
def augment_with_noise(images, kind, amount, generator=None):
    if kind == "gaussian":
        out = images + amount * torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    elif kind == "salt_and_pepper":
        u = torch.rand(images.shape, generator=generator, device=images.device)
        out = torch.where(u < amount / 2, -1.0, torch.where(u < amount, 1.0, images))
    elif kind == "poisson":
        out = torch.poisson(amount * (images + 1) / 2, generator=generator) / amount * 2 - images.abs().mean()
    else:
        raise ValueError(kind)
    return out.clamp(-1, 1)
"""),
    ("wrong", "noise-unknown-kind-falls-back-to-gaussian", "anything else raises ValueError", """
def augment_with_noise(images, kind, amount, generator=None):
    if kind == "salt_and_pepper":
        u = torch.rand(images.shape, generator=generator, device=images.device)
        out = torch.where(u < amount / 2, -1.0, torch.where(u < amount, 1.0, images))
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1
    else:
        out = images + amount * torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    return out.clamp(-1, 1)
"""),
    ("wrong", "noise-salt-and-pepper-ignores-generator", "Draw all randomness from generator when one is given", """
def augment_with_noise(images, kind, amount, generator=None):
    if kind == "gaussian":
        out = images + amount * torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    elif kind == "salt_and_pepper":
        u = torch.rand_like(images)
        out = torch.where(u < amount / 2, -1.0, torch.where(u < amount, 1.0, images))
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1
    else:
        raise ValueError(kind)
    return out.clamp(-1, 1)
"""),
]

# The text now states what three "correct" answers above broke (a requirement the hidden tests already demanded, or
# that the notebook's GPU run needs): judged against the text as it is now, they are wrong. The "before" report used
# the labels above; the "after" report uses these.
RECLASSIFIED = {
    "noise-torch-normal-of-the-images": ("wrong", "The Gaussian kind must let gradients through to images ... "
                                                  "torch.normal(images, amount) passes no gradient"),
    "noise-on-the-cpu": ("wrong", "same shape, dtype and device ... Draw all randomness ... on the images' device"),
    "unrolled-noise-on-the-cpu": ("wrong", "fresh noise torch.randn(len(real), z_dim) each step, on the device of real"),
}
