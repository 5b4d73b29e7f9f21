"""The feed version starts at a random point rather than at nought.

Two databases built from scratch counted their feed versions up from the same
number, so a calendar app holding a copy from one was told "not modified" by the
other for different data, and a worker could hand out bytes it kept from the first.
From a random point far from nought, two databases never give the same versions.

Going down leaves the number where it is: any version is right for the older
schema.

Revision ID: e41c7b2a9d03
Revises: d2e7a9c41b60
Create Date: 2026-12-05 01:05:00.000000

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e41c7b2a9d03"
down_revision = "d2e7a9c41b60"
branch_labels = None
depends_on = None

#: The leap is at least this, past the leaps a restore makes (up to 2**21), and
#: leaves room below the largest 32-bit integer for a thousand restores.
LEAST = 2**22
MOST = 2**30


def upgrade():
    leap = LEAST + secrets.randbelow(MOST - LEAST)
    op.execute(
        sa.text("UPDATE feed_state SET version = version + :leap").bindparams(leap=leap)
    )


def downgrade():
    pass
