"""The monthly-card panel on the BA page, on a simulated brand scored by the shipped model.

The verdict, the probability in words, the value bars, the segment chips and the reasons of a
customer at the top of ``POST /rank``; logging the conversation turns the verdict to
"contacted recently"; another store's customer is refused politely.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from ba_support import (
    LANDSCAPE,
    BaServer,
    Tablet,
    get_json,
    painted_face,
    store_key,
    top_candidate,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _profile(server: BaServer, user_id: str) -> dict[str, Any]:
    return dict(get_json(f"{server.url}/users/{quote(user_id)}/profile", server.api_key))


@pytest.mark.parametrize("tablet", LANDSCAPE, indirect=True)
def test_a_good_candidate_and_logging_the_offer(tablet: Tablet) -> None:
    page, server = tablet.page, tablet.server
    user = top_candidate(server)
    profile = _profile(server, user["user_id"])
    assert profile["eligible"] and not profile["card_holder"]
    tablet.sign_in(key=store_key(server, user["store_id"]), store_id=user["store_id"])
    tablet.find_customer_id(user["user_id"])

    panel = page.locator("#monthly-card")
    expect(panel).to_be_visible()
    expect(page.locator("#card-verdict")).to_be_visible()
    expect(panel).not_to_contain_text("null")
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "recommend")
    expect(page.locator("#card-verdict strong")).to_have_text("推荐沟通")
    # The top of the board is well above three times the base rate.
    probability = page.locator("#card-probability")
    expect(probability).to_have_attribute("data-level", "high")
    expect(probability).to_contain_text(f"{100 * profile['probability']:.1f}%")
    expect(probability).to_contain_text("高")
    expect(probability).to_contain_text("约为平均顾客的")
    bars = page.locator("#card-value .meter-row")
    expect(bars).to_have_count(6)
    for key in ("speech", "fission", "consumption", "participation", "content", "total"):
        score = int(profile["value"][key] + 0.5)  # Math.round, not banker's rounding
        row = page.locator(f"#card-value [data-dim={key}]")
        expect(row.locator("b")).to_have_text(str(score))
        width = row.locator(".fill").evaluate("(n) => n.getBoundingClientRect().width")
        track = row.locator(".meter").evaluate("(n) => n.getBoundingClientRect().width")
        assert width == pytest.approx(track * min(100, profile["value"][key]) / 100, abs=1.5)
    chips = page.locator("#card-segments .tag")
    expect(chips).to_have_text([s["zh"] for s in profile["segments"]])
    reasons = page.locator("#card-reasons li")
    assert profile["reasons"], "a top customer has something raising the score"
    expect(reasons).to_have_count(len(profile["reasons"]))
    expect(reasons.first).to_contain_text(profile["reasons"][0]["zh"])
    tablet.assert_touch_targets()
    tablet.shot("card-candidate")

    page.click("#lang-toggle")
    expect(page.locator("#card-verdict strong")).to_have_text("Worth offering")
    expect(chips).to_have_text([s["en"] for s in profile["segments"]])
    expect(reasons.first).to_contain_text(profile["reasons"][0]["en"])
    tablet.shot("card-candidate-english")
    page.click("#lang-toggle")

    page.select_option("#contact-outcome", "interested")
    page.fill("#contact-note", "下次到店再详细介绍")
    with page.expect_response(f"**/users/{quote(user['user_id'])}/contacts") as logged:
        page.click("#contact-save")
    assert logged.value.status == 201
    sent = logged.value.request.post_data_json
    assert sent == {"channel": "store", "outcome": "interested", "note": "下次到店再详细介绍"}
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "contacted")
    expect(page.locator("#card-verdict strong")).to_have_text("近期已沟通")
    expect(page.locator("#card-last-contact")).to_contain_text("有兴趣")
    expect(page.locator("#card-last-contact")).to_contain_text(user["store_id"])
    after = _profile(server, user["user_id"])
    assert not after["eligible"] and after["contact_logged"]
    assert after["contacts"][0]["store_id"] == user["store_id"]
    tablet.assert_touch_targets()
    tablet.shot("card-contacted")


@pytest.mark.parametrize("tablet", ["1024x768"], indirect=True)
def test_the_panel_stays_beside_the_results(tablet: Tablet, tmp_path: Path) -> None:
    page, server = tablet.page, tablet.server
    user = top_candidate(server)
    tablet.sign_in(key=store_key(server, user["store_id"]), store_id=user["store_id"])
    tablet.find_customer_id(user["user_id"])
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "recommend")
    tablet.to_photo()
    expect(page.locator("#monthly-card")).to_be_hidden()  # the photo step is the customer's
    tablet.upload(painted_face(tmp_path / "face.jpg"))
    expect(page.locator("#step-results")).to_be_visible()
    expect(page.locator("#monthly-card")).to_be_visible()
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "recommend")
    tablet.shot("card-beside-results")


@pytest.mark.parametrize("tablet", ["1280x800"], indirect=True)
def test_another_stores_customer_is_refused_politely(tablet: Tablet) -> None:
    page, server = tablet.page, tablet.server
    user = top_candidate(server)
    assert user["store_id"] != server.store_id
    tablet.sign_in()
    tablet.find_customer_id(user["user_id"])
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "other_store")
    expect(page.locator("#monthly-card")).to_contain_text("属于其他门店")
    expect(page.locator("#card-body .error")).to_have_count(0)
    expect(page.locator("#contact-form")).to_be_hidden()
    tablet.shot("card-other-store")


def test_before_any_events_are_loaded_the_panel_says_so(
    open_tablet: Callable[[str, BaServer], Tablet], bare_ba_server: BaServer
) -> None:
    tablet = open_tablet("1024x768", bare_ba_server)
    page = tablet.page
    tablet.sign_in()
    tablet.find_customer("13100000000")
    expect(page.locator("#card-verdict")).to_have_attribute("data-verdict", "no_data")
    expect(page.locator("#monthly-card")).to_contain_text("顾客数据尚未导入")
    expect(page.locator("#card-body .error")).to_have_count(0)
    tablet.shot("card-no-events-loaded", full_page=False)
