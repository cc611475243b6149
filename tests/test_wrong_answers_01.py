"""Lesson 01: plausible wrong answers, each caught by the first failing case with a hint naming the mistake."""
import numpy as np
from wrong_answers import wrong_answer_tests


def reconstruction_loss(f, g, x):
    return ((g(f(x)) - x) ** 2).mean()


def pca_reconstruct(x_train, x, k, *, centre_with=None, add_back=True, rows=True, extra=0, fit_on=None):
    fit = x_train if fit_on is None else fit_on
    mu = fit.mean(axis=0) if centre_with is None else centre_with(x_train, x)
    vt = np.linalg.svd(fit - fit.mean(axis=0), full_matrices=False)[2]
    top = vt[:k + extra] if rows else vt[:, :k].T
    return (mu if add_back else 0) + (x - mu) @ top.T @ top


def principal_angles(a, b, *, qr=True, degrees=True, clip=True, reverse=False, arc=np.arccos, mode="reduced"):
    qa, qb = (np.linalg.qr(a, mode=mode)[0], np.linalg.qr(b, mode=mode)[0]) if qr else (a, b)
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    angles = arc(np.clip(cosines, -1.0, 1.0) if clip else cosines)
    angles = np.degrees(angles) if degrees else angles
    return angles[::-1] if reverse else angles


def training_step(model, optimizer, x, *, zero=True, step=True, item=True, reduce="mean", after=False,
                  zero_late=False):
    loss = getattr((model(x) - x) ** 2, reduce)()
    if zero:
        optimizer.zero_grad()
    loss.backward()
    if zero_late:
        optimizer.zero_grad()
    if step:
        optimizer.step()
    if after:
        loss = ((model(x) - x) ** 2).mean()
    return loss.item() if item else loss


REFERENCE = {"01.reconstruction_loss": reconstruction_loss, "01.pca_reconstruct": pca_reconstruct,
             "01.principal_angles": principal_angles, "01.training_step": training_step}

WRONG = [
    # 01.reconstruction_loss
    ("01.reconstruction_loss", "decodes before encoding", lambda f, g, x: ((f(g(x)) - x) ** 2).mean(),
     "mean squared error", "encode with f first"),
    ("01.reconstruction_loss", "sums", lambda f, g, x: ((g(f(x)) - x) ** 2).sum(), "mean squared error",
     "you summed the squared errors"),
    ("01.reconstruction_loss", "sums over features", lambda f, g, x: ((g(f(x)) - x) ** 2).sum(1).mean(),
     "mean squared error", "summed over the features"),
    ("01.reconstruction_loss", "per-item losses", lambda f, g, x: ((g(f(x)) - x) ** 2).mean(1),
     "identity encoder", "AND features"),
    ("01.reconstruction_loss", "absolute error", lambda f, g, x: (g(f(x)) - x).abs().mean(),
     "mean squared error", "ABSOLUTE"),
    ("01.reconstruction_loss", "a float", lambda f, g, x: ((g(f(x)) - x) ** 2).mean().item(),
     "returns a scalar tensor", "no float() or .item()"),
    ("01.reconstruction_loss", "detaches the code", lambda f, g, x: ((g(f(x).detach()) - x) ** 2).mean(),
     "gradients reach the encoder", "no gradient reached f"),
    # 01.pca_reconstruct
    ("01.pca_reconstruct", "forgets the mean", lambda a, x, k: pca_reconstruct(a, x, k, add_back=False),
     "matches the library", "add the training mean back"),
    ("01.pca_reconstruct", "centres x with its own mean",
     lambda a, x, k: pca_reconstruct(a, x, k, centre_with=lambda t, v: v.mean(axis=0)),
     "matches the library", "TRAINING mean"),
    ("01.pca_reconstruct", "does not centre",
     lambda a, x, k: x @ np.linalg.svd(a, full_matrices=False)[2][:k].T @ np.linalg.svd(a, full_matrices=False)[2][:k],
     "matches the library", "centre the data first"),
    ("01.pca_reconstruct", "columns of Vt", lambda a, x, k: pca_reconstruct(a, x, k, rows=False),
     "matches the library", "ROWS of Vt"),
    ("01.pca_reconstruct", "one axis too many", lambda a, x, k: pca_reconstruct(a, x, k, extra=1),
     "matches the library", "not Vt[:k + 1]"),
    ("01.pca_reconstruct", "fits PCA on x", lambda a, x, k: pca_reconstruct(a, x, k, fit_on=x),
     "matches the library", "do not fit PCA on x"),
    ("01.pca_reconstruct", "k fixed at 2", lambda a, x, k: pca_reconstruct(a, x, 2),
     "k = 1 and k = 3", "use the argument k"),
    ("01.pca_reconstruct", "the codes, not the reconstruction",
     lambda a, x, k: (x - a.mean(0)) @ np.linalg.svd(a - a.mean(0), full_matrices=False)[2][:k].T,
     "returns an (n, d) array", "one reconstruction per row"),
    # 01.principal_angles
    ("01.principal_angles", "no orthonormalisation", lambda a, b: principal_angles(a, b, qr=False),
     "matches the library", "orthonormalise"),
    ("01.principal_angles", "radians", lambda a, b: principal_angles(a, b, degrees=False),
     "orthogonal subspaces", "radians"),
    ("01.principal_angles", "largest first", lambda a, b: principal_angles(a, b, reverse=True),
     "matches the library", "smallest to largest"),
    ("01.principal_angles", "arcsin", lambda a, b: principal_angles(a, b, arc=np.arcsin),
     "two bases of one subspace", "not the arcsin"),
    ("01.principal_angles", "cosines", lambda a, b: np.linalg.svd(np.linalg.qr(a)[0].T @ np.linalg.qr(b)[0],
                                                                   compute_uv=False),
     "two bases of one subspace", "orthonormalise"),
    ("01.principal_angles", "complete QR", lambda a, b: principal_angles(a, b, mode="complete"),
     "one angle per dimension", "reduced QR"),
    ("01.principal_angles", "U instead of the singular values",
     lambda a, b: np.degrees(np.arccos(np.clip(np.linalg.svd(np.linalg.qr(a)[0].T @ np.linalg.qr(b)[0])[0],
                                               -1, 1))),
     "one angle per dimension", "singular VALUES"),
    # 01.training_step
    ("01.training_step", "no zero_grad", lambda m, o, x: training_step(m, o, x, zero=False),
     "old gradients are cleared", "zero_grad()"),
    ("01.training_step", "returns the tensor", lambda m, o, x: training_step(m, o, x, item=False),
     "returns the loss before the step", "loss.item()"),
    ("01.training_step", "loss after the step", lambda m, o, x: training_step(m, o, x, after=True),
     "returns the loss before the step", "AFTER the step"),
    ("01.training_step", "no step", lambda m, o, x: training_step(m, o, x, step=False),
     "updates the parameters", "did not move"),
    ("01.training_step", "zero_grad between backward and step",
     lambda m, o, x: training_step(m, o, x, zero=False, zero_late=True), "updates the parameters",
     "not between backward() and step()"),
    ("01.training_step", "summed loss", lambda m, o, x: training_step(m, o, x, reduce="sum"),
     "returns the loss before the step", "MEAN squared error"),
    ("01.training_step", "item before backward",
     lambda m, o, x: ((m(x) - x) ** 2).mean().item().backward(), "returns the loss before the step",
     "call .backward() on the loss tensor"),
]


test_the_reference_passes, test_a_wrong_answer_fails_with_a_hint_that_names_it, \
    test_five_wrong_answers_per_exercise = wrong_answer_tests(REFERENCE, WRONG)
