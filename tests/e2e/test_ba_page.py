"""The BA page in headless Chromium: the whole consultation and its error paths, per tablet size.

Each step is saved as a screenshot under the folder the session prints (``var/screenshots/``).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ba_support import BaServer, black_photo, painted_face
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.e2e

FACES = Path(__file__).resolve().parents[2] / "data" / "faces"
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

    def sign_in(self, key: str | None = None) -> None:
        self.page.goto(self.server.url + "/ba/")
        expect(self.page).to_have_url(self.server.url + "/ba/sign-in")
        self.page.fill("#store_id", self.server.store_id)
        self.page.fill("#store_key", key if key is not None else self.server.store_key)
        self.page.click("#sign-in-form button[type=submit]")

    def find_customer(self, phone: str) -> None:
        self.page.fill("#phone", phone)
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


@pytest.fixture
def open_tablet(
    request: pytest.FixtureRequest, browser: Browser, screenshot_dir: Path
) -> Iterator[Callable[[str, BaServer], Tablet]]:
    """Open tabs as ``open_tablet("1024x768", server)``; fails if any page threw a JS error."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_one(size: str, server: BaServer) -> Tablet:
        width, height = (int(n) for n in size.split("x"))
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, has_touch=True
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return Tablet(page, server, screenshot_dir, f"{request.node.originalname}-{size}")

    yield open_one
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def tablet(
    request: pytest.FixtureRequest,
    open_tablet: Callable[[str, BaServer], Tablet],
    ba_server: BaServer,
) -> Tablet:
    """A tab at the size the test is parametrized with, on the server with the fake analyzer."""
    return open_tablet(request.param, ba_server)


def _keyed(url: str, key: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})


