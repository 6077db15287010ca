"""Helpers for the browser tests: a fake analyzer with real heatmaps, photos, the server record."""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import Page, expect

from models.results import (
    CONCERNS,
    REGIONS,
    ConcernScore,
    FaceBox,
    QualityReport,
    SkinAnalysis,
    SkinTone,
    SkinType,
)
from skinlab.db import make_engine, make_sessionmaker
from skinlab.errors import quality_error
from skinlab.settings import Settings
from skinlab.store_keys import add_store_key


class PaintedFaceAnalyzer:
    """Scores that differ per concern and per photo, and real PNG heatmaps to draw on the page."""

    model_version = "fake-e2e"

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def analyze(self, rgb: NDArray[np.uint8], *, overlays: bool = False) -> SkinAnalysis:
        self.shapes.append(rgb.shape)
        if not rgb.any():
            raise quality_error("NO_FACE")
        means = rgb.reshape(-1, 3).mean(axis=0) / 255
        scores = {}
        for index, concern in enumerate(CONCERNS):
            level = round(float(15 + 70 * ((means[index % 3] + 0.37 * index) % 1.0)), 1)
            scores[concern] = ConcernScore(score=level, regions=dict.fromkeys(REGIONS, level))
        return SkinAnalysis(
            scores=scores,
            tone=SkinTone(
                ita_deg=35.0, category="light", fitzpatrick_estimate="III", lab=(64.0, 10.0, 17.0)
            ),
            skin_type=SkinType(
                type="combination", sensitive=True, t_zone_oiliness=55.0, u_zone_oiliness=25.0
            ),
            quality=QualityReport(ok=True),
            face=FaceBox(x=10, y=10, width=60, height=70, detection_score=0.98),
            model_version=self.model_version,
            timing_ms={"total": 1.0},
            overlays=_overlays(rgb) if overlays else None,
        )

    def versions(self) -> dict[str, str]:
        return {"skin_model": self.model_version}


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _overlays(rgb: NDArray[np.uint8]) -> dict[str, str]:
    """The photo as the 'aligned face' and a blurred blob per concern at a different place."""
    size = 256
    face = Image.fromarray(rgb).resize((size, size))
    maps = {"face": _png(face)}
    for index, concern in enumerate(CONCERNS):
        heat = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        x, y = 60 + (index % 3) * 60, 70 + (index // 3) * 50
        ImageDraw.Draw(heat).ellipse((x, y, x + 80, y + 50), fill=(230, 60, 20, 190))
        maps[concern] = _png(heat.filter(ImageFilter.GaussianBlur(8)))
    return maps


def painted_face(path: Path, *, size: tuple[int, int] = (1600, 1200)) -> Path:
    """A drawn face (not a person) as a JPEG larger than the page's 1280-px upload limit."""
    image = Image.new("RGB", size, (214, 222, 230))
    draw = ImageDraw.Draw(image)
    cx, cy = size[0] // 2, size[1] // 2
    draw.ellipse((cx - 330, cy - 430, cx + 330, cy + 450), fill=(224, 178, 150))
    for dx in (-140, 140):
        draw.ellipse((cx + dx - 55, cy - 110, cx + dx + 55, cy - 60), fill=(250, 250, 250))
        draw.ellipse((cx + dx - 22, cy - 107, cx + dx + 22, cy - 63), fill=(60, 40, 30))
    draw.arc((cx - 120, cy + 120, cx + 120, cy + 260), 20, 160, fill=(170, 70, 70), width=12)
    image.save(path, format="JPEG", quality=92)
    return path


def black_photo(path: Path) -> Path:
    """The no-face marker: an all-black PNG (stays all-black after the page's JPEG step)."""
    Image.new("RGB", (400, 300), (0, 0, 0)).save(path, format="PNG")
    return path


@dataclass(frozen=True)
class BaServer:
    url: str
    store_id: str
    store_key: str
    settings: Settings
    analyzer: PaintedFaceAnalyzer | None  # None: the real model
    api_key: str  # an admin key, for the tests' own calls to the API


def store_key(server: BaServer, store_id: str) -> str:
    """A new key for ``store_id`` in the server's database, to sign a tablet in as that store."""
    engine = make_engine(server.settings.database_url)
    with make_sessionmaker(engine)() as session:
        key = add_store_key(session, store_id)
        session.commit()
    engine.dispose()
    return key


LANDSCAPE = ["1024x768", "1280x800"]
ALL_SIZES = ["1024x768", "768x1024", "1280x800", "800x1280"]
# Everything a finger has to hit on the page (a checkbox is hit through its whole .check label).
TOUCH_TARGETS = (
    "button, .button, input:not([type=hidden], [type=checkbox], [type=file]), select, .check"
)


class Tablet:
    """One browser tab at one tablet size, saving a numbered screenshot per step."""

    def __init__(self, page: Page, server: BaServer, folder: Path, name: str) -> None:
        self.page, self.server, self.folder, self.name = page, server, folder, name
        self.shots: list[Path] = []

    def shot(self, step: str, *, full_page: bool = True) -> Path:
        path = self.folder / f"{self.name}-{len(self.shots) + 1:02d}-{step}.png"
        self.page.screenshot(path=path, full_page=full_page)
        self.shots.append(path)
        return path

    def sign_in(
        self, key: str | None = None, store_id: str | None = None, *, refused: bool = False
    ) -> None:
        self.page.goto(self.server.url + "/ba/")
        expect(self.page).to_have_url(self.server.url + "/ba/sign-in")
        self.page.fill("#store_id", store_id or self.server.store_id)
        self.page.fill("#store_key", key if key is not None else self.server.store_key)
        self.page.click("#sign-in-form button[type=submit]")
        if not refused:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait for the page's modules: a click before them would submit a form natively."""
        expect(self.page.locator("body.ba-page")).to_have_attribute("data-ready", "true")

    def find_customer(self, phone: str) -> None:
        self.page.fill("#phone", phone)
        self.page.click("#find")
        expect(self.page.locator("#customer-status")).not_to_be_empty()

    def find_customer_id(self, user_id: str) -> None:
        self.page.fill("#user-id", user_id)
        self.page.click("#find")
        expect(self.page.locator("#customer-status")).not_to_be_empty()

    def to_photo(self) -> None:
        self.page.check("#consent")
        self.page.click("#to-photo")
        expect(self.page.locator("#step-photo")).to_be_visible()

    def upload(self, photo: Path) -> None:
        self.page.set_input_files("#file", str(photo))

    def assert_touch_targets(self) -> None:
        small = self.page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .filter((n) => n.offsetParent !== null)
                .map((n) => [n.id || n.className || n.tagName, n.getBoundingClientRect().height])
                .filter(([, h]) => h < 44)""",
            TOUCH_TARGETS,
        )
        assert small == [], f"touch targets under 44 px: {small}"


def _keyed(url: str, key: str, body: Any = None) -> urllib.request.Request:
    headers = {"Authorization": f"Bearer {key}"}
    if body is None:
        return urllib.request.Request(url, headers=headers)
    headers["Content-Type"] = "application/json"
    return urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)


def get_status(url: str, key: str) -> int:
    """The HTTP status of a GET with ``key``."""
    try:
        with urllib.request.urlopen(_keyed(url, key), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def get_json(url: str, key: str, body: Any = None) -> Any:
    """The JSON answer of a GET (or, with ``body``, a POST) with ``key``."""
    with urllib.request.urlopen(_keyed(url, key, body), timeout=30) as response:
        return json.loads(response.read())


def top_candidate(server: BaServer) -> dict[str, Any]:
    """The best-ranked customer with a home store (online-only ones have none). Logged contacts
    leave the board, so each call (each tablet size) gets one nobody has offered the card yet."""
    ranking = get_json(f"{server.url}/rank", server.api_key, body={"top_k": 50, "reasons": 3})
    return dict(next(user for user in ranking["users"] if user["store_id"]))
