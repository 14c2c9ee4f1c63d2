"""A small User-Agent parser: browser, OS and device type, for the technical data of events.

Covers what Vietnamese shops' visitors use (Chrome, Safari, Cốc Cốc, the Zalo and Facebook
in-app browsers, Samsung Internet, Edge, Firefox, Opera) and the common bots. It is not a
full device database: models are not recognised, only the kind of device.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Order matters: in-app and derived browsers announce "Chrome" and "Safari" too.
_BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Zalo", re.compile(r"\bZalo(?:Theme)?/?([\d.]+)?", re.IGNORECASE)),
    ("Facebook", re.compile(r"\bFB(?:AN|AV|_IAB)/?([\d.]+)?")),
    ("Cốc Cốc", re.compile(r"\bcoc_coc_browser/([\d.]+)")),
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/([\d.]+)")),
    ("Opera", re.compile(r"\b(?:OPR|Opera)/([\d.]+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/([\d.]+)")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/([\d.]+)")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS)/([\d.]+)")),
    ("Safari", re.compile(r"\bVersion/([\d.]+).*Safari/")),
)
_OSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iOS", re.compile(r"\b(?:iPhone|iPad|iPod).*? OS ([\d_]+)")),
    ("Android", re.compile(r"\bAndroid ?([\d.]+)?")),
    ("Windows", re.compile(r"\bWindows NT ([\d.]+)")),
    ("macOS", re.compile(r"\bMac OS X ([\d_.]+)")),
    ("ChromeOS", re.compile(r"\bCrOS \S+ ([\d.]+)")),
    ("Linux", re.compile(r"\bLinux\b()")),
)
_BOT = re.compile(r"bot\b|crawler|spider|slurp|bingpreview|headless", re.IGNORECASE)
_TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)", re.IGNORECASE)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android.*Mobile|Windows Phone", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class UserAgent:
    """What a User-Agent string says, each part ``None`` when unknown."""

    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device_type: str  # "mobile", "tablet", "desktop", "bot" or "unknown"

    def as_dict(self) -> dict[str, str | None]:
        """The parts as a JSON-able dict."""
        return {
            "browser": self.browser,
            "browser_version": self.browser_version,
            "os": self.os,
            "os_version": self.os_version,
            "device_type": self.device_type,
        }


def _major(version: str | None) -> str | None:
    return version.replace("_", ".") if version else None


@lru_cache(maxsize=4096)
def parse_user_agent(ua: str) -> UserAgent:
    """Parse a User-Agent header (cached: visitors repeat the same few strings).

    Examples:
        >>> parse_user_agent(
        ...     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        ...     "(KHTML, like Gecko) Mobile/15E148 Zalo iOS/476 ZaloTheme/light"
        ... ).browser
        'Zalo'
    """
    if not ua:
        return UserAgent(None, None, None, None, "unknown")
    browser = browser_version = None
    for name, pattern in _BROWSERS:
        match = pattern.search(ua)
        if match:
            browser, browser_version = name, match.group(1) or None
            break
    os_name = os_version = None
    for name, pattern in _OSES:
        match = pattern.search(ua)
        if match:
            os_name, os_version = name, _major(match.group(1) or None)
            break
    if _BOT.search(ua):
        device = "bot"
    elif _TABLET.search(ua):
        device = "tablet"
    elif _MOBILE.search(ua):
        device = "mobile"
    elif os_name in {"Windows", "macOS", "Linux", "ChromeOS"}:
        device = "desktop"
    else:
        device = "unknown"
    return UserAgent(browser, browser_version, os_name, os_version, device)
