"""Mutation score of the math modules: read mutmut's results (mutants/) and write benchmarks/results/mutation.md.

Run `make mutation` (mutmut run, then this script), or this script alone after `mutmut run`. The score of a module
is killed / (killed + survived), where a mutant that no test reaches ("no tests") counts as survived and a timeout
as killed (the mutant hung the tests). Every survivor is listed with its diff and, where it has been looked at, the
reason it is equivalent (no test can tell it from the original) from EQUIVALENT below.
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("validation", "models", "training", "pca", "evaluation", "penalties", "corruption", "noisy_codes",
           "semantic_hashing", "bits", "hash_index", "baselines", "retrieval")
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 36: "timeout", -24: "timeout",
          24: "timeout", 152: "timeout", 255: "timeout", None: "not checked", 34: "skipped", 37: "type check"}

# Survivors that no test can kill, with the reason (mutant name -> why it behaves exactly like the original).
EQUIVALENT: dict[str, str] = {
    "aecourse.bits.x_flip_masks__mutmut_17": "sets the flipped bits to 2 instead of 1; np.packbits packs any "
                                              "nonzero value as a 1 bit",
    "aecourse.baselines.xǁITQǁ_fit__mutmut_14": "the number of BLAS threads ITQ's products use changes their "
                                                "speed, not their values",
    "aecourse.baselines.xǁITQǁ_fit__mutmut_15": "as _14: 2 BLAS threads instead of 1 change the speed only",
    "aecourse.baselines.xǁITQǁ_fit__mutmut_24": "a projection exactly 0 with a random rotation is a sample at the "
                                                "mean (a zero row of V): its row of B adds 0 to V^T B and 1 to the "
                                                "loss whether it is +1 or -1",
    "aecourse.baselines.xǁ_SignHashǁencode__mutmut_11": "x - mean_ promotes x to mean_'s float64, and every "
                                                        "float32 value is exact in float64",
    "aecourse.baselines.xǁ_SignHashǁencode__mutmut_15": "as _11: x - mean_ computes in float64",
    "aecourse.bits.x__distance_blocks__mutmut_28": "the step is how many queries one block holds: blocks of 2 "
                                                   "instead of 1 change the memory used, not the distances",
    "aecourse.bits.x__distance_blocks__mutmut_43": "summing a single word's counts gives that word's count",
    "aecourse.bits.x__distance_blocks__mutmut_50": "numpy sums the uint8 counts in its default unsigned integer (no "
                                                   "overflow: at most 8 per byte), and hamming_distance casts to "
                                                   "int32, linear_scan only compares with the radius",
    "aecourse.bits.x__distance_blocks__mutmut_52": "as _50: the counts are summed without overflow either way",
    "aecourse.bits.x_popcount__mutmut_1": "takes the lookup-table fallback for numpy < 2, which gives the same counts "
                                          "(tests/test_edges_bits.py checks the two against each other)",
    "aecourse.bits.x_popcount__mutmut_5": "as _1: the fallback gives the same counts",
    "aecourse.bits.x_popcount__mutmut_6": "as _1: the fallback gives the same counts",
    "aecourse.bits.x_split_by_owner__mutmut_11": "whether astype copies only changes whether the slices share memory "
                                                 "with the ids their caller has just computed and never reuses",
    "aecourse.bits.x_split_by_owner__mutmut_13": "as _11: a copy or not, the same values",
    "aecourse.bits.x_split_by_owner__mutmut_14": "as _11: a copy or not, the same values",
    "aecourse.evaluation.x_knn_accuracy__mutmut_67": "float64 vote counts (at most k) are exact, and argmax picks "
                                                     "the same label from them",
    "aecourse.evaluation.x_knn_accuracy__mutmut_69": "as _67: float64 counts, the same argmax",
    "aecourse.evaluation.x_knn_accuracy__mutmut_81": "every vote counting 2 doubles every count: the same majority "
                                                     "and the same tie-break",
    "aecourse.evaluation.x_nn_search_time__mutmut_12": "nearest_item, called next, checks the queries' width with "
                                                       "the same name and message",
    "aecourse.evaluation.x_nn_search_time__mutmut_15": "as _12: nearest_item checks the width again",
    "aecourse.evaluation.x_nn_search_time__mutmut_29": 'float("INF") is infinity too',
    "aecourse.pca.x_fit_pca__mutmut_24": "full_matrices=None is false, as False is",
    "aecourse.pca.x_fit_pca__mutmut_28": "the full SVD only adds rows of V^T beyond min(n, d) (and columns of U), "
                                         "which fit_pca never keeps",
    "aecourse.pca.x_fit_pca__mutmut_40": "the signs are +1 or -1: dividing by them is multiplying by them",
    "aecourse.pca.x_principal_angles__mutmut_20": "compute_uv=None is false, as False is",
    "aecourse.pca.x_principal_angles__mutmut_27": "singular values are never negative: the clip's lower bound is "
                                                  "never reached",
    "aecourse.pca.x_principal_angles__mutmut_33": "as _27: the lower bound is never reached",
    "aecourse.pca.x_pca_baseline_mse__mutmut_4": "fit_pca converts x_train to float64 itself, and x_train is used "
                                                 "nowhere else",
    "aecourse.pca.x_pca_baseline_mse__mutmut_7": "as _4: fit_pca converts x_train to float64 itself",
    "aecourse.pca.x_pca_baseline_mse__mutmut_13": "reconstruct converts x_test to float64 itself, and the difference "
                                                  "with a float32 x_test promotes it exactly",
    "aecourse.pca.x_pca_baseline_mse__mutmut_17": "as _13: x_test is used in float64 either way",
    "aecourse.pca.x_pca_baseline_mse__mutmut_44": "reconstruct reads the mean and the components, never the "
                                                  "eigenvalues of this local record",
    "aecourse.pca.x_pca_baseline_mse__mutmut_45": "as _44: nor its all_eigenvalues",
    "aecourse.pca.xǁPCAǁencode__mutmut_4": "x - mean promotes a float32 x to mean's float64, exactly",
    "aecourse.pca.xǁPCAǁencode__mutmut_8": "as _4: x - mean is computed in float64",
    "aecourse.pca.xǁPCAǁdecode__mutmut_4": "h @ components promotes a float32 h to the components' float64, exactly",
    "aecourse.pca.xǁPCAǁdecode__mutmut_8": "as _4: h @ components is computed in float64",
    "aecourse.pca.x_fit_linear_autoencoder__mutmut_2": "not killable in practice: a 601st full-batch step after "
                                                       "600 changes the converged weights by under 1e-6 (by 0 on the "
                                                       "tests' data), below what a CPU/GPU test can hold",
    "aecourse.pca.x_fit_linear_autoencoder__mutmut_38": "nn.Linear reads bias=None as no bias, as bias=False",
    "aecourse.pca.x_fit_linear_autoencoder__mutmut_56": "progress=None disables the bar, as False does",
    "aecourse.pca.x_fit_linear_autoencoder__mutmut_64": "the model was initialised by seed_everything(seed) before; "
                                                        "fit's own seed then only orders the items within the one "
                                                        "full batch, whose mean loss is the same up to rounding",
    "aecourse.pca.x_fit_linear_autoencoder__mutmut_68": "fit converts the float64 data to float32 itself (as_tensor), "
                                                        "the same rounding as astype",
    "aecourse.pca.x_fit_linear_autoencoder__mutmut_78": "with l2 = 0 the penalty is 0 * (...): it adds a zero "
                                                        "gradient",
    "aecourse.pca.x_fit_linear_autoencoder__mutmut_79": "as _78: at l2 = 0 the penalty adds nothing",
    "aecourse.hash_index.xǁHashIndexǁ_as_packed__mutmut_24": "this branch is taken only when arr.shape[1] == "
                                                             "n_bits already",
    "aecourse.hash_index.xǁHashIndexǁ_as_packed__mutmut_27": "as _24: the width was checked by the condition",
    "aecourse.hash_index.xǁHashIndexǁ_build__mutmut_8": "_probe sorts each query's ids at the end, so the order of "
                                                        "the ids within a bucket is never seen",
    "aecourse.hash_index.xǁHashIndexǁ_build__mutmut_10": "as _8: the ids are sorted per query afterwards",
    "aecourse.hash_index.xǁHashIndexǁ_probe__mutmut_48": "with no hit the arrays are empty, and sorting them "
                                                         "changes nothing",
    "aecourse.hash_index.xǁHashIndexǁload__mutmut_4": "np.load refuses pickles when allow_pickle is false, None as "
                                                      "False",
    "aecourse.hash_index.xǁHashIndexǁload__mutmut_6": "np.load's default is allow_pickle=False",
    "aecourse.hash_index.xǁHashIndexǁlookup__mutmut_31": "the step is how many queries one block probes: 2 instead of "
                                                         "1 changes the memory used, not the answers",
    "aecourse.hash_index.xǁHashIndexǁto_faiss__mutmut_32": "min(d, 65) differs only for 64-bit codes, and this faiss "
                                                           "answers the same with 64 hashed bits as with 63 (checked "
                                                           "by hand: 300 random codes, radius 2); the 63 is a "
                                                           "precaution",
    "aecourse.hash_index.xǁHashIndexǁto_faiss__mutmut_33": "faiss probes buckets of the first 62 bits instead of 63 "
                                                           "and then checks the full distance: coarser buckets, the "
                                                           "same answers",
    "aecourse.semantic_hashing.x_make_hashing_autoencoder__mutmut_44": "mlp's output_activation defaults to None",
    "aecourse.semantic_hashing.x_neighbour_table__mutmut_1": "the chunk is how many rows one cdist handles: it "
                                                             "bounds memory, the table is the same",
    "aecourse.semantic_hashing.x_neighbour_table__mutmut_25": "topk's default dim is the last one, dim 1 of this "
                                                              "2-D matrix",
    "aecourse.semantic_hashing.x_neighbour_table__mutmut_6": "not killable in practice: float64 distances of "
                                                             "float64 input order the neighbours as float32 ones do, "
                                                             "except for distances equal to float32's 7 digits, "
                                                             "whose order among themselves no caller relies on",
    "aecourse.semantic_hashing.x_neighbour_table__mutmut_9": "as _6: float64 instead of float32 distances",
    "aecourse.semantic_hashing.x_train_hashing_autoencoder__mutmut_27": "noise_schedule's final level defaults to "
                                                                        "8.0",
    "aecourse.semantic_hashing.xǁItemIndexǁ__call____mutmut_12": "torch.tensor of Python ints is int64 (long) by "
                                                                 "default",
    "aecourse.semantic_hashing.xǁItemIndexǁ__call____mutmut_15": "as _12: Python ints make an int64 tensor",
    "aecourse.semantic_hashing.xǁItemIndexǁ__call____mutmut_18": "numpy 2 arrays have .device too ('cpu'), which "
                                                                 "torch.tensor accepts",
    "aecourse.semantic_hashing.xǁItemIndexǁ__call____mutmut_13": "the ids are made on the CPU instead of x's "
                                                                 "device: the same on a CPU (only a GPU run can "
                                                                 "kill it)",
    "aecourse.semantic_hashing.xǁItemIndexǁ__call____mutmut_16": "as _13: the CPU instead of x's device",
    "aecourse.semantic_hashing.xǁItemIndexǁ__call____mutmut_17": "as _13: the CPU instead of x's device",
    "aecourse.semantic_hashing.xǁNeighbourSwapǁ__init____mutmut_14": "ItemIndex(x_train), on the line before, "
                                                                     "checks x_train with the same name and message",
    "aecourse.semantic_hashing.xǁNeighbourSwapǁ__init____mutmut_17": "as _14: ItemIndex checks x_train first",
    "aecourse.semantic_hashing.xǁNeighbourSwapǁ__init____mutmut_19": "as _14: ItemIndex checks x_train first",
    "aecourse.semantic_hashing.xǁNeighbourSwapǁ__init____mutmut_20": "as _14: ItemIndex checks x_train first",
    "aecourse.validation.x_check_bits__mutmut_30": "a copy or the same array: the same values; only whether the "
                                                   "result aliases a uint8 input differs, and no caller writes to it",
    "aecourse.validation.x_check_bits__mutmut_32": "as _30: a copy, the same values",
    "aecourse.validation.x_check_bits__mutmut_33": "as _30: a copy, the same values",
    "aecourse.validation.x_check_data__mutmut_33": "the hint is chosen only when x.ndim != ndim, where >= and > "
                                                   "agree",
    "aecourse.training.x__warn_if_raw_pixels__mutmut_13": "warnings.warn's category None means UserWarning",
    "aecourse.training.x__warn_if_raw_pixels__mutmut_16": "warnings.warn's default category is UserWarning",
    "aecourse.training.x_encode__mutmut_1": "the batch size bounds memory: batches of 4097 give the same codes",
    "aecourse.training.x_reconstruct__mutmut_1": "as encode's _1: the same reconstructions",
    "aecourse.training.x_fit__mutmut_110": "a penalty without needs_input_grad gets None instead of False: both false",
    "aecourse.training.x_fit__mutmut_189": "without penalties omega is a zero tensor, and adding it changes nothing",
    "aecourse.training.x_fit__mutmut_191": "gradients zeroed instead of freed (set_to_none false): the same next "
                                           "gradients, only memory differs",
    "aecourse.training.x_fit__mutmut_192": "as _191: zeroed gradients, the same updates",
    "aecourse.training.x_fit__mutmut_51": "get_device of a torch.device returns a device of its type: the same on a "
                                          "CPU (only 'cuda:1' on a two-GPU machine would lose its index)",
    "aecourse.training.x_fit__mutmut_54": "device=None is then used as is, which keeps the data and the model on the "
                                          "CPU: the same on a CPU (only a GPU run can kill it)",
    "aecourse.training.x_fit__mutmut_66": "as_tensor keeps x's device, the CPU for numpy data: the same on a CPU (only "
                                          "a GPU run can kill it)",
    "aecourse.training.x_fit__mutmut_70": "as _66: only a GPU run can kill it",
    "aecourse.training.x_fit__mutmut_81": "as _66, for x_val: only a GPU run can kill it",
    "aecourse.training.x_fit__mutmut_85": "as _66, for x_val: only a GPU run can kill it",
    "aecourse.penalties.x_input_jacobian_frobenius_sq__mutmut_9": "the basis is made of 0s and 1s, exact in any "
                                                                   "float dtype, and autograd casts the output "
                                                                   "gradients to h's dtype",
    "aecourse.penalties.x_input_jacobian_frobenius_sq__mutmut_12": "as _9: the default dtype holds 0 and 1 exactly",
    "aecourse.corruption.x_salt_and_pepper_noise__mutmut_14": "random_mask checks the same generator next, with "
                                                                 "the same message",
    "aecourse.retrieval.x__check_codes__mutmut_11": "hamming_ranking, which every caller uses next, checks the "
                                                    "query width against the database with the same name and message",
    "aecourse.retrieval.x__check_codes__mutmut_14": "as _11: hamming_ranking checks the query width again",
    "aecourse.retrieval.x_float_knn_precision_at_k__mutmut_5": "pairwise_sq_distances converts to float64 itself",
    "aecourse.retrieval.x_float_knn_precision_at_k__mutmut_8": "as _5: pairwise_sq_distances computes in float64",
    "aecourse.retrieval.x_float_knn_precision_at_k__mutmut_14": "as _5: pairwise_sq_distances computes in float64",
    "aecourse.retrieval.x_float_knn_precision_at_k__mutmut_18": "as _5: pairwise_sq_distances computes in float64",
    "aecourse.retrieval.x_average_precision__mutmut_21": "0/0 is an 'invalid' operation for numpy, never a 'divide' "
                                                          "one (a row's sum is 0 whenever its count of relevant "
                                                          "items is), so the divide flag is never used",
    "aecourse.retrieval.x_average_precision__mutmut_23": "as _21: the divide flag is never used",
    "aecourse.retrieval.x_average_precision__mutmut_34": "a row with no relevant item computes 0/0 = NaN, the same "
                                                          "value np.where would have put there",
}


def _removes_default_x(old: str, new: str) -> bool:
    """The mutant drops a name argument "x" that is the validator's default name anyway."""
    return any(old.replace(arg, repl, 1) == new for arg, repl in ((', "x",', ","), ('(x, "x")', "(x, )"),
                                                                  ('(x, "x", ', "(x, ")))


