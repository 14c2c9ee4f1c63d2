"""What Segment-spec events mean for a customer profile: traits, orders, technical data.

Pure functions over a message's JSON; the events domain applies the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hoso.engine.events.useragent import parse_user_agent

# E-commerce spec v2 event names, with the v1 names that mean the same.
ALIASES = {
    "Completed Order": "Order Completed",
    "Updated Order": "Order Updated",
    "Refunded Order": "Order Refunded",
    "Cancelled Order": "Order Cancelled",
    "Viewed Product": "Product Viewed",
    "Added Product": "Product Added",
    "Removed Product": "Product Removed",
    "Started Order": "Checkout Started",
}
ORDER_EVENTS = {
    "Order Completed": "completed",
    "Order Updated": None,  # keeps the order's status (a new order is pending)
    "Order Cancelled": "cancelled",
    "Order Refunded": "refunded",
}
# A late "Order Completed" never reopens a refunded order: later states win whatever the
# arrival order.
STATUS_RANK = {"pending": 0, "completed": 1, "cancelled": 2, "refunded": 3}
MAX_ITEMS = 500


def canonical_event(name: str) -> str:
    """The v2 name of an e-commerce event (``Completed Order`` -> ``Order Completed``)."""
    return ALIASES.get(name, name)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = 500) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value[:limit] if value else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def identify_traits(message: dict[str, Any]) -> dict[str, Any]:
    """Traits of an identify: ``context.traits`` (rudder puts them only there), then root."""
    return {**_obj(_obj(message.get("context")).get("traits")), **_obj(message.get("traits"))}


@dataclass(frozen=True, slots=True)
class ProfileTraits:
    """The traits that map to profile fields; ``None`` means not sent."""

    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    gender: str | None = None
    extra: dict[str, Any] | None = None  # every other trait, for custom fields


_GENDERS = {
    "male": "male",
    "m": "male",
    "nam": "male",
    "man": "male",
    "female": "female",
    "f": "female",
    "nữ": "female",
    "nu": "female",
    "woman": "female",
    "other": "other",
    "khác": "other",
}
_KNOWN = {
    "name",
    "firstName",
    "first_name",
    "lastName",
    "last_name",
    "email",
    "phone",
    "birthday",
    "gender",
}


def profile_traits(traits: dict[str, Any]) -> ProfileTraits:
    """Map Segment's reserved traits to profile fields.

    ``firstName``/``lastName`` become a full name in Vietnamese order (family name first), which
    the name parser splits again.

    Examples:
        >>> profile_traits({"firstName": "Lan", "lastName": "Nguyễn Thị"}).full_name
        'Nguyễn Thị Lan'
    """
    name = _text(traits.get("name"), 200)
    if name is None:
        first = _text(traits.get("firstName") or traits.get("first_name"), 100)
        last = _text(traits.get("lastName") or traits.get("last_name"), 100)
        name = " ".join(p for p in (last, first) if p) or None
    gender_raw = _text(traits.get("gender"), 20)
    gender = _GENDERS.get(gender_raw.lower()) if gender_raw else None
    extra = {k: v for k, v in traits.items() if k not in _KNOWN}
    return ProfileTraits(
        full_name=name,
        email=_text(traits.get("email"), 320),
        phone=_text(traits.get("phone"), 50),
        birth_date=_text(traits.get("birthday"), 40),
        gender=gender,
        extra=extra or None,
    )


def _money(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One product of an order event."""

    name: str
    sku: str | None
    product_id: str | None
    category: str | None
    brand: str | None
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """An order as an e-commerce event describes it; totals are computed from the lines."""

    external_id: str
    status: str | None  # None: keep the existing status
    currency: str
    discount: Decimal
    lines: tuple[OrderLine, ...]
    coupon: str | None

    @property
    def subtotal(self) -> Decimal:
        """The sum of the lines."""
        return sum((line.quantity * line.unit_price for line in self.lines), Decimal(0))


