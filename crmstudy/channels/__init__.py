"""Channel behaviour: who uses which channel where, counter productivity, migration (source 004, stage 1)."""

from __future__ import annotations

from .behaviour import ChannelAssociation, channel_association, channel_mix, channel_use
from .migration import channel_migration, migration_trend
from .productivity import counter_productivity, hourly_profile

__all__ = [
    "ChannelAssociation",
    "channel_association",
    "channel_migration",
    "channel_mix",
    "channel_use",
    "counter_productivity",
    "hourly_profile",
    "migration_trend",
]
