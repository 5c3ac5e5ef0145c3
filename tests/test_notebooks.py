"""The tutorial notebooks run top to bottom in a fresh kernel, and what they teach holds."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# no thread-leak check here: the notebooks run in their own kernel process, and nbclient keeps
# its event-loop runner thread alive for the rest of the session


def execute(name: str) -> list[dict]:
    """Run ``notebooks/<name>`` with nbclient; returns every code cell's outputs, in order."""
    import nbclient
    import nbformat

    nb = nbformat.read(str(REPO / "notebooks" / name), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook with empty outputs"
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, "\n".join(errors[0].get("traceback", []))
    return outputs


def text_of(outputs: list[dict]) -> str:
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                   + o.get("data", {}).get("text/html", "") for o in outputs)


def test_quickstart_notebook_executes():
    outputs = execute("quickstart.ipynb")
    assert "same BMUs after loading: True" in text_of(outputs)
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)


def test_teaching_notebook_executes_and_its_lessons_hold():
    outputs = execute("teaching.ipynb")
    text = text_of(outputs)
    assert re.search(r"sample \d+ -> BMU \d+; \d+ neurons moved noticeably", text)
    # section 3: the radius table; its claims are what the lecture says
    table = next(t for t in re.findall(r"<table>.*?</table>", text) if "radius" in t)
    rows = {name: (float(qe), float(te)) for name, qe, te in re.findall(
        r"<tr><td>([^<]+)</td><td>([\d.]+)</td><td>([\d.]+)%</td></tr>", table)}
    assert len(rows) == 3, table
    (_, small_t), (large_q, _), (good_q, good_t) = (
        rows["too small: 0.3"], rows["too large: 8"], rows["shrinking: 5 to 0.5"])
    assert small_t > good_t  # too small a radius: the net stays tangled
    assert large_q > good_q  # too large: the net shrinks to the middle
    # the neighbourhood's shape: bounded inhibition keeps the map whole, too much tears it
    shape = next(t for t in re.findall(r"<table>.*?</table>", text) if "neighbourhood" in t)
    te = {name: float(v) for name, v in re.findall(
        r"<tr><td>([^<]+)</td><td>[\d.]+</td><td>([\d.]+)%</td></tr>", shape)}
    assert te["Mexican hat, inhibition 0.4"] > 2 * te["Mexican hat, inhibition 0.1"], te
    # section 5: the Studio's model classifies the iris flowers
    assert "setosa" in text and "distance" in text
    # every row of views displays with a static picture, for places without widgets (GitHub)
    pictures = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(pictures) >= 6  # 5 rows of views and the Studio
    # section 1 keeps its own picture after "Run all": the net and curves at the end of its 40
    # epochs (a later cell used to reset that trainer, leaving a tangle and empty curves)
    first = next(o["data"]["image/svg+xml"] for o in pictures
                 if "quality while it unfolds" in o["data"]["image/svg+xml"])
    assert "epoch 40 · QE" in first and "no epoch yet" not in first


def test_clusters_notebook_executes_and_its_claims_hold():
    outputs = execute("clusters.ipynb")
    text = text_of(outputs)
    assert re.search(r"MapClustering\(\d+ clusters of 144 neurons, method='ward', chosen by Davies-Bouldin", text)
    # ten Ward clusters on the digits map: most images carry their cluster's most common digit
    pure = int(re.search(r"10 clusters: (\d+)% of the images", text).group(1))
    assert pure >= 60, text
    assert "cluster" in text and any("image/svg+xml" in o.get("data", {}) for o in outputs)


def test_missing_values_notebook_executes_and_its_claims_hold():
    outputs = execute("missing_values.ipynb")
    text = text_of(outputs)
    # the real penguins: NaN refused by default, with the option named; mostly-empty rows counted
    assert 'refused: X contains 30 missing value(s) (NaN) in 11 row(s); pass missing="ignore"' in text
    assert "refused: X has 2 row(s) missing more than max_missing=0.5 of their 9 values" in text
    assert "trained on 342 birds, 9 of them with missing values" in text
    # 10 % missing values cost a few per cent of QE; the map imputes better than column means
    change = float(re.search(r"map trained with 10% missing [\d.]+ \(([+-][\d.]+)%\)", text)[1])
    assert abs(change) < 5.0, change
    err_map, err_mean = map(float, re.search(
        r"imputation error \(standard units\): map ([\d.]+), column means ([\d.]+)", text).groups())
    assert err_map < 0.7 * err_mean
    assert int(re.search(r"sex recovered for (\d+)% of 60 birds", text)[1]) >= 75
    # balanced weights give the smallest species more units
    table = re.search(r"Chinstrap\s+68\s+(\d+)\s+(\d+)", text)
    assert table and int(table[2]) > int(table[1]), text[-2000:]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)
