"""A compact PtychoPINN-style ptychography sim -> recon pipeline (TensorFlow / Keras 3).

The reference subject of `investigate`. Modules, in data-flow order:
config/params (settings, legacy global dict) -> sim -> grouping -> model -> train -> infer ->
metrics; `pipelines` wires them into scenarios and `experiments` is what hypothesis files call.
Importing this package does not import TensorFlow; only model/train/infer do.
"""
