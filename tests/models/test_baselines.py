"""Count-based baselines: exact scores on a hand-made dataset, a plain-Python session-rec
reference for the kNN models, batching, index mapping and state_dict round trips."""
from __future__ import annotations

import io
import math
import random
from fractions import Fraction

import pytest
import torch

from fgnn.data.dataset import PreparedDataset
from fgnn.data.graph import build_graph_batch, pad_sequences
from fgnn.data.sessions import SessionPairs
from fgnn.models import build_model, model_names, model_spec
from fgnn.models.baselines import (
    POP,
    SKNN,
    SPOP,
    VSKNN,
    Markov,
    MarkovConfig,
    POPConfig,
    SKNNConfig,
    SPOPConfig,
    VSKNNConfig,
)

BASELINES = model_names("baseline")

# Four training sessions in date order over items 1..6 (item 6 never clicked):
#   s0 = [1, 2, 3], s1 = [2, 3, 2, 4], s2 = [1, 5], s3 = [3, 4, 4]
# clicks per item: 1:2, 2:3, 3:3, 4:3, 5:1, 6:0
# transitions: 1->2, 1->5, 2->3 (x2), 2->4, 3->2, 3->4, 4->4
TRAIN = [[1, 2, 3], [2, 3, 2, 4], [1, 5], [3, 4, 4]]
POPULARITY = [2.0, 3.0, 3.0, 3.0, 1.0, 0.0]
S6 = math.sqrt(6.0)


def make_dataset(train, n_items, name="hand"):
    return PreparedDataset(
        name=name, fingerprint="test", n_items=n_items,
        item_ids=torch.arange(-1, n_items), train=SessionPairs.from_sessions(train),
        test=SessionPairs.from_prefixes([[1]], [2]),
    )


def batch_of(*sessions):
    seqs, lengths = pad_sequences(sessions)
    return build_graph_batch(seqs, lengths)


@pytest.fixture(scope="module")
def hand():
    return make_dataset(TRAIN, 6)


def scores_of(model, *sessions):
    with torch.no_grad():
        return model(batch_of(*sessions))


