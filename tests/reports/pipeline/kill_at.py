"""``python kill_at.py POINT ARGV...``: ``crmstudy ARGV`` that kills itself (SIGKILL) at one point of publishing.

A ``kill -9`` at an exact instant, without a hook in the package: the point's function is wrapped here.

* ``building``: the snapshot's reports are in place, its index and manifest not yet written;
* ``built``: the snapshot is complete and renamed into place, ``latest`` not yet switched;
* ``linked``: ``latest``'s next link exists, not yet swapped in;
* ``published``: ``latest`` has just been switched (nothing after it ran: no pruning, no clean-up).
"""

from __future__ import annotations

import os
import signal
import sys

from crmstudy import cli
from crmstudy.reports.pipeline import publish


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(point: str, argv: list[str]) -> int:
    if point == "building":
        real = publish._write_index_and_manifest

        def write(folder, manifest, plan):
            if folder.name.startswith(publish._PARTIAL):
                die()
            return real(folder, manifest, plan)

        publish._write_index_and_manifest = write
    elif point == "built":
        publish.switch_latest = lambda out_dir, snapshot: die()
    elif point == "linked":
        real_replace = os.replace

        def replace(src, dst):
            if os.path.basename(dst) == "latest":
                die()
            return real_replace(src, dst)

        publish.os.replace = replace
    elif point == "published":
        real_switch = publish.switch_latest

        def switch(out_dir, snapshot):
            real_switch(out_dir, snapshot)
            die()

        publish.switch_latest = switch
    else:
        raise SystemExit(f"unknown point {point!r}")
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
