"""The seed notebook's generation job, cell by cell, as the live baseline of bench/notebook-job.ts.

    python bench/notebook_baseline.py --data ../shared/conceptcaps --out <dir>

It follows ../shared/spec/seed-notebook.txt (cells In [6] to In [24]) on the real ConceptCaps
inputs and checkpoint: the catalogue read with pandas and its list cells parsed with
ast.literal_eval, the notebook's synthetic correlated counts (scipy), one encode/decode per
row with PyTorch on the CPU (seeded rows: 2,041 tracks x 7 temperatures; latent rows: 14,287
decodes of z ~ N(0, I), wrapping around the first 2,041 draws and at the loop's last
temperature, as the notebook's cell does), top-k per category, the pandas de-duplication,
md5 surrogate ids, the two sklearn splits and the four CSV files. Pushing to the Hub (cell
In [25]) is left out: tagflow's job publishes to a folder.

Left out because they only cost time: matplotlib, tqdm and `datasets` imports and the
progress bars (the notebook wraps both loops in tqdm), and the notebook's display of
DataFrames. The model class is the checkpoint's architecture (../shared/conceptcaps/README.md)
without dropout layers (inactive in eval mode anyway). Everything else is the notebook's code.

Prints one JSON line on stdout: rows generated, unique, split sizes and per-phase seconds.
"""

import argparse
import ast
import hashlib
import json
import sys
import time
from pathlib import Path

_t0 = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy.stats import multivariate_normal, norm  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

_t_imports = time.perf_counter()

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True, help="folder with the ConceptCaps files")
parser.add_argument("--out", required=True, help="output folder for the CSV files")
args = parser.parse_args()
DATA = Path(args.data)


class BetaVAE(nn.Module):
    """The ConceptCaps checkpoint's architecture (src.vae.modeling.BetaVAE in the notebook)."""

    def __init__(self, input_dim, latent_dim, hidden_dim, dropout_p, use_batch_norm, beta):
        super().__init__()
        self.beta = beta
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc2_mu = nn.Linear(hidden_dim, latent_dim)
        self.fc2_logvar = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, input_dim)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc2_mu(h), self.fc2_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z, temperature=1.0):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))) / temperature)