def assert_scores(actual, expected):
    torch.testing.assert_close(actual, torch.tensor(expected, dtype=actual.dtype),
                               rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------------------------
# hand-computed values
# ------------------------------------------------------------------------------------------

def test_pop_counts_and_index_mapping(hand):
    model = POP(POPConfig(n_items=6)).fit(hand)
    s = scores_of(model, [1], [4, 5, 6])
    assert s.shape == (2, 6)
    # column j is item j + 1: item 2 (column 1) has 3 clicks, item 6 (column 5) none
    assert_scores(s, [POPULARITY, POPULARITY])


def test_spop_session_counts_then_popularity(hand):
    model = SPOP(SPOPConfig(n_items=6)).fit(hand)
    s = scores_of(model, [3, 1, 3], [6])
    tie = [p / 4 for p in POPULARITY]  # pop / (max pop + 1)
    assert_scores(s[0], [1 + tie[0], tie[1], 2 + tie[2], tie[3], tie[4], tie[5]])
    assert_scores(s[1], tie[:5] + [1.0])
    order = torch.argsort(s[0], descending=True, stable=True) + 1
    assert order.tolist() == [3, 1, 2, 4, 5, 6]  # session items first, then by popularity


def test_markov_transition_row_of_last_item(hand):
    model = Markov(MarkovConfig(n_items=6)).fit(hand)
    tie = [p / 4 for p in POPULARITY]
    s = scores_of(model, [5, 2], [1, 4], [3, 5])
    assert_scores(s[0], [tie[0], tie[1], 2 + tie[2], 1 + tie[3], tie[4], tie[5]])  # 2->3 x2, 2->4
    assert_scores(s[1], [tie[0], tie[1], tie[2], 1 + tie[3], tie[4], tie[5]])  # 4 -> 4 self-loop
    assert_scores(s[2], tie)  # 5 has no outgoing transition: popularity only


def test_sknn_cosine_neighbour_sum(hand):
    model = SKNN(SKNNConfig(n_items=6)).fit(hand)
    # query {1, 3}: sims s0 = 2/sqrt(2*3), s1 = 1/sqrt(2*3), s2 = 1/sqrt(2*2), s3 = 1/sqrt(2*2)
    _nb, ns, sim, _ = model.neighbors(batch_of([1, 3, 1]))
    assert ns.tolist() == [0, 3, 2, 1]  # by similarity; s3 before s2 (tie): more recent
    assert_scores(sim, [2 / S6, 0.5, 0.5, 1 / S6])
    s = scores_of(model, [1, 3, 1])
    assert_scores(s[0], [2 / S6 + 0.5, 3 / S6, 3 / S6 + 0.5, 1 / S6 + 0.5, 0.5, 0.0])


def test_sknn_k_and_recent_sample(hand):
    # k = 2: s0, then s3 wins the 0.5 tie with s2 by recency
    s = scores_of(SKNN(SKNNConfig(n_items=6, k=2)).fit(hand), [1, 3])
    assert_scores(s[0], [2 / S6, 2 / S6, 2 / S6 + 0.5, 0.5, 0.0, 0.0])
    # sample_size = 2: only the 2 most recent candidates (s3, s2) are considered
    s = scores_of(SKNN(SKNNConfig(n_items=6, sample_size=2)).fit(hand), [1, 3])
    assert_scores(s[0], [0.5, 0.0, 0.5, 0.5, 0.5, 0.0])
    # an item no training session holds has no neighbours
    s = scores_of(SKNN(SKNNConfig(n_items=6)).fit(hand), [6])
    assert_scores(s[0], [0.0] * 6)


def test_vsknn_decay_weights_and_votes(hand):
    model = VSKNN(VSKNNConfig(n_items=6)).fit(hand)
    # session [3, 1, 3, 5] (n = 4): weights 3 -> 3/4 (last click of 3), 1 -> 2/4, 5 -> 4/4;
    # 3 distinct items. sim = weighted overlap / 3.
    # s0 {1,2,3}: (2/4 + 3/4)/3, most recent shared item 3 -> step 2 -> decay 1/2
    # s1 {2,3,4}: (3/4)/3, step 2;  s2 {1,5}: (2/4 + 1)/3, step 1;  s3 {3,4}: (3/4)/3, step 2
    _nb, ns, sim, step = model.neighbors(batch_of([3, 1, 3, 5]))
    assert ns.tolist() == [2, 0, 3, 1]
    assert_scores(sim, [0.5, 1.25 / 3, 0.25, 0.25])
    assert step.tolist() == [1, 2, 2, 2]
    v0, v1, v2, v3 = 1.25 / 3 / 2, 0.25 / 2, 0.5, 0.25 / 2
    s = scores_of(model, [3, 1, 3, 5])
    assert_scores(s[0], [v0 + v2, v0 + v1, v0 + v1 + v3, v1 + v3, v2, 0.0])


def test_vsknn_idf_weighting(hand):
    model = VSKNN(VSKNNConfig(n_items=6, idf_weighting=10)).fit(hand)
    idf = [math.log(4 / c) for c in POPULARITY[:5]]  # ln(#sessions / #clicks)
    v0, v1, v2, v3 = 1.25 / 3 / 2, 0.25 / 2, 0.5, 0.25 / 2
    w = [1 + 10 * x for x in idf]
    s = scores_of(model, [3, 1, 3, 5])
    assert_scores(s[0], [(v0 + v2) * w[0], (v0 + v1) * w[1], (v0 + v1 + v3) * w[2],
                         (v1 + v3) * w[3], v2 * w[4], 0.0])


# ------------------------------------------------------------------------------------------
# session-rec reference (plain Python, following sknn.py / vsknn.py) on random data
# ------------------------------------------------------------------------------------------

def _candidates(train, query, m):
    q = set(query)
    cands = [s for s, items in enumerate(train) if q & set(items)]
    if m and len(cands) > m:
        cands = sorted(cands, reverse=True)[:m]  # most recent = latest in training order
    return cands


def reference_sknn(train, query, n_items, k, m):
    q = set(query)
    # ranked by the exact squared cosine; equal similarities: the more recent session first
    ranked = sorted(_candidates(train, query, m), key=lambda s: (
        -Fraction(len(q & set(train[s])) ** 2, len(q) * len(set(train[s]))), -s))
    scores = [0.0] * (n_items + 1)
    for s in ranked[:k]:
        sim = len(q & set(train[s])) / math.sqrt(len(q) * len(set(train[s])))
        for i in set(train[s]):
            scores[i] += sim
    return scores[1:]


def reference_vsknn(train, query, n_items, k, m, idf_weighting=0.0):
    pos_map = {}
    for count, item in enumerate(query, start=1):
        pos_map[item] = Fraction(count, len(query))  # weighting='div', exact
    sims = []
    for s in _candidates(train, query, m):
        shared = set(query) & set(train[s])
        sims.append((s, sum(pos_map[i] for i in shared) / len(pos_map)))
    sims.sort(key=lambda x: (-x[1], -x[0]))
    sims = [(s, float(sim)) for s, sim in sims]
    clicks = [0] * (n_items + 1)
    for sess in train:
        for i in sess:
            clicks[i] += 1
    scores = [0.0] * (n_items + 1)
    for s, sim in sims[:k]:
        items = set(train[s])
        for step, item in enumerate(reversed(query), start=1):
            if item in items:
                decay = 1 / step  # weighting_score='div'
                break
        for i in items:
            vote = sim
            if idf_weighting:
                vote = vote + vote * math.log(len(train) / clicks[i]) * idf_weighting
            scores[i] += vote * decay
    return scores[1:]


def random_sessions(rng, n, n_items, max_len=7):
    out = []
    for _ in range(n):
        length = rng.randint(1, max_len)
        hot = rng.randint(1, n_items)
        out.append([hot if rng.random() < 0.3 else rng.randint(1, n_items) for _ in range(length)])
    return out


@pytest.fixture(scope="module")
def random_data():
    rng = random.Random(7)
    n_items = 25
    train = [s for s in random_sessions(rng, 300, n_items) if len(s) >= 2]
    for i in range(1, n_items + 1):  # every item seen in training
        train.append([i, (i % n_items) + 1])
    queries = random_sessions(rng, 40, n_items)
    return make_dataset(train, n_items, "random"), train, queries


@pytest.mark.parametrize("k,m", [(100, 500), (5, 20), (3, 0), (1, 1)])
def test_sknn_matches_reference(random_data, k, m):
    data, train, queries = random_data
    model = SKNN(SKNNConfig(n_items=data.n_items, k=k, sample_size=m)).fit(data)
    s = scores_of(model, *queries)
    expected = [reference_sknn(train, q, data.n_items, k, m) for q in queries]
    torch.testing.assert_close(s, torch.tensor(expected, dtype=s.dtype), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("k,m,idf", [(100, 500, 0.0), (5, 20, 0.0), (4, 10, 10.0), (2, 0, 0.0)])
def test_vsknn_matches_reference(random_data, k, m, idf):
    data, train, queries = random_data
    model = VSKNN(VSKNNConfig(n_items=data.n_items, k=k, sample_size=m, idf_weighting=idf))
    s = scores_of(model.fit(data), *queries)
    expected = [reference_vsknn(train, q, data.n_items, k, m, idf) for q in queries]
    torch.testing.assert_close(s, torch.tensor(expected, dtype=s.dtype), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------
# interface properties, every model
# ------------------------------------------------------------------------------------------

SMALL_KNN = {"sknn": {"k": 4, "sample_size": 15}, "vsknn": {"k": 4, "sample_size": 15}}


@pytest.mark.parametrize("name", list(BASELINES))
def test_batched_forward_equals_each_session_alone(random_data, name):
    data, _, queries = random_data
    model = build_model(name, data.n_items, **SMALL_KNN.get(name, {})).fit(data)
    batched = scores_of(model, *queries)
    assert batched.shape == (len(queries), data.n_items)
    assert batched.dtype == torch.float32
    alone = torch.cat([scores_of(model, q) for q in queries])
    torch.testing.assert_close(batched, alone, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", list(BASELINES))
def test_state_dict_round_trip(random_data, name):
    data, _, queries = random_data
    params = {"vsknn": {"idf_weighting": 10.0}}.get(name, {})
    model = build_model(name, data.n_items, **params).fit(data)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    fresh = build_model(name, data.n_items, **params)
    with pytest.raises(RuntimeError, match="not fitted"):
        scores_of(fresh, *queries)
    fresh.load_state_dict(torch.load(buf, weights_only=True))
    assert torch.equal(scores_of(fresh, *queries), scores_of(model, *queries))


@pytest.mark.parametrize("name", list(BASELINES))
def test_interface(name, hand):
    spec = model_spec(name)
    cls = spec.model_class
    model = build_model(name, 6)
    assert isinstance(model, cls) and model.name == name and model.trainable is False
    assert model.config_dict()["n_items"] == 6
    assert cls(spec.config_class(n_items=6)).config_dict() == model.config_dict()
    assert model.fit(hand) is model
    with pytest.raises(ValueError, match="7 items"):
        build_model(name, 7).fit(hand)


def test_defaults_and_unknown_name():
    assert SKNNConfig(n_items=1) == SKNNConfig(n_items=1, k=100, sample_size=500)
    cfg = VSKNNConfig(n_items=1)
    assert (cfg.k, cfg.sample_size, cfg.weighting, cfg.weighting_score, cfg.idf_weighting) == (
        100, 500, "div", "div", 0.0)
    assert isinstance(build_model("V-SKNN", 3, k=7), VSKNN)
    with pytest.raises(ValueError, match="unknown model"):
        build_model("gru4rec", 3)
    with pytest.raises(ValueError, match="weighting"):
        VSKNN(VSKNNConfig(n_items=3, weighting="linear"))
