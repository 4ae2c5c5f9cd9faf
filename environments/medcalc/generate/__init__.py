"""The MedCalc task generator: seeded structured cases -> task files.

    python -m medsim.environments.medcalc.generate            # write both task files
    python -m medsim.environments.medcalc.generate --check    # regenerate, compare, exit 1 if not identical
    python -m medsim.environments.medcalc.generate --env v0 --per-calculator 50 --seed 7 --split train --out /tmp/x

Files are gzip NDJSON (one task per line, JSON with fixed key order) written with a zero
timestamp and no file name in the gzip header, so the same inputs give the same bytes.
``--check`` compares the decompressed content, which does not depend on the zlib version.
The packing helpers live in :mod:`medsim.tasks.packed` (shared with MedAgentBench and
PhysicianBench-v0); they are re-exported here.
"""

from __future__ import annotations

from medsim.tasks.packed import dumps, pack, stored_content, write

DEFAULT_SEED = 0
V0_FILE = "medcalc-v0.ndjson.gz"
EHR_FILE = "medcalc-ehr-v0.ndjson.gz"

__all__ = ["DEFAULT_SEED", "EHR_FILE", "V0_FILE", "dumps", "pack", "stored_content", "write"]