# In [6]
seed = 42
np.random.seed(seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# In [7], In [8]
TAXONOMY = json.load(open(DATA / "concepts_to_tags.json", "r"))
CATEGORIES = list(TAXONOMY.keys())
TAG_TO_CATEGORY = {}
for cat, tags in TAXONOMY.items():
    for tag in tags:
        TAG_TO_CATEGORY[tag] = cat

tag_to_idx = {}
idx_to_tag = {}
cat_ranges = {}
current_idx = 0
for cat in CATEGORIES:
    start = current_idx
    for tag in TAXONOMY[cat]:
        tag_to_idx[tag] = current_idx
        idx_to_tag[current_idx] = (cat, tag)
        current_idx += 1
    cat_ranges[cat] = (start, current_idx)
TOTAL_INPUT_DIM = current_idx

# In [9]
df = pd.read_csv(DATA / "mtg_jamendo_top50tags_cleaned.csv")
df["aspect_list"] = df["aspect_list"].apply(ast.literal_eval)
df["instrument_tags"] = df["instrument_tags"].apply(ast.literal_eval)
df["genre_tags"] = df["genre_tags"].apply(ast.literal_eval)
df["mood_tags"] = df["mood_tags"].apply(ast.literal_eval)

# In [12]
input_dim = TOTAL_INPUT_DIM
latent_dim = 128
hidden_dim = 512
dropout_p = 0.25
use_batch_norm = False
beta = 0.25
model = BetaVAE(input_dim, latent_dim, hidden_dim, dropout_p, use_batch_norm, beta).to(device)
model.load_state_dict(torch.load(DATA / "vae_final.pth", map_location=device))
model.eval()


# In [13]
def generate_tags(model, seed_tags, requests, temperature=1.0):
    model.eval()
    device = next(model.parameters()).device
    input_vec = torch.zeros(1, TOTAL_INPUT_DIM).to(device)
    for tag in seed_tags:
        if tag in tag_to_idx:
            input_vec[0, tag_to_idx[tag]] = 1.0
        else:
            print(f"Warning: Seed tag '{tag}' not in taxonomy.")
    with torch.no_grad():
        mu, logvar = model.encode(input_vec)
        z = model.reparameterize(mu, logvar)
        probs = model.decode(z, temperature=temperature)[0]
        results = {}
        for category, count in requests.items():
            if count <= 0:
                results[f"generated_{category}_tags"] = []
                continue
            start, end = cat_ranges[category]
            cat_probs = probs[start:end]
            top_k_vals, top_k_indices = torch.topk(cat_probs, k=count + 5)
            found_tags = []
            for i in range(len(top_k_indices)):
                local_idx = top_k_indices[i].item()
                global_idx = start + local_idx
                tag_name = idx_to_tag[global_idx][1]
                if tag_name not in seed_tags:
                    found_tags.append(tag_name)
                if len(found_tags) == count:
                    break
            results[f"generated_{category}_tags"] = found_tags
    return results


# In [14]
def generate_tags_from_latent(model, latent_vector, requests, temperature=1.0):
    model.eval()
    device = next(model.parameters()).device
    if latent_vector.dim() == 1:
        latent_vector = latent_vector.unsqueeze(0)
    latent_vector = latent_vector.to(device)
    with torch.no_grad():
        probs = model.decode(latent_vector, temperature=temperature)[0]
        results = {}
        for category, count in requests.items():
            if count <= 0:
                results[f"generated_{category}_tags"] = []
                continue
            start, end = cat_ranges[category]
            cat_probs = probs[start:end]
            top_k_vals, top_k_indices = torch.topk(cat_probs, k=min(count + 5, end - start))
            found_tags = []
            for i in range(len(top_k_indices)):
                local_idx = top_k_indices[i].item()
                global_idx = start + local_idx
                tag_name = idx_to_tag[global_idx][1]
                found_tags.append(tag_name)
                if len(found_tags) == count:
                    break
            results[f"generated_{category}_tags"] = found_tags
    return results


# In [15]
CATEGORIES = ["tempo", "genre", "mood", "instrument"]
N_CATEGORIES = len(CATEGORIES)
N_SAMPLES_TO_GENERATE = len(df)
MAX_COUNTS = {"tempo": 6, "genre": 6, "mood": 8, "instrument": 6}
MEANS = {"tempo": 1.24, "genre": 1.25, "mood": 1.75, "instrument": 1.96}
VARIANCES = {"tempo": 0.58, "genre": 0.65, "mood": 1.07, "instrument": 1.12}


# In [16]
def generate_synthetic_correlated_data(n_records):
    correlation_matrix = np.array(
        [
            [1.0, 0.15, 0.046, -0.056],
            [0.15, 1.0, 0.021, -0.087],
            [0.046, 0.021, 1.0, -0.099],
            [-0.056, -0.087, -0.099, 1.0],
        ]
    )
    mean = np.zeros(N_CATEGORIES)
    z_continuous = multivariate_normal.rvs(mean=mean, cov=correlation_matrix, size=n_records)
    data = np.zeros((n_records, N_CATEGORIES), dtype=int)
    for i, cat in enumerate(CATEGORIES):
        max_c = MAX_COUNTS[cat]
        mu = np.log(MEANS[cat] ** 2 / np.sqrt(MEANS[cat] ** 2 + VARIANCES[cat]))
        sigma = np.sqrt(np.log(1 + VARIANCES[cat] / MEANS[cat] ** 2))
        x = np.arange(1, max_c + 1)
        p = 1 / (x * sigma * np.sqrt(2 * np.pi))
        p *= np.exp(-((np.log(x) - mu) ** 2) / (2 * sigma**2))
        p /= p.sum()
        uniform_quantiles = norm.cdf(z_continuous[:, i])
        counts = np.digitize(uniform_quantiles, np.cumsum(p[:-1])) + 1
        data[:, i] = np.clip(counts, 1, max_c)
    return data, correlation_matrix


# In [17]
data, _ = generate_synthetic_correlated_data(N_SAMPLES_TO_GENERATE)


# In [18]
def sample_random_latent_vectors(model, n_samples, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
        np.random.seed(seed)
    latent_dim = model.fc2_mu.out_features
    return torch.randn(n_samples, latent_dim)


_t_setup = time.perf_counter()

# In [19]
temperatures = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0]
results = []
for temp in temperatures:
    for idx in range(N_SAMPLES_TO_GENERATE):
        tags_per_category = {
            "tempo": data[idx, 0],
            "genre": data[idx, 1],
            "mood": data[idx, 2],
            "instrument": data[idx, 3],
        }
        row = df.iloc[idx]
        seed_tags = []
        for category in ["genre", "instrument", "mood"]:
            if len(row[f"{category}_tags"]) > 1:
                seed_tags.append(np.random.choice(row[f"{category}_tags"]))
                tags_per_category[category] = tags_per_category.get(category, 1) - 1
        generated_tags = generate_tags(model, seed_tags, tags_per_category, temperature=temp)
        _generated_tags = []
        for gtags in generated_tags.values():
            _generated_tags.extend(gtags)
        df_entry = {
            "id": row["id"],
            "aspect_list": seed_tags + _generated_tags,
            "original_aspect_list": row["aspect_list"],
            "temperature": temp,
            **generated_tags,
        }
        results.append(df_entry)

_t_seeded = time.perf_counter()

z_samples = sample_random_latent_vectors(
    model, N_SAMPLES_TO_GENERATE * len(temperatures), seed=seed
)
for idx in range(N_SAMPLES_TO_GENERATE * len(temperatures)):
    idx %= N_SAMPLES_TO_GENERATE
    z = z_samples[idx : idx + 1]
    num_tags_for_category = {
        "tempo": data[idx, 0],
        "genre": data[idx, 1],
        "mood": data[idx, 2],
        "instrument": data[idx, 3],
    }
    generated_tags_dict = generate_tags_from_latent(
        model, z, num_tags_for_category, temperature=temp
    )
    all_tags = []
    for tag_list in generated_tags_dict.values():
        all_tags.extend(tag_list)
    df_entry = {
        "id": df.iloc[idx]["id"],
        "aspect_list": all_tags,
        "original_aspect_list": [],
        "temperature": temp,
        **generated_tags_dict,
    }
    results.append(df_entry)

_t_latent = time.perf_counter()

# In [20], In [21]
res_df = pd.DataFrame(results)
rows_generated = len(res_df)
res_df["aspect_list"] = res_df["aspect_list"].apply(lambda x: sorted(list(set(x))))
res_df = res_df.drop_duplicates(subset=["aspect_list"]).reset_index(drop=True)


# In [22]
def generate_surrogate_key(track_id: str, original_tags: str, temperature: float) -> str:
    key_str = f"{track_id}_{original_tags}_{temperature}"
    return hashlib.md5(key_str.encode()).hexdigest()


res_df["surrogate_key"] = res_df.apply(
    lambda row: generate_surrogate_key(row["id"], row["original_aspect_list"], row["temperature"]),
    axis=1,
)
res_df.drop(columns=["id"], inplace=True)
res_df.rename(columns={"surrogate_key": "id"}, inplace=True)

# In [23]
df_train, df_valid = train_test_split(res_df, test_size=0.1, random_state=42)
df_valid, df_test = train_test_split(df_valid, test_size=0.5, random_state=42)

_t_dedupe_split = time.perf_counter()

# In [24]
output_dir = Path(args.out)
output_dir.mkdir(parents=True, exist_ok=True)
df_train.to_csv(output_dir / "train.csv", index=False)
df_valid.to_csv(output_dir / "validation.csv", index=False)
df_test.to_csv(output_dir / "test.csv", index=False)
all_df = pd.concat([df_train, df_valid, df_test])
all_df.to_csv(output_dir / "all.csv", index=False)

_t_end = time.perf_counter()

json.dump(
    {
        "rowsGenerated": rows_generated,
        "rowsUnique": len(res_df),
        "splits": {"train": len(df_train), "validation": len(df_valid), "test": len(df_test)},
        "versions": {
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "torchThreads": torch.get_num_threads(),
        },
        "seconds": {
            "imports": round(_t_imports - _t0, 3),
            "setup": round(_t_setup - _t_imports, 3),
            "seeded": round(_t_seeded - _t_setup, 3),
            "latent": round(_t_latent - _t_seeded, 3),
            "dedupeSplit": round(_t_dedupe_split - _t_latent, 3),
            "csv": round(_t_end - _t_dedupe_split, 3),
        },
    },
    sys.stdout,
)
sys.stdout.write("\n")
