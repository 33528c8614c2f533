"""One Dagster partition of the bench's asset, materialized in this process (as Dagster's
multiprocess executor or run launcher runs each): ``SHEET HISTORY PARTITION URL [admin]``.
Prints the run's elapsed seconds (from the materialization's metadata) as JSON."""

from __future__ import annotations

import json
import sys

import dagster

from bulk_update.dagster import IntercomConnection, bulk_update_asset

sheet, history, partition, url, *admin = sys.argv[1:]
settings = {"admin": admin[0]} if admin else {}
asset = bulk_update_asset(
    "bench",
    sheet,
    {
        partition: IntercomConnection(
            token_env="INTERCOM_ACCESS_TOKEN", base_url=url, rate="1666/10"
        )
    },
    history_dir=history,
    fail_on="never",
    schema_path="sample_data/schema.json",
    **settings,
)
done = dagster.materialize([asset], partition_key=partition)
[materialized] = done.asset_materializations_for_node("bench")
print(json.dumps({"elapsed": materialized.metadata["elapsed_seconds"].value}))
