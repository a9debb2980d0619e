"""Render the README gallery: run the examples at full settings and copy their key figures to docs/gallery/.

    python examples/make_gallery.py [--quick] [--out docs/gallery] [--work out/gallery-runs] [--only NAME ...]

Each example runs with its default seed (the seed documents' own seeds) into
``--work/NAME/``; the figures listed in GALLERY are then copied to ``--out``
under their gallery names. ``--quick`` renders the same figures from the quick
settings (a smoke test, not for the README).
"""
from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import time
from pathlib import Path
from typing import Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# example -> [(figure the example writes, name in the gallery)]
GALLERY: dict[str, list[tuple[str, str]]] = {
    "moons": [("decision_boundary.png", "moons_decision_boundary.png"),
              ("architectures.png", "moons_architectures.png"),
              ("learning_rates.png", "moons_learning_rates.png")],
    "sine_regression": [("fits.png", "sine_fits.png"), ("loss_history.png", "sine_loss_history.png"),
                        ("early_stopping.png", "sine_early_stopping.png")],
    "surface_regression": [("hidden_sizes.png", "surface_hidden_sizes.png"),
                           ("init_comparison.png", "surface_init_comparison.png")],
    "hand_calculations": [("activations.png", "activations.png")],
    "exercises": [("curves.png", "exercises_curves.png"), ("spirals_boundary.png", "exercises_spirals.png"),
                  ("circles_boundary.png", "exercises_circles.png")],
    "moons_sklearn": [("decision_boundary.png", "moons_sklearn_mlpgrad.png"),
                      ("decision_boundary_sklearn.png", "moons_sklearn_sklearn.png")],
}


def main(argv: Sequence[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick settings (smoke test)")
    parser.add_argument("--out", type=Path, default=Path("docs") / "gallery", help="gallery folder")
    parser.add_argument("--work", type=Path, default=Path("out") / "gallery-runs",
                        help="where the examples write their own output")
    parser.add_argument("--only", nargs="*", choices=sorted(GALLERY), help="render only these examples")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in args.only or GALLERY:
        start = time.perf_counter()
        print(f"\n##### {name} " + "#" * 60)
        example = importlib.import_module(name)
        work = args.work / name
        example.main((["--quick"] if args.quick else []) + ["--out", str(work)])
        for source, target in GALLERY[name]:
            if (work / source).is_file():
                shutil.copyfile(work / source, args.out / target)
                written.append(args.out / target)
            else:
                print(f"  (missing {work / source}; is matplotlib or scikit-learn installed?)")
        print(f"##### {name}: {time.perf_counter() - start:.1f} s")
    print("\ngallery:\n" + "\n".join(f"  {p}" for p in written))
    return written


if __name__ == "__main__":
    main()
