"""One-off scripts that turn third-party models into the ONNX files shipped in ``models/artifacts``.

They run in their own environment (TensorFlow and friends are not runtime dependencies of
skinlab); each script's docstring says how.
"""