def order_spec(event: str, properties: dict[str, Any]) -> OrderSpec | None:
    """The order an ``Order Completed/Updated/Cancelled/Refunded`` event describes, if any.

    Without an ``order_id`` there is no order to create or update. Without products, the
    order gets one line worth the stated ``subtotal``/``revenue``/``total`` (what the client
    said, the only figure there is).
    """
    name = canonical_event(event)
    if name not in ORDER_EVENTS:
        return None
    external_id = _text(properties.get("order_id"), 200) or _text(properties.get("orderId"), 200)
    if external_id is None:
        return None
    lines: list[OrderLine] = []
    products = properties.get("products")
    for product in products[:MAX_ITEMS] if isinstance(products, list) else []:
        if not isinstance(product, dict):
            continue
        quantity = _money(product.get("quantity"))
        price = _money(product.get("price"))
        sku = _text(product.get("sku"), 200)
        product_id = _text(product.get("product_id"), 200)
        lines.append(
            OrderLine(
                name=_text(product.get("name"), 200) or sku or product_id or "?",
                sku=sku or product_id,
                product_id=product_id,
                category=_text(product.get("category"), 200),
                brand=_text(product.get("brand"), 200),
                quantity=quantity if quantity is not None and quantity > 0 else Decimal(1),
                unit_price=price if price is not None and price >= 0 else Decimal(0),
            )
        )
    if not lines:
        stated = next(
            (
                v
                for v in (
                    _money(properties.get(k)) for k in ("subtotal", "revenue", "total", "value")
                )
                if v is not None and v >= 0
            ),
            None,
        )
        if stated is not None:
            lines.append(OrderLine("(order total)", None, None, None, None, Decimal(1), stated))
    discount = _money(properties.get("discount"))
    subtotal = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    discount = min(max(discount or Decimal(0), Decimal(0)), subtotal)
    currency = (_text(properties.get("currency"), 3) or "VND").upper()
    return OrderSpec(
        external_id=external_id,
        status=ORDER_EVENTS[name],
        currency=currency,
        discount=discount,
        lines=tuple(lines),
        coupon=_text(properties.get("coupon"), 100),
    )


_CAMPAIGN_KEYS = ("name", "source", "medium", "term", "content")


def _scalar(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@lru_cache(maxsize=8192)
def _client(
    ua: str | None,
    ip: str | None,
    locale: str | None,
    timezone: str | None,
    os_name: str | None,
    os_version: str | None,
) -> tuple[tuple[str, Any], ...]:
    # Cached: a visitor sends many events from the same browser, address and settings.
    out: dict[str, Any] = {}
    if ua:
        out["user_agent"] = ua[:1000]
        out.update({k: v for k, v in parse_user_agent(ua).as_dict().items() if v is not None})
    for key, value in (("ip", ip), ("locale", locale), ("timezone", timezone)):
        text = _text(value, 100)
        if text:
            out[key] = text
    if os_name:
        out["os"] = os_name[:100]
        if os_version:
            out["os_version"] = os_version[:50]
    return tuple(out.items())


def technical(message: dict[str, Any]) -> dict[str, Any]:
    """Technical and behavioural data of a message: device, OS, browser, IP, locale, campaign.

    Kept as one JSON object on the timeline entry (queryable with jsonb operators).
    """
    context = message.get("context")
    if not isinstance(context, dict):
        context = {}
    os_info = context.get("os")
    os_info = os_info if isinstance(os_info, dict) else {}
    out: dict[str, Any] = dict(
        _client(
            _scalar(context.get("userAgent")),
            _scalar(context.get("ip")),
            _scalar(context.get("locale")),
            _scalar(context.get("timezone")),
            _text(os_info.get("name"), 100),
            _text(os_info.get("version"), 50),
        )
    )
    for key in ("device", "app", "screen", "location", "network", "library"):
        value = context.get(key)
        if value and isinstance(value, dict):
            out[key] = value
    properties = message.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    page_context = context.get("page")
    page_context = page_context if isinstance(page_context, dict) else {}
    page: dict[str, str] = {}
    for key in ("url", "path", "referrer", "title", "search"):
        value = properties.get(key) or page_context.get(key)
        if value:
            text = _text(value, 2000)
            if text:
                page[key] = text
    if page:
        out["page"] = page
    campaign_context = context.get("campaign")
    campaign: dict[str, str] = {}
    if isinstance(campaign_context, dict):
        for key in _CAMPAIGN_KEYS:
            text = _text(campaign_context.get(key), 200)
            if text:
                campaign[key] = text
    url = page.get("url")
    if not campaign and url and "utm_" in url:
        query = parse_qs(urlsplit(url).query)
        campaign = {
            k: query[f"utm_{'campaign' if k == 'name' else k}"][0][:200]
            for k in _CAMPAIGN_KEYS
            if query.get(f"utm_{'campaign' if k == 'name' else k}")
        }
    if campaign:
        out["campaign"] = campaign
    return out
