"""``POST /formulate`` and ``GET /skus/{code}``: issue, look up, refuse bad needs, erase users."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from formulations.registry import SkuIssuanceRecord, SkuRecord

SCORES = {"spots": 60.0, "redness": 30.0}
# The fake analyzer scores every concern at the photo's brightness: ~5 for this dark grey,
# which keeps the solve quick.
DARK_SKIN_PHOTO = (13, 13, 13)


@pytest.fixture
def analyse(png_factory: Callable[..., bytes]) -> Callable[..., str]:
    """Upload a photo with consent for ``user_id``; returns the new analysis id."""

    def send(client: TestClient, user_id: str) -> str:
        response = client.post(
            "/analyze",
            data={"consent": "true", "user_id": user_id},
            files={"image": ("face.png", png_factory(DARK_SKIN_PHOTO), "image/png")},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["analysis_id"])

    return send


def _issuances(client: TestClient, code: str) -> list[SkuIssuanceRecord]:
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        query = select(SkuIssuanceRecord).where(SkuIssuanceRecord.sku_code == code)
        return list(session.scalars(query))


def test_formulate_issues_a_sku_with_label_and_compounding_sheet(client: TestClient) -> None:
    response = client.post("/formulate", json={"scores": SCORES, "bottle_ml": 30})
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/skus/{body['sku']}"
    assert body["new_sku"] is True
    formula = body["formula"]
    assert formula["sku"] == body["sku"]
    pcts = [line["pct"] for line in formula["ingredients"]]
    assert pcts == sorted(pcts, reverse=True)
    assert sum(pcts) == pytest.approx(100, abs=0.01)
    assert formula["label_inci"] == ", ".join(line["inci"] for line in formula["ingredients"])
    sheet = formula["compounding"]
    assert sheet["bottle_ml"] == 30
    grams = [step["grams"] for step in sheet["steps"] if step["grams"] is not None]
    assert len(grams) == 1 + len(formula["modules"])
    assert sum(grams) == pytest.approx(sheet["total_g"], abs=0.05)
    assert sheet["total_g"] == pytest.approx(30 * sheet["density_g_per_ml"], abs=0.05)
    versions = formula["versions"]
    assert versions["catalog"].startswith("cat-")
    assert versions["solver"].startswith("HiGHS")
    assert versions["engine"]
    assert versions["skin_model"] is None


def test_the_same_needs_give_the_same_sku(client: TestClient) -> None:
    first = client.post("/formulate", json={"scores": SCORES})
    second = client.post("/formulate", json={"scores": SCORES})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["sku"] == second.json()["sku"]
    assert (first.json()["new_sku"], second.json()["new_sku"]) == (True, False)
    assert first.json()["issuance_id"] != second.json()["issuance_id"]
    assert len(_issuances(client, first.json()["sku"])) == 2


def test_a_sku_can_be_looked_up(client: TestClient) -> None:
    issued = client.post("/formulate", json={"scores": SCORES}).json()
    response = client.get(f"/skus/{issued['sku']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == issued["sku"]
    assert body["issuances"] == 1
    assert body["catalog_version"] == issued["formula"]["versions"]["catalog"]
    assert body["formula"] == issued["formula"]


def test_an_unknown_sku_is_404(client: TestClient) -> None:
    response = client.get("/skus/SKAAAAAAAAAA")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "UNKNOWN_SKU"


def test_formulate_from_an_analysis_records_the_skin_model(
    client: TestClient, analyse: Callable[..., str]
) -> None:
    analysis_id = analyse(client, "wx_1")
    response = client.post("/formulate", json={"analysis_id": analysis_id})
    assert response.status_code == 201, response.text
    formula = response.json()["formula"]
    assert formula["versions"]["skin_model"] == "fake-1"
    (issuance,) = _issuances(client, response.json()["sku"])
    assert (issuance.analysis_id, issuance.user_id) == (analysis_id, "wx_1")
    assert issuance.needs is not None
    assert issuance.needs["scores"]["redness"] == pytest.approx(5.1, abs=0.1)


def test_an_unknown_analysis_is_404(client: TestClient) -> None:
    response = client.post("/formulate", json={"analysis_id": "no-such-analysis"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ANALYSIS_NOT_FOUND"


BAD_NEEDS: dict[str, tuple[Any, str]] = {
    "unknown_include": (
        {"scores": SCORES, "include": [{"ingredient": "unobtainium"}]},
        "UNKNOWN_INGREDIENT",
    ),
    "unknown_avoid": ({"scores": SCORES, "avoid": ["unobtainium"]}, "UNKNOWN_INGREDIENT"),
    "negative_min_pct": (
        {"scores": SCORES, "include": [{"ingredient": "niacinamide", "min_pct": -1}]},
        "VALIDATION_ERROR",
    ),
    "unknown_base": ({"scores": SCORES, "base_id": "no_such_base"}, "UNKNOWN_BASE"),
    "base_of_another_type": (
        {"scores": SCORES, "base_id": "cream_daily", "product_type": "toner"},
        "CONTRADICTORY_NEEDS",
    ),
    "include_and_avoid": (
        {"scores": SCORES, "include": [{"ingredient": "niacinamide"}], "avoid": ["niacinamide"]},
        "CONTRADICTORY_NEEDS",
    ),
    "include_prohibited": (
        {"scores": SCORES, "include": [{"ingredient": "hydroquinone"}]},
        "PROHIBITED_INGREDIENT",
    ),
    "score_over_100": ({"scores": {"spots": 101}}, "VALIDATION_ERROR"),
    "score_below_0": ({"scores": {"spots": -1}}, "VALIDATION_ERROR"),
    "unknown_exclusion": ({"scores": SCORES, "exclusions": ["gluten_free"]}, "VALIDATION_ERROR"),
    "extra_field": ({"scores": SCORES, "colour": "blue"}, "VALIDATION_ERROR"),
    "empty_body": ({}, "VALIDATION_ERROR"),
    "unknown_out_of_stock_module": (
        {"scores": SCORES, "out_of_stock": ["no_such_module"]},
        "UNKNOWN_MODULE",
    ),
    "scores_and_analysis": ({"scores": SCORES, "analysis_id": "x"}, "CONTRADICTORY_NEEDS"),
}


@pytest.mark.parametrize(("needs", "code"), BAD_NEEDS.values(), ids=BAD_NEEDS.keys())
def test_bad_needs_get_a_4xx_with_a_machine_code(
    api: Callable[..., TestClient], needs: Any, code: str
) -> None:
    client = api(raise_server_exceptions=False)
    response = client.post("/formulate", json=needs)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_zh"]


def test_an_unknown_user_id_is_not_a_server_error(api: Callable[..., TestClient]) -> None:
    # A formulation for someone the service has never seen (no analysis, no consent row yet).
    client = api(raise_server_exceptions=False)
    response = client.post("/formulate", json={"scores": SCORES, "user_id": "wx_new"})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["error"]["code"]


def test_an_infeasible_request_names_the_price_cap_and_the_smallest_relaxation(
    client: TestClient,
) -> None:
    # The cheapest base alone costs more than 0.5 RMB a bottle at the retail markup.
    needs = {"scores": {"redness": 30.0}, "price_cap_rmb": 0.5}
    response = client.post("/formulate", json=needs)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "INFEASIBLE_FORMULA"
    assert "0.5" in error["message"]
    details = error["details"]
    assert [c["constraint"] for c in details["conflicts"]] == ["price_cap"]
    smallest = details["smallest_relaxation"]
    assert smallest["constraint"] == "price_cap"
    assert smallest["value"] > 0.5
    assert error["hint"] == smallest["en"]
    relaxed = client.post("/formulate", json={**needs, "price_cap_rmb": smallest["value"]})
    assert relaxed.status_code == 201, relaxed.text
    assert relaxed.json()["formula"]["cost"]["price_rmb"] <= smallest["value"]


def test_the_price_hint_never_names_a_cap_that_is_still_too_low(client: TestClient) -> None:
    # The cheapest 100 ml serum costs about 3.16 RMB; "at least 3 RMB" would still be refused.
    needs = {
        "scores": {"redness": 30.0},
        "base_id": "serum_hydrating",
        "bottle_ml": 100,
        "price_cap_rmb": 1,
    }
    response = client.post("/formulate", json=needs)
    assert response.status_code == 422, response.text
    smallest = response.json()["error"]["details"]["smallest_relaxation"]
    assert smallest["constraint"] == "price_cap"
    stated = re.search(r"at least ([0-9.]+) RMB", smallest["en"])
    assert stated is not None, smallest["en"]
    assert float(stated.group(1)) >= smallest["value"], smallest


def test_an_avoided_ingredient_is_left_out(client: TestClient) -> None:
    response = client.post("/formulate", json={"scores": SCORES, "avoid": ["Phenoxyethanol"]})
    assert response.status_code == 201, response.text
    used = {line["id"] for line in response.json()["formula"]["ingredients"]}
    assert "phenoxyethanol" not in used
    assert "water" in used


def test_deleting_a_user_keeps_their_skus_but_drops_their_needs(
    client: TestClient, analyse: Callable[..., str]
) -> None:
    analysis_id = analyse(client, "wx_1")
    issued = client.post("/formulate", json={"analysis_id": analysis_id}).json()
    other = client.post("/formulate", json={"scores": SCORES}).json()
    assert client.delete("/users/wx_1").status_code == 200
    (issuance,) = _issuances(client, issued["sku"])
    assert issuance.sku_code == issued["sku"]
    assert issuance.needs is None
    assert (issuance.user_id, issuance.analysis_id) == (None, None)
    assert issuance.versions["skin_model"] == "fake-1"
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        assert session.get(SkuRecord, issued["sku"]) is not None
    assert client.get(f"/skus/{issued['sku']}").status_code == 200
    (untouched,) = _issuances(client, other["sku"])
    assert untouched.needs is not None


def test_a_preview_stores_nothing_and_confirming_issues_the_same_sku(client: TestClient) -> None:
    needs = {"scores": SCORES, "skin_type": "dry", "product_type": "cream"}
    preview = client.post("/formulate?issue=false&channel=ba_tablet", json=needs)
    assert preview.status_code == 200
    body = preview.json()
    assert body["issued"] is False and body["issuance_id"] is None and body["new_sku"] is None
    assert "location" not in preview.headers
    assert client.get(f"/skus/{body['sku']}").status_code == 404
    issued = client.post("/formulate?channel=ba_tablet", json=needs)
    assert issued.status_code == 201
    assert issued.json()["sku"] == body["sku"] and issued.json()["issued"] is True
    assert [i.source for i in _issuances(client, body["sku"])] == ["ba_tablet"]


def test_an_unknown_channel_is_refused(client: TestClient) -> None:
    response = client.post("/formulate?channel=fax", json={"scores": SCORES})
    assert response.status_code == 422
