"""Convert MediaPipe's face detector and 468-point face mesh from TFLite to ONNX, with parity.

MediaPipe is not a skinlab dependency (it pins ``protobuf<5`` and pulls GUI OpenCV); only the two
converted ``.onnx`` files ship, in ``models/artifacts``. The wheel is read as a zip, never
installed. Run this once, in a separate environment, from the repository root::

    python3.11 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 ai-edge-litert==2.3.0 \\
        onnxruntime==1.32.0
    pip download mediapipe==0.10.14 --no-deps --only-binary :all: -d /tmp/whl
    /tmp/tfenv/bin/python -m models.conversion.convert_mediapipe \\
        --wheel /tmp/whl/mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64*.whl

It writes ``face_detector.onnx``, ``face_landmarks.onnx``, ``LICENSE-mediapipe`` (Apache-2.0, from
the wheel) and ``face_models.json`` (hashes, converter versions and parity figures). Parity is the
largest absolute difference between the TFLite interpreter and onnxruntime over random inputs and
over the photos in ``data/faces`` (landmarks on a face crop found by the TFLite detector); the
script fails, writing nothing, if any output differs by more than ``--tolerance`` (1e-3, in the
model's own pixel units for boxes and landmarks, in logits or probabilities for scores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.conversion.parity import (
    INFORMATIVE,
    Measure,
    ModelPair,
    detector_diffs,
    landmark_diffs,
    random_inputs,
    real_inputs,
)

ROOT = Path(__file__).resolve().parents[2]
WHEEL_MEMBERS = {
    "face_detector": "mediapipe/modules/face_detection/face_detection_short_range.tflite",
    "face_landmarks": "mediapipe/modules/face_landmark/face_landmark.tflite",
}
LICENSE_MEMBER_SUFFIX = ".dist-info/LICENSE"
_INPUT_RANGES = {
    "face_detector": "[-1, 1], 128x128 letterbox of the photo",
    "face_landmarks": "[0, 1], 192x192 crop rotated to level the eyes",
}


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file.

    Parameters
    ----------
    path : Path

    Returns
    -------
    str
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extract(wheel: Path, workdir: Path) -> tuple[dict[str, Path], str]:
    """Copy the two ``.tflite`` files out of the wheel.

    Parameters
    ----------
    wheel : Path
        The mediapipe wheel (a zip file).
    workdir : Path
        Where to write the ``.tflite`` files.

    Returns
    -------
    paths : dict of str to Path
        ``face_detector`` and ``face_landmarks`` TFLite files.
    licence : str
        The wheel's licence text.
    """
    paths: dict[str, Path] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name, member in WHEEL_MEMBERS.items():
            target = workdir / f"{name}.tflite"
            target.write_bytes(archive.read(member))
            paths[name] = target
        licences = [m for m in archive.namelist() if m.endswith(LICENSE_MEMBER_SUFFIX)]
        licence = archive.read(licences[0]).decode("utf-8")
    if "Apache License" not in licence:
        raise SystemExit(f"unexpected licence in {wheel.name}: {licence[:80]!r}")
    return paths, licence


def convert(tflite: Path, onnx_path: Path, opset: int, source: str) -> None:
    """Convert one TFLite model with tf2onnx, keeping its NHWC input.

    tf2onnx numbers the tensors and nodes it creates in an order that changes from run to run,
    and writes the temporary ``.tflite`` path into the graph. Every internal name is rewritten
    from the node order (graph inputs and outputs keep theirs) and the graph's doc string is set
    to ``source``, so the same wheel always gives the same bytes (and the hashes in
    ``face_models.json`` can be reproduced).

    Parameters
    ----------
    tflite : Path
        The TFLite model.
    onnx_path : Path
        Where to write the ONNX model.
    opset : int
        ONNX opset.
    source : str
        Where the TFLite model came from, recorded in the graph.
    """
    import onnx
    from tf2onnx import convert as tf2onnx_convert

    model, _ = tf2onnx_convert.from_tflite(str(tflite), opset=opset)
    graph = model.graph
    keep = {value.name for value in [*graph.input, *graph.output]}
    constants = {init.name: init for init in graph.initializer}
    renamed: dict[str, str] = {}
    for index, node in enumerate(graph.node):
        for position, name in enumerate(node.input):
            if name in constants and name not in renamed:
                renamed[name] = f"const_{len(renamed)}"
            node.input[position] = renamed.get(name, name)
        for position, name in enumerate(node.output):
            if name not in keep:
                renamed[name] = f"{node.op_type.lower()}_{index}_{position}"
                node.output[position] = renamed[name]
        node.name = f"{node.op_type.lower()}_{index}"
    ordered = sorted(constants.values(), key=lambda init: int(renamed[init.name].split("_")[1]))
    for init in ordered:
        init.name = renamed[init.name]
    del graph.initializer[:]
    graph.initializer.extend(ordered)
    graph.doc_string = source
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))


def convert_and_check(
    wheel: Path, out: Path, photos: Path, *, opset: int = 17, tolerance: float = 1e-3
) -> dict[str, Any]:
    """Convert both models, check parity, and write the artifacts only if parity holds.

    Parameters
    ----------
    wheel : Path
        The mediapipe 0.10.14 wheel.
    out : Path
        Folder for the ONNX files, the licence and ``face_models.json``.
    photos : Path
        Folder of real photos for the parity check.
    opset : int, default 17
        ONNX opset for tf2onnx.
    tolerance : float, default 1e-3
        Largest allowed difference (model pixel units for boxes and landmarks, logits or
        probabilities for scores).

    Returns
    -------
    dict
        The manifest written to ``face_models.json``.

    Raises
    ------
    SystemExit
        If any checked difference exceeds ``tolerance``; nothing is written then.
    """
    import tensorflow as tf
    import tf2onnx

    with tempfile.TemporaryDirectory() as tmp:
        tflites, licence = extract(wheel, Path(tmp))
        onnx_paths = {name: Path(tmp) / f"{name}.onnx" for name in tflites}
        for name, tflite in tflites.items():
            convert(tflite, onnx_paths[name], opset, f"{wheel.name}:{WHEEL_MEMBERS[name]}")
        pairs = {name: ModelPair(tflites[name], onnx_paths[name]) for name in tflites}
        detector_real, landmark_real = real_inputs(photos, pairs["face_detector"])
        inputs = {
            "face_detector": (random_inputs((1, 128, 128, 3), -1, 1, 8, 0), detector_real),
            "face_landmarks": (random_inputs((1, 192, 192, 3), 0, 1, 8, 1), landmark_real),
        }
        measures: dict[str, Measure] = {
            "face_detector": detector_diffs,
            "face_landmarks": landmark_diffs,
        }
        models: dict[str, Any] = {}
        worst = 0.0
        for name, pair in pairs.items():
            on_random, on_real = (pair.max_diffs(b, measures[name]) for b in inputs[name])
            checked = [d[k] for d in (on_random, on_real) for k in d if k not in INFORMATIVE]
            worst = max(worst, *checked)
            print(f"{name}: max |tflite - onnx| random {on_random} real {on_real}")
            models[name] = {
                "file": f"{name}.onnx",
                "onnx_sha256": sha256(onnx_paths[name]),
                "tflite_member": WHEEL_MEMBERS[name],
                "tflite_sha256": sha256(tflites[name]),
                "input": {
                    "name": pair.input_name,
                    "shape": list(inputs[name][0][0].shape),
                    "layout": "NHWC RGB float32",
                    "range": _INPUT_RANGES[name],
                },
                "outputs": pair.output_names,
                "parity_max_abs_diff": {
                    "random": on_random,
                    "real": on_real,
                    "n_random": len(inputs[name][0]),
                    "n_real": len(inputs[name][1]),
                },
            }
        if worst > tolerance:
            raise SystemExit(f"parity {worst:.2e} above {tolerance}: nothing written")
        out.mkdir(parents=True, exist_ok=True)
        for name, path in onnx_paths.items():
            (out / f"{name}.onnx").write_bytes(path.read_bytes())
    manifest = {
        "generated_by": "models/conversion/convert_mediapipe.py",
        "source": {"wheel": wheel.name, "wheel_sha256": sha256(wheel)},
        "licence": "Apache-2.0, see LICENSE-mediapipe",
        "converter": {"tf2onnx": tf2onnx.__version__, "tensorflow": tf.__version__},
        "opset": opset,
        "parity_tolerance": tolerance,
        "models": models,
    }
    (out / "LICENSE-mediapipe").write_text(licence, encoding="utf-8")
    (out / "face_models.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--wheel", type=Path, required=True, help="mediapipe-0.10.14 wheel")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "artifacts")
    parser.add_argument("--photos", type=Path, default=ROOT / "data" / "faces")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--tolerance", type=float, default=1e-3)
    args = parser.parse_args(argv)
    convert_and_check(args.wheel, args.out, args.photos, opset=args.opset, tolerance=args.tolerance)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
