"""The document collections of lesson 06: the generated default and the optional 20 Newsgroups loader."""
import numpy as np
import pytest

from aecourse.corpus import TOPICS, count_features, load_20newsgroups, synthetic_corpus
from aecourse.data import DownloadError


@pytest.fixture(scope="module")
def corpus():
    return synthetic_corpus()


def test_synthetic_corpus_is_labelled_deterministic_and_honest(corpus):
    assert "not real text" in corpus.name and "not real text" in repr(corpus)
    again = synthetic_corpus()
    assert np.array_equal(corpus.counts_train, again.counts_train) and corpus.texts_test == again.texts_test
    assert not np.array_equal(corpus.counts_train, synthetic_corpus(seed=1).counts_train)
    assert corpus.counts_train.shape == (1600, len(corpus.vocabulary)) and corpus.counts_test.shape[0] == 400
    assert corpus.topics == tuple(TOPICS) and set(np.unique(corpus.y_train)) == set(range(len(TOPICS)))


def test_counts_match_the_texts(corpus):
    column = {w: j for j, w in enumerate(corpus.vocabulary)}
    for i in (0, 7):
        expected = np.zeros(len(corpus.vocabulary), dtype=int)
        for word in corpus.texts_train[i].split():
            expected[column[word]] += 1
        assert np.array_equal(corpus.counts_train[i], expected)


def test_documents_lean_on_their_topic(corpus):
    # words of a document's own topic list are its most frequent non-common words
    topic = corpus.topics[corpus.y_train[0]]
    words = corpus.texts_train[0].split()
    own = sum(w in TOPICS[topic] for w in words)
    other = max(sum(w in TOPICS[t] for w in words) for t in TOPICS if t != topic)
    assert own > other


def test_count_features():
    x = count_features(np.array([[0, 1, 3]]))
    assert x.dtype == np.float32 and np.allclose(x, [[0, 0.5, 1.0]])
    assert np.allclose(count_features(np.array([[7]]), scale=np.log(4.0)), [[1.0]])   # clipped to 1
    with pytest.raises(ValueError, match="non-negative"):
        count_features(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="2-D"):
        count_features(np.array([1, 2]))


def test_corpus_features_for_the_autoencoder(corpus):
    x_train, x_test = corpus.x_train, corpus.x_test
    assert x_train.dtype == np.float32 and x_train.min() == 0 and x_train.max() == 1.0 and x_test.max() <= 1.0


def test_synthetic_corpus_rejects_bad_settings():
    with pytest.raises(ValueError, match="topic_share"):
        synthetic_corpus(topic_share=0.0)
    with pytest.raises(ValueError, match="at most 1"):
        synthetic_corpus(topic_share=0.7, stray_share=0.5)
    with pytest.raises(ValueError, match="n_train"):
        synthetic_corpus(n_train=0)


def test_20newsgroups_offline_error_is_clear(tmp_path):
    with pytest.raises(DownloadError, match=r"download_if_missing=True.*synthetic_corpus\(\)"):
        load_20newsgroups(data_home=tmp_path)


def test_20newsgroups_turns_posts_into_counts(monkeypatch):
    from types import SimpleNamespace

    posts = {"train": ["the rocket reached orbit", "the puck hit the goal", "orbit orbit moon"],
             "test": ["a goal in the playoff", "moon rocket"]}
    labels = {"train": [0, 1, 0], "test": [1, 0]}
    calls = []

    def fake_fetch(subset, remove, data_home, download_if_missing):
        calls.append(download_if_missing)
        return SimpleNamespace(data=posts[subset], target=np.array(labels[subset]), target_names=["sci.space",
                                                                                                   "rec.hockey"])

    monkeypatch.setattr("sklearn.datasets.fetch_20newsgroups", fake_fetch)
    c = load_20newsgroups(n_words=5)
    assert calls == [False, False] and c.name == "20 Newsgroups" and c.topics == ("sci.space", "rec.hockey")
    assert c.counts_train.shape == (3, 5) and c.counts_test.shape == (2, 5)
    assert c.counts_train[2, c.vocabulary.index("orbit")] == 2 and "the" not in c.vocabulary


# ------------------------------------------------------------------------------------- docstrings (real documents)

@pytest.fixture(scope="module")
def docs():
    from aecourse.corpus import docstring_corpus
    return docstring_corpus(per_topic=60, n_words=500)


def test_docstring_corpus_is_real_balanced_and_deterministic(docs):
    from aecourse.corpus import DOCSTRING_TOPICS, docstring_corpus
    assert docs.topics == tuple(DOCSTRING_TOPICS) and "docstrings" in docs.name
    labels = np.concatenate([docs.y_train, docs.y_test])
    assert np.bincount(labels).tolist() == [60] * len(DOCSTRING_TOPICS)
    assert np.bincount(docs.y_test).min() == np.bincount(docs.y_test).max() == 12
    assert all(len(t.split()) >= 40 for t in docs.texts_train + docs.texts_test)
    assert len(set(docs.texts_train + docs.texts_test)) == len(labels)      # no docstring twice
    assert docs.counts_train.shape == (len(docs.y_train), 500) and docs.counts_train.dtype == np.int32
    assert all(w.isalpha() for w in docs.vocabulary) and "the" not in docs.vocabulary
    again = docstring_corpus(per_topic=60, n_words=500)
    assert np.array_equal(docs.counts_train, again.counts_train) and docs.texts_test == again.texts_test
    other = docstring_corpus(per_topic=60, n_words=500, seed=1)
    assert not np.array_equal(docs.counts_train, other.counts_train)


def test_docstring_counts_come_from_the_texts(docs):
    from sklearn.feature_extraction.text import CountVectorizer
    vectorizer = CountVectorizer(vocabulary=docs.vocabulary, token_pattern=r"(?u)\b[a-zA-Z]{2,}\b")
    assert np.array_equal(vectorizer.transform(docs.texts_test).toarray(), docs.counts_test)


def test_docstring_topics_are_what_they_say():
    from aecourse.corpus import docstring_corpus
    small = docstring_corpus({"statistics": ("scipy.stats",), "linear algebra": ("scipy.linalg",)}, per_topic=20,
                             n_words=300)
    stats = [t for t, y in zip(small.texts_train, small.y_train) if y == 0]
    assert sum("distribution" in t or "statistic" in t or "sample" in t for t in stats) > len(stats) / 2


@pytest.mark.parametrize("kwargs, error, message", [
    ({"topics": {"only": ("scipy.stats",)}}, ValueError, "at least two"),
    ({"topics": {"a": ("scipy.stats",), "b": ("no_such_package_xyz",)}}, ImportError, "not installed"),
    ({"per_topic": 1}, ValueError, "per_topic"),
    ({"test_share": 1.5}, ValueError, "test_share"),
    ({"topics": {"a": ("scipy.stats",), "b": ("scipy.constants",)}, "min_words": 5000}, ValueError, "min_words"),
])
def test_docstring_corpus_bad_input(kwargs, error, message):
    from aecourse.corpus import docstring_corpus
    with pytest.raises(error, match=message):
        docstring_corpus(**kwargs)
