"""A document collection for lesson 06: word counts in, topics out (labels only score retrieval).

- `synthetic_corpus()`: the default. NOT real text: documents *generated* (seeded, no download) from short
  hand-written topic word lists. Each document has one topic; its words come from that topic's list, from a
  vocabulary shared by all topics and, sometimes, from another topic's list, with Zipf-like word frequencies.
  It has the shape of a real collection (sparse counts, a long tail, overlapping topics) and a known answer.
- `docstring_corpus()`: real, human-written text that ships with the course's own dependencies, no download: the
  docstrings of the public functions and classes of installed scientific packages (scipy, scikit-learn, numpy,
  torch), labelled by the group of subpackages they come from (statistics, linear algebra, neural networks, ...).
- `load_20newsgroups()`: the classic, optional: scikit-learn's 20 Newsgroups fetcher (cached; the first call
  needs the network), the text-hashing literature's protocol: test posts query training posts, relevant = same
  newsgroup.
- `count_features(counts)`: counts -> log(1 + count) scaled to [0, 1] per collection, the autoencoder's input.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .data import DownloadError, data_dir
from .validation import check_number, check_positive_int

TOPICS: dict[str, tuple[str, ...]] = {
    "space": ("orbit", "rocket", "launch", "nasa", "moon", "satellite", "shuttle", "planet", "mars", "astronaut",
              "telescope", "solar", "mission", "spacecraft", "lunar", "gravity", "station", "probe", "comet",
              "galaxy"),
    "medicine": ("doctor", "patient", "disease", "treatment", "drug", "symptom", "clinic", "infection", "vaccine",
                 "diagnosis", "surgery", "hospital", "therapy", "dose", "virus", "pain", "nurse", "cancer",
                 "medical", "blood"),
    "cars": ("engine", "car", "brake", "tire", "dealer", "mileage", "gear", "clutch", "oil", "wheel", "sedan",
             "transmission", "fuel", "speed", "highway", "driver", "parking", "motor", "battery", "exhaust"),
    "hockey": ("hockey", "goal", "puck", "ice", "season", "playoff", "coach", "team", "score", "league",
               "goalie", "penalty", "rink", "skate", "player", "trade", "fans", "shot", "period", "cup"),
    "computing": ("software", "windows", "driver", "disk", "memory", "file", "program", "graphics", "monitor",
                  "keyboard", "install", "version", "server", "network", "card", "display", "bug", "code",
                  "chip", "printer"),
    "cryptography": ("encryption", "key", "cipher", "privacy", "security", "chip", "algorithm", "secret",
                     "government", "clipper", "escrow", "password", "public", "nsa", "wiretap", "crypto",
                     "attack", "protocol", "signature", "code"),
    "religion": ("god", "faith", "church", "belief", "bible", "religion", "prayer", "moral", "christian",
                 "atheist", "scripture", "soul", "truth", "worship", "heaven", "sin", "spirit", "creed",
                 "doctrine", "jesus"),
    "politics": ("government", "law", "vote", "president", "congress", "tax", "policy", "gun", "rights",
                 "senate", "election", "court", "citizen", "bill", "state", "crime", "federal", "party",
                 "freedom", "public"),
}

COMMON: tuple[str, ...] = (
    "the", "a", "of", "and", "to", "in", "is", "it", "that", "for", "you", "was", "on", "are", "with", "as", "have",
    "be", "at", "this", "not", "but", "what", "all", "were", "when", "we", "there", "can", "an", "your", "which",
    "their", "said", "if", "do", "will", "each", "about", "how", "up", "out", "them", "then", "she", "many", "some",
    "so", "these", "would", "other", "into", "has", "more", "her", "two", "like", "him", "see", "time", "could",
    "people", "think", "know", "good", "year", "new", "just", "question", "problem", "anyone", "thanks", "post",
    "read", "point", "fact", "way", "work", "first", "last", "help", "really", "sure", "thing", "long", "number")


@dataclass(frozen=True)
class Corpus:
    """Documents as word counts: `counts_*` int32 (n_docs, n_words), `y_*` topic ids, `vocabulary[j]` is
    word j, `topics[t]` topic t's name, `texts_*` the documents themselves (None for a loaded collection)."""
    counts_train: np.ndarray
    y_train: np.ndarray
    counts_test: np.ndarray
    y_test: np.ndarray
    vocabulary: tuple[str, ...]
    topics: tuple[str, ...]
    name: str
    texts_train: tuple[str, ...] | None = None
    texts_test: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        return (f"Corpus({self.name!r}: {len(self.counts_train)} training + {len(self.counts_test)} test "
                f"documents, {len(self.vocabulary)} words, {len(self.topics)} topics)")

    @property
    def x_train(self) -> np.ndarray:
        """`count_features` of the training counts (scaled with the training set's maximum)."""
        return count_features(self.counts_train, self._scale)

    @property
    def x_test(self) -> np.ndarray:
        return count_features(self.counts_test, self._scale)

    @property
    def _scale(self) -> float:
        return float(np.log1p(self.counts_train.max()))


