"""investigate: hypothesis-tracking investigations for ML pipelines.

The core package must import without TensorFlow; the reference subject lives in
``ptycho`` and is only ever loaded inside a run's own subprocess.
"""

__version__ = "0.1.0"
