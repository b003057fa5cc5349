"""Loading evaluation splits from ModelScope or the Hugging Face hub."""
from __future__ import annotations

from benchgate.errors import DataError, DataMissing


def load_hub_split(hub: str, dataset_id: str, subset: str | None, split: str) -> list[dict]:
    """Rows of one split from a hub, as plain dicts. Offline or unknown ids raise a
    DataError that names the dataset, the hub and how to use local files instead."""
    try:
        if hub == "modelscope":
            from modelscope.msdatasets import MsDataset

            ds = MsDataset.load(dataset_id, subset_name=subset, split=split)
        elif hub == "huggingface":
            import datasets

            ds = datasets.load_dataset(dataset_id, subset, split=split)
        else:
            raise DataMissing(f"unknown --dataset-hub {hub!r} (modelscope, huggingface, local)")
        return [dict(row) for row in ds]
    except DataError:
        raise
    except Exception as e:  # the hubs raise many types; all mean "could not load"
        reason = f"{type(e).__name__}: {e}".splitlines()[0][:300]
        raise DataMissing(
            f"could not load dataset {dataset_id!r} (subset {subset!r}, split {split!r}) from "
            f"{hub}: {reason}. Offline? Pass --dataset-dir with a local copy "
            f"(and --dataset-hub local)") from None


def hub_samples(benchmark, ctx, subset: str, split: str, convert, hub_subset: str | None = "") -> list:
    """Samples of one split from the run's hub (`benchmark.hub_ids[ctx.dataset_hub]`), built
    with `convert` like local rows; `hub_subset` names the hub's config when it differs."""
    from benchgate.data.files import to_samples

    hub_id = benchmark.hub_ids[ctx.dataset_hub]
    name = subset if hub_subset == "" else hub_subset
    rows = load_hub_split(ctx.dataset_hub, hub_id, name, split)
    where = f"{hub_id}[{name}/{split}]"
    return to_samples(benchmark.name, subset, ((i, r, f"{where}#{i}") for i, r in enumerate(rows)), convert)
