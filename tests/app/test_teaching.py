"""Teaching steps: the text quotes this sequence's numbers; tables equal the model's tensors."""
import numpy as np
import plotly.graph_objects as go
import pytest

from fgnn.app.teaching import Step, construction_steps
from fgnn.data.graph import build_session_graph
from fgnn.errors import DataError

SEQ = [1, 3, 2, 2, 1, 3, 4]


@pytest.fixture(scope="module")
def steps():
    return construction_steps(SEQ)


def test_seven_steps_each_with_figure_and_short_text(steps):
    assert len(steps) == 7
    for s in steps:
        assert isinstance(s, Step) and isinstance(s.figure, go.Figure) and s.title
        assert 2 <= s.text.count(". ") + 1 <= 4  # two or three plain sentences (+ lists)


def test_sequence_step(steps):
    s = steps[0]
    assert "7 clicks" in s.text and "1 → 3 → 2 → 2 → 1 → 3 → 4" in s.text
    assert "item 4" in s.text and "current interest" in s.text
    assert s.table["item"].tolist() == SEQ
    clicks = next(t for t in s.figure.data if t.name == "clicks")
    assert list(clicks.customdata) == SEQ
    assert len([a for a in s.figure.layout.annotations if a.showarrow]) == 6
    assert len(s.figure.layout.shapes) == 7


def test_nodes_step(steps):
    s = steps[1]
    assert "4 distinct items" in s.text and "4 nodes" in s.text
    assert "node 0 = item 1, node 1 = item 3, node 2 = item 2 and node 3 = item 4" in s.text
    assert s.table["item"].tolist() == [1, 3, 2, 4]
    assert s.table["clicks"].tolist() == [2, 2, 2, 1]
    nodes = next(t for t in s.figure.data if t.name == "items")
    assert list(nodes.customdata) == [1, 3, 2, 4]


def test_transitions_step_shows_multi_edges(steps):
    s = steps[2]
    assert "6 edges before merging" in s.text
    assert "the pair 1→3 occurs 2 times" in s.text
    assert len(s.table) == 6
    assert len([a for a in s.figure.layout.annotations if a.showarrow]) == 6
    info = next(t for t in s.figure.data if t.name == "edge info")
    assert [list(c) for c in info.customdata].count([0, 1]) == 2


def test_merged_step(steps):
    s = steps[3]
    assert "5 merged edges" in s.text and "1→3 has weight 2" in s.text
    assert "sum to 6" in s.text
    g = build_session_graph(SEQ)
    assert s.table["weight"].tolist() == [int(w) for w in g.edge_weight.tolist()]
    assert len([a for a in s.figure.layout.annotations if a.showarrow]) == 5


def test_self_loop_step(steps):
    s = steps[4]
    assert "the pair 2→2 is a self-loop on node 2" in s.text
    assert "weight 1" in s.text and "nodes 0, 1 and 3" in s.text
    assert s.table["added by attention layer"].tolist() == [True, True, False, True]
    assert s.table["self-loop weight in session"].tolist() == [0, 0, 1, 0]
    dotted = [t for t in s.figure.data if getattr(t, "line", None) is not None
              and t.line.dash == "dot"]
    assert len(dotted) == 3


def test_degree_step(steps):
    s = steps[5]
    g = build_session_graph(SEQ)
    np.testing.assert_allclose(s.table["out_degree_inv"], g.out_degree_inv.numpy())
    np.testing.assert_allclose(s.table["in_degree_inv"], g.in_degree_inv.numpy())
    assert s.table["out_degree"].tolist() == [1, 2, 2, 2, 2]
    assert "Node 1 (item 3) sends 2 edges" in s.text and "out_degree_inv = 0.5" in s.text


def test_tensor_tables_equal_the_graph_tensors(steps):
    s = steps[6]
    g = build_session_graph(SEQ)
    assert s.tables["x"]["x"].tolist() == g.x.tolist()
    assert s.tables["edge_index"].values.tolist() == g.edge_index.tolist()
    assert s.tables["edge_weight"]["edge_weight"].tolist() == g.edge_weight.tolist()
    assert s.table["edge_index[0]"].tolist() == g.edge_index[0].tolist()
    assert s.table["edge_index[1]"].tolist() == g.edge_index[1].tolist()
    np.testing.assert_array_equal(s.table["edge_weight"].to_numpy(), g.edge_weight.numpy())
    assert "x = [1, 3, 2, 4]" in s.text and "2 × 5" in s.text
    tables = [t for t in s.figure.data if isinstance(t, go.Table)]
    assert list(tables[0].cells.values[1]) == [1, 3, 2, 4]


def test_one_click_session():
    steps = construction_steps([42])
    assert len(steps) == 7
    assert "single click" in steps[0].text
    assert "1 node" in steps[1].text
    assert "no edge" in steps[2].text and len(steps[2].table) == 0
    assert "0 edges" in steps[3].text
    assert steps[4].table["added by attention layer"].tolist() == [True]
    assert steps[6].tables["x"]["x"].tolist() == [42]
    assert steps[6].tables["edge_index"].shape == (2, 0)
    for s in steps:
        assert not [a for a in s.figure.layout.annotations if a.showarrow
                    and "self-loop" not in str(a.name) and s.title.startswith(("3", "4", "6"))]


def test_no_repeats_and_labels():
    steps = construction_steps([5, 6, 7], item_labels={5: "red shoe"})
    assert "Every item is clicked once" in steps[1].text
    assert "No pair of items repeats" in steps[2].text
    assert "no self-loop of its own" in steps[4].text
    assert "red shoe" in steps[0].text or steps[0].table["label"].tolist()[0] == "red shoe"


def test_empty_sequence_raises():
    with pytest.raises(DataError, match="the sequence is empty"):
        construction_steps([])


def test_step_7_shows_embedding_rows_and_the_pyg_printout():
    """Step 7 shows what the model really receives (rows of the embedding table beside
    the original ids) and the PyG Data object; step 6 says which model uses which normalisation."""
    from fgnn.app.teaching import pyg_data_printout

    steps = construction_steps([50, 60, 50, 70], item_index={50: 3, 60: 1, 70: 2})
    last = steps[-1]
    assert last.tables["x"].to_dict("list") == {"node": [0, 1, 2], "x": [3, 1, 2], "original id": [50, 60, 70]}
    assert last.code == ("Data(x=tensor([[3], [1], [2]]),\n     edge_index=tensor([[0, 1, 0],\n"
                         "                       [1, 0, 2]]),\n     edge_weight=tensor([1., 1., 1.]))")
    assert "x = [3, 1, 2]" in last.text and "embedding table" in last.text
    plain = construction_steps([50, 60, 50, 70])[-1]
    assert plain.tables["x"]["x"].tolist() == [50, 60, 70] and "not from the app's dataset" in plain.text
    assert "SR-GNN" in steps[5].text and "FGNN" in steps[5].text and "softmax" in steps[5].text
    assert pyg_data_printout([7], [[], []], []) == ("Data(x=tensor([[7]]),\n     edge_index=tensor([[],\n"
                                                    "                       []]),\n     edge_weight=tensor([]))")
