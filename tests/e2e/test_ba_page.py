"""The BA page in headless Chromium: the whole consultation and its error paths, per tablet size.

Each step is saved as a screenshot under the folder the session prints (``var/screenshots/``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from ba_support import (
    ALL_SIZES,
    LANDSCAPE,
    BaServer,
    Tablet,
    black_photo,
    get_json,
    get_status,
    painted_face,
    store_key,
    top_candidate,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

FACES = Path(__file__).resolve().parents[2] / "data" / "faces"


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
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "no_data")
    expect(page.locator("#monthly-card")).to_contain_text("暂无该顾客的消费与社群记录")
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
    # A new customer has no purchases or community events: the card panel says so, calmly.
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "no_data")
    expect(page.locator("#monthly-card")).to_contain_text("暂无该顾客的消费与社群记录")
    page.click("#overlay-buttons [data-concern=redness]")
    expect(page.locator("#heat-img")).to_be_visible()
    tablet.assert_touch_targets()
    tablet.shot("results")

    with page.expect_response("**/formulate?*") as solved:
        page.click("#to-formula")
    assert solved.value.status == 200  # a proposal is a preview: nothing stored yet
    preview_sku = solved.value.json()["sku"]
    assert get_status(f"{tablet.server.url}/skus/{preview_sku}", tablet.server.api_key) == 404
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
    assert get_json(f"{tablet.server.url}/skus/{sku}", tablet.server.api_key)["code"] == sku
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
    for chrome in ("header.bar", "nav.steps", "#step-formula", "#monthly-card", "#print"):
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.locator("#sheet")).to_be_visible()
    expect(page.locator("#sheet-bottle")).to_contain_text("100 ml")
    tablet.shot("compounding-sheet-print")
    # Chromium prints with the page's @page rule: the sheet alone, on one A4 page. (Under an
    # emulated screen medium, page.pdf would print the screen layout.)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (tablet.folder / f"{tablet.name}-compounding-sheet.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box and [round(float(n)) for n in box.groups()] in ([595, 842], [596, 842]), "A4"
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
            tablet.wait_ready()
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
    guide = page.locator("#guide")
    expect(guide).to_have_attribute(
        "data-key", re.compile(r"^guide_(ok|dark|bright|moving|blurry)$")
    )
    expect(guide).to_contain_text("提示（仅供参考）")
    expect(guide.locator("#guide-measures")).to_contain_text(
        re.compile(r"亮度 \d+/255 · 清晰度 \d+")
    )
    tablet.shot("camera")
    # The sharpness hint's measure: 0 on flat or linear shading, large on fine detail.
    variances = page.evaluate(
        """async () => {
            const { laplacianVariance } = await import("/ba/static/photo.js");
            const w = 40, h = 30, flat = new Float32Array(w * h).fill(128);
            const ramp = flat.map((_, i) => (i % w) * 4);
            const stripes = flat.map((_, i) => (i % 2 ? 200 : 50));
            return [flat, ramp, stripes].map((luma) => laplacianVariance(luma, w, h));
        }"""
    )
    assert variances[0] == 0 and variances[1] == pytest.approx(0, abs=1e-6)
    assert variances[2] > 10_000
    page.click("#camera-switch")
    expect(page.locator("#capture")).to_be_visible()
    with page.expect_response("**/analyze") as analyzed:
        page.click("#capture")
    assert analyzed.value.status == 201
    expect(page.locator("#step-results")).to_be_visible()


@pytest.mark.parametrize("tablet", LANDSCAPE, indirect=True)
def test_wrong_store_key_is_refused(tablet: Tablet) -> None:
    tablet.sign_in(key="not-the-key", refused=True)
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
    server = tablet.server
    customer = top_candidate(server)  # so the card panel beside the results is filled in too
    tablet.sign_in(key=store_key(server, customer["store_id"]), store_id=customer["store_id"])
    tablet.find_customer_id(customer["user_id"])
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "recommend")
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
    face_src = page.get_attribute("#face-img", "src", timeout=5_000) or ""
    assert face_src.startswith("data:image/png")
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
    assert get_status(f"{tablet.server.url}/skus/{preview_sku}", tablet.server.api_key) == 404
    expect(page.locator("#formula .module").first).to_be_visible()
    tablet.shot("real-formula")
