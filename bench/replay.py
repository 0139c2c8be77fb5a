"""Replay benchmark: fill an archive with `kitting demo` baskets (embedded broker, one worker), then
replay it: every extraction and selection run again and compared with the recorded decision.

Prints one JSON line: events, baskets, decisions, differences, seconds, events_per_s (replay alone,
reading the archive included) and archive_read_s.

    python bench/replay.py [--baskets 50]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from agents.analytics.replay import replay
from agents.cli.demo import run_demo
from streams.archive import read_archive
from streams.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baskets", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kitting-bench-replay-") as tmp:
        archive = Path(tmp) / "archive"
        print(f"[bench] demo with {args.baskets} baskets into {archive}", file=sys.stderr)
        demo = run_demo(Settings(archive_dir=archive), timeout_s=900, baskets=args.baskets)
        if not (demo["archive"] or {}).get("complete"):
            raise SystemExit(f"the archive is incomplete: {demo['archive']}")
        started = time.perf_counter()
        records = list(read_archive(archive))
        read_s = time.perf_counter() - started
        print(f"[bench] replaying {len(records)} events", file=sys.stderr)
        report = replay(records)
        total_s = time.perf_counter() - started
    summary = report.summary()
    print(
        json.dumps(
            {
                "events": summary["events"],
                "baskets": summary["baskets"],
                "decisions": summary["decisions"],
                "differences": summary["differences"],
                "archive_read_s": round(read_s, 3),
                "seconds": round(total_s, 2),
                "events_per_s": round(summary["events"] / total_s, 1),
                "replay_only_events_per_s": summary["events_per_s"],
            }
        )
    )


if __name__ == "__main__":
    main()