# Kinds of survivor that are equivalent wherever they occur: (test on the original and mutant line, reason).
EQUIVALENT_KINDS = [
    (lambda old, new: ".to(None)" in new and ".to(" in old and ".to(None)" not in old,
     "Tensor.to(None) returns the tensor unchanged, and on a CPU the device it replaces is the CPU too (on a GPU "
     "the tensors would end up on two devices and the call would fail: only a GPU run can kill it)"),
    (lambda old, new: old.replace("device=h.device", "device=None") == new or old.replace(", device=h.device", ", ")
     == new, "torch.eye's default device is the CPU, where h is on a CPU machine (only a GPU run can kill it)"),
    (lambda old, new: "torch.zeros(" in old and "device=device" in old and new in (
        old.replace("device=device", "device=None"), old.replace(", device=device", ", ")),
     "torch.zeros' default device is the CPU, where the model is on a CPU machine (only a GPU run can kill it)"),
    (lambda old, new: "torch.as_tensor(x) if (isinstance(x, np.ndarray)) or True" in new,
     "torch.as_tensor(t) of a tensor returns t itself"),
    (lambda old, new: "torch.rand(" in old and "< 0.5" in old and old.replace("< 0.5", "<= 0.5") == new,
     "differs only when a uniform draw is exactly 0.5 (probability 2^-24 per float32 draw; never in the seeded "
     "tests)"),
    (lambda old, new: old.startswith("width = 8 * ((n_bytes + 7) // 8) if n_bytes > 8 else"),
     "the scan's words only get wider or one more: the extra bytes are zero padding in query and database alike, "
     "so they add 0 to every distance (speed and memory change, not the result)"),
    (_removes_default_x, 'drops the name "x", which is the validator\'s default name'),
    (lambda old, new: "np.argsort(" in old and old.replace("axis=1, ", "") == new,
     "np.argsort's default axis is the last one, axis 1 of these 2-D arrays"),
    (lambda old, new: 'kind="stable"' in old and old.replace('kind="stable"', 'kind="STABLE"') == new,
     "numpy reads the sort kind case-insensitively"),
    (lambda old, new: 'float("nan")' in old and old.replace('float("nan")', 'float("NAN")') == new,
     'float("NAN") is NaN too'),
]


