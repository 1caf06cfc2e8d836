"""Dataset formats and sources: `load_dataset` turns a DatasetSpec into Sample objects."""

from evalspec.data.loader import load_dataset
from evalspec.data.types import Dataset, Sample

__all__ = ["Dataset", "Sample", "load_dataset"]
