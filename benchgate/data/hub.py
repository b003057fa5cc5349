"""Loading evaluation splits from ModelScope or the Hugging Face hub."""
from __future__ import annotations

from benchgate.errors import DataError, DataMissing
from benchgate.hubs import describe_failure, missing_package, no_network, offline_mode


def load_hub_split(hub: str, dataset_id: str, subset: str | None, split: str) -> list[dict]:
    """Rows of one split from a hub, as plain dicts. A failure raises a DataError that names
    the dataset, the hub and what is wrong: the hub's package not installed (with the pip
    command), no network, or an unknown id; and how to use local files instead."""
    what = f"dataset {dataset_id!r} (subset {subset!r}, split {split!r})"
    try:
        if hub == "modelscope":
            from modelscope.msdatasets import MsDataset

            _fail_fast_offline(hub, what)
            ds = MsDataset.load(dataset_id, subset_name=subset, split=split)
        elif hub == "huggingface":
            import datasets

            _fail_fast_offline(hub, what)
            ds = datasets.load_dataset(dataset_id, subset, split=split)
        else:
            raise DataMissing(f"unknown --dataset-hub {hub!r} (modelscope, huggingface, local)")
        return [dict(row) for row in ds]
    except DataError:
        raise
    except Exception as e:  # the hubs raise many types; all mean "could not load"
        way_out = "" if missing_package(e, hub) else \
            ". Or pass --dataset-dir with a local copy (and --dataset-hub local)"
        raise DataMissing(f"could not load {what} from {hub}: "
                          f"{describe_failure(e, hub, f'dataset {dataset_id!r}')}{way_out}") from None


def _fail_fast_offline(hub: str, what: str) -> None:
    """Raise DataMissing at once when the hub cannot be reached and its client is not in
    offline mode (where it reads its cache without the network): the clients would retry for
    20-30 s first."""
    cut_off = None if offline_mode(hub) else no_network(hub)
    if cut_off:
        cache = (" (a copy in the Hugging Face cache is read with HF_DATASETS_OFFLINE=1)"
                 if hub == "huggingface" else "")
        raise DataMissing(f"could not load {what} from {hub}: {cut_off}{cache}. "
                          "Or pass --dataset-dir with a local copy (and --dataset-hub local)")


def hub_samples(benchmark, ctx, subset: str, split: str, convert, hub_subset: str | None = "") -> list:
    """Samples of one split from the run's hub (`benchmark.hub_ids[ctx.dataset_hub]`), built
    with `convert` like local rows; `hub_subset` names the hub's config when it differs."""
    from benchgate.data.files import to_samples

    hub_id = benchmark.hub_ids[ctx.dataset_hub]
    name = subset if hub_subset == "" else hub_subset
    rows = load_hub_split(ctx.dataset_hub, hub_id, name, split)
    where = f"{hub_id}[{name}/{split}]"
    return to_samples(benchmark.name, subset, ((i, r, f"{where}#{i}") for i, r in enumerate(rows)), convert)