def count_features(counts, scale: float | None = None) -> np.ndarray:
    """log(1 + count) / scale, float32 in [0, 1]; `scale` defaults to log(1 + the largest count).

    Logs tame the long tail of word counts (one word said 30 times is not 30 times the evidence).
    >>> count_features(np.array([[0, 1, 3]]))  # -> [[0, 0.5, 1]]
    """
    if not isinstance(counts, np.ndarray) or counts.ndim != 2:
        raise ValueError(f"counts: expected a 2-D numpy array (n_docs, n_words) of word counts, got "
                         f"{type(counts).__name__} {getattr(counts, 'shape', '')}")
    if not (np.issubdtype(counts.dtype, np.integer) or np.issubdtype(counts.dtype, np.floating)):
        raise TypeError(f"counts: expected numbers, got dtype {counts.dtype}")
    if counts.size and counts.min() < 0:
        raise ValueError(f"counts: expected non-negative word counts, got a minimum of {counts.min()}")
    logs = np.log1p(counts.astype(np.float64))
    scale = float(logs.max()) if scale is None else check_number(scale, "scale", low=0.0, low_open=True)
    return (np.minimum(logs / (scale or 1.0), 1.0)).astype(np.float32)


def synthetic_corpus(n_train: int = 1600, n_test: int = 400, *, doc_length: int = 50, topic_share: float = 0.2,
                     stray_share: float = 0.08, seed: int = 0) -> Corpus:
    """Generate a labelled topical corpus (NOT real text; see the module docstring). Same seed, same corpus: a
    collection with a known answer, for experiments beside lesson 06b's real documents.

    Each document: topic t uniform over `TOPICS`; length ~ Poisson(`doc_length`); each word from topic t's
    list with probability `topic_share`, from one other topic's list (drawn per document) with `stray_share`,
    else from `COMMON`;
    within a list, word r (from 1) has weight 1 / r, with the list order shuffled per topic by the seed.
    """
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    doc_length = check_positive_int(doc_length, "doc_length")
    topic_share = check_number(topic_share, "topic_share", low=0.0, high=1.0, low_open=True)
    stray_share = check_number(stray_share, "stray_share", low=0.0, high=1.0)
    if topic_share + stray_share > 1.0:
        raise ValueError(f"topic_share + stray_share: expected at most 1 (the rest are common words), got "
                         f"{topic_share + stray_share:g}")
    rng = np.random.default_rng(check_positive_int(seed, "seed", minimum=0))
    topics = tuple(TOPICS)
    vocabulary = tuple(sorted(set(COMMON).union(*TOPICS.values())))
    column = {word: j for j, word in enumerate(vocabulary)}

    def zipf(words):
        words = [words[i] for i in rng.permutation(len(words))]
        weights = 1.0 / np.arange(1, len(words) + 1)
        return np.array([column[w] for w in words]), weights / weights.sum()

    topic_words = [zipf(TOPICS[t]) for t in topics]
    common_words = zipf(COMMON)
    n = n_train + n_test
    labels = rng.integers(0, len(topics), n)
    counts = np.zeros((n, len(vocabulary)), dtype=np.int32)
    texts = []
    for i, t in enumerate(labels):
        length = max(1, rng.poisson(doc_length))
        n_topic, n_stray, n_common = rng.multinomial(length, [topic_share, stray_share,
                                                              1.0 - topic_share - stray_share])
        stray = [s for s in range(len(topics)) if s != t][rng.integers(len(topics) - 1)]
        words = np.concatenate([ids[rng.choice(len(ids), size=m, p=p)] for (ids, p), m in
                                ((topic_words[t], n_topic), (topic_words[stray], n_stray), (common_words, n_common))])
        words = words[rng.permutation(len(words))]
        np.add.at(counts[i], words, 1)
        texts.append(" ".join(vocabulary[j] for j in words))
    return Corpus(counts[:n_train], labels[:n_train].astype(np.int64), counts[n_train:],
                  labels[n_train:].astype(np.int64), vocabulary, topics,
                  "synthetic topical corpus (generated from word lists, not real text)",
                  tuple(texts[:n_train]), tuple(texts[n_train:]))


