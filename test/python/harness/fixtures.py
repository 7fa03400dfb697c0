"""The real model and log files from public repositories, kept beside the checkout in
shared/fixtures/real (read-only; provenance in its SOURCES.tsv). DLKIT_FIXTURES points elsewhere.
Missing fixtures are an error, never a skip."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
REAL_FIXTURES = Path(os.environ.get("DLKIT_FIXTURES") or ROOT.parent / "shared" / "fixtures" / "real")

if not REAL_FIXTURES.is_dir():
    raise RuntimeError(f"The real fixtures are not at {REAL_FIXTURES}: put shared/ beside the checkout or set DLKIT_FIXTURES.")