def _status(url: str, key: str) -> int:
    try:
        with urllib.request.urlopen(_keyed(url, key), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _get_json(url: str, key: str) -> Any:
    with urllib.request.urlopen(_keyed(url, key), timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("tablet", ALL_SIZES, indirect=True)
def test_whole_consultation(tablet: Tablet, tmp_path: Path) -> None:
    page = tablet.page
    tablet.sign_in()
    expect(page).to_have_url(tablet.server.url + "/ba/")
    expect(page.locator("#store-id")).to_have_text(tablet.server.store_id)
    tablet.shot("signed-in")

    phone = f"1380013{page.viewport_size['width'] if page.viewport_size else 0:04d}"
    tablet.find_customer(f"{phone[:3]} {phone[3:7]} {phone[7:]}")
    user_id = page.input_value("#user-id")
    assert user_id.startswith("ph:") and phone not in user_id
    expect(page.locator("#customer-status")).to_contain_text("新顾客")
    tablet.assert_touch_targets()
    tablet.shot("customer")
    tablet.to_photo()
    tablet.assert_touch_targets()
    tablet.shot("photo-step")

    with page.expect_response("**/analyze") as analyzed:
        tablet.upload(painted_face(tmp_path / "face.jpg"))
    assert analyzed.value.status == 201
    # The 1600x1200 photo went up as at most 1280 px on its long side, as a small JPEG.
    assert tablet.server.analyzer is not None
    assert tablet.server.analyzer.shapes[-1] == (960, 1280, 3)
    expect(page.locator("#photo-status")).to_contain_text("KB")
    assert int(page.inner_text("#photo-status").split()[-2]) < 400
    results = page.locator("#step-results")
    expect(results).to_be_visible()
    expect(page.locator("#chart svg rect[data-concern]")).to_have_count(8)
    expect(page.locator("#skin-type")).to_have_text("混合性 · 偏敏感")
    expect(page.locator("#no-previous")).to_be_visible()
    expect(page.locator("#monthly-card")).to_contain_text("暂未开放")
    page.click("#overlay-buttons [data-concern=redness]")
    expect(page.locator("#heat-img")).to_be_visible()
    tablet.assert_touch_targets()
    tablet.shot("results")

    with page.expect_response("**/formulate?*") as solved:
        page.click("#to-formula")
    assert solved.value.status == 200  # a proposal is a preview: nothing stored yet
    preview_sku = solved.value.json()["sku"]
    assert _status(f"{tablet.server.url}/skus/{preview_sku}", tablet.server.api_key) == 404
    expect(page.locator("#formula .module").first).to_be_visible()
    expect(page.locator("#confirm")).to_be_enabled()
    tablet.shot("formula")

    with page.expect_response("**/formulate?*") as resolved:
        page.check("#fragrance-free")
    assert json.loads(resolved.value.request.post_data or "{}")["exclusions"] == ["fragrance_free"]
    with page.expect_response("**/formulate?*") as resolved:
        page.select_option("#product-type", "cream")
    assert resolved.value.status == 200
    expect(page.locator("#formula")).to_contain_text("面霜")
    bases = page.locator("#base option")
    assert bases.count() >= 2, "a choice of cream bases besides the automatic one"
    base_id, base_name = (
        bases.nth(bases.count() - 1).get_attribute("value"),
        bases.last.inner_text(),
    )
    with page.expect_response("**/formulate?*") as resolved:
        page.select_option("#base", base_id)
    assert json.loads(resolved.value.request.post_data or "{}")["base_id"] == base_id
    expect(page.locator("#formula")).to_contain_text(base_name)
    tablet.assert_touch_targets()
    tablet.shot("preferences-changed")

    with page.expect_response("**/formulate?*") as issued:
        page.click("#confirm")
    assert issued.value.status == 201
    assert "channel=ba_tablet" in issued.value.url
    sku = page.locator("#sku").inner_text()
    assert sku.startswith("SK") and sku == issued.value.json()["sku"]
    assert _get_json(f"{tablet.server.url}/skus/{sku}", tablet.server.api_key)["code"] == sku
    page.click("#sheet-open")
    expect(page.locator("#sheet")).to_be_visible()
    expect(page.locator("#sheet-sku")).to_have_text(sku)
    grams_50 = page.locator("#sheet-steps td.grams").first.inner_text()
    with page.expect_response("**/formulate?*"):
        page.select_option("#bottle", "100")
    expect(page.locator("#sheet-bottle")).to_contain_text("100 ml")
    grams_100 = page.locator("#sheet-steps td.grams").first.inner_text()
    assert float(grams_100.split()[0]) == pytest.approx(2 * float(grams_50.split()[0]), rel=0.01)
    tablet.shot("compounding-sheet")
    page.emulate_media(media="print")
    expect(page.locator("#step-formula")).to_be_hidden()
    expect(page.locator("#sheet")).to_be_visible()
    tablet.shot("compounding-sheet-print")
    page.emulate_media(media="screen")

    page.click("#lang-toggle")
    expect(page.locator("#sheet h2")).to_contain_text("Compounding sheet")
    expect(page.locator("#lang-toggle")).to_have_text("中文")
    tablet.shot("english")


@pytest.mark.parametrize("tablet", ["1024x768"], indirect=True)
def test_returning_customer_sees_the_change_since_the_last_test(
    tablet: Tablet, tmp_path: Path
) -> None:
    page = tablet.page
    tablet.sign_in()
    for attempt in (1, 2):
        tablet.find_customer("+86 139-0000-1111")
        tablet.to_photo()
        tablet.upload(
            painted_face(tmp_path / f"face{attempt}.jpg", size=(1000 + attempt * 300, 900))
        )
        expect(page.locator("#step-results")).to_be_visible()
        if attempt == 1:
            page.goto(tablet.server.url + "/ba/")
    expect(page.locator("#changes li")).to_have_count(8)
    tablet.shot("change-since-last-test")


@pytest.mark.parametrize("tablet", ["1280x800"], indirect=True)
def test_camera_photo(tablet: Tablet) -> None:
    page = tablet.page
    tablet.sign_in()
    tablet.find_customer("13700000000")
    tablet.to_photo()
    page.click("#camera-open")
    expect(page.locator("#video")).to_be_visible()
    expect(page.locator("#guide")).to_have_attribute(
        "data-key", re.compile(r"^guide_(ok|dark|bright|moving)$")
    )
    tablet.shot("camera")
    page.click("#camera-switch")
    expect(page.locator("#capture")).to_be_visible()
    with page.expect_response("**/analyze") as analyzed:
        page.click("#capture")
    assert analyzed.value.status == 201
    expect(page.locator("#step-results")).to_be_visible()


@pytest.mark.parametrize("tablet", LANDSCAPE, indirect=True)
def test_wrong_store_key_is_refused(tablet: Tablet) -> None:
    tablet.sign_in(key="not-the-key")
    expect(tablet.page.locator("#sign-in-error")).to_have_text("门店编号或密钥不正确。")
    tablet.shot("wrong-key")


@pytest.mark.parametrize("tablet", LANDSCAPE, indirect=True)
def test_no_consent_no_photo(tablet: Tablet) -> None:
    page = tablet.page
    tablet.sign_in()
    tablet.find_customer("13500000000")
    page.click("#to-photo")
    expect(page.locator("#customer-error")).to_have_text("请先勾选顾客同意，再拍照。")
    expect(page.locator("#step-photo")).to_be_hidden()
    tablet.shot("no-consent")


@pytest.mark.parametrize("tablet", LANDSCAPE, indirect=True)
def test_no_face_is_explained_in_the_customers_words(tablet: Tablet, tmp_path: Path) -> None:
    page = tablet.page
    tablet.sign_in()
    tablet.find_customer("13600000000")
    tablet.to_photo()
    with page.expect_response("**/analyze") as analyzed:
        tablet.upload(black_photo(tmp_path / "black.png"))
    assert analyzed.value.status == 422
    error = page.locator("#photo-error")
    expect(error).to_have_attribute("data-code", "NO_FACE")
    expect(error).to_contain_text("照片中未检测到人脸。")
    expect(error).to_contain_text("请正对镜头")
    expect(page.locator("#step-results")).to_be_hidden()
    expect(page.locator("#retake")).to_be_visible()
    tablet.assert_touch_targets()
    tablet.shot("no-face")
    page.click("#lang-toggle")
    expect(error).to_contain_text("No face was found in the photo.")


@pytest.mark.parametrize("tablet", LANDSCAPE, indirect=True)
def test_infeasible_formula_shows_conflicts_and_the_smallest_relaxation(
    tablet: Tablet, tmp_path: Path
) -> None:
    page = tablet.page
    tablet.sign_in()
    tablet.find_customer("13300000000")
    tablet.to_photo()
    tablet.upload(painted_face(tmp_path / "face.jpg"))
    expect(page.locator("#step-results")).to_be_visible()
    with page.expect_response("**/formulate?*"):
        page.click("#to-formula")
    page.fill("#price-cap", "0.5")
    with page.expect_response("**/formulate?*") as refused:
        page.press("#price-cap", "Enter")
    assert refused.value.status == 422
    error = page.locator("#formula-error")
    expect(error).to_have_attribute("data-code", "INFEASIBLE_FORMULA")
    expect(error.locator(".conflicts li")).to_contain_text(["价格上限 0.5 元"])
    expect(error.locator(".relaxation")).to_contain_text("将价格上限提高到至少")
    expect(page.locator("#confirm")).to_be_disabled()
    tablet.assert_touch_targets()
    tablet.shot("infeasible")
    with page.expect_response("**/formulate?*") as relaxed:
        page.click("#apply-relaxation")
    assert relaxed.value.status == 200
    assert float(page.input_value("#price-cap")) >= 1
    expect(page.locator("#confirm")).to_be_enabled()
    tablet.shot("relaxation-applied")


def test_a_real_photo_through_the_shipped_model(
    open_tablet: Callable[[str, BaServer], Tablet], real_ba_server: BaServer
) -> None:
    """The real analyzer's overlays (aligned face + heatmaps) and quality verdicts on the page."""
    tablet = open_tablet("1024x768", real_ba_server)
    page = tablet.page
    tablet.sign_in()
    tablet.find_customer("13100000000")
    tablet.to_photo()
    tablet.upload(FACES / "free-mountain-vector-01.jpg")
    error = page.locator("#photo-error")
    expect(error).to_have_attribute("data-code", "NO_FACE", timeout=30_000)
    expect(error).to_contain_text("照片中未检测到人脸。")
    tablet.shot("real-no-face")

    with page.expect_response("**/analyze", timeout=30_000) as analyzed:
        tablet.upload(FACES / "0-f15-hao-ph.jpg")
    assert analyzed.value.status == 201
    expect(page.locator("#step-results")).to_be_visible()
    assert page.get_attribute("#face-img", "src", timeout=5_000).startswith("data:image/png")
    buttons = page.locator("#overlay-buttons [data-concern]")
    expect(buttons).to_have_count(8)
    for concern in ["spots", "wrinkles", "pores", "acne", "oiliness", "dark_circles", "redness"]:
        page.click(f"#overlay-buttons [data-concern={concern}]")
        expect(page.locator("#heat-img")).to_be_visible()
        assert page.evaluate("document.getElementById('heat-img').naturalWidth") > 0, concern
    tablet.shot("real-results")
    with page.expect_response("**/formulate?*") as solved:
        page.click("#to-formula")
    assert solved.value.status == 200  # a proposal is a preview: nothing stored yet
    preview_sku = solved.value.json()["sku"]
    assert _status(f"{tablet.server.url}/skus/{preview_sku}", tablet.server.api_key) == 404
    expect(page.locator("#formula .module").first).to_be_visible()
    tablet.shot("real-formula")