def load_20newsgroups(n_words: int = 2000, *, download_if_missing: bool = False, data_home=None,
                      max_docs: int | None = None) -> Corpus:
    """20 Newsgroups (bydate split, 11,314 training + 7,532 test posts, headers, footers and quotes removed)
    as counts of the `n_words` most frequent words of the training posts (English stop words dropped).

    Off by default: `download_if_missing=True` fetches about 14 MB once into `data_home`
    (default: the course cache, `data_dir() / "20newsgroups"`). `max_docs` keeps the first posts of each split.
    """
    from sklearn.datasets import fetch_20newsgroups
    from sklearn.feature_extraction.text import CountVectorizer

    n_words = check_positive_int(n_words, "n_words")
    if max_docs is not None:
        max_docs = check_positive_int(max_docs, "max_docs")
    home = os.fspath(data_home) if data_home is not None else os.fspath(data_dir() / "20newsgroups")
    try:
        parts = {subset: fetch_20newsgroups(subset=subset, remove=("headers", "footers", "quotes"),
                                            data_home=home, download_if_missing=download_if_missing)
                 for subset in ("train", "test")}
    except OSError as err:
        hint = ("call load_20newsgroups(download_if_missing=True) once while online (about 14 MB)"
                if not download_if_missing else "you seem to be offline; try again when online")
        raise DownloadError(f"20 Newsgroups is not in the cache {home} ({err}): {hint}. The lesson's default "
                            "collection, synthetic_corpus(), needs no network.") from err
    train, test = parts["train"], parts["test"]
    docs_train, docs_test = list(train.data[:max_docs]), list(test.data[:max_docs])
    vectorizer = CountVectorizer(max_features=n_words, stop_words="english")
    counts_train = vectorizer.fit_transform(docs_train).toarray().astype(np.int32)
    counts_test = vectorizer.transform(docs_test).toarray().astype(np.int32)
    return Corpus(counts_train, np.asarray(train.target[:max_docs], dtype=np.int64), counts_test,
                  np.asarray(test.target[:max_docs], dtype=np.int64), tuple(vectorizer.get_feature_names_out()),
                  tuple(train.target_names), "20 Newsgroups")



# ------------------------------------------------------------------------------------- docstrings of installed code

DOCSTRING_TOPICS: dict[str, tuple[str, ...]] = {
    "special functions": ("scipy.special",),
    "statistics": ("scipy.stats",),
    "signal processing": ("scipy.signal", "scipy.fft", "numpy.fft", "torch.fft"),
    "linear algebra": ("scipy.linalg", "numpy.linalg", "torch.linalg"),
    "machine learning": ("sklearn.metrics", "sklearn.linear_model", "sklearn.preprocessing", "sklearn.cluster",
                         "sklearn.decomposition", "sklearn.ensemble", "sklearn.feature_selection",
                         "sklearn.model_selection", "sklearn.neighbors"),
    "masked arrays": ("numpy.ma",),
    "neural networks": ("torch.nn", "torch.nn.functional"),
}


