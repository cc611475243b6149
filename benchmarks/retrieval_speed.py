"""Query time of the hash table against a linear Hamming scan and faiss, as the database grows (lesson 06).

Synthetic clustered 32-bit codes (n / 100 random centres, each bit flipped with probability 0.05, so a
Hamming ball of radius 2 around a query holds about as many items whatever n), 10^3 .. 10^6 of them, and a
batch of 1,000 queries drawn the same way. Per-query time of `HashIndex.lookup` (radius 0, 1, 2), the packed
popcount `linear_scan`, faiss `IndexBinaryFlat` (range search) and faiss `IndexBinaryHash` (nflip = radius);
every method must return exactly the same (query, item) pairs, or the script stops.
Targets at 10^6 codes, radius 2: HashIndex at least as fast as faiss IndexBinaryHash, >= 10x faster than the scan.
"""
from __future__ import annotations

import sys
from functools import partial

import numpy as np
from common import median_time, new_figure, parse_args, timed, verdict, write_results

N_BITS, FLIP, PER_CENTRE = 32, 0.05, 100
TARGET_N, TARGET_RADIUS, TARGET_SCAN_SPEEDUP = 10**6, 2, 10


def clustered_codes(n: int, centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """n packed codes, each a random centre with every bit flipped with probability FLIP."""
    from aecourse.bits import pack_bits
    bits = centres[rng.integers(0, len(centres), n)] ^ (rng.random((n, N_BITS)) < FLIP).astype(np.uint8)
    return pack_bits(bits)


def same_pairs(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def extra_options(parser) -> None:
    parser.add_argument("--queries", type=int, default=1000, help="queries per batch (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of each fast method (median)")
    parser.add_argument("--faiss-threads", type=int, default=1,
                        help="OpenMP threads for faiss (default 1: numpy is single-threaded, so it is a fair match)")


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv, extra=extra_options)
    import faiss

    from aecourse.bits import linear_scan
    from aecourse.hash_index import HashIndex, faiss_lookup

    faiss.omp_set_num_threads(args.faiss_threads)
    sizes = [10**3, 10**4] if args.quick else [10**3, 10**4, 10**5, 10**6]
    n_queries = 100 if args.quick else args.queries
    radii = (0, 1, 2)
    rows, curves = [], {}
    per_query = 1e6 / n_queries                                       # seconds per batch -> us per query
    for n in sizes:
        rng = np.random.default_rng(n)
        centres = rng.integers(0, 2, (max(1, n // PER_CENTRE), N_BITS), dtype=np.uint8)
        db, query = clustered_codes(n, centres, rng), clustered_codes(n_queries, centres, rng)
        build_s, index = timed(partial(HashIndex, N_BITS, db))
        flat = index.to_faiss("flat")
        scan_repeats = args.repeats if n < TARGET_N else 1            # a 10^6 scan takes seconds
        for radius in radii:
            faiss_hash = index.to_faiss("hash", radius=radius)
            ours_s, _ = median_time(partial(index.lookup, query, radius), args.repeats)
            hash_s, _ = median_time(partial(faiss_lookup, faiss_hash, query, radius), args.repeats)
            scan_s, _ = median_time(partial(linear_scan, query, db, radius), scan_repeats)
            flat_s, _ = median_time(partial(faiss_lookup, flat, query, radius), scan_repeats)
            ours, from_hash = index.lookup(query, radius), faiss_lookup(faiss_hash, query, radius)
            scanned, from_flat = linear_scan(query, db, radius), faiss_lookup(flat, query, radius)
            if not (same_pairs(ours, scanned) and same_pairs(ours, from_flat) and same_pairs(ours, from_hash)):
                print(f"MISMATCH at n={n}, radius={radius}: the methods disagree", file=sys.stderr)
                return 1
            found = sum(map(len, ours)) / n_queries
            rows.append([n, radius, round(found, 1), ours_s * per_query, scan_s * per_query, flat_s * per_query,
                         hash_s * per_query, scan_s / ours_s, hash_s / ours_s, build_s])
            for label, seconds in [(f"HashIndex r={radius}", ours_s), (f"faiss IndexBinaryHash r={radius}", hash_s),
                                   ("linear scan r=2 (numpy popcount)", scan_s), ("faiss IndexBinaryFlat r=2", flat_s)]:
                if radius == 2 or label.startswith("HashIndex"):
                    curves.setdefault(label, {})[n] = seconds * per_query

    target = [row for row in rows if row[0] == TARGET_N and row[1] == TARGET_RADIUS]
    fig, (ax,) = new_figure(width=6.0, height=4.2)
    for label, points in curves.items():
        style = "-" if label.startswith("HashIndex") else "--"
        ax.plot(list(points), list(points.values()), style, marker="o", label=label)
    ax.set(xscale="log", yscale="log", xlabel="database size (32-bit codes)", ylabel="time per query (us)",
           title=f"Hamming-ball lookup, batches of {n_queries} queries")
    ax.legend(fontsize=8)
    notes = [
        (f"Codes: {N_BITS} bits, n / {PER_CENTRE} random centres, each bit flipped with probability {FLIP}; "
         f"queries drawn the same way. Times are per query, for batches of {n_queries} queries (median of "
         f"{args.repeats} runs; one run for the two scans at 10^6 codes). faiss on "
         f"{args.faiss_threads} OpenMP thread(s); numpy is single-threaded."),
        "Every method returned exactly the same (query, item) pairs at every size and radius (checked in the run).",
        ("Probes per query: 1 + 32 + 496 = 529 at radius 2. faiss's range radius is strict, so radius r is "
         "asked as range_search(q, r + 1). 'build s' is HashIndex construction (one sort)."),
    ]
    if target:
        row = target[0]
        fast_enough = row[3] <= row[6]
        notes.append(f"Target at n = 10^6, radius 2: HashIndex {row[3]:.1f} us vs faiss IndexBinaryHash "
                     f"{row[6]:.1f} us per query ({verdict(fast_enough)}); {row[7]:.0f}x faster than the linear "
                     f"scan ({verdict(row[7] >= TARGET_SCAN_SPEEDUP)}, target >= {TARGET_SCAN_SPEEDUP}x).")
    write_results("retrieval_speed", "Hash-table lookup vs linear scan vs faiss (us per query)",
                  ["n codes", "radius", "found / query", "HashIndex us", "linear scan us", "faiss Flat us",
                   "faiss Hash us", "scan / HashIndex", "faiss Hash / HashIndex", "build s"],
                  rows, args.results_dir, notes=notes, figure=fig, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
