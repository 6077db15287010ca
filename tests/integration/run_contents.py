"""Read a finished training run back from its MLflow store and check what a run must hold."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import mlflow
from mlflow.models import Model

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_run_contents(run_id: str, plots: Iterable[str], scratch: Path) -> tuple[Model, Any]:
    """Assert the run logged a model with a signature and an input example, and every plot
    under ``plots/`` as a non-empty PNG; returns the model's metadata and its input example."""
    model_dir = Path(
        mlflow.artifacts.download_artifacts(f"runs:/{run_id}/model", dst_path=str(scratch))
    )
    model = Model.load(str(model_dir))
    signature = model.signature
    assert signature is not None and signature.inputs is not None and signature.outputs is not None
    assert model.saved_input_example_info is not None
    example = model.load_input_example(str(model_dir))
    assert example is not None and len(example) > 0
    folder = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="plots", dst_path=str(scratch)
        )
    ).parent
    logged = {path.name for path in (folder / "plots").iterdir()}
    assert set(plots) <= logged, sorted(set(plots) - logged)
    for name in plots:
        data = (folder / "plots" / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000, name  # a drawn figure, not a stub
    return model, example
