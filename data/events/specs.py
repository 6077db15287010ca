"""Column contracts of the event tables a brand records, for the monthly-card propensity model.

Each table has a pydantic model for one row (for APIs and tests) and a :class:`TableSpec`, the
column contract that :mod:`data.ingest` validates files against and that :mod:`data.simulator`
writes. The spec is the source of truth for names, dtypes, allowed values and ranges; a test keeps
the row models in step with it.

Conventions
-----------
- ``user_id`` (and ``inviter_id``/``invitee_id``) is a pseudonym (a hashed openid or CRM key),
  never a phone number: the rule of :data:`data.records.USER_ID_RULE`.
- Times are naive local times in China Standard Time (UTC+8), second resolution. A file with
  offsets (``2025-03-01T10:00:00+08:00`` or ``Z``) is converted to UTC+8 and made naive.
- Every event table names one ``time_column``. Point-in-time code keeps a row when its time is
  strictly before the as-of moment, so an aggregate row (the simulator writes weekly community
  counts) carries the *end* of its period: it becomes visible only once the period is over.
- Money is RMB (yuan) as a float; counts are integers.
- Channels: ``miniprogram`` (WeChat mini-program), ``ecommerce`` (Tmall/JD/Douyin shops),
  ``store`` (counter or spa), ``live`` (live-stream sales). Users also have ``invite`` as a source
  channel: they came through a friend's invitation (fission).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from data.vocabulary import CONCERNS

Dtype = Literal["string", "int", "float", "timestamp", "bool"]

ORDER_CHANNELS = ("miniprogram", "ecommerce", "store", "live")
SOURCE_CHANNELS = (*ORDER_CHANNELS, "invite")
STORE_SERVICES = ("consultation", "skin_test", "facial", "spa_treatment", "pickup")
SKIN_TEST_CHANNELS = ("miniprogram", "store")
ACTIVITY_KINDS = ("message", "check_in", "sign_in", "survey", "live_session")
ENERGY_KINDS = ("earned", "redeemed")
CONTENT_ACTIONS = ("post", "forward")
EBA_TOUCHES = ("service_call", "logistics_message", "qr_scan", "day10_call")
TOUCH_OUTCOMES = ("reached", "not_reached")
CARD_KINDS = ("new", "renewal")

OrderChannel = Literal["miniprogram", "ecommerce", "store", "live"]
SourceChannel = Literal["miniprogram", "ecommerce", "store", "live", "invite"]
StoreService = Literal["consultation", "skin_test", "facial", "spa_treatment", "pickup"]
ActivityKind = Literal["message", "check_in", "sign_in", "survey", "live_session"]
EbaTouch = Literal["service_call", "logistics_message", "qr_scan", "day10_call"]


@dataclass(frozen=True)
class Column:
    """One column's contract: a missing optional column is filled with ``default`` (or null)."""

    name: str
    dtype: Dtype
    description: str
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: str | int | float | bool | None = None
    is_user_id: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A table's columns, the column that orders it in time and the one naming its user."""

    name: str
    description: str
    columns: tuple[Column, ...]
    time_column: str
    user_column: str = "user_id"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` names the table's columns otherwise."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}; columns: {', '.join(self.names)}")


def _user(name: str = "user_id", description: str = "Pseudonymous user id") -> Column:
    return Column(name, "string", description, is_user_id=True)


def _time(name: str, description: str) -> Column:
    return Column(name, "timestamp", description)


def _choice(name: str, allowed: tuple[str, ...], description: str, **kw: object) -> Column:
    return Column(name, "string", description, allowed=allowed, **kw)  # type: ignore[arg-type]


_SCORE_COLUMNS = tuple(
    Column(
        f"{c}_score",
        "float",
        f"{c} score 0-100 from /analyze",
        nullable=True,
        required=False,
        minimum=0,
        maximum=100,
    )
    for c in CONCERNS
)

USERS = TableSpec(
    "users",
    "One row per known customer.",
    (
        _user(),
        _time("joined_at", "First contact with the brand (first order or registration)"),
        Column("city", "string", "City name", required=False, nullable=True),
        _choice(
            "source_channel", SOURCE_CHANNELS, "How the user came", required=False, nullable=True
        ),
    ),
    time_column="joined_at",
)
ORDERS = TableSpec(
    "orders",
    "One row per order. The generic minimum is user_id, ordered_at, amount.",
    (
        Column("order_id", "string", "Order id", required=False, nullable=True),
        _user(),
        _time("ordered_at", "When the order was paid"),
        Column("amount", "float", "Paid amount, RMB", minimum=0, maximum=1_000_000),
        _choice("channel", ORDER_CHANNELS, "Sales channel", required=False, nullable=True),
        Column("items", "int", "Units in the order", required=False, nullable=True, minimum=1),
        Column("sku", "string", "Main SKU code", required=False, nullable=True),
        Column("store_id", "string", "Store for store orders", required=False, nullable=True),
    ),
    time_column="ordered_at",
)
STORE_VISITS = TableSpec(
    "store_visits",
    "Visits to a store or spa and the service received.",
    (
        _user(),
        _time("visited_at", "Check-in time at the store"),
        Column("store_id", "string", "Store id"),
        _choice("service", STORE_SERVICES, "Service received"),
        Column("card_redeemed", "bool", "Paid with a monthly card", required=False, default=False),
    ),
    time_column="visited_at",
)
SKIN_TESTS = TableSpec(
    "skin_tests",
    "Skin tests (the scores POST /analyze returns; higher = more of the concern).",
    (
        _user(),
        _time("tested_at", "When the photo was analysed"),
        _choice(
            "channel", SKIN_TEST_CHANNELS, "Where the test was taken", required=False, nullable=True
        ),
        *_SCORE_COLUMNS,
    ),
    time_column="tested_at",
)
COMMUNITY_ACTIVITY = TableSpec(
    "community_activity",
    "WeCom community activity; a row may aggregate `count` events ending at occurred_at.",
    (
        _user(),
        _time("occurred_at", "Event time, or the end of the aggregated period"),
        _choice("kind", ACTIVITY_KINDS, "Messages, check-ins, sign-ins, surveys, live sessions"),
        Column("count", "int", "Events in the row", required=False, default=1, minimum=1),
    ),
    time_column="occurred_at",
)
ENERGY_POINTS = TableSpec(
    "energy_points",
    "Energy points earned by tasks and redeemed for gifts.",
    (
        _user(),
        _time("occurred_at", "Event time, or the end of the aggregated period"),
        _choice("kind", ENERGY_KINDS, "earned or redeemed"),
        Column("points", "int", "Points (always positive)", minimum=0),
        Column(
            "tasks_completed",
            "int",
            "Tasks behind earned points",
            required=False,
            default=0,
            minimum=0,
        ),
    ),
    time_column="occurred_at",
)
INVITES = TableSpec(
    "invites",
    "Fission: who brought whom. Later orders of the invitee are read from `orders`.",
    (
        _user("inviter_id", "Pseudonymous id of the inviting user"),
        _user("invitee_id", "Pseudonymous id of the invited user"),
        _time("invited_at", "When the invitee joined through the invitation"),
        Column(
            "first_order_amount",
            "float",
            "The invitee's first order, RMB",
            required=False,
            nullable=True,
            minimum=0,
        ),
    ),
    time_column="invited_at",
    user_column="inviter_id",
)
CONTENT = TableSpec(
    "content",
    "Content posted (notes, reviews, photos) and forwarded (shares to friends or Moments).",
    (
        _user(),
        _time("occurred_at", "When it was posted or forwarded"),
        _choice("action", CONTENT_ACTIONS, "post or forward"),
    ),
    time_column="occurred_at",
)
EBA_TOUCHES_SPEC = TableSpec(
    "eba_touches",
    "Recruitment touches by the brand's EBAs (WeCom advisers) after a first order.",
    (
        _user(),
        _time("touched_at", "When the touch happened"),
        _choice("touch", EBA_TOUCHES, "Which of the four recruitment touches"),
        _choice("outcome", TOUCH_OUTCOMES, "Whether it reached the customer"),
    ),
    time_column="touched_at",
)
CARD_PURCHASES = TableSpec(
    "card_purchases",
    "Monthly-card purchases and renewals (the propensity label).",
    (
        _user(),
        _time("purchased_at", "When the card was paid"),
        _choice("kind", CARD_KINDS, "new or renewal"),
        Column("amount", "float", "Card price, RMB", minimum=0),
        Column(
            "months",
            "int",
            "Months of service covered",
            required=False,
            default=12,
            minimum=1,
            maximum=36,
        ),
        Column("store_id", "string", "Selling store", required=False, nullable=True),
    ),
    time_column="purchased_at",
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        USERS,
        ORDERS,
        STORE_VISITS,
        SKIN_TESTS,
        COMMUNITY_ACTIVITY,
        ENERGY_POINTS,
        INVITES,
        CONTENT,
        EBA_TOUCHES_SPEC,
        CARD_PURCHASES,
    )
}
TableName = Literal[
    "users",
    "orders",
    "store_visits",
    "skin_tests",
    "community_activity",
    "energy_points",
    "invites",
    "content",
    "eba_touches",
    "card_purchases",
]