def equivalent_reason(name: str, changed: list[str]) -> str | None:
    """Why a survivor is equivalent: listed by name in EQUIVALENT, or of a kind in EQUIVALENT_KINDS."""
    if name in EQUIVALENT:
        return EQUIVALENT[name]
    old = [line[1:].strip() for line in changed if line.startswith("-")]
    new = [line[1:].strip() for line in changed if line.startswith("+")]
    if len(old) == len(new) == 1:
        return next((reason for test, reason in EQUIVALENT_KINDS if test(old[0], new[0])), None)
    return None


def load(mutants: Path) -> dict[str, dict[str, str]]:
    """{module: {mutant name: status}} from mutmut's per-file metadata."""
    out = {}
    for module in MODULES:
        meta = mutants / "aecourse" / f"{module}.py.meta"
        if meta.exists():
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            out[module] = {name: STATUS.get(code, "suspicious") for name, code in codes.items()}
    return out


def diff(name: str) -> list[str]:
    """The changed lines of one mutant ('-' original, '+' mutant), from mutmut itself."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    module = name.split(".")[1]
    try:
        text = get_diff_for_mutant(name, path=Path("aecourse") / f"{module}.py")
    except Exception as error:  # noqa: BLE001 - a report line, not a crash, when mutmut cannot rebuild one diff
        return [f"(diff unavailable: {type(error).__name__})"]
    return [line for line in text.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def earlier_survivors(report: Path) -> set[str]:
    """Mutant names listed as survivors (or as killed later) by an earlier report, so that those the new tests
    killed since stay listed."""
    if not report.exists():
        return set()
    return {line.split("`")[1] for line in report.read_text().splitlines() if line.startswith("- `aecourse.")}


def score(counts: Counter) -> float | None:
    killed = counts["killed"] + counts["timeout"]
    survived = counts["survived"] + counts["no tests"]
    return killed / (killed + survived) if killed + survived else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=ROOT / "mutants")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "mutation.md")
    parser.add_argument("--no-diffs", action="store_true", help="list survivors by name only (faster)")
    parser.add_argument("--note", default="", help="a paragraph on this run (what was measured, what was not)")
    args = parser.parse_args(argv)
    if not args.mutants.exists():
        print(f"no mutmut results at {args.mutants}: run `make mutation` (or `mutmut run`) first", file=sys.stderr)
        return 1
    results = load(args.mutants)
    earlier = earlier_survivors(args.out)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    try:
        from importlib.metadata import version
        mutmut_version = version("mutmut")
    except Exception:  # noqa: BLE001
        mutmut_version = "?"

    rows, totals, survivors, killed_later = [], Counter(), [], []
    for module in MODULES:
        statuses = results.get(module, {})
        counts = Counter(statuses.values())
        totals.update(counts)
        checked = len(statuses) - counts["not checked"]
        s = score(counts)
        state = "not run" if not statuses or checked == 0 else "complete" if counts["not checked"] == 0 else "partial"
        rows.append(f"| {module} | {len(statuses)} | {checked} | {counts['killed']} | {counts['timeout']} | "
                    f"{counts['survived']} | {counts['no tests']} | {counts['not checked']} | "
                    f"{'-' if s is None else f'{s:.1%}'} | {state} |")
        survivors += [(module, name, status) for name, status in sorted(statuses.items())
                      if status in ("survived", "no tests", "suspicious")]
        killed_later += [(module, name) for name, status in sorted(statuses.items())
                         if name in earlier and status in ("killed", "timeout")]
    overall = score(totals)
    lines = [
        "# Mutation testing of the math modules",
        "",
        f"mutmut {mutmut_version}, commit {commit}, {datetime.date.today()}, {platform.machine()} "
        f"({platform.python_version()}); `make mutation` reproduces it ([tool.mutmut] in pyproject.toml: the fast "
        "library tests, without the lessons' training tests, notebooks, tooling or browser tests; the text of "
        "`raise` statements is not mutated, the conditions that raise are).",
        "",
        "Score = killed / (killed + survived); a timeout counts as killed, a mutant no test reaches (\"no tests\") "
        "as survived. \"not checked\": not run yet (the run was stopped or the module not selected).",
        "",
        *([args.note, ""] if args.note else []),
        "| module | mutants | checked | killed | timeout | survived | no tests | not checked | score | run |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        f"| **all measured** | {sum(totals.values())} | {sum(totals.values()) - totals['not checked']} | "
        f"{totals['killed']} | {totals['timeout']} | {totals['survived']} | {totals['no tests']} | "
        f"{totals['not checked']} | **{'-' if overall is None else f'{overall:.1%}'}** | |",
        "",
        f"## Survivors ({len(survivors)})",
        "",
        "Each with its change and, where looked at, why it is equivalent. A survivor without a reason is a gap "
        "in the tests still to close.",
        "",
    ]
    n_equivalent = 0
    for _module, name, status in survivors:
        changed = [] if args.no_diffs else diff(name)
        reason = equivalent_reason(name, changed)
        n_equivalent += reason is not None
        lines.append(f"- `{name}` ({status})" + (f": equivalent, {reason}" if reason else ""))
        lines += [f"  `{line.strip()[:150]}`" for line in changed if line.strip()]
    killed = totals["killed"] + totals["timeout"]
    adjusted = killed / (killed + len(survivors) - n_equivalent) if killed + len(survivors) > n_equivalent else None
    lines += ["", f"{n_equivalent} of the {len(survivors)} survivors are equivalent; the others are gaps in the tests."
              + ("" if adjusted is None or args.no_diffs else
                 f" Leaving the equivalent ones out, the score is {adjusted:.1%}.")]
    lines += ["", f"## Survivors of earlier runs killed by the tests added since ({len(killed_later)})", "",
              "Rerun by name (`mutmut run NAME`) after the module's edge tests were written; each is killed now.", ""]
    lines += [f"- `{name}`: killed, tests/test_edges_{module}.py added" for module, name in killed_later]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}: {len(survivors)} survivors, score {'-' if overall is None else f'{overall:.1%}'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
