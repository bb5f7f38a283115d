"""Export scikit-learn's 8x8 digits (BSD-3) as the two .npy files Axon ships in this folder.

Run once with Debian's python (apt-get install -y python3-sklearn):
    /usr/bin/python3 models/digits/export.py
The data comes from the copy bundled inside scikit-learn (sklearn/datasets/data/digits.csv.gz);
nothing is downloaded. Pixels are counts 0..16, so uint8 holds them exactly.
"""
import hashlib
import os

import numpy as np
import sklearn
from sklearn.datasets import load_digits

here = os.path.dirname(os.path.abspath(__file__))
digits = load_digits()
x = digits.data
y = digits.target
assert x.shape == (1797, 64) and y.shape == (1797,)
assert x.min() == 0 and x.max() == 16 and np.all(x == np.round(x))
assert y.min() == 0 and y.max() == 9

for name, arr in (("digits-x.npy", x.astype(np.uint8)), ("digits-y.npy", y.astype(np.uint8))):
    path = os.path.join(here, name)
    np.save(path, np.ascontiguousarray(arr))
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print(f"{name}: shape {arr.shape} {arr.dtype} sha256 {digest}")
print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; class counts {np.bincount(y).tolist()}")
