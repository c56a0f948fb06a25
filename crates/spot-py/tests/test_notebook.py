"""examples/notebooks/flow_analysis.ipynb runs top to bottom (skipped without nbclient,
matplotlib or pandas; crates/spot-py/ci.sh installs them)."""

import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("pandas")

NOTEBOOK = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "examples", "notebooks", "flow_analysis.ipynb"
)


def test_flow_analysis_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel is this interpreter (the one spot is installed in); plots render inline.
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # The three figures: score distribution, most suspicious hosts, timeline.
    assert sum(1 for o in outputs if "image/png" in o.get("data", {})) == 3
    nbformat.write(nb, str(tmp_path / "flow_analysis.executed.ipynb"))
