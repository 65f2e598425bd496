"""Campaign commands: the ``cvm campaign`` group (``cvm campaign uplift``)."""

from __future__ import annotations

import click

from . import main
from .uplift import uplift

campaign = click.group("campaign", help="Campaigns: who to target, and what a campaign did.")(
    lambda: None)
campaign.add_command(uplift)
main.add_command(campaign)