def _docstrings(module_name: str, min_words: int) -> dict[str, str]:
    """{qualified name: docstring} of the public callables of one module with at least `min_words` words."""
    import importlib
    import inspect
    import warnings

    module = importlib.import_module(module_name)
    found = {}
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                obj = getattr(module, name)
            except Exception:  # some names raise on access (deprecated or experimental ones)
                continue
        if inspect.ismodule(obj) or not callable(obj):
            continue
        doc = inspect.getdoc(obj) or ""
        if len(doc.split()) >= min_words:
            found[f"{module_name}.{name}"] = doc
    return found


def docstring_corpus(topics: dict[str, tuple[str, ...]] | None = None, *, per_topic: int = 150,
                     min_words: int = 40, n_words: int = 1000, test_share: float = 0.2, seed: int = 0) -> Corpus:
    """Real documents without a download: docstrings of installed scientific packages, one topic per group of
    subpackages (`DOCSTRING_TOPICS` by default), as counts of the `n_words` most frequent words of the training
    documents (letters only, English stop words dropped), the 2009 semantic-hashing paper's input
    (lesson 06b).

    A docstring that appears under two topics (a function re-exported elsewhere) is dropped, one under two names
    of a topic is kept once; every topic keeps
    the same number of documents, `per_topic` or fewer if one topic has fewer (drawn with `seed`); a stratified
    `test_share` of them are the queries. The same package versions give the same corpus; other versions give
    other texts, so compare methods on it rather than quoting its figures.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.model_selection import train_test_split

    topics = DOCSTRING_TOPICS if topics is None else topics
    if not isinstance(topics, dict) or len(topics) < 2 or not all(
            isinstance(v, tuple) and v and all(isinstance(m, str) for m in v) for v in topics.values()):
        raise ValueError("topics: expected a dict of at least two {topic name: (module name, ...)}, e.g. "
                         f"{{'statistics': ('scipy.stats',), 'linear algebra': ('scipy.linalg',)}}, got "
                         f"{topics!r}"[:300])
    per_topic = check_positive_int(per_topic, "per_topic", minimum=2)
    min_words = check_positive_int(min_words, "min_words")
    n_words = check_positive_int(n_words, "n_words")
    test_share = check_number(test_share, "test_share", low=0.0, high=1.0, low_open=True, high_open=True)
    rng = np.random.default_rng(check_positive_int(seed, "seed", minimum=0))

    per = {}
    for topic, modules in topics.items():
        docs = {}
        for module_name in modules:
            try:
                docs.update(_docstrings(module_name, min_words))
            except ImportError as err:
                raise ImportError(f"topics: {topic!r} needs {module_name}, which is not installed ({err}); "
                                  "install it or leave that topic out") from err
        per[topic] = docs
    seen: dict[str, int] = {}
    for docs in per.values():
        for text in set(docs.values()):
            seen[text] = seen.get(text, 0) + 1
    unique = {}
    for topic, docs in per.items():   # one name per text (aliases share a docstring), none shared across topics
        first = {}
        for name in sorted(docs):
            first.setdefault(docs[name], name)
        unique[topic] = {name: text for text, name in first.items() if seen[text] == 1}
    per = unique
    size = min(per_topic, *(len(d) for d in per.values()))
    if size < 10:
        small = min(per, key=lambda t: len(per[t]))
        raise ValueError(f"topics: {small!r} has only {len(per[small])} docstrings of {min_words}+ words; "
                         "merge it with another topic or lower min_words")
    texts, labels = [], []
    for label, docs in enumerate(per.values()):
        names = sorted(docs)
        for i in np.sort(rng.choice(len(names), size=size, replace=False)):
            texts.append(docs[names[i]])
            labels.append(label)
    labels = np.array(labels, dtype=np.int64)
    t_train, t_test, y_train, y_test = train_test_split(texts, labels, test_size=test_share, stratify=labels,
                                                        random_state=seed)
    vectorizer = CountVectorizer(max_features=n_words, stop_words="english", token_pattern=r"(?u)\b[a-zA-Z]{2,}\b")
    counts_train = vectorizer.fit_transform(t_train).toarray().astype(np.int32)
    counts_test = vectorizer.transform(t_test).toarray().astype(np.int32)
    return Corpus(counts_train, y_train, counts_test, y_test, tuple(vectorizer.get_feature_names_out()),
                  tuple(per), "docstrings of the installed scientific packages", tuple(t_train), tuple(t_test))
