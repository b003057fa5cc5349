"""The corpus scan as a job on Dask's distributed scheduler (the optional extra
`pip install 'benchgate[dask]'`): one task per corpus partition, the benchmark's hashes sent
once to every worker, the confirmed hits merged here. The same `scan_partition` as the local
scan, so the result is the same.

`address`: a running scheduler (`tcp://HOST:8786`, started with `dask scheduler` and joined
by `dask worker tcp://HOST:8786` on each machine), or "local" for a `LocalCluster` of
`workers` processes on this machine. Every worker must read the corpus at the paths given
(a shared file system, mounted at the same path on each machine)."""
from __future__ import annotations

from typing import Callable

from distributed import Client, LocalCluster, as_completed

from benchgate.contamination.corpus import Partition
from benchgate.contamination.scan import Probe, ScanResult, scan_partition


def dask_scan(address: str, workers: int = 1) -> Callable[..., ScanResult]:
    """A `run_scan` for `benchgate.contamination.ngram.check` that runs on Dask."""
    def run(parts: list[Partition], probe: Probe, *, text_fields: tuple[str, ...],
            chunk_bytes: int) -> ScanResult:
        cluster = None
        if address == "local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(address)
        try:
            [shared] = client.scatter([probe], broadcast=True)
            futures = client.map(scan_partition, parts, probe=shared, text_fields=text_fields,
                                 chunk_bytes=chunk_bytes, pure=False)
            total = ScanResult()
            for _, result in as_completed(futures, with_results=True):
                total.merge(result)
            return total
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return run
