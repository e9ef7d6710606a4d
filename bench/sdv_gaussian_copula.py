"""SDV GaussianCopulaSynthesizer as a peer baseline for bench/peer-quality.ts.

Reads a tag corpus in musiccaps_distilled.csv's format (tag cells are comma-joined tag names,
empty when none, in the columns <category>_tags), makes one boolean column per taxonomy tag,
fits SDV's GaussianCopulaSynthesizer with its default settings, samples --rows rows and writes
them in the corpus's own format (the <category>_tags columns only). Prints one JSON line with
the timings to stdout.

    python bench/sdv_gaussian_copula.py --taxonomy concepts_to_tags.json \
        --corpus musiccaps_distilled.csv --rows 14287 --seed 42 --out sdv.csv

Needs `sdv` and `pandas` (bench/peer-quality.ts keeps a venv for them in .tagflow/bench-python).
GaussianCopula does not need torch; `pip install --no-deps sdv` plus sdv's other dependencies
except ctgan and deepecho is enough.
"""

import argparse
import csv
import json
import random
import sys
import time
import warnings

import numpy as np
import pandas as pd


def read_corpus(path, taxonomy):
    """One boolean column per taxonomy tag (column `t<index>`), in taxonomy order."""
    index = {}
    columns = []
    for category, tags in taxonomy.items():
        for tag in tags:
            index[(category, tag)] = len(columns)
            columns.append(f"t{len(columns):03d}")
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for line, record in enumerate(csv.DictReader(f), start=2):
            flags = [False] * len(columns)
            for category in taxonomy:
                cell = record.get(f"{category}_tags") or ""
                for tag in (t.strip() for t in cell.split(",")):
                    if not tag:
                        continue
                    if (category, tag) not in index:
                        sys.exit(f"{path}:{line}: tag {tag!r} is not in category {category!r}")
                    flags[index[(category, tag)]] = True
            rows.append(flags)
    return pd.DataFrame(rows, columns=columns, dtype=bool)


def write_rows(path, frame, taxonomy):
    values = frame.to_numpy(dtype=bool)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([f"{category}_tags" for category in taxonomy])
        for row in values:
            cells = []
            offset = 0
            for tags in taxonomy.values():
                cells.append(", ".join(t for j, t in enumerate(tags) if row[offset + j]))
                offset += len(tags)
            writer.writerow(cells)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taxonomy", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    # Imported after seeding, so nothing random happens before the seed is set.
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer
    import sdv

    with open(args.taxonomy, encoding="utf-8") as f:
        taxonomy = json.load(f)
    data = read_corpus(args.corpus, taxonomy)
    metadata = Metadata.load_from_dict(
        {
            "METADATA_SPEC_VERSION": "V1",
            "tables": {"tags": {"columns": {c: {"sdtype": "boolean"} for c in data.columns}}},
        }
    )

    synthesizer = GaussianCopulaSynthesizer(metadata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        synthesizer.fit({"tags": data} if int(sdv.__version__.split(".")[0]) >= 2 else data)
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        sampled = synthesizer.sample(num_rows=args.rows)
        # SDV 2 returns {table name: frame}; SDV 1 returned the frame.
        if isinstance(sampled, dict):
            sampled = sampled["tags"]
        sample_seconds = time.perf_counter() - started
    write_rows(args.out, sampled.astype(bool), taxonomy)
    print(
        json.dumps(
            {
                "sdv": sdv.__version__,
                "trainingRows": len(data),
                "rows": len(sampled),
                "fitSeconds": fit_seconds,
                "sampleSeconds": sample_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
